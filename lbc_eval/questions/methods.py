"""How good are the estimators? Bias and interval coverage over many synthetic seeds, and the
published replication of the staggered DiD.

:func:`coverage_study` simulates a cohort per seed, runs each question's estimator, and compares
it with that cohort's truth; :func:`summarise` reports bias, RMSE, mean standard error, the
spread of the estimates and the coverage of the intervals. :func:`mpdta_replication` compares
:func:`lbc_eval.estimation.did.fit_did` with the ATT(g,t) R ``did`` publishes for ``mpdta``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.resources import reference_path
from lbc_eval.errors import FewClustersWarning


def _q1(data: Any, seed: int) -> list[pd.DataFrame]:
    """Q1 on cohort ``data``: the within-child AME (wild and CRV1) and the naive slope."""
    from lbc_eval.questions.mentoring import fit_dose_response

    out = []
    for inference in ("wild", "crv1"):
        r = fit_dose_response(data, outcome="sdq_total", inference=inference, reps=399, seed=seed)
        v = r.vs_truth(data.truth)
        v = v[v["term"].isin(["ame", "ame_naive"])].copy()
        v["truth"] = data.truth["dose_response"]["sdq_total"]["ame"]
        v["estimator"] = np.where(
            v["term"] == "ame", f"Q1 within-child AME ({inference})", "Q1 naive cross-section"
        )
        out.append(v if inference == "wild" else v[v["term"] == "ame"])
    return out


def _q2(data: Any, seed: int) -> list[pd.DataFrame]:
    """Q2 on cohort ``data``: the school-effects and naive trained-share effects on math."""
    from lbc_eval.questions.training import fit_training

    r = fit_training(data, outcome="math", multilevel=None, reps=399, seed=seed)
    v = r.vs_truth(data.truth)
    v = v[v["term"].isin(["trained_share", "trained_share:naive"])].copy()
    v["truth"] = data.truth["training"]["math"]["overall"]
    v["estimator"] = np.where(
        v["term"] == "trained_share", "Q2 school FE (wild bootstrap)", "Q2 naive cross-section"
    )
    return [v]


def _q3(data: Any, seed: int) -> list[pd.DataFrame]:
    """Q3 on cohort ``data``: Callaway-Sant'Anna by event time and the TWFE event study."""
    from lbc_eval.questions.enrolment import fit_policy, fit_policy_twfe

    dyn = fit_policy(data, outcome="moved").aggregate("dynamic").vs_truth(data.truth)
    dyn = dyn[dyn["event_time"].notna()]
    cs = dyn[dyn["event_time"] >= 0].assign(estimator="Q3 Callaway-Sant'Anna, e >= 0")
    cs_pre = dyn[dyn["event_time"] < 0].assign(estimator="Q3 Callaway-Sant'Anna, e < 0")
    tw = fit_policy_twfe(data, outcome="moved").vs_truth(data.truth)
    tw = tw[tw["event_time"] >= -5].copy()
    tw["estimator"] = np.where(
        tw["event_time"] >= 0, "Q3 TWFE event study, e >= 0", "Q3 TWFE event study, e < 0"
    )
    return [cs, cs_pre, tw]


STUDIES: dict[str, Callable[[Any, int], list[pd.DataFrame]]] = {"Q1": _q1, "Q2": _q2, "Q3": _q3}


def coverage_study(
    seeds: Iterable[int],
    *,
    preset: str = "small",
    questions=("Q1", "Q2", "Q3"),
    progress: Callable[[str], None] | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Every estimator against the truth, one synthetic cohort per seed.

    Returns
    -------
    DataFrame
        One row per seed, estimator and estimate: ``seed, estimator, term, estimate,
        std_error, conf_low, conf_high, truth, error, covered``.
    """
    from lbc_eval import SynthSpec, simulate

    frames = []
    for seed in seeds:
        cohort = simulate(SynthSpec.preset(preset, seed=int(seed), **overrides))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FewClustersWarning)
            warnings.simplefilter("ignore", UserWarning)
            for q in questions:
                for f in STUDIES[q](cohort, int(seed)):
                    f = f.assign(seed=int(seed))
                    frames.append(f)
        if progress:
            progress(f"seed {seed} done")
    cols = [
        "seed",
        "estimator",
        "term",
        "estimate",
        "std_error",
        "conf_low",
        "conf_high",
        "truth",
        "error",
        "covered",
    ]
    out = pd.concat(frames, ignore_index=True)
    out["error"] = out["estimate"] - out["truth"]
    out["covered"] = (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"])
    return out[cols]


def summarise(study: pd.DataFrame) -> pd.DataFrame:
    """Per estimator: estimates, bias, RMSE, SD of the estimates, mean standard error, coverage.

    Notes
    -----
    bias = mean(estimate - truth); RMSE = sqrt(mean((estimate - truth)^2)); coverage = share of
    intervals containing the truth (nominal 0.95; with n estimates its Monte Carlo error is
    about sqrt(0.95 x 0.05 / n)).
    """
    g = study.groupby("estimator", sort=False)
    out = pd.DataFrame(
        {
            "estimates": g.size(),
            "bias": g["error"].mean(),
            "rmse": g["error"].apply(lambda e: float(np.sqrt(np.mean(e**2)))),
            "mean_se": g["std_error"].mean(),
            "coverage": g["covered"].mean(),
        }
    )
    out["coverage_mc_se"] = np.sqrt(0.95 * 0.05 / out["estimates"])
    return out.reset_index()


def mpdta_replication() -> pd.DataFrame:
    """Our ATT(g,t) on ``mpdta`` beside the ones R ``did`` publishes, with the SE ratio."""
    from lbc_eval.estimation.did import fit_did

    data = pd.read_csv(reference_path("mpdta.csv"))
    published = pd.read_csv(reference_path("mpdta_published.csv"))
    ours = fit_did(data, outcome="lemp", unit="countyreal", time="year", group="first.treat")
    t = ours.tidy()[["group", "time", "estimate", "std_error"]].astype({"group": int, "time": int})
    out = published.merge(t, on=["group", "time"])
    out["same_to_4_decimals"] = np.round(out["estimate"], 4) == out["att"]
    out["se_ratio"] = out["std_error_y"] / out["std_error_x"]
    out = out.rename(
        columns={
            "att": "published",
            "std_error_x": "published_se",
            "estimate": "ours",
            "std_error_y": "our_se",
        }
    )
    out.attrs["pretest_p"] = ours.pretest()["p_value"]
    return out[
        [
            "group",
            "time",
            "published",
            "ours",
            "same_to_4_decimals",
            "published_se",
            "our_se",
            "se_ratio",
        ]
    ]
