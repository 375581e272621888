"""The wild cluster bootstrap: equal to a dummy-variable brute force and to the wildboottest
package, exact identities, inverted intervals, and its size with 20 clusters."""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lbc_eval import fit_fe, wild_bootstrap
from lbc_eval.errors import EstimationError, SpecError
from lbc_eval.estimation.inference.wild import Draws, beyond, draw_weights, wcr_test
from lbc_eval.estimation.within import Design, fit_within


def _toy(seed: int = 1, G: int = 14, T: int = 5, per: int = 6) -> pd.DataFrame:
    """Units in schools over periods; a fifth of the units change school late (so the unit
    effects are not nested in the clusters) and period effects cut across every cluster."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(G * per), T)
    t = np.tile(np.arange(T), G * per)
    school = unit // per
    school = np.where((unit % 5 == 0) & (t >= 3), (school + 1) % G, school)
    x = rng.normal(size=unit.size) + 0.3 * rng.normal(size=G)[school]
    z = rng.normal(size=unit.size)
    y = 0.5 * z + rng.normal(size=G * per)[unit] + 0.2 * t + rng.normal(size=G)[school]
    y = y + rng.normal(size=unit.size)
    w = 0.5 + rng.uniform(size=unit.size)
    return pd.DataFrame(dict(y=y, x=x, z=z, unit=unit, t=t, school=school, w=w))


def _fit(df: pd.DataFrame, weights: str | None = None):
    return fit_fe(df, outcome="y", treatment="x", controls="z", unit="unit", time="t",
                  cluster="school", weights=weights, inference="crv1").raw  # fmt: skip


def _brute_force(df: pd.DataFrame, v: np.ndarray, ssc: float, weights: bool) -> np.ndarray:
    """Every draw re-estimated by (weighted) least squares with explicit unit and period dummies."""
    y = df["y"].to_numpy()
    w = df["w"].to_numpy() if weights else np.ones(len(df))
    D = np.column_stack(
        [np.eye(df["unit"].nunique())[df["unit"]], np.eye(df["t"].nunique())[df["t"]][:, 1:]]
    )
    Xf = np.column_stack([df["x"], df["z"], D])
    Xr = Xf[:, 1:]  # the null beta_x = 0 imposed
    sw = np.sqrt(w)[:, None]
    br = np.linalg.lstsq(Xr * sw, y * sw[:, 0], rcond=None)[0]
    fitted, ut = Xr @ br, y - Xr @ br
    inv = np.linalg.pinv(Xf.T @ (Xf * w[:, None]))
    cl = df["school"].to_numpy()
    out = []
    for b in range(v.shape[1]):
        ys = fitted + ut * v[cl, b]
        beta = inv @ (Xf.T @ (w * ys))
        u = ys - Xf @ beta
        S = np.zeros((v.shape[0], Xf.shape[1]))
        np.add.at(S, cl, Xf * (w * u)[:, None])
        out.append(beta[0] / np.sqrt(ssc * (inv @ S.T @ S @ inv)[0, 0]))
    return np.array(out)


@pytest.mark.parametrize("weights", [False, True])
def test_equals_dummy_variable_brute_force(weights):
    """Same draws (Webb, 199) as a brute force that re-fits every fixed effect as a dummy."""
    df = _toy()
    fit = _fit(df, "w" if weights else None)
    draws = draw_weights(fit.design.cluster_labels[0], 199, "webb", seed=3)
    bt = wcr_test(fit, np.array([1.0, 0.0]), draws=draws)
    ref = _brute_force(df, draws.v, fit.ssc, weights)
    np.testing.assert_allclose(bt.t_boot, ref, rtol=1e-7, atol=1e-9)
    assert bt.p_value == pytest.approx(np.mean(np.abs(ref) > abs(bt.statistic)))


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_equals_pyfixest_wildboottest(kind):
    """Reference: pyfixest 0.60 ``Feols.wildboottest`` (the wildboottest 0.3.2 package, WCR11,
    dummies for the fixed effects); the same seed draws the same weights, so p-values agree."""
    pytest.importorskip("wildboottest")
    import pyfixest as pf

    df = _toy(seed=5)
    fit = _fit(df)
    bt = wcr_test(fit, np.array([1.0, 0.0]), reps=999, boot_weights=kind, seed=42, ci=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("y ~ x + z | unit + t", data=df, vcov={"CRV1": "school"})
        ref = m.wildboottest(reps=999, param="x", weights_type=kind, seed=42)
    assert bt.statistic == pytest.approx(float(ref["t value"]), rel=1e-6)
    assert bt.p_value == pytest.approx(float(ref["Pr(>|t|)"]), abs=1e-12)


def test_exact_identities():
    df = _toy(seed=2)
    fit = _fit(df)
    R = np.array([1.0, 0.0])
    G = len(fit.design.cluster_labels[0])
    ones = Draws(fit.design.cluster_labels[0], np.ones((G, 1)), "rademacher", False)
    bt = wcr_test(fit, R, draws=ones, ci=False)
    # v = 1 gives back the data, so t* is the observed t
    assert bt.t_boot[0] == pytest.approx(bt.statistic, rel=1e-9)
    # the statistic's standard error is the fit's CRV1 one
    assert bt.std_error == pytest.approx(float(np.sqrt(fit.vcov[0, 0])), rel=1e-12)
    # full enumeration: every sign vector once, p-values on the 1/2^G grid
    small = _toy(seed=2, G=8)
    fs = _fit(small)
    e = wcr_test(fs, R, reps=9999, boot_weights="rademacher", ci=False)
    assert e.full_enumeration and e.reps == 2**8
    assert (e.p_value * 2**8) == pytest.approx(round(e.p_value * 2**8))


def test_nested_shortcut_equals_the_general_path():
    """With every fixed effect inside one cluster M_D(x 1_h) = x 1_h; the shortcut must agree
    with the G within transforms it saves."""
    from lbc_eval.estimation.inference.wild import _cross
    from lbc_eval.estimation.within import nested_in

    df = _toy(seed=4)
    df["school"] = df["unit"] // 6  # units never move: unit effects nested in schools
    r = fit_fe(df, outcome="y", treatment="x", unit="unit", cluster="school", inference="crv1")
    fit = r.raw
    g = fit.design.clusters[:, 0]
    assert nested_in(fit.design.fe, g)
    xc = fit.Xd @ (fit.bread @ np.array([1.0]))
    zs = (fit.resid, xc)
    fast = _cross(fit, g, int(g.max()) + 1, xc, zs, nested=True)
    slow = _cross(fit, g, int(g.max()) + 1, xc, zs, nested=False, closed_form=False)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-9)
    # and with period effects (not nested) the general path is taken and differs
    r2 = fit_fe(df, outcome="y", treatment="x", unit="unit", time="t", cluster="school",
                inference="crv1")  # fmt: skip
    assert not nested_in(r2.raw.design.fe, r2.raw.design.clusters[:, 0])


@pytest.mark.parametrize(
    ("fes", "weights"),
    [(["unit", "t"], None), (["unit", "t"], "w"), (["unit"], None), (["t"], None),
     ([], None), (["unit", "t", "t2"], None), (["unit", "t", "t2"], "w")],
)  # fmt: skip
def test_closed_form_cross_products_equal_the_within_transforms(fes, weights):
    """The closed form of sweep.py (one fixed effect with many levels, the others' Schur
    complement) against the G within transformations it replaces, on units that change
    school and period effects that cut across every school, weighted or not."""
    from lbc_eval.estimation import sweep as cross
    from lbc_eval.estimation.inference.wild import _cross

    df = _toy(seed=6).assign(t2=lambda d: d["t"] * 7 + d["unit"] % 3)
    fit = fit_fe(df, outcome="y", treatment="x", controls="z", fixed_effects=fes,
                 cluster="school", weights=weights, inference="crv1").raw  # fmt: skip
    g = fit.design.clusters[:, 0]
    G = int(g.max()) + 1
    xc = fit.Xd @ (fit.bread @ np.array([1.0, 0.0]))
    zs = (fit.resid, xc / 3.0)
    closed = cross.closed_form_cross(fit.design.fe, g, G, xc, zs, fit.design.weights)
    assert closed is not None
    loop = _cross(fit, g, G, xc, zs, nested=False, closed_form=False)
    for a, b in zip(closed, loop, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * np.abs(b).max())
    # too many small levels: no closed form, and wcr_test falls back to the transforms
    small = max(1, int(fit.design.fe.max(axis=0).min()))
    if len(fes) > 1:
        old = cross.MAX_SMALL_LEVELS
        try:
            cross.MAX_SMALL_LEVELS = small - 1
            assert cross.closed_form_cross(fit.design.fe, g, G, xc, zs) is None
            fallback = _cross(fit, g, G, xc, zs, nested=False)
        finally:
            cross.MAX_SMALL_LEVELS = old
        np.testing.assert_allclose(fallback[0], loop[0], rtol=0, atol=0)


def test_interval_is_the_inverted_test():
    fit = _fit(_toy(seed=6))
    R = np.array([1.0, 0.0])
    bt = wcr_test(fit, R, reps=999, seed=7, alpha=0.1)
    assert bt.conf_low < bt.estimate < bt.conf_high
    for edge, inward in ((bt.conf_low, +1), (bt.conf_high, -1)):
        eps = 1e-6 * bt.std_error
        inside = wcr_test(fit, R, null=edge + inward * eps, reps=999, seed=7, ci=False)
        outside = wcr_test(fit, R, null=edge - inward * eps, reps=999, seed=7, ci=False)
        assert inside.p_value > 0.1 >= outside.p_value
    # equal-tailed p-values are available too
    et = wcr_test(fit, R, reps=999, seed=7, pvalue="equal-tailed", ci=False)
    assert 0 <= et.p_value <= 1


def _null_design(rng: np.random.Generator, G: int = 20, T: int = 4) -> Design:
    """20 clusters of very unequal size, 5 treated from period 2: CRV1's hard case."""
    sizes = np.maximum(2, np.round(rng.lognormal(2.0, 1.0, G))).astype(int)
    g = np.repeat(np.arange(G), sizes)
    t = rng.integers(0, T, g.size)
    x = ((rng.permutation(G) < 5)[g] & (t >= 2)).astype(float)
    y = rng.standard_normal(G)[g] + rng.standard_normal((G, T))[g, t] + rng.standard_normal(g.size)
    return Design(
        y=y, X=x[:, None], names=("x",), fe=np.column_stack([g, t]).astype(np.int64),
        fe_names=("g", "t"), clusters=g[:, None].astype(np.int64), cluster_names=("g",),
        cluster_labels=(np.arange(G),), weights=None, rows=np.arange(g.size),
    )  # fmt: skip


