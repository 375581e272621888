"""The national registration form: one child per sheet (or per block), a key–value grid.

Civil-affairs offices and schools register left-behind children on the national
《农村留守儿童基本情况登记表》: not a table with a header row but a grid of label cells
(姓名, 性别, 出生日期, 公民身份证号码, 是否学校寄宿, 就学情况, 父亲姓名 · 当前务工地点 ·
联系电话, 实际监护情况 父母双方同时外出 是( ) 否( ), 委托监护人 · 与被监护人关系, 监护类型,
救助帮扶情况 享受低保( ) …) with the answers written or ticked beside them.
:func:`read_form` recognises that layout and turns each child into one data row of a
:class:`~lbc_eval.ingest.header.Table` of kind ``"survey"`` (``layout="form"``), so that
validation, pseudonymisation and linking run as for any survey.

Layout
    A sheet is a form when, among its first :data:`FORM_SEARCH_ROWS` rows, at least four
    different form labels stand with a value cell (or an empty answer cell, or options) to their
    right, and either the form's title (…留守儿童…登记表 / 信息表 / 采集表) is there or two
    rows carry two such labels each. Several children may stand on one sheet as stacked
    blocks: a block starts at the title or at the child's 姓名 (when the block above already
    has one). A block with labels but no answer at all is a blank row.
Context
    Labels are read in the context of whom they describe: a person prefix (``父亲姓名``,
    ``母亲当前务工地点``, ``委托监护人姓名``) or a person cell (``父亲``, ``母亲``,
    ``委托监护人``) sets the person for the rest of the row; a section cell (``家庭情况``,
    ``实际监护情况``) for the rows below. The child's own fields are read only in the child's
    context (寄宿, 就学情况, 学校, 年级 and 班级, which no one else has, wherever no other
    person is named), and only the first of each per block, so a parent's or guardian's ID or
    birth date is never taken for the child's. Parents' data may also stand in a small grid
    (a row of labels, then a row per person starting with 父亲 / 母亲, or the persons as
    columns).
Answers
    The answer of a label is the cells to its right up to the next label (merged cells repeat
    their value and count once), or the rest of the label's own cell (``是否学校寄宿：是(√)
    否( )``). Ticked options (:func:`ticked`): a tick ``√ ✓ ✔ ☑ ■ ● ☒ ✅`` or ``V`` in
    brackets or as a box, after the option (``是(√)``, ``是 √``, ``是☑``, an option cell and a
    tick cell beside it) or before it (``(√)否``, ``☑否``) — whichever the group uses; an
    empty bracket or box (``( )``, ``□``) or a cross (``(×)``) is not ticked. Without any box
    or bracket, the option written alone (``否``) is the answer; a label followed only by a
    tick (``享受低保 | √``) means yes.
Mapping (see :data:`FORM_LABELS` for every label)
    ``resident_id`` ← 公民身份证号码 (the student number ``G`` + ID is derived by
    :mod:`~lbc_eval.ingest.identity`); ``student_id`` ← 学籍号; ``sex`` ← 性别; ``birth_date``
    ← 出生日期; ``school_id`` ← 就读学校 / 学校; ``grade`` ← 年级, or a grade written in
    就学情况 (``初中(√) 二年级`` = 8); ``class_id`` ← 班级; ``term`` ← 学期; ``boarding`` ←
    是否学校寄宿; ``lb_status`` ← 父母双方同时外出 是 (``both``), 父母一方外出、另一方无监护能力
    是 with 无监护能力 父亲 / 母亲 or the one parent with a 当前务工地点 (``mother`` /
    ``father``), else which parents have a 当前务工地点; ``guardian`` ← 监护类型 when it names
    one (祖父母监护 …, 无人监护 → ``other``), else 与被监护人关系 (祖父母 / 外祖父母 / 爷爷 …
    → ``grandparents``; 叔 / 姑 / 舅 / 姨 / 哥 / 姐 … → ``relatives``; 父 / 母 →
    ``parents``; 邻居 / 朋友 / 其他 … → ``other``); ``destination_id`` ← the 当前务工地点
    (province and city, ``广东 省 深圳 市`` → ``广东省深圳市``) of the father when he is away,
    else of the mother; ``low_income`` ← 救助帮扶情况 享受低保 / 特困供养 / 建档立卡 ticked
    (another option ticked: no; nothing ticked: missing) or a 是否低保 answer.
School and term
    A 就读学校 / 学校 or 学期 answer is the child's (as a survey's column, it takes precedence).
    Otherwise the form's title and header cells are the survey's title rows: a term in the title
    (``2024年秋季学期``), the 填报日期 / 填表日期 as a term (August–January: the autumn term,
    ``2024-10-08`` → ``2024-1``; February–July: the spring term, ``2025-03-02`` → ``2024-2``)
    and a 填报单位 that is a school (``S01学校``, ``…小学``, ``…中学``, not a civil-affairs
    office); ``school=`` / ``term=`` in the call and the file name take precedence over them.
Privacy
    Names, phones, addresses, household registration, and every parent's and guardian's cell
    are located as labels but never copied out of the sheet; the child's resident ID and birth
    date go where a survey's do (identity, then dropped). Problems of a form row name its
    sheet, the first row of the child's block, the codebook column and the form's label (no
    cell: the answers of one row stand in many cells).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from lbc_eval.ingest.header import Table, find_tables
from lbc_eval.ingest.read import Sheet
from lbc_eval.ingest.values import cell_text, is_blank

#: How many rows from the top of a sheet are searched for the form's labels.
FORM_SEARCH_ROWS = 80
#: Different labels (with an answer cell beside them) a sheet needs to be read as a form.
MIN_FORM_LABELS = 4

# fmt: off
#: Form labels -> field. Fields that are codebook columns (or feed one) are read; the others
#: (names, phones, addresses, household registration, health, income sources, signatures) are
#: recognised only so that their cells end the answer of the label before them. White space
#: and 、，, inside a label, a number before it (一、) and a hint after it (（省 市）) are ignored.
FORM_LABELS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "儿童姓名", "学生姓名", "留守儿童姓名"),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月", "出生年月日"),
    "resident_id": ("公民身份证号码", "公民身份号码", "身份证号码", "身份证号", "身份证"),
    "student_no": ("全国学籍号", "学籍号码", "学籍号"),
    "hukou": ("是否登记户口", "户籍所在地", "户口所在地", "户籍地址", "户籍地"),
    "residence": ("现居住地", "居住地地址", "现住址", "家庭住址", "家庭地址", "居住地址", "住址"),
    "health": ("身体情况", "身体状况", "健康状况", "残疾类别及等级", "患病类型"),
    "boarding": ("是否学校寄宿", "是否寄宿", "是否住校", "寄宿情况"),
    "schooling": ("就学情况", "就读情况", "在学情况", "受教育情况"),
    "school": ("就读学校", "学校名称", "所在学校", "学校"),
    "grade": ("就读年级", "所在年级", "年级"),
    "class": ("所在班级", "班级"),
    "term": ("学期",),
    "phone": ("联系电话", "联系方式", "手机号码", "手机号", "手机", "电话"),
    "workplace": ("父母外出务工地点", "父母务工地点", "父母务工地", "当前务工地点",
                  "外出务工地点", "务工地点", "务工地", "打工地点"),
    "work_other": ("工作单位", "从事职业", "文化程度", "外出时间", "外出务工时间"),
    "both_away": ("父母双方同时外出", "父母双方外出", "父母均外出"),
    "one_away": ("父母一方外出另一方无监护能力", "一方外出另一方无监护能力"),
    "incapable": ("无监护能力",),
    "entrusted": ("父母外出有无委托其他监护人", "有无委托其他监护人", "有无委托监护人"),
    "relation": ("与被监护人关系", "与被监护人的关系", "与留守儿童关系", "与儿童关系"),
    "guardian_type": ("监护类型", "监护方式"),
    "income": ("家庭主要经济来源", "家庭经济来源", "经济来源"),
    "aid": ("救助帮扶情况", "享受救助情况", "救助情况", "帮扶情况"),
    "low_income": ("是否享受低保", "是否低保户", "是否低保", "享受低保"),
    "filled_by": ("填报单位", "填表单位"),
    "filled_on": ("填报日期", "填表日期", "填报时间", "填表时间"),
    "signature": ("单位负责人", "复核人", "填表人", "填报人", "审核人"),
}
#: Person prefixes of labels (``父亲姓名``) and person cells (``父亲``, ``父亲情况``).
PERSONS: dict[str, str] = {
    "父亲": "father", "爸爸": "father", "母亲": "mother", "妈妈": "mother",
    "外祖父": "grandparent", "外祖母": "grandparent", "祖父": "grandparent",
    "祖母": "grandparent", "受委托监护人": "guardian", "委托监护人": "guardian",
    "监护人": "guardian",
}
_PERSON_CELLS = {
    **PERSONS, "父": "father", "母": "mother",
    **{f"{k}{tail}": v for k, v in PERSONS.items() for tail in ("情况", "信息")},
}
#: Section cells -> whose fields follow them (the child's, the family's, the guardian's).
SECTIONS: dict[str, str] = {
    **dict.fromkeys(("留守儿童个人基本情况", "留守儿童基本情况", "个人基本情况", "儿童基本情况",
                     "基本情况", "个人信息"), "child"),
    **dict.fromkeys(("家庭情况", "家庭成员情况", "家庭成员", "家庭信息", "父母情况",
                     "父母外出情况", "父母外出务工情况"), "family"),
    **dict.fromkeys(("实际监护情况", "监护情况", "委托监护情况", "委托监护人情况",
                     "监护人情况", "监护人信息"), "care"),
}
_SECTION_PERSON = {"child": "child", "family": None, "care": "guardian"}
#: The child's own fields: read only in the child's context, the first of each per block.
CHILD_FIELDS = frozenset({"name", "sex", "birth_date", "resident_id", "student_no", "boarding",
                          "schooling", "school", "grade", "class"})

_YES_NO = ("是", "否", "有", "无")
#: Option groups: the options a ticked answer is looked for among.
OPTIONS: dict[str, tuple[str, ...]] = {
    "sex": ("男", "女"),
    "boarding": ("是", "否", "住校", "走读", "不寄宿", "寄宿"),
    "both_away": _YES_NO,
    "one_away": _YES_NO,
    "entrusted": _YES_NO,
    "low_income": _YES_NO,
    "incapable": ("父亲", "母亲", "父", "母"),
    "schooling": ("幼儿园", "未入园", "学前班", "学前", "小学", "初中", "高中", "中职", "职高",
                  "辍学", "不在学", "未入学", "失学"),
    "guardian_type": ("祖父母/外祖父母监护", "(外)祖父母监护", "外祖父母监护", "祖父母监护",
                      "祖辈监护", "隔代监护", "其他亲属监护", "亲属监护", "亲戚监护",
                      "其他人监护", "委托他人监护", "委托监护", "无人监护", "父或母无监护能力",
                      "受委托监护人监护能力不足", "监护情况一般", "监护情况较好", "监情况较好",
                      "父母一方监护", "父(母)一方监护", "父或母监护", "父亲监护", "母亲监护",
                      "单亲监护", "父母监护"),
    "aid": ("享受低保", "低保户", "低保", "特困供养", "特困", "建档立卡贫困户", "建档立卡",
            "临时救助", "医疗救助", "住房救助", "教育救助", "其他救助", "其他", "无"),
    "income": ("打工收入", "种养殖业", "政府救助", "亲朋接济", "其他"),
}
#: 监护类型 options -> guardian level (the others are assessments, not who cares for the child).
GUARDIAN_TYPES: dict[str, str] = {
    **dict.fromkeys(("祖父母/外祖父母监护", "(外)祖父母监护", "外祖父母监护", "祖父母监护",
                     "祖辈监护", "隔代监护"), "grandparents"),
    **dict.fromkeys(("其他亲属监护", "亲属监护", "亲戚监护"), "relatives"),
    **dict.fromkeys(("其他人监护", "委托他人监护", "委托监护", "无人监护"), "other"),
    **dict.fromkeys(("父母一方监护", "父(母)一方监护", "父或母监护", "父亲监护", "母亲监护",
                     "单亲监护", "父母监护"), "parents"),
}
#: 与被监护人关系 -> guardian level: the first rule one of whose words occurs wins.
RELATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grandparents", ("祖", "爷", "奶", "外公", "外婆", "姥", "婆婆", "隔代")),
    ("relatives", ("叔", "伯", "姑", "舅", "姨", "哥", "姐", "兄", "弟", "妹", "嫂", "婶", "侄",
                   "甥", "表", "堂", "亲戚", "亲属")),
    ("parents", ("父", "母", "爸", "妈")),
    ("other", ("邻居", "朋友", "老师", "教师", "干部", "同乡", "保姆", "其他", "无")),
)
#: 救助帮扶情况 options that mean a low-income household (codebook ``low_income``: minimum
#: living allowance or registered as poor); another option ticked means no.
LOW_INCOME_AID = frozenset({"享受低保", "低保户", "低保", "特困供养", "特困", "建档立卡贫困户",
                            "建档立卡"})
# fmt: on

_TICKS = "☑☒■●√✓✔✅"
_BOXES = "□☐○◯"
_SEP = "\x1f"  # between the cells of one answer
_AFTER_OPTION = frozenset(f" ([【{_TICKS}{_BOXES}")
_GAP = re.compile(rf"^[\s{_SEP}:：]*$")
_MARK = re.compile(
    rf"[(\[【]\s*(?P<inner>[\s{_TICKS}vVxX×✗✘/]{{0,4}})\s*[)\]】]|(?P<box>[{_TICKS}{_BOXES}])"
)
_KEY_DROP = re.compile(r"[\s、，,。；;*＊]")
_NUM = r"(?:[一二三四五六七八九十]+|\d+)[、.．)]"
_NUMBERING = re.compile("^" + _NUM)
_TITLE = re.compile(r"留守.*(?:登记表|信息表|采集表|基本情况表|情况登记|登记卡|信息卡|档案)")
_NOT_TITLE = re.compile(r"花名册|名册|汇总|统计表|台账")
_DATE = re.compile(r"(\d{4})\s*[年./\-]\s*(\d{1,2})")
_GRADE_WORD = re.compile(r"(?:初|高)[一二三123]|[一二三四五六七八九1-9]\s*年级")
_SCHOOL_LIKE = re.compile(r"(?:学校|小学|中学|初中|完小|校|教学点)$|^[A-Za-z]{0,3}\d[\w\-]*$")


# --- cells ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """What a cell is on a form: a label (with the rest of its cell), a person, a section or
    the title."""

    kind: str  # "label", "person", "section", "title"
    field: str = ""
    person: str | None = None
    rest: str = ""
    label: str = ""


def _key(text: str) -> str:
    text = _NUMBERING.sub("", unicodedata.normalize("NFKC", text).strip())
    return _KEY_DROP.sub("", text).rstrip(":：").lower()


@functools.cache
def _label_pattern() -> re.Pattern[str]:
    def spaced(word: str) -> str:
        return r"[\s、，,]*".join(re.escape(ch) for ch in _key(word))

    labels = sorted(
        ((w, f) for f, words in FORM_LABELS.items() for w in words), key=lambda x: -len(x[0])
    )
    persons = sorted(PERSONS, key=len, reverse=True)
    alts = "|".join(f"(?P<f_{i}>{spaced(w)})" for i, (w, _) in enumerate(labels))
    return re.compile(
        rf"^\s*(?:{_NUM}\s*)?(?:(?P<person>{'|'.join(persons)})\s*)?(?:{alts})"
        rf"(?P<ws>\s*)(?P<sep>[:：]?)\s*(?P<rest>.*)$",
        re.DOTALL,
    )


@functools.cache
def _label_fields() -> dict[str, tuple[str, str]]:
    labels = sorted(
        ((w, f) for f, words in FORM_LABELS.items() for w in words), key=lambda x: -len(x[0])
    )
    return {f"f_{i}": (f, w) for i, (w, f) in enumerate(labels)}


_HINT = re.compile(r"^[(（][^)）]{0,12}[)）]")


@functools.lru_cache(maxsize=65536)
def _hit_text(text: str) -> Hit | None:
    if not text or len(text) > 120:
        return None
    key = _key(text)
    if key in SECTIONS:
        return Hit("section", field=SECTIONS[key])
    if key in _PERSON_CELLS:
        return Hit("person", person=_PERSON_CELLS[key])
    compact = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    if len(compact) <= 40 and _TITLE.search(compact) and not _NOT_TITLE.search(compact):
        return Hit("title")
    m = _label_pattern().match(unicodedata.normalize("NFKC", text))
    if m is None:
        return None
    rest = m.group("rest").strip()
    hint = _HINT.match(rest)
    if hint and not _MARK.fullmatch(hint.group()):  # 当前务工地点(省 市), 姓名（必填）
        rest = rest[hint.end() :].strip()
    elif rest and not (m.group("ws") or m.group("sep") or _MARK.search(rest)):
        return None  # a value that merely starts like a label
    name = next(k for k, v in m.groupdict().items() if k.startswith("f_") and v is not None)
    person = PERSONS[m.group("person")] if m.group("person") else None
    name, word = _label_fields()[name]
    return Hit("label", field=name, person=person, rest=rest.lstrip(":："), label=word)


def hit(cell: Any) -> Hit | None:
    """What a cell is on a form (None for a value or an empty cell)."""
    if not isinstance(cell, str):
        return None
    return _hit_text(cell.strip())


def _text(cell: Any) -> str:
    return cell_text(cell)[0]


# --- ticks ----------------------------------------------------------------------------------


def ticked(text: str, options: tuple[str, ...]) -> tuple[list[str], bool]:
    """The options ticked in an answer, and whether it is a bare tick.

    Parameters
    ----------
    text : str
        The answer (the cells of an answer joined by ``\\x1f``).
    options : tuple of str
        The group's options.

    Returns
    -------
    (list of str, bool)
        The ticked options in order — or, when the answer has no box or bracket at all, the one
        option it names — and True when the answer holds ticks and nothing else (``√`` beside
        the label: yes).

    Examples
    --------
    >>> ticked("是(√) 否( )", ("是", "否"))
    (['是'], False)
    >>> ticked("□是 ☑否", ("是", "否"))
    (['否'], False)
    >>> ticked("享受低保\x1f√\x1f临时救助\x1f", ("享受低保", "临时救助"))
    (['享受低保'], False)
    >>> ticked("否", ("是", "否")), ticked("√", ("是", "否"))
    ((['否'], False), ([], True))
    """
    text = unicodedata.normalize("NFKC", text)
    pattern = "|".join(
        re.escape(unicodedata.normalize("NFKC", o)) for o in sorted(options, key=len, reverse=True)
    )
    occ = [(m.start(), m.end(), m.group()) for m in re.finditer(pattern, text)] if pattern else []
    marks = [
        (m.start(), m.end(), _is_tick(m))
        for m in _MARK.finditer(text)
        if not any(a < m.end() and m.start() < b for a, b, _ in occ)
    ]
    if not occ:
        bare = bool(marks) and all(t for _, _, t in marks) and _GAP.match(_MARK.sub("", text))
        return [], bool(bare)
    if not marks:
        found = list(dict.fromkeys(o for _, _, o in occ))
        rest = re.sub(pattern, "", text)
        return (found if len(found) == 1 and _GAP.match(rest) else []), False
    first = occ[0][0]
    prefix = any(e <= first and _GAP.match(text[e:first]) for _, e, _ in marks)
    chosen = []
    for k, (a, b, option) in enumerate(occ):
        if prefix:  # (√)否: the mark just before the option, after the previous option
            lo = occ[k - 1][1] if k else 0
            near = [t for s, e, t in marks if lo <= s and e <= a and _GAP.match(text[e:a])]
        else:  # 是(√): the mark just after the option, before the next one
            hi = occ[k + 1][0] if k + 1 < len(occ) else len(text)
            near = [t for s, e, t in marks if b <= s and e <= hi and _GAP.match(text[b:s])]
        if near and near[0]:
            chosen.append(option)
    return list(dict.fromkeys(chosen)), False


def _is_tick(m: re.Match[str]) -> bool:
    if m.group("box"):
        return m.group("box") in _TICKS
    inner = (m.group("inner") or "").strip()
    return any(ch in _TICKS for ch in inner) or inner in ("v", "V")


# --- reading a sheet ------------------------------------------------------------------------

#: Fields that belong to the child whoever's row they stand in (one answer per form).
_ANYONE = frozenset(
    {
        "both_away",
        "one_away",
        "incapable",
        "entrusted",
        "relation",
        "guardian_type",
        "aid",
        "income",
        "low_income",
        "term",
        "filled_by",
        "filled_on",
    }
)
_HEAD_FIELDS = frozenset({"filled_by", "filled_on", "signature", "term"})
#: The child's fields no one else on the form has: the child's unless a person is named.
_ONLY_CHILD = frozenset({"boarding", "schooling", "school", "grade", "class"})


@dataclass
class _Block:
    """One child's part of a sheet: the answers found, by field and person."""

    start: int  # 0-based row
    answers: dict[tuple[str, str | None], list[Any]] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)
    titles: list[str] = field(default_factory=list)
    labels: int = 0

    def put(self, h: Hit, person: str | None, cells: list[Any]) -> None:
        name = h.field
        if name not in _HEAD_FIELDS:
            self.labels += 1
        if name in _ANYONE:
            person = None
        elif name == "workplace" and person == "child":
            person = None  # 父母务工地点 among the child's fields: the parents'
        elif name in CHILD_FIELDS and person != "child":
            return  # a parent's or guardian's birth date, ID, name …: never read
        self.answers.setdefault((name, person), cells)
        self.written.setdefault(name, h.label)

    def get(self, name: str, person: str | None = "child") -> list[Any] | None:
        return self.answers.get((name, None if name in _ANYONE else person))

    @property
    def has_name(self) -> bool:
        return ("name", "child") in self.answers


