"""Which suppressed cells of a two-way table the published totals still determine, and which
cell to suppress next: the extended grid and the linear algebra behind
:func:`lbc_eval.publish.suppression.suppress`.

Cells live on the *extended grid*: the table's rows and columns plus a last row and column of
totals. ``hidden`` marks the suppressed cells, ``public`` the cells whose value is, or could
be, published.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lbc_eval.errors import SpecError


def equations(hidden: np.ndarray, public: np.ndarray) -> np.ndarray:
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


def recoverable(hidden: np.ndarray, public: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells whose value the public equations determine."""
    cells = list(zip(*np.nonzero(hidden), strict=True))
    if not cells:
        return []
    A = equations(hidden, public)
    if A.shape[0] == 0:
        return []
    _, s, vt = np.linalg.svd(A)
    rank = int((s > 1e-9 * max(1.0, s.max())).sum())
    null = vt[rank:].T  # columns span the null space
    if null.shape[1] == 0:
        return [(int(a), int(b)) for a, b in cells]
    fixed = np.abs(null).max(axis=1) < 1e-9
    return [(int(a), int(b)) for (a, b), f in zip(cells, fixed, strict=True) if f]


def lonely(
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


def complement(
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


@dataclass(frozen=True)
class Grid:
    """A two-way table on its extended grid: the inner rows ``r_in`` and columns ``c_in`` of
    the table, plus a last row and column of totals (the table's margins, if it has them)."""

    grid: np.ndarray  # (R + 1) x (C + 1) counts, last row/column = totals
    in_table: np.ndarray  # bool: the cell is in the table
    rows: list[Hashable]
    cols: list[Hashable]
    r_in: list[int]
    c_in: list[int]
    margins: Hashable | None
    labels_r: list[Hashable]
    labels_c: list[Hashable]

    @classmethod
    def of(cls, table: pd.DataFrame, margins: Hashable | None) -> Grid:
        """The extended grid of ``table``; the margins (if any) are checked against the sums."""
        values = _counts(table)
        rows, cols = list(table.index), list(table.columns)
        has_row_margin = margins is not None and margins in rows
        has_col_margin = margins is not None and margins in cols
        if margins is not None and not (has_row_margin or has_col_margin):
            raise SpecError("margins", f"no row or column is labelled {margins!r}")
        r_in = [i for i, r in enumerate(rows) if not (has_row_margin and r == margins)]
        c_in = [j for j, c in enumerate(cols) if not (has_col_margin and c == margins)]
        R, C = len(r_in), len(c_in)
        grid = np.zeros((R + 1, C + 1))
        grid[:R, :C] = values[np.ix_(r_in, c_in)]
        grid[:R, C] = grid[:R, :C].sum(axis=1)
        grid[R, :] = grid[:R, :].sum(axis=0)
        in_table = np.zeros((R + 1, C + 1), dtype=bool)
        in_table[:R, :C] = True
        if has_col_margin:
            in_table[:R, C] = True
            _check_margin(values[r_in, cols.index(margins)], grid[:R, C], "column", margins)
        if has_row_margin:
            in_table[R, :C] = True
            _check_margin(values[rows.index(margins), c_in], grid[R, :C], "row", margins)
        if has_row_margin and has_col_margin:
            in_table[R, C] = True
        labels_r = [rows[i] for i in r_in] + [margins if has_row_margin else "(total)"]
        labels_c = [cols[j] for j in c_in] + [margins if has_col_margin else "(total)"]
        return cls(grid, in_table, rows, cols, r_in, c_in, margins, labels_r, labels_c)

    def masked(
        self,
        table: pd.DataFrame,
        hidden: np.ndarray,
        reasons: dict[tuple[int, int], tuple[str, str]],
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The mask of ``table``'s hidden cells and the record of why (cells in the table)."""
        R, C = len(self.r_in), len(self.c_in)
        mask = np.zeros(table.shape, dtype=bool)
        for a, b in zip(*np.nonzero(hidden), strict=True):
            if not self.in_table[a, b]:
                continue
            i = self.r_in[a] if a < R else self.rows.index(self.margins)
            j = self.c_in[b] if b < C else self.cols.index(self.margins)
            mask[i, j] = True
        record = pd.DataFrame(
            [
                {"row": self.labels_r[a], "column": self.labels_c[b], "reason": why,
                 "detail": detail}
                for (a, b), (why, detail) in sorted(reasons.items())
                if self.in_table[a, b]
            ],
            columns=["row", "column", "reason", "detail"],
        )  # fmt: skip
        return pd.DataFrame(mask, index=table.index, columns=table.columns), record


def protect(
    g: Grid,
    hidden: np.ndarray,
    public: np.ndarray,
    reasons: dict[tuple[int, int], tuple[str, str]],
) -> set[tuple[int, int]]:
    """Complementary suppression: while some hidden cell is recoverable, hide one more cell
    on a line through it (updates ``hidden`` and ``reasons``); return the cells that could
    not be protected."""
    unprotected: set[tuple[int, int]] = set()
    for _ in range(g.grid.size):
        exposed = [c for c in recoverable(hidden, public) if c not in unprotected]
        if not exposed:
            break
        alone = lonely(hidden, public, exposed)
        cell, only = alone if alone else (exposed[0], None)
        pick = complement(cell, hidden, public, g.in_table, g.grid, only=only)
        if pick is None and only is not None:
            pick = complement(cell, hidden, public, g.in_table, g.grid)
        if pick is None:
            unprotected.add(cell)
            continue
        new, line = pick
        hidden[new] = True
        where = (
            f"row {g.labels_r[cell[0]]!r}" if line == "row" else f"column {g.labels_c[cell[1]]!r}"
        )
        reasons[new] = ("complementary", f"so that a cell in {where} cannot be recovered")
    for cell in unprotected:
        reasons[cell] = ("unprotected", "still recoverable from published totals")
    return unprotected


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
