"""Cohort: write, read back, columnar reads, validation against the codebook, clear errors."""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import lbc_eval
from lbc_eval import (
    Cohort,
    CohortFormatError,
    SchemaError,
    SynthSpec,
    example_cohort,
    read_cohort,
    simulate,
)
from lbc_eval.data import checks, codebook
from lbc_eval.data.codebook import CODEBOOK_VERSION
from lbc_eval.data.ids import synthetic_key
from lbc_eval.data.resources import example_path
from lbc_eval.errors import CohortValidationError
from lbc_eval.synth.export import export_school_files
from tests.conftest import cohort_for


@pytest.fixture(scope="module")
def cohort():
    return cohort_for("small", 21, n_children=500)


def test_parquet_round_trip_is_exact(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    back = read_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.panel, cohort.panel)
    pd.testing.assert_frame_equal(back.schools, cohort.schools)
    pd.testing.assert_frame_equal(back.destinations, cohort.destinations)
    pd.testing.assert_frame_equal(back.roster, cohort.roster)
    assert back.truth == json.loads(json.dumps(cohort.truth))


def test_panel_is_partitioned_by_term(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    parts = sorted(p.parent.name for p in (tmp_path / "c" / "panel").glob("*/*.parquet"))
    assert parts == [f"term={t}" for t in sorted(cohort.terms)]
    meta = json.loads((tmp_path / "c" / "cohort.json").read_text())
    assert meta["codebook_version"] == CODEBOOK_VERSION
    assert meta["tables"]["panel"] == len(cohort.panel)


def test_columnar_and_term_reads(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    part = read_cohort(tmp_path / "c", columns=["student_id", "math"], terms=[cohort.terms[1]])
    assert set(part.panel.columns) == {"term", "student_id", "math"}
    assert (part.panel["term"] == cohort.terms[1]).all()
    assert len(part.panel) == (cohort.panel["term"] == cohort.terms[1]).sum()


def test_csv_round_trip_keeps_values(cohort, tmp_path):
    cohort.write(tmp_path / "c", format="csv")
    back = read_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.panel, cohort.panel, check_exact=False, rtol=1e-12)


def test_rewrite_replaces_and_refuses_foreign_folders(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    cohort.write(tmp_path / "c")  # replacing a cohort is fine
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(CohortFormatError, match="not empty and holds no cohort"):
        cohort.write(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").exists()


def test_read_errors_say_what_to_do(tmp_path):
    with pytest.raises(CohortFormatError, match="lbc-eval synth"):
        read_cohort(tmp_path)
    (tmp_path / "cohort.json").write_text(json.dumps({"codebook_version": "0.9"}))
    with pytest.raises(CohortFormatError, match="codebook 0.9"):
        read_cohort(tmp_path)


def test_summary_and_repr(cohort):
    s = cohort.summary().set_index("figure")["value"]
    assert int(s["children"]) == cohort.panel["student_id"].nunique()
    assert "synthetic" in repr(cohort)
    assert "<table" in cohort._repr_html_()


# --- validation: every cohort the kit writes passes, every damaged copy fails ----------------

ROOT = Path(__file__).resolve().parents[2]


def _part(term: str) -> str:
    return f"panel/term={term}/part-0.parquet"


def _edit(folder: Path, rel: str, change) -> None:
    """Rewrite one Parquet file of a cohort folder through ``change(frame) -> frame``."""
    path = folder / rel
    frame = change(pq.ParquetFile(path).read().to_pandas())
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)


@pytest.fixture
def folder(cohort, tmp_path):
    return cohort.write(tmp_path / "c")


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """An ingest output folder: the generator's school files, ingested with the seed's key."""
    source = cohort_for("small", 3, n_children=200)
    files = tmp_path_factory.mktemp("files")
    export_school_files(source, files, seed=3)
    out = tmp_path_factory.mktemp("ingested") / "c"
    lbc_eval.ingest(files, key=synthetic_key(3)).write(out)
    return out


def test_shipped_example_and_generated_cohorts_validate(cohort, tmp_path):
    for path in (ROOT / "data" / "synthetic", example_path()):
        assert (
            len(read_cohort(path).panel)
            == json.loads((path / "cohort.json").read_text())["tables"]["panel"]
        )
    assert example_cohort().truth is not None
    fresh = simulate(SynthSpec(seed=3, n_children=1500))
    back = read_cohort(fresh.write(tmp_path / "fresh"))
    pd.testing.assert_frame_equal(back.panel, fresh.panel)
    back = read_cohort(cohort.write(tmp_path / "csv", format="csv"))
    assert len(back.panel) == len(cohort.panel)


def test_ingest_output_validates(ingested):
    back = read_cohort(ingested)
    meta = json.loads((ingested / "cohort.json").read_text())
    assert meta["synthetic"] is False and len(back.panel) == meta["tables"]["panel"] > 0
    assert back.panel["student_id"].str.fullmatch("[0-9a-f]{16}").all()


def test_county_cohort_validates_fast(county, tmp_path):
    """The checks on a county cohort (~230,000 child-terms) take well under a second."""
    path = county.write(tmp_path / "county")
    read_cohort(path)  # warm up imports and caches
    best = {}
    for validate in (True, False):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            read_cohort(path, validate=validate)
            times.append(time.perf_counter() - t)
        best[validate] = min(times)
    assert len(county.panel) > 200_000
    assert best[True] - best[False] < 0.5, best


def _wrong_type(f):
    f["grade"] = f["grade"].astype(str)
    f.loc[[1, 4], "grade"] = "四年级"
    return f


def _not_whole(f):
    f["talks"] = f["talks"].astype(float)
    f.loc[0, "talks"] = 1.5
    return f


def _out_of_range(f):
    f.loc[[2, 7], "math"] = 9.5
    return f


def _unknown_level(f):
    f["lb_status"] = f["lb_status"].astype(str)
    f.loc[3, "lb_status"] = "父母均外出"  # ingest translates this spelling; a cohort never holds it
    return f


def _duplicate_key(f):
    f.loc[5, "student_id"] = f.loc[2, "student_id"]
    return f


SECRET = "G" + "99010020140101001" + "1"  # a resident-ID-like number where a pseudonym belongs


def _malformed_pseudonym(f):
    f.loc[5, "student_id"] = SECRET
    return f


def _missing_value(f):
    f["sex"] = f["sex"].astype(object)
    f.loc[3, "sex"] = None
    return f


def _identifying(f):
    f["resident_id"] = SECRET
    return f


CASES = {
    # id: (file changed, change, column named, what the message says)
    "wrong type": ("panel", _wrong_type, "grade", "2 rows (rows 2, 5): not numbers"),
    "float in int": ("panel", _not_whole, "talks", "1 row (row 1): not whole numbers"),
    "out of range": ("panel", _out_of_range, "math", "2 rows (rows 3, 8): outside [-6, 6]"),
    "unknown level": ("panel", _unknown_level, "lb_status", "1 row (row 4): not among its levels"),
    "duplicate key": (
        "panel",
        _duplicate_key,
        "student_id, term",
        "2 rows (rows 3, 6): the same (student_id, term)",
    ),
    "malformed pseudonym": ("panel", _malformed_pseudonym, "student_id", "not a pseudonym"),
    "missing value": ("panel", _missing_value, "sex", "1 row (row 4): missing"),
    "missing required column": (
        "panel",
        lambda f: f.drop(columns=["grade"]),
        "grade",
        "missing; the codebook requires it",
    ),
    "identifying column": ("panel", _identifying, "resident_id", "identifies a child"),
    "schools key": (
        "schools.parquet",
        lambda f: f.assign(year=f["year"].where(f.index != 1, f.loc[0, "year"])),
        "school_id, year",
        "2 rows (rows 1, 2): the same (school_id, year)",
    ),
    "schools level": (
        "schools.parquet",
        lambda f: f.drop(columns=["level"]),
        "level",
        "missing; the codebook requires it",
    ),
    "destinations range": (
        "destinations.parquet",
        lambda f: f.assign(policy_year=f["policy_year"].fillna(1900)),
        "policy_year",
        "outside [2000, 2100]",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_file_names_file_and_column(folder, cohort, case):
    target, change, column, says = CASES[case]
    rel = _part(cohort.terms[1]) if target == "panel" else target
    _edit(folder, rel, change)
    with pytest.raises(CohortValidationError) as err:
        read_cohort(folder)
    message = str(err.value)
    columns = "columns" if ", " in column else "column"
    assert f"{rel}, {columns} {column}: " in message, message
    assert says in message, message
    assert SECRET not in message and SECRET not in repr(err.value.problems)
    assert isinstance(err.value, CohortFormatError) and isinstance(err.value, SchemaError)
    [problem] = [p for p in err.value.problems if p.column == column]
    assert problem.file == rel
    assert problem.rows == () or len(problem.rows) <= checks.MAX_ROWS_SHOWN
    loaded = read_cohort(folder, validate=False)  # the escape hatch reads it anyway
    assert len(loaded.panel) == len(cohort.panel)
    assert column.split(", ")[0] in {*loaded.panel, *loaded.schools, *loaded.destinations}


def test_missing_partition(folder, cohort):
    term = cohort.terms[2]
    (folder / _part(term)).unlink()
    with pytest.raises(CohortValidationError, match=re.escape(_part(term))) as err:
        read_cohort(folder)
    assert "missing, though cohort.json lists the term" in str(err.value)
    assert {p.rule for p in err.value.problems} == {"missing_partition", "row_count"}
    loaded = read_cohort(folder, validate=False)
    assert term not in loaded.terms
    assert len(loaded.panel) == (cohort.panel["term"] != term).sum()


@pytest.mark.parametrize("delta", [-3, 2])
def test_partition_rows_against_cohort_json(folder, cohort, delta):
    term = cohort.terms[1]
    n = int((cohort.panel["term"] == term).sum())

    def change(f):
        if delta < 0:
            return f.iloc[-delta:]
        extra = f.iloc[:delta].copy()
        extra["student_id"] = [f"{k:016x}" for k in range(delta)]
        return pd.concat([f, extra], ignore_index=True)

    _edit(folder, _part(term), change)
    with pytest.raises(CohortValidationError) as err:
        read_cohort(folder)
    message = str(err.value)
    assert "panel/term=*/part-0.parquet: " in message
    assert f"but cohort.json records {len(cohort.panel):,} ({delta:+,})" in message
    assert f"{term} {n + delta:,}" in message  # the partition's rows, beside the others'
    assert [p.rule for p in err.value.problems] == ["row_count"]
    assert len(read_cohort(folder, validate=False).panel) == len(cohort.panel) + delta


def test_unlisted_partition_and_missing_truth(folder, cohort):
    shutil.copytree(folder / "panel" / f"term={cohort.terms[0]}", folder / "panel" / "term=2030-1")
    (folder / "truth.json").unlink()
    with pytest.raises(CohortValidationError) as err:
        read_cohort(folder)
    message = str(err.value)
    assert "panel/term=2030-1: a term cohort.json does not list" in message
    assert "truth.json: missing, though cohort.json says synthetic" in message
    assert "2030-1" in read_cohort(folder, validate=False).terms


def test_real_cohort_holds_no_roster(cohort, tmp_path):
    real = Cohort(cohort.panel, cohort.schools, cohort.destinations, roster=cohort.roster)
    with pytest.raises(CohortValidationError, match="roster.parquet: present in a cohort"):
        read_cohort(real.write(tmp_path / "c"))


def test_csv_cohort_names_rows(cohort, tmp_path):
    path = cohort.write(tmp_path / "c", format="csv")
    frame = pd.read_csv(path / "panel.csv", dtype=str)
    frame.loc[[3, 8], "grade"] = "四年级"
    frame.loc[4, "term"] = "2024-3"
    frame.to_csv(path / "panel.csv", index=False)
    with pytest.raises(CohortValidationError) as err:
        read_cohort(path)
    message = str(err.value)
    assert "panel.csv, column grade: 2 rows (rows 4, 9): not numbers" in message
    assert "panel.csv, column term: 1 row (row 5): not a term like 2024-1" in message
    assert "四年级" not in message
    assert len(read_cohort(path, validate=False).panel) == len(cohort.panel)


def test_older_kit_without_optional_columns_loads(folder, cohort):
    for term in cohort.terms:
        _edit(folder, _part(term), lambda f: f.drop(columns=["hotline_calls", "boarding"]))
    _edit(folder, "schools.parquet", lambda f: f.drop(columns=["lb_home"]))
    back = read_cohort(folder)
    assert back.panel["hotline_calls"].isna().all()
    assert str(back.panel["hotline_calls"].dtype) == "Int16"
    assert back.schools["lb_home"].isna().all()
    assert list(back.panel.columns) == codebook.names("panel")


def test_only_columns_read_are_checked(folder, cohort):
    _edit(folder, _part(cohort.terms[0]), _out_of_range)
    assert len(read_cohort(folder, columns=["student_id", "grade"]).panel) == len(cohort.panel)
    with pytest.raises(CohortValidationError, match="column math"):
        read_cohort(folder, columns=["math"])
    _edit(folder, _part(cohort.terms[0]), lambda f: f.drop(columns=["sex"]))
    with pytest.raises(CohortValidationError, match="column sex: missing"):
        read_cohort(folder, columns=["math"], terms=[cohort.terms[0]])


def test_many_problems_show_few_rows_and_no_values(folder, cohort):
    _edit(folder, _part(cohort.terms[0]), lambda f: f.assign(attendance=1.5))
    with pytest.raises(CohortValidationError) as err:
        read_cohort(folder)
    n = int((cohort.panel["term"] == cohort.terms[0]).sum())
    assert f"column attendance: {n:,} rows (rows 1, 2, 3, 4, 5, …): outside [0, 1]" in str(
        err.value
    )