def looks_like_form(sheet: Sheet) -> bool:
    """True when the sheet holds the form's key–value layout (module docstring).

    Only key–value rows count: rows where at least half of the labels have an answer cell
    beside them (a table's header row is a run of labels with none between them), and the
    signature and date labels of a table's footer do not.
    """
    fields: set[str] = set()
    per_row: list[int] = []
    title = False
    for row in sheet.rows[:FORM_SEARCH_ROWS]:
        labels, here = 0, set()
        for j, cell in enumerate(row):
            h = hit(cell)
            if h is None:
                continue
            if h.kind == "title":
                title = True
            elif h.kind == "label" and h.field not in _HEAD_FIELDS:
                labels += 1
                if _answers_beside(row, j, h):
                    here.add(h.field)
        if here and 2 * len(here) >= labels:
            fields |= here
            per_row.append(len(here))
    return len(fields) >= MIN_FORM_LABELS and (title or sum(k >= 2 for k in per_row) >= 2)


def _next_cell(row: list[Any], j: int) -> int:
    """The column of the first cell right of ``j`` that is not a merged copy of it."""
    k = j + 1
    while k < len(row) and not is_blank(row[j]) and row[k] == row[j]:
        k += 1
    return k


def _answers_beside(row: list[Any], j: int, h: Hit) -> bool:
    """True when a label has its answer in its cell or an answer cell (maybe empty) beside it."""
    if h.rest:
        return True
    k = _next_cell(row, j)
    if k >= len(row):
        return False
    nxt = hit(row[k])
    return nxt is None or nxt.kind != "label" or _in_options(row[k], OPTIONS.get(h.field, ()))


