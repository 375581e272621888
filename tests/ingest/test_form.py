"""The national registration form 《农村留守儿童基本情况登记表》 (lbc_eval.ingest.form).

Each test writes workbooks the way civil-affairs offices and schools fill in the form — one
child per sheet named after the child, a title merged across, section cells merged down, label
cells with the answers beside them, ticks written every way people write them — and ingests
them through :func:`lbc_eval.ingest.ingest`. Names, phones and IDs are fake (province 99).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from lbc_eval.ingest import ingest
from lbc_eval.ingest.form import relation_level, tables_in, ticked
from lbc_eval.ingest.read import Sheet
from tests.ingest.files import KEY, resident_ids

TITLE = "农村留守儿童基本情况登记表"
WIDTH = 11  # columns A..K


def _phone(k: int) -> str:
    """A fake mobile number, built at run time so no phone-like literal sits in the source."""
    return "139" + "0000" + f"{k:04d}"


@dataclass
class Child:
    """One child's form: every answer as the cell(s) to write (a list spreads over cells)."""

    name: str
    rid: Any
    sex: Any = None
    birth: Any = None
    grade: Any = "四年级"
    schooling: Any = "幼儿园( ) 小学(√) 初中( ) 高中( ) 中职( )"
    boarding: Any = "是( ) 否(√)"
    father: str = "测试父"
    father_place: Any = ("广东", "省", "深圳", "市")
    father_phone: str = _phone(1)
    mother: str = "测试母"
    mother_place: Any = ()
    mother_phone: str = _phone(2)
    both_away: Any = "是( ) 否( )"
    one_away: Any = "是( ) 否( )"
    incapable: Any = "父亲( ) 母亲( )"
    guardian: str = "测试监护人"
    guardian_phone: str = _phone(3)
    guardian_rid: str = ""
    relation: Any = "祖母"
    guardian_type: Any = "无人监护( ) 父或母无监护能力( ) 受委托监护人监护能力不足( )"
    aid: Any = "享受低保( ) 临时救助( ) 医疗救助( ) 住房救助( ) 其他救助( )"
    extra: list[list[Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rid = "".join(self.rid)
        if self.sex is None and rid:
            self.sex = "男(√) 女( )" if int(rid[16]) % 2 else "男( ) 女(√)"
        if self.birth is None and rid:
            self.birth = f"{rid[6:10]}年{int(rid[10:12])}月{int(rid[12:14])}日"


def _cells(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def write_form(
    ws: Any,
    c: Child,
    top: int = 1,
    *,
    title: bool = True,
    sections: bool = True,
    filled: str = "填报单位：S01学校",
    date: Any = "2024年10月8日",
) -> int:
    """One child's form from row ``top``, laid out as the national form; the next free row."""
    rows: list[tuple[str | None, list[Any]]] = [
        ("个人", ["姓名", c.name, "性别", c.sex, "民族", "汉", "出生日期", c.birth]),
        ("个人", ["公民身份证号码", *_cells(c.rid), *([None] * 2 if isinstance(c.rid, str) else []),
                  "户籍所在地", "测试县测试镇测试村"]),
        ("个人", ["是否学校寄宿", *_cells(c.boarding)]),
        ("个人", ["就学情况", c.schooling, None, None, None,
                  *(["年级", *_cells(c.grade)] if c.grade is not None else [])]),
        ("家庭", ["父亲姓名", c.father, "当前务工地点", *_cells(c.father_place)]),
        ("家庭", ["联系电话", c.father_phone]),
        ("家庭", ["母亲姓名", c.mother, "当前务工地点", *_cells(c.mother_place)]),
        ("家庭", ["联系电话", c.mother_phone, "母亲公民身份证号码", c.guardian_rid]),
        ("监护", ["父母双方同时外出", *_cells(c.both_away)]),
        ("监护", ["父母一方外出、另一方无监护能力", *_cells(c.one_away), "无监护能力",
                  c.incapable]),
        ("监护", ["委托监护人姓名", c.guardian, "受委托监护人电话", c.guardian_phone]),
        ("监护", ["公民身份证号码", c.guardian_rid, "与被监护人关系", *_cells(c.relation)]),
        ("监护", ["监护类型", *_cells(c.guardian_type)]),
        (None, ["家庭经济来源", "打工收入(√) 种养殖业( ) 政府救助( ) 亲朋接济( ) 其他( )"]),
        (None, ["救助帮扶情况", *_cells(c.aid)]),
        *[(None, r) for r in c.extra],
        (None, ["单位负责人(签名)：", None, "复核人(签名)：", None, "填表人(签名)：测试员"]),
        (None, ["注：1.农村留守儿童：因父母双方外出务工或一方外出务工另一方无监护能力，"
                "无法与父母正常共同生活的不满十六周岁农村户籍未成年人。"]),
    ]  # fmt: skip
    r = top
    if title:
        ws.cell(r, 1, TITLE)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=WIDTH)
        r += 1
        ws.cell(r, 1, filled)
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.cell(r, 6, "填报日期：")
        ws.cell(r, 7, date)
        r += 1
    names = {"个人": "留守儿童个人基本情况", "家庭": "家庭情况", "监护": "实际监护情况"}
    first_row: dict[str, int] = {}
    last_row: dict[str, int] = {}
    for section, cells in rows:
        if section is not None and sections:
            first_row.setdefault(section, r)
            last_row[section] = r
        for j, v in enumerate(cells):
            if v is not None:
                ws.cell(r, 2 + j, v)
        r += 1
    for section, r0 in first_row.items():
        ws.cell(r0, 1, names[section])
        ws.merge_cells(start_row=r0, start_column=1, end_row=last_row[section], end_column=1)
    return r + 1


def workbook(path: Path, forms: dict[str, list[Child]], **kw: Any) -> Path:
    """A workbook with one sheet per entry, the children's forms stacked on it."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, children in forms.items():
        ws = wb.create_sheet(name)
        top = 1
        for k, child in enumerate(children):
            top = write_form(ws, child, top, title=k == 0, **kw)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def destinations(folder: Path) -> Path:
    """The bureau's destinations table, naming places as the forms write them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["务工地代码", "务工地名称", "范围", "居住证入学政策实施年份"])
    ws.append(["D01", "广东省深圳市", "省外", 2020])
    ws.append(["D02", "浙江省宁波市", "省外", "无"])
    ws.append(["D03", "江苏省苏州市", "省外", 2022])
    folder.mkdir(parents=True, exist_ok=True)
    wb.save(folder / "务工地政策.xlsx")
    return folder / "务工地政策.xlsx"


def by_child(result: Any, children: list[Child]) -> pd.DataFrame:
    """The panel indexed by the children's fake names (pseudonym of G + resident ID)."""
    from lbc_eval.data.ids import pseudonymise

    rids = ["G" + "".join(c.rid) for c in children]
    names = dict(zip(pseudonymise(rids, KEY, normalise=False), [c.name for c in children],
                     strict=True))  # fmt: skip
    panel = result.cohort.panel
    return panel.set_index(panel["student_id"].map(names).rename(None))


def reasons(result: Any) -> set[str]:
    return set(result.problems["reason"]) - {"school_no_record"}


RIDS = resident_ids(12)
OTHER = resident_ids(3, start=300, year=1962)  # a guardian's and parents' IDs
OLDER = resident_ids(2, start=40, year=2011)  # born 2011: grade 8 in 2024-1


def five_children() -> list[Child]:
    return [
        Child("测试甲", RIDS[0], both_away="是(√) 否( )", boarding="是(√) 否( )",
              relation="祖母", aid="享受低保(√) 临时救助( ) 医疗救助( )", guardian_rid=OTHER[0]),
        Child("测试乙", RIDS[1], one_away=["(√)是", "( )否"], incapable="父亲( ) 母亲(√)",
              boarding="□是 ☑否", relation="外祖父", aid="享受低保( ) 临时救助(√)"),
        Child("测试丙", list(RIDS[2]), father_place=(), mother_place="浙江省宁波市",
              relation="姑妈", boarding=["是", "√", "否", None]),
        Child("测试丁", RIDS[3], both_away="是 √ 否", boarding="否", relation="",
              guardian_type="✓祖父母监护 □亲属监护 □无人监护", father_place="江苏 省 苏州 市",
              extra=[["享受低保", "√"]]),
        Child("测试戊", RIDS[4], both_away="■是 □否", relation="叔叔", sex="男(✓) 女( )",
              boarding="是(V) 否( )", father_place="广东省(区、市)深圳市"),
    ]  # fmt: skip


EXPECTED = pd.DataFrame(
    {
        "lb_status": ["both", "father", "mother", "both", "both"],
        "guardian": ["grandparents", "grandparents", "relatives", "grandparents", "relatives"],
        "boarding": [True, False, True, False, True],
        "destination_id": ["D01", "D01", "D02", "D03", "D01"],
        "low_income": [True, False, None, True, None],
    },
    index=["测试甲", "测试乙", "测试丙", "测试丁", "测试戊"],
)


# --- ticks and relations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "chosen"),
    [
        ("是(√) 否( )", ["是"]),
        ("是( ) 否(√)", ["否"]),
        ("是（√）否（ ）", ["是"]),
        ("(√)是 ( )否", ["是"]),
        ("( )是 (√)否", ["否"]),
        ("☑是 □否", ["是"]),
        ("□是 ☑否", ["否"]),
        ("是☑ 否□", ["是"]),
        ("■是 □否", ["是"]),
        ("是 √ 否", ["是"]),
        ("是 否 √", ["否"]),
        ("是\x1f√\x1f否\x1f", ["是"]),
        ("是\x1f\x1f否\x1f√", ["否"]),
        ("是(✓)否( )", ["是"]),
        ("是(V)否( )", ["是"]),
        ("是(×) 否(√)", ["否"]),
        ("否", ["否"]),
        ("是( ) 否( )", []),
        ("是 否", []),
        ("是(√) 否(√)", ["是", "否"]),
    ],
)
def test_ticks(text, chosen):
    assert ticked(text, ("是", "否")) == (chosen, False)


def test_ticks_in_longer_groups_and_bare_ticks():
    aid = ("享受低保", "低保", "临时救助", "医疗救助", "其他救助", "其他")
    assert ticked("享受低保( ) 临时救助(√) 医疗救助(√) 其他救助( )", aid)[0] == [
        "临时救助",
        "医疗救助",
    ]
    assert ticked("其他救助(√)", aid)[0] == ["其他救助"]  # not 其他
    assert ticked("√", ("是", "否")) == ([], True)
    assert ticked("☑", ("是", "否")) == ([], True)
    assert ticked("( )", ("是", "否")) == ([], False)


@pytest.mark.parametrize(
    ("relation", "level"),
    [
        ("祖母", "grandparents"),
        ("外祖父", "grandparents"),
        ("爷爷", "grandparents"),
        ("姥姥", "grandparents"),
        ("祖孙", "grandparents"),
        ("姑妈", "relatives"),
        ("伯母", "relatives"),
        ("舅舅", "relatives"),
        ("哥哥", "relatives"),
        ("母亲", "parents"),
        ("继父", "parents"),
        ("邻居", "other"),
        ("王某某", "王某某"),
    ],
)
def test_relations(relation, level):
    assert relation_level(relation) == level


# --- whole workbooks ----------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_one_child_per_sheet(tmp_path, engine):
    children = five_children()
    workbook(tmp_path / "登记表.xlsx", {c.name: [c] for c in children})
    destinations(tmp_path)
    result = ingest(tmp_path, key=KEY, engine=engine)
    assert result.adds_up and reasons(result) == set(), result.problems
    files = result.files.set_index("file")
    assert files.loc["登记表.xlsx", ["rows_read", "rows_accepted"]].tolist() == [5, 5]
    panel = by_child(result, children)
    assert set(panel.index) == set(EXPECTED.index)  # the child's ID, never a guardian's
    got = panel.loc[EXPECTED.index, list(EXPECTED.columns)].astype(object)
    pd.testing.assert_frame_equal(got.where(got.notna(), None), EXPECTED.astype(object))
    assert set(panel["school_id"]) == {"S01"} and set(panel["term"]) == {"2024-1"}
    assert set(panel["grade"]) == {4} and set(panel["birth_year"]) == {2014}
    assert panel.loc["测试戊", "sex"] == "male"
    tables = result.manifest["files"][[f["file"] for f in result.manifest["files"]].index(
        "登记表.xlsx")]["tables"]  # fmt: skip
    assert {t["kind"] for t in tables} == {"survey"} and len(tables) == 5
    assert tables[0]["columns"]["boarding"] == "是否学校寄宿"
    assert all(t["unknown_columns"] == [] for t in tables)


def test_stacked_blocks_and_a_blank_form(tmp_path):
    a, b, c = (
        Child("测试己", RIDS[5], both_away="是(√) 否( )"),
        Child("测试庚", RIDS[6], both_away="是(√) 否( )", boarding="是(√) 否(√)"),
        Child("测试辛", RIDS[7], father_place=(), mother_place=("浙江", "省", "宁波", "市")),
    )
    empty = Child("", "", sex="男( ) 女( )", birth="", grade="", boarding="是( ) 否( )",
                  schooling="小学( ) 初中( )", father="", father_place=(), father_phone="",
                  mother="", mother_phone="", guardian="", guardian_phone="",
                  relation="")  # fmt: skip
    path = tmp_path / "S01_2024-1_登记表.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "全镇"
    second = write_form(ws, a)
    third = write_form(ws, b, second, title=False)  # starts at 姓名, in the 实际监护情况 section
    write_form(ws, c, third)  # starts at its title
    write_form(wb.create_sheet("空白表"), empty)
    wb.save(path)
    result = ingest(path, key=KEY)
    assert result.adds_up
    f = result.files.iloc[0]
    assert (f["rows_read"], f["rows_accepted"], f["rows_quarantined"], f["rows_blank"]) == (
        4,
        2,
        1,
        1,
    )
    panel = by_child(result, [a, b, c])
    assert panel["lb_status"].to_dict() == {"测试己": "both", "测试辛": "mother"}
    q = result.quarantine
    assert q[["row", "column", "header", "reason"]].values.tolist() == [
        [second, "boarding", "是否学校寄宿", "unknown_label"]
    ]  # the second block's first row (its 姓名 row)
    assert q["value"].tolist() == ["<masked>"]


def test_grade_in_schooling_and_the_printed_form_without_grade(tmp_path):
    children = [
        Child("测试壬", RIDS[8], grade=None, schooling="小学(√) 初中( )", both_away="是(√)否( )"),
        Child("测试癸", OLDER[0], grade=None, schooling="小学( ) 初中(√) 二年级",
              both_away="是(√)否( )"),
        Child("测试子", OLDER[1], grade=None, schooling="初二", both_away="是(√)否( )"),
    ]  # fmt: skip
    workbook(tmp_path / "登记表.xlsx", {c.name: [c] for c in children})
    result = ingest(tmp_path, key=KEY)
    assert result.adds_up
    assert by_child(result, children)["grade"].to_dict() == {"测试癸": 8, "测试子": 8}
    q = result.quarantine
    assert q[["column", "reason"]].values.tolist() == [["grade", "missing_value"]]
    assert "年级" in q["message"].iloc[0]


def test_contradictions_are_refused_and_masked(tmp_path):
    children = [
        Child("测试丑", RIDS[9], both_away="是(√) 否( )", one_away="是(√) 否( )"),
        Child("测试寅", RIDS[10], both_away="是(√) 否( )", relation="测试某某",
              guardian_type="无人监护( ) 监护情况一般(√)"),
        Child("测试卯", RIDS[11][:17] + ("0" if RIDS[11][17] != "0" else "1"),
              both_away="是(√) 否( )"),
    ]  # fmt: skip
    workbook(tmp_path / "登记表.xlsx", {c.name: [c] for c in children})
    result = ingest(tmp_path, key=KEY)
    assert result.adds_up and len(result.cohort.panel) == 0
    q = result.quarantine.sort_values("column")
    assert q[["column", "reason"]].values.tolist() == [
        ["guardian", "unknown_label"],
        ["lb_status", "unknown_label"],
        ["resident_id", "id_checksum"],
    ]
    assert set(q["value"]) == {"<masked>"}
    assert set(q["header"]) == {"监护类型", "父母双方同时外出", "公民身份证号码"}


def test_school_and_term(tmp_path):
    office = Child("测试辰", RIDS[0], both_away="是(√) 否( )")
    spring = Child("测试巳", RIDS[1], both_away="是(√) 否( )")
    workbook(tmp_path / "a" / "登记表.xlsx", {"x": [office]}, filled="填报单位：测试镇民政办")
    workbook(tmp_path / "b" / "登记表.xlsx", {"x": [spring]}, date=dt.datetime(2025, 3, 2))
    workbook(tmp_path / "c" / "S03_2025-1_登记表.xlsx", {"x": [spring]})
    result = ingest(tmp_path / "a", key=KEY)  # a civil-affairs office is not a school
    assert result.quarantine["reason"].tolist() == ["school_unknown"]
    result = ingest(tmp_path / "a", key=KEY, school="S02")
    assert result.cohort.panel[["school_id", "term"]].values.tolist() == [["S02", "2024-1"]]
    result = ingest(tmp_path / "b", key=KEY)  # 填报日期 in March: the spring term
    assert result.cohort.panel[["school_id", "term"]].values.tolist() == [["S01", "2024-2"]]
    result = ingest(tmp_path / "c", key=KEY)  # the file name before the form's own cells
    assert result.cohort.panel[["school_id", "term"]].values.tolist() == [["S03", "2025-1"]]


ROSTER_HEADER = ["序号", "姓名", "性别", "身份证号", "学校", "年级", "父母务工地", "监护人",
                 "联系电话"]  # fmt: skip


@pytest.mark.parametrize("with_status", [True, False])
def test_roster_is_an_ordinary_table(tmp_path, with_status):
    header = ROSTER_HEADER + (["留守类型"] if with_status else [])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["2024-2025学年第一学期 农村留守儿童花名册 填报单位：S01学校"])
    ws.append(header)
    for k, rid in enumerate(RIDS[:3]):
        sex = "男" if int(rid[16]) % 2 else "女"
        row = [k + 1, f"测试{k}", sex, rid, "S01", "四年级", "广东省深圳市", "祖父母",
               _phone(k)]  # fmt: skip
        ws.append(row + (["父母均外出"] if with_status else []))
    wb.save(tmp_path / "花名册.xlsx")
    destinations(tmp_path)
    result = ingest(tmp_path, key=KEY)
    assert result.adds_up
    entry = next(f for f in result.manifest["files"] if f["file"] == "花名册.xlsx")
    (table,) = entry["tables"]
    assert table["kind"] == "survey" and table["unknown_columns"] == []
    assert {"resident_id", "sex", "school_id", "grade", "destination_id", "guardian"} <= set(
        table["columns"]
    )
    if with_status:
        assert reasons(result) == set()
        panel = result.cohort.panel
        assert panel[["destination_id", "guardian", "lb_status"]].drop_duplicates().values.tolist(
        ) == [["D01", "grandparents", "both"]]  # fmt: skip
    else:  # the bare roster has no left-behind status: every row stays out, saying why
        assert set(result.quarantine["reason"]) == {"missing_column"}
        assert "留守类型" in result.quarantine["message"].iloc[0]


