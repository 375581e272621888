"""Question Q3 on a lazy cohort: the policy panel as Ibis expressions, the DiD in the engine.

:func:`policy_panel_lazy` builds the same child-by-term panel as
:func:`~lbc_eval.questions.enrolment.policy_panel` -- children left behind in the first term,
their group from the adoption year of their first-term destination, ``moved`` absorbing and
carried forward after a child leaves the county with the parents -- as one Ibis expression over
the cohort's tables; :func:`lazy_policy_data` reads its moments in one pass
(:func:`lbc_eval.scale.did.panel_moments`), from which
:func:`~lbc_eval.questions.enrolment.fit_policy` gets the same ATT(g,t), inference by
destination (analytic, or the bootstrap over destinations) and randomisation pre-test as from
the DataFrame, without the panel in memory.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.lazy import LazyCohort, term_index_expr
from lbc_eval.data.terms import term_index
from lbc_eval.errors import EstimationError, UnknownColumnError
from lbc_eval.estimation.did.randomisation import randomisation_test
from lbc_eval.questions.enrolment_checks import PolicyData
from lbc_eval.scale.did import consecutive_changes, is_lazy, panel_moments, to_pandas

_OUTCOMES: tuple[str, ...] = ("moved", *OUTCOMES)
_EXIT = "moved_with_parents"
_COLUMNS = ["student_id", "period", "term", "group", "school_id", "destination_id"]


def is_lazy_cohort(data: object) -> bool:
    """A :class:`~lbc_eval.data.lazy.LazyCohort` (or anything whose panel is an Ibis table)."""
    return isinstance(data, LazyCohort) or is_lazy(getattr(data, "panel", None))


def policy_panel_lazy(cohort: LazyCohort, *, outcome: str = "moved") -> Any:
    """:func:`~lbc_eval.questions.enrolment.policy_panel` as an Ibis table (same columns, same
    rows, in no particular order).

    ``moved`` at term t is 1 when the child has lived with the parents at some term up to t
    (the running maximum of ``moved_to_parents``, missing where it is missing), computed as
    the child's first such term joined back; the carried-forward rows after an exit with the
    parents come from the exit rows crossed with the terms still to come while the child would
    be in grade 9 or below.
    """
    import ibis

    if outcome not in _OUTCOMES:
        raise UnknownColumnError(f"outcome {outcome!r} is not one of {', '.join(_OUTCOMES)}")
    p = cohort.panel
    first_term = cohort.terms[0]
    first, last = (int(term_index(t)[0]) for t in (first_term, cohort.terms[-1]))
    lb = p["lb_status"]
    base = p.filter((p["term"] == first_term) & (lb.isnull() | (lb != "none")))
    if int(base.count().execute()) == 0:
        raise EstimationError(f"no child is left behind in the first term ({first_term})")
    dest = cohort.destinations.select("destination_id", "policy_year")
    base = base.select("student_id", "destination_id", "school_id")
    joined = base.left_join(dest, base["destination_id"] == dest["destination_id"])
    children = joined.select(
        "student_id",
        "school_id",
        destination_id=base["destination_id"],
        group=(2 * joined["policy_year"].cast("int64").fill_null(0)).cast("int64"),
    )
    if outcome == "moved":  # the first term each child lived with the parents
        moved = p.filter(p["moved_to_parents"])
        first_moved = moved.group_by("student_id").aggregate(
            first_moved=term_index_expr(moved["term"]).min()
        )
        children = children.left_join(first_moved, "student_id")
    fields = {"student_id": p["student_id"], "period": term_index_expr(p["term"]),
              "term": p["term"]}  # fmt: skip
    if outcome == "moved":
        fields |= {
            "grade": p["grade"].cast("int64"),
            "mtp": p["moved_to_parents"].cast("float64"),
            "exit_reason": p["exit_reason"],
        }
    else:
        fields[outcome] = p[outcome].cast("float64")
    rows = p.select(**fields).inner_join(children, "student_id")
    if outcome != "moved":
        return rows.select(*_COLUMNS, outcome, imputed=ibis.literal(False))
    moved = ibis.cases(
        (rows["mtp"].isnull(), ibis.null("float64")),
        (rows["first_moved"].notnull() & (rows["period"] >= rows["first_moved"]), 1.0),
        else_=0.0,
    )
    real = rows.select(*_COLUMNS, moved=moved.cast("float64"), imputed=ibis.literal(False))
    exits = rows.filter(rows["exit_reason"] == _EXIT)
    ks = ibis.memtable({"k": np.arange(1, max(1, last - first) + 1, dtype=np.int64)})
    ahead = exits.cross_join(ks).mutate(future=exits["period"] + ks["k"])
    autumns = ahead["future"] // 2 - ahead["period"] // 2
    ahead = ahead.filter((ahead["future"] <= last) & (ahead["grade"] + autumns <= 9))
    carried = ahead.select(
        "student_id",
        period=ahead["future"],
        term=(ahead["future"] // 2).cast("string") + "-" + (ahead["future"] % 2 + 1).cast("string"),
        group=ahead["group"],
        school_id=ahead["school_id"],
        destination_id=ahead["destination_id"],
        moved=ibis.literal(1.0),
        imputed=ibis.literal(True),
    )
    return real.union(carried)


def lazy_policy_data(cohort: LazyCohort, outcome: str, cluster: str | None) -> PolicyData:
    """The :class:`~lbc_eval.questions.enrolment_checks.PolicyData` of a lazy cohort: the
    moments of :func:`policy_panel_lazy` (one pass; with the children as clusters, their
    cross-products), the destinations (a grouped query) and the randomisation pre-test from
    the moments by destination."""
    panel = policy_panel_lazy(cohort, outcome=outcome)
    first, last = (int(term_index(t)[0]) for t in (cohort.terms[0], cohort.terms[-1]))
    read = {"unit": "student_id", "time": "period", "group": "group", "outcome": outcome,
            "periods": np.arange(first, last + 1)}  # fmt: skip
    m = panel_moments(panel, **read, cluster=cluster, cross=cluster is None)
    pat = m.patterns
    n_clusters = pat["cluster"].nunique() if cluster else pat["units"].sum()
    if cluster == "destination_id":  # the destinations and their groups are in the patterns
        by_dest = pat.dropna(subset=["cluster"]).groupby("cluster")["group_raw"].max()
        n_dest, adopting = len(by_dest), int((by_dest > 0).sum())
    else:
        dest = to_pandas(
            panel.group_by("destination_id").aggregate(adopts=(panel["group"] > 0).max())
        ).dropna(subset=["destination_id"])
        n_dest, adopting = len(dest), int(dest["adopts"].fillna(False).astype(bool).sum())

    def randomise(draws: int, seed: int | None) -> tuple[float, float, int]:
        by_dest = (
            m
            if cluster == "destination_id"
            else panel_moments(panel, **read, cluster="destination_id")
        )
        return randomisation_test(**consecutive_changes(by_dest), draws=draws, seed=seed)

    return PolicyData(
        did_data=m,
        n_clusters=int(n_clusters),
        n_destinations=n_dest,
        adopting=adopting,
        randomise=randomise,
    )
