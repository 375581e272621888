"""Files, formats, encodings, sheets and header rows (lbc_eval.ingest.read and .header).

Each test writes files the way schools (or broken tools) produce them and checks what ingest
makes of them: the table found, the row numbers, and that every row read ends in the cohort,
the quarantine or the blank count.
"""

from __future__ import annotations

import codecs

import openpyxl
import pandas as pd
import pytest

from lbc_eval.ingest import ingest
from lbc_eval.ingest.header import find_tables
from lbc_eval.ingest.read import Sheet, find_inputs
from tests.ingest.files import HEADER, KEY, csv_bytes, survey_rows, write_xlsx

TITLE = "T01乡镇 S01学校 2024-2025学年第一学期 留守儿童情况统计表"


def run(paths, **kw):
    result = ingest(paths, key=KEY, **kw)
    # the rows of every file read add up; a file not read at all makes the run not add up
    files = result.files
    read = files[files["status"] != "failed"]
    assert read["adds_up"].all(), files
    not_read = int((files["status"] == "failed").sum())
    assert result.manifest["totals"]["files_not_read"] == not_read
    assert result.adds_up == (not_read == 0), files
    return result


def reasons(result):
    return sorted(set(result.problems["reason"]) - {"school_no_record"})


def test_csv_encodings_are_detected(tmp_path):
    rows = survey_rows(6)
    rows[0][1] = "𠀀测试"  # a GB18030-only character (not in GBK)
    text = csv_bytes(rows, titles=[TITLE])
    panels = {}
    for enc in ("utf-8", "utf-8-sig", "gb18030", "utf-16"):
        (tmp_path / enc).mkdir()
        p = tmp_path / enc / "S01_2024-1_survey.csv"
        p.write_bytes(text.encode(enc))
        result = run(p)
        assert result.manifest["files"][0]["encoding"] == ("utf-16" if enc == "utf-16" else enc)
        assert len(result.cohort.panel) == 6 and reasons(result) == []
        panels[enc] = result.cohort.panel
    gbk = tmp_path / "gbk" / "S01_2024-1_survey.csv"
    gbk.parent.mkdir()
    gbk.write_bytes(csv_bytes(survey_rows(6), titles=[TITLE]).encode("gbk"))
    assert run(gbk).manifest["files"][0]["encoding"] == "gbk"
    for panel in panels.values():
        pd.testing.assert_frame_equal(panel, panels["utf-8"])