def test_forms_beside_their_bare_roster(tmp_path):
    """The roster 花名册 in the forms' workbook is read as a table of its own; without a
    留守类型 column its rows stay out (missing_column) and the forms' rows are the children's."""
    children = five_children()
    path = workbook(tmp_path / "S01_2024-1_登记表.xlsx", {c.name: [c] for c in children})
    wb = openpyxl.load_workbook(path)
    ws = wb.create_sheet("花名册", 0)
    ws.append(["农村留守儿童花名册"])
    ws.append(ROSTER_HEADER)
    for k, c in enumerate(children):
        rid = "".join(c.rid)
        ws.append([k + 1, c.name, "男" if int(rid[16]) % 2 else "女", rid, "S01", "四年级",
                   "广东省深圳市", "祖父母", _phone(k)])  # fmt: skip
    wb.save(path)
    destinations(tmp_path)
    result = ingest(tmp_path, key=KEY)
    assert result.adds_up and len(result.cohort.panel) == 5
    q = result.quarantine
    assert set(q["sheet"]) == {"花名册"} and set(q["reason"]) == {"missing_column"}
    assert len(q) == 5


def test_nothing_identifying_reaches_the_outputs(tmp_path):
    children = five_children()
    children[1].rid = RIDS[1][:17] + ("0" if RIDS[1][17] != "0" else "1")  # a typing slip
    workbook(tmp_path / "in" / "登记表.xlsx", {c.name: [c] for c in children})
    destinations(tmp_path / "in")
    result = ingest(tmp_path / "in", key=KEY)
    out = result.write(tmp_path / "out", format="csv")
    assert "id_checksum" in set(result.quarantine["reason"])
    names = {c.name for c in children}  # also the sheets' names
    secrets = {"测试父", "测试母", "测试监护人", _phone(0)[:8], "测试县", "年1月", *RIDS[:5],
               *OTHER, children[1].rid}  # fmt: skip
    secrets |= {r[:14] for r in RIDS[:5]} | {r[6:14] for r in RIDS[:5]}
    texts = {f.name: f.read_text(encoding="utf-8-sig") for f in out.rglob("*") if f.is_file()}
    leaks = {name: sorted(s for s in secrets | names if s in t) for name, t in texts.items()}
    assert all(not v for v in leaks.values()), leaks
    # in memory too, no cell of the form (the sheets' names are masked when written)
    shown = json.dumps(result.manifest, ensure_ascii=False) + result.problems.to_csv()
    assert not [s for s in secrets if s in shown]
    assert "panel.csv" in texts and len(result.cohort.panel) == 4


