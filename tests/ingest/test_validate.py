"""Rules and reason codes: every problem of a row found in one pass (lbc_eval.ingest.validate).

One hand-made survey per test, with the slips schools make planted at known rows; the
quarantine must name file, sheet, row, cell, column and a stable reason, and mask identifiers.
"""

from __future__ import annotations

import openpyxl
import pytest

from lbc_eval.data.ids import pseudonymise
from lbc_eval.ingest import ingest
from lbc_eval.ingest.problems import REASONS
from tests.ingest.files import HEADER, KEY, survey_rows, write_xlsx

FILE = "S01_2024-1_survey.xlsx"
COL = {h: j for j, h in enumerate(HEADER)}


def run(tmp_path, rows, *, header=None, name=FILE, titles=("统计表",), **kw):
    write_xlsx(tmp_path / name, rows, header=header, titles=list(titles))
    result = ingest(tmp_path / name, key=KEY, **kw)
    assert result.adds_up
    return result


def problems(result, severity="quarantine"):
    q = result.problems[(result.problems["severity"] == severity) & result.problems["row"].notna()]
    columns = [c if isinstance(c, str) else None for c in q["column"]]
    rows = zip(q["row"].astype(int), columns, q["reason"], strict=True)
    return sorted(rows, key=lambda t: (t[0], str(t[1]), t[2]))


def test_a_missing_required_column_names_file_column_and_aliases(tmp_path):
    header = [h for h in HEADER if h != "年级"]
    rows = [[v for j, v in enumerate(r) if j != COL["年级"]] for r in survey_rows(3)]
    result = run(tmp_path, rows, header=header)
    q = result.quarantine
    assert len(result.cohort.panel) == 0 and q["row"].tolist() == [3, 4, 5]
    assert set(q["reason"]) == {"missing_column"} and set(q["file"]) == {FILE}
    message = q["message"].iloc[0]
    for text in ("“年级”", "就读年级", "所在年级", "第 2 行"):
        assert text in message
    english = run(tmp_path, rows, header=header, lang="en").quarantine["message"].iloc[0]
    for text in ("Grade (grade", "就读年级", "row 2"):
        assert text in english
    assert q["value"].isna().all()
    shown = q.to_csv()
    for r in rows:
        assert r[1] not in shown and r[2] not in shown


def test_impossible_values_and_labels(tmp_path):
    rows = survey_rows(6)
    rows[0][COL["谈心次数（次）"]] = -1
    rows[1][COL["年级"]] = 12
    rows[2][COL["留守类型"]] = "是"
    rows[3][COL["出勤率"]] = "120%"
    rows[4][COL["学期"]] = "下学期"
    rows[5][COL["班级"]] = "火箭班"
    result = run(tmp_path, rows)
    assert problems(result) == [
        (3, "talks", "out_of_range"),
        (4, "grade", "out_of_range"),
        (5, "lb_status", "unknown_label"),
        (6, "attendance", "out_of_range"),
        (7, "term", "bad_term"),
    ]
    assert problems(result, "warning") == [(8, "class_id", "class_unparsed")]
    q = result.quarantine.set_index("column")
    assert q.loc["talks", "value"] == "-1" and q.loc["lb_status", "value"] == "是"
    assert q.loc["talks", "message"] == "“谈心次数”应不小于 0"
    levels = "非留守、父亲外出、母亲外出、父母均外出"
    assert q.loc["lb_status", "message"] == f"“留守类型”只能填写：{levels}"
    assert q.loc["talks", "cell"] == "L3"
    assert result.cohort.panel["class_id"].isna().sum() == 1


def test_set_missing_keeps_rows_with_bad_optional_values(tmp_path):
    rows = survey_rows(3)
    rows[0][COL["谈心次数（次）"]] = "很多"
    rows[1][COL["出勤率"]] = "120%"
    rows[2][COL["年级"]] = "大班"  # required: still quarantined
    result = run(tmp_path, rows, on_invalid="set_missing")
    assert problems(result) == [(5, "grade", "unknown_label")]
    assert problems(result, "warning") == [
        (3, "talks", "not_a_number"),
        (4, "attendance", "out_of_range"),
    ]
    panel = result.cohort.panel
    assert len(panel) == 2 and panel["talks"].isna().sum() == 1
    assert panel["attendance"].isna().sum() == 1


