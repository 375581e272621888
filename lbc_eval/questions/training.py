r"""Question Q2: does teacher training raise outcomes where left-behind children study?

:func:`fit_training` estimates the effect of a school's trained-teacher share (or another
school-year exposure) on children's outcomes with school and year fixed effects, for
left-behind children and the others separately, and fits a multilevel model (children in
classes in schools) for the variance split and the intra-class correlations that power
calculations need.

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> c = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
>>> r = lbc_eval.fit_training(c, outcome="math")  # doctest: +SKIP
>>> r.tables["variance"]  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.cohort import Cohort
from lbc_eval.data.terms import academic_year, ordered_terms
from lbc_eval.errors import EstimationError, MissingDataError, NoVariationError
from lbc_eval.estimation.checks import as_list, check_columns
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.multilevel import sample_clusters
from lbc_eval.estimation.results import Result, diagnostics_frame
from lbc_eval.estimation.within import WithinFit, fit_within
from lbc_eval.questions.inputs import cohort_of
from lbc_eval.questions.training_checks import (
    lead_placebo,
    school_exposure,
    schools_check,
)

__all__ = ["fit_training"]


def training_frame(
    cohort: Cohort, treatment: str, unit: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The panel (only ``columns`` of it, with ``unit``, ``term`` and ``lb_status``, when
    given: a province's other columns would be copied for nothing) with the school-year
    ``treatment`` (matched on the academic year, the year of the term's autumn),
    ``left_behind`` (0/1, any parent away) and ``<treatment>:left_behind``; raises when no
    child-term matches a school-year."""
    x = school_exposure(cohort.schools, treatment, unit)
    panel = cohort.panel
    if columns is not None:
        panel = panel[list(dict.fromkeys([unit, "term", "lb_status", *columns]))]
    d = panel.assign(year=academic_year(panel["term"]))
    d = d.merge(x, on=[unit, "year"], how="left", validate="many_to_one")
    if d[treatment].isna().all():
        raise MissingDataError(
            f"no child-term matches a school-year with {treatment!r}: check that the schools "
            f"table covers the panel's schools and years"
        )
    d["left_behind"] = (d["lb_status"].astype("string") != "none").astype("float64")
    d.loc[d["lb_status"].isna(), "left_behind"] = np.nan
    d[f"{treatment}:left_behind"] = d[treatment] * d["left_behind"]
    return d


