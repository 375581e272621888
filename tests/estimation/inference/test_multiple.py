"""Holm and Romano-Wolf adjusted p-values: hand-computed cases and reference implementations."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from lbc_eval import adjust_pvalues, fit_dose_response, holm, romano_wolf
from lbc_eval.errors import EstimationError
from tests.conftest import cohort_for


def test_holm_by_hand_and_against_statsmodels():
    # by hand: sorted 0.005 x 4 = 0.02, 0.01 x 3 = 0.03, 0.03 x 2 = 0.06, max(0.04 x 1, 0.06)
    np.testing.assert_allclose(holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02])
    rng = np.random.default_rng(0)
    for _ in range(20):
        p = rng.uniform(0, 0.2, size=rng.integers(1, 12))
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1])
    with pytest.raises(EstimationError, match="between 0 and 1"):
        holm([0.2, 1.5])


def test_romano_wolf_by_hand():
    """Three hypotheses, four draws. Order by |t|: B (3.0), A (2.0), C (0.5).
    Step 1 (all): max* = 3.5, 1.0, 2.6, 0.4 -> P(max* > 3.0) = 1/4.
    Step 2 (A, C): max* = 0.2, 1.0, 2.6, 0.4 -> P(> 2.0) = 1/4.
    Step 3 (C): |t*| = 0.1, 0.6, 0.3, 0.4 -> P(> 0.5) = 1/4; monotone: 1/4, 1/4, 1/4.
    With plus_one (the default): one draw beyond at each step, (1 + 1) / (4 + 1) = 0.4."""
    t = np.array([2.0, -3.0, 0.5])
    tb = np.array(
        [
            [0.2, 3.5, 0.1],
            [1.0, 0.3, -0.6],
            [2.6, -0.2, 0.3],
            [0.1, 0.2, 0.4],
        ]
    )
    np.testing.assert_allclose(romano_wolf(t, tb, plus_one=False), [0.25, 0.25, 0.25])
    np.testing.assert_allclose(romano_wolf(t, tb), [0.4, 0.4, 0.4])
    tb[0, 2] = 0.7  # C now exceeds 0.5 in two draws: its step-3 p-value is 1/2 (3/5)
    np.testing.assert_allclose(romano_wolf(t, tb, plus_one=False), [0.25, 0.25, 0.5])
    np.testing.assert_allclose(romano_wolf(t, tb), [0.4, 0.4, 0.6])


def test_romano_wolf_against_pyfixest():
    """Reference: pyfixest 0.60 ``_get_rwolf_pval`` (the (count + 1) / (B + 1) rule)."""
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    rng = np.random.default_rng(1)
    for _ in range(10):
        S = int(rng.integers(2, 6))
        cov = np.full((S, S), 0.5) + 0.5 * np.eye(S)
        tb = rng.multivariate_normal(np.zeros(S), cov, size=999)
        t = rng.normal(0, 2.5, size=S)
        np.testing.assert_allclose(romano_wolf(t, tb), _get_rwolf_pval(t, tb))


def test_romano_wolf_limits():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(4000, 1))
    t = np.array([1.5, 2.5])
    # perfectly correlated tests: no penalty, each keeps its own bootstrap p-value
    same = romano_wolf(t, np.hstack([z, z]), plus_one=False)
    np.testing.assert_allclose(same, [(np.abs(z) > 1.5).mean(), (np.abs(z) > 2.5).mean()])
    # one hypothesis: the bootstrap's own p-value
    assert romano_wolf([2.0], z, plus_one=False)[0] == pytest.approx((np.abs(z) > 2.0).mean())
    # independent tests: close to Sidak's step-down
    ind = romano_wolf(t, rng.normal(size=(20000, 2)))
    p = 2 * (1 - np.array([0.9331928, 0.9937903]))  # 2-sided normal p of 1.5 and 2.5
    assert ind[1] == pytest.approx(1 - (1 - p[1]) ** 2, abs=0.01)


def test_adjust_pvalues_across_outcomes():
    c = cohort_for("small", 11)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = {o: fit_dose_response(c, outcome=o) for o in ("sdq_total", "attendance")}
    rw = adjust_pvalues(results, term="ame")
    assert rw["outcome"].tolist() == ["sdq_total", "attendance"]
    assert (rw["p_adjusted"] >= rw["p_value"] - 1e-12).all()
    assert rw["method"].iloc[0].startswith("romano-wolf (rademacher")
    # 12 clusters and 9,999 draws: all 4,096 sign vectors, the draws each result used too, so
    # the unadjusted p-values are the results' own
    for o in results:
        assert rw.set_index("outcome").loc[o, "p_value"] == pytest.approx(results[o].p_value("ame"))
    hm = adjust_pvalues(list(results.values()), term="ame", method="holm")
    np.testing.assert_allclose(hm["p_adjusted"], holm(hm["p_value"]))
    with pytest.raises(EstimationError, match="has no term 'slope'"):
        adjust_pvalues(results, term="slope")


def test_romano_wolf_is_never_zero():
    """wildrwolf 0.7.0 (R/get_rwolf_pval.R: ``(sum(max_stat >= abs(t)) + 1) / (B + 1)``) and
    pyfixest 0.60 (``_get_rwolf_pval``, the same rule) cannot return 0; neither can this, by
    default (1/(B+1) when no draw reaches |t|) nor with plus_one=False (floored at 1/B)."""
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    tb = np.random.default_rng(3).normal(size=(999, 3))
    t = np.array([12.0, -9.0, 8.0])  # far beyond every draw
    np.testing.assert_allclose(romano_wolf(t, tb), [1 / 1000] * 3)
    np.testing.assert_allclose(romano_wolf(t, tb), _get_rwolf_pval(t, tb))
    np.testing.assert_allclose(romano_wolf(t, tb, plus_one=False), [1 / 999] * 3)
    assert (romano_wolf([0.0], tb[:, :1], plus_one=False) == 1.0).all()


def test_romano_wolf_ties_follow_the_reference_rule():
    """Draws exactly at |t| count with wildrwolf's ``>=`` (plus_one) and never with ``>``;
    within 1e-10 relative they are ties too, so rounding noise of 1e-15 changes nothing (it
    changes pyfixest's raw ``>=``)."""
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    rng = np.random.default_rng(4)
    t = np.array([2.5, -1.5])
    tb = rng.normal(size=(200, 2))
    tb[:2] = [[2.5, 1.5], [-2.5, -1.5]]  # the two constant sign vectors: |t*| = |t|
    exact = romano_wolf(t, tb)
    np.testing.assert_allclose(exact, _get_rwolf_pval(t, tb))
    noisy = tb.copy()
    noisy[:2] *= 1 - 1e-15
    np.testing.assert_array_equal(romano_wolf(t, noisy), exact)
    assert not np.allclose(_get_rwolf_pval(t, noisy), exact)
    # without plus_one the ties never count: the count of draws strictly beyond, over B
    strict = romano_wolf(t, tb[2:], plus_one=False) * 198 / 200
    np.testing.assert_allclose(romano_wolf(t, tb, plus_one=False), strict)
    np.testing.assert_array_equal(romano_wolf(t, noisy, plus_one=False),
                                  romano_wolf(t, tb, plus_one=False))  # fmt: skip


def test_adjust_pvalues_under_full_enumeration_equals_the_references():
    """G = 12: all 4,096 sign vectors. The case of tests/reference/wild/wild_ties.csv (G 12,
    seed 5, effect .22): 8 draws strictly beyond |t| and 2 ties, so the test's own p-value is
    8/4096 (fwildclusterboot's count) and Romano-Wolf's, with one hypothesis, wildrwolf's
    (8 + 2 + 1)/(4096 + 1)."""
    import importlib.util
    from pathlib import Path

    from lbc_eval import fit_fe

    path = Path(__file__).resolve().parents[2] / "reference" / "wild" / "make_wild_ties.py"
    spec = importlib.util.spec_from_file_location("make_wild_ties", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    df = module.toy(5, 12, effect=0.22)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_fe(df, outcome="y", treatment="x", controls="z", unit="unit", time="t",
                   cluster="school")  # fmt: skip
    out = adjust_pvalues([r], term="x", boot_weights="rademacher")
    assert out["p_value"].iloc[0] == 8 / 4096
    assert out["p_adjusted"].iloc[0] == pytest.approx(11 / 4097, rel=1e-15)
    assert out["method"].iloc[0] == "romano-wolf (rademacher, 4,096 draws)"