def test_identifiers_checksums_and_consistency(tmp_path):
    rows = survey_rows(8)
    sn, rid = COL["学籍号"], COL["身份证号"]
    rows[0][sn] = rows[0][sn][:-1] + ("0" if rows[0][sn][-1] != "0" else "1")  # bad check char
    rows[1][rid] = rows[1][rid][:10] + rows[1][rid][11:]  # dropped digit, student number fine
    rows[2][rid] = rows[3][rid]  # someone else's ID
    rows[4][COL["性别"]] = "女" if rows[4][COL["性别"]] == "男" else "男"
    rows[5][COL["出生日期"]] = "2013.1.1"
    rows[6][sn] = None  # the resident ID stands in
    rows[7][sn] = float(rows[7][rid][:15] + "000")  # typed as a number: digits lost
    result = run(tmp_path, rows)
    assert problems(result) == [
        (3, "student_id", "id_checksum"),
        (5, "resident_id", "id_mismatch"),
        (7, "sex", "sex_mismatch"),
        (8, "birth_date", "birth_year_mismatch"),
        (10, "student_id", "id_precision_lost"),
    ]
    assert problems(result, "warning") == [(4, "resident_id", "id_length")]
    assert set(result.quarantine["value"].dropna()) <= {"<masked>", "女", "男"}
    panel = result.cohort.panel
    assert len(panel) == 3
    g = "G" + survey_rows(8)[6][rid]
    assert pseudonymise([g], KEY)[0] in set(panel["student_id"])
    assert result.report.query("reason == 'student_no_from_id'")["count"].sum() == 1


def test_grade_must_fit_birth_year_and_derivations(tmp_path):
    rows = survey_rows(3)
    rows[0][COL["年级"]] = 9  # born 2014, aged 10: grade 9 is impossible
    header = [h for h in HEADER if h not in ("性别", "出生日期")]
    keep = [j for j, h in enumerate(HEADER) if h in header]
    result = run(tmp_path, [[r[j] for j in keep] for r in rows], header=header)
    assert problems(result) == [(3, "grade", "grade_age")]
    panel = result.cohort.panel
    assert panel["birth_year"].tolist() == [2014, 2014]
    assert set(panel["sex"]) == {"male", "female"}
    fixes = result.report[result.report["severity"] == "fixed"].set_index("reason")["count"]
    assert fixes["sex_from_id"] == 3 and fixes["birth_year_from_id"] == 3


def test_duplicates_exact_and_conflicting(tmp_path):
    rows = survey_rows(4)
    copy = list(rows[1])
    copy[0] = 99  # the row number differs: not a codebook column
    clash = list(rows[3])
    clash[COL["谈心次数（次）"]] = 7
    result = run(tmp_path, [*rows, copy, clash])
    assert problems(result) == [
        (6, None, "duplicate_key"),
        (7, None, "duplicate_row"),
        (8, None, "duplicate_key"),
    ]
    q = result.quarantine.set_index("row")
    assert q.loc[7, "message"] == f"与 {FILE} 第 4 行完全相同（保留那一行）"
    assert "第 6 行" in q.loc[8, "message"] and "第 8 行" in q.loc[8, "message"]
    assert q.loc[8, "message"].startswith("儿童和学期相同的 2 行内容不一致")
    assert len(result.cohort.panel) == 3


