"""Round trip and linking: the generator's messy export ingests back into its own cohort.

simulate -> export_school_files (title rows, GBK CSVs, full-width digits, 无/-, duplicates,
corrupted IDs, several sheets) -> ingest with the synthetic key -> the same panel, schools and
destinations, less exactly the rows whose student number was corrupted; every planted problem
is quarantined or fixed and counted, and the counts add up per file.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lbc_eval.data.ids import synthetic_key
from lbc_eval.ingest import ingest
from lbc_eval.synth.export import export_school_files
from tests.conftest import cohort_for
from tests.ingest.files import HEADER, KEY, survey_rows, write_xlsx

SEED = 2


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    cohort = cohort_for("small", SEED, n_children=600)
    out = tmp_path_factory.mktemp("export")
    export_school_files(cohort, out, seed=5)
    manifest = json.loads((out / "export_manifest.json").read_text(encoding="utf-8"))
    result = ingest(out, key=synthetic_key(SEED))
    return cohort, manifest, result, out


def _cells(entry, kind):
    return {(row, col) for col, rows in entry["problems"][kind].items() for row in rows}


def test_every_row_is_accounted_for_per_file(roundtrip):
    _, manifest, result, _ = roundtrip
    files = result.files.set_index("file")
    assert result.adds_up and files["adds_up"].all()
    for entry in manifest["files"]:
        assert files.loc[entry["file"], "rows_read"] == entry["data_rows"]
        assert files.loc[entry["file"], "rows_blank"] == 0
    t = result.manifest["totals"]
    assert t["rows_read"] == t["rows_accepted"] + t["rows_quarantined"] + t["rows_blank"]
    assert t["rows_read"] == sum(e["data_rows"] for e in manifest["files"])


def test_planted_problems_are_quarantined_or_fixed(roundtrip):
    _, manifest, result, _ = roundtrip
    problems = result.problems[result.problems["row"].notna()]
    cols = problems[["file", "row", "column", "reason", "severity"]].itertuples(index=False)
    found = {
        (f, int(r), c if isinstance(c, str) else None): (why, sev) for f, r, c, why, sev in cols
    }
    bad_rows = {
        (f, int(r))
        for f, r in zip(problems["file"], problems["row"], strict=True)
        if found.get((f, int(r), "student_id"), ("", ""))[1] == "quarantine"
    }
    for e in (e for e in manifest["files"] if e["kind"] == "survey"):
        for row, col in _cells(e, "invalid_ids"):
            column = "student_id" if col == "student_no" else "resident_id"
            reason, severity = found[(e["file"], row, column)]
            assert reason.startswith("id_"), (e["file"], row, col)
            expected = (
                "warning"
                if col == "resident_id" and (e["file"], row) not in bad_rows
                else ("quarantine")
            )
            assert severity == expected, (e["file"], row, col)
        for row, of in e["problems"]["duplicate_rows"]:
            if (e["file"], of) in bad_rows:  # a copy of a row already quarantined for its ID
                continue
            assert found[(e["file"], row, None)] == ("duplicate_row", "quarantine")
    assert set(result.quarantine["reason"]) <= {"duplicate_row", "id_checksum", "id_length"}
    assert set(result.warnings["reason"]) <= {"id_checksum", "id_length", "sheet_skipped"}
    fixes = result.manifest["totals"]["fixes"]
    assert fixes["zero_word"] == manifest["totals"]["zero_text_cells"]
    assert fixes["fullwidth"] == manifest["totals"]["fullwidth_cells"]


def test_the_panel_comes_back_less_the_corrupted_numbers(roundtrip):
    cohort, manifest, result, _ = roundtrip
    want = cohort.panel.set_index(["student_id", "term"]).sort_index()
    got = result.cohort.panel.set_index(["student_id", "term"]).sort_index()
    assert got.index.isin(want.index).all()
    corrupted = sum(
        len(rows) - sum(1 for r in rows for row, of in e["problems"]["duplicate_rows"] if row == r)
        for e in manifest["files"]
        if e["kind"] == "survey"
        for rows in [e["problems"]["invalid_ids"].get("student_no", [])]
    )
    assert len(want) - len(got) == corrupted > 0
    pd.testing.assert_frame_equal(got, want.loc[got.index], check_exact=False, rtol=0, atol=1e-9)
    pd.testing.assert_frame_equal(result.cohort.schools, cohort.schools)
    pd.testing.assert_frame_equal(result.cohort.destinations, cohort.destinations)


def test_ingest_is_idempotent(roundtrip):
    _, _, result, out = roundtrip
    again = ingest(out, key=synthetic_key(SEED))
    pd.testing.assert_frame_equal(again.cohort.panel, result.cohort.panel)
    pd.testing.assert_frame_equal(again.problems, result.problems)
    pd.testing.assert_frame_equal(again.report, result.report)
    for k in ("totals", "files", "options", "key_fingerprint", "ignored_files"):
        assert again.manifest[k] == result.manifest[k]
    assert result.manifest["ignored_files"] == ["export_manifest.json"]


def _bureau(tmp_path):
    write_xlsx(
        tmp_path / "教师培训情况.xlsx",
        [
            ["S01", 2024, "T07", "小学", 30],
            ["S02", "2024学年", "T08", "初中", 40],
            ["S02", 2024, "T08", "初中", 41],
        ],
        header=["学校", "学年", "乡镇", "学段", "教师数"],
        titles=["培训"],
    )
    write_xlsx(
        tmp_path / "务工地政策.xlsx",
        [["D01", "省内城市B", "省内", 2022], ["D02", "县城A", "县域内", "未实施"]],
        header=["务工地代码", "务工地名称", "范围", "居住证入学政策实施年份"],
    )


def test_training_records_destinations_and_townships_link(tmp_path):
    _bureau(tmp_path)
    header = [*HEADER, "父母务工地"]
    rows = [[*r, ("省内城市B", "D02", "深圳", None)[k % 4]] for k, r in enumerate(survey_rows(8))]
    write_xlsx(tmp_path / "S01_2024-1_a.xlsx", rows[:4], header=header)
    write_xlsx(tmp_path / "S03_2024-1_b.xlsx", rows[4:], header=header)
    result = ingest(tmp_path, key=KEY)
    assert result.adds_up
    c = result.cohort
    assert c.schools["school_id"].tolist() == ["S01"] and c.schools["year"].tolist() == [2024]
    q = result.quarantine
    assert q[q["file"] == "教师培训情况.xlsx"]["reason"].tolist() == ["duplicate_key"] * 2
    assert c.destinations["policy_year"].isna().tolist() == [False, True]
    panel = c.panel.set_index("school_id")
    assert panel.loc["S01", "township"].tolist() == ["T07"] * 4
    assert panel.loc["S03", "township"].isna().all()
    # an unmatched destination (深圳) is set missing, never stored as typed
    assert sorted(panel["destination_id"].dropna().unique()) == ["D01", "D02"]
    w = result.warnings
    assert sorted(w["reason"]) == ["destination_unknown"] * 2 + ["school_no_record"]
    assert w.set_index("reason").loc["school_no_record", "file"] == "S03_2024-1_b.xlsx"


def test_raw_marks_are_standardised_within_grade_and_term(tmp_path):
    rows = survey_rows(20)
    for k, r in enumerate(rows):
        r[HEADER.index("数学成绩")] = 60 + k
    write_xlsx(tmp_path / "S01_2024-1_a.xlsx", rows)
    result = ingest(tmp_path, key=KEY)
    math = result.cohort.panel["math"]
    assert abs(math.mean()) < 1e-3 and abs(math.std(ddof=0) - 1) < 1e-3
    assert result.manifest["totals"]["fixes"]["score_standardised"] == 20
