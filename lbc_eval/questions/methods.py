r"""How good are the estimators? Bias and interval coverage over many synthetic seeds, under the
generator's assumptions and where real data would break them; and the published replication.

:func:`coverage_study` simulates one cohort per seed and *scenario*, runs each question's
estimators and compares every estimate with the truth its interval is meant to cover;
:func:`summarise` reports, per scenario and estimator, bias and RMSE with their Monte Carlo
standard errors, the mean standard error beside the spread of the estimates, coverage and the
rejection rate of a true null. :func:`mpdta_replication` compares
:func:`lbc_eval.estimation.did.fit_did` with the ATT(g,t) R ``did`` publishes for ``mpdta``.

Which truth
-----------
An interval is judged against what it estimates. The within-child and supply-IV dose effects
(Q1) target the average marginal effect of one more contact, which the generator computes for
the sample from its potential outcomes (over thousands of child-terms it is the population
value to within a small fraction of a standard error). The staggered DiD (Q3) standard errors
target the *population* ATT, while the generator's truth is the *sample* ATT of the children it
drew; against a sample truth an interval covers more often than it should, whatever its quality.
So Q3 is judged where the truth is exact: in scenarios with no policy effect
(``move_hazard_policy=0``) every ATT is exactly 0, and coverage is one minus the rejection rate
of a true null. Scenarios with an effect report Q3's bias against the sample ATT only.

The scenarios (:data:`SCENARIOS`) include each design's weak point: mentors who give more
contacts in a child's bad term (``targeting_feedback``; Q1), shocks shared by the children of one
destination (``destination_shock_sd``; Q3), a school trend that goes with training uptake
(``training_trend``; Q2), and few schools.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data import labels
from lbc_eval.data.resources import reference_path
from lbc_eval.errors import FewClustersWarning

#: No effect of mentoring on any outcome (an exact null for Q1).
NO_DOSE_EFFECT = {"dose_max_sdq": 0.0, "dose_max_attendance": 0.0, "dose_max_math": 0.0,
                  "dose_max_chinese": 0.0}  # fmt: skip

#: Scenario -> (generator knobs, what it stresses). Each runs on the ``small`` preset.
SCENARIOS: dict[str, tuple[dict[str, Any], str]] = {
    "default": ({}, "the generator's assumptions hold"),
    "no policy effect": ({"move_hazard_policy": 0.0}, "Q3 under an exact null"),
    "destination shocks, no policy effect": (
        {"destination_shock_sd": 0.7, "move_hazard_policy": 0.0},
        "Q3: shocks shared by a destination's children (log-odds SD 0.7), exact null",
    ),
    "feedback, no mentoring effect": (
        {"targeting_feedback": 0.4, **NO_DOSE_EFFECT},
        "Q1: contacts respond to the child's bad term (0.4), exact null",
    ),
    "school trend": ({"training_trend": 0.3}, "Q2: schools that train early also improve"),
    "few schools": ({"n_schools": 8}, "8 schools instead of 12"),
}


def _q1(data: Any, seed: int, reps: int) -> list[pd.DataFrame]:
    """Q1: the within-child AME (wild bootstrap), the supply-IV AME and the naive slope."""
    from lbc_eval.questions.mentoring import fit_dose_response_methods

    truth = data.truth["dose_response"]["sdq_total"]["ame"]
    out = []
    both = fit_dose_response_methods(data, outcome="sdq_total", reps=reps, seed=seed)
    for method in ("within", "supply_iv"):
        r = both[method]
        t = r.tidy()
        keep = ["ame", "ame_naive"] if method == "within" else ["ame"]
        t = t[t["term"].isin(keep)].copy()
        t["truth"] = truth
        t["estimator"] = np.where(t["term"] == "ame_naive", "Q1 naive cross-section",
                                  f"Q1 {method} AME")  # fmt: skip
        t["diagnostics_failed"] = int((r.diagnostics["passed"] == False).sum())  # noqa: E712
        out.append(t)
    return out


def _q2(data: Any, seed: int, reps: int) -> list[pd.DataFrame]:
    """Q2: the school-effects and naive trained-share effects on math."""
    from lbc_eval.questions.training import fit_training

    r = fit_training(data, outcome="math", multilevel=None, reps=reps, seed=seed)
    t = r.tidy()
    t = t[t["term"].isin(["trained_share", "trained_share:naive"])].copy()
    t["truth"] = data.truth["training"]["math"]["overall"]
    t["estimator"] = np.where(t["term"] == "trained_share", "Q2 school FE",
                              "Q2 naive cross-section")  # fmt: skip
    t["diagnostics_failed"] = int((r.diagnostics["passed"] == False).sum())  # noqa: E712
    return [t]


def _q3(data: Any, seed: int, reps: int) -> list[pd.DataFrame]:
    """Q3: Callaway-Sant'Anna (default inference) overall and by event time; TWFE leads."""
    from lbc_eval.questions.enrolment import fit_policy, fit_policy_twfe

    res = fit_policy(data, outcome="moved", seed=seed)
    failed = int((res.diagnostics["passed"] == False).sum())  # noqa: E712
    frames = []
    for kind, name in (("simple", "Q3 CS simple ATT"), ("dynamic", "Q3 CS dynamic")):
        agg = res.aggregate(kind).vs_truth(data.truth)
        if kind == "dynamic":
            e = pd.to_numeric(agg["event_time"]).astype("Float64").to_numpy(float, na_value=np.nan)
            agg = agg.assign(estimator=np.where(np.isnan(e), "Q3 CS dynamic overall", np.where(
                e >= 0, "Q3 CS, e >= 0", "Q3 CS, e < 0 (placebo)")))  # fmt: skip
        else:
            agg = agg.assign(estimator=name)
        frames.append(agg.assign(diagnostics_failed=failed))
    tw = fit_policy_twfe(data, outcome="moved").vs_truth(data.truth)
    tw = tw[tw["event_time"] < 0].assign(estimator="Q3 TWFE leads (placebo)",
                                         diagnostics_failed=0)  # fmt: skip
    frames.append(tw)
    return frames


