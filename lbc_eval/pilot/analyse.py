r"""Analyse the pilot year exactly as registered: ITT, randomisation inference, the family-wise
adjustment, attrition by arm and every deviation from the plan.

:func:`analyse` reads a :class:`~lbc_eval.pilot.register.PilotSpec` (or its ``spec.json``),
recomputes its hash, and on the pilot year's cohort runs the registered regression for every
outcome of the family (:func:`lbc_eval.fit_fe`: stratum fixed effects, the child's baseline
outcome, CRV1 by school and the restricted wild cluster bootstrap), the randomisation
p-values and interval from the registered procedure (:mod:`lbc_eval.pilot.ri`), the
registered family-wise
adjustment (:func:`lbc_eval.holm` or :func:`lbc_eval.romano_wolf`), attrition by arm against
the registered rule, and the deviation report (:mod:`lbc_eval.pilot.checks`).

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> from lbc_eval import pilot  # doctest: +SKIP
>>> spec = pilot.plan(assignment, outcome="sdq_total", effect_of_interest=0.2)  # doctest: +SKIP
>>> res = pilot.analyse(pilot_year_cohort, spec)  # doctest: +SKIP
>>> res.tidy(), res.tables["attrition"], res.tables["deviations"]  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.errors import EstimationError, FewClustersWarning
from lbc_eval.estimation.fe import fit_fe
from lbc_eval.estimation.inference.multiple import holm, romano_wolf
from lbc_eval.estimation.results import Result, diagnostics_frame
from lbc_eval.pilot.checks import attrition, deviation_rows, follow_up_frame
from lbc_eval.pilot.randomise import RI_STREAM, draws, stream
from lbc_eval.pilot.register import PilotSpec
from lbc_eval.pilot.ri import Stats, interval, p_value, parts
from lbc_eval.pilot.text import bilingual

#: The extra columns of the result's tidy table, after the standard ones.
EXTRA_COLUMNS = ("role", "estimate_sd", "sd_baseline", "p_value_ri", "p_value_wild",
                 "p_value_crv1", "p_adjusted", "conf_low_wild", "conf_high_wild",
                 "conf_low_crv1", "conf_high_crv1", "nobs", "n_schools")  # fmt: skip


def load_spec(spec: PilotSpec | str | Path) -> PilotSpec:
    """A spec object as is; a path (``spec.json`` or its folder) read from disk."""
    return spec if isinstance(spec, PilotSpec) else PilotSpec.read(spec)


def analyse(
    data: Any,
    spec: PilotSpec | str | Path,
    *,
    registered_hash: str | None = None,
    delivered: Mapping[str, str] | pd.DataFrame | None = None,
) -> Result:
    r"""Run the registered analysis on the pilot year's cohort.

    Parameters
    ----------
    data : Cohort or DataFrame
        The cohort (or panel) holding the baseline and the follow-up term.
    spec : PilotSpec or path
        As :func:`lbc_eval.pilot.plan` returned it, or its ``spec.json`` (or folder).
    registered_hash : str, optional
        The hash published at registration; a different spec is a deviation.
    delivered : mapping or DataFrame, optional
        The arm each school actually received (``school_id`` -> arm, or a table with
        ``school_id`` and ``arm``); schools that differ from the assignment are a deviation.
        The analysis stays intention to treat: assigned arms.

    Returns
    -------
    Result
        One row per outcome of the family (primary first), term ``itt``: ``estimate`` (outcome
        units), ``std_error`` (CRV1 by school), ``p_value`` = the randomisation p-value (the
        registered primary test), ``conf_low``/``conf_high`` the randomisation interval (the
        constant effects that test keeps); then :data:`EXTRA_COLUMNS`: ``estimate_sd``
        (÷ ``sd_baseline``), ``p_value_ri``, ``p_value_wild``, ``p_value_crv1``, the wild
        bootstrap's and CRV1 :math:`t(J-1)` intervals,
        ``p_adjusted`` (family-wise, on the randomisation p-values). ``diagnostics``: one row
        per deviation check (``passed`` False = a deviation), ``attrition`` and
        ``randomisation``. ``tables``: ``deviations``, ``attrition``, ``balance`` (registered)
        and ``randomisation``. ``raw``: ``fits`` (the :func:`lbc_eval.fit_fe` result per
        outcome), ``spec`` and ``ri_draws`` (each outcome's :math:`t^*_r`). On
        synthetic data :meth:`Result.vs_truth` compares with ``truth["pilot"]``.

    Notes
    -----
    Child :math:`i` at follow-up in school :math:`j` (a registered school; others are left
    out and reported) has arm :math:`T_j` (registered), stratum :math:`k(j)` and baseline
    outcome :math:`Y^0_{ij}` (its value in the baseline term; 0 with :math:`M_{ij} = 1` when
    missing). The regression, the intervals and the randomisation p-value are those of
    :func:`lbc_eval.pilot.plan`. Randomisation draws :math:`Z^*_1..Z^*_R` come from
    :func:`lbc_eval.pilot.randomise.draws` on the registered design with the seed's inference
    stream, the same draws for every outcome. Holm adjusts the randomisation p-values;
    Romano–Wolf steps down on the studentised :math:`|t_o|` against the joint draws
    (Westfall–Young max-T on the randomisation distribution).
    """
    spec = load_spec(spec)
    c = spec.content
    panel = data.panel if hasattr(data, "panel") else data
    if not isinstance(panel, pd.DataFrame):
        raise EstimationError("analyse needs a Cohort or a panel DataFrame")
    est = c["estimator"]
    design = spec.design()
    arms = spec.arms()
    treated_arm = c["randomisation"]["arms"][1]
    frame, found = follow_up_frame(panel, spec)
    dev = deviation_rows(spec, found, registered_hash=registered_hash, delivered=delivered)
    school_index = {s: i for i, s in enumerate(design.schools)}
    stratum = np.unique(np.asarray(design.strata), return_inverse=True)[1]
    z_obs = np.array([arms[s] == treated_arm for s in design.schools])
    Z, tried = draws(design, stream(c["randomisation"]["seed"], RI_STREAM), est["ri_reps"])
    rows, fits, ri_draws = [], {}, {}
    for o in spec.family:
        if o not in found["outcomes"]:
            continue
        fit, sub, controls = _fit(frame, o, est)
        fits[o] = fit
        school = sub["school_id"].map(school_index).to_numpy()
        x = sub[controls].to_numpy(float)
        pr = parts(sub[o].to_numpy(float), x, school, stratum, len(design.schools))
        observed, redrawn = pr.stats(z_obs, z_obs), pr.stats(Z, z_obs)
        ri_draws[o] = redrawn.t()
        ri_ci = interval(observed, redrawn, alpha=float(est["alpha"]),
                         scale=float(fit.table["std_error"].iloc[0]))  # fmt: skip
        rows.append(_row(fit, o, observed, ri_draws[o], ri_ci, est, found["sd"].get(o, np.nan),
                         role="primary" if o == spec.outcome else "secondary"))  # fmt: skip
    if not rows:
        raise EstimationError(
            bilingual("登记的结局指标在随访学期都缺失，无法分析",
                      "every registered outcome is missing at follow-up: nothing to analyse"),
        )  # fmt: skip
    table = pd.DataFrame(rows)
    table["p_adjusted"] = _adjust(table, ri_draws, c["multiple_testing"]["method"])
    table = table[[*_TIDY, *EXTRA_COLUMNS]]
    att = attrition(panel, spec)
    primary = fits.get(spec.outcome) or next(iter(fits.values()))
    rand = pd.DataFrame([{"draws": int(Z.shape[0]), "candidates": int(tried),
                          "threshold": design.threshold, "seed": c["randomisation"]["seed"],
                          "stream": RI_STREAM}])  # fmt: skip
    how = "" if design.threshold is None else ", re-randomised"
    ri_row = {"check": "randomisation", "statistic": float(Z.shape[0]), "passed": pd.NA,
              "message": f"{Z.shape[0]:,} draws from the registered procedure "
                         f"({tried:,} candidates{how})"}  # fmt: skip
    diag = diagnostics_frame([*dev["diagnostics"], att["diagnostic"], ri_row])
    notes = [f"spec {spec.hash}", *dev["notes"], *primary.notes]
    return Result(
        estimator="pilot_itt",
        table=table.reset_index(drop=True),
        outcome=spec.outcome,
        nobs=int(primary.nobs),
        cov_type=(
            f"CRV1 by school_id; p_value and intervals: randomisation inference "
            f"({Z.shape[0]:,} draws; intervals by test inversion)"
        ),  # fmt: skip
        formula=f"{spec.outcome} ~ treated + baseline | stratum",
        n_clusters=primary.n_clusters,
        alpha=float(est["alpha"]),
        notes=tuple(notes),
        warnings=tuple(primary.warnings),
        raw={"fits": fits, "spec": spec, "ri_draws": ri_draws},
        diagnostics=diag,
        tables={
            "deviations": dev["table"],
            "attrition": att["table"],
            "balance": pd.DataFrame(c["balance"]),
            "randomisation": rand,
        },  # fmt: skip
        tests={"itt": primary.tests["treated"]},
        truth_lookup=_truth,
    )


_TIDY = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "outcome",
)


def _fit(
    frame: pd.DataFrame, o: str, est: Mapping[str, Any]
) -> tuple[Result, pd.DataFrame, list[str]]:
    """The registered regression of outcome ``o`` (always with the wild bootstrap, so both
    p-values are there), the rows it used and its controls."""
    sub = frame[frame[o].notna()].copy()
    sub[o] = sub[o].astype(float)
    base = sub[f"baseline_{o}"]
    sub["baseline"] = base.fillna(0.0).astype(float)
    sub["baseline_missing"] = base.isna().astype(float)
    controls = ["baseline"] if base.notna().any() else []
    if 0 < sub["baseline_missing"].sum() < len(sub):
        controls.append("baseline_missing")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FewClustersWarning)
        fit = fit_fe(sub, outcome=o, treatment="treated", fixed_effects="stratum",
                     controls=controls, cluster="school_id", inference="wild",
                     reps=int(est["reps"]), boot_weights=est["boot_weights"],
                     seed=int(est["bootstrap_seed"]), alpha=float(est["alpha"]))  # fmt: skip
    return fit, sub, controls


def _row(fit: Result, o: str, observed: Stats, t_draws: np.ndarray, ri_ci: tuple[float, float],
         est: Mapping[str, Any], sd: float, *, role: str) -> dict[str, Any]:  # fmt: skip
    r = fit.table.iloc[0]
    tau = float(observed.A[0])
    G = int(fit.n_clusters or 0)
    crit = stats.t.ppf(1 - float(est["alpha"]) / 2, G - 1)
    se = float(r["std_error"])
    if abs(tau - float(r["estimate"])) > 1e-6 * max(1.0, abs(tau)):  # pragma: no cover
        raise EstimationError(
            f"randomisation statistic {tau} differs from the fit's {r['estimate']}"
        )
    t = float(observed.t()[0])
    if abs(t - float(r["statistic"])) > 1e-6 * max(1.0, abs(t)):  # pragma: no cover
        raise EstimationError(f"randomisation t {t} differs from the fit's {r['statistic']}")
    p_ri = p_value(t, t_draws)
    return {
        "term": "itt", "estimate": tau, "std_error": se, "statistic": float(r["statistic"]),
        "p_value": p_ri, "conf_low": float(ri_ci[0]), "conf_high": float(ri_ci[1]),
        "outcome": o, "role": role, "estimate_sd": tau / sd if sd > 0 else np.nan,
        "sd_baseline": sd, "p_value_ri": p_ri, "p_value_wild": float(r["p_value"]),
        "p_value_crv1": float(2 * stats.t.sf(abs(float(r["statistic"])), G - 1)),
        "conf_low_wild": float(r["conf_low"]), "conf_high_wild": float(r["conf_high"]),
        "conf_low_crv1": tau - crit * se, "conf_high_crv1": tau + crit * se,
        "nobs": int(fit.nobs), "n_schools": G,
    }  # fmt: skip


def _adjust(table: pd.DataFrame, ri_draws: Mapping[str, np.ndarray], method: str) -> np.ndarray:
    """Family-wise adjusted randomisation p-values (Holm, or Romano–Wolf on the joint draws)."""
    if method == "holm":
        return holm(table["p_value_ri"].to_numpy())
    D = np.column_stack([ri_draws[o] for o in table["outcome"]])
    keep = np.isfinite(D).all(axis=1)
    return romano_wolf(table["statistic"].to_numpy(), D[keep])


def _truth(truth: Mapping[str, Any], frame: pd.DataFrame) -> list[float]:
    """The pilot's true ITT for each row's outcome (``truth["pilot"]``), NaN when absent."""
    by = (truth.get("pilot") or {}).get("by_outcome", {})
    out = []
    for o in frame["outcome"]:
        v = by.get(o, {}).get("itt")
        out.append(float("nan") if v is None else float(v))
    return out