# --- sheets -------------------------------------------------------------------------------------


def test_layouts_of_the_parents_and_a_one_cell_form():
    rid = RIDS[0]
    one_cell = Sheet("x", [
        ["农村留守儿童信息采集表"],
        ["姓  名：测试甲", None, "性  别：女", None, "出生日期：2014.1.1"],
        ["公民身份号码：" + rid],
        ["是否学校寄宿：是（ ）否（√）", None, "年级：四年级"],
        ["家庭成员", "姓名", "当前务工地点", "联系电话"],
        ["父亲", "测试父", "广东省深圳市", _phone(1)],
        ["母亲", "测试母", "", _phone(2)],
        ["监护人", "姓名", "测试监护人", "与被监护人关系", "外婆", "身份证号", OTHER[0]],
        ["父母一方外出、另一方无监护能力：是(√) 否( )"],
        ["就读学校", "测试镇中心小学"],  # below the family's grid: still the child's
    ])  # fmt: skip
    (table,) = tables_in(one_cell)
    assert table.layout == "form" and table.header_rows == () and len(table.data) == 1
    row = dict(zip(table.columns, table.data[0][1], strict=True))
    assert row["resident_id"] == rid and row["grade"] == "四年级" and row["sex"] == "女"
    assert row["school_id"] == "测试镇中心小学" and row["birth_date"] == "2014.1.1"
    assert (row["boarding"], row["lb_status"], row["guardian"], row["destination_id"]) == (
        "否",
        "father",
        "grandparents",
        "广东省深圳市",
    )
    across = Sheet("y", [
        ["留守儿童基本情况登记表"],
        ["姓名", "测试乙", "性别", "男", "公民身份证号码", rid],
        ["项目", "父亲", "母亲"],
        ["姓名", "测试父", "测试母"],
        ["当前务工地点", "", "浙江省宁波市"],
        ["联系电话", _phone(1), _phone(2)],
        ["与被监护人关系", "奶奶"],
    ])  # fmt: skip
    (table,) = tables_in(across)
    row = dict(zip(table.columns, table.data[0][1], strict=True))
    assert (row["resident_id"], row["lb_status"], row["destination_id"], row["guardian"]) == (
        rid,
        "mother",
        "浙江省宁波市",
        "grandparents",
    )
    assert "测试" not in repr(table)  # names and phones never leave the sheet


def test_tables_and_instructions_are_not_forms(tmp_path):
    from lbc_eval.ingest import write_template
    from lbc_eval.ingest.form import looks_like_form
    from lbc_eval.ingest.read import read_source
    from tests.ingest.files import HEADER, survey_rows

    rows = [HEADER, *survey_rows(3), HEADER, *survey_rows(2, start=3)]
    assert not looks_like_form(Sheet("s", rows))
    path = write_template(tmp_path / "t.xlsx")
    for sheet in read_source(path, "t.xlsx").sheets:
        assert not looks_like_form(sheet)
