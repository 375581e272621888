"""Audits and two-way counts of a lazy panel equal the in-memory ones, cell for cell.

The coverage and scholarship audits (and the schools short of the 30% rule) group in the
engine and finish the small table with the in-memory code; ``crosstab`` counts a two-way table
in the engine for ``suppress``. On the shipped cohort, and on a copy with missing statuses,
roles, amounts and keys, every published frame (with ``k`` suppression and its record) must be
identical: the same counts, the same dtypes, the same order.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from pandas.testing import assert_frame_equal

import lbc_eval
from lbc_eval.data.lazy import connect
from lbc_eval.data.resources import example_path
from lbc_eval.publish import audit
from lbc_eval.publish.suppression import suppress
from lbc_eval.scale.audit import crosstab

BYS = ["term", ["school_id", "year"], ["township", "lb_status"], ["sex", "grade"], "year"]
AUDITS = [audit.coverage, audit.scholarships, audit.scholarship_shortfalls]


@pytest.fixture(scope="module")
def con():
    return connect("duckdb", threads=1)


@pytest.fixture(scope="module")
def shipped(con):
    lazy = lbc_eval.read_cohort(example_path(), engine="duckdb", connection=con)
    return lbc_eval.example_cohort().panel, lazy


@pytest.fixture(scope="module")
def holes(con):
    """The shipped panel with missing left-behind statuses, roles, amounts and schools."""
    p = lbc_eval.example_cohort().panel.copy()
    rng = np.random.default_rng(7)
    for col, k in (("lb_status", 300), ("mentor_role", 200), ("scholarship_yuan", 150),
                   ("school_id", 40), ("township", 60)):  # fmt: skip
        p.loc[rng.choice(len(p), k, replace=False), col] = pd.NA
    con.con.register("holes", pa.Table.from_pandas(p, preserve_index=False))
    return p, con.table("holes")


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert_frame_equal(a, b)
    if "suppression" in a.attrs:
        assert_frame_equal(a.attrs["suppression"], b.attrs["suppression"])


@pytest.mark.parametrize("k", [None, 10])
@pytest.mark.parametrize("by", BYS, ids=str)
@pytest.mark.parametrize("fn", AUDITS, ids=lambda f: f.__name__)
def test_audits_of_the_shipped_cohort(shipped, fn, by, k):
    panel, lazy = shipped
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(fn(panel, by=by, k=k), fn(lazy, by=by, k=k))


@pytest.mark.parametrize("fn", AUDITS, ids=lambda f: f.__name__)
def test_audits_with_missing_values(holes, fn):
    frame, table = holes
    for by in (["school_id", "year"], ["township", "term"]):
        _same(fn(frame, by=by, k=10), fn(table, by=by, k=10))
    if fn is not audit.scholarship_shortfalls:
        got = fn(table, by="term")
        assert 0 < got.iloc[:, 1].sum() <= len(frame)


def test_scholarship_rule_options(shipped):
    panel, lazy = shipped
    for kw in (dict(basis="recipients"), dict(rule=0.5), dict(basis="recipients", rule=0.2)):
        _same(audit.scholarships(panel, **kw), audit.scholarships(lazy, **kw))


def test_unknown_column_is_named(shipped):
    _, lazy = shipped
    with pytest.raises(lbc_eval.UnknownColumnError, match="classroom"):
        audit.coverage(lazy, by="classroom")


@pytest.mark.parametrize("margins", [False, True])
@pytest.mark.parametrize(
    "index, columns", [("school_id", "term"), ("township", "lb_status"), ("term", "exit_reason")]
)
def test_crosstab_then_suppress(shipped, holes, index, columns, margins):
    """The engine's two-way counts are pd.crosstab's; suppressing them gives the same table,
    mask and record."""
    for frame, table in (shipped, holes):
        panel = getattr(frame, "panel", frame)
        want = pd.crosstab(panel[index], panel[columns], margins=margins)
        got = crosstab(getattr(table, "panel", table), index, columns, margins=margins)
        assert_frame_equal(got, want)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = suppress(want, k=10, margins="All" if margins else None)
            b = suppress(got, k=10, margins="All" if margins else None)
        assert_frame_equal(a.table, b.table)
        assert_frame_equal(a.mask, b.mask)
        assert_frame_equal(a.record, b.record)
