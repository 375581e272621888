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
    values = _counts(table)
    rows, cols = list(table.index), list(table.columns)
    has_row_margin = margins is not None and margins in rows
    has_col_margin = margins is not None and margins in cols
    if margins is not None and not (has_row_margin or has_col_margin):
        raise SpecError("margins", f"no row or column is labelled {margins!r}")
    r_in = [i for i, r in enumerate(rows) if not (has_row_margin and r == margins)]
    c_in = [j for j, c in enumerate(cols) if not (has_col_margin and c == margins)]
    R, C = len(r_in), len(c_in)
    # extended grid: (R + 1) x (C + 1), last row/column = totals
    grid = np.zeros((R + 1, C + 1))
    grid[:R, :C] = values[np.ix_(r_in, c_in)]
    grid[:R, C] = grid[:R, :C].sum(axis=1)
    grid[R, :] = grid[:R, :].sum(axis=0)
    in_table = np.zeros((R + 1, C + 1), dtype=bool)
    in_table[:R, :C] = True
    if has_col_margin:
        in_table[:R, C] = True
        j = cols.index(margins)
        _check_margin(values[r_in, j], grid[:R, C], "column", margins)
    if has_row_margin:
        in_table[R, :C] = True
        i = rows.index(margins)
        _check_margin(values[i, c_in], grid[R, :C], "row", margins)
    if has_row_margin and has_col_margin:
        in_table[R, C] = True
    known_outside = ~in_table if totals_published else np.zeros_like(in_table)
    public = in_table | known_outside  # cells whose value is, or could be, published

    small = (grid < k) & ((grid > 0) | zeros)
    hidden = in_table & small
    reasons: dict[tuple[int, int], tuple[str, str]] = {
        (int(a), int(b)): ("primary", f"fewer than {k} children")
        for a, b in zip(*np.nonzero(hidden), strict=True)
    }
    labels_r = [rows[i] for i in r_in] + [margins if has_row_margin else "(total)"]
    labels_c = [cols[j] for j in c_in] + [margins if has_col_margin else "(total)"]
    unprotected: set[tuple[int, int]] = set()
    for _ in range((R + 1) * (C + 1)):
        exposed = [c for c in _recoverable(hidden, public) if c not in unprotected]
        if not exposed:
            break
        lonely = _lonely(hidden, public, exposed)
        cell, only = lonely if lonely else (exposed[0], None)
        pick = _complement(cell, hidden, public, in_table, grid, only=only)
        if pick is None and only is not None:
            pick = _complement(cell, hidden, public, in_table, grid)
        if pick is None:
            unprotected.add(cell)
            continue
        new, line = pick
        hidden[new] = True
        where = f"row {labels_r[cell[0]]!r}" if line == "row" else f"column {labels_c[cell[1]]!r}"
        reasons[new] = ("complementary", f"so that a cell in {where} cannot be recovered")
    for cell in unprotected:
        reasons[cell] = ("unprotected", "still recoverable from published totals")
    if unprotected:
        warnings.warn(
            f"{len(unprotected)} suppressed cell(s) can still be recovered from the totals "
            f"(see .record); do not publish this table as it is",
            UnprotectedCellWarning,
            stacklevel=2,
        )

    mask = np.zeros(values.shape, dtype=bool)
    for a, b in zip(*np.nonzero(hidden), strict=True):
        if not in_table[a, b]:
            continue
        i = r_in[a] if a < R else rows.index(margins)
        j = c_in[b] if b < C else cols.index(margins)
        mask[i, j] = True
    mask_frame = pd.DataFrame(mask, index=table.index, columns=table.columns)
    out = table.astype("Int64").mask(mask_frame)
    record = pd.DataFrame(
        [
            {"row": labels_r[a], "column": labels_c[b], "reason": why, "detail": detail}
            for (a, b), (why, detail) in sorted(reasons.items())
            if in_table[a, b]
        ],
        columns=["row", "column", "reason", "detail"],
    )
    return Suppressed(table=out, mask=mask_frame, record=record, k=int(k))


def _counts(table: pd.DataFrame) -> np.ndarray:
    if not isinstance(table, pd.DataFrame):
        raise SpecError("table", f"must be a DataFrame of counts, not {type(table).__name__}")
    try:
        values = table.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as err:
        raise SpecError("table", "must hold counts (numbers) only") from err
    if np.isnan(values).any():
        raise SpecError("table", "has missing cells; counts are needed in every cell (use 0)")
    if (values < 0).any() or (values != np.round(values)).any():
        raise SpecError("table", "must hold counts of children: non-negative whole numbers")
    return values


def _check_margin(given: np.ndarray, summed: np.ndarray, kind: str, label: Hashable) -> None:
    if not np.allclose(given, summed):
        raise SpecError(
            "margins", f"the total {kind} {label!r} does not equal the sum of the other cells"
        )


