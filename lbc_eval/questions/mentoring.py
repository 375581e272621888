r"""Question Q1: does more mentoring help, and where does it stop paying off?

:func:`fit_dose_response` relates a term's mentoring contacts to the next term's outcome
within children (child and term fixed effects), as binned doses and as a smooth curve, with the
average marginal effect of one more contact, and the naive cross-section beside it. The
curve's bases and bins are in :mod:`lbc_eval.questions.dose_curve`.

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> cohort = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
>>> r = lbc_eval.fit_dose_response(cohort, outcome="sdq_total")  # doctest: +SKIP
>>> r.vs_truth(cohort.truth)  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import CONTACT_COLUMNS
from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import EstimationError, FewClustersWarning
from lbc_eval.estimation.checks import as_list, check_columns, check_option
from lbc_eval.estimation.fe_lazy import lazy_table
from lbc_eval.estimation.inference.rule import BootOptions, Inference, Rows, linear_rows
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.iv import IVFit
from lbc_eval.estimation.results import Result
from lbc_eval.estimation.within import WithinFit
from lbc_eval.questions.dose_curve import (
    check_bins,
    check_pairs,
    curve_table,
    dose_pairs,
    natural_spline,
    saturation,
    truth_lookup,
)
from lbc_eval.questions.dose_fits import DoseFits
from lbc_eval.questions.inputs import panel_of
from lbc_eval.questions.mentoring_checks import Setup, checks, iv_table
from lbc_eval.questions.mentoring_lazy import fit_dose_response_lazy

__all__ = [
    "DEFAULT_BINS",
    "dose_pairs",
    "fit_dose_response",
    "fit_dose_response_methods",
    "natural_spline",
    "saturation",
]

Spline = Literal["natural", "saturation"]
Method = Literal["within", "supply_iv"]
DEFAULT_BINS = (0, 1, 3, 6)


def fit_dose_response(
    data: Cohort | pd.DataFrame,
    *,
    outcome: str,
    method: Method = "within",
    treatment: str | Sequence[str] = "contacts",
    lag: int = 1,
    bins: Sequence[int] = DEFAULT_BINS,
    spline: Spline = "natural",
    df: int = 3,
    scale: float | None = None,
    unit: str = "student_id",
    time: str = "term",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    sample: Literal["paired", "all"] = "paired",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> Result:
    r"""Dose–response of next term's outcome on this term's mentoring contacts, within children.

    Parameters
    ----------
    data : Cohort or DataFrame
        The cohort, or its panel (one row per child per term).
    outcome : str
        E.g. ``"sdq_total"``, ``"attendance"``, ``"math"``.
    method : {"within", "supply_iv"}
        ``"within"`` (default): the rows below from within-child regressions, which assume no
        feedback (contacts do not respond to the child's bad terms). ``"supply_iv"``: 2SLS
        within children (same fixed effects and controls), the dose moved only by the
        school-term supply of mentoring, :math:`S_{st}` = the leave-one-out mean dose of the
        other mentored children of the child's school that term: ``ame`` is the AME of the
        same smooth curve, its basis instrumented by the basis of the supply-predicted dose,
        and ``slope_iv`` the linear 2SLS slope (dose instrumented by :math:`S_{st}`); CRV1 by
        school with :math:`t(G-1)` (no wild bootstrap for 2SLS: with few schools its
        intervals may be too narrow, said in ``notes``). Both methods compute the IV fits and
        report the same diagnostics.
    treatment : "contacts" or column name(s)
        The dose: ``"contacts"`` is ``talks + home_visits + parent_contacts``; a list is summed.
    lag : int
        Terms between the dose and the outcome (1: next term).
    bins : sequence of int
        Left edges of the dose bins, from 0; the first bin is the reference.
    spline : {"natural", "saturation"}
        Smooth curve: a natural cubic spline with ``df`` basis functions (knots at quantiles
        of the dose), or :math:`b(1 - e^{-c/c_0})` with :math:`c_0` = ``scale`` or, if None,
        chosen by least squares (intervals are then conditional on it).
    unit, time, cluster : str
        Child, term and cluster (school at the dose term) columns.
    controls : str or list of str
        Measured at the outcome term; default the left-behind status then.
    sample : {"paired", "all"}
        Mentored child-terms only (default), or every child-term (unpaired ones at dose 0).
    df : int
        Basis functions of the natural spline.
    scale : float, optional
        The saturation curve's :math:`c_0` (None: chosen by least squares).
    inference : {"auto", "crv1", "wild"}
        As :func:`lbc_eval.fit_fe`; with fewer than 50 clusters the bootstrap gives the
        p-values and intervals of every row.
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
        ``"within"``: rows ``dose[1-2]``, ``dose[3-5]``, ``dose[6+]`` (binned, against 0),
        ``ame`` (one more contact, smooth curve) and ``ame_naive`` (cross-section).
        ``"supply_iv"``: rows ``ame`` (2SLS, the curve's AME), ``slope_iv`` (2SLS, linear),
        ``ame_within`` (the within ``ame``) and ``ame_naive``. ``raw["iv"]`` holds the two
        :class:`~lbc_eval.estimation.iv.IVFit`, ``curve`` and ``linear`` (None when not
        computed).
        ``diagnostics`` (both methods; see :mod:`lbc_eval.questions.mentoring_checks`):

        - ``lead_placebo``: the within model with the outcome term's dose
          :math:`C_{i,t+1}` added; ``statistic`` its t, ``p_value`` by the kit's rule (wild
          bootstrap with few schools); passed when :math:`p \ge \alpha`. Fails when contacts
          respond to children's bad terms.
        - ``first_stage``: cluster-robust F of the supply instrument in the linear first
          stage (dose on :math:`S_{st}`), ``df`` :math:`G-1`, ``p_value`` from
          :math:`F(1, G-1)`; passed when it and the curve IV's first-stage Fs are all
          :math:`\ge 10`.
        - ``iv_vs_within``: t of the within ``ame`` minus the curve IV's AME, its standard
          error from the two fits' influence functions summed by school (their covariance
          included), :math:`t(G-1)`; passed when :math:`|t|` is below the critical value.

        ``first_stage`` and ``iv_vs_within`` have ``passed`` NA, with the reason in
        ``message``, when the IV cannot be computed (e.g. the supply does not vary within
        children). ``tables["curve"]`` holds
        the smooth curve :math:`\hat f(c) - \hat f(0)` with pointwise CRV1 :math:`t(G-1)`
        bands, ``tables["bins"]`` the bins' doses and counts, ``tables["basis"]`` the knots or
        saturation scale; ``vs_truth`` compares with the synthetic truth's dose-response.

    Notes
    -----
    Pairs child-term :math:`t` (dose :math:`C_{it}`) with the same child at :math:`t+1`:

    .. math:: Y_{i,t+1} = \alpha_i + \lambda_t + f(C_{it}) + Z_{i,t+1}'\gamma + \varepsilon_{it}

    with :math:`f` a step function on the bins or :math:`f(c) = B(c)'\beta` (spline basis,
    :math:`B(0) = 0`). Child effects remove stable need, which mentors target; identification
    comes from within-child changes in contacts (e.g. volunteer supply). The average marginal
    effect of one more contact over the mentored child-terms enrolled next term,

    .. math:: \mathrm{AME} = \frac{1}{n}\sum_{it} f(C_{it} + 1) - f(C_{it})
              = \bar\Delta'\beta,\quad \bar\Delta = \frac{1}{n}\sum_{it} B(C_{it}+1) - B(C_{it}),

    is linear in :math:`\beta`, so its CRV1 standard error is exact (no delta-method
    approximation) and the wild bootstrap tests it directly. The naive estimate is the
    pooled slope of :math:`Y_{i,t+1}` on :math:`C_{it}` with term effects only.

    Checks (algebra in :mod:`lbc_eval.questions.mentoring_checks`): the within estimate
    needs *no feedback*. If mentors give more contacts in a child's bad term,
    :math:`C_{it}` moves with the shock :math:`\varepsilon_{it}`, which the child effect puts
    into the demeaned error of the pair before (bias of order :math:`1/T` towards "contacts
    help"). The lead placebo adds :math:`\delta C_{i,t+1}` to the model: contacts act on the
    next term, so without feedback :math:`\delta = 0`; with feedback :math:`C_{i,t+1}` responds
    to :math:`\varepsilon_{i,t+1}`, the error of the same row, and :math:`\delta > 0` for a
    difficulties score (strict exogeneity test, Wooldridge 2010, 10.7.1). The supply IV does
    not need the assumption: another child's contacts respond to that child's terms, not this
    one's. The IV is computed for both methods, so the default result reports the contrast.
    """
    check_option("method", method, ("within", "supply_iv"))
    return fit_dose_response_methods(
        data, outcome=outcome, methods=(method,), treatment=treatment, lag=lag, bins=bins,
        spline=spline, df=df, scale=scale, unit=unit, time=time, cluster=cluster,
        controls=controls, sample=sample, inference=inference, alpha=alpha, reps=reps,
        boot_weights=boot_weights, seed=seed,
    )[method]  # fmt: skip


def fit_dose_response_methods(
    data: Cohort | pd.DataFrame,
    *,
    outcome: str,
    methods: Sequence[Method] = ("within", "supply_iv"),
    treatment: str | Sequence[str] = "contacts",
    lag: int = 1,
    bins: Sequence[int] = DEFAULT_BINS,
    spline: Spline = "natural",
    df: int = 3,
    scale: float | None = None,
    unit: str = "student_id",
    time: str = "term",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    sample: Literal["paired", "all"] = "paired",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> dict[str, Result]:
    """:func:`fit_dose_response` of each of ``methods`` (by method), from one set of fits.

    Both methods fit the same models (the binned and smooth within fits, the naive one, the
    lead placebo and the two supply-IV fits) and differ only in the rows they report, so asking
    for both at once costs one: on a province each set takes minutes and gigabytes. The results
    are those of ``fit_dose_response(..., method=m)``; the other arguments are its own.
    """
    if lazy_table(data) is not None:  # a lazy cohort: the within fits in the engine
        return fit_dose_response_lazy(
            data, outcome=outcome, methods=methods, treatment=treatment, lag=lag, bins=bins,
            spline=spline, df=df, scale=scale, unit=unit, time=time, cluster=cluster,
            controls=controls, sample=sample, inference=inference, alpha=alpha, reps=reps,
            boot_weights=boot_weights, seed=seed,
        )  # fmt: skip
    panel = panel_of(data)
    check_option("spline", spline, ("natural", "saturation"))
    check_option("sample", sample, ("paired", "all"))
    for m in methods:
        check_option("method", m, ("within", "supply_iv"))
    pairs, edges, dose_cols, ctrl = _pairs(
        panel, outcome, treatment, lag, bins, unit, time, cluster, controls, sample
    )
    y_t = f"{outcome}[t+{lag}]"
    fits = DoseFits.fit(pairs, edges, y_t, unit, time, cluster, ctrl,
                        spline=spline, df=df, scale=scale)  # fmt: skip
    boot = BootOptions(reps=reps, boot_weights=boot_weights, seed=seed)
    hyps = fits.hypotheses()
    setup = Setup(pairs, y_t, unit, time, cluster, ctrl)
    smooth, delta = hyps["ame"]
    diagnostics, ivs, why = checks(setup, smooth, delta, fits.basis, fits.k, inference=inference,
                                   boot=boot, alpha=alpha)  # fmt: skip
    comparable = sorted(dose_cols) == sorted(CONTACT_COLUMNS) and lag == 1 and sample == "paired"
    tables = {
        "curve": curve_table(fits.smooth, fits.basis, fits.k, fits.dose, alpha),
        "bins": fits.bin_table(),
        "basis": fits.basis_table(spline),
    }
    lookup = truth_lookup(outcome, fits.doses_in_bin()) if comparable else None
    out = {}
    for method in methods:
        shown = hyps
        if method == "supply_iv":
            if ivs is None:
                raise EstimationError(f"method='supply_iv': {why}")
            shown = {"ame_within": hyps["ame"], "ame_naive": hyps["ame_naive"]}
        rows = linear_rows(
            shown,
            fit=fits.binned,
            inference=inference,
            boot=boot,
            alpha=alpha,
            outcome=outcome,
        )
        notes = fits.describe(outcome, dose_cols, lag, sample, ctrl, spline, comparable)
        warns = list(rows.warnings)
        table, cov_type, nobs, n_clusters, formula = _headline(
            method, ivs, why, delta, rows, fits.binned, notes, warns, outcome=outcome,
            alpha=alpha, cluster=cluster, y_t=y_t, ctrl=ctrl, unit=unit, time=time,
        )  # fmt: skip
        out[method] = Result(
            estimator="dose_response",
            table=table,
            outcome=outcome,
            nobs=nobs,
            cov_type=cov_type,
            formula=formula,
            n_clusters=n_clusters,
            alpha=alpha,
            notes=(*notes, *rows.notes),
            warnings=tuple(warns),
            raw={"binned": fits.binned, "smooth": fits.smooth, "naive": fits.naive, "iv": ivs},
            diagnostics=diagnostics.copy(),
            tables={k: v.copy() for k, v in tables.items()},
            tests=rows.tests,
            truth_lookup=lookup,
        )
    return out


def _pairs(
    panel: pd.DataFrame,
    outcome: str,
    treatment: str | Sequence[str],
    lag: int,
    bins: Sequence[int],
    unit: str,
    time: str,
    cluster: str,
    controls: str | Sequence[str],
    sample: str,
) -> tuple[pd.DataFrame, list[int], list[str], list[str]]:
    """The dose-outcome pairs (:func:`dose_pairs`, checked by
    :func:`~lbc_eval.questions.dose_curve.check_pairs`) once the columns and bins are checked,
    with the bins' left edges, the dose columns (``"contacts"``: :data:`CONTACT_COLUMNS`) and
    the controls."""
    dose_cols = list(CONTACT_COLUMNS) if treatment == "contacts" else as_list(treatment)
    ctrl = as_list(controls)
    roles = {"outcome": outcome, "treatment": dose_cols, "unit": unit, "time": time}
    roles |= {"cluster": cluster, "control": ctrl}
    check_columns(panel, roles | ({"mentor_role": "mentor_role"} if sample == "paired" else {}))
    edges = check_bins(bins, lag)
    pairs = dose_pairs(
        panel,
        outcome=outcome,
        treatment=dose_cols,
        lag=lag,
        unit=unit,
        time=time,
        cluster=cluster,
        controls=ctrl,
        sample=sample,
    )
    check_pairs(pairs, lag=lag, sample=sample, dose_cols=dose_cols)
    return pairs, edges, dose_cols, ctrl


def _headline(
    method: str,
    ivs: dict[str, IVFit] | None,
    why: str,
    delta: np.ndarray,
    rows: Rows,
    binned: WithinFit,
    notes: list[str],
    warns: list[str],
    *,
    outcome: str,
    alpha: float,
    cluster: str,
    y_t: str,
    ctrl: list[str],
    unit: str,
    time: str,
) -> tuple[pd.DataFrame, str, int, int | None, str]:
    r"""The result's table, covariance type, observations, clusters and formula.

    ``"within"``: the within rows and the binned fit (a note when the supply IV could not be
    computed). ``"supply_iv"``: the IV rows (:func:`iv_table`: the curve IV's
    :math:`\bar\Delta'\hat\beta` and the linear 2SLS slope) above the within ones, with the
    curve IV's fit; the IV note goes first in ``notes``, and a few-cluster warning is raised
    (at the caller of :func:`fit_dose_response`) and added to ``warns``."""
    if method != "supply_iv":
        if ivs is None:
            notes.append(f"supply-IV check not computed: {why}")
        formula = f"{y_t} ~ f(dose[t]) + {' + '.join(ctrl) or '0'} | {unit} + {time}"
        return rows.table, rows.cov_type, binned.design.nobs, binned.n_clusters, formula
    assert ivs is not None
    iv_rows, note, warn = iv_table(ivs, delta, outcome=outcome, alpha=alpha, cluster=cluster)
    table = pd.concat([iv_rows, rows.table], ignore_index=True)
    iv = ivs["curve"]
    formula = (f"{y_t} ~ {' + '.join(ctrl) or '0'} | {unit} + {time} | f(dose[t]) ~ "
               f"f(dose_hat[t]), dose_hat from supply[{cluster}, t]")  # fmt: skip
    notes.insert(0, note)
    if warn:
        warnings.warn(warn, FewClustersWarning, stacklevel=3)
        warns.append(warn)
    return table, f"2SLS, CRV1 by {cluster}", iv.design.nobs, iv.n_clusters, formula