def fit_training(
    data: Cohort,
    *,
    outcome: str = "math",
    treatment: str = "trained_share",
    unit: str = "school_id",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    by_left_behind: bool = True,
    multilevel: str | None = "last",
    classes: str | None = "class_id",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> Result:
    r"""Effect of a school's teacher-training exposure on children's outcomes.

    Parameters
    ----------
    data : Cohort
        The cohort: its panel, and its schools table for the exposure (matched by school and
        academic year, the year of the term's autumn).
    outcome : str
    treatment : str
        The exposure: a numeric column of ``schools`` (``"trained_share"``,
        ``"training_person_times"``...) or ``"backbone_share"`` (backbone teachers per
        teacher).
    unit : str
        The school column: its fixed effects are absorbed and the exposure matched on it.
    cluster : str
        The cluster variable (default the school).
    controls : str or list of str
        Child-term controls; default the left-behind status (its gap differs by type).
    by_left_behind : bool
        Interact the exposure with being left behind (any parent away).
    multilevel : "last", a term label, or None
        Term on which to fit the multilevel model (children in ``classes`` in schools);
        None skips it.
    classes : str or None
        The class column of the multilevel model (None: schools and children only).
    inference : {"auto", "crv1", "wild"}
        As :func:`lbc_eval.fit_fe`.
    alpha : float
        1 - confidence level.
    reps : int
        Wild bootstrap draws.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        The bootstrap weight distribution.
    seed : int or None
        Seed of the bootstrap.

    Returns
    -------
    Result
        Rows ``<treatment>`` (average over child-terms), ``<treatment>:left_behind``,
        ``<treatment>:not_left_behind``, ``<treatment>:difference`` and ``<treatment>:naive``
        (no school effects). ``tables["variance"]`` is the variance split and
        ``tables["icc"]`` the ICCs; ``raw`` holds the within fits (``fe``, ``naive``, the
        placebo's ``lead``) and the MixedLM result. ``diagnostics`` has two rows:
        ``schools`` (statistic = schools, the clusters; NA, informative, from
        :data:`~lbc_eval.questions.training_checks.MIN_SCHOOLS` schools on, saying whether
        inference is CRV1 or, below 50 schools, the wild cluster bootstrap; False below
        :data:`~lbc_eval.questions.training_checks.MIN_SCHOOLS`: very imprecise) and
        ``lead_placebo`` (next year's exposure must not predict this year's outcome given
        school and year effects; see :func:`~lbc_eval.questions.training_checks.lead_placebo`).

    Notes
    -----
    With :math:`x_{sy}` the exposure of school :math:`s` in year :math:`y` and :math:`L_{it}`
    = 1 when child :math:`i` is left behind in term :math:`t`:

    .. math:: Y_{it} = \mu_{s(it)} + \lambda_{y(t)} + \beta x_{sy} + \delta x_{sy} L_{it}
              + Z_{it}'\gamma + \varepsilon_{it}

    School effects absorb that better-run schools train first; the effect is identified from
    changes within schools over years. Reported: :math:`\beta + \bar L\delta` (the average
    over child-terms, :math:`\bar L` the left-behind share), :math:`\beta + \delta`,
    :math:`\beta` and :math:`\delta`; clusters are schools, so usually few: the wild cluster
    bootstrap gives p-values and intervals. The design assumes no school-specific trend
    correlated with training uptake (schools that train early must not also be improving for
    other reasons); the ``lead_placebo`` diagnostic tests it. The unconditional multilevel
    model on one term,

    .. math:: Y_{i} = \beta_0 + u_s + c_{k} + e_i,\quad
              u_s \sim N(0, \sigma^2_s),\ c_k \sim N(0, \sigma^2_c),\ e_i \sim N(0, \sigma^2_e)

    (statsmodels MixedLM, REML; above :data:`~lbc_eval.estimation.multilevel.MAX_CHILDREN`
    children on a seeded random sample of whole schools, said in ``notes``), gives the
    variance split and
    :math:`\rho_s = \sigma^2_s / (\sigma^2_s + \sigma^2_c + \sigma^2_e)` (two children of one
    school) and :math:`\rho_c = (\sigma^2_s + \sigma^2_c) / (\cdot)` (of one class).
    """
    cohort = cohort_of(data, needs="schools table (the exposure)")
    ctrl = as_list(controls)
    check_columns(
        cohort.panel,
        {
            "outcome": outcome,
            "unit": unit,
            "cluster": cluster,
            "term": "term",
            "lb_status": "lb_status",
            "control": ctrl,
            "class": classes if multilevel is not None else None,
        },
    )
    used = [outcome, cluster, *ctrl, *([classes] if multilevel is not None and classes else [])]
    d = training_frame(cohort, treatment, unit, columns=used)
    fit, naive, notes = within_fits(d, outcome, treatment, unit, cluster, ctrl, by_left_behind)
    rows = linear_rows(
        hypotheses(d, fit, naive, treatment, by_left_behind),
        fit=fit,
        inference=inference,
        boot=BootOptions(reps=reps, boot_weights=boot_weights, seed=seed),
        alpha=alpha,
        outcome=outcome,
    )
    raw: dict[str, Any] = {"fe": fit, "naive": naive}
    boot = BootOptions(reps=reps, boot_weights=boot_weights, seed=seed)
    lead_row, lead_fit = lead_placebo(
        cohort, d, outcome, treatment, unit, cluster, ctrl, inference, boot, alpha
    )
    if lead_fit is not None:
        raw["lead"] = lead_fit
    diagnostics = diagnostics_frame([schools_check(fit, inference), lead_row])
    tables, ml_warn = multilevel_tables(d, outcome, unit, classes, multilevel, raw, notes)
    notes = [
        f"exposure {treatment} of the child's school in the academic year; school and year fixed "
        f"effects; naive: year effects only",
        *notes,
        *rows.notes,
    ]
    return Result(
        estimator="training",
        table=rows.table,
        outcome=outcome,
        nobs=fit.design.nobs,
        cov_type=rows.cov_type,
        formula=f"{outcome} ~ {' + '.join(fit.names)} | {unit} + year",
        n_clusters=fit.n_clusters,
        alpha=alpha,
        notes=tuple(notes),
        warnings=(*rows.warnings, *ml_warn),
        raw=raw,
        tables=tables,
        tests=rows.tests,
        diagnostics=diagnostics,
        truth_lookup=_truth_lookup(outcome, treatment),
    )


def multilevel_tables(
    d: pd.DataFrame,
    outcome: str,
    unit: str,
    classes: str | None,
    multilevel: str | None,
    raw: dict[str, Any],
    notes: list[str],
) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The ``variance`` and ``icc`` tables of the multilevel model (none when ``multilevel``
    is None) and its convergence warnings; adds the MixedLM result to ``raw`` and a note."""
    if multilevel is None:
        return {}, []
    ml, variance, icc, ml_warn, term, sampled = _multilevel(
        d, outcome, unit, classes, multilevel
    )
    raw["multilevel"] = ml
    notes.append(
        f"multilevel model on term {term} ({int(ml.nobs):,} children): ICC school "
        f"{icc['school']:.3f}, class {icc['class']:.3f}"
    )
    if sampled:
        notes.append(sampled)
    icc_table = pd.DataFrame({"level": list(icc), "icc": list(icc.values()), "term": term})
    return {"variance": variance, "icc": icc_table}, ml_warn


def within_fits(
    d: pd.DataFrame,
    outcome: str,
    treatment: str,
    unit: str,
    cluster: str,
    ctrl: list[str],
    by_left_behind: bool,
) -> tuple[WithinFit, WithinFit, list[str]]:
    """The school-and-year effects fit, the year-effects-only (naive) fit, and the notes on
    rows left out; the left-behind dummy is a control whenever the exposure interacts with it."""
    inter = f"{treatment}:left_behind"
    X, kinds = regressors(d, [treatment, inter] if by_left_behind else [treatment], ctrl)
    if by_left_behind and "lb_status" not in ctrl:
        X["left_behind"] = d["left_behind"]
        kinds.append("control")
    if X[treatment].dropna().nunique() < 2:
        raise NoVariationError(f"{treatment!r} takes a single value in every school and year")
    hint = (
        " The exposure must change within schools over years; with a single year, "
        "compare schools with care (no school effects)."
    )

    def within(fes: list[str]) -> tuple[WithinFit, list[str]]:
        design, notes_, _ = make_design(
            d, outcome=outcome, X=X, fixed_effects=fes, cluster=[cluster]
        )
        return fit_within(design, kinds=kinds, absorbed_hint=hint), notes_

    fit, notes = within([unit, "year"])
    naive, _ = within(["year"])
    return fit, naive, notes


def hypotheses(
    d: pd.DataFrame, fit: WithinFit, naive: WithinFit, treatment: str, by_left_behind: bool
) -> dict[str, tuple[WithinFit, np.ndarray]]:
    r"""The rows as :math:`R'\beta`: :math:`\beta + \bar L\delta` (each fit; :math:`\bar L`
    over its rows), and for the school-effects fit :math:`\beta + \delta`, :math:`\beta`,
    :math:`\delta`."""
    hyps: dict[str, tuple[WithinFit, np.ndarray]] = {}
    for f, suffix in ((fit, ""), (naive, ":naive")):
        e = np.eye(len(f.names))
        if by_left_behind:
            share = float(np.mean(d["left_behind"].to_numpy()[f.design.rows]))
            avg = e[0] + share * e[1]
        else:
            avg = e[0]
        hyps[f"{treatment}{suffix}"] = (f, avg)
        if by_left_behind and not suffix:
            hyps[f"{treatment}:left_behind"] = (f, e[0] + e[1])
            hyps[f"{treatment}:not_left_behind"] = (f, e[0])
            hyps[f"{treatment}:difference"] = (f, e[1])
    return hyps


def _multilevel(
    d: pd.DataFrame,
    outcome: str,
    unit: str,
    classes: str | None,
    term: str,
) -> tuple[Any, pd.DataFrame, dict[str, float], list[str], str, str]:
    """Unconditional MixedLM on one term: school random intercepts, class variance components;
    above :data:`~lbc_eval.estimation.multilevel.MAX_CHILDREN` children, on a seeded random
    sample of schools (:func:`~lbc_eval.estimation.multilevel.sample_clusters`, whose note is
    returned last; empty otherwise)."""
    import statsmodels.formula.api as smf

    terms = ordered_terms(d["term"].dropna().unique())
    label = terms[-1] if term == "last" else term
    if label not in terms:
        raise EstimationError(f"term {label!r} is not in the panel ({terms[0]} to {terms[-1]})")
    cols = [outcome, unit, *([classes] if classes else [])]
    one, sampled = sample_clusters(d.loc[d["term"] == label, cols].dropna(), unit)
    one = one.rename(columns={outcome: "y", unit: "g"})
    one["g"] = one["g"].astype(str)
    vc = None
    if classes:
        one["k"] = one[classes].astype(str)
        vc = {"k": "0 + C(k)"}
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        model = smf.mixedlm("y ~ 1", one, groups="g", re_formula="1", vc_formula=vc)
        fit = model.fit(reml=True)
    caught = [f"multilevel model: {w.message}" for w in rec if "converge" in str(w.message)]
    s2 = {
        "school": float(fit.cov_re.iloc[0, 0]),
        **({"class": float(fit.vcomp[0])} if classes else {}),
        "child": float(fit.scale),
    }
    total = sum(s2.values())
    variance = pd.DataFrame(
        {
            "level": list(s2),
            "variance": list(s2.values()),
            "share": [v / total for v in s2.values()],
        }
    )
    icc = {
        "school": s2["school"] / total,
        "class": (s2["school"] + s2.get("class", 0.0)) / total,
    }
    return fit, variance, icc, caught, label, sampled


def _truth_lookup(outcome: str, treatment: str) -> Any:
    """Truth of each row: ``truth["training"][outcome]`` (trained share only)."""
    exposure = treatment
    keys = {
        exposure: "overall",
        f"{exposure}:naive": "overall",
        f"{exposure}:left_behind": "left_behind",
        f"{exposure}:not_left_behind": "not_left_behind",
    }

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        t = truth.get("training", {}).get(outcome) if exposure == "trained_share" else None
        if t is None:
            return [np.nan] * len(tidy)
        out = []
        for term in tidy["term"]:
            if term == f"{exposure}:difference":
                out.append(float(t["left_behind"] - t["not_left_behind"]))
            else:
                out.append(float(t[keys[term]]) if term in keys else np.nan)
        return out

    return lookup
