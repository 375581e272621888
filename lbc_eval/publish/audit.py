"""Coverage and compliance audits of the support left-behind children receive (question Q4).

Each audit takes ``data``, the cohort's panel (or the cohort itself), and returns a tidy
frame, one row per group of ``by`` (any panel columns, plus ``year``: the academic year of
the term, ``2024`` for ``2024-1`` and ``2024-2``). The rest of the arguments are keyword-only.
Counts are child-terms: with ``term`` in ``by`` (the default) that is children. A child is
*left-behind* when ``lb_status`` is father, mother or both, and *paired* when ``mentor_role``
is not none.

On a lazy cohort (``read_cohort(path, engine="duckdb")``, or its ``panel``), :func:`coverage`,
:func:`scholarships` and :func:`scholarship_shortfalls` group in the engine
(:mod:`lbc_eval.scale.audit`) and finish the small table with the same code: the same frames.
:func:`lbc_eval.scale.audit.crosstab` counts a two-way table in the engine for
:func:`lbc_eval.suppress`.

- :func:`coverage`: share of left-behind children paired with a mentor, by mentor role;
- :func:`contacts`: contacts per paired left-behind child by type (talks, home visits,
  activities, parent contacts), against the "三多" expectations the user sets;
- :func:`access`: counselling and tutoring for left-behind children and for the others;
- :func:`scholarships`: the share of scholarships going to left-behind children by school and
  year against the at-least-30% rule; :func:`scholarship_shortfalls` lists the schools short.

``k=10`` (or any k) returns the frame ready to publish: small cells are NA, a ``suppressed``
column flags the rows touched and ``frame.attrs["suppression"]`` keeps the record (see
:mod:`lbc_eval.publish.suppression`). Plots take these frames and ``ax=None`` and return the axes.

Examples
--------
>>> import lbc_eval
>>> from lbc_eval.publish import audit
>>> panel = lbc_eval.read_cohort("data/synthetic").panel
>>> audit.coverage(panel, by="term").columns[:4].tolist()
['term', 'n_left_behind', 'n_paired', 'share_paired']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.data.terms import academic_year
from lbc_eval.errors import SpecError, UnknownColumnError
from lbc_eval.publish.suppression import suppress_rows
from lbc_eval.scale import audit as scale_audit
from lbc_eval.scale import within as scale_within

CONTACT_TYPES: tuple[str, ...] = ("talks", "home_visits", "activities", "parent_contacts")
ROLES: tuple[str, ...] = ("cadre", "teacher", "volunteer")
SERVICES: dict[str, str] = {"counseling": "counseling", "tutoring": "tutoring_hours"}
RULE_SHARE = 0.30

#: For each audit: the base count, the other counts, the columns derived from them.
SUPPRESSION: dict[str, dict[str, Any]] = {
    "coverage": {
        "n": ("n_left_behind",),
        "counts": ("n_paired", *(f"n_{r}" for r in ROLES)),
        "derived": ("share_paired",),
        "sums": {"n_paired": tuple(f"n_{r}" for r in ROLES)},
    },
    "contacts": {
        "n": ("n_paired",),
        "counts": ("n_meeting",),
        "derived": ("mean", "median", "share_meeting"),
    },
    "access": {
        "n": ("n_children",),
        "counts": ("n_receiving",),
        "derived": ("share_receiving", "mean_per_child"),
    },
    "scholarships": {
        "n": ("n_recipients",),
        "counts": ("n_lb_recipients",),
        "derived": (
            "amount_yuan",
            "amount_lb_yuan",
            "share_lb_recipients",
            "share_lb_amount",
            "share_lb",
            "shortfall",
        ),
    },
}


def _prepare(data: pd.DataFrame, by: str | Sequence[str], need: Sequence[str]) -> tuple:
    """The panel of ``data`` (a cohort's, if a cohort is given) with ``year`` if grouped by,
    the group keys and the left-behind and known-status masks."""
    keys = [by] if isinstance(by, str) else list(by)
    if not keys:
        raise SpecError("by", "give at least one column to group by, e.g. 'term'")
    panel = data.panel if hasattr(data, "panel") else data
    frame = panel
    if "year" in keys and "year" not in panel.columns:
        frame = panel.assign(year=academic_year(panel["term"]))
    missing = [c for c in (*keys, *need) if c not in frame.columns]
    if missing:
        raise UnknownColumnError(f"the panel has no column(s) {', '.join(missing)}")
    lb = frame["lb_status"].isin(["father", "mother", "both"])
    known = frame["lb_status"].notna()
    return frame, keys, lb, known


def _lazy_panel(data: Any) -> Any:
    """The Ibis table of a lazy panel (or of a lazy cohort), else None."""
    panel = getattr(data, "panel", data)
    return panel if scale_within.is_lazy(panel) else None


def _order(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Sort by the keys (terms ``YYYY-S`` sort in time order as text)."""
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def _publish(out: pd.DataFrame, audit: str, k: int | None) -> pd.DataFrame:
    if k is None:
        return out
    spec = SUPPRESSION[audit]
    done = suppress_rows(
        out,
        n=spec["n"][0],
        counts=spec["counts"],
        derived=spec["derived"],
        sums=spec.get("sums"),
        k=k,
    )
    table = done.table
    table["suppressed"] = done.mask.any(axis=1).to_numpy()
    table.attrs["suppression"] = done.record
    return table


def coverage(
    data: pd.DataFrame, *, by: str | Sequence[str] = "term", k: int | None = None
) -> pd.DataFrame:
    """Share of left-behind children paired with a mentor, and by whom.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n_left_behind``, ``n_paired``, ``share_paired``, ``n_cadre``,
        ``n_teacher``, ``n_volunteer``.

    Notes
    -----
    :math:`\\text{share\\_paired}_g = \\#\\{i \\in g: LB_i, \\text{role}_i \\ne none\\} /
    \\#\\{i \\in g: LB_i\\}` over child-terms :math:`i` of group :math:`g`.
    """
    table = _lazy_panel(data)
    if table is not None:  # counted in the engine
        keys = [by] if isinstance(by, str) else list(by)
        out = scale_audit.coverage_counts(table, keys, ROLES)
    else:
        frame, keys, lb, _ = _prepare(data, by, ["lb_status", "mentor_role"])
        sub = frame.loc[lb, keys].copy()
        role = frame.loc[lb, "mentor_role"].astype("string")
        sub["paired"] = (role.notna() & (role != "none")).to_numpy()
        for r in ROLES:
            sub[f"n_{r}"] = (role == r).fillna(False).to_numpy()
        out = (
            sub.groupby(keys, observed=True, sort=False)
            .agg(
                n_left_behind=("paired", "size"),
                n_paired=("paired", "sum"),
                **{f"n_{r}": (f"n_{r}", "sum") for r in ROLES},
            )
            .reset_index()
        )
    out["share_paired"] = out["n_paired"] / out["n_left_behind"]
    cols = [*keys, "n_left_behind", "n_paired", "share_paired", *(f"n_{r}" for r in ROLES)]
    return _publish(_order(out[cols], keys), "coverage", k)


def contacts(
    data: pd.DataFrame,
    *,
    expectations: Mapping[str, float] | None = None,
    by: str | Sequence[str] = "term",
    population: Literal["left_behind", "paired"] = "left_behind",
    k: int | None = None,
) -> pd.DataFrame:
    """Contacts per paired child in a term, by type, against expected numbers ("三多").

    Parameters
    ----------
    expectations : mapping, optional
        Expected contacts per paired child and term for some of ``talks``, ``home_visits``,
        ``activities``, ``parent_contacts`` (the bureau's own targets: the seed document asks
        for "more" without a number, so there is no default).
    population : {"left_behind", "paired"}
        Paired left-behind children (default), or every paired child (mentors also see some
        low-income children who are not left behind).

    Returns
    -------
    DataFrame
        ``by`` columns, ``contact``, ``n_paired``, ``mean``, ``median``, ``expected``,
        ``n_meeting``, ``share_meeting`` (children with at least the expected number; NA
        where no expectation was given).
    """
    if population not in ("left_behind", "paired"):
        raise SpecError("population", f"must be 'left_behind' or 'paired', not {population!r}")
    expectations = dict(expectations or {})
    unknown = sorted(set(expectations) - set(CONTACT_TYPES))
    if unknown:
        raise SpecError(
            "expectations", f"unknown contact type(s) {unknown}; use {', '.join(CONTACT_TYPES)}"
        )
    frame, keys, lb, _ = _prepare(data, by, ["lb_status", "mentor_role", *CONTACT_TYPES])
    role = frame["mentor_role"].astype("string")
    paired = (role.notna() & (role != "none")).to_numpy()
    rows = paired & lb.to_numpy() if population == "left_behind" else paired
    parts = []
    for c in CONTACT_TYPES:
        sub = frame.loc[rows, keys].copy()
        sub["value"] = frame.loc[rows, c].astype(float).to_numpy()
        exp = expectations.get(c)
        sub["meets"] = sub["value"] >= exp if exp is not None else False
        g = sub.groupby(keys, observed=True, sort=False)
        out = g.agg(
            n_paired=("value", "size"),
            mean=("value", "mean"),
            median=("value", "median"),
            n_meeting=("meets", "sum"),
        ).reset_index()
        out.insert(len(keys), "contact", c)
        out["expected"] = np.nan if exp is None else float(exp)
        if exp is None:
            out["n_meeting"] = pd.array([pd.NA] * len(out), dtype="Int64")
        out["share_meeting"] = out["n_meeting"] / out["n_paired"]
        parts.append(out)
    out = pd.concat(parts, ignore_index=True)
    cols = [*keys, "contact", "n_paired", "mean", "median", "expected", "n_meeting"]
    out = _order(out[[*cols, "share_meeting"]], keys)  # stable: contacts stay in order
    return _publish(out, "contacts", k)


def access(
    data: pd.DataFrame, *, by: str | Sequence[str] = "term", k: int | None = None
) -> pd.DataFrame:
    """Counselling and tutoring for left-behind children and for the others.

    Returns
    -------
    DataFrame
        ``by`` columns, ``service`` (``counseling`` sessions, ``tutoring`` hours), ``group``
        (``left_behind`` / ``other``), ``n_children``, ``n_receiving`` (any sessions or
        hours), ``share_receiving``, ``mean_per_child`` (sessions or hours per child, zeros
        included). Children whose left-behind status is missing are left out.
    """
    frame, keys, lb, known = _prepare(data, by, ["lb_status", *SERVICES.values()])
    parts = []
    for service, col in SERVICES.items():
        sub = frame.loc[known, keys].copy()
        # a categorical key (text again after grouping): millions of strings are slow
        sub["group"] = pd.Categorical.from_codes(
            np.where(lb[known], 0, 1), categories=["left_behind", "other"]
        )
        v = frame.loc[known, col].astype(float).fillna(0.0).to_numpy()
        sub["amount"] = v
        sub["receiving"] = v > 0
        g = sub.groupby([*keys, "group"], observed=True, sort=False)
        out = g.agg(
            n_children=("amount", "size"),
            n_receiving=("receiving", "sum"),
            mean_per_child=("amount", "mean"),
        ).reset_index()
        out["group"] = out["group"].astype(str)
        out.insert(len(keys), "service", service)
        out["share_receiving"] = out["n_receiving"] / out["n_children"]
        parts.append(out)
    out = pd.concat(parts, ignore_index=True)
    cols = [*keys, "service", "group", "n_children", "n_receiving", "share_receiving"]
    out = _order(out[[*cols, "mean_per_child"]], [*keys, "service", "group"])
    return _publish(out, "access", k)


def scholarships(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("school_id", "year"),
    rule: float = RULE_SHARE,
    basis: Literal["amount", "recipients"] = "amount",
    k: int | None = None,
) -> pd.DataFrame:
    """Share of scholarships going to left-behind children, against the at-least-30% rule.

    Parameters
    ----------
    rule : float
        Minimum share for left-behind children (0.30 in the Shulan reply).
    basis : {"amount", "recipients"}
        Whether the rule is read on yuan paid (default) or on the number of recipients.

    Returns
    -------
    DataFrame
        ``by`` columns, ``n_pupils`` (child-terms), ``lb_share_of_pupils``, ``n_recipients``,
        ``n_lb_recipients``, ``amount_yuan``, ``amount_lb_yuan``, ``share_lb_recipients``,
        ``share_lb_amount``, ``share_lb`` (on ``basis``), ``meets_rule`` (NA without any
        scholarship) and ``shortfall`` (yuan, or recipients, that left-behind children
        lacked to reach the rule; 0 when met).

    Notes
    -----
    On amounts, :math:`s_g = \\sum_{i \\in g} LB_i\\,y_i / \\sum_{i \\in g} y_i` and the
    shortfall is :math:`\\max(0, r \\sum y_i - \\sum LB_i y_i)`; on recipients, with
    :math:`m` recipients of whom :math:`m_{LB}` left behind, :math:`s = m_{LB}/m` and the
    shortfall is :math:`\\max(0, \\lceil r m \\rceil - m_{LB})`. ``meets_rule`` keeps its value
    when ``k`` suppresses the counts: it is the school's verdict, a coarse bound only.
    """
    if basis not in ("amount", "recipients"):
        raise SpecError("basis", f"must be 'amount' or 'recipients', not {basis!r}")
    if not 0 < rule < 1:
        raise SpecError("rule", f"must be a share between 0 and 1, not {rule}")
    table = _lazy_panel(data)
    if table is not None:  # summed in the engine
        keys = [by] if isinstance(by, str) else list(by)
        out = scale_audit.scholarship_sums(table, keys)
    else:
        frame, keys, lb, _ = _prepare(data, by, ["lb_status", "scholarship_yuan"])
        sub = frame[keys].copy()
        y = frame["scholarship_yuan"].astype(float).fillna(0.0).to_numpy()
        is_lb = lb.to_numpy()
        sub["lb"] = is_lb
        sub["got"] = y > 0
        sub["lb_got"] = (y > 0) & is_lb
        sub["y"] = y
        sub["y_lb"] = np.where(is_lb, y, 0.0)
        g = sub.groupby(keys, observed=True, sort=False)
        out = g.agg(
            n_pupils=("lb", "size"),
            lb_share_of_pupils=("lb", "mean"),
            n_recipients=("got", "sum"),
            n_lb_recipients=("lb_got", "sum"),
            amount_yuan=("y", "sum"),
            amount_lb_yuan=("y_lb", "sum"),
        ).reset_index()
    m = out["n_recipients"].astype(float)
    out["share_lb_recipients"] = (out["n_lb_recipients"] / m).where(m > 0)
    out["share_lb_amount"] = (out["amount_lb_yuan"] / out["amount_yuan"]).where(m > 0)
    out["share_lb"] = out[f"share_lb_{'amount' if basis == 'amount' else 'recipients'}"]
    out["meets_rule"] = pd.array(
        [pd.NA if pd.isna(s) else bool(s >= rule - 1e-12) for s in out["share_lb"]],
        dtype="boolean",
    )
    if basis == "amount":
        short = (rule * out["amount_yuan"] - out["amount_lb_yuan"]).clip(lower=0)
    else:
        short = (np.ceil(rule * m - 1e-9) - out["n_lb_recipients"]).clip(lower=0)
    out["shortfall"] = short.where(m > 0)
    return _publish(_order(out, keys), "scholarships", k)


def scholarship_shortfalls(
    data: pd.DataFrame,
    *,
    by: str | Sequence[str] = ("school_id", "year"),
    rule: float = RULE_SHARE,
    basis: Literal["amount", "recipients"] = "amount",
    k: int | None = None,
) -> pd.DataFrame:
    """The rows of :func:`scholarships` that fall short of the rule, largest shortfall first."""
    table = scholarships(data, by=by, rule=rule, basis=basis, k=None)
    short = table[table["meets_rule"].eq(False).fillna(False)]
    short = short.sort_values("shortfall", ascending=False, kind="stable").reset_index(drop=True)
    return _publish(short, "scholarships", k)


__all__ = [
    "CONTACT_TYPES",
    "SUPPRESSION",
    "access",
    "contacts",
    "coverage",
    "scholarship_shortfalls",
    "scholarships",
]
