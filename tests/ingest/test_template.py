"""The survey form for schools (lbc_eval.ingest.template): filled in, it ingests cleanly."""

from __future__ import annotations

import openpyxl
import pytest

from lbc_eval import SpecError
from lbc_eval.data import codebook
from lbc_eval.ingest import ingest, write_template
from lbc_eval.ingest.template import FORM_COLUMNS, SHEET
from tests.ingest.files import KEY, resident_ids


def test_the_form_has_headers_lists_and_checks(tmp_path):
    path = write_template(tmp_path / "form.xlsx", school="S01", term="2024-1")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [SHEET, "填表说明", "lists"]
    assert wb["lists"].sheet_state == "hidden"
    ws = wb[SHEET]
    assert "填报单位：S01" in ws["A1"].value and "2024-2025学年第一学期" in ws["A1"].value
    header = [c.value for c in ws[2]]
    assert [codebook.match_header(h) for h in header] == list(FORM_COLUMNS)
    kinds = {dv.type for dv in ws.data_validations.dataValidation}
    assert {"list", "whole", "decimal"} <= kinds
    assert ws["A3"].number_format == "@"
    for h in ("姓名", "身份证号", "联系电话", "家庭住址"):
        assert h not in header
    with pytest.raises(SpecError, match="term"):
        write_template(tmp_path / "x.xlsx", term="2024 autumn")


@pytest.mark.parametrize(
    ("options", "code", "zh", "en"),
    [
        (
            {"term": "2024 autumn"},
            "template.term",
            "'2024 autumn' 不是学期代码，应写成 2024-1 或 2024-2 这样的形式",
            "'2024 autumn' is not a term such as 2024-1 or 2024-2",
        ),
        (
            {"path": "form.csv"},
            "template.not_xlsx",
            "调查表须为 .xlsx 工作簿，不能是 .csv 文件",
            "the template is an .xlsx workbook, not .csv",
        ),
        (
            {"path": "form"},
            "template.no_suffix",
            "调查表须为 .xlsx 工作簿：请在文件名末尾加上 .xlsx",
            "the template is an .xlsx workbook: end the file name with .xlsx",
        ),
    ],
    ids=["term", "csv", "no-suffix"],
)
def test_a_wrong_option_says_so_in_chinese_then_english(tmp_path, capsys, options, code, zh, en):
    from lbc_eval.cli import main

    path = tmp_path / options.pop("path", "form.xlsx")
    with pytest.raises(SpecError) as info:
        write_template(path, **options)
    assert info.value.message.code == code
    assert info.value.message.render("zh") == zh and info.value.message.render("en") == en
    argv = ["template", "--out", str(path), *[x for k, v in options.items() for x in (f"--{k}", v)]]
    field = info.value.field
    assert main(argv) == 2
    assert capsys.readouterr().err == f"lbc-eval：错误：{field}：{zh}\n"
    assert main([*argv, "--lang", "en"]) == 2
    assert capsys.readouterr().err == f"lbc-eval: error: {field}: {en}\n"
    assert not path.exists()


def test_a_filled_in_form_ingests_with_nothing_quarantined(tmp_path):
    path = write_template(tmp_path / "in" / "S01_2024-1_form.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    rids = resident_ids(30, year=2013)
    for i, rid in enumerate(rids):
        values = {
            "student_id": "G" + rid, "school_id": "S01", "township": "T01",
            "term": "2024-2025学年第一学期", "grade": 5, "class_id": 1 + i % 2,
            "sex": "男" if int(rid[16]) % 2 else "女", "birth_year": 2013, "boarding": "否",
            "lb_status": ("非留守", "父亲外出", "母亲外出", "父母均外出")[i % 4],
            "guardian": ("父母", "祖辈", "亲戚", "其他")[i % 4], "destination_id": None,
            "low_income": "是" if i % 5 == 0 else "否",
            "mentor_role": ("未结对", "党员干部", "教师", "志愿者")[i % 4], "talks": i % 5,
            "home_visits": 1, "activities": 0, "parent_contacts": 2, "counseling": 0,
            "tutoring_hours": 2.5, "scholarship_yuan": 0, "hotline_calls": 1,
            "moved_to_parents": "否", "exit_reason": None, "math": 60 + i, "chinese": 70 + i % 9,
            "sdq_total": 10 + i % 7, "attendance": 0.95,
        }  # fmt: skip
        for j, name in enumerate(FORM_COLUMNS, 1):
            ws.cell(row=3 + i, column=j, value=values[name])
    wb.save(path)
    result = ingest(tmp_path / "in", key=KEY)
    assert result.adds_up and len(result.quarantine) == 0
    assert result.files["rows_read"].tolist() == [30]
    assert set(result.warnings["reason"]) <= {"sheet_skipped", "school_no_record"}
    panel = result.cohort.panel
    assert len(panel) == 30 and set(panel["class_id"]) == {"S01-2020-01", "S01-2020-02"}
    assert panel["math"].abs().max() < 3  # marks standardised


def test_the_instructions_are_in_chinese(tmp_path):
    """The 填表说明 sheet is for school clerks: every column's note and allowed values are in
    Chinese (no English word of four letters or more; SDQ is the questionnaire's name)."""
    import re

    wb = openpyxl.load_workbook(write_template(tmp_path / "form.xlsx"))
    rows = [[c for c in row if c] for row in wb["填表说明"].iter_rows(values_only=True)]
    text = " ".join(str(c) for row in rows for c in row).replace("SDQ", "")
    assert len(rows) >= len(FORM_COLUMNS) + 1
    assert not re.findall(r"[A-Za-z]{4,}", text), re.findall(r"[A-Za-z]{4,}", text)
    assert "[" not in text  # ranges in words (0 至 400), not interval notation
