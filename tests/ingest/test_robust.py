"""Real school files without surprises: a corpus of hand-built odd files, one test each.

No input may crash a run; every problem becomes a reason code on the rows or the file concerned,
and per file rows read = accepted + quarantined + blank. The files are written here with
openpyxl, the csv module and zipfile (tests/ingest/handmade.py), never with the kit's export.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from lbc_eval.cli import main
from lbc_eval.ingest import ingest
from lbc_eval.ingest.problems import REASONS
from tests.ingest.files import HEADER, KEY, resident_ids
from tests.ingest.handmade import (
    BUREAU_DESTINATIONS,
    BUREAU_SCHOOLS,
    LETTER,
    accounts,
    csv_file,
    found,
    patch_cells,
    survey,
    without,
    workbook,
)

FILE = "S01_2024-1_survey.xlsx"
ENGINES = ("calamine", "openpyxl")
CANARY_TOWNSHIP = "幸福村 测试金丝雀家"


def canary_destination() -> str:
    return "浙江宁波 父亲电话" + "".join(("139", "8765", "4321"))  # built: no phone in the file


def quiet(result):
    """Nothing to report but the school's missing training record (no bureau table given)."""
    return set(result.problems["reason"]) <= {"school_no_record"}


def one(tmp_path, sheets, name=FILE, **kw):
    path = workbook(tmp_path / "in" / name, sheets, **{k: kw.pop(k) for k in list(kw) if k in (
        "states", "merges", "chart")})  # fmt: skip
    return path, ingest(path, key=KEY, **kw)


# --- crashes --------------------------------------------------------------------------------------


def test_unparsable_and_blank_class_cells(tmp_path):
    rows = survey(3, **{"班级": ["实验班", None, "四(2)班"]})
    _, result = one(tmp_path, {"Sheet1": [HEADER, *rows]})
    assert accounts(result) == {FILE: (3, 3, 0, 0)}
    assert (FILE, "Sheet1", 2, "H2", "class_id", "class_unparsed") in found(result, "warning")
    assert result.cohort.panel["class_id"].isna().sum() == 2
    assert result.cohort.panel["class_id"].dropna().tolist() == ["S01-2021-02"]


def test_a_file_without_a_class_column_beside_files_with_one(tmp_path):
    workbook(tmp_path / "S01_2024-1_a.xlsx", {"Sheet1": [HEADER, *survey(3)]})
    header, rows = without(HEADER, survey(3, start=10), "班级")
    workbook(tmp_path / "S02_2024-1_b.xlsx", {"Sheet1": [header, *rows]})
    result = ingest(tmp_path, key=KEY)
    assert accounts(result) == {
        "S01_2024-1_a.xlsx": (3, 3, 0, 0),
        "S02_2024-1_b.xlsx": (3, 3, 0, 0),
    }
    panel = result.cohort.panel.set_index("school_id")
    assert panel.loc["S02", "class_id"].isna().all() and panel.loc["S01", "class_id"].notna().all()
    assert result.quarantine.empty


def test_a_blank_form_has_no_rows_and_no_problem(tmp_path):
    workbook(tmp_path / "S01_2024-1_blank.xlsx", {"Sheet1": [["留守儿童情况统计表"], HEADER]})
    alone = ingest(tmp_path, key=KEY)
    assert accounts(alone) == {"S01_2024-1_blank.xlsx": (0, 0, 0, 0)}
    assert alone.problems.empty and len(alone.cohort.panel) == 0 and alone.adds_up
    workbook(tmp_path / "S02_2024-1_full.xlsx", {"Sheet1": [HEADER, *survey(2)]})
    both = ingest(tmp_path, key=KEY)
    assert accounts(both)["S02_2024-1_full.xlsx"] == (2, 2, 0, 0)
    assert both.files.set_index("file").loc["S01_2024-1_blank.xlsx", "status"] == "read"


def test_a_sheet_with_only_a_title(tmp_path):
    _, result = one(tmp_path, {"Sheet1": [["2024-2025学年第一学期留守儿童情况统计表"]]})
    assert accounts(result) == {FILE: (1, 0, 1, 0)}
    assert found(result) == [(FILE, "Sheet1", 1, None, None, "header_not_found")]
    assert result.files["status"].tolist() == ["no table"]