def _in_options(cell: Any, options: tuple[str, ...]) -> bool:
    """True when a cell is one of a group's options, alone or followed by its box and more
    options (享受低保(√) 临时救助( ) …), not a label that starts like one (是否登记户口)."""
    text = _text(cell)
    return any(
        text.startswith(o) and (len(text) == len(o) or text[len(o)] in _AFTER_OPTION)
        for o in options
    )


def _grid_header(row: list[Any], hits: dict[int, Hit]) -> dict[int, Hit] | None:
    """Labels heading the columns of a small grid (each but the last followed directly by the
    next), or None."""
    cols = sorted(j for j, h in hits.items() if h.kind == "label" and not h.rest)
    if len(cols) < 2 or any(hits[j].kind == "label" and hits[j].rest for j in hits):
        return None
    if any(_next_cell(row, a) != b for a, b in zip(cols, cols[1:], strict=False)):
        return None
    return {j: hits[j] for j in cols}


def _row_person(row: list[Any], hits: dict[int, Hit], before: int) -> str | None:
    """The person a grid row is about: a person cell left of the grid's first column."""
    for j in range(min(before, len(row))):
        h = hits.get(j)
        if h is not None and h.kind == "person":
            return h.person
    return None


def _answer(row: list[Any], j: int, h: Hit, hits: dict[int, Hit]) -> tuple[list[Any], int]:
    """The cells of a label's answer, and the column after them.

    The answer runs to the next label, person or section cell; the first cell beside the label
    is the answer even when it reads like a person (与被监护人关系 | 母亲), and a group's own
    options never end it (救助帮扶情况 | 享受低保 | √). Repeated cells (a merged answer, filled
    by the reader) count once, except in an ID written one digit per box.
    """
    cells: list[Any] = [h.rest] if h.rest else []
    options = OPTIONS.get(h.field, ())
    k = _next_cell(row, j)
    first = not h.rest
    while k < len(row):
        nxt = hits.get(k)
        own = _in_options(row[k], options)
        if nxt is not None and not own and not (first and nxt.kind != "label"):
            break
        cells.append(row[k])
        first = False
        k += 1
    filled = [c for c in cells if not is_blank(c)]
    if len(filled) >= 8 and all(len(_text(c)) == 1 for c in filled):
        return filled, k  # one character a box: an ID written digit by digit
    return [c for n, c in enumerate(cells) if not n or is_blank(c) or c != cells[n - 1]], k


