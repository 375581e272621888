"""Question Q3 on a cohort: did residence-permit enrolment let children live with their parents?

The design: children left behind in the first term of the panel, grouped by the term from
which their parents' work destination enrolled migrant children on the residence permit
(never, for destinations that did not adopt in the window). The unit is the child, the period
the term (a consecutive index), the group the first exposed term.

Outcomes: ``moved`` (moved to live with the parents by the end of the term: absorbing, and
carried forward after a child leaves the county with them) and the panel's scores, SDQ and
attendance (observed only while the child is enrolled in the county).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.cohort import Cohort
from lbc_eval.data.terms import index_year, term_index, term_label, year_start
from lbc_eval.errors import EstimationError, OutOfCoreError, UnknownColumnError
from lbc_eval.estimation.did import Control, DidResult, Method, fit_did, fit_twfe_event_study
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.results import Result
from lbc_eval.questions.enrolment_checks import (
    PolicyData,
    PolicyInference,
    inference_note,
    policy_diagnostics,
)
from lbc_eval.questions.enrolment_lazy import is_lazy_cohort, lazy_policy_data
from lbc_eval.questions.inputs import cohort_of

POLICY_OUTCOMES: tuple[str, ...] = ("moved", *OUTCOMES)
ATTRITION_NOTE = (
    "attrition depends on the policy: children who move out of the county with their parents "
    "leave the panel. 'moved' carries them forward as moved; scores, SDQ and attendance are "
    "observed only for children still enrolled in the county, so effects on them describe "
    "the children who stay (including those who moved to the county seat)."
)
#: Who the ATT(g,t) of question Q3 describe.
POLICY_POPULATION = (
    "children left behind in the first term, by the year their parents' destination adopted"
)


def policy_panel(data: Cohort, *, outcome: str = "moved") -> pd.DataFrame:
    """The child-by-term panel for question Q3.

    Parameters
    ----------
    data : Cohort
        The cohort (its panel and destinations).
    outcome : str
        One of :data:`POLICY_OUTCOMES`.

    Returns
    -------
    DataFrame
        ``student_id, period`` (absolute term index: 2 x year + semester - 1), ``term``,
        ``group`` (first exposed term's index; 0 = the destination never adopted),
        ``school_id``, ``destination_id`` (in the first term), the outcome, and ``imputed``
        (rows carried forward after the child moved out of the county).
    """
    if outcome not in POLICY_OUTCOMES:
        raise UnknownColumnError(f"outcome {outcome!r} is not one of {', '.join(POLICY_OUTCOMES)}")
    cohort = cohort_of(data, needs="destinations table (the adoption terms)")
    p = cohort.panel
    terms = cohort.terms
    period = term_index(p["term"])
    first_term = terms[0]
    is_base = ((p["term"] == first_term) & (p["lb_status"] != "none")).to_numpy(dtype=bool)
    base = p[is_base]
    if base.empty:
        raise EstimationError(f"no child is left behind in the first term ({first_term})")
    years = cohort.destinations.set_index("destination_id")["policy_year"]
    g_year = base["destination_id"].map(years).astype("Float64")
    g = year_start(g_year.fillna(0).astype(int))  # the autumn term opening year y
    groups = pd.DataFrame(
        {
            "student_id": base["student_id"].to_numpy(),
            "group": g,
            "destination_id": base["destination_id"].to_numpy(),
            "school_id": base["school_id"].to_numpy(),
        }
    )
    # children are matched and ordered by integer codes that follow the ids' sort order (as
    # sort_values orders them): on a province, merges and sorts on text ids are slow
    codes, ids = pd.factorize(p["student_id"], sort=True, use_na_sentinel=False)
    base_codes = codes[is_base]
    in_base = np.zeros(len(ids), dtype=bool)
    in_base[base_codes] = True
    keep = np.flatnonzero(in_base[codes])

    def take(c: str) -> pd.Series:
        return p[c].iloc[keep].reset_index(drop=True)

    rows = pd.DataFrame(
        {
            "student_id": take("student_id"),
            "period": period[keep],
            "term": take("term"),
            "grade": take("grade").astype(int),
            "moved_to_parents": take("moved_to_parents").astype(float),
            "exit_reason": take("exit_reason").astype(str),
        }
    )
    code = codes[keep]
    if outcome != "moved":
        rows[outcome] = take(outcome).astype(float)
    rows["imputed"] = False
    if outcome == "moved":
        order = np.lexsort((rows["period"].to_numpy(), code))
        rows, code = rows.iloc[order].reset_index(drop=True), code[order]
        rows["moved"] = rows.groupby(code)["moved_to_parents"].cummax()
        add = _carry_forward(
            rows[rows["exit_reason"] == "moved_with_parents"], last=int(term_index(terms[-1])[0])
        )
        if len(add):
            rows = pd.concat([rows, add], ignore_index=True)
            code = np.concatenate([code, pd.Index(ids).get_indexer(add["student_id"])])
    first = np.full(len(ids), -1)
    first[base_codes] = np.arange(len(base))
    at = first[code]  # each row's child in ``groups``
    for c in ("group", "destination_id", "school_id"):
        rows[c] = groups[c].to_numpy()[at]
    cols = [
        "student_id",
        "period",
        "term",
        "group",
        "school_id",
        "destination_id",
        outcome,
        "imputed",
    ]
    order = np.lexsort((rows["period"].to_numpy(), code))
    return rows[cols].iloc[order].reset_index(drop=True)


def _carry_forward(exits: pd.DataFrame, *, last: int) -> pd.DataFrame:
    """Rows after a child left the county with the parents: moved = 1, for as long as the child
    would still be in compulsory school (grade 9 at most), the way graduates leave the panel."""
    if exits.empty:
        return pd.DataFrame()
    per = exits["period"].to_numpy()
    grade = exits["grade"].to_numpy()
    k = np.arange(1, max(1, last - int(per.min())) + 1)
    future = per[:, None] + k[None, :]
    # the grade rises at each new academic year after the exit
    autumns = index_year(future) - index_year(per[:, None])
    keep = (future <= last) & (grade[:, None] + autumns <= 9)
    i, j = np.nonzero(keep)
    out = pd.DataFrame(
        {
            "student_id": exits["student_id"].to_numpy()[i],
            "period": future[i, j],
            "moved": 1.0,
            "imputed": True,
        }
    )
    out["term"] = [term_label(v) for v in out["period"]]
    return out


def _truth_cells(truth: Mapping[str, Any], outcome: str) -> pd.DataFrame:
    cells = pd.DataFrame(truth["policy"][outcome]["att_gt"])
    sizes = truth["policy"]["groups"]
    cells["size"] = cells["group"].map(sizes)
    cells["gi"] = term_index(cells["group"])
    cells["ti"] = term_index(cells["time"])
    return cells


def _truth_aggregate(outcome: str) -> Callable[[str], Callable]:
    """Truth lookups for the aggregations, from the truth's ATT(g,t) and group sizes."""

    def for_kind(kind: str) -> Callable[[Mapping[str, Any], pd.DataFrame], list[float]]:
        def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
            c = _truth_cells(truth, outcome).dropna(subset=["att"])
            post = c[c["ti"] >= c["gi"]]

            def wmean(x: pd.DataFrame) -> float:
                return float(np.average(x["att"], weights=x["size"])) if len(x) else np.nan

            out = []
            for _, row in tidy.iterrows():
                if kind == "dynamic":
                    if row["term"] == "overall":
                        by_e = post.groupby("event_time").apply(wmean, include_groups=False)
                        out.append(float(by_e.mean()))
                    else:
                        out.append(wmean(c[c["event_time"] == row["event_time"]]))
                elif kind == "simple":
                    out.append(wmean(post))
                elif kind == "group":
                    by_g = post.groupby("group").agg(att=("att", "mean"), size=("size", "first"))
                    if row["term"] == "overall":
                        out.append(float(np.average(by_g["att"], weights=by_g["size"])))
                    else:
                        out.append(float(by_g.loc[row["group"], "att"]))
                else:
                    by_t = post.groupby("time").apply(wmean, include_groups=False)
                    out.append(
                        float(by_t.mean())
                        if row["term"] == "overall"
                        else float(by_t.loc[row["time"]])
                    )
            return out

        return lookup

    return for_kind


def fit_policy(
    data: Cohort | Any,
    *,
    outcome: str = "moved",
    control: Control = "never",
    method: Method = "reg",
    cluster: str | None = "destination_id",
    alpha: float = 0.05,
    reps: int | None = None,
    boot_weights: BootWeights = "auto",
    small_cluster: bool | None = None,
    seed: int | None = 0,
) -> DidResult:
    """Callaway-Sant'Anna ATT(g,t) of the enrolment policy on a cohort (question Q3).

    The policy is adopted by destinations, so by default inference treats the destination as
    the cluster: influence functions are summed within destinations and, with fewer than
    ``FEW_DESTINATIONS`` (50) destinations, every ATT(g,t), every aggregation and the pre-test
    use a multiplier bootstrap over destinations with Webb's six-point weights (999 draws), the
    influence functions rescaled for the few-cluster bias (``small_cluster``), p-values and
    pointwise intervals referred to Student's t(G - 1) (G destinations) and every band's
    critical value floored at the t(G - 1) quantile. Without the floor the simple ATT's
    interval excluded a true zero effect about one time in eight: most of its weight is on the
    earliest adopting destinations, one or two of which carry most of its variance, so its
    multiplier draws look like one destination's bounded Webb weights and their 95% quantile
    is about 1.5-1.8 standard errors, not 1.96 (and the normal p-value of the dynamic overall
    rejected about 15% of the time). The pre-test
    (``diagnostics`` row ``pretest``) is then on the group-averaged pre-treatment effect, by
    randomisation inference over the destinations' adoption terms
    (:func:`~lbc_eval.estimation.did.randomisation.randomisation_pretest`; with
    ``control="not_yet"``, the bootstrap over clusters, ``pretest="average"`` of
    :func:`~lbc_eval.estimation.did.fit_did`). With about two
    destinations per adoption year a test of the cells one by one (Wald, bootstrap sup-t)
    rejects a true null most of the time, and even the averaged effect's bootstrap test about
    one time in five with destination-year shocks: each cell's clustered variance rests on one
    or two degrees of freedom. ``cov_type`` and ``notes`` name the methods.

    Parameters
    ----------
    data : Cohort or LazyCohort
        The cohort (its panel and destinations; see :func:`policy_panel`). A lazy cohort
        (``read_cohort(path, engine="duckdb")``) builds the policy panel and runs the DiD in
        its engine (:mod:`lbc_eval.questions.enrolment_lazy`), with the same result.
    outcome : str
        One of :data:`POLICY_OUTCOMES`.
    control : {"never", "not_yet"}
        Comparison children: of never-adopting destinations, or also not yet adopting ones.
    method : {"reg", "ipw", "dr"}
    cluster : str or None
        Cluster variable (default ``"destination_id"``, the level the policy varies at);
        ``None`` clusters by child, which over-rejects when outcomes share destination shocks.
    alpha : float
        1 - confidence level.
    reps : int, optional
        Multiplier-bootstrap draws; 0 means analytic standard errors. Default: 999 when
        clustering by fewer than ``FEW_DESTINATIONS`` (50) clusters, else 0.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        The multiplier weights; ``"auto"``: Webb's six points with fewer than
        ``FEW_DESTINATIONS`` (50) clusters, else Rademacher.
    small_cluster : bool, optional
        Rescale the influence functions for the few-cluster bias (see
        :func:`~lbc_eval.estimation.did.fit_did`) and refer the statistics to t(G - 1);
        default: with fewer than ``FEW_DESTINATIONS`` (50) clusters.
    seed : int or None
        Seed of the bootstrap.

    Returns
    -------
    DidResult
        Built on :func:`policy_panel` and :func:`lbc_eval.estimation.did.fit_did` (unbalanced
        panel: R ``did``'s repeated-cross-section estimator on the children observed in each
        of a cell's two terms, influence functions summed by child). ``group`` and
        ``time`` in ``tidy()`` are term labels. ``diagnostics`` has the ``pretest`` and
        ``treated_destinations`` rows. ``.summary()`` shows the simple ATT beside the dynamic
        overall (and the group and calendar ones) with the population each describes; the
        ATT(g,t) describe :data:`POLICY_POPULATION`. On a synthetic cohort ``vs_truth``
        compares with the truth's ATT(g,t), and so do the aggregations.
    """
    if is_lazy_cohort(data):
        source = lazy_policy_data(data, outcome, cluster)
    else:
        cohort = cohort_of(data, needs="destinations table (the adoption terms)")
        source = PolicyData.of_panel(policy_panel(cohort, outcome=outcome), outcome, cluster)
    inf = PolicyInference.resolve(source.n_clusters, cluster, reps, boot_weights, small_cluster)
    res = _fit(source.did_data, outcome, control, method, cluster, alpha, seed, inf)
    table = res.table.copy()
    table["group"] = [term_label(g) for g in table["group"]]
    table["time"] = [term_label(t) for t in table["time"]]
    table["term"] = [f"ATT({g},{t})" for g, t in zip(table["group"], table["time"], strict=True)]
    notes = (
        *res.notes,
        ATTRITION_NOTE,
        inference_note(source, cluster, control, res.cov_type, inf),
        f"ATT(g,t) describe {POLICY_POPULATION} (g), in term t; .summary() sets the simple ATT "
        "(average over treated child-terms) beside the dynamic overall (average over terms "
        "since adoption)",
    )
    diagnostics = policy_diagnostics(source, control, alpha, seed, inf, res.diagnostics)

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        c = _truth_cells(truth, outcome).set_index(["group", "time"])["att"]
        return [
            float(c.get((g, t), np.nan)) for g, t in zip(tidy["group"], tidy["time"], strict=True)
        ]

    return replace(
        res,
        table=table,
        notes=notes,
        diagnostics=diagnostics,
        truth_lookup=lookup,
        period_label=term_label,
        aggregate_truth=_truth_aggregate(outcome),
        population=POLICY_POPULATION,
        unit_name="child",
    )


def _fit(
    panel: pd.DataFrame | Any,
    outcome: str,
    control: Control,
    method: Method,
    cluster: str | None,
    alpha: float,
    seed: int | None,
    inf: PolicyInference,
) -> DidResult:
    """:func:`~lbc_eval.estimation.did.fit_did` on the policy panel (unbalanced, child by
    term, first exposed term as group; or its moments read by an engine); its warnings are
    re-raised at the caller of :func:`fit_policy`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_did(
            panel,
            outcome=outcome,
            unit="student_id",
            time="period",
            group="group",
            control=control,
            method=method,
            cluster=cluster,
            alpha=alpha,
            reps=inf.reps,
            boot_weights=inf.boot_weights,
            seed=seed,
            allow_unbalanced_panel=True,
            small_cluster=inf.small_cluster,
            pretest="average" if inf.randomised else "auto",
        )
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=3)
    return res


def fit_policy_twfe(
    data: Cohort, *, outcome: str = "moved", cluster: str | None = None, alpha: float = 0.05
) -> Result:
    """:func:`~lbc_eval.estimation.did.fit_twfe_event_study` on :func:`policy_panel`.

    Parameters
    ----------
    data : Cohort
        The cohort (its panel and destinations).
    outcome : str
        One of :data:`POLICY_OUTCOMES`.
    cluster : str, optional
        Cluster of the CRV1 errors (default: the child).
    alpha : float
        1 - confidence level.

    Returns
    -------
    Result
        One row per event time; ``vs_truth`` compares with the truth's event-time effects.
    """
    if is_lazy_cohort(data):
        raise OutOfCoreError(
            "the two-way fixed-effects event study is not run out of core; fit_policy runs on "
            "a lazy cohort, or collect the panel (lazy.collect()) and pass the Cohort"
        )
    cohort = cohort_of(data, needs="destinations table (the adoption terms)")
    panel = policy_panel(cohort, outcome=outcome)
    res = fit_twfe_event_study(
        panel,
        outcome=outcome,
        unit="student_id",
        time="period",
        group="group",
        cluster=cluster,
        alpha=alpha,
    )

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        t = {r["event_time"]: r["att"] for r in truth["policy"][outcome]["event_time"]}
        return [float(t.get(int(e), np.nan)) for e in tidy["event_time"]]

    return replace(res, truth_lookup=lookup)