def test_size_under_the_null_with_20_clusters():
    """400 Monte Carlo draws (seeded): WCR rejects near 5% (binomial SD 1.1 points); CRV1 with
    t(G-1) rejects far more often. Measured: CRV1 18.8%, WCR 5.5%."""
    rng = np.random.default_rng(2026)
    n, rej_crv1, rej_wcr = 400, 0, 0
    crit = stats.t.ppf(0.975, 19)
    for i in range(n):
        f = fit_within(_null_design(rng))
        rej_crv1 += abs(f.coef[0] / f.se[0]) > crit
        rej_wcr += wcr_test(f, np.array([1.0]), reps=399, seed=i, ci=False).p_value <= 0.05
    assert 0.025 <= rej_wcr / n <= 0.08
    assert rej_crv1 / n >= 0.10 and rej_crv1 > 2 * rej_wcr


def test_draws_follow_the_weight_distributions():
    labels = np.arange(20)
    web = draw_weights(labels, 500, "webb", seed=0)
    assert set(np.round(np.unique(web.v) ** 2, 6)) == {0.5, 1.0, 1.5}
    assert draw_weights(np.arange(11), 99, "auto").kind == "webb"
    assert draw_weights(labels, 99, "auto").kind == "rademacher"
    assert not draw_weights(labels, 99, "rademacher").full_enumeration
    with pytest.raises(SpecError, match="boot_weights"):
        draw_weights(labels, 99, "uniform")  # type: ignore[arg-type]


