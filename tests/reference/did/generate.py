"""Reference values of R ``did`` (Callaway & Sant'Anna) for ``lbc_eval.estimation.did.fit_did``.

Run from the repository root with the reference environment (not the project venv)::

    /tmp/refenv/bin/python tests/reference/did/generate.py

Reference packages (PyPI): moderndid 0.2.0 (primary: a Python port of R ``did``/``DRDID``),
csdid 0.4.3 and drdid 1.1.7 (cross-check only), with numpy 2.4.6, pandas 3.1.1, polars 2.1.0,
scipy 1.17.1, statsmodels 0.15.0.

Semantics followed: R ``did`` 2.5.1 (the ``>= 2.1`` behaviour: analytic, cluster-sum standard
errors without the bootstrap; ``aggte`` with the weights' influence function), read from its
source (``pre_process_did.R``, ``compute.att_gt.R``, ``att_gt.R``, ``compute.aggte.R``), with
the 2x2 estimators of R ``DRDID`` as published up to 1.2.3 (``drdid_panel``, ``reg_did_panel``,
``std_ipw_did_panel``, ``drdid_rc``, ``reg_did_rc``, ``std_ipw_did_rc``), which moderndid
transcribes. Where moderndid departs from R ``did`` 2.5.1, this script patches or
post-processes it with a minimal transcription of the R code; every such place is marked
``R-SEMANTICS`` and cites the R file and line (line numbers of the 2.5.1 sources). The list
of departures is in README.md beside this file.

Everything is deterministic (fixed seeds); the script rewrites every file of this folder except
README.md: the datasets (*.csv), ``configs.json``, ``results.csv`` and ``crosscheck.csv``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import math
import sys
import warnings
from pathlib import Path

import moderndid
import numpy as np
import pandas as pd
import polars as pl
from moderndid import aggte, att_gt
from moderndid.core.preprocess import transformers as _md_transformers

_md_cag = importlib.import_module("moderndid.did.compute_att_gt")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REL = HERE.relative_to(ROOT).as_posix()  # tests/reference/did
MPDTA = "lbc_eval/data/reference/mpdta.csv"  # read in place, never copied
EPS_SE = math.sqrt(np.finfo(float).eps) * 10  # R: se[se <= sqrt(.Machine$double.eps) * 10] <- NA
OPTS = ("min_e", "max_e", "balance_e")


# =====================================================================================
# Datasets
# =====================================================================================


def mpdta() -> pd.DataFrame:
    return pd.read_csv(ROOT / MPDTA)


def mpdta_variants(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The mpdta variants, each built from mpdta alone (own seed per variant)."""
    out = {}
    # (i) the 60 never-treated counties with the lowest ids first treated in 2009, after the
    #     last period (2007): R recodes them as never treated unless anticipation >= 2.
    late = np.sort(df.loc[df["first.treat"] == 0, "countyreal"].unique())[:60]
    v = df.copy()
    v.loc[v["countyreal"].isin(late), "first.treat"] = 2009
    out["mpdta_late_cohort"] = v
    # (ii) 5% of the rows dropped at random: an unbalanced panel.
    rng = np.random.default_rng(2101)
    drop = rng.choice(len(df), size=round(0.05 * len(df)), replace=False)
    out["mpdta_unbalanced"] = df.drop(index=drop).reset_index(drop=True)
    # (iii) a positive, time-invariant sampling weight per county.
    rng = np.random.default_rng(2102)
    ids = np.sort(df["countyreal"].unique())
    w = pd.Series(np.round(rng.uniform(0.5, 2.0, len(ids)), 4), index=ids)
    v = df.copy()
    v["w"] = v["countyreal"].map(w)
    out["mpdta_weighted"] = v
    # (iv) a time-varying covariate: lpop plus small noise per county-year.
    rng = np.random.default_rng(2103)
    v = df.copy()
    v["x"] = np.round(v["lpop"] + rng.normal(0.0, 0.05, len(v)), 9)
    out["mpdta_tvx"] = v
    # (v) no never-treated county (R: the last cohort becomes the comparison group).
    out["mpdta_no_never"] = df[df["first.treat"] > 0].reset_index(drop=True)
    # (vi) the state (FIPS code = countyreal // 1000, 29 states; treatment varies by state)
    #      as the cluster variable; mpdta has no state column.
    v = df.copy()
    v["state"] = v["countyreal"] // 1000
    out["mpdta_state"] = v
    return out


P2_N, P2_T, P2_C = 800, 6, 40
P2_COHORTS = np.array([0, 3, 4, 5, 8])  # 0 = never; 8 = after the last period (6)


def _p2_effect(g: np.ndarray, t: np.ndarray | int) -> np.ndarray:
    """True effect: 0.5 + 0.25 e for e = t - g >= 0 (treated units), else 0."""
    e = t - g
    return np.where((g > 0) & (e >= 0), 0.5 + 0.25 * e, 0.0)


