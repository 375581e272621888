r"""The audits' group-bys and two-way counts in the engine (a lazy cohort's panel).

:mod:`lbc_eval.publish.audit` calls these on an Ibis table instead of grouping the panel in
pandas; each returns the small table its in-memory code would have built, with the same columns
and dtypes, and the audit then finishes it (shares, order, suppression) with the same code. So
a coverage or scholarship audit of a province or the nation reads only the columns it needs,
in the engine, and brings back one row per group.

Group keys are any panel columns, plus ``year`` (the academic year of the term,
:func:`lbc_eval.data.terms.academic_year`: the four digits of ``YYYY-S``). Rows where a key is
missing are left out, as pandas' ``groupby`` leaves them out. Keys come back with the
in-memory dtypes: the codebook's for codebook columns (a category keeps all its levels in its
dtype), ``int64`` for ``year``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbc_eval.data import codebook
from lbc_eval.errors import SpecError, UnknownColumnError

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

LEFT_BEHIND = ("father", "mother", "both")


def _keyed(table: ir.Table, keys: Sequence[str], need: Sequence[str]) -> ir.Table:
    """The table with ``year`` added if grouped by, rows with a missing key left out."""
    if not keys:
        raise SpecError("by", "give at least one column to group by, e.g. 'term'")
    if "year" in keys and "year" not in table.columns:
        table = table.mutate(year=table["term"].substr(0, 4).cast("int64"))
    missing = [c for c in (*keys, *need) if c not in table.columns]
    if missing:
        raise UnknownColumnError(f"the panel has no column(s) {', '.join(missing)}")
    keep = table[keys[0]].notnull()
    for k in keys[1:]:
        keep &= table[k].notnull()
    return table.filter(keep)


def _typed(frame: pd.DataFrame, keys: Sequence[str]) -> pd.DataFrame:
    """Group keys with the dtypes the in-memory groupby gives them."""
    known = {c.name: c for c in codebook.columns("panel")}
    for k in keys:
        if k == "year":
            frame[k] = frame[k].astype("int64")
        elif k in known:
            frame[k] = frame[k].astype(known[k].dtype)  # type: ignore[call-overload]
    return frame


def _counts(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    for c in columns:
        frame[c] = frame[c].fillna(0).astype("int64")
    return frame


def coverage_counts(table: ir.Table, keys: Sequence[str], roles: Sequence[str]) -> pd.DataFrame:
    """Left-behind child-terms, paired ones and paired by each of ``roles``, per group (the
    columns of :func:`lbc_eval.publish.audit.coverage` before ``share_paired``)."""
    t = _keyed(table, keys, ["lb_status", "mentor_role"])
    t = t.filter(t["lb_status"].isin(list(LEFT_BEHIND)))
    role = t["mentor_role"]
    aggs: dict[str, Any] = {
        "n_left_behind": t.count(),
        "n_paired": (role != "none").fill_null(False).cast("int64").sum(),
    }
    for r in roles:
        aggs[f"n_{r}"] = (role == r).fill_null(False).cast("int64").sum()
    frame = t.group_by(list(keys)).aggregate(**aggs).to_pyarrow().to_pandas()
    return _counts(_typed(frame, keys), list(aggs))


def scholarship_sums(table: ir.Table, keys: Sequence[str]) -> pd.DataFrame:
    """Pupils, left-behind share, recipients and yuan per group (the columns of
    :func:`lbc_eval.publish.audit.scholarships` before the shares and the rule)."""
    import ibis

    t = _keyed(table, keys, ["lb_status", "scholarship_yuan"])
    y = t["scholarship_yuan"].cast("float64").fill_null(0.0)
    lb = t["lb_status"].isin(list(LEFT_BEHIND)).fill_null(False)
    got = y > 0
    zero = ibis.literal(0.0)
    aggs = {
        "n_pupils": t.count(),
        "n_lb": lb.cast("int64").sum(),
        "n_recipients": got.cast("int64").sum(),
        "n_lb_recipients": (got & lb).cast("int64").sum(),
        "amount_yuan": y.sum(),
        "amount_lb_yuan": lb.ifelse(y, zero).sum(),
    }
    frame = t.group_by(list(keys)).aggregate(**aggs).to_pyarrow().to_pandas()
    frame = _counts(_typed(frame, keys), ["n_pupils", "n_lb", "n_recipients", "n_lb_recipients"])
    frame.insert(len(keys) + 1, "lb_share_of_pupils", frame["n_lb"] / frame["n_pupils"])
    for c in ("amount_yuan", "amount_lb_yuan"):
        frame[c] = frame[c].astype("float64")
    return frame.drop(columns="n_lb")


def crosstab(
    table: ir.Table,
    index: str,
    columns: str,
    *,
    margins: bool = False,
    margins_name: str = "All",
) -> pd.DataFrame:
    """Counts of rows by two columns, counted in the engine: ``pd.crosstab(panel[index],
    panel[columns], margins=..., margins_name=...)`` of a lazy panel, ready for
    :func:`lbc_eval.suppress`.

    Rows where either column is missing are left out, as ``pd.crosstab`` leaves them out.
    Labels are sorted (a codebook category in its levels' order, the categories without a row
    left out), counts are ``int64``.
    """
    t = _keyed(table, [index, columns], [])
    long = t.group_by([index, columns]).aggregate(n=t.count()).to_pyarrow().to_pandas()
    long = _typed(long, [index, columns])
    wide = long.pivot_table(index=index, columns=columns, values="n", aggfunc="sum",
                            fill_value=0, observed=True)  # fmt: skip
    wide = wide.astype("int64")
    for axis in (0, 1):
        labels = wide.index if axis == 0 else wide.columns
        if isinstance(labels, pd.CategoricalIndex):
            kept = labels.remove_unused_categories()
            wide = wide.set_axis(kept, axis=axis)
    if margins:
        wide[margins_name] = wide.sum(axis=1)
        total = wide.sum(axis=0).to_frame().T
        total.index = pd.Index([margins_name])
        wide = pd.concat([_plain_index(wide), total])
        wide.index.name = index
        wide.columns = pd.Index(np.asarray(wide.columns, dtype=object), name=columns)
    wide.columns.name = columns
    return wide


def _plain_index(frame: pd.DataFrame) -> pd.DataFrame:
    """Labels as objects (a categorical index cannot take the margin's label)."""
    out = frame.copy()
    out.index = pd.Index(np.asarray(out.index, dtype=object), name=frame.index.name)
    return out
