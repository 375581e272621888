"""The within engine: singletons, demeaning, degrees of freedom, the rank checks."""

from __future__ import annotations

import numpy as np
import pytest

from lbc_eval.errors import CollinearityError, EstimationError, NoVariationError
from lbc_eval.estimation.within import Design, demean, fit_within, recode, singletons


def _design(y, X, fe, names=None, clusters=None, fe_names=("a",)) -> Design:
    X = np.asarray(X, float).reshape(len(y), -1)
    cl = np.zeros((len(y), 0), np.int64) if clusters is None else np.asarray(clusters)[:, None]
    return Design(
        y=np.asarray(y, float),
        X=X,
        names=tuple(names or [f"x{j}" for j in range(X.shape[1])]),
        fe=np.asarray(fe, np.int64).reshape(len(y), -1),
        fe_names=tuple(fe_names),
        clusters=cl.astype(np.int64),
        cluster_names=("c",) if clusters is not None else (),
        cluster_labels=(np.unique(clusters),) if clusters is not None else (),
        weights=None,
        rows=np.arange(len(y)),
    )


def test_singletons_are_found_iteratively():
    # unit 2 is alone; dropping it leaves period 9 with one row (unit 3), then unit 3 alone
    unit = np.array([0, 0, 1, 1, 2, 3, 3])
    period = np.array([0, 1, 0, 1, 5, 9, 0])
    drop = singletons(np.column_stack([unit, period]))
    assert drop.tolist() == [False, False, False, False, True, True, True]
    assert recode(np.array([[5], [9], [5]])).ravel().tolist() == [0, 1, 0]


def test_demean_matches_dummy_regression_residuals():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 6, 200), rng.integers(0, 4, 200)
    z = rng.normal(size=200)
    D = np.column_stack([np.eye(6)[a], np.eye(4)[b][:, 1:]])
    resid = z - D @ np.linalg.lstsq(D, z, rcond=None)[0]
    np.testing.assert_allclose(demean(z, np.column_stack([a, b]), None), resid, atol=1e-9)
    # no fixed effects = the intercept
    np.testing.assert_allclose(demean(z, np.zeros((200, 1), np.int64), None), z - z.mean())


def test_hc1_without_clusters_counts_fixed_effects_in_k():
    rng = np.random.default_rng(1)
    a = np.repeat(np.arange(20), 5)
    x = rng.normal(size=100)
    y = 0.5 * x + rng.normal(size=20)[a] + rng.normal(size=100)
    f = fit_within(_design(y, x, a))
    assert f.vcov_type == "HC1" and f.n_clusters is None
    assert f.df_k == 1 + 20  # slope + unit levels
    D = np.column_stack([x, np.eye(20)[a]])
    beta = np.linalg.lstsq(D, y, rcond=None)[0]
    assert f.coef[0] == pytest.approx(beta[0], abs=1e-9)


def test_nested_fixed_effects_are_not_counted_twice():
    rng = np.random.default_rng(2)
    unit = np.repeat(np.arange(30), 4)
    school = unit // 5  # units nested in schools
    y, x = rng.normal(size=120), rng.normal(size=120)
    f = fit_within(_design(y, x, unit, clusters=school))
    assert f.nested == (True,)
    assert f.df_k == 1 + 30 - 30 + 1  # pyfixest's k_fixef="nonnested"


def test_absorbed_and_collinear_columns_raise_named_errors():
    rng = np.random.default_rng(3)
    unit = np.repeat(np.arange(10), 3)
    y = rng.normal(size=30)
    const = np.repeat(rng.normal(size=10), 3)
    with pytest.raises(NoVariationError, match="'x0' has no variation left.*constant within"):
        fit_within(_design(y, const, unit, fe_names=("unit",)), kinds=["treatment"])
    a = rng.normal(size=30)
    X = np.column_stack([a, rng.normal(size=30), 2 * a])
    with pytest.raises(CollinearityError, match="linear combination of 'x0'"):
        fit_within(_design(y, X, unit))


def _unbalanced(n: int = 400, seed: int = 4) -> np.ndarray:
    """Two crossed fixed effects, unbalanced (so the projections need many sweeps)."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 40, n)
    b = (a // 4 + rng.integers(0, 3, n)) % 12  # correlated with a: slow convergence
    return np.column_stack([a, b])


@pytest.mark.parametrize("scale", [1e7, 1e-7, 1e12, 1e-12])
def test_demean_converges_relative_to_each_column_scale(scale):
    """An absolute tolerance (1e-10) never converged for columns near 1e7 and stopped far
    from the answer for columns near 1e-7 (error 2e-2 relative on this design); now
    M_D(c z) = c M_D z for any c (to 1e-9: both stop within 1e-10 of their scale), the
    rescaled column is as close to the dummy-regression residuals as the unscaled one (2e-9
    here: the design converges slowly), and a column with a large mean (1e7 + noise) is
    demeaned as accurately as the noise alone."""
    fe = _unbalanced()
    rng = np.random.default_rng(5)
    z = rng.normal(size=(400, 2)) + rng.normal(size=40)[fe[:, 0], None]
    D = np.column_stack([np.eye(40)[fe[:, 0]], np.eye(12)[fe[:, 1]][:, 1:]])
    resid = z - D @ np.linalg.lstsq(D, z, rcond=None)[0]
    mixed = np.column_stack([scale * z[:, 0], z[:, 1]])  # one column rescaled, one not
    out = demean(mixed, fe, None)
    np.testing.assert_allclose(out[:, 0] / scale, resid[:, 0], atol=1e-8)
    np.testing.assert_allclose(out[:, 1], resid[:, 1], atol=1e-8)
    np.testing.assert_allclose(out[:, 0] / scale, demean(z[:, 0], fe, None), atol=1e-9)
    w = rng.uniform(0.5, 2.0, 400)
    np.testing.assert_allclose(demean(scale * z, fe, w) / scale, demean(z, fe, w), atol=1e-9)
    shifted = demean(1e7 + z[:, 1], fe, None)
    np.testing.assert_allclose(shifted, resid[:, 1], atol=1e-8)


def test_demean_refuses_non_finite_values_with_a_clear_message():
    fe = _unbalanced()
    z = np.ones((400, 2))
    z[[5, 9], 1] = np.inf
    with pytest.raises(EstimationError, match="column 1 of the array to demean has 2 NaN or inf"):
        demean(z, fe, None)


def test_rank_checks_do_not_depend_on_the_units():
    """A regressor x 1e7 or x 1e-9 is not "collinear" or "absorbed"; a rescaled copy of
    another still is collinear, and a column constant within units still has no variation."""
    rng = np.random.default_rng(6)
    unit = np.repeat(np.arange(40), 5)
    y, a, b = rng.normal(size=(3, 200))
    for c in (1e7, 1e-9):
        f = fit_within(_design(y, np.column_stack([c * a, b]), unit))
        ref = fit_within(_design(y, np.column_stack([a, b]), unit))
        np.testing.assert_allclose(f.coef, ref.coef / [c, 1.0], rtol=1e-9)
        np.testing.assert_allclose(f.se, ref.se / [c, 1.0], rtol=1e-9)
        with pytest.raises(CollinearityError, match="'x1' is a linear combination of 'x0'"):
            fit_within(_design(y, np.column_stack([a, c * a]), unit))
        const = c * np.repeat(rng.normal(size=40), 5)
        with pytest.raises(NoVariationError, match="no variation left.*constant within"):
            fit_within(_design(y, const, unit, fe_names=("unit",)), kinds=["treatment"])