def _p2_units(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    cluster = rng.integers(1, P2_C + 1, n)
    xbar = rng.normal(0.0, 1.0, n)
    # cohort by a multinomial logit in xbar: selection on the trend-shifting covariate
    logits = np.c_[np.zeros(n), 0.1 + 0.6 * xbar, 0.3 * xbar, -0.1 + 0.0 * xbar, -0.4 - 0.3 * xbar]
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    g = P2_COHORTS[(rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)]
    alpha = 0.5 * xbar + rng.normal(0.0, 1.0, n)
    w = np.round(np.exp(rng.normal(0.0, 0.4, n)), 4)
    return {"cluster": cluster, "xbar": xbar, "g": g, "alpha": alpha, "w": w}


def _p2_period(rng, u, t, lam, shock):
    n = len(u["g"])
    x = u["xbar"] + rng.normal(0.0, 0.25, n)  # time-varying covariate
    y0 = (u["alpha"] + lam[t - 1] + 0.15 * t * u["xbar"]  # x shifts the trend
          + shock[u["cluster"] - 1, t - 1] + rng.normal(0.0, 0.5, n))
    wv = np.round(u["w"] * np.exp(rng.normal(0.0, 0.25, n)), 4)  # time-varying weight
    return {"y": np.round(y0 + _p2_effect(u["g"], t), 6), "x": np.round(x, 6), "wv": wv}


def panel2() -> dict[str, pd.DataFrame]:
    """A staggered panel with a known dynamic effect, its repeated cross sections, its truth."""
    rng = np.random.default_rng(20250611)
    lam = np.round(0.2 * np.arange(1, P2_T + 1) + rng.normal(0.0, 0.1, P2_T), 6)
    shock = rng.normal(0.0, 0.15, (P2_C, P2_T))  # cluster x period shocks
    u = _p2_units(rng, P2_N)
    rows = []
    for t in range(1, P2_T + 1):
        p = _p2_period(rng, u, t, lam, shock)
        rows.append(pd.DataFrame({
            "id": np.arange(1, P2_N + 1), "period": t, "y": p["y"], "g": u["g"], "x": p["x"],
            "cluster": u["cluster"], "w": u["w"], "wv": p["wv"],
        }))
    pan = pd.concat(rows, ignore_index=True)
    # repeated cross sections: fresh units every period, id unique per row
    rows = []
    for t in range(1, P2_T + 1):
        uu = _p2_units(rng, P2_N)
        p = _p2_period(rng, uu, t, lam, shock)
        rows.append(pd.DataFrame({
            "id": (t - 1) * P2_N + np.arange(1, P2_N + 1), "period": t, "y": p["y"],
            "g": uu["g"], "x": p["x"], "cluster": uu["cluster"], "w": uu["w"],
        }))
    rc = pd.concat(rows, ignore_index=True)
    # unbalanced: 8% of the panel's rows dropped at random
    drop = rng.choice(len(pan), size=round(0.08 * len(pan)), replace=False)
    unb = pan.drop(index=drop).reset_index(drop=True)
    gg, tt = np.meshgrid(P2_COHORTS[1:], np.arange(1, P2_T + 1), indexing="ij")
    truth = pd.DataFrame({"group": gg.ravel(), "time": tt.ravel()})
    truth["event_time"] = truth["time"] - truth["group"]
    truth["att_true"] = _p2_effect(truth["group"].to_numpy(), truth["time"].to_numpy())
    return {"panel2": pan, "panel2_rc": rc, "panel2_unbalanced": unb, "panel2_truth": truth}


# =====================================================================================
# R-SEMANTICS patches of moderndid 0.2.0 (each a minimal transcription of R did 2.5.1)
# =====================================================================================


def _treatment_encoder_r(self, data, config):
    """R-SEMANTICS (a): pre_process_did.R l.221-223
    ``asif_never_treated <- (data[,gname] > max(tlist) + anticipation); data[..., gname] <- 0``.
    moderndid's TreatmentEncoder compares with max(tlist) only, so a cohort first treated in
    (max(tlist), max(tlist) + anticipation] became never treated there; R keeps it as a group.
    """
    df = _md_transformers.to_polars(data)
    g = config.gname
    df = df.with_columns(pl.col(g).cast(pl.Float64))
    df = df.with_columns(pl.when(pl.col(g) == 0).then(pl.lit(np.inf)).otherwise(pl.col(g)).alias(g))
    tmax = max(df[config.tname].unique().to_list())
    antic = getattr(config, "anticipation", 0) or 0
    return df.with_columns(
        pl.when(pl.col(g) > tmax + antic).then(pl.lit(np.inf)).otherwise(pl.col(g)).alias(g)
    )


_md_transformers.TreatmentEncoder.transform = _treatment_encoder_r

_ORIG_RUN = _md_cag.run_att_gt_estimation


def _run_att_gt_estimation_r(group_idx, time_idx, data):
    """R-SEMANTICS (e): compute.att_gt.R l.442-449 -- in a balanced panel the 2x2 cell uses
    the sampling weights of the EARLIER of its two periods,
    ``earlier_idx <- min(t + tfac, pret); w <- period_w[[earlier_idx]][kept]``
    (the covariates come from the same period, l.456, which moderndid already does).
    moderndid uses the first period's weights in every cell; identical for time-invariant
    weights. Here the cell's period weights are swapped in before moderndid's own code runs.
    """
    cfg = data.config
    if not (cfg.panel and cfg.weightsname and cfg.data_format == "panel"):
        return _ORIG_RUN(group_idx, time_idx, data)
    if not hasattr(data, "_r_weights_by_period"):
        n = cfg.id_count
        w = data.data["weights"].to_numpy()  # rows sorted by (period, group, id): blocks of n
        data._r_weights_by_period = [w[i * n:(i + 1) * n] for i in range(cfg.time_periods_count)]
    universal = cfg.base_period == "universal"
    tfac = 0 if universal else 1
    g = cfg.treated_groups[group_idx]
    pre_ok = np.where(cfg.time_periods < g - cfg.anticipation)[0]
    pret_g = int(pre_ok[-1]) if len(pre_ok) else None
    pret = pret_g if (universal or g <= cfg.time_periods[time_idx + tfac]) else time_idx
    first = data.weights
    if pret is not None:
        data.weights = data._r_weights_by_period[min(time_idx + tfac, pret)]
    try:
        return _ORIG_RUN(group_idx, time_idx, data)
    finally:
        data.weights = first


_md_cag.run_att_gt_estimation = _run_att_gt_estimation_r

# capture moderndid's preprocessed data (unit order of the influence functions, clusters)
_MD_ATTGT = importlib.import_module("moderndid.did.att_gt")
_ORIG_COMPUTE = _MD_ATTGT.compute_att_gt
_LAST: dict = {}


def _capture_compute(dp, n_jobs=1):
    _LAST["dp"] = dp
    return _ORIG_COMPUTE(dp, n_jobs=n_jobs)


_MD_ATTGT.compute_att_gt = _capture_compute


def r_design(df: pd.DataFrame, kit: dict) -> dict:
    """R-SEMANTICS: the groups and periods R estimates (pre_process_did.R l.215-326, 392-401),
    used to post-process moderndid for (f) and to check that no cell is dropped or added.
    """
    t, g, antic = kit["time"], kit["group"], kit["anticipation"]
    cols = [t, g] + ([kit["unit"]] if kit["unit"] else [])
    d = df.dropna(subset=[c for c in cols + [kit["outcome"]] + list(kit["controls"])]).copy()
    tlist = np.sort(d[t].unique())
    d.loc[d[g] > tlist.max() + antic, g] = 0  # l.221-223
    glist = np.sort(d[g].unique())
    latest = None
    if not (glist == 0).any():  # l.250-282
        latest = glist.max()
        d = d[d[t] < latest - antic]
        if kit["control"] == "never":
            d.loc[d[g] == latest, g] = 0
        tlist, glist = np.sort(d[t].unique()), np.sort(d[g].unique())
        if kit["control"] != "never":
            glist = glist[glist < latest]  # l.278-281
    glist = glist[(glist > 0) & (glist > tlist[0] + antic)]  # l.285-317
    d = d[~((d[g] <= tlist[0] + antic) & (d[g] != 0))]
    unbalanced = False
    if kit["panel"] and kit["allow_unbalanced_panel"]:  # l.392-401
        unbalanced = len(d) != d[kit["unit"]].nunique() * d[t].nunique()
    return {"tlist": tlist, "glist": glist, "latest_no_never": latest, "unbalanced": unbalanced}


def cluster_se(inf: np.ndarray, cl: np.ndarray) -> np.ndarray:
    """R-SEMANTICS (g): att_gt.R l.559-567 and compute.aggte.R l.829-833 -- without the
    bootstrap and with a cluster variable beyond the unit, the analytic standard error is
    ``sqrt(sum_c (sum_{i in c} psi_i)^2) / n`` (``Sc <- rowsum(inffunc, cluster_vec);
    V <- crossprod(Sc) / n; se <- sqrt(diag(V) / n)``; aggte's ``getSE``: ``S <-
    rowsum(thisinffunc, cv); sqrt(sum(S^2)) / n``). moderndid ignores clustering unless it
    bootstraps. ``inf`` is (n, k) over the units in the influence functions' row order.
    """
    inf = np.asarray(inf, dtype=float)
    one = inf.ndim == 1
    inf = inf.reshape(len(inf), -1)
    codes = pd.factorize(pd.Series(cl))[0]
    sums = np.zeros((codes.max() + 1, inf.shape[1]))
    np.add.at(sums, codes, inf)
    se = np.sqrt((sums ** 2).sum(axis=0)) / inf.shape[0]
    se = np.where(np.isfinite(se) & (se > EPS_SE), se, np.nan)
    return se[0] if one else se


def _drdid_rc_alt_sign():
    """NOT R did 2.5.1 as readable here: the other convention of DRDID::drdid_rc's influence
    function, for the column ``se_alt`` only. R DRDID (drdid_rc.R, up to 1.2.3, the latest
    source available here) adds the pre-period outcome-regression estimation effects,
    ``inf.treat.or <- inf.treat.or.post + inf.treat.or.pre`` (and ``inf.cont.or`` likewise),
    and moderndid transcribes that; csdid 0.4.3 and drdid 1.1.7 subtract them (the derivative
    of ``att.treat.post - att.treat.pre``). did 2.5.1 requires DRDID >= 1.3.0, whose source is
    not available here. Only DR with covariates on repeated cross sections / unbalanced
    panels is affected (standard errors only). Built by flipping the two signs in moderndid's
    own source.
    """
    import inspect

    mod = importlib.import_module("moderndid.drdid.estimators.drdid_rc")
    src = inspect.getsource(mod)
    alt = src
    for part in ("treat", "cont"):
        a = f"inf_{part}_or = inf_{part}_or_post + inf_{part}_or_pre"
        assert src.count(a) == 1, a
        alt = alt.replace(a, a.replace(" + ", " - "))
    ns = dict(mod.__dict__)
    exec(compile(alt, mod.__file__, "exec"), ns)  # noqa: S102 - a reviewed, pinned source
    return ns["drdid_rc"]


_DRDID_RC = _md_cag.drdid_rc
_DRDID_RC_ALT = _drdid_rc_alt_sign()


@contextlib.contextmanager
def alt_drdid_rc():
    _md_cag.drdid_rc = _DRDID_RC_ALT
    try:
        yield
    finally:
        _md_cag.drdid_rc = _DRDID_RC


def affected_by_drdid_rc_sign(kit: dict, design: dict) -> bool:
    return kit["method"] == "dr" and bool(kit["controls"]) and (
        not kit["panel"] or design["unbalanced"])


def moderndid_fixes(df: pd.DataFrame, kit: dict, design: dict) -> list[str]:
    """Which R-SEMANTICS fixes of this script change this configuration's numbers."""
    out = []
    t, g, a = kit["time"], kit["group"], kit["anticipation"]
    tmax = df[t].max()
    if a and ((df[g] > tmax) & (df[g] <= tmax + a)).any():
        out.append("a: cohort after the last period kept by anticipation")
    if design["unbalanced"]:
        out.append("d: unbalanced panel -> RC estimator by unit id")
    if kit["weights"]:
        by_unit = df.groupby(kit["unit"])[kit["weights"]] if kit["unit"] else None
        if kit["panel"] and by_unit is not None and by_unit.nunique().max() > 1:
            out.append("e: time-varying weights taken from the earlier period of each cell")
        out.append("e: aggte group shares weighted by the sampling weights")
    if design["latest_no_never"] is not None and kit["control"] == "not_yet":
        out.append("f: latest cohort (comparison only) gets no ATT(g,t)")
    if kit["cluster"]:
        out.append("g: analytic cluster-sum standard errors")
    return out


# =====================================================================================
# Configurations
# =====================================================================================

KIT_DEFAULTS = dict(control="never", controls=[], method="dr", base_period="varying",
                    anticipation=0, cluster=None, weights=None, panel=True,
                    allow_unbalanced_panel=False)
MP_COLS = dict(outcome="lemp", unit="countyreal", time="year", group="first.treat")
P2_COLS = dict(outcome="y", unit="id", time="period", group="g")
EXTRA_AGGS = [  # (type, options): R semantics of each option, see README
    ("dynamic", {"max_e": 1}), ("dynamic", {"min_e": -2}), ("dynamic", {"balance_e": 1}),
    ("dynamic", {"min_e": -2, "max_e": 1, "balance_e": 1}), ("calendar", {"max_e": 1}),
    ("group", {"max_e": 1}), ("simple", {"max_e": 1}),
]
BASE_AGGS = [("simple", {}), ("dynamic", {}), ("group", {}), ("calendar", {})]


def build_configs() -> dict[str, dict]:
    cfgs: dict[str, dict] = {}

    def add(cid, dataset, cols, extra=False, **kw):
        kit = {**cols, **KIT_DEFAULTS, **kw}
        kit["controls"] = list(kit["controls"])
        cfgs[cid] = {"dataset": dataset, "kit": kit,
                     "aggregations": BASE_AGGS + (EXTRA_AGGS if extra else [])}

    mp, ds = MPDTA, lambda name: f"{REL}/{name}.csv"
    ctl = {"never": "nev", "not_yet": "nyt"}
    # mpdta: control x method x base period, without covariates and with lpop
    for c in ("never", "not_yet"):
        for m in ("reg", "ipw", "dr"):
            for b in ("varying", "universal"):
                for x in ((), ("lpop",)):
                    cid = f"mp_{ctl[c]}_{m}_{b[:3]}_{'lpop' if x else 'nox'}"
                    extra = m == "dr" and not x
                    add(cid, mp, MP_COLS, extra, control=c, method=m, base_period=b, controls=x)
    # mpdta: anticipation = 1 (drops the 2004 cohort: first period + 1)
    for c in ("never", "not_yet"):
        for b in ("varying", "universal"):
            add(f"mp_antic1_{ctl[c]}_dr_{b[:3]}", mp, MP_COLS, True,
                control=c, base_period=b, anticipation=1)
    add("mp_antic1_nyt_reg_uni_lpop", mp, MP_COLS, control="not_yet", method="reg",
        base_period="universal", anticipation=1, controls=["lpop"])
    # mpdta: clustered by state
    add("mp_cl_nev_dr_var_nox", ds("mpdta_state"), MP_COLS, True, cluster="state")
    add("mp_cl_nyt_reg_uni_lpop", ds("mpdta_state"), MP_COLS, True, cluster="state",
        control="not_yet", method="reg", base_period="universal", controls=["lpop"])
    add("mp_cl_nev_ipw_var_lpop", ds("mpdta_state"), MP_COLS, cluster="state",
        method="ipw", controls=["lpop"])
    # (i) cohort 2009 after the last period 2007
    late = ds("mpdta_late_cohort")
    add("mp_late_nev_dr_var", late, MP_COLS)
    add("mp_late_nyt_dr_var", late, MP_COLS, True, control="not_yet")
    add("mp_late_antic1_nev_dr_uni", late, MP_COLS, True, anticipation=1, base_period="universal")
    add("mp_late_antic2_nyt_dr_var", late, MP_COLS, True, control="not_yet", anticipation=2)
    add("mp_late_antic2_nev_dr_uni", late, MP_COLS, anticipation=2, base_period="universal")
    # (ii) unbalanced
    unb = ds("mpdta_unbalanced")
    add("mp_unb_nev_dr_var_nox", unb, MP_COLS, True, allow_unbalanced_panel=True)
    add("mp_unb_nyt_reg_var_lpop", unb, MP_COLS, allow_unbalanced_panel=True,
        control="not_yet", method="reg", controls=["lpop"])
    add("mp_unb_nyt_dr_uni_lpop", unb, MP_COLS, True, allow_unbalanced_panel=True,
        control="not_yet", base_period="universal", controls=["lpop"])
    add("mp_unb_nev_ipw_uni_lpop", unb, MP_COLS, allow_unbalanced_panel=True,
        method="ipw", base_period="universal", controls=["lpop"])
    add("mp_unb_balanced_nev_dr_var", unb, MP_COLS)  # allow_unbalanced_panel=False: balanced
    # (iii) weights
    wtd = ds("mpdta_weighted")
    add("mp_w_nev_dr_var_lpop", wtd, MP_COLS, True, weights="w", controls=["lpop"])
    add("mp_w_nyt_reg_uni_nox", wtd, MP_COLS, True, weights="w", control="not_yet",
        method="reg", base_period="universal")
    add("mp_w_nev_ipw_var_lpop", wtd, MP_COLS, weights="w", method="ipw", controls=["lpop"])
    # (iv) time-varying covariate x
    tvx = ds("mpdta_tvx")
    add("mp_tvx_nyt_dr_uni", tvx, MP_COLS, True, control="not_yet", base_period="universal",
        controls=["x"])
    add("mp_tvx_nev_dr_uni", tvx, MP_COLS, True, base_period="universal", controls=["x"])
    add("mp_tvx_nyt_reg_uni", tvx, MP_COLS, control="not_yet", method="reg",
        base_period="universal", controls=["x"])
    add("mp_tvx_nev_ipw_uni", tvx, MP_COLS, method="ipw", base_period="universal", controls=["x"])
    add("mp_tvx_nev_dr_var", tvx, MP_COLS, controls=["x"])
    # (v) no never-treated county
    nn = ds("mpdta_no_never")
    add("mp_nonever_nev_dr_var", nn, MP_COLS, True)
    add("mp_nonever_nyt_dr_var", nn, MP_COLS, True, control="not_yet")
    add("mp_nonever_nyt_reg_uni", nn, MP_COLS, control="not_yet", method="reg",
        base_period="universal")
    add("mp_nonever_nev_dr_uni_lpop", nn, MP_COLS, base_period="universal", controls=["lpop"])
    # repeated cross sections on mpdta (each row its own unit)
    rcc = {**MP_COLS, "unit": None}
    add("mp_rc_nev_dr_var_nox", mp, rcc, True, panel=False)
    add("mp_rc_nyt_dr_var_lpop", mp, rcc, panel=False, control="not_yet", controls=["lpop"])
    add("mp_rc_nev_reg_uni_lpop", mp, rcc, True, panel=False, method="reg",
        base_period="universal", controls=["lpop"])
    add("mp_rc_nyt_ipw_var_nox", mp, rcc, panel=False, control="not_yet", method="ipw")
    add("mp_rc_cl_nev_dr_var_nox", ds("mpdta_state"), rcc, panel=False, cluster="state")
    # second panel
    p2, p2rc, p2u = ds("panel2"), ds("panel2_rc"), ds("panel2_unbalanced")
    for c in ("never", "not_yet"):
        for m in ("dr", "reg"):
            for b in ("varying", "universal"):
                add(f"p2_{ctl[c]}_{m}_{b[:3]}_x", p2, P2_COLS, m == "dr",
                    control=c, method=m, base_period=b, controls=["x"])
    add("p2_nev_ipw_var_x", p2, P2_COLS, method="ipw", controls=["x"])
    add("p2_nev_dr_var_nox", p2, P2_COLS)
    add("p2_cl_nev_dr_uni_x", p2, P2_COLS, True, cluster="cluster", base_period="universal",
        controls=["x"])
    add("p2_cl_nyt_reg_var_x", p2, P2_COLS, True, cluster="cluster", control="not_yet",
        method="reg", controls=["x"])
    add("p2_w_nev_dr_var_x", p2, P2_COLS, True, weights="w", controls=["x"])
    add("p2_w_nyt_dr_uni_x", p2, P2_COLS, weights="w", control="not_yet",
        base_period="universal", controls=["x"])
    add("p2_wcl_nyt_dr_uni_x", p2, P2_COLS, True, weights="w", cluster="cluster",
        control="not_yet", base_period="universal", controls=["x"])
    add("p2_wv_nev_dr_var_x", p2, P2_COLS, True, weights="wv", controls=["x"])
    add("p2_wv_nyt_reg_uni_x", p2, P2_COLS, weights="wv", control="not_yet", method="reg",
        base_period="universal", controls=["x"])
    add("p2_antic1_nev_dr_uni_x", p2, P2_COLS, True, anticipation=1, base_period="universal",
        controls=["x"])
    add("p2_antic2_nyt_dr_var_x", p2, P2_COLS, True, anticipation=2, control="not_yet",
        controls=["x"])
    rc2 = {**P2_COLS}
    add("p2rc_nev_dr_var_x", p2rc, rc2, True, panel=False, controls=["x"])
    add("p2rc_nyt_reg_uni_x", p2rc, rc2, True, panel=False, control="not_yet", method="reg",
        base_period="universal", controls=["x"])
    add("p2rc_cl_nyt_dr_var_x", p2rc, rc2, panel=False, cluster="cluster", control="not_yet",
        controls=["x"])
    add("p2rc_w_nev_ipw_uni_x", p2rc, {**P2_COLS, "unit": None}, panel=False, weights="w",
        method="ipw", base_period="universal", controls=["x"])
    add("p2u_nev_dr_var_x", p2u, P2_COLS, True, allow_unbalanced_panel=True, controls=["x"])
    add("p2u_nyt_reg_uni_x", p2u, P2_COLS, allow_unbalanced_panel=True, control="not_yet",
        method="reg", base_period="universal", controls=["x"])
    add("p2u_wcl_nyt_dr_var_x", p2u, P2_COLS, True, allow_unbalanced_panel=True,
        control="not_yet", weights="w", cluster="cluster", controls=["x"])
    add("p2u_balanced_nev_dr_var_x", p2u, P2_COLS, controls=["x"])
    return cfgs


def moderndid_args(kit: dict, design: dict) -> dict:
    """moderndid.att_gt arguments for a kit configuration (R ``att_gt`` semantics)."""
    args = dict(
        yname=kit["outcome"], tname=kit["time"], gname=kit["group"], idname=kit["unit"],
        xformla=("~" + "+".join(kit["controls"])) if kit["controls"] else None,
        control_group={"never": "nevertreated", "not_yet": "notyettreated"}[kit["control"]],
        est_method=kit["method"], base_period=kit["base_period"],
        anticipation=kit["anticipation"], weightsname=kit["weights"],
        clustervars=[kit["cluster"]] if kit["cluster"] else None,
        panel=kit["panel"], allow_unbalanced_panel=kit["allow_unbalanced_panel"],
        boot=False, cband=False,
    )
    if not kit["panel"]:
        # R: panel = FALSE -> every row its own unit (.rowid, pre_process_did.R l.489-491)
        args["idname"] = None
    elif design["unbalanced"]:
        # R-SEMANTICS (d): pre_process_did.R l.392-412 -- an unbalanced panel with
        # allow_unbalanced_panel = TRUE switches to the repeated-cross-section estimators
        # (panel <- FALSE) keyed by the unit id (.rowid <- idname, l.494), the per-row
        # influence function scaled by n / n1 and summed by unit (compute.att_gt.R l.930,
        # l.987-1006). moderndid's own panel=True route crashes on an unbalanced panel; its
        # panel=False route with idname and allow_unbalanced_panel=True is exactly R's.
        args["panel"] = False
    return args


# =====================================================================================
# Estimation
# =====================================================================================


def _quiet(fn, *a, **k):
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return fn(*a, **k)


def run_moderndid(df: pd.DataFrame, kit: dict):
    """ATT(g,t) of R did 2.5.1 via moderndid (+ R-SEMANTICS fixes). Returns (MP, unit info)."""
    design = r_design(df, kit)
    args = moderndid_args(kit, design)
    mp = _quiet(att_gt, df, **args)
    dp = _LAST.pop("dp")
    tid = dp.time_invariant_data.to_pandas()
    idcol = dp.config.idname
    if design["unbalanced"]:
        # influence-function rows are the sorted unit ids (np.unique); R's aggte takes each
        # unit's mean row (compute.aggte.R l.224-225: aggregate(data, id, mean)) for the
        # group and the weight of the aggregation shares.
        tid = tid.sort_values(idcol, kind="stable").reset_index(drop=True)
        if kit["weights"]:
            wmean = df.groupby(kit["unit"])[kit["weights"]].mean()
            mp = mp._replace(weights_ind=wmean.reindex(tid[idcol]).to_numpy())
        mp = mp._replace(G=tid[kit["group"]].to_numpy())
    elif kit["weights"]:
        # R-SEMANTICS (e): compute.aggte.R l.260, l.270 -- aggte's group shares are
        # ``pg <- mean(weights.ind * (G == g))`` with ``weights.ind <- dta$.w``, the sampling
        # weights of the first period (panel) or of each row (repeated cross sections).
        # moderndid looks for the raw weights column in its unit table, where only the
        # normalised "weights" column exists, and silently uses equal weights instead.
        # (The normalisation cancels in pg / sum(pg) and in the weights' influence function.)
        mp = mp._replace(weights_ind=tid["weights"].to_numpy())
    if design["latest_no_never"] is not None and kit["control"] == "not_yet":
        # R-SEMANTICS (f): pre_process_did.R l.278-281 -- without never-treated units and with
        # "notyettreated", R drops the periods >= latest_g - anticipation (as moderndid does)
        # AND removes the latest cohort from glist: it only serves as the comparison group and
        # gets no ATT(g,t). moderndid estimates that cohort's cells; they are removed here.
        keep = mp.groups < design["latest_no_never"]
        mp = mp._replace(groups=mp.groups[keep], times=mp.times[keep], att_gt=mp.att_gt[keep],
                         se_gt=mp.se_gt[keep], influence_func=mp.influence_func[:, keep],
                         vcov_analytical=mp.vcov_analytical[np.ix_(keep, keep)])
    cl = tid[kit["cluster"]].to_numpy() if kit["cluster"] else None
    assert mp.influence_func.shape[0] == len(tid) == mp.n_units
    return mp, cl, design


def expected_cells(design: dict, kit: dict) -> set:
    tl = design["tlist"] if kit["base_period"] == "universal" else design["tlist"][1:]
    return {(int(g), int(t)) for g in design["glist"] for t in tl}


def reference_rows(cid: str, cfg: dict, df: pd.DataFrame) -> tuple[list[dict], dict]:
    kit = cfg["kit"]
    rows, info = _reference_rows(cid, cfg, df)
    design = r_design(df, kit)
    info["moderndid_fixes"] = moderndid_fixes(df, kit, design)
    if affected_by_drdid_rc_sign(kit, design):
        with alt_drdid_rc():
            alt, _ = _reference_rows(cid, cfg, df)
        assert len(alt) == len(rows)
        for r, q in zip(rows, alt, strict=True):
            assert (r["table"], r["key"], r["time"]) == (q["table"], q["key"], q["time"])
            assert abs(r["estimate"] - q["estimate"]) < 1e-12
            r["se_alt"] = q["se"]
        info["se_alt"] = "DRDID drdid_rc sign convention of csdid/drdid-py (see README)"
    return rows, info


def _reference_rows(cid: str, cfg: dict, df: pd.DataFrame) -> tuple[list[dict], dict]:
    kit = cfg["kit"]
    mp, cl, design = run_moderndid(df, kit)
    cells = {(int(g), int(t)) for g, t in zip(mp.groups, mp.times, strict=True)}
    exp = expected_cells(design, kit)
    assert cells == exp and len(mp.groups) == len(exp), (cid, sorted(cells ^ exp))
    assert np.isfinite(mp.att_gt).all(), cid  # R aggte would stop on NA ATT(g,t)
    se = cluster_se(mp.influence_func, cl) if cl is not None else mp.se_gt
    rows = []
    for g, t, a, s in zip(mp.groups, mp.times, mp.att_gt, se, strict=True):
        rows.append(dict(config=cid, table="attgt", key=int(g), time=int(t),
                         estimate=float(a), se=float(s)))
    if kit["base_period"] == "universal":  # (h) the reference cell: 0 with NA se
        ref = [r for r in rows if r["time"] == max(
            t for t in design["tlist"] if t < r["key"] - kit["anticipation"])]
        assert all(r["estimate"] == 0 and np.isnan(r["se"]) for r in ref), cid
    skipped = {}
    post_groups = {g for g, t in zip(mp.groups, mp.times, strict=True) if t >= g}
    for typ, opt in cfg["aggregations"]:
        if typ == "group" and set(mp.groups) - post_groups:
            # R: compute.aggte.R l.330-350, l.779 -- a group without post-treatment ATT(g,t) (first
            # treated after the last period but kept by anticipation) gives an empty
            # selection and get_agg_inf_func() stops ("No valid att_gt() estimates").
            skipped[f"group{_optlabel(opt)}"] = "R aggte stops: a group has no post-treatment cell"
            continue
        res = _quiet(aggte, mp, type=typ, cband=False, **opt)
        optcols = {k: opt.get(k, np.nan) for k in OPTS}
        if typ != "simple":
            ses = (cluster_se(res.influence_func, cl) if cl is not None
                   else np.asarray(res.se_by_event, dtype=float))
            for k, a, s in zip(res.event_times, res.att_by_event, ses, strict=True):
                rows.append(dict(config=cid, table=typ, key=int(k), time=np.nan,
                                 estimate=float(a), se=float(s), **optcols))
        s_all = cluster_se(res.influence_func_overall, cl) if cl is not None else res.overall_se
        rows.append(dict(config=cid, table=typ, key="overall", time=np.nan,
                         estimate=float(res.overall_att), se=float(s_all), **optcols))
    if kit["base_period"] == "universal":  # (h) dynamic e = -1 - anticipation: 0 with NA se
        e_ref = -1 - kit["anticipation"]
        ref = [r for r in rows if r["table"] == "dynamic" and r["key"] == e_ref]
        assert any(r["min_e"] != r["min_e"] for r in ref), cid  # the default dynamic has it
        assert all(r["estimate"] == 0 and np.isnan(r["se"]) for r in ref), cid
    return rows, {"r_groups": [int(g) for g in design["glist"]],
                  "r_periods": [int(t) for t in design["tlist"]],
                  "r_unbalanced_switch": bool(design["unbalanced"]),
                  "r_aggte_errors": skipped}


def _optlabel(opt: dict) -> str:
    return "".join(f",{k}={v}" for k, v in opt.items())


# ---------------------------------------------------------------- csdid cross-check


def csdid_rows(cid: str, cfg: dict, df: pd.DataFrame) -> list[dict]:
    from csdid.att_gt import ATTgt

    kit = cfg["kit"]
    o = _quiet(
        ATTgt, yname=kit["outcome"], tname=kit["time"],
        idname=kit["unit"] if kit["panel"] else None, gname=kit["group"], data=df.copy(),
        control_group={"never": "nevertreated", "not_yet": "notyettreated"}[kit["control"]],
        xformla=("~" + "+".join(kit["controls"])) if kit["controls"] else None,
        panel=kit["panel"], allow_unbalanced_panel=kit["allow_unbalanced_panel"],
        clustervar=kit["cluster"], weights_name=kit["weights"],
        anticipation=kit["anticipation"], cband=False,
    )
    _quiet(o.fit, est_method=kit["method"], base_period=kit["base_period"], bstrap=False)
    r = o.results
    cells = zip(r["group"], r["year"], r["att"], r["se"], strict=True)
    rows = [dict(config=cid, table="attgt", key=int(g), time=int(t), estimate=float(a),
                 se=float(s)) for g, t, a, s in cells]
    for typ, opt in cfg["aggregations"]:
        optcols = {k: opt.get(k, np.nan) for k in OPTS}
        try:
            _quiet(o.aggte, typec=typ, **opt)
        except Exception:  # noqa: BLE001 - recorded as missing rows
            continue
        a = o.atte
        if typ != "simple":
            for k, e, s in zip(a["egt"], a["att_egt"], a["se_egt"], strict=True):
                rows.append(dict(config=cid, table=typ, key=int(k), time=np.nan,
                                 estimate=float(e), se=float(s), **optcols))
        rows.append(dict(config=cid, table=typ, key="overall", time=np.nan,
                         estimate=float(a["overall_att"]), se=float(a["overall_se"]), **optcols))
    return rows


def crosscheck(ref: pd.DataFrame, cs: pd.DataFrame) -> pd.DataFrame:
    keys = ["config", "table", "key", "time", *OPTS]
    a, b = ref.copy(), cs.copy()
    for d in (a, b):
        d["key"] = d["key"].astype(str)
        d[["time", *OPTS]] = d[["time", *OPTS]].fillna(-999)
    m = a.merge(b, on=keys, how="outer", suffixes=("", "_cs"), indicator=True)
    m["d_est"] = (m["estimate"] - m["estimate_cs"]).abs()
    nan_mismatch = m["se"].isna() != m["se_cs"].isna()
    m["d_se"] = (m["se"] - m["se_cs"]).abs().where(~nan_mismatch, np.inf)
    m["r_se"] = m["d_se"] / m["se"].abs()
    m["r_se_alt"] = (m["se_alt"] - m["se_cs"]).abs() / m["se_alt"].abs()
    m["agg"] = m["table"] + m[list(OPTS)].apply(
        lambda r: "".join(f",{k}={v:g}" for k, v in r.items() if v != -999), axis=1)
    out = m.groupby(["config", "agg"], sort=False).agg(
        rows=("estimate", "size"),
        only_reference=("_merge", lambda s: int((s == "left_only").sum())),
        only_csdid=("_merge", lambda s: int((s == "right_only").sum())),
        max_abs_diff_estimate=("d_est", "max"), max_abs_diff_se=("d_se", "max"),
        max_rel_diff_se=("r_se", "max"), max_rel_diff_se_alt=("r_se_alt", "max"),
    ).reset_index().rename(columns={"agg": "table"})
    kits = {cid: c["kit"] for cid, c in build_configs().items()}

    def why(r):
        k = kits[r["config"]]
        if r["max_abs_diff_estimate"] <= 1e-10 and r["max_rel_diff_se"] <= 1e-8:
            return ""
        if k["anticipation"] >= 2 and k["base_period"] == "varying":
            return ("csdid: pre-treatment cells g-anticipation <= t < g use base g-1-anticipation;"
                    " R (compute.att_gt.R l.325-339) uses t-1 under the varying base")
        if r["max_rel_diff_se_alt"] <= 1e-8:
            return "drdid_rc influence-function sign (se_alt matches csdid)"
        return "UNEXPLAINED"

    out["explanation"] = out.apply(why, axis=1)
    assert not (out["explanation"] == "UNEXPLAINED").any(), out[out["explanation"] == "UNEXPLAINED"]
    return out


# =====================================================================================


def main() -> None:
    assert moderndid.__version__ == "0.2.0", moderndid.__version__
    base = mpdta()
    datasets = {**mpdta_variants(base), **panel2()}
    for name, d in datasets.items():
        d.to_csv(HERE / f"{name}.csv", index=False)  # float repr: exact round trip
    cfgs = build_configs()
    cache: dict[str, pd.DataFrame] = {}
    rows, cs_rows, meta = [], [], {}
    for cid, cfg in cfgs.items():
        path = cfg["dataset"]
        if path not in cache:  # estimate on exactly what the tests will read
            cache[path] = pd.read_csv(ROOT / path)
        df = cache[path]
        r, info = reference_rows(cid, cfg, df)
        rows += r
        meta[cid] = info
        try:
            cs_rows += csdid_rows(cid, cfg, df)
        except Exception as e:  # noqa: BLE001
            meta[cid]["csdid_error"] = f"{type(e).__name__}: {e}"
        print(f"{cid}: {len(r)} rows", file=sys.stderr)
    res = pd.DataFrame(rows, columns=["config", "table", "key", "time", "estimate", "se", "se_alt",
                                      *OPTS])
    res["time"] = res["time"].astype("Int64")
    for k in OPTS:
        res[k] = res[k].astype("Int64")
    res.to_csv(HERE / "results.csv", index=False)
    cs = pd.DataFrame(cs_rows)
    crosscheck(res.astype({"time": float, **{k: float for k in OPTS}}), cs).to_csv(
        HERE / "crosscheck.csv", index=False)
    out = {}
    for cid, cfg in cfgs.items():
        kit = cfg["kit"]
        design = r_design(cache[cfg["dataset"]], kit)
        out[cid] = {
            "dataset": cfg["dataset"],
            "kit": kit,
            "moderndid": {k: v for k, v in moderndid_args(kit, design).items()},
            "aggregations": [{"type": t, **o} for t, o in cfg["aggregations"]],
            **meta[cid],
        }
    (HERE / "configs.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
