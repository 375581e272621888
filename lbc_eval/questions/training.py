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
>>> r = lbc_eval.fit_training(c.panel, c.schools, outcome="math")  # doctest: +SKIP
>>> r.extra["variance"]  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.data.terms import academic_year, ordered_terms
from lbc_eval.errors import EstimationError
from lbc_eval.estimation.checks import as_list, check_columns
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.results import Result
from lbc_eval.estimation.within import WithinFit, fit_within

BACKBONE = ("backbone_provincial", "backbone_municipal", "backbone_county")


def school_exposure(schools: pd.DataFrame, exposure: str, school: str) -> pd.DataFrame:
    """``school, year, <exposure>`` from the schools table; ``"backbone_share"`` is derived as
    backbone teachers (provincial + municipal + county) per teacher."""
    if exposure == "backbone_share":
        check_columns(schools, {"schools": [school, "year", "teachers", *BACKBONE]})
        value = schools[list(BACKBONE)].astype("float64").sum(axis=1) / schools["teachers"].astype(
            "float64"
        ).where(lambda s: s > 0)
    else:
        check_columns(schools, {"schools": [school, "year", exposure]})
        value = pd.to_numeric(schools[exposure], errors="coerce").astype("float64")
    return pd.DataFrame(
        {school: schools[school], "year": schools["year"].astype("int64"), exposure: value}
    )


