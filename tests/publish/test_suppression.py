"""Small-cell suppression: the cell of 3 children and its complement, margins, a randomised
check that nothing hidden can be recovered from totals, and the row-wise suppression."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import lbc_eval
from lbc_eval.errors import SpecError
from lbc_eval.publish.suppression import Suppressed, UnprotectedCellWarning, suppress, suppress_rows


def _peel(values: np.ndarray, hidden: np.ndarray, margins_known: bool = True) -> np.ndarray:
    """Recover hidden cells by repeated single subtraction from published totals.

    Written apart from the module: the totals of every row and column (and the grand total)
    are public; whenever a row or column has exactly one unknown cell it is solved, until
    nothing changes. Returns the mask of cells recovered.
    """
    r, c = values.shape
    grid = np.zeros((r + 1, c + 1))
    grid[:r, :c] = values
    grid[:r, c] = values.sum(axis=1)
    grid[r, :c] = values.sum(axis=0)
    grid[r, c] = values.sum()
    unknown = np.zeros_like(grid, dtype=bool)
    unknown[:r, :c] = hidden
    start = unknown.copy()
    changed = True
    while changed:
        changed = False
        for i in range(r + 1):
            if unknown[i].sum() == 1:
                unknown[i, np.flatnonzero(unknown[i])[0]] = False
                changed = True
        for j in range(c + 1):
            if unknown[:, j].sum() == 1:
                unknown[np.flatnonzero(unknown[:, j])[0], j] = False
                changed = True
    return (start & ~unknown)[:r, :c]


def test_cell_of_three_children_and_its_complement():
    table = pd.DataFrame(
        {"2023-1": [40, 3, 25], "2023-2": [38, 12, 27], "2024-1": [41, 15, 30]},
        index=pd.Index(["S01", "S02", "S03"], name="school_id"),
    )
    out = suppress(table, k=10)
    assert isinstance(out, Suppressed)
    assert out.table.shape == table.shape
    assert out.table.index.equals(table.index) and out.table.columns.equals(table.columns)
    assert pd.isna(out.table.loc["S02", "2023-1"])  # the 3 children
    # its complement: another hidden cell in its row and in its column
    assert out.mask.loc["S02"].sum() >= 2
    assert out.mask["2023-1"].sum() >= 2
    assert not _peel(table.to_numpy(), out.mask.to_numpy()).any()
    record = out.record
    assert record.columns.tolist() == ["row", "column", "reason", "detail"]
    primary = record[record["reason"] == "primary"]
    assert primary[["row", "column"]].values.tolist() == [["S02", "2023-1"]]
    assert out.n_primary == 1 and out.n_complementary == len(record) - 1 >= 2
    # the record never holds the hidden value
    assert not re.search(r"(?<![\d-])3(?!\d)", " ".join(record["detail"]))
    # visible cells are untouched
    visible = ~out.mask
    assert (out.table[visible].stack() == table[visible].stack()).all()
    marked = out.marked()
    assert marked.loc["S02", "2023-1"] == "x"
    assert marked.loc["S01", "2024-1"] == "41"
    assert "fewer than 10 children" in out.note()


def test_table_with_margins_suppresses_inside_and_keeps_totals_consistent():
    inner = pd.DataFrame({"a": [8, 20, 30], "b": [25, 30, 40]}, index=["x", "y", "z"])
    table = pd.crosstab(
        inner.stack().index.get_level_values(0).repeat(inner.stack().to_numpy()),
        inner.stack().index.get_level_values(1).repeat(inner.stack().to_numpy()),
        margins=True,
    )
    out = suppress(table, margins="All")
    assert pd.isna(out.table.loc["x", "a"])
    assert not _peel(inner.to_numpy(), out.mask.loc[["x", "y", "z"], ["a", "b"]].to_numpy()).any()
    assert out.protected
    with pytest.raises(SpecError, match="does not equal"):
        bad = table.copy()
        bad.loc["x", "All"] += 1
        suppress(bad, margins="All")


def test_small_margin_is_suppressed_too():
    inner = pd.DataFrame({"a": [4, 30], "b": [3, 40]}, index=["x", "y"])
    table = inner.copy()
    table["All"] = table.sum(axis=1)
    table.loc["All"] = table.sum()
    out = suppress(table, margins="All")
    assert pd.isna(out.table.loc["x", "All"])  # 7 children in the row total


def test_randomised_tables_never_leak_by_subtraction():
    rng = np.random.default_rng(20260)
    for trial in range(150):
        r, c = rng.integers(2, 7, size=2)
        values = np.where(
            rng.random((r, c)) < 0.25, rng.integers(0, 10, (r, c)), rng.integers(10, 200, (r, c))
        )
        table = pd.DataFrame(values, index=[f"r{i}" for i in range(r)],
                             columns=[f"c{j}" for j in range(c)])  # fmt: skip
        zeros = bool(trial % 2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnprotectedCellWarning)
            out = suppress(table, k=10, zeros=zeros)
        hidden = out.mask.to_numpy()
        small = (values < 10) & ((values > 0) | zeros)
        assert hidden[small].all(), "every small cell is suppressed"
        if out.protected:
            assert not _peel(values, hidden).any(), f"trial {trial}: recovered by subtraction"
        else:  # only a table whose small cells fill a line alone may be unprotectable
            assert (out.record["reason"] == "unprotected").any()
        shown = out.table.to_numpy(dtype=float, na_value=np.nan)
        assert np.array_equal(shown[~hidden], values[~hidden])


def test_one_cell_table_cannot_be_protected():
    with pytest.warns(UnprotectedCellWarning):
        out = suppress(pd.DataFrame({"a": [4]}, index=["x"]))
    assert not out.protected


def test_without_published_totals_only_primary_cells_go():
    table = pd.DataFrame({"a": [3, 20], "b": [30, 40]})
    out = suppress(table, totals_published=False)
    assert out.mask.to_numpy().sum() == 1


@pytest.mark.parametrize(
    "table",
    [
        pd.DataFrame({"a": [1.5, 2]}),
        pd.DataFrame({"a": [-1, 2]}),
        pd.DataFrame({"a": [None, 2]}),
        pd.DataFrame({"a": ["x", "y"]}),
    ],
)
def test_not_counts_is_an_error(table):
    with pytest.raises(SpecError):
        suppress(table)


def test_k_is_checked_and_exported():
    with pytest.raises(SpecError, match="k"):
        suppress(pd.DataFrame({"a": [1]}), k=0)
    assert lbc_eval.suppress is suppress


def test_rows_base_counts_and_derived():
    frame = pd.DataFrame(
        {
            "school_id": ["S01", "S02", "S03", "S04"],
            "n_left_behind": [8, 50, 60, 45],
            "n_paired": [6, 3, 56, 30],
            "share_paired": [0.75, 0.06, 0.933, 0.667],
            "n_cadre": [1, 1, 20, 10],
            "n_teacher": [5, 2, 30, 15],
            "n_volunteer": [0, 0, 6, 5],
        }
    )
    out = suppress_rows(
        frame,
        n="n_left_behind",
        counts=["n_paired", "n_cadre", "n_teacher", "n_volunteer"],
        derived=["share_paired"],
        sums={"n_paired": ["n_cadre", "n_teacher", "n_volunteer"]},
    )
    t = out.table
    assert t.loc[0, ["n_left_behind", "n_paired", "share_paired"]].isna().all()  # 8 < 10
    assert pd.isna(t.loc[1, "n_paired"]) and pd.isna(t.loc[1, "share_paired"])  # 3 paired
    assert pd.isna(t.loc[2, "n_paired"])  # 56 of 60: all but 4 children
    # S04: 5 volunteers hidden; the sum n_paired = parts would give it back, so a second
    # part (or the sum) is hidden too
    row = t.loc[3, ["n_paired", "n_cadre", "n_teacher", "n_volunteer"]]
    assert row.isna().sum() >= 2
    assert t["school_id"].tolist() == frame["school_id"].tolist()
    assert set(out.record["reason"]) == {"primary", "complementary"}