def read_form(sheet: Sheet) -> Table | None:
    """The children on a form sheet as a survey table (one data row each), or None when the
    sheet does not look like a form (module docstring)."""
    if not looks_like_form(sheet):
        return None
    from lbc_eval.ingest.header import used_rows

    rows = sheet.rows[: used_rows(sheet.rows)]
    blocks: list[_Block] = []
    block: _Block | None = None
    section = "child"
    grid: dict[int, Hit] | None = None
    grid_child = False
    across: dict[int, str] | None = None
    for i, row in enumerate(rows):
        hits = {j: h for j, c in enumerate(row) if (h := hit(c)) is not None}
        if any(h.kind == "title" for h in hits.values()):
            if block is None or block.labels:
                block = _Block(i)
                blocks.append(block)
                section, grid, across = "child", None, None
            block.titles += [_text(row[j]) for j, h in hits.items() if h.kind == "title"]
        if block is None:
            block = _Block(i)
            blocks.append(block)
        if grid is not None:  # rows of a small grid: 父亲 | 姓名 | 务工地点 | 电话
            person = "child" if grid_child else _row_person(row, hits, min(grid))
            if person is not None and not any(h.kind == "label" for h in hits.values()):
                for j, h in grid.items():
                    block.put(h, h.person or person, [row[j] if j < len(row) else None])
                if grid_child:  # the child's grid has one row of answers
                    grid = None
                continue
            grid = None
        if across is not None:  # persons as columns: 项目 | 父亲 | 母亲
            labels = sorted(j for j, h in hits.items() if h.kind == "label")
            if labels and labels[0] < min(across):
                h = hits[labels[0]]
                for j, person in across.items():
                    block.put(h, person, [row[j] if j < len(row) else None])
                continue
            across = None
        header = _grid_header(row, hits)
        if header is not None:
            section = next(
                (h.field for j, h in sorted(hits.items()) if h.kind == "section"), section
            )
            persons = [h.person for h in header.values() if h.person]
            grid_child = (
                section == "child"
                and not persons
                and not any(h.kind == "person" for h in hits.values())
            )
            if grid_child and "name" in {h.field for h in header.values()} and block.has_name:
                block = _Block(i)
                blocks.append(block)
            grid = header
            continue
        persons_here = {j: h.person for j, h in hits.items() if h.kind == "person" and h.person}
        if len(persons_here) >= 2 and not any(h.kind == "label" for h in hits.values()):
            across = persons_here
            continue
        plain = {h.field for h in hits.values() if h.kind == "label" and not h.person}
        if {"name", "sex"} <= plain and not any(h.kind == "person" for h in hits.values()):
            section = "child"  # 姓名 and 性别 in one row: the child's, whatever came before
        row_person: str | None = None
        j = 0
        while j < len(row):
            h = hits.get(j)
            if h is None or h.kind == "title":
                j += 1
                continue
            if h.kind in ("section", "person"):
                if h.kind == "section":
                    section, row_person = h.field, None
                else:
                    row_person = h.person
                j = _next_cell(row, j)
                continue
            person = h.person or row_person or _SECTION_PERSON.get(section)
            if h.field in _ONLY_CHILD and not (h.person or row_person):
                person = "child"  # no parent boards or has a grade, whatever the section
            if h.person:
                row_person = h.person
            if h.field == "name" and person == "child" and block.has_name:
                block = _Block(i)  # the next child's form on the same sheet
                blocks.append(block)
            cells, j = _answer(row, j, h, hits)
            block.put(h, person, cells)
    table_rows: list[tuple[int, dict[str, Any]]] = []
    blank: list[int] = []
    titles: list[str] = []
    written: dict[str, str] = {}
    for b in blocks:
        titles += [t for t in [*b.titles, *_header_titles(b)] if t not in titles]
        if not b.labels:
            continue
        values = _child(b)
        if values is None:
            blank.append(b.start + 1)
            continue
        for k, v in b.written.items():
            written.setdefault(k, v)
        table_rows.append((b.start + 1, values))
    return _table(sheet, table_rows, blank, titles, written)