def test_a_csv_with_a_bom_and_crlf_line_ends(tmp_path):
    path = csv_file(tmp_path / "S01_2024-1_bom.csv", survey(4), titles=("统计表",))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in path.read_bytes()
    result = ingest(path, key=KEY)
    assert accounts(result) == {"S01_2024-1_bom.csv": (4, 4, 0, 0)}
    assert result.manifest["files"][0]["encoding"] == "utf-8-sig"
    assert quiet(result)
    assert result.manifest["files"][0]["tables"][0]["header_rows"] == [2]


@pytest.mark.parametrize("engine", ENGINES)
def test_merged_header_cells(tmp_path, engine):
    rows = survey(3)
    top = ["学籍号", "年级", "留守类型", "帮扶情况", None, "学期"]
    sub = [None, None, None, "谈心次数", "家访次数", None]
    body = [[r[COL] for COL in (2, 6, 8, 11, 12, 15)] for r in rows]
    merges = ["A1:A2", "B1:B2", "C1:C2", "D1:E1", "F1:F2"]
    _, result = one(tmp_path, {"表": [top, sub, *body]}, merges={"表": merges}, engine=engine)
    assert accounts(result) == {FILE: (3, 3, 0, 0)}
    panel = result.cohort.panel
    assert sorted(panel["talks"]) == [0, 1, 2] and panel["home_visits"].tolist() == [0, 0, 0]
    assert not (result.problems["severity"] == "quarantine").any()


def test_numbers_stored_as_text(tmp_path):
    rows = survey(
        3,
        **{
            "年级": ["4", "4", "4"],
            "班级": ["2", "2", "2"],
            "谈心次数（次）": ["3", "0", "12"],
            "数学成绩": ["0.5", "-1.2", "0"],
            "出勤率": ["0.95", "1", "0.875"],
        },
    )
    _, result = one(tmp_path, {"Sheet1": [HEADER, *rows]})
    assert accounts(result) == {FILE: (3, 3, 0, 0)}
    panel = result.cohort.panel
    assert sorted(panel["talks"]) == [0, 3, 12] and panel["grade"].tolist() == [4] * 3
    assert sorted(panel["attendance"]) == [0.875, 0.95, 1.0]
    assert sorted(panel["math"]) == [-1.2, 0.0, 0.5]
    assert quiet(result)


def test_a_workbook_with_a_chart_sheet(tmp_path):
    path, result = one(tmp_path, {"数据": [HEADER, *survey(3)]}, chart=True)
    import openpyxl

    assert "图表" in openpyxl.load_workbook(path).sheetnames
    assert accounts(result) == {FILE: (3, 3, 0, 0)}
    assert quiet(result) and result.manifest["files"][0]["sheets"] == ["数据"]


@pytest.mark.parametrize("engine", ENGINES)
def test_formula_error_cells(tmp_path, engine):
    talks, attendance, student = LETTER["谈心次数（次）"], LETTER["出勤率"], LETTER["学籍号"]
    grade = LETTER["年级"]
    path = workbook(tmp_path / FILE, {"Sheet1": [HEADER, *survey(5)]})
    patch_cells(
        path,
        {
            f"{talks}2": f'<c r="{talks}2" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
            f"{attendance}3": f'<c r="{attendance}3" t="e"><v>#N/A</v></c>',
            f"{student}4": f'<c r="{student}4" t="e"><f>VLOOKUP(B4,X!A:B,2,0)</f><v>#N/A</v></c>',
            f"{grade}5": f'<c r="{grade}5" t="e"><v>#REF!</v></c>',
        },
    )
    result = ingest(path, key=KEY, engine=engine)
    assert accounts(result) == {FILE: (5, 4, 1, 0)}
    assert found(result) == [
        (FILE, "Sheet1", 2, f"{talks}2", "talks", "cell_error"),
        (FILE, "Sheet1", 3, f"{attendance}3", "attendance", "cell_error"),
        (FILE, "Sheet1", 4, f"{student}4", "student_id", "cell_error"),
        (FILE, "Sheet1", 5, f"{grade}5", "grade", "cell_error"),
        (FILE, "Sheet1", 5, f"{grade}5", "grade", "missing_value"),
    ]
    w = result.warnings.set_index("cell")
    assert "Excel 错误值" in w.loc[f"{talks}2", "message"]
    assert set(result.warnings["severity"]) == {"warning"}
    panel = result.cohort.panel
    assert panel["talks"].isna().sum() == 1  # missing, not 0
    assert panel["attendance"].isna().sum() == 1
    assert len(panel) == 4  # row 4: the student number from the resident ID beside it


