"""The Excel survey form schools should fill in, so that their data ingest cleanly.

:func:`write_template` writes one workbook:

- ``留守儿童情况`` — a title row (``填报单位：…`` and the term, when given) above the header: the
  codebook's Chinese labels (with the unit in brackets), a drop-down list in every category
  and yes/no column, whole-number checks for counts, number ranges for scores, shares and
  years, the student number formatted as text (Excel would round an 18-digit number), and the
  header frozen;
- ``填表说明`` — what each column holds, its allowed values, and what not to write;
- a hidden ``lists`` sheet that holds the drop-down lists (ingest does not read hidden sheets).

The form asks for no name, resident ID, birth date, phone or address: the national student
number (``G`` + resident ID) identifies the child, and the birth year is all the analysis
needs. Scores are the marks as given (ingest standardises them within grade and term).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lbc_eval.data import codebook
from lbc_eval.data.messages import msg
from lbc_eval.errors import SpecError
from lbc_eval.ingest.terms import find_term

SHEET = "留守儿童情况"
#: Survey columns of the form, in order (codebook names; ``student_id`` is the student number).
FORM_COLUMNS: tuple[str, ...] = (
    "student_id",
    "school_id",
    "township",
    "term",
    "grade",
    "class_id",
    "sex",
    "birth_year",
    "boarding",
    "lb_status",
    "guardian",
    "destination_id",
    "low_income",
    "mentor_role",
    "talks",
    "home_visits",
    "activities",
    "parent_contacts",
    "counseling",
    "tutoring_hours",
    "scholarship_yuan",
    "hotline_calls",
    "moved_to_parents",
    "exit_reason",
    "math",
    "chinese",
    "sdq_total",
    "attendance",
)
_HEADERS = {
    "student_id": "学籍号",
    "math": "数学成绩（卷面分）",
    "chinese": "语文成绩（卷面分）",
    "attendance": "出勤率（0-1）",
    "class_id": "班级（数字）",
}
_UNITS = {"times per term": "（次）", "hours per term": "（小时）", "yuan": "（元）"}
_NOTES = {
    "student_id": "全国学籍号，G 加 18 位身份证号；本列为文本格式，请勿改为数字",
    "school_id": "学校代码，与教师培训情况表一致",
    "term": "如 2024-2025学年第一学期（下拉选择）",
    "grade": "1-9 的数字（初一填 7）",
    "class_id": "班级序号，如 1 表示 1 班",
    "birth_year": "四位数字，如 2014",
    "destination_id": "父母务工地的代码或名称，与务工地政策表一致；无人外出留空",
    "exit_reason": "本学期后离开本县学籍的原因；仍在读留空",
    "math": "本学期期末卷面分；缺考留空",
    "chinese": "本学期期末卷面分；缺考留空",
    "attendance": "0 到 1 之间的小数，如 0.95",
    "township": "学校所在的乡镇或街道，与教师培训情况表一致",
    "sex": "男或女（下拉选择）",
    "boarding": "周一至周五是否在校住宿",
    "lb_status": "父母中谁在外务工、孩子留在本地；与父母同住的儿童填非留守",
    "guardian": "日常照看孩子的人",
    "low_income": "家庭享受低保或为建档立卡户",
    "mentor_role": "本学期与孩子结对的帮扶人员；未结对填未结对",
    "talks": "本学期帮扶人员与孩子谈心的次数，没有填 0",
    "home_visits": "本学期帮扶人员或教师家访的次数，没有填 0",
    "activities": "本学期孩子参加集体活动的次数，没有填 0",
    "parent_contacts": "本学期帮扶人员与父母或监护人联系（电话、视频）的次数，没有填 0",
    "counseling": "本学期接受学校心理辅导的次数，没有填 0",
    "tutoring_hours": "本学期接受课后学业辅导的小时数，没有填 0",
    "scholarship_yuan": "本学期志愿者协会发放的助学金金额（元），没有填 0",
    "hotline_calls": "本学期通过学校亲情热线与父母通话的次数，没有填 0",
    "moved_to_parents": "本学期末孩子是否已随外出务工的父母迁居",
    "sdq_total": "长处与困难问卷（SDQ）困难总分，0 到 40，分数越高困难越多；未测留空",
}
#: The values a column takes, where the codebook's range is not what the form asks for.
_ALLOWED = {
    "math": "卷面分，如 87.5",
    "chinese": "卷面分，如 87.5",
}
_ROWS = 2000


def _header(name: str) -> str:
    if name in _HEADERS:
        return _HEADERS[name]
    col = codebook.column(name)
    return col.label_zh + _UNITS.get(col.unit, "")


def _term_label(term: str) -> str:
    year, sem = int(term[:4]), term[-1]
    return f"{year}-{year + 1}学年第{'一' if sem == '1' else '二'}学期"


def write_template(
    path: str | os.PathLike[str],
    *,
    school: str | None = None,
    term: str | None = None,
    years: tuple[int, int] = (2020, 2030),
) -> Path:
    """Write the survey form (module docstring) to ``path`` and return the path.

    Parameters
    ----------
    path : path
        The .xlsx file to write (its folder is created).
    school : str, optional
        School code written into the title row (``填报单位：S01``).
    term : str, optional
        Term (``2024-1``) written into the title row.
    years : (int, int)
        First and last academic year offered in the term list.

    Raises
    ------
    SpecError
        If ``term`` is not a term code or ``path`` is not an .xlsx file; its message is the
        catalogue's (``template.*``, :mod:`lbc_eval.data.messages_output`): Chinese, and
        ``lbc-eval template --lang en`` shows it in English.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_template(pathlib.Path(tempfile.mkdtemp()) / "form.xlsx", school="S01")
    >>> p.suffix
    '.xlsx'
    """
    from openpyxl import Workbook

    if term is not None and find_term(term) != term:
        raise SpecError("term", msg("template.term", term=repr(term)))
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        wrong = msg("template.not_xlsx", suffix=path.suffix) if path.suffix else None
        raise SpecError("path", wrong or msg("template.no_suffix"))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    lists = wb.create_sheet("lists")
    lists.sheet_state = "hidden"
    _form_sheet(ws, school, term)
    _validations(ws, lists, years)
    _notes_sheet(wb.create_sheet("填表说明", 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _form_sheet(ws: Any, school: str | None, term: str | None) -> None:
    """The title row (school and term if given) and the styled, frozen header row."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    title = "留守儿童情况统计表"
    if school or term:
        title = (
            (f"填报单位：{school}    " if school else "")
            + (f"{_term_label(term)}    " if term else "")
            + title
        )
    ws.append([title])
    ws.append([_header(c) for c in FORM_COLUMNS])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(FORM_COLUMNS))
    ws["A1"].font = Font(bold=True, size=13)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for j in range(1, len(FORM_COLUMNS) + 1):
        cell = ws.cell(row=2, column=j)
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(wrap_text=True, horizontal="center")
        ws.column_dimensions[get_column_letter(j)].width = max(10, 2 * len(str(cell.value)) + 2)
    ws.freeze_panes = "A3"


