r"""Design checks of question Q2 (:func:`lbc_eval.questions.training.fit_training`).

:func:`schools_check` says what the number of schools (the clusters) allows;
:func:`lead_placebo` tests the design's key assumption, no school-specific trend correlated with
training uptake, by asking whether next year's exposure predicts this year's outcome.
:func:`school_exposure` builds the school-year exposure both the fit and the placebo match on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import LbcEvalError, NoVariationError
from lbc_eval.estimation.checks import check_columns
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import FEW_CLUSTERS, BootOptions, Inference, resolve
from lbc_eval.estimation.inference.wild import wcr_test
from lbc_eval.estimation.within import WithinFit, fit_within

BACKBONE = ("backbone_provincial", "backbone_municipal", "backbone_county")
#: Fewer schools than this and the school-effects estimate is too imprecise to act on (the
#: wild cluster bootstrap still gives valid tests, but they have almost no power).
MIN_SCHOOLS = 12


def school_exposure(schools: pd.DataFrame, treatment: str, unit: str) -> pd.DataFrame:
    """``unit, year, <treatment>`` from the schools table; ``"backbone_share"`` is derived as
    backbone teachers (provincial + municipal + county) per teacher."""
    if treatment == "backbone_share":
        check_columns(schools, {"schools": [unit, "year", "teachers", *BACKBONE]})
        value = schools[list(BACKBONE)].astype("float64").sum(axis=1) / schools["teachers"].astype(
            "float64"
        ).where(lambda s: s > 0)
    else:
        check_columns(schools, {"schools": [unit, "year", treatment]})
        value = pd.to_numeric(schools[treatment], errors="coerce").astype("float64")
    return pd.DataFrame(
        {unit: schools[unit], "year": schools["year"].astype("int64"), treatment: value}
    )


def schools_check(fit: WithinFit, inference: Inference) -> dict[str, Any]:
    """The ``schools`` diagnostic: clusters of the school-effects fit and what they allow.

    NA (it informs) from :data:`MIN_SCHOOLS` schools on, saying whether inference is CRV1
    (:data:`~lbc_eval.estimation.inference.rule.FEW_CLUSTERS` or more) or the wild cluster
    bootstrap; False below :data:`MIN_SCHOOLS`, where any estimate is very imprecise."""
    G = int(fit.n_clusters or 0)
    method, _, _ = resolve(inference, fit)
    if G < MIN_SCHOOLS:
        passed: bool | None = False
        msg = (
            f"only {G} schools (clusters): the effect is identified from changes within so few "
            f"schools that estimates are very imprecise; read the interval, not the point, and "
            f"do not act on it alone (at least {MIN_SCHOOLS} schools are needed)"
        )
    elif G < FEW_CLUSTERS:
        passed = None
        msg = (
            f"{G} schools (clusters): below {FEW_CLUSTERS} schools cluster-robust t-tests "
            f"over-reject, so "
            + (
                "inference uses the wild cluster bootstrap (p-values and intervals)"
                if method == "wild"
                else "CRV1 p-values and intervals may be too small (inference='wild' "
                "would use the wild cluster bootstrap)"
            )
        )
    else:
        passed = None
        msg = f"{G} schools (clusters): CRV1 standard errors, t({G - 1}) p-values and intervals"
    return {"check": "schools", "statistic": float(G), "passed": passed, "message": msg}


def lead_placebo(
    cohort: Cohort,
    d: pd.DataFrame,
    outcome: str,
    treatment: str,
    unit: str,
    cluster: str,
    ctrl: list[str],
    inference: Inference,
    boot: BootOptions,
    alpha: float,
) -> tuple[dict[str, Any], WithinFit | None]:
    r"""The ``lead_placebo`` diagnostic: does next year's exposure predict this year's outcome?

    The design compares each school with itself over years: school effects absorb that
    better-run schools train first, year effects absorb county-wide change. What it cannot
    absorb is a school-specific *trend* correlated with training uptake (schools that train
    early also improve for other reasons: a new head, a new building). The placebo adds the
    school's exposure of the next academic year,

    .. math:: Y_{it} = \mu_{s} + \lambda_{y} + \beta x_{sy} + \theta x_{s,y+1}
              + Z_{it}'\gamma + \varepsilon_{it},

    on the child-terms whose school has next year's exposure (the last year drops out).
    Training next year cannot change scores this year, so :math:`\theta = 0` unless such a
    trend exists. ``statistic`` is the CRV1 t statistic of :math:`\hat\theta`, ``df`` = schools -
    1, and ``p_value`` comes from the same inference as the main rows (the restricted wild
    cluster bootstrap when schools are few). ``passed`` = p >= ``alpha``; NA when the placebo
    cannot be fitted (fewer than three years, or no variation in next year's exposure). A
    failure means the school-effects estimate likely mixes training with the schools' own
    trends: do not read it as the effect of training.

    Returns the diagnostic row and the placebo's within fit (None when it could not be fitted).
    """
    lead = f"{treatment}:lead"
    x = school_exposure(cohort.schools, treatment, unit)
    x = x.assign(year=x["year"] - 1).rename(columns={treatment: lead})
    x = x.drop_duplicates([unit, "year"])
    dl = d.merge(x, on=[unit, "year"], how="left", validate="many_to_one")
    row: dict[str, Any] = {"check": "lead_placebo", "passed": None}
    try:
        X, kinds = regressors(dl, [treatment, lead], ctrl)
        if dl[lead].dropna().nunique() < 2:
            raise NoVariationError(f"{lead} takes a single value")
        design, _, _ = make_design(
            dl, outcome=outcome, X=X, fixed_effects=[unit, "year"], cluster=[cluster]
        )
        fit = fit_within(design, kinds=kinds)
    except LbcEvalError as e:
        row["message"] = (
            f"not computed: next year's {treatment} cannot be tested ({e}); with fewer than "
            f"three years of exposure, school-specific trends cannot be checked"
        )
        return row, None
    R = np.zeros(len(fit.names))
    R[fit.index(lead)] = 1.0
    est = float(fit.coef[fit.index(lead)])
    se = float(np.sqrt(fit.vcov[fit.index(lead), fit.index(lead)]))
    t = est / se if se > 0 else np.nan
    method, _, _ = resolve(inference, fit)
    if method == "wild":
        bt = wcr_test(
            fit, R, reps=boot.reps, boot_weights=boot.boot_weights, seed=boot.seed, alpha=alpha
        )
        p, how = float(bt.p_value), "wild cluster bootstrap"
    else:
        p, how = float(2 * stats.t.sf(abs(t), fit.df_t)), f"CRV1 t({fit.df_t:g})"
    passed = bool(p >= alpha)
    head = (
        f"next year's {treatment} {'does not predict' if passed else 'predicts'} this year's "
        f"{outcome} given school and year effects (coefficient {est:.3f}, SE {se:.3f}, "
        f"{how} p = {p:.3f})"
    )
    tail = (
        ": no sign of a school trend correlated with training uptake"
        if passed
        else ": schools that train later (or earlier) were already improving differently, so the "
        "school-effects estimate likely mixes training with the schools' own trends; do not "
        "read it as the effect of training"
    )
    row.update(statistic=t, df=fit.df_t, p_value=p, passed=passed, message=head + tail)
    return row, fit
