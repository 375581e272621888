"""Question Q3 on a cohort: did residence-permit enrolment let children live with their parents?

The design: children left behind in the first term of the panel, grouped by the term from
which their parents' work destination enrolled migrant children on the residence permit
(never, for destinations that did not adopt in the window). The unit is the child, the period
the term (a consecutive index), the cohort the first exposed term.

Outcomes: ``moved`` (moved to live with the parents by the end of the term: absorbing, and
carried forward after a child leaves the county with them) and the panel's scores, SDQ and
attendance (observed only while the child is enrolled in the county).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.terms import term_index, term_label, year_start
from lbc_eval.errors import EstimationError, UnknownColumnError
from lbc_eval.estimation.did.cells import Control, Method
from lbc_eval.estimation.did.estimator import fit_did
from lbc_eval.estimation.did.result import DidResult
from lbc_eval.estimation.results import Result, tidy_frame

POLICY_OUTCOMES: tuple[str, ...] = ("moved", *OUTCOMES)
ATTRITION_NOTE = (
    "attrition depends on the policy: children who move out of the county with their parents "
    "leave the panel. 'moved' carries them forward as moved; scores, SDQ and attendance are "
    "observed only for children still enrolled in the county, so effects on them describe "
    "the children who stay (including those who moved to the county seat)."
)


def policy_panel(cohort: Any, *, outcome: str = "moved") -> pd.DataFrame:
    """The child-by-term panel for question Q3.

    Returns
    -------
    DataFrame
        ``student_id, period`` (absolute term index: 2 x year + semester - 1), ``term``,
        ``cohort`` (first exposed term's index; 0 = the destination never adopted),
        ``school_id``, ``destination_id`` (in the first term), the outcome, and ``imputed``
        (rows carried forward after the child moved out of the county).
    """
    if outcome not in POLICY_OUTCOMES:
        raise UnknownColumnError(f"outcome {outcome!r} is not one of {', '.join(POLICY_OUTCOMES)}")
    p = cohort.panel
    terms = cohort.terms
    period = term_index(p["term"])
    first_term = terms[0]
    base = p[(p["term"] == first_term) & (p["lb_status"] != "none")]
    if base.empty:
        raise EstimationError(f"no child is left behind in the first term ({first_term})")
    years = cohort.destinations.set_index("destination_id")["policy_year"]
    g_year = base["destination_id"].map(years).astype("Float64")
    g = year_start(g_year.fillna(0).astype(int))  # the autumn term opening year y
    groups = pd.DataFrame(
        {
            "student_id": base["student_id"].to_numpy(),
            "cohort": g,
            "destination_id": base["destination_id"].to_numpy(),
            "school_id": base["school_id"].to_numpy(),
        }
    )
    rows = pd.DataFrame(
        {
            "student_id": p["student_id"],
            "period": period,
            "term": p["term"],
            "grade": p["grade"].astype(int),
            "moved_to_parents": p["moved_to_parents"].astype(float),
            "exit_reason": p["exit_reason"].astype(str),
        }
    )
    if outcome != "moved":
        rows[outcome] = p[outcome].astype(float)
    rows = rows.merge(groups[["student_id"]], on="student_id")
    rows["imputed"] = False
    if outcome == "moved":
        rows = rows.sort_values(["student_id", "period"])
        rows["moved"] = rows.groupby("student_id")["moved_to_parents"].cummax()
        add = _carry_forward(
            rows[rows["exit_reason"] == "moved_with_parents"], last=int(term_index(terms[-1])[0])
        )
        if len(add):
            rows = pd.concat([rows, add], ignore_index=True)
    rows = rows.merge(groups, on="student_id")
    cols = [
        "student_id",
        "period",
        "term",
        "cohort",
        "school_id",
        "destination_id",
        outcome,
        "imputed",
    ]
    return rows[cols].sort_values(["student_id", "period"]).reset_index(drop=True)


def _carry_forward(exits: pd.DataFrame, *, last: int) -> pd.DataFrame:
    """Rows after a child left the county with the parents: moved = 1, for as long as the child
    would still be in compulsory school (grade 9 at most), the way graduates leave the panel."""
    if exits.empty:
        return pd.DataFrame()
    per = exits["period"].to_numpy()
    grade = exits["grade"].to_numpy()
    k = np.arange(1, max(1, last - int(per.min())) + 1)
    future = per[:, None] + k[None, :]
    # the grade rises at each autumn term (even index) after the exit
    autumns = (future // 2) - (per[:, None] // 2)
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
    cohort: Any,
    *,
    outcome: str = "moved",
    control: Control = "never",
    method: Method = "reg",
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: int = 0,
    seed: int = 0,
) -> DidResult:
    """Callaway-Sant'Anna ATT(g,t) of the enrolment policy on a cohort (question Q3).

    Built on :func:`policy_panel` and :func:`lbc_eval.estimation.did.fit_did` (unbalanced
    panel: each
    ATT(g,t) uses the children observed in both of its terms). ``group`` and ``time`` in
    ``tidy()`` are term labels. On a synthetic cohort ``vs_truth`` compares with
    ``truth["policy"][outcome]``, and so do the aggregations.
    """
    data = policy_panel(cohort, outcome=outcome)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_did(
            data,
            outcome=outcome,
            unit="student_id",
            time="period",
            cohort="cohort",
            control=control,
            method=method,
            cluster=cluster,
            alpha=alpha,
            bootstrap=bootstrap,
            seed=seed,
            allow_unbalanced_panel=True,
        )
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    table = res.table.copy()
    table["group"] = [term_label(g) for g in table["group"]]
    table["time"] = [term_label(t) for t in table["time"]]
    table["term"] = [f"ATT({g},{t})" for g, t in zip(table["group"], table["time"], strict=True)]
    n_dest = cohort.destinations["destination_id"].nunique()
    notes = (
        *res.notes,
        ATTRITION_NOTE,
        f"adoption varies across {n_dest} destinations; if outcomes share shocks within a "
        f"destination, pass cluster='destination_id' (few clusters: intervals are then "
        f"approximate)",
    )

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        c = _truth_cells(truth, outcome).set_index(["group", "time"])["att"]
        return [
            float(c.get((g, t), np.nan)) for g, t in zip(tidy["group"], tidy["time"], strict=True)
        ]

    settings = {
        **res.settings,
        "period_label": term_label,
        "truth_aggregate": _truth_aggregate(outcome),
    }
    return DidResult(
        estimator=res.estimator,
        table=table,
        outcome=outcome,
        nobs=res.nobs,
        cov_type=res.cov_type,
        formula=res.formula,
        n_clusters=res.n_clusters,
        alpha=alpha,
        notes=notes,
        warnings=res.warnings,
        raw=res.raw,
        extra=res.extra,
        truth_lookup=lookup,
        inf=res.inf,
        unit_group=res.unit_group,
        cluster_codes=res.cluster_codes,
        settings=settings,
    )


def fit_twfe_event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """The two-way fixed-effects event study, shown beside Callaway-Sant'Anna for contrast.

    Notes
    -----
    :math:`Y_{it} = \\alpha_i + \\lambda_t + \\sum_{e \\ne -1} \\beta_e 1[t - G_i = e] +
    \\varepsilon_{it}`, never-treated units in the reference. With staggered adoption and
    effects that change with exposure or differ across cohorts, each :math:`\\beta_e` mixes
    effects of other event times with weights that can be negative (Sun & Abraham 2021), so it
    is biased for the event-time effect. Standard errors: CRV1 by ``cluster`` (default: unit).
    """
    import pyfixest as pf

    for c in (outcome, unit, time, cohort, *([cluster] if cluster else [])):
        if c not in data.columns:
            raise UnknownColumnError(f"column {c!r} not in the data")
    d = (
        data[[outcome, unit, time, cohort, *([cluster] if cluster else [])]]
        .dropna(subset=[outcome])
        .copy()
    )
    g = pd.to_numeric(d[cohort], errors="coerce").fillna(0)
    periods = np.sort(d[time].unique())
    step = float(np.diff(periods).min())
    never = -9999
    d["rel"] = np.where(g > 0, np.round((d[time] - g) / step), never).astype(int)
    d["y__"] = d[outcome].astype(float)
    vcov = {"CRV1": cluster or unit}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(f"y__ ~ i(rel, ref=-1) | {unit} + {time}", data=d, vcov=vcov)
    tidy = fit.tidy()
    rel = []
    for name in tidy.index:
        rel.append(int(float(str(name).split("::")[1].rstrip("]"))))
    keep = [i for i, r in enumerate(rel) if r != never]
    est = tidy["Estimate"].to_numpy()[keep]
    se = tidy["Std. Error"].to_numpy()[keep]
    ev = [rel[i] for i in keep]
    n_cl = int(d[cluster or unit].nunique())
    table = tidy_frame([f"e={e}" for e in ev], est, se, outcome=outcome, alpha=alpha, df=n_cl - 1)
    table["event_time"] = pd.array(ev, dtype="Int64")
    table = table.sort_values("event_time").reset_index(drop=True)

    def lookup(truth: Mapping[str, Any], tidy_: pd.DataFrame) -> list[float]:
        t = {r["event_time"]: r["att"] for r in truth["policy"][outcome]["event_time"]}
        return [float(t.get(int(e), np.nan)) for e in tidy_["event_time"]]

    return Result(
        estimator="twfe event study",
        table=table,
        outcome=outcome,
        nobs=int(fit._N),
        cov_type=f"CRV1 by {cluster or unit}",
        formula=f"{outcome} ~ i(rel, ref=-1) | {unit} + {time}",
        n_clusters=n_cl,
        alpha=alpha,
        raw=fit,
        notes=(
            "two-way fixed effects: biased under staggered adoption with dynamic or "
            "heterogeneous effects; shown for contrast",
        ),
        truth_lookup=lookup if outcome in POLICY_OUTCOMES else None,
    )


def fit_policy_twfe(cohort: Any, *, outcome: str = "moved", alpha: float = 0.05) -> Result:
    """:func:`fit_twfe_event_study` on :func:`policy_panel` (clustered by child)."""
    data = policy_panel(cohort, outcome=outcome)
    return fit_twfe_event_study(
        data, outcome=outcome, unit="student_id", time="period", cohort="cohort", alpha=alpha
    )
