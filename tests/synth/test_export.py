"""Messy school files: layout, encodings, planted problems and the manifest that lists them."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import unicodedata

import openpyxl
import pandas as pd
import pytest

from lbc_eval import SchemaError, SpecError
from lbc_eval.data import codebook, ids
from lbc_eval.synth.export import export_school_files
from tests.conftest import cohort_for

FULLWIDTH_DIGIT = re.compile("[０-９]")


@pytest.fixture(scope="module")
def cohort():
    return cohort_for("small", 2, n_children=600)


@pytest.fixture(scope="module")
def exported(cohort, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    files = export_school_files(cohort, out, seed=5)
    manifest = json.loads((out / "export_manifest.json").read_text(encoding="utf-8"))
    return out, files, manifest


def surveys(manifest):
    return [e for e in manifest["files"] if e["kind"] == "survey"]


def read_rows(out, entry):
    """Every row of a file as a list of raw cell values (None or '' for blanks)."""
    path = out / entry["file"]
    if entry["format"] == "csv":
        text = path.read_bytes().decode(entry["encoding"])
        return [list(r) for r in csv.reader(io.StringIO(text))]
    wb = openpyxl.load_workbook(path, read_only=True)
    rows = [list(r) for r in wb[entry["sheet"]].iter_rows(values_only=True)]
    wb.close()
    return rows


def column(rows, entry, name):
    """(file row, value) of one column's data cells."""
    j = [c for c, _ in entry["columns"]].index(name)
    first = entry["header_row"] + 1
    return [(first + i, r[j] if j < len(r) else None) for i, r in enumerate(rows[first - 1:])]


def cells(entry, kind):
    return {(row, col) for col, rows in entry["problems"][kind].items() for row in rows}


@pytest.fixture(scope="module")
def contents(exported):
    out, _, manifest = exported
    return {e["file"]: read_rows(out, e) for e in manifest["files"]}


def test_one_file_per_school_and_term(cohort, exported):
    out, files, manifest = exported
    expected = set(cohort.panel.groupby(["school_id", "term"]).groups)
    got = [(e["school_id"], e["term"]) for e in surveys(manifest)]
    assert sorted(got) == sorted(expected) and len(got) == len(set(got))
    for e in surveys(manifest):
        assert e["file"] == f"{e['school_id']}_{e['term']}_留守儿童情况.{e['format']}"
    names = {p.name for p in out.iterdir()}
    assert names == {p.name for p in files}
    assert {"教师培训情况.xlsx", "务工地政策.xlsx", "export_manifest.json"} <= names
    formats = {(e["format"], e["encoding"]) for e in surveys(manifest)}
    assert ("xlsx", None) in formats and ("csv", "gbk") in formats


def test_header_sits_under_the_titles_and_matches_the_codebook(exported, contents):
    _, _, manifest = exported
    for e in manifest["files"]:
        rows = contents[e["file"]]
        h = e["header_row"]
        assert h == e["title_rows"] + 1
        header = [x for x in rows[h - 1] if x not in (None, "")]
        assert header == [written for _, written in e["columns"]]
        tables = ("panel", "form") if e["kind"] == "survey" else (
            ("schools",) if e["kind"] == "training" else ("destinations",))
        for name, written in e["columns"]:
            want = {"seq": None, "student_no": "student_id"}.get(name, name)
            assert codebook.match_header(written, tables) == want, (e["file"], written)
        for title in rows[: h - 1]:
            assert title[0] and all(x in (None, "") for x in title[1:])
        if e["kind"] == "survey" and e["title_rows"]:
            assert e["school_id"] in rows[0][0] and "学年" in rows[0][0]


def test_xlsx_title_is_merged_and_notes_sheets_exist(exported):
    out, _, manifest = exported
    titled = [e for e in surveys(manifest) if e["format"] == "xlsx" and e["title_rows"]]
    wb = openpyxl.load_workbook(out / titled[0]["file"])
    ws = wb[titled[0]["sheet"]]
    assert [str(r) for r in ws.merged_cells.ranges][0].startswith("A1:")
    assert wb.properties.modified.year == 2025
    assert any(len(e["sheets"]) == 2 and "说明" in e["sheets"] for e in surveys(manifest))


def test_csv_encodings(exported):
    out, _, manifest = exported
    csvs = [e for e in surveys(manifest) if e["format"] == "csv"]
    assert csvs
    for e in csvs:
        raw = (out / e["file"]).read_bytes()
        raw.decode(e["encoding"])
        if e["encoding"] == "gbk":
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")
        assert raw.startswith(b"\xef\xbb\xbf") == (e["encoding"] == "utf-8-sig")


def test_rows_minus_duplicates_are_the_panel(cohort, exported, contents):
    _, _, manifest = exported
    sizes = cohort.panel.groupby(["school_id", "term"]).size()
    for e in surveys(manifest):
        data = contents[e["file"]][e["header_row"]:]
        assert len(data) == e["data_rows"] == e["children"] + len(e["problems"]["duplicate_rows"])
        assert e["children"] == sizes[(e["school_id"], e["term"])]
        first = e["header_row"] + 1
        for row, of in e["problems"]["duplicate_rows"]:
            assert data[row - first] == data[of - first]
        seq = [r[0] for r in data]
        dup_rows = {row for row, _ in e["problems"]["duplicate_rows"]}
        kept = [s for i, s in enumerate(seq) if first + i not in dup_rows]
        assert [int(s) for s in kept] == list(range(1, e["children"] + 1))
    assert sum(len(e["problems"]["duplicate_rows"]) for e in surveys(manifest)) > 0