# --- answers -> codebook values -------------------------------------------------------------


def _joined(cells: list[Any] | None) -> str:
    if not cells:
        return ""
    return _SEP.join(_text(c) for c in cells if not is_blank(c))


def _single(cells: list[Any] | None) -> Any:
    """A written answer: the one cell as read (a date, a number), or the cells' text joined
    (an ID in 18 boxes, ``广东 | 省 | 深圳 | 市``)."""
    if not cells:
        return None
    filled = [c for c in cells if not is_blank(c)]
    if len(filled) == 1:
        return filled[0]
    return "".join(_text(c) for c in filled) or None


def _choice(cells: list[Any] | None, name: str) -> tuple[list[str], bool, str]:
    text = _joined(cells)
    chosen, bare = ticked(text, OPTIONS[name])
    return chosen, bare, text


_SAME = {"不寄宿": "否", "寄宿": "是", "父": "父亲", "母": "母亲"}


def _option(cells: list[Any] | None, name: str) -> Any:
    """The option ticked (or written alone); a bare tick is 是; two ticked give both, for the
    codebook's parser to refuse (unknown_label); an unticked group is None; an answer with
    no box or bracket is passed on as written."""
    chosen, bare, text = _choice(cells, name)
    if bare:
        return "是"
    if chosen:
        chosen = list(dict.fromkeys(_SAME.get(c, c) for c in chosen))
        return chosen[0] if len(chosen) == 1 else "/".join(chosen)
    if text and not _MARK.search(text):
        return _single(cells)
    return None