@pytest.mark.parametrize("engine", ENGINES)
def test_formulas_without_a_stored_result(tmp_path, engine):
    talks = LETTER["谈心次数（次）"]
    rows = survey(4, **{"谈心次数（次）": ["=SUM(1,2)", "=1+1", 0, 5]})
    path = workbook(tmp_path / FILE, {"Sheet1": [HEADER, *rows]})
    # row 4: a formula with the result Excel stores; row 5: a formula result that is ""
    patch_cells(
        path,
        {
            f"{talks}4": f'<c r="{talks}4"><f>1+2</f><v>3</v></c>',
            f"{talks}5": f'<c r="{talks}5" t="str"><f>IF(1,"","")</f><v></v></c>',
        },
    )
    result = ingest(path, key=KEY, engine=engine)
    assert accounts(result) == {FILE: (4, 4, 0, 0)}
    assert found(result) == [
        (FILE, "Sheet1", 2, f"{talks}2", "talks", "formula_no_value"),
        (FILE, "Sheet1", 3, f"{talks}3", "talks", "formula_no_value"),
    ]
    w = result.warnings
    message = w[w["reason"] == "formula_no_value"]["message"].iloc[0]
    assert "公式" in message and "而不是 0" in message
    talks_values = result.cohort.panel["talks"].tolist()
    assert sum(pd.isna(v) for v in talks_values) == 2 and sorted(
        v for v in talks_values if not pd.isna(v)
    ) == [0, 3]  # the "" result is a blank count: 0 (blank_as_zero), the others missing
    fixes = result.report[(result.report["column"] == "talks")].set_index("reason")["count"]
    assert fixes.get("blank_as_zero", 0) == 1


def test_dates_written_as_text(tmp_path):
    months = [f"2014年{int(rid[10:12])}月" for rid in resident_ids(3)]
    months[2] = "2013年5月"  # not the resident ID's year
    _, result = one(tmp_path, {"Sheet1": [HEADER, *survey(3, **{"出生日期": months})]})
    assert accounts(result) == {FILE: (3, 2, 1, 0)}
    assert found(result) == [(FILE, "Sheet1", 4, "F4", "birth_date", "birth_year_mismatch")]
    assert result.cohort.panel["birth_year"].tolist() == [2014, 2014]


def test_birth_years_written_as_text(tmp_path):
    header, rows = without(HEADER, survey(6), "出生日期")
    header = [*header, "出生年份"]
    written = ["2014年", "2014年3月", "2014", 2014.0, "2014.5.6", "二〇一四"]  # the last: no number
    rows = [[*r, y] for r, y in zip(rows, written, strict=True)]
    _, result = one(tmp_path, {"Sheet1": [header, *rows]})
    assert accounts(result) == {FILE: (6, 5, 1, 0)}
    assert found(result) == [(FILE, "Sheet1", 7, "P7", "birth_year", "not_a_number")]
    assert result.cohort.panel["birth_year"].tolist() == [2014] * 5


def test_extremely_long_cells(tmp_path):
    long_text = "测" * 32767  # Excel's limit for one cell
    rows = survey(2, **{"监护人": [long_text, "祖辈"]})
    _, result = one(tmp_path, {"Sheet1": [[*HEADER, "备" * 5000], *rows]})
    assert accounts(result) == {FILE: (2, 1, 1, 0)}
    assert (FILE, "Sheet1", 2, "J2", "guardian", "unknown_label") in found(result)
    assert result.quarantine["value"].tolist() == ["<masked>"]
    huge = "测" * 200_000  # beyond the csv module's default field limit
    path = csv_file(tmp_path / "S01_2024-1_long.csv", survey(2, **{"监护人": [huge, "祖辈"]}))
    from_csv = ingest(path, key=KEY)
    assert accounts(from_csv) == {"S01_2024-1_long.csv": (2, 1, 1, 0)}
    assert from_csv.quarantine["reason"].tolist() == ["unknown_label"]


# --- values ---------------------------------------------------------------------------------------