def test_planted_invalid_ids_fail_the_checksum_and_no_other_does(exported, contents):
    _, _, manifest = exported
    planted = 0
    for e in surveys(manifest):
        bad = cells(e, "invalid_ids")
        planted += len(bad)
        names = [c for c, _ in e["columns"]]
        for col in ("student_no", "resident_id"):
            if col not in names:
                continue
            for row, value in column(contents[e["file"]], e, col):
                number = str(value).strip()
                assert number.startswith("G99" if col == "student_no" else "99")
                body = number[1:] if col == "student_no" else number
                assert ids.checksum_ok(body) == ((row, col) not in bad), (e["file"], row, col)
    assert planted > 0
    assert any("resident_id" not in [c for c, _ in e["columns"]] for e in surveys(manifest))


def test_only_placeholder_names_and_synthetic_numbers(exported, contents):
    _, _, manifest = exported
    long_number = re.compile(r"\d{15,}")
    for e in surveys(manifest):
        rows = contents[e["file"]]
        for _, name in column(rows, e, "name"):
            assert re.fullmatch(r"学生\d+", str(name).strip())
        for r in rows:
            for x in r:
                for m in long_number.findall(str(x)):
                    assert m.startswith("99")


def test_mess_is_where_the_manifest_says(exported, contents):
    _, _, manifest = exported
    totals = dict.fromkeys(("zero_text_cells", "fullwidth_cells", "stray_spaces"), 0)
    for e in surveys(manifest):
        rows = contents[e["file"]]
        zero, wide, space = (cells(e, k) for k in totals)
        for k, v in zip(totals, (zero, wide, space), strict=True):
            totals[k] += len(v)
        for name, _ in e["columns"]:
            for row, value in column(rows, e, name):
                text = "" if value is None else str(value)
                assert (text in ("无", "-")) == ((row, name) in zero), (e["file"], row, name)
                assert bool(FULLWIDTH_DIGIT.search(text)) == ((row, name) in wide)
                if (row, name) in space:
                    assert text != text.strip()
    assert all(totals.values()), totals
    assert {k: manifest["totals"][k] for k in totals} == totals


def test_counts_round_trip_to_the_panel(cohort, exported, contents):
    _, _, manifest = exported
    roster = cohort.roster.set_index("student_no")["student_id"]
    panel = cohort.panel.set_index(["student_id", "term"])
    for e in surveys(manifest)[:20]:
        rows = contents[e["file"]]
        numbers = column(rows, e, "student_no")
        for col in ("talks", "sdq_total"):
            for (_, number), (row, value) in zip(numbers, column(rows, e, col), strict=True):
                key = str(number).strip()
                if key not in roster.index:  # a corrupted number
                    continue
                text = unicodedata.normalize("NFKC", "" if value is None else str(value))
                got = 0 if text in ("无", "-") else (None if text == "" else int(float(text)))
                want = panel.loc[(roster[key], e["term"]), col]
                assert got == (None if pd.isna(want) else int(want)), (e["file"], row, col)


def test_same_seed_same_files_other_seed_other_mess(cohort, exported, tmp_path):
    out, files, manifest = exported
    again = export_school_files(cohort, tmp_path / "again", seed=5)
    assert [p.name for p in again] == [p.name for p in files]
    for a, b in zip(files, again, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    other = export_school_files(cohort, tmp_path / "other", seed=6)
    m2 = json.loads(other[-1].read_text(encoding="utf-8"))
    assert [e["problems"] for e in surveys(m2)] != [e["problems"] for e in surveys(manifest)]


def test_parallel_workers_write_the_same_bytes(tmp_path):
    c = cohort_for("small", 3, n_children=150)
    serial = export_school_files(c, tmp_path / "serial", seed=1)
    parallel = export_school_files(c, tmp_path / "parallel", seed=1, workers=2)
    for a, b in zip(serial, parallel, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_manifest_holds_no_identifying_value(exported):
    out, _, _ = exported
    text = (out / "export_manifest.json").read_text(encoding="utf-8")
    assert not re.search(r"学生\d|家长\d|测试地址|\d{11,}", text)


def test_bureau_tables(cohort, exported, contents):
    _, _, manifest = exported
    dest = next(e for e in manifest["files"] if e["kind"] == "destinations")
    rows = contents[dest["file"]][dest["header_row"]:]
    assert len(rows) == len(cohort.destinations)
    never = cohort.destinations["policy_year"].isna().to_numpy()
    assert [len(r) < 4 or r[3] is None for r in rows] == list(never)
    training = next(e for e in manifest["files"] if e["kind"] == "training")
    assert training["title_rows"] == 1
    assert len(contents[training["file"]]) == 1 + 1 + len(cohort.schools)


def test_a_cohort_without_roster_is_refused(cohort, tmp_path):
    with pytest.raises(SchemaError, match="no synthetic roster"):
        export_school_files(dataclasses.replace(cohort, roster=None), tmp_path)
    with pytest.raises(SpecError, match="csv_share"):
        export_school_files(cohort, tmp_path, csv_share=1.5)