def _truth(answer: Any) -> bool | None:
    return {"是": True, "有": True, "否": False, "无": False}.get(answer) if answer else None


def _place(cells: list[Any] | None) -> str | None:
    """A work place as written, province and city joined (``广东 | 省 | 深圳 | 市``), the
    printed hints (``(区、市)``, blanks ``____``) dropped."""
    text = re.sub(r"\s", "", _joined(cells).replace(_SEP, ""))
    text = re.sub(r"[(（][^)）]*[)）]|_+|—+|-{2,}", "", text)
    text = re.sub(r"(?<=[省市区县])[省市区县]+", "", text)
    text = re.sub(r"^[省市区县]+", "", text)
    return text or None


def _lb_status(b: _Block) -> str | None:
    """``both``, ``father``, ``mother``, ``none``; a contradiction as written (refused)."""
    both = _truth(_option(b.get("both_away"), "both_away"))
    one = _truth(_option(b.get("one_away"), "one_away"))
    incapable = _option(b.get("incapable"), "incapable")
    away = [p for p in ("father", "mother") if _place(b.get("workplace", p))]
    if both and one:
        return "父母双方同时外出且一方外出"
    if both:
        return "both"
    if one:
        if incapable == "父亲":
            return "mother"
        if incapable == "母亲":
            return "father"
        if len(away) == 1:
            return away[0]
        return "一方外出(未写明哪一方)"
    if both is False and len(away) == 2:
        return "父母双方同时外出:否(父母均有务工地点)"
    if away:
        return "both" if len(away) == 2 else away[0]
    if both is False and one is False:
        return "none"
    return None