@pytest.mark.parametrize(
    ("name", "titles", "header_extra", "kw", "school", "term"),
    [
        ("S07_2023-2_survey.xlsx", [], None, {}, "S07", "2023-2"),
        ("survey.xlsx", ["填报单位：S09学校  2022-2023学年第一学期"], None, {}, "S09", "2022-1"),
        (
            "survey.xlsx",
            ["填报单位：舒兰市第一小学"],
            None,
            {"term": "2021-2"},
            "舒兰市第一小学",
            "2021-2",
        ),
        ("x.xlsx", [], None, {"school": {"x.xlsx": "S03"}, "term": "2024-1"}, "S03", "2024-1"),
        ("S07_2023-2_survey.xlsx", [], "S05", {}, "S05", "2024-1"),
    ],
)
def test_school_and_term_come_from_column_call_name_or_title(
    tmp_path, name, titles, header_extra, kw, school, term
):
    header = [h for h in HEADER if h != "学期"]
    rows = [r[:-1] for r in survey_rows(2)]
    if header_extra:  # a 学校 column and a 学期 column override the file name
        header = [*header, "学校", "学期"]
        rows = [[*r, header_extra, "2024-1"] for r in rows]
    result = run(tmp_path, rows, header=header, name=name, titles=titles, **kw)
    panel = result.cohort.panel
    assert set(panel["school_id"]) == {school} and set(panel["term"]) == {term}


def test_unknown_school_and_term_are_quarantined_with_advice(tmp_path):
    header = [h for h in HEADER if h != "学期"]
    rows = [r[:-1] for r in survey_rows(2)]
    result = run(tmp_path, rows, header=header, name="survey.xlsx", titles=[])
    assert problems(result) == [
        (2, "school_id", "school_unknown"),
        (2, "term", "term_unknown"),
        (3, "school_id", "school_unknown"),
        (3, "term", "term_unknown"),
    ]
    assert "--school FILE=ID" in result.quarantine["message"].iloc[0]


def test_resident_id_only_forms_link_to_student_number_forms(tmp_path):
    rows = survey_rows(3)
    a = [[v for j, v in enumerate(r) if j != COL["学籍号"]] for r in rows]
    header_a = [h for h in HEADER if h != "学籍号"]
    write_xlsx(tmp_path / "S01_2024-1_a.xlsx", a, header=header_a)
    b = [list(r) for r in survey_rows(3, term="2024-2025学年第二学期")]
    for r in b:
        r[COL["学籍号"]] = r[COL["身份证号"]]  # the bare ID written as the student number
    write_xlsx(tmp_path / "S02_2024-2_b.xlsx", b)
    result = ingest(tmp_path, key=KEY)
    panel = result.cohort.panel
    assert len(panel) == 6 and panel["student_id"].nunique() == 3
    assert panel.groupby("student_id")["school_id"].nunique().eq(2).all()  # moved school
    fixes = result.report[result.report["severity"] == "fixed"].set_index("reason")["count"]
    assert fixes["student_no_from_id"] == 3 and fixes["student_no_prefixed"] == 3


def test_free_text_in_a_category_column_is_masked(tmp_path):
    rows = survey_rows(3)
    rows[0][COL["监护人"]] = "张三丰"  # a guardian's name typed under 监护人
    rows[1][COL["监护人"]] = "139" + "12345678"  # a phone number
    rows[2][COL["监护人"]] = "父亲"
    result = run(tmp_path, rows)
    assert result.quarantine["value"].tolist() == ["<masked>"] * 3
    assert set(result.quarantine["reason"]) == {"unknown_label"}


def test_every_code_is_documented():
    doc = (REASONS and __import__("lbc_eval.ingest.problems", fromlist=["x"]).__doc__) or ""
    for code in REASONS:
        assert f"\n{code} " in doc, code
    page = (__import__("pathlib").Path(__file__).parents[2] / "docs" / "ingest.md").read_text(
        encoding="utf-8"
    )
    for code in REASONS:
        assert f"`{code}`" in page, code


def test_workbook_rows_of_numbers_read_as_numbers(tmp_path):
    rows = survey_rows(2)
    p = write_xlsx(tmp_path / FILE, rows)
    wb = openpyxl.load_workbook(p)
    wb.active["G2"] = 4  # grade as a number cell
    wb.save(p)
    assert len(ingest(p, key=KEY).cohort.panel) == 2