def test_bad_encoding_empty_truncated_and_not_a_table(tmp_path):
    (tmp_path / "wrong.csv").write_bytes(b"\xffA," * 40)
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "spaces.csv").write_bytes(b"  \r\n ,, \r\n")
    good = write_xlsx(tmp_path / "S01_2024-1_x.xlsx", survey_rows(30))
    (tmp_path / "cut.xlsx").write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    (tmp_path / "report.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    (tmp_path / "web.xls").write_bytes(b"<html><table><tr><td>1</td></tr></table></html>")
    good.unlink()
    result = run(tmp_path)
    by_file = dict(zip(result.problems["file"], result.problems["reason"], strict=True))
    assert by_file == {
        "wrong.csv": "encoding_unknown",
        "empty.csv": "file_empty",
        "spaces.csv": "file_empty",
        "cut.xlsx": "file_unreadable",
        "report.xlsx": "file_type",
        "web.xls": "file_type",
    }
    assert set(result.files["status"]) == {"failed"}
    assert (result.files["rows_read"] == 0).all() and len(result.cohort.panel) == 0
    assert "另存为 .xlsx" in result.problems.set_index("file").loc["cut.xlsx", "message"]


def test_no_header_and_title_only_files_quarantine_every_row(tmp_path):
    rows = survey_rows(4)
    write_xlsx(tmp_path / "S01_2024-1_noheader.xlsx", rows[1:], header=rows[0])
    wb = openpyxl.Workbook()
    wb.active.append([TITLE])
    wb.active.append(["填报单位：S01学校"])
    wb.save(tmp_path / "S01_2024-1_titles.xlsx")
    result = run(tmp_path)
    files = result.files.set_index("file")
    assert files.loc["S01_2024-1_noheader.xlsx", "rows_quarantined"] == 4
    assert files.loc["S01_2024-1_titles.xlsx", "rows_quarantined"] == 2
    assert set(result.quarantine["reason"]) == {"header_not_found"}
    assert set(files["status"]) == {"no table"}


def test_header_under_titles_and_offset_keeps_excel_row_numbers(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C3"] = TITLE  # two blank rows and two blank columns before anything
    for j, h in enumerate(HEADER):
        ws.cell(row=5, column=3 + j, value=h)
    rows = survey_rows(5)
    rows[2][11] = "很多"  # talks, row 8 of the sheet, column N (C + 11)
    for i, r in enumerate(rows):
        for j, v in enumerate(r):
            ws.cell(row=6 + i, column=3 + j, value=v)
    wb.save(tmp_path / "S01_2024-1_offset.xlsx")
    result = run(tmp_path)
    q = result.quarantine
    assert q[["row", "cell", "column", "reason"]].values.tolist() == [
        [8, "N8", "talks", "not_a_number"]
    ]
    assert q["header"].tolist() == ["谈心次数（次）"] and q["value"].tolist() == ["<masked>"]
    assert result.manifest["files"][0]["tables"][0]["header_rows"] == [5]


def test_merged_two_row_header(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([TITLE])
    ws.append(
        ["序号", "姓名", "学籍号", "年级", "班级", "留守类型", "性别", "帮扶情况", None, "学期"]
    )
    ws.append([None, None, None, None, None, None, None, "谈心次数", "家访次数", None])
    for cells in ("A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3", "G2:G3", "J2:J3", "H2:I2"):
        ws.merge_cells(cells)
    for k, r in enumerate(survey_rows(4)):
        ws.append([k + 1, r[1], r[2], r[6], r[7], r[8], r[4], 2, 1, r[15]])
    wb.save(tmp_path / "S01_2024-1_merged.xlsx")
    result = run(tmp_path)
    table = result.manifest["files"][0]["tables"][0]
    assert table["header_rows"] == [3]
    assert {"student_id", "grade", "talks", "home_visits", "term"} <= set(table["columns"])
    assert len(result.cohort.panel) == 4 and reasons(result) == []
    assert result.cohort.panel["home_visits"].tolist() == [1] * 4


def test_two_row_header_without_merges(tmp_path):
    header1 = ["姓名", "学籍号", "年级", "留守类型", "性别", "帮扶情况", "", "学期"]
    header2 = ["", "", "", "", "", "谈心次数", "家访次数", ""]
    rows = [[r[1], r[2], r[6], r[8], r[4], 1, 0, r[15]] for r in survey_rows(3)]
    text = csv_bytes([header2, *rows], header=header1, titles=[TITLE])
    (tmp_path / "S01_2024-1_two.csv").write_text(text, encoding="utf-8")
    result = run(tmp_path)
    assert result.manifest["files"][0]["tables"][0]["header_rows"] == [2, 3]
    assert len(result.cohort.panel) == 3 and reasons(result) == []


def test_xls_blank_rows_footer_and_repeated_header(tmp_path):
    xlwt = pytest.importorskip("xlwt")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("留守儿童")
    ws.write_merge(0, 0, 0, len(HEADER) - 1, TITLE)
    lines = [
        HEADER,
        *survey_rows(3),
        [],
        HEADER,
        *survey_rows(2, start=3),
        [],
        ["合计", None, None, None, None, None, None, None, None, None, None, 6],
        ["填表人：王老师", None, None, None, None, None, None, None, None, None, None],
    ]
    for i, row in enumerate(lines, 1):
        for j, v in enumerate(row):
            if v is not None:
                ws.write(i, j, v)
    wb.save(str(tmp_path / "S01_2024-1_old.xls"))
    result = run(tmp_path)
    f = result.files.iloc[0]
    assert (f["rows_read"], f["rows_accepted"], f["rows_blank"], f["rows_quarantined"]) == (
        10,
        5,
        2,
        3,
    )
    assert result.quarantine["reason"].tolist() == ["repeated_header", "footer_row", "footer_row"]
    assert result.quarantine["row"].tolist() == [7, 11, 12]
    assert result.manifest["files"][0]["format"] == "xls"


def test_several_sheets_hidden_and_notes(tmp_path):
    p = write_xlsx(
        tmp_path / "S01_2024-1_sheets.xlsx",
        survey_rows(3),
        sheet="四年级",
        extra_sheets={
            "五年级": [HEADER, *survey_rows(2, start=10)],
            "说明": [["填表说明"], ["1. 次数为本学期累计"]],
            "隐藏": [HEADER, *survey_rows(2, start=20)],
        },
    )
    wb = openpyxl.load_workbook(p)
    wb["隐藏"].sheet_state = "hidden"
    wb.save(p)
    result = run(p)
    entry = result.manifest["files"][0]
    assert entry["sheets"] == ["四年级", "五年级", "说明"] and entry["hidden_sheets"] == ["隐藏"]
    assert [t["sheet"] for t in entry["tables"]] == ["四年级", "五年级"]
    assert entry["rows_skipped"] == 2 and len(result.cohort.panel) == 5
    assert result.warnings.set_index("reason").loc["sheet_skipped", "sheet"] == "说明"


def test_duplicate_file_unknown_columns_and_engines(tmp_path):
    header = [*HEADER, "备注", "父亲身份证号码"]
    rows = [[*r, "", "990100198001010011"] for r in survey_rows(4)]
    a = write_xlsx(tmp_path / "S01_2024-1_a.xlsx", rows, header=header, titles=[TITLE])
    (tmp_path / "S01_2024-1_copy.xlsx").write_bytes(a.read_bytes())
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not read")
    result = run(tmp_path)
    assert result.manifest["ignored_files"] == ["notes.docx"]
    assert result.files["status"].tolist() == ["read", "duplicate of S01_2024-1_a.xlsx"]
    assert result.quarantine["reason"].unique().tolist() == ["duplicate_file"]
    unknown = result.warnings[result.warnings["reason"] == "unknown_column"]
    unknown = unknown[unknown["file"] == "S01_2024-1_a.xlsx"]
    assert unknown["header"].tolist() == ["父亲身份证号码"] and unknown["cell"].tolist() == ["R2"]
    other = run(a, engine="openpyxl")
    pd.testing.assert_frame_equal(other.cohort.panel, run(a).cohort.panel)


def test_find_inputs_and_tables_directly(tmp_path):
    (tmp_path / "sub").mkdir()
    write_xlsx(tmp_path / "sub" / "b.xlsx", survey_rows(1))
    (tmp_path / "~$b.xlsx").write_bytes(b"lock")
    (tmp_path / "a.csv").write_text(csv_bytes(survey_rows(1)), encoding="utf-8")
    files, ignored = find_inputs([tmp_path])
    assert [f.name for f in files] == ["a.csv", "b.xlsx"] and [f.name for f in ignored] == [
        "~$b.xlsx"
    ]
    sheet = Sheet("s", [["培训情况"], ["学校", "学年", "乡镇", "学段", "教师数"], ["S01", 2024]])
    (table,) = find_tables(sheet)
    assert table.kind == "schools" and table.header_rows == (2,) and table.titles == ["培训情况"]
    assert codecs.BOM_UTF8  # (imported for the encodings above)


def test_merged_data_cells_are_filled_and_the_package_is_callable(tmp_path):
    import lbc_eval

    p = write_xlsx(tmp_path / "S01_2024-1_m.xlsx", survey_rows(4), titles=[TITLE])
    wb = openpyxl.load_workbook(p)
    ws = wb.active
    col = HEADER.index("班级") + 1
    for r in (4, 5, 6):
        ws.cell(row=r, column=col).value = None
    ws.merge_cells(start_row=3, start_column=col, end_row=6, end_column=col)  # one class cell
    wb.save(p)
    result = lbc_eval.ingest(p, key=KEY)
    assert result.cohort.panel["class_id"].tolist() == ["S01-2021-02"] * 4