def _equations(hidden: np.ndarray, public: np.ndarray) -> np.ndarray:
    """Rows of A over the hidden cells: one per row or column of the extended grid whose
    cells are all public (its parts minus its total, the last cell, is 0)."""
    index = {cell: n for n, cell in enumerate(zip(*np.nonzero(hidden), strict=True))}
    Rp, Cp = hidden.shape
    lines = [[(i, j) for j in range(Cp)] for i in range(Rp)]
    lines += [[(i, j) for i in range(Rp)] for j in range(Cp)]
    A = []
    for line in lines:
        if not all(public[c] for c in line):
            continue  # a total nobody publishes gives no equation
        row = np.zeros(len(index))
        for n, c in enumerate(line):
            if c in index:
                row[index[c]] += -1 if n == len(line) - 1 else 1
        if row.any():
            A.append(row)
    return np.array(A).reshape(len(A), len(index))


def _recoverable(hidden: np.ndarray, public: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose value the public equations determine."""
    cells = list(zip(*np.nonzero(hidden), strict=True))
    if not cells:
        return []
    A = _equations(hidden, public)
    if A.shape[0] == 0:
        return []
    _, s, vt = np.linalg.svd(A)
    rank = int((s > 1e-9 * max(1.0, s.max())).sum())
    null = vt[rank:].T  # columns span the null space
    if null.shape[1] == 0:
        return [(int(a), int(b)) for a, b in cells]
    fixed = np.abs(null).max(axis=1) < 1e-9
    return [(int(a), int(b)) for (a, b), f in zip(cells, fixed, strict=True) if f]


def _lonely(
    hidden: np.ndarray, public: np.ndarray, exposed: list[tuple[int, int]]
) -> tuple[tuple[int, int], str] | None:
    """An exposed cell alone on a row or column with a public total (recovered by subtraction)."""
    for cell in exposed:
        a, b = cell
        for name, line in (
            ("row", [(a, j) for j in range(hidden.shape[1])]),
            ("col", [(i, b) for i in range(hidden.shape[0])]),
        ):
            if all(public[c] for c in line) and sum(hidden[c] for c in line) == 1:
                return cell, name
    return None


def _complement(
    cell: tuple[int, int],
    hidden: np.ndarray,
    public: np.ndarray,
    in_table: np.ndarray,
    grid: np.ndarray,
    *,
    only: str | None = None,
) -> tuple[tuple[int, int], str] | None:
    """A visible cell to suppress on a line through ``cell``, and which line ('row'/'col')."""
    a, b = cell
    lines = {
        "row": [(a, j) for j in range(hidden.shape[1])],
        "col": [(i, b) for i in range(hidden.shape[0])],
    }
    if only is not None:
        lines = {only: lines[only]}
    order = sorted(lines, key=lambda name: sum(hidden[c] for c in lines[name]))
    for name in order:
        candidates = [c for c in lines[name] if in_table[c] and not hidden[c]]
        if not candidates:
            continue

        def cost(c: tuple[int, int], name: str = name) -> tuple[int, int, float]:
            other = (
                [(i, c[1]) for i in range(hidden.shape[0])]
                if name == "row"
                else [(c[0], j) for j in range(hidden.shape[1])]
            )
            lonely = 0 if any(hidden[o] for o in other) else 1
            return (lonely, int(grid[c] == 0), float(grid[c]))

        return min(candidates, key=cost), name
    return None


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
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    base = pd.to_numeric(frame[n], errors="coerce").astype(float)
    small_row = (base > 0) & (base < k)
    rec: list[dict[str, object]] = []

    def hide(idx: Hashable, col: str, reason: str, detail: str) -> None:
        if not mask.at[idx, col]:
            mask.at[idx, col] = True
            rec.append({"row": idx, "column": col, "reason": reason, "detail": detail})

    for idx in frame.index[small_row]:
        hide(idx, n, "primary", f"fewer than {k} children")
        for col in (*counts, *derived):
            hide(idx, col, "complementary", f"its base {n} is suppressed")
    for col in counts:
        v = pd.to_numeric(frame[col], errors="coerce").astype(float)
        rest = base - v
        small = (((v > 0) & (v < k)) | ((rest > 0) & (rest < k))) & ~small_row
        for idx in frame.index[small]:
            few = "fewer than" if 0 < v[idx] < k else "all but fewer than"
            hide(idx, col, "primary", f"{few} {k} children")
            for other in derived:
                hide(idx, other, "complementary", f"would reveal {col}")
    for total, parts in (sums or {}).items():
        group = [total, *parts]
        for idx in frame.index:
            while sum(mask.at[idx, c] for c in group) == 1:
                shown = [c for c in group if not mask.at[idx, c]]
                value = {c: float(pd.to_numeric(frame.at[idx, c])) for c in shown}
                pick = min(shown, key=lambda c: (value[c] == 0, value[c]))
                hidden = next(c for c in group if mask.at[idx, c])
                hide(idx, pick, "complementary", f"{hidden} = {total} - parts")
                for other in derived:
                    hide(idx, other, "complementary", f"would reveal {hidden}")
    out = frame.copy()
    for col in mask.columns[mask.any()]:
        s = out[col]
        if pd.api.types.is_integer_dtype(s):
            s = s.astype("Int64")
        elif pd.api.types.is_float_dtype(s):
            s = s.astype("Float64")
        out[col] = s.mask(mask[col])
    record = pd.DataFrame(rec, columns=["row", "column", "reason", "detail"])
    return Suppressed(table=out, mask=mask, record=record, k=int(k))
