"""Small-cell suppression for every table the kit publishes.

A cell counting fewer than ``k`` children (default 10, the most common minimum in US NCES
practice; no Chinese rule was found) is *primary*-suppressed. Because row and column totals
are published (or could be), more cells are *complementarily* suppressed until no suppressed
cell can be worked out from the totals: not by subtracting within a row or column, nor by
combining several rows and columns (the check is exact linear algebra, see :func:`suppress`).

Two entry points:

:func:`suppress`
    a two-way table of counts (schools x terms, townships x left-behind type ...), with or
    without its margins, returns the same shape with suppressed cells missing (NA);
:func:`suppress_rows`
    a tidy audit frame (one row per group, a base count ``n`` and numerators and rates
    derived from it) masks rows whose base is below ``k`` and numerators below ``k``
    (with the rates computed from them). It protects each row on its own: publish group
    totals only through :func:`suppress`.

Both return a :class:`Suppressed`: ``.table`` (NA where suppressed), ``.record`` (what was
suppressed and why; never the hidden value) and ``.marked()`` (strings with ``x`` for a
suppressed cell, ready for the brief).
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lbc_eval.errors import LbcEvalWarning, SpecError
from lbc_eval.publish.recovery import Grid, protect


class UnprotectedCellWarning(LbcEvalWarning):
    """A suppressed cell could still be recovered from totals; the record says which."""


@dataclass(frozen=True)
class Suppressed:
    """A table after suppression.

    Attributes
    ----------
    table : DataFrame
        The input's shape; suppressed cells are NA (nullable dtypes).
    mask : DataFrame of bool
        True where a cell was suppressed.
    record : DataFrame
        One row per suppressed cell: ``row, column, reason, detail``; ``reason`` is
        ``primary`` (fewer than k children), ``complementary`` (hides a primary cell from the
        totals) or ``unprotected`` (could not be hidden: do not publish the table).
    k : int
    """

    table: pd.DataFrame
    mask: pd.DataFrame = field(repr=False)
    record: pd.DataFrame = field(repr=False)
    k: int = 10

    @property
    def n_primary(self) -> int:
        """Cells suppressed because they count fewer than k children."""
        return int((self.record["reason"] == "primary").sum())

    @property
    def n_complementary(self) -> int:
        """Cells suppressed so that the primary ones cannot be recovered."""
        return int((self.record["reason"] == "complementary").sum())

    @property
    def protected(self) -> bool:
        """False when some suppressed cell can still be recovered (see the record)."""
        return not (self.record["reason"] == "unprotected").any()

    def marked(self, symbol: str = "x") -> pd.DataFrame:
        """The table as strings, ``symbol`` in every suppressed cell (one symbol for both kinds,
        so that a reader cannot tell which cells are the small ones)."""
        text = self.table.astype(object).map(lambda v: "" if pd.isna(v) else _text(v))
        return text.where(~self.mask, symbol)

    def note(self) -> str:
        """One sentence for a caption."""
        total = len(self.record)
        if total == 0:
            return f"No cell counts fewer than {self.k} children."
        return (
            f"x: suppressed ({self.n_primary} cell(s) counting fewer than {self.k} children and "
            f"{self.n_complementary} more so that they cannot be recovered from totals)."
        )

    def __repr__(self) -> str:
        return f"{self.marked().to_string()}\n{self.note()}"

    def _repr_html_(self) -> str:
        return self.marked().to_html() + f"<p><small>{self.note()}</small></p>"


def _text(v: object) -> str:
    if isinstance(v, (float, np.floating)):
        return f"{v:.3g}" if abs(v) < 1 else f"{v:,.1f}".rstrip("0").rstrip(".")
    return str(v)


# --- two-way tables -------------------------------------------------------------------------------


def suppress(
    table: pd.DataFrame,
    *,
    k: int = 10,
    margins: Hashable | None = None,
    totals_published: bool = True,
    zeros: bool = False,
) -> Suppressed:
    """Suppress small cells of a two-way table of counts, with complementary suppression.

    Parameters
    ----------
    table : DataFrame
        Counts of children (non-negative whole numbers); rows and columns are categories.
    k : int
        Minimum publishable count: cells with ``0 < count < k`` are suppressed.
    margins : label, optional
        The label of the total row and column if the table has them (``"All"`` from
        ``pd.crosstab(..., margins=True)``, ``"合计"``); they are checked, and suppressed like
        other cells when needed.
    totals_published : bool
        Whether row and column totals that are not in the table are public anyway (the safe
        assumption, default). With False, and no margins, only primary suppression is needed.
    zeros : bool
        Also suppress cells of 0 (when "none of them" is itself disclosive).

    Returns
    -------
    Suppressed

    Notes
    -----
    Let :math:`x` be the suppressed cells and :math:`Ax = b` the published equations: each
    row's cells sum to its total, each column's to its total, the totals to the grand total.
    A suppressed cell :math:`x_i` is recoverable exactly when :math:`e_i` lies in the row
    space of :math:`A`, i.e. when coordinate :math:`i` of every null-space vector of
    :math:`A` is 0. While some cell is recoverable, one more cell is suppressed in a row or
    column through it that holds the fewest suppressed cells: preferably a cell whose other
    line already holds a suppressed cell, then the smallest positive count. This stops any
    exact recovery, by single subtraction or by combining lines; it does not widen the
    bounds an attacker gets from counts being non-negative.
    """
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise SpecError("k", f"must be a positive whole number, not {k!r}")
    g = Grid.of(table, margins)
    known_outside = ~g.in_table if totals_published else np.zeros_like(g.in_table)
    public = g.in_table | known_outside  # cells whose value is, or could be, published
    small = (g.grid < k) & ((g.grid > 0) | zeros)
    hidden = g.in_table & small
    reasons: dict[tuple[int, int], tuple[str, str]] = {
        (int(a), int(b)): ("primary", f"fewer than {k} children")
        for a, b in zip(*np.nonzero(hidden), strict=True)
    }
    unprotected = protect(g, hidden, public, reasons)
    if unprotected:
        warnings.warn(
            f"{len(unprotected)} suppressed cell(s) can still be recovered from the totals "
            f"(see .record); do not publish this table as it is",
            UnprotectedCellWarning,
            stacklevel=2,
        )
    mask, record = g.masked(table, hidden, reasons)
    return Suppressed(table=table.astype("Int64").mask(mask), mask=mask, record=record, k=int(k))


# --- tidy audit frames ------------------------------------------------------------------------


def suppress_rows(
    frame: pd.DataFrame,
    *,
    n: str,
    counts: Sequence[str] = (),
    derived: Sequence[str] = (),
    sums: Mapping[str, Sequence[str]] | None = None,
    k: int = 10,
) -> Suppressed:
    """Suppress the small cells of a tidy frame, row by row.

    Parameters
    ----------
    frame : DataFrame
        One row per group (school, term, ...).
    n : str
        The base count of children of each row (e.g. ``n_left_behind``).
    counts : sequence of str
        Other counts of children (numerators such as ``n_paired``).
    derived : sequence of str
        Columns computed from the counts (shares, means); hidden whenever a count of their row
        is.
    sums : mapping, optional
        Count columns that are the sum of others in the same row (``{"n_paired": ("n_cadre",
        "n_teacher", "n_volunteer")}``): when only one of a sum and its parts is hidden,
        the smallest other one is hidden too, so no subtraction recovers it.
    k : int

    Notes
    -----
    A row whose base ``n`` is below ``k`` loses its base, counts and derived columns. In other
    rows, a count ``c`` with ``0 < c < k`` or ``0 < n - c < k`` (all but a few children) is
    hidden together with the row's derived columns. Rows are protected one at a time: a total
    over the rows published elsewhere could reveal a hidden row (use :func:`suppress`).
    """
    sums = dict(sums or {})
    named = [c for t, ps in sums.items() for c in (t, *ps)]
    missing = [c for c in (n, *counts, *derived, *named) if c not in frame.columns]
    if missing:
        raise SpecError("columns", f"not in the frame: {', '.join(missing)}")
    h = _Hider(frame)
    base = pd.to_numeric(frame[n], errors="coerce").astype(float)
    small_row = (base > 0) & (base < k)
    for idx in frame.index[small_row]:
        h.hide(idx, n, "primary", f"fewer than {k} children")
        for col in (*counts, *derived):
            h.hide(idx, col, "complementary", f"its base {n} is suppressed")
    for col in counts:
        v = pd.to_numeric(frame[col], errors="coerce").astype(float)
        rest = base - v
        small = (((v > 0) & (v < k)) | ((rest > 0) & (rest < k))) & ~small_row
        for idx in frame.index[small]:
            few = "fewer than" if 0 < v[idx] < k else "all but fewer than"
            h.hide(idx, col, "primary", f"{few} {k} children")
            for other in derived:
                h.hide(idx, other, "complementary", f"would reveal {col}")
    for total, parts in sums.items():
        h.protect_sum(frame, total, parts, derived)
    return h.suppressed(frame, int(k))


class _Hider:
    """The mask of a tidy frame's hidden cells and the record of why each was hidden."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
        self.rec: list[dict[str, object]] = []

    def hide(self, idx: Hashable, col: str, reason: str, detail: str) -> None:
        """Hide a cell (once: the first reason is kept)."""
        if not self.mask.at[idx, col]:
            self.mask.at[idx, col] = True
            self.rec.append({"row": idx, "column": col, "reason": reason, "detail": detail})

    def protect_sum(
        self, frame: pd.DataFrame, total: str, parts: Sequence[str], derived: Sequence[str]
    ) -> None:
        """In each row where exactly one of ``total`` and its ``parts`` is hidden, hide the
        smallest other one (zeros last), so that no subtraction recovers it."""
        group = [total, *parts]
        for idx in frame.index:
            while sum(self.mask.at[idx, c] for c in group) == 1:
                shown = [c for c in group if not self.mask.at[idx, c]]
                value = {c: float(pd.to_numeric(frame.at[idx, c])) for c in shown}
                pick = min(shown, key=lambda c: (value[c] == 0, value[c]))
                hidden = next(c for c in group if self.mask.at[idx, c])
                self.hide(idx, pick, "complementary", f"{hidden} = {total} - parts")
                for other in derived:
                    self.hide(idx, other, "complementary", f"would reveal {hidden}")

    def suppressed(self, frame: pd.DataFrame, k: int) -> Suppressed:
        """``frame`` with the hidden cells NA (nullable dtypes), the mask and the record."""
        out = frame.copy()
        for col in self.mask.columns[self.mask.any()]:
            s = out[col]
            if pd.api.types.is_integer_dtype(s):
                s = s.astype("Int64")
            elif pd.api.types.is_float_dtype(s):
                s = s.astype("Float64")
            out[col] = s.mask(self.mask[col])
        record = pd.DataFrame(self.rec, columns=["row", "column", "reason", "detail"])
        return Suppressed(table=out, mask=self.mask, record=record, k=k)
