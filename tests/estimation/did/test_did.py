"""Callaway-Sant'Anna staggered DiD: the published mpdta reference, aggregations, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval.data.resources import reference_path
from lbc_eval.errors import DroppedRowsWarning, EstimationError
from lbc_eval.estimation.did import fit_did, multiplier_bootstrap

MPDTA = reference_path("mpdta.csv")

# R `did`'s published ATT(g,t) for mpdta (att_gt with est_method="reg", never-treated
# controls, varying base period): the kit's packaged copy, the one source shared with the
# methods notebook (lbc_eval/data/reference/README.md). Its standard errors are R's bootstrap
# ones; the analytic standard errors are checked to 1e-6 in test_reference.py.
PUBLISHED = pd.read_csv(reference_path("mpdta_published.csv"))
PRETEST_P = 0.168  # same source


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    return pd.read_csv(MPDTA)


@pytest.fixture(scope="module")
def res(mpdta):
    return fit_did(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat")


def test_tidy_contract(res):
    tidy = res.tidy()
    assert list(tidy.columns[:8]) == [
        "term",
        "estimate",
        "std_error",
        "statistic",
        "p_value",
        "conf_low",
        "conf_high",
        "outcome",
    ]
    assert {"group", "time"} <= set(tidy.columns)
    assert len(tidy) == 12


def test_reproduces_every_published_att_gt(res):
    tidy = res.tidy().set_index(["group", "time"])
    assert len(PUBLISHED) == 12
    for g, t, att in PUBLISHED[["group", "time", "att"]].itertuples(index=False):
        assert round(tidy.loc[(g, t), "estimate"], 4) == pytest.approx(att, abs=1e-12), (g, t)


def test_pretest_matches_published(res):
    pre = res.pretest()
    assert pre["df"] == 5
    assert round(pre["p_value"], 3) == PRETEST_P


@pytest.mark.parametrize(
    ("kind", "overall"),
    # did::aggte on the same att_gt object (the package's "Getting started" vignette)
    [("simple", -0.0400), ("dynamic", -0.0772), ("group", -0.0310), ("calendar", -0.0417)],
)
def test_aggregations_match_did(res, kind, overall):
    agg = res.aggregate(kind).tidy()
    row = agg[agg["term"] == "overall"].iloc[0]
    assert round(row["estimate"], 4) == pytest.approx(overall, abs=1e-12)


def test_dynamic_is_the_group_size_weighted_average(res, mpdta):
    """Each event-time effect recomputed by hand from the ATT(g,t) and the group sizes."""
    tidy = res.tidy()
    sizes = mpdta.groupby("first.treat")["countyreal"].nunique()
    dyn = res.aggregate("dynamic").tidy().dropna(subset=["event_time"])
    for _, row in dyn.iterrows():
        cells = tidy[tidy["event_time"] == row["event_time"]]
        w = sizes.loc[cells["group"].astype(int)].to_numpy()
        assert row["estimate"] == pytest.approx(np.average(cells["estimate"], weights=w))
    # event-time rows keep the event_time key; overall has none
    assert dyn["event_time"].tolist() == [-3, -2, -1, 0, 1, 2, 3]


def test_balance_e_and_window(res):
    dyn = res.aggregate("dynamic", balance_e=1).tidy()
    assert dyn["event_time"].dropna().max() == 1
    win = res.aggregate("dynamic", min_e=-1, max_e=2).tidy()
    assert win["event_time"].dropna().tolist() == [-1, 0, 1, 2]


def test_bootstrap_close_to_analytic_and_uniform_band_wider(mpdta, res):
    boot = fit_did(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        group="first.treat",
        reps=999,
        seed=1,
    )
    ratio = boot.tidy()["std_error"] / res.tidy()["std_error"]
    # did's bootstrap SE is the IQR of 999 draws / 1.349: Monte Carlo relative sd about
    # 1.17 / sqrt(999) = 3.7%, so 15% is four of them
    assert ratio.between(0.85, 1.15).all()
    crit = boot.critical_value
    assert 2.2 < crit < 3.2  # simultaneous over 12 cells, wider than 1.96
    width = boot.tidy()["conf_high"] - boot.tidy()["conf_low"]
    np.testing.assert_allclose(width, 2 * crit * boot.tidy()["std_error"])


def test_multiplier_bootstrap_matches_the_analytic_variance():
    rng = np.random.default_rng(0)
    inf = rng.standard_normal((4000, 3)) * np.array([1.0, 2.0, 0.5])
    se, _ = multiplier_bootstrap(inf, draws=2000, seed=3)
    analytic = np.sqrt((inf**2).sum(axis=0)) / 4000
    np.testing.assert_allclose(se, analytic, rtol=0.08)


def test_clustered_errors_at_least_unit_errors_when_clusters_share_shocks(mpdta):
    d = mpdta.copy()
    d["state"] = d["countyreal"] // 1000
    clustered = fit_did(
        d, outcome="lemp", unit="countyreal", time="year", group="first.treat", cluster="state"
    )
    assert clustered.n_clusters == d["state"].nunique()
    assert "clusters" in clustered.cov_type


def test_covariates_and_methods_agree_roughly(mpdta):
    out = {}
    for method in ("reg", "ipw", "dr"):
        r = fit_did(
            mpdta,
            outcome="lemp",
            unit="countyreal",
            time="year",
            group="first.treat",
            controls=["lpop"],
            method=method,
        )
        out[method] = r.tidy()["estimate"].to_numpy()
    # did's vignette, xformla = ~lpop (doubly robust): ATT(2004,2004) = -0.0145
    assert round(out["dr"][0], 4) == -0.0145
    assert np.abs(out["reg"] - out["dr"]).max() < 0.005
    assert np.abs(out["ipw"] - out["dr"]).max() < 0.005


def test_not_yet_treated_controls_use_more_units(mpdta, res):
    ny = fit_did(
        mpdta,
        outcome="lemp",
        unit="countyreal",
        time="year",
        group="first.treat",
        control="not_yet",
    )
    cells = ny.tables["cells"].set_index(["group", "time"])
    never = res.tables["cells"].set_index(["group", "time"])
    assert cells.loc[(2004, 2005), "n_control"] > never.loc[(2004, 2005), "n_control"]


def test_universal_base_period_has_a_zero_reference_cell(mpdta):
    u = (
        fit_did(
            mpdta,
            outcome="lemp",
            unit="countyreal",
            time="year",
            group="first.treat",
            base_period="universal",
        )
        .tidy()
        .set_index(["group", "time"])
    )
    assert u.loc[(2006, 2005), "estimate"] == 0 and np.isnan(u.loc[(2006, 2005), "std_error"])
    assert round(u.loc[(2004, 2006), "estimate"], 4) == -0.1373  # post cells unchanged


# --- bad input -------------------------------------------------------------------------------


def test_no_never_treated_follows_did(mpdta):
    """did >= 2.1: the last cohort (2007) becomes the never-treated comparison and periods
    from 2007 on are dropped (warned); with not-yet controls it is a comparison only."""
    d = mpdta[mpdta["first.treat"] > 0]
    with pytest.warns(DroppedRowsWarning, match="last cohort \\(2007\\) is taken as never"):
        r = fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    ny = fit_did(
        d, outcome="lemp", unit="countyreal", time="year", group="first.treat", control="not_yet"
    )
    for fit in (r, ny):
        assert set(fit.tidy()["group"]) == {2004, 2006}
        assert fit.tidy()["time"].max() == 2006
    # never-treated comparison = the 2007 cohort: ATT(2006,2006) equals the hand-made 2x2
    cohort = d.pivot(index="countyreal", columns="year", values="lemp")
    g = d.groupby("countyreal")["first.treat"].first()
    dy = cohort[2006] - cohort[2005]
    hand = dy[g == 2006].mean() - dy[g == 2007].mean()
    got = r.tidy().set_index(["group", "time"]).loc[(2006, 2006), "estimate"]
    assert got == pytest.approx(hand, abs=1e-12)


def test_cohort_varying_within_unit(mpdta):
    d = mpdta.copy()
    d.loc[d.index[0], "first.treat"] = 2006
    with pytest.raises(EstimationError, match="varies within 1 unit"):
        fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")


def test_time_with_gaps(mpdta):
    d = mpdta[mpdta["year"] != 2005]
    with pytest.raises(EstimationError, match=r"not evenly spaced \(gaps at 2004->2006\)"):
        fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")


def test_unbalanced_panel_balanced_by_dropping_unless_allowed(mpdta):
    d = mpdta.drop(index=mpdta.index[[1, 7]])
    with pytest.warns(DroppedRowsWarning, match="2 of 500 units miss some period and were"):
        r = fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    assert r.nobs == 498
    r = fit_did(
        d,
        outcome="lemp",
        unit="countyreal",
        time="year",
        group="first.treat",
        allow_unbalanced_panel=True,
    )
    assert any("unbalanced" in n for n in r.notes)
    assert r.tidy()["estimate"].notna().all()


def test_units_treated_in_the_first_period_are_dropped_with_a_warning(mpdta):
    d = mpdta.copy()
    d.loc[d["countyreal"] == d["countyreal"].iloc[0], "first.treat"] = 2003
    with pytest.warns(DroppedRowsWarning, match="dropped 1 units already treated"):
        r = fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    assert r.nobs == 499


def test_small_groups_are_reported(mpdta):
    keep = mpdta[
        (mpdta["first.treat"] != 2006)
        | mpdta["countyreal"].isin(
            mpdta.loc[mpdta["first.treat"] == 2006, "countyreal"].unique()[:3]
        )
    ]
    with pytest.warns(UserWarning, match=r"small groups.*2006 \(3 units\)"):
        r = fit_did(keep, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    assert any("2006 (3 units)" in w for w in r.warnings)


def test_unknown_column_and_bad_options(mpdta):
    with pytest.raises(
        EstimationError, match=r"column\(s\) wage not in the data; it has year, countyreal"
    ):
        fit_did(mpdta, outcome="wage", unit="countyreal", time="year", group="first.treat")
    with pytest.raises(ValueError, match="control='nevertreated'; choose one of never, not_yet"):
        fit_did(
            mpdta,
            outcome="lemp",
            unit="countyreal",
            time="year",
            group="first.treat",
            control="nevertreated",
        )  # type: ignore[arg-type]


def test_spec_is_frozen_and_kept_on_the_result_and_its_aggregations(res):
    import dataclasses

    from lbc_eval.estimation.did import DidSpec

    assert isinstance(res.spec, DidSpec)
    assert (res.spec.group, res.spec.reps, res.spec.boot_weights) == ("first.treat", 0, "auto")
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.spec.reps = 9  # type: ignore[misc]
    assert res.aggregate("simple").spec == res.spec
    with pytest.raises(ValueError, match="boot_weights='uniform'"):
        DidSpec(outcome="y", unit="u", time="t", group="g", boot_weights="uniform")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="reps=-1"):
        DidSpec(outcome="y", unit="u", time="t", group="g", reps=-1)


def test_pretest_is_a_diagnostics_row(res):
    from lbc_eval.estimation.results import DIAGNOSTIC_COLUMNS

    assert tuple(res.diagnostics.columns) == DIAGNOSTIC_COLUMNS
    row = res.diagnostic("pretest")
    assert res.pretest() == {"statistic": row["statistic"], "df": int(row["df"]),
                             "p_value": row["p_value"]}  # fmt: skip
    assert list(res.tables["groups"].columns) == ["group", "units"]
    assert res.tables["groups"]["units"].sum() == res.nobs


@pytest.mark.parametrize("kind", ["webb", "normal", "mammen"])
def test_other_multiplier_weights_agree_with_the_analytic_errors(mpdta, res, kind):
    boot = fit_did(mpdta, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                   reps=999, boot_weights=kind, seed=1)  # fmt: skip
    ratio = boot.tidy()["std_error"] / res.tidy()["std_error"]
    assert ratio.between(0.85, 1.15).all()
    assert kind in boot.cov_type
    agg = boot.aggregate("simple", reps=0)
    assert agg.critical_value is None and "analytic" in agg.cov_type


def test_clustered_bootstrap_sums_influence_functions_within_clusters(mpdta, res):
    """R ``did``/``csdid``: the draw is sum_c v_c sum_{i in c} psi_i / n, so with many draws the
    bootstrap standard errors match the analytic clustered ones sqrt(sum_c S_c^2) / n (a mean
    within clusters would shrink them by about the cluster size)."""
    from lbc_eval.estimation.inference.multiplier import analytic_se, bootstrap_draws

    d = mpdta.copy()
    d["state"] = d["countyreal"] % 40  # 40 fixed groups of about 12 counties each
    codes = pd.factorize(d.groupby("countyreal")["state"].first().sort_index())[0]
    inf = res.inf
    analytic = analytic_se(inf, codes)
    for kind in ("rademacher", "webb", "normal"):
        draws = bootstrap_draws(inf, draws=20_000, cluster=codes, seed=5, boot_weights=kind)
        # sd of 20,000 draws: Monte Carlo error about 1/sqrt(2 x 20000) ~ 0.5% (x kurtosis)
        np.testing.assert_allclose(draws.std(axis=0), analytic, rtol=0.03)
    # normal weights: the draws are exactly normal, so the IQR-based error matches as well
    se, _ = multiplier_bootstrap(inf, draws=20_000, cluster=codes, seed=5, boot_weights="normal")
    np.testing.assert_allclose(se, analytic, rtol=0.05)  # IQR: Monte Carlo sd ~ 1.2%
    fitted = fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                     cluster="state", reps=4999, seed=2, boot_weights="normal")  # fmt: skip
    ref = fit_did(d, outcome="lemp", unit="countyreal", time="year", group="first.treat",
                  cluster="state")  # fmt: skip
    ratio = fitted.tidy()["std_error"] / ref.tidy()["std_error"]
    assert ratio.between(0.9, 1.1).all(), ratio
    unit = res.tidy()["std_error"]
    assert (ref.tidy()["std_error"] > 0.5 * unit).all()  # not shrunk by the cluster size


def test_small_cluster_adjust_is_g_over_g_minus_1_for_equal_clusters():
    from lbc_eval.estimation.inference.multiplier import analytic_se, small_cluster_adjust

    rng = np.random.default_rng(1)
    cluster = np.repeat(np.arange(6), 50)  # clusters 0-1 treated (group 5), 2-5 comparison
    unit_group = np.where(cluster < 2, 5.0, np.inf)
    inf = rng.standard_normal((300, 1))
    adj = small_cluster_adjust(inf, cluster, unit_group, np.array([5.0]))
    np.testing.assert_allclose(adj[:100], inf[:100] * np.sqrt(2))
    np.testing.assert_allclose(adj[100:], inf[100:] * np.sqrt(4 / 3))
    assert analytic_se(adj, cluster)[0] > analytic_se(inf, cluster)[0]


def test_bootstrap_pretests(mpdta, res):
    kw = dict(outcome="lemp", unit="countyreal", time="year", group="first.treat", seed=1)
    sup = fit_did(mpdta, reps=999, **kw).diagnostic("pretest")
    assert "sup-t" in sup["message"] and sup["df"] == 5
    avg = fit_did(mpdta, reps=999, pretest="average", **kw).diagnostic("pretest")
    assert "group-averaged" in avg["message"] and avg["df"] == 1
    # the published Wald p is 0.168; the bootstrap tests of the same cells do not reject either
    assert sup["p_value"] > 0.05 and avg["p_value"] > 0.05
    with pytest.raises(ValueError, match="needs reps > 0"):
        fit_did(mpdta, pretest="sup_t", **kw)
    with pytest.raises(ValueError, match="small_cluster=True needs a cluster"):
        fit_did(mpdta, small_cluster=True, **kw)