def _guardian(b: _Block) -> str | None:
    """The 监护类型 ticked when it names who cares for the child, else 与被监护人关系."""
    chosen, _, _ = _choice(b.get("guardian_type"), "guardian_type")
    levels = {GUARDIAN_TYPES[o] for o in chosen if o in GUARDIAN_TYPES}
    if len(levels) == 1:
        return levels.pop()
    relation = _joined(b.get("relation")).replace(_SEP, "")
    return relation_level(relation) if relation else None


def relation_level(text: str) -> str:
    """The guardian level of a 与被监护人关系 answer (the text itself when no rule fits, for
    the codebook's parser to refuse).

    >>> relation_level("外祖母"), relation_level("姑妈"), relation_level("邻居")
    ('grandparents', 'relatives', 'other')
    """
    key = re.sub(r"\s", "", unicodedata.normalize("NFKC", text))
    for level, marks in RELATIONS:
        if any(m in key for m in marks):
            return level
    return text


def _destination(b: _Block, lb: str | None) -> str | None:
    """The father's work place when he is away, else the mother's (父母务工地点 last)."""
    order = {"father": ("father",), "mother": ("mother",), "none": ()}.get(
        lb or "", ("father", "mother")
    )
    for person in (*order, None) if lb != "none" else ():
        place = _place(b.get("workplace", person))
        if place:
            return place
    return None


def _low_income(b: _Block) -> Any:
    answer = _option(b.get("low_income"), "low_income")
    if answer is not None:
        return answer
    chosen, _, _ = _choice(b.get("aid"), "aid")
    if any(o in LOW_INCOME_AID for o in chosen):
        return "是"
    return "否" if chosen else None


def _grade(b: _Block) -> Any:
    grade = _single(b.get("grade"))
    if grade is not None:
        return grade
    text = _joined(b.get("schooling"))
    m = _GRADE_WORD.search(text)
    if m is None:
        return None
    chosen, _ = ticked(text, OPTIONS["schooling"])
    word = m.group().replace(" ", "")
    return f"初中{word}" if "初中" in chosen and "年级" in word else word