def fit_training(
    panel: pd.DataFrame,
    schools: pd.DataFrame,
    *,
    outcome: str = "math",
    exposure: str = "trained_share",
    school: str = "school_id",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    by_left_behind: bool = True,
    multilevel: str | None = "last",
    classes: str | None = "class_id",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: Literal["auto", "rademacher", "webb"] = "auto",
    seed: int | None = 0,
) -> Result:
    r"""Effect of a school's teacher-training exposure on children's outcomes.

    Parameters
    ----------
    panel, schools : DataFrame
        The cohort's panel and schools tables (the exposure is matched by school and academic
        year, the year of the term's autumn).
    outcome : str
    exposure : str
        A numeric column of ``schools`` (``"trained_share"``, ``"training_person_times"``...)
        or ``"backbone_share"`` (backbone teachers per teacher).
    school, cluster : str
        School fixed effects and the cluster variable (default both the school).
    controls : str or list of str
        Child-term controls; default the left-behind status (its gap differs by type).
    by_left_behind : bool
        Interact the exposure with being left behind (any parent away).
    multilevel : "last", a term label, or None
        Term on which to fit the multilevel model (children in ``classes`` in schools);
        None skips it.
    inference, alpha, reps, boot_weights, seed
        As :func:`lbc_eval.fit_fe`.

    Returns
    -------
    Result
        Rows ``<exposure>`` (average over child-terms), ``<exposure>:left_behind``,
        ``<exposure>:not_left_behind``, ``<exposure>:difference`` and ``<exposure>:naive``
        (no school effects). ``extra["variance"]`` is the variance split and
        ``extra["icc"]`` the ICCs; ``raw`` holds the within fits and the MixedLM result.

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
    bootstrap gives p-values and intervals. The unconditional multilevel model on one term,

    .. math:: Y_{i} = \beta_0 + u_s + c_{k} + e_i,\quad
              u_s \sim N(0, \sigma^2_s),\ c_k \sim N(0, \sigma^2_c),\ e_i \sim N(0, \sigma^2_e)

    (statsmodels MixedLM, REML), gives the variance split and
    :math:`\rho_s = \sigma^2_s / (\sigma^2_s + \sigma^2_c + \sigma^2_e)` (two children of one
    school) and :math:`\rho_c = (\sigma^2_s + \sigma^2_c) / (\cdot)` (of one class).
    """
    ctrl = as_list(controls)
    check_columns(
        panel,
        {
            "outcome": outcome,
            "school": school,
            "cluster": cluster,
            "term": "term",
            "lb_status": "lb_status",
            "control": ctrl,
            "class": classes if multilevel is not None else None,
        },
    )
    x = school_exposure(schools, exposure, school)
    d = panel.assign(year=academic_year(panel["term"]))
    d = d.merge(x, on=[school, "year"], how="left", validate="many_to_one")
    if d[exposure].isna().all():
        from lbc_eval.errors import MissingDataError

        raise MissingDataError(
            f"no child-term matches a school-year with {exposure!r}: check that the schools "
            f"table covers the panel's schools and years"
        )
    d["left_behind"] = (d["lb_status"].astype("string") != "none").astype("float64")
    d.loc[d["lb_status"].isna(), "left_behind"] = np.nan
    inter = f"{exposure}:left_behind"
    d[inter] = d[exposure] * d["left_behind"]
    treat = [exposure, inter] if by_left_behind else [exposure]
    X, kinds = regressors(d, treat, ctrl)
    if by_left_behind and "lb_status" not in ctrl:
        X["left_behind"] = d["left_behind"]
        kinds.append("control")
    if X[exposure].dropna().nunique() < 2:
        from lbc_eval.errors import NoVariationError

        raise NoVariationError(f"{exposure!r} takes a single value in every school and year")
    hint = (
        " The exposure must change within schools over years; with a single year, "
        "compare schools with care (no school effects)."
    )

    def within(fes: list[str]) -> tuple[WithinFit, list[str]]:
        design, notes_, _ = make_design(
            d, outcome=outcome, X=X, fixed_effects=fes, cluster=[cluster]
        )
        return fit_within(design, kinds=kinds, absorbed_hint=hint), notes_

    fit, notes = within([school, "year"])
    naive, _ = within(["year"])
    hyps: dict[str, tuple[WithinFit, np.ndarray]] = {}
    for f, suffix in ((fit, ""), (naive, ":naive")):
        k = len(f.names)
        e = np.eye(k)
        if by_left_behind:
            share = float(np.mean(d["left_behind"].to_numpy()[f.design.rows]))
            avg = e[0] + share * e[1]
        else:
            avg = e[0]
        hyps[f"{exposure}{suffix}"] = (f, avg)
        if by_left_behind and not suffix:
            hyps[f"{exposure}:left_behind"] = (f, e[0] + e[1])
            hyps[f"{exposure}:not_left_behind"] = (f, e[0])
            hyps[f"{exposure}:difference"] = (f, e[1])
    rows = linear_rows(
        hyps,
        fit=fit,
        inference=inference,
        boot=BootOptions(reps=reps, weights=boot_weights, seed=seed),
        alpha=alpha,
        outcome=outcome,
    )
    extra: dict[str, Any] = {"tests": rows.tests, "boot": rows.boot}
    raw: dict[str, Any] = {"fe": fit, "naive": naive}
    ml_warn: list[str] = []
    if multilevel is not None:
        ml, variance, icc, ml_warn, term = _multilevel(d, outcome, school, classes, multilevel)
        raw["multilevel"] = ml
        extra.update(variance=variance, icc=icc, multilevel_term=term)
        notes.append(
            f"multilevel model on term {term} ({int(ml.nobs):,} children): ICC school "
            f"{icc['school']:.3f}, class {icc['class']:.3f}"
        )
    notes = [
        f"exposure {exposure} of the child's school in the academic year; school and year fixed "
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
        formula=f"{outcome} ~ {' + '.join(fit.names)} | {school} + year",
        n_clusters=fit.n_clusters,
        alpha=alpha,
        notes=tuple(notes),
        warnings=(*rows.warnings, *ml_warn),
        raw=raw,
        extra=extra,
        truth_lookup=_truth_lookup(outcome, exposure),
    )


def _multilevel(
    d: pd.DataFrame,
    outcome: str,
    school: str,
    classes: str | None,
    term: str,
) -> tuple[Any, pd.DataFrame, dict[str, float], list[str], str]:
    """Unconditional MixedLM on one term: school random intercepts, class variance components."""
    import statsmodels.formula.api as smf

    terms = ordered_terms(d["term"].dropna().unique())
    label = terms[-1] if term == "last" else term
    if label not in terms:
        raise EstimationError(f"term {label!r} is not in the panel ({terms[0]} to {terms[-1]})")
    cols = [outcome, school, *([classes] if classes else [])]
    one = d.loc[d["term"] == label, cols].dropna()
    one = one.rename(columns={outcome: "y", school: "g"})
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
    return fit, variance, icc, caught, label


def _truth_lookup(outcome: str, exposure: str) -> Any:
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