def test_public_api_on_results_and_fits():
    df = _toy(seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_fe(df, outcome="y", treatment=["x", "z"], unit="unit", time="t",
                   cluster="school")  # fmt: skip
    assert r.tests["x"].boot.p_value == r.p_value("x")
    again = wild_bootstrap(r, term="x")
    assert again.p_value == r.p_value("x")
    both = wild_bootstrap(r.raw, contrast={"x": 1.0, "z": -1.0}, reps=499)
    assert both.estimate == pytest.approx(r.estimate("x") - r.estimate("z"))
    with pytest.raises(EstimationError, match="name the term"):
        wild_bootstrap(r)
    with pytest.raises(EstimationError, match="no coefficient 'w'"):
        wild_bootstrap(r.raw, term="w")
    with pytest.raises(EstimationError, match="clustered by"):
        wild_bootstrap(r, term="x", cluster="county")


@pytest.mark.parametrize("kind", ["rademacher", "webb", "normal", "mammen"])
def test_every_weight_distribution_has_mean_zero_and_variance_one(kind):
    """200,000 draws: the sample mean within 0.01 of 0 and variance within 0.02 of 1 (the
    Monte Carlo SDs are about 0.0022 and 0.003-0.005); Mammen's third moment is 1."""
    v = draw_weights(np.arange(40), 5000, kind, seed=7).v.ravel()
    assert v.size == 200_000
    assert abs(v.mean()) < 0.01
    assert abs(v.var() - 1) < 0.02
    if kind == "mammen":
        assert set(np.round(np.unique(v), 6)) == {round(-(np.sqrt(5) - 1) / 2, 6),
                                                   round((np.sqrt(5) + 1) / 2, 6)}  # fmt: skip
        assert abs((v**3).mean() - 1) < 0.05


@pytest.mark.parametrize("kind", ["mammen", "normal"])
def test_mammen_and_normal_equal_pyfixest_wildboottest(kind):
    """The same reference as Rademacher and Webb: the same seed draws the same weights."""
    pytest.importorskip("wildboottest")
    import pyfixest as pf

    df = _toy(seed=5)
    fit = _fit(df)
    bt = wcr_test(fit, np.array([1.0, 0.0]), reps=999, boot_weights=kind, seed=42, ci=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = pf.feols("y ~ x + z | unit + t", data=df, vcov={"CRV1": "school"})
        ref = m.wildboottest(reps=999, param="x", seed=42,
                             weights_type="norm" if kind == "normal" else kind)  # fmt: skip
    assert bt.statistic == pytest.approx(float(ref["t value"]), rel=1e-6)
    assert bt.p_value == pytest.approx(float(ref["Pr(>|t|)"]), abs=1e-12)


# --- full enumeration: ties resolved as the references resolve them ---------------------------

REF_WILD = Path(__file__).resolve().parents[2] / "reference" / "wild"


def _reference_module():
    """tests/reference/wild/make_wild_ties.py: its data generator and its stored numbers."""
    spec = importlib.util.spec_from_file_location("make_wild_ties", REF_WILD / "make_wild_ties.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_TIES = pd.read_csv(REF_WILD / "wild_ties.csv", comment="#")


@pytest.mark.parametrize("row", _TIES.itertuples(), ids=lambda r: f"G{r.G}-s{r.seed}-e{r.effect}")
def test_full_enumeration_pvalue_equals_the_reference(row):
    """Reference: wildboottest 0.3.2 (tests/reference/wild/wild_ties.csv, its t statistic and
    all 2^G t*), counted as fwildclusterboot 0.14.3 and WildBootTests.jl 1.0.2 count: strictly,
    so the two constant sign vectors (|t*| = |t| exactly) never count. The p-value is exactly
    n_beyond / 2^G; wildboottest's own is that or (n_beyond + 2) / 2^G, by rounding (e.g.
    G = 12, seed 5: 8/4096 = 0.00195 here, 10/4096 = 0.00244 from wildboottest)."""
    df = _reference_module().toy(row.seed, row.G, effect=row.effect)
    bt = wcr_test(_fit(df), np.array([1.0, 0.0]), reps=9999, boot_weights="rademacher", ci=False)
    assert bt.full_enumeration and bt.reps == row.draws == 2**row.G
    assert bt.statistic == pytest.approx(row.statistic, rel=1e-8)
    assert bt.p_value == row.n_beyond / row.draws  # exactly k / 2^G
    assert round(row.p_wildboottest * row.draws) - row.n_beyond in (0, row.n_ties)
    # the ties are the all -1 and all +1 columns, equal to |t| up to rounding
    close = np.abs(np.abs(bt.t_boot) - abs(bt.statistic)) <= 1e-12 * abs(bt.statistic)
    assert row.n_ties == 2 and np.flatnonzero(close).tolist() == [0, row.draws - 1]
    # and counting every other draw strictly (no tie left to decide) gives the same p-value
    rest = np.abs(bt.t_boot[1:-1])
    assert bt.p_value == np.sum(rest > abs(bt.statistic)) / row.draws


@pytest.mark.parametrize(("G", "seed", "effect"), [(12, 5, 0.22), (12, 1, 0.0), (13, 2, 0.25)])
def test_full_enumeration_pvalue_and_interval_survive_rounding_noise(G, seed, effect):
    """Perturbing the outcome by 1e-14 (noise, a shift, a rescaling) changes where rounding
    puts |t*| of the tied draws, but not the p-value, and not the interval ends beyond the
    bisection's 1e-9 SE. (Measured with the old plain ``|t*| > |t|``: 10 or 8 draws of 4,096
    at G = 12, seed 5, and 22 or 20 of 8,192 at G = 13, depending on the perturbation.)"""
    df = _reference_module().toy(seed, G, effect=effect)
    R = np.array([1.0, 0.0])
    base = wcr_test(_fit(df), R, reps=9999, boot_weights="rademacher")
    rng = np.random.default_rng(0)
    y0 = df["y"]
    for y in (y0 + 1e-14 * rng.standard_normal(len(df)), y0 + 3e-14, y0 * (1 + 1e-14),
              y0 * (1 - 3e-14)):  # fmt: skip
        bt = wcr_test(_fit(df.assign(y=y)), R, reps=9999, boot_weights="rademacher")
        assert bt.p_value == base.p_value
        for a, b in ((bt.conf_low, base.conf_low), (bt.conf_high, base.conf_high)):
            assert abs(a - b) <= 1e-8 * base.std_error


def test_full_enumeration_interval_ends_invert_the_same_counting():
    """The interval {r: p(r) > alpha} (fwildclusterboot's ``invert_p_val``: p <= alpha
    rejects): just inside each end p > alpha, just outside p <= alpha, and there the p-value
    is the strict count with the two constant sign vectors left out."""
    df = _reference_module().toy(5, 12, effect=0.22)
    fit = _fit(df)
    R = np.array([1.0, 0.0])
    bt = wcr_test(fit, R, reps=9999, boot_weights="rademacher", alpha=0.05)
    assert bt.full_enumeration and bt.conf_low < bt.estimate < bt.conf_high
    for edge, inward in ((bt.conf_low, +1), (bt.conf_high, -1)):
        eps = 1e-6 * bt.std_error
        inside = wcr_test(fit, R, null=edge + inward * eps, reps=9999, boot_weights="rademacher",
                          ci=False)  # fmt: skip
        outside = wcr_test(fit, R, null=edge - inward * eps, reps=9999, boot_weights="rademacher",
                           ci=False)  # fmt: skip
        assert inside.p_value > 0.05 >= outside.p_value
        for b in (inside, outside):
            strict = np.sum(np.abs(b.t_boot[1:-1]) > abs(b.statistic)) / b.reps
            assert b.p_value == strict


def test_beyond_counts_ties_by_rule():
    t = 2.0
    tb = np.array([2.0 * (1 + 1e-15), 2.0 * (1 - 1e-15), 2.0, 2.1, 1.9, np.nan])
    assert beyond(tb, t).tolist() == [False, False, False, True, False, False]
    assert beyond(tb, t, ties=True).tolist() == [True, True, True, True, False, False]
    # the tolerance is relative above |t| = 1 and absolute below
    assert beyond(np.array([1e6 + 1e-5]), 1e6).tolist() == [False]
    assert beyond(np.array([0.1 + 1e-9]), 0.1).tolist() == [True]
    # v = +1 and v = -1 alone: t* = t and -t, ties in both p-values, so both are 0
    fit = _fit(_toy(seed=2))
    labels = fit.design.cluster_labels[0]
    both = Draws(labels, np.outer(np.ones(len(labels)), [1.0, -1.0]), "rademacher", False)
    for kind in ("symmetric", "equal-tailed"):
        bt = wcr_test(fit, np.array([1.0, 0.0]), draws=both, pvalue=kind, ci=False)
        assert abs(bt.t_boot).tolist() == pytest.approx([abs(bt.statistic)] * 2, rel=1e-9)
        assert bt.p_value == 0.0
