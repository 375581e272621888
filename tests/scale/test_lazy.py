"""The lazy reader: read_cohort(path, engine="duckdb") and LazyCohort.

A lazy cohort must hold the same rows as the in-memory one (collected back, with the codebook's
dtypes), read every file of a term's partition, check what the Parquet footers tell (and
say that the row-level rules are not run), and refuse what it cannot read with an error
that says what to do.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pandas.testing import assert_frame_equal

import lbc_eval
from lbc_eval.data.lazy import LazyCohort, connect, term_index_expr
from lbc_eval.data.resources import example_path
from lbc_eval.data.terms import term_index
from lbc_eval.errors import CohortFormatError, CohortValidationError, SpecError


@pytest.fixture(scope="module")
def con():
    return connect("duckdb", threads=1, memory_limit="512MB")


@pytest.fixture(scope="module")
def memory():
    return lbc_eval.read_cohort(example_path())


@pytest.fixture(scope="module")
def lazy(con):
    return lbc_eval.read_cohort(example_path(), engine="duckdb", connection=con)


def test_lazy_cohort_holds_the_cohort(lazy, memory):
    assert isinstance(lazy, LazyCohort) and lazy.engine == "duckdb" and lazy.validated
    assert lazy.terms == memory.terms
    assert lazy.truth == memory.truth
    assert lazy.panel.count().execute() == len(memory.panel)
    assert set(lazy.panel.columns) == set(memory.panel.columns)
    assert "LazyCohort (synthetic, duckdb)" in repr(lazy) and "8 terms" in repr(lazy)
    counts = lazy.panel.group_by("term").aggregate(n=lazy.panel.count()).to_pandas()
    expected = memory.panel["term"].value_counts()
    assert dict(zip(counts["term"], counts["n"], strict=True)) == expected.to_dict()


def test_collect_gives_the_in_memory_frames(lazy, memory):
    back = lazy.collect()
    assert_frame_equal(back.panel, memory.panel)
    assert_frame_equal(back.schools, memory.schools)
    assert_frame_equal(back.destinations, memory.destinations)
    assert back.truth == memory.truth
    some = lazy.collect(columns=["math", "student_id"], terms=["2024-1", "2022-2"])
    want = lbc_eval.read_cohort(example_path(), columns=["math", "student_id"],
                                terms=["2024-1", "2022-2"]).panel  # fmt: skip
    assert_frame_equal(some.panel, want[some.panel.columns])
    with pytest.raises(SpecError, match="2030-1"):
        lazy.collect(terms=["2030-1"])


def test_term_index_in_the_engine(lazy, memory):
    t = lazy.panel
    got = t.select(t.term, i=term_index_expr(t.term)).distinct().to_pandas()
    assert (got["i"].to_numpy() == term_index(got["term"])).all()


def test_bad_engine_names_the_allowed_ones():
    with pytest.raises(SpecError, match="'pandas', 'duckdb', 'spark'"):
        lbc_eval.read_cohort(example_path(), engine="polars")


def test_csv_cohort_is_refused(memory, tmp_path):
    path = memory.write(tmp_path / "c", format="csv")
    with pytest.raises(CohortFormatError, match="engine='pandas'"):
        lbc_eval.read_cohort(path, engine="duckdb")


def _split(path, parts=("A", "B")):
    """Every term's part-0.parquet split in two files, as a national cohort holds them."""
    for d in sorted((path / "panel").iterdir()):
        table = pq.read_table(d / "part-0.parquet")
        half = table.num_rows // 2
        pq.write_table(table.slice(0, half), d / f"part-{parts[0]}.parquet")
        pq.write_table(table.slice(half), d / f"part-{parts[1]}.parquet")
        (d / "part-0.parquet").unlink()
    meta = json.loads((path / "cohort.json").read_text())
    meta["parts"] = list(parts)
    (path / "cohort.json").write_text(json.dumps(meta))


def test_every_file_of_a_partition_is_read(memory, con, tmp_path):
    path = memory.write(tmp_path / "c")
    _split(path)
    lazy = lbc_eval.read_cohort(path, engine="duckdb", connection=con)
    assert lazy.panel.count().execute() == len(memory.panel)
    assert_frame_equal(lazy.collect().panel, memory.panel)
    kw = dict(outcome="math", treatment="tutoring_hours", unit="student_id", time="term",
              cluster="school_id", inference="crv1")  # fmt: skip
    a, b = lbc_eval.fit_fe(memory.panel, **kw), lbc_eval.fit_fe(lazy.panel, **kw)
    assert abs(a.tidy()["estimate"] - b.tidy()["estimate"]).max() < 1e-8


def test_footer_checks_name_file_and_column(memory, con, tmp_path):
    """A wrong type, a missing required column and a wrong row count are found from the
    footers; the messages name the file and column, never a value."""
    path = memory.write(tmp_path / "c")
    part = path / "panel" / "term=2023-1" / "part-0.parquet"
    frame = pq.read_table(part).to_pandas()
    frame["math"] = frame["math"].astype(str)
    frame = frame.drop(columns="school_id").iloc[:-3]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    with pytest.raises(CohortValidationError) as err:
        lbc_eval.read_cohort(path, engine="duckdb", connection=con)
    message = str(err.value)
    assert "panel/term=2023-1/part-0.parquet, column math: the column is stored as text" in message
    assert "column school_id: missing; the codebook requires it" in message
    assert "but cohort.json records" in message
    assert sorted({p.rule for p in err.value.problems}) == ["missing_column", "row_count", "type"]
    lazy = lbc_eval.read_cohort(path, engine="duckdb", connection=con, validate=False)
    assert not lazy.validated


def test_missing_partition_and_truth(memory, con, tmp_path):
    path = memory.write(tmp_path / "c")
    shutil.rmtree(path / "panel" / "term=2021-1")
    (path / "truth.json").unlink()
    with pytest.raises(CohortValidationError) as err:
        lbc_eval.read_cohort(path, engine="duckdb", connection=con)
    rules = {p.rule for p in err.value.problems}
    assert {"missing_partition", "synthetic"} <= rules


def test_row_level_rules_are_not_run(memory, con, tmp_path):
    """A value out of range passes the lazy read (documented): only the footers are read."""
    path = memory.write(tmp_path / "c")
    part = path / "panel" / "term=2024-2" / "part-0.parquet"
    frame = pq.read_table(part).to_pandas()
    frame.loc[frame.index[0], "grade"] = 12
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    lazy = lbc_eval.read_cohort(path, engine="duckdb", connection=con)
    assert lazy.panel.grade.max().execute() == 12
    with pytest.raises(CohortValidationError, match="outside"):
        lbc_eval.read_cohort(path)
    with pytest.raises(CohortValidationError, match="outside"):
        lazy.collect(terms=["2024-2"])
    assert lazy.collect(terms=["2024-2"], validate=False).panel["grade"].max() == 12
    assert "LazyCohort.collect" in lbc_eval.data.lazy.__doc__


def test_optional_column_missing_everywhere(memory, con, tmp_path):
    path = memory.write(tmp_path / "c")
    for part in (path / "panel").glob("term=*/part-0.parquet"):
        pq.write_table(pq.read_table(part).drop_columns(["hotline_calls"]), part)
    lazy = lbc_eval.read_cohort(path, engine="duckdb", connection=con)
    assert lazy.panel.hotline_calls.isnull().all().execute()
    assert str(lazy.panel.hotline_calls.type()) == "int16"
    assert pd.isna(lazy.collect(terms=["2021-1"]).panel["hotline_calls"]).all()