# Attendance as written, row by row -> (values in the cohort, problems as (row, reason)).
SHARES = {
    "percentages: 1.5 is 1.5 %": ([95, 97.5, 1.5], [0.95, 0.975, 0.015], []),
    "percentages as text": (["95", "97", "1.5"], [0.95, 0.97, 0.015], []),
    "percent signs count as percentages": (["95%", "90%", 1.5], [0.95, 0.9, 0.015], []),
    "shares: 1.5 is ambiguous": ([0.95, 0.97, 1.5], [0.95, 0.97], [(4, "share_ambiguous")]),
    "alone: 1.5 is ambiguous": ([1.5], [], [(2, "share_ambiguous")]),
    "half and half is ambiguous": ([0.9, 80], [0.9], [(3, "share_ambiguous")]),
    "written with %": (["1.5%"], [0.015], []),
    "shares 0 and 1": ([0, 1, 0.5], [0.0, 1.0, 0.5], []),
    "above 100": ([95, 150], [0.95], [(3, "out_of_range")]),
    "below 0": ([-0.1, 0.9], [0.9], [(2, "out_of_range")]),
    "120%": (["120%", 0.9], [0.9], [(2, "out_of_range")]),
}


@pytest.mark.parametrize("case", list(SHARES))
def test_attendance_shares_and_percentages(tmp_path, case):
    written, values, problems = SHARES[case]
    rows = survey(len(written), **{"出勤率": written})
    _, result = one(tmp_path, {"Sheet1": [HEADER, *rows]})
    n = len(written)
    assert accounts(result) == {FILE: (n, n - len(problems), len(problems), 0)}
    assert [(r, why) for _, _, r, _, _, why in found(result)] == problems
    assert all(col == "attendance" for *_, col, _ in found(result))
    got = sorted(result.cohort.panel["attendance"])
    assert len(got) == len(values)
    assert all(math.isclose(a, b) for a, b in zip(got, sorted(values), strict=True))


def test_ambiguous_attendance_with_set_missing_is_a_warning(tmp_path):
    rows = survey(2, **{"出勤率": [0.9, 1.5]})
    _, result = one(tmp_path, {"Sheet1": [HEADER, *rows]}, on_invalid="set_missing")
    assert accounts(result) == {FILE: (2, 2, 0, 0)}
    assert found(result, "warning") == [(FILE, "Sheet1", 3, "O3", "attendance", "share_ambiguous")]
    w = result.warnings
    assert "已置为缺失" in w[w["reason"] == "share_ambiguous"]["message"].iloc[0]
    assert result.cohort.panel["attendance"].isna().sum() == 1


# --- accounting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_hidden_sheets_are_reported_and_counted(tmp_path, engine):
    sheets = {
        "四年级": [HEADER, *survey(3)],
        "备份": [HEADER, *survey(2, start=20)],
        "草稿": [["随手记"], ["第二行"]],
    }
    states = {"备份": "hidden", "草稿": "veryHidden"}
    _, result = one(tmp_path, sheets, states=states, engine=engine)
    assert accounts(result) == {FILE: (3, 3, 0, 0)}
    assert found(result, "warning") == [
        (FILE, "备份", None, None, None, "sheet_hidden"),
        (FILE, "草稿", None, None, None, "sheet_skipped"),
    ]
    entry = result.manifest["files"][0]
    assert entry["hidden_sheets"] == ["备份", "草稿"] and entry["rows_hidden"] == 5
    assert entry["sheets"] == ["四年级"]
    w = result.warnings
    assert "（2 行数据）" in w[w["reason"] == "sheet_hidden"]["message"].iloc[0]
    text = result.summary()
    assert "隐藏工作表中有 5 行非空行" in text and "sheet_hidden" in text
    assert "行数相符：是" in text


def test_files_that_cannot_be_read_make_the_run_not_add_up(tmp_path):
    folder = tmp_path / "in"
    good = workbook(folder / "S01_2024-1_good.xlsx", {"Sheet1": [HEADER, *survey(2)]})
    (folder / "S02_2024-1_cut.xlsx").write_bytes(good.read_bytes()[:300])
    (folder / "S03_2024-1_page.xls").write_bytes(b"<html><table><tr><td>1</td></tr></table>")
    (folder / "S04_2024-1_empty.csv").write_bytes(b"")
    result = ingest(folder, key=KEY)
    assert accounts(result) == {
        "S01_2024-1_good.xlsx": (2, 2, 0, 0),
        "S02_2024-1_cut.xlsx": (0, 0, 0, 0),
        "S03_2024-1_page.xls": (0, 0, 0, 0),
        "S04_2024-1_empty.csv": (0, 0, 0, 0),
    }
    assert [why for *_, why in found(result)] == ["file_unreadable", "file_type", "file_empty"]
    assert result.files["status"].tolist() == ["read", "failed", "failed", "failed"]
    text = result.summary()
    assert "未读取的文件：3" in text and "行数相符：否" in text
    out = tmp_path / "out"
    argv = ["ingest", str(folder), "--out", str(out), "--synthetic-seed", "1", "--quiet"]
    assert main([*argv, "--lang", "en"]) == 1
    text = (out / "report.txt").read_text(encoding="utf-8")
    assert "files not read: 3" in text and "adds up: NO" in text
    ok = tmp_path / "ok"
    argv = ["ingest", str(good), "--out", str(ok), "--synthetic-seed", "1", "--quiet"]
    assert main(argv) == 0