STUDIES: dict[str, Callable[[Any, int, int], list[pd.DataFrame]]] = {
    "Q1": _q1,
    "Q2": _q2,
    "Q3": _q3,
}

COLUMNS = ["scenario", "seed", "estimator", "term", "estimate", "std_error", "conf_low",
           "conf_high", "truth", "error", "covered", "diagnostics_failed"]  # fmt: skip


def coverage_study(
    seeds: Iterable[int],
    *,
    scenarios: Iterable[str] = ("default",),
    questions: Iterable[str] = ("Q1", "Q2", "Q3"),
    reps: int = 399,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Every estimator against its truth, one synthetic ``small`` cohort per seed and scenario.

    Parameters
    ----------
    seeds : iterable of int
    scenarios : iterable of str
        Keys of :data:`SCENARIOS`.
    questions : iterable of str
        Any of ``"Q1"``, ``"Q2"``, ``"Q3"``.
    reps : int
        Wild-bootstrap draws of the Q1/Q2 estimators (Q3 uses its default).
    progress : callable, optional
        Called with a line after each cohort.

    Returns
    -------
    DataFrame
        One row per scenario, seed, estimator and estimate: :data:`COLUMNS`. ``covered`` is
        NA for Q3 estimates judged against a sample truth (scenarios with a policy effect).
    """
    from lbc_eval import SynthSpec, simulate

    frames = []
    for scenario in scenarios:
        knobs, _ = SCENARIOS[scenario]
        for seed in seeds:
            cohort = simulate(SynthSpec.preset("small", seed=int(seed), **knobs))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FewClustersWarning)
                warnings.simplefilter("ignore", UserWarning)
                for q in questions:
                    for f in STUDIES[q](cohort, int(seed), reps):
                        frames.append(f.assign(seed=int(seed), scenario=scenario))
            if progress:
                progress(f"{scenario}: seed {seed} done")
    out = pd.concat(frames, ignore_index=True)
    out["error"] = out["estimate"] - out["truth"]
    covered = (out["conf_low"] <= out["truth"]) & (out["truth"] <= out["conf_high"])
    sample_truth = out["estimator"].str.startswith("Q3 CS") & (out["truth"] != 0)
    out["covered"] = covered.astype("boolean").mask(sample_truth)
    return out[COLUMNS]


def summarise(study: pd.DataFrame) -> pd.DataFrame:
    r"""Per scenario and estimator: bias, RMSE, spread, standard errors, coverage, with Monte
    Carlo standard errors.

    Notes
    -----
    Over the :math:`n` estimates of a row: bias :math:`\bar e` with Monte Carlo SE
    :math:`s_e/\sqrt n`; RMSE :math:`\sqrt{\overline{e^2}}`; ``sd_estimate`` the spread of the
    estimates, to set beside ``mean_se`` (an honest standard error has ``mean_se`` close to it);
    coverage :math:`\hat c`, the share of intervals that contain the truth, with the Monte Carlo
    SE it would have if the intervals were right, :math:`\sqrt{0.95 \cdot 0.05/n}` (so that
    "within two of 0.95" is a test of nominal coverage); ``rejects_null`` the share of intervals
    excluding a true zero (NaN where the truth is not an exact zero); ``diagnostics_failed``
    the share of results with at least one failed diagnostic.
    """
    g = study.groupby(["scenario", "estimator"], sort=False)
    n = g.size()
    cov = g["covered"].apply(lambda s: s.dropna().astype(float).mean() if s.notna().any()
                             else np.nan)  # fmt: skip
    n_cov = g["covered"].apply(lambda s: int(s.notna().sum()))
    null = study.assign(_rej=(~study["covered"].astype("boolean")).where(study["truth"] == 0))
    out = pd.DataFrame(
        {
            "estimates": n,
            "bias": g["error"].mean(),
            "bias_mc_se": g["error"].std() / np.sqrt(n),
            "rmse": g["error"].apply(lambda e: float(np.sqrt(np.mean(e**2)))),
            "sd_estimate": g["estimate"].std(),
            "mean_se": g["std_error"].mean(),
            "coverage": cov,
            "coverage_mc_se": np.sqrt(0.95 * 0.05 / n_cov.where(n_cov > 0)),
            "rejects_null": null.groupby(["scenario", "estimator"], sort=False)["_rej"].apply(
                lambda s: s.dropna().astype(float).mean() if s.notna().any() else np.nan
            ),
            "diagnostics_failed": g["diagnostics_failed"].apply(lambda s: float((s > 0).mean())),
        }
    )
    return out.reset_index()


def verdicts(
    summary: pd.DataFrame, *, nominal: float = 0.95, k: float = 3.0, lang: str = "en"
) -> list[str]:
    """One sentence per row of :func:`summarise`, computed from its numbers: is the bias
    distinguishable from zero, is coverage consistent with ``nominal``, each judged at ``k``
    Monte Carlo standard errors. The table has dozens of rows: at two standard errors about one
    row in twenty would be flagged by chance alone, at three about one in four hundred.
    ``lang``: ``"en"`` or ``"zh"`` (scenario and estimator by their labels)."""
    labels.check_lang(lang)
    return [_verdict(row, nominal, k, zh=lang == "zh") for row in summary.itertuples(index=False)]


def _verdict(row: Any, nominal: float, k: float, *, zh: bool) -> str:
    if zh:
        head = (f"{labels.value_label('scenario', row.scenario, 'zh')} · "
                f"{labels.value_label('estimator', row.estimator, 'zh')}：")  # fmt: skip
    else:
        head = f"{row.scenario} · {row.estimator}: "
    if row.estimates < 3:
        return head + (f"只有 {row.estimates} 个估计，太少，不作判断。" if zh
                       else f"{row.estimates} estimate(s), too few to judge.")  # fmt: skip
    far = abs(row.bias) > k * row.bias_mc_se
    b = f"{row.bias:+.3f}".replace("-0.000", "+0.000")
    if zh:
        bias = (f"偏差 {b}（蒙特卡洛标准误 {row.bias_mc_se:.3f}），"
                + ("与 0 有可区分的差异" if far else "与 0 没有可区分的差异"))  # fmt: skip
    else:
        judged = "distinguishable from zero" if far else "not distinguishable from zero"
        bias = f"bias {row.bias:+.3f} (MC SE {row.bias_mc_se:.3f}), {judged}"
    if np.isnan(row.coverage):
        cover = "覆盖率不作评价（真实值为样本值）" if zh else "coverage not judged (sample truth)"
        return head + (f"{bias}；{cover}。" if zh else f"{bias}; {cover}.")
    ok = abs(row.coverage - nominal) <= k * row.coverage_mc_se
    if zh:
        side = "" if ok else ("（区间过窄）" if row.coverage < nominal else "（区间过宽）")
        fits = f"与 {nominal:.2f} 相符" if ok else f"与 {nominal:.2f} 不符"
        mc = f"蒙特卡洛标准误 {row.coverage_mc_se:.2f}"
        cover = f"覆盖率 {row.coverage:.2f}（{mc}），{fits}{side}"
        return head + f"{bias}；{cover}。"
    side = "" if ok else (" (too narrow)" if row.coverage < nominal else " (too wide)")
    fits = "consistent with" if ok else "not consistent with"
    mc = f"MC SE {row.coverage_mc_se:.2f}"
    cover = f"coverage {row.coverage:.2f} ({mc}), {fits} {nominal:.2f}{side}"
    return head + f"{bias}; {cover}."


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
            "estimate": "ours",
            "std_error_x": "published_se",
            "std_error_y": "our_se",
        }
    )
    out.attrs["pretest_p"] = ours.pretest()["p_value"]
    return out[["group", "time", "published", "ours", "same_to_4_decimals", "published_se",
                "our_se", "se_ratio"]]  # fmt: skip