def _validations(ws: Any, lists: Any, years: tuple[int, int]) -> None:
    """A drop-down or range check on every data row of each column (lists of values go to
    the hidden ``lists`` sheet); student numbers are formatted as text."""
    from openpyxl.utils import get_column_letter

    terms = [_term_label(f"{y}-{s}") for y in range(years[0], years[1] + 1) for s in (1, 2)]
    list_col = 0

    def add_list(values: list[str]) -> str:
        nonlocal list_col
        list_col += 1
        letter = get_column_letter(list_col)
        for i, v in enumerate(values, 1):
            lists.cell(row=i, column=list_col, value=v)
        return f"lists!${letter}$1:${letter}${len(values)}"

    first, last = 3, 2 + _ROWS
    for j, name in enumerate(FORM_COLUMNS, 1):
        letter = get_column_letter(j)
        dv = _validation(name, add_list, terms)
        if dv is not None:
            dv.error = f"请按填表说明填写“{_header(name)}”"
            dv.errorTitle = "填写有误"
            dv.showErrorMessage = True
            ws.add_data_validation(dv)
            dv.add(f"{letter}{first}:{letter}{last}")
        if name == "student_id":
            for r in range(first, last + 1):
                ws.cell(row=r, column=j).number_format = "@"


def _validation(name: str, add_list: Callable[[list[str]], str], terms: list[str]) -> Any:
    """The data validation of column ``name`` (None for free text): lists for the term,
    categories and yes/no, 0-150 for raw scores, the codebook's range for other numbers."""
    from openpyxl.worksheet.datavalidation import DataValidation

    col = codebook.column(name)
    if name == "term":
        return DataValidation(type="list", formula1=add_list(terms))
    if col.kind == "category":
        return DataValidation(
            type="list", formula1=add_list(list(codebook.level_labels(name).values()))
        )
    if col.kind == "bool":
        return DataValidation(type="list", formula1='"是,否"')
    if name in ("math", "chinese"):
        return DataValidation(type="decimal", operator="between", formula1="0", formula2="150")
    if col.kind in ("int", "float") and name != "class_id":
        kind = "whole" if col.kind == "int" else "decimal"
        lo = "0" if col.lower is None else str(col.lower).removesuffix(".0")
        hi = None if col.upper is None else str(col.upper).removesuffix(".0")
        return (
            DataValidation(type=kind, operator="between", formula1=lo, formula2=hi)
            if hi
            else DataValidation(type=kind, operator="greaterThanOrEqual", formula1=lo)
        )
    if name == "class_id":
        return DataValidation(type="whole", operator="between", formula1="1", formula2="99")
    return None


def _range_zh(col: codebook.Column) -> str:
    """A column's allowed range in words: ``0 至 400``, ``0 或以上``; empty without one."""
    fmt = lambda x: str(int(x)) if float(x).is_integer() else str(x)  # noqa: E731
    if col.lower is not None and col.upper is not None:
        return f"{fmt(col.lower)} 至 {fmt(col.upper)}"
    if col.lower is not None:
        return f"{fmt(col.lower)} 或以上"
    if col.upper is not None:
        return f"{fmt(col.upper)} 或以下"
    return ""


def _notes_sheet(notes: Any) -> None:
    """The 填表说明 sheet: each column's meaning and allowed values, and the privacy note."""
    notes.append(["列名", "填写说明", "可填写的值"])
    for name in FORM_COLUMNS:
        col = codebook.column(name)
        allowed = (
            "、".join(codebook.level_labels(name).values())
            if col.levels
            else ("是、否" if col.kind == "bool" else _ALLOWED.get(name, _range_zh(col)))
        )
        notes.append([_header(name), _NOTES.get(name, col.description), allowed])
    notes.append([])
    notes.append(
        [
            "注意",
            "本表不填写姓名、身份证号、出生日期、电话、住址等个人信息。次数类项目"
            "为本学期累计，没有请填 0。每个学生每学期一行。",
            "",
        ]
    )
    notes.column_dimensions["A"].width = 22
    notes.column_dimensions["B"].width = 70
    notes.column_dimensions["C"].width = 40