# --- free text ------------------------------------------------------------------------------------


def _free_text_survey(townships, destinations):
    rows = [
        [*r, t, d] for r, t, d in zip(survey(len(townships)), townships, destinations, strict=True)
    ]
    return [[*HEADER, "乡镇", "父母务工地"], *rows]


def _no_canary(result, out):
    result.write(out)
    texts = []
    for p in sorted(out.rglob("*")):
        if p.suffix == ".parquet":
            frame = pd.read_parquet(p)
            texts += [str(v) for c in frame.columns for v in frame[c].tolist()]
        elif p.is_file():
            texts.append(p.read_text(encoding="utf-8-sig"))
    blob = "\n".join(texts)
    assert "金丝雀" not in blob and "8765" not in blob and "浙江宁波" not in blob


def test_free_text_without_the_bureaus_tables(tmp_path):
    sheet = _free_text_survey(
        [CANARY_TOWNSHIP, "T01", "幸福镇", None],
        [canary_destination(), "D03", "深圳", None],
    )
    _, result = one(tmp_path, {"Sheet1": sheet})
    assert accounts(result) == {FILE: (4, 4, 0, 0)}
    assert [(r, c, why) for _, _, r, _, c, why in found(result, "warning")] == [
        (2, "destination_id", "destination_unknown"),
        (2, "township", "free_text_unmatched"),
        (4, "destination_id", "destination_unknown"),
    ]
    panel = result.cohort.panel
    assert sorted(panel["township"].dropna()) == ["T01", "幸福镇"]
    assert panel["township"].isna().sum() == 2
    assert panel["destination_id"].dropna().tolist() == ["D03"]
    _no_canary(result, tmp_path / "out")


def test_free_text_matched_to_the_bureaus_tables(tmp_path):
    workbook(
        tmp_path / "教师培训情况.xlsx", {"培训": [BUREAU_SCHOOLS, ["S01", 2024, "T07", "小学", 30]]}
    )
    workbook(
        tmp_path / "务工地政策.xlsx",
        {"务工地": [BUREAU_DESTINATIONS, ["D01", "省内城市B", "省内", 2022]]},
    )
    sheet = _free_text_survey(
        [CANARY_TOWNSHIP, "ｔ07", "幸福镇"], [canary_destination(), "省内城市B", "d01"]
    )
    workbook(tmp_path / FILE, {"Sheet1": sheet})
    result = ingest(tmp_path, key=KEY)
    assert accounts(result)[FILE] == (3, 3, 0, 0)
    assert [(r, c, why) for f, _, r, _, c, why in found(result, "warning") if f == FILE] == [
        (2, "destination_id", "destination_unknown"),
        (2, "township", "free_text_unmatched"),
        (4, "township", "free_text_unmatched"),
    ]
    panel = result.cohort.panel
    assert panel["township"].tolist() == ["T07"] * 3  # matched, or from the training records
    assert panel["destination_id"].dropna().tolist() == ["D01", "D01"]
    assert panel["destination_id"].isna().sum() == 1
    fixes = result.manifest["totals"]["fixes"]
    assert fixes["township_from_schools"] == 2
    _no_canary(result, tmp_path / "out")


def test_a_school_written_as_free_text_is_quarantined(tmp_path):
    rows = [
        [*r, s] for r, s in zip(survey(3), [CANARY_TOWNSHIP, "S01", "测试第一小学"], strict=True)
    ]
    _, result = one(tmp_path, {"Sheet1": [[*HEADER, "学校"], *rows]})
    assert accounts(result) == {FILE: (3, 2, 1, 0)}
    assert found(result) == [(FILE, "Sheet1", 2, "Q2", "school_id", "free_text_unmatched")]
    assert result.quarantine["value"].tolist() == ["<masked>"]
    assert sorted(result.cohort.panel["school_id"]) == ["S01", "测试第一小学"]


def test_every_new_code_is_in_the_table():
    for code in (
        "sheet_hidden",
        "share_ambiguous",
        "formula_no_value",
        "cell_error",
        "free_text_unmatched",
    ):
        assert code in REASONS