def _child(b: _Block) -> dict[str, Any] | None:
    """One child's row in codebook columns (cells as a survey would hold them), or None for
    a form with no answer at all."""
    lb = _lb_status(b)
    values: dict[str, Any] = {
        "resident_id": _single(b.get("resident_id")),
        "student_id": _single(b.get("student_no")),
        "sex": _option(b.get("sex"), "sex"),
        "birth_date": _single(b.get("birth_date")),
        "school_id": _single(b.get("school")),
        "term": _single(b.get("term")),
        "grade": _grade(b),
        "class_id": _single(b.get("class")),
        "boarding": _option(b.get("boarding"), "boarding"),
        "lb_status": lb,
        "guardian": _guardian(b),
        "destination_id": _destination(b, lb),
        "low_income": _low_income(b),
    }
    named = bool(_joined(b.get("name")))
    if not named and all(v is None for v in values.values()):
        return None
    return values


def _header_titles(b: _Block) -> list[str]:
    """Title lines for the survey's school and term (see files._defaults): the 填报单位 when
    it is a school, the term of the 填报日期."""
    out = []
    by = _joined(b.get("filled_by")).replace(_SEP, " ")
    on = b.get("filled_on")
    m = re.search(r"填[报表](?:日期|时间)\s*[:：]?\s*(.*)$", by)
    if m:
        on = on or [m.group(1)]
        by = by[: m.start()]
    by = re.sub(r"[(（]\s*盖章\s*[)）]", "", by).strip(" :：")
    if by and _SCHOOL_LIKE.search(by.split()[0]):
        out.append(f"填报单位：{by.split()[0]}")
    term = _date_term(on)
    if term:
        out.append(term)
    return out


def _date_term(cells: list[Any] | None) -> str | None:
    """The term a form was filled in: August–January the autumn term, else the spring term."""
    for c in cells or []:
        if isinstance(c, dt.datetime | dt.date):
            y, m = c.year, c.month
        elif isinstance(c, int | float) and not isinstance(c, bool) and 20000 < c < 80000:
            d = dt.date(1899, 12, 30) + dt.timedelta(days=int(c))
            y, m = d.year, d.month
        else:
            found = _DATE.search(_text(c))
            if found is None:
                continue
            y, m = int(found.group(1)), int(found.group(2))
        if not 1 <= m <= 12:
            continue
        if m >= 8:
            return f"{y}-1"
        return f"{y - 1}-1" if m == 1 else f"{y - 1}-2"
    return None


#: The codebook columns of a form table, in order; student_id, school_id, term and class_id
#: only when some child's form has them (otherwise the call, the file name or the title rows
#: give the school and term, as for a survey without those columns).
_COLUMNS = (
    "resident_id",
    "student_id",
    "sex",
    "birth_date",
    "school_id",
    "term",
    "grade",
    "class_id",
    "boarding",
    "lb_status",
    "guardian",
    "destination_id",
    "low_income",
)
_OPTIONAL = frozenset({"student_id", "school_id", "term", "class_id"})
#: The form labels a column's problems name (the first of them found on the sheet).
_SOURCES: dict[str, tuple[str, ...]] = {
    "resident_id": ("resident_id",),
    "student_id": ("student_no",),
    "sex": ("sex",),
    "birth_date": ("birth_date",),
    "school_id": ("school",),
    "term": ("term",),
    "grade": ("grade", "schooling"),
    "class_id": ("class",),
    "boarding": ("boarding",),
    "lb_status": ("both_away", "one_away", "workplace"),
    "guardian": ("guardian_type", "relation"),
    "destination_id": ("workplace",),
    "low_income": ("low_income", "aid"),
}


def _table(
    sheet: Sheet,
    rows: list[tuple[int, dict[str, Any]]],
    blank: list[int],
    titles: list[str],
    written: dict[str, str],
) -> Table:
    names = [
        c for c in _COLUMNS if c not in _OPTIONAL or any(v.get(c) is not None for _, v in rows)
    ]
    headers = {}
    for n in names:
        found = [written[f] for f in _SOURCES[n] if f in written]
        headers[n] = found[0] if found else FORM_LABELS[_SOURCES[n][0]][0]
    return Table(
        kind="survey",
        sheet=sheet.name,
        header_rows=(),
        columns=dict.fromkeys(names),
        headers=headers,
        unknown=[],
        duplicates=[],
        titles=titles,
        data=[(r, [v.get(n) for n in names]) for r, v in rows],
        blank=blank,
        footer=[],
        repeated=[],
        layout="form",
    )


def tables_in(sheet: Sheet) -> list[Table]:
    """The tables of a sheet: the registration form's children (:func:`read_form`) when it has
    that layout — its label rows (姓名 | 性别 | 出生日期) would otherwise pass for a header —
    else the ordinary table (:func:`~lbc_eval.ingest.header.find_tables`)."""
    form = read_form(sheet)
    return [form] if form is not None else find_tables(sheet)
