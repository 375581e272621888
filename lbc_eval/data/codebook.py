"""The codebook: every column of the cohort tables, in one place.

Synthetic and real cohorts share this schema exactly, so every notebook runs on either.
Each :class:`Column` carries the canonical snake_case name used everywhere in the kit, the
Chinese and English labels, the header *aliases* schools really write (translated once, at
ingest), the dtype, unit, allowed values (with their Chinese spellings) or range, and whether
the column is required.

Four tables are described:

``panel``
    one row per child per term (term ``2024-1`` = autumn 2024, ``2024-2`` = spring 2025);
``schools``
    one row per school per academic year;
``destinations``
    one row per parents' work destination, with the year its residence-permit-based
    enrolment took effect (missing = never);
``form``
    identifying fields that appear on school forms but never enter the cohort: they are
    read at ingest only to derive the pseudonymous ``student_id`` (and sex and birth year),
    then dropped.

Examples
--------
>>> from lbc_eval.data import codebook
>>> codebook.column("talks").label_zh
'谈心次数'
>>> codebook.match_header("学籍号")
'student_id'
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import SchemaError

CODEBOOK_VERSION = "1.0.0"

Table = Literal["panel", "schools", "destinations", "form"]
Kind = Literal["id", "str", "category", "int", "float", "bool"]
TABLES: tuple[Table, ...] = ("panel", "schools", "destinations", "form")

#: The mentoring contacts that make up the dose of question Q1 (``talks + home_visits +
#: parent_contacts``); collective activities are counted separately.
CONTACT_COLUMNS: tuple[str, ...] = ("talks", "home_visits", "parent_contacts")

#: Outcomes of the panel, in the order notebooks report them.
OUTCOMES: tuple[str, ...] = ("math", "chinese", "sdq_total", "attendance")


@dataclass(frozen=True)
class Column:
    """One codebook entry.

    Attributes
    ----------
    name : str
        Canonical snake_case name.
    table : {"panel", "schools", "destinations", "form"}
    kind : {"id", "str", "category", "int", "float", "bool"}
        ``id`` and ``str`` are strings (identifiers / free labels), ``category`` takes one
        of ``levels``, ``int`` is a nullable integer of ``bits`` bits.
    label_zh, label_en : str
        Labels for tables and plots.
    unit : str
        Unit of measurement ('' if none).
    required : bool
        A table without this column is invalid.
    aliases : tuple of str
        Headers schools write for this column (Chinese first); matched after
        :func:`normalise_header`.
    levels : dict
        For categories: canonical value -> accepted spellings (the first is the Chinese label).
    lower, upper : float or None
        Allowed range (inclusive) for numbers.
    bits : int
        Width of integer columns.
    description : str
        What the column means and how it is measured.
    identifying : bool
        True for fields that identify a child; they never leave ingest.
    """

    name: str
    table: Table
    kind: Kind
    label_zh: str
    label_en: str
    unit: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lower: float | None = None
    upper: float | None = None
    bits: int = 16
    description: str = ""
    identifying: bool = False

    @property
    def dtype(self) -> object:
        """The pandas dtype of the column in a cohort table."""
        if self.kind in ("id", "str"):
            return pd.StringDtype(na_value=np.nan)
        if self.kind == "category":
            return pd.CategoricalDtype(list(self.levels), ordered=False)
        if self.kind == "int":
            return f"Int{self.bits}"
        if self.kind == "float":
            return "float64"
        return "boolean"

    @property
    def allowed(self) -> str:
        """Human-readable allowed values or range."""
        if self.levels:
            return "; ".join(f"{k} ({v[0]})" for k, v in self.levels.items())
        if self.lower is not None or self.upper is not None:
            lo = "" if self.lower is None else _num(self.lower)
            hi = "" if self.upper is None else _num(self.upper)
            return f"[{lo}, {hi}]"
        return ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _c(name: str, table: Table, kind: Kind, zh: str, en: str, **kw: object) -> Column:
    return Column(name, table, kind, zh, en, **kw)  # type: ignore[arg-type]


_COUNT = {"lower": 0, "unit": "times per term"}

_PANEL: list[Column] = [
    _c(
        "student_id",
        "panel",
        "id",
        "学生编号",
        "Student (pseudonymous)",
        required=True,
        aliases=("学籍号", "学号", "全国学籍号", "学生学籍号", "student_no"),
        description="HMAC-SHA-256 of the normalised student number (or resident ID where that is "
        "the only identifier) under the project key, 16 hex characters. The raw number is never "
        "stored.",
    ),
    _c(
        "school_id",
        "panel",
        "id",
        "学校代码",
        "School",
        required=True,
        aliases=("学校", "学校名称", "学校编号", "所在学校", "就读学校"),
        description="School code; the school-level key to the schools table.",
    ),
    _c(
        "class_id",
        "panel",
        "id",
        "班级",
        "Class",
        aliases=("班级", "班别", "所在班级", "班"),
        description="Class code, unique within the county (school, entry year, class number).",
    ),
    _c(
        "township",
        "panel",
        "id",
        "乡镇",
        "Township",
        required=True,
        aliases=("乡镇", "乡镇（街道）", "所属乡镇", "镇", "街道"),
        description="Township-level unit (town, township or subdistrict) of the child's school.",
    ),
    _c(
        "term",
        "panel",
        "str",
        "学期",
        "Term",
        required=True,
        aliases=("学期", "学年学期", "统计学期"),
        description="Academic year and semester, 'YYYY-1' = autumn of YYYY, 'YYYY-2' = spring of "
        "YYYY+1. Forms' '2024-2025学年第一学期' maps to '2024-1'.",
    ),
    _c(
        "grade",
        "panel",
        "int",
        "年级",
        "Grade",
        required=True,
        lower=1,
        upper=9,
        bits=8,
        aliases=("年级", "就读年级", "所在年级"),
        description="Grade of compulsory education, 1-6 primary, 7-9 junior secondary.",
    ),
    _c(
        "sex",
        "panel",
        "category",
        "性别",
        "Sex",
        required=True,
        aliases=("性别",),
        levels={"male": ("男", "男性", "M", "1"), "female": ("女", "女性", "F", "2")},
        description="Sex as recorded (derivable from the resident ID's sequence digit).",
    ),
    _c(
        "birth_year",
        "panel",
        "int",
        "出生年份",
        "Birth year",
        required=True,
        lower=1995,
        upper=2030,
        aliases=("出生年份", "出生年"),
        description="Year of birth (ingest derives it from the birth date or resident ID; "
        "the full date is dropped).",
    ),
    _c(
        "boarding",
        "panel",
        "bool",
        "是否寄宿",
        "Boarding",
        aliases=("寄宿", "是否寄宿", "住校"),
        description="Boards at school during the week.",
    ),
    _c(
        "lb_status",
        "panel",
        "category",
        "留守类型",
        "Left-behind status",
        required=True,
        aliases=("留守类型", "留守情况", "是否留守", "父母外出情况", "留守儿童类型"),
        levels={
            "none": ("非留守", "否", "无", "父母均在家"),
            "father": ("父亲外出", "父外出", "父亲外出务工"),
            "mother": ("母亲外出", "母外出", "母亲外出务工"),
            "both": ("父母均外出", "双亲外出", "父母双方外出", "父母外出"),
        },
        description="Which parent works away while the child stays behind; 'none' also for "
        "children who live with their migrant parents.",
    ),
    _c(
        "guardian",
        "panel",
        "category",
        "监护人",
        "Guardian",
        aliases=("监护人", "监护类型", "实际监护人", "监护人类型"),
        levels={
            "parents": ("父母", "父亲或母亲", "父母监护"),
            "grandparents": ("祖辈", "祖父母", "外祖父母", "爷爷奶奶", "隔代监护"),
            "relatives": ("亲戚", "其他亲属", "亲属监护"),
            "other": ("其他", "委托监护", "无人监护"),
        },
        description="Who looks after the child day to day.",
    ),
    _c(
        "destination_id",
        "panel",
        "id",
        "父母务工地",
        "Parents' work destination",
        aliases=("务工地", "父母务工地点", "外出务工地", "父母外出地点"),
        description="Key to the destinations table; missing when no parent works away.",
    ),
    _c(
        "low_income",
        "panel",
        "bool",
        "低收入家庭",
        "Low-income household",
        aliases=("低保", "是否低保", "困难家庭", "建档立卡", "低收入家庭"),
        description="Household on minimum living allowance or registered as poor.",
    ),
    _c(
        "mentor_role",
        "panel",
        "category",
        "结对帮扶人身份",
        "Mentor",
        aliases=("帮扶人身份", "结对帮扶人", "结对类型", "帮扶人类型"),
        levels={
            "none": ("未结对", "无"),
            "cadre": ("党员干部", "干部"),
            "teacher": ("教师", "尚德志愿教师", "志愿教师"),
            "volunteer": ("志愿者", "社会志愿者"),
        },
        description="Who the child is paired with this term ('none' = not paired).",
    ),
    _c(
        "talks",
        "panel",
        "int",
        "谈心次数",
        "Heart-to-heart talks",
        aliases=("谈心次数", "谈心谈话次数", "谈心（次）"),
        **_COUNT,  # type: ignore[arg-type]
        description="Mentor's heart-to-heart talks with the child this term.",
    ),
    _c(
        "home_visits",
        "panel",
        "int",
        "家访次数",
        "Home visits",
        aliases=("家访次数", "走访次数", "家访（次）"),
        **_COUNT,  # type: ignore[arg-type]
        description="Mentor's or teacher's visits to the child's home this term.",
    ),
    _c(
        "activities",
        "panel",
        "int",
        "集体活动次数",
        "Collective activities",
        aliases=("集体活动次数", "活动次数", "参加活动次数"),
        **_COUNT,  # type: ignore[arg-type]
        description="Collective activities the child took part in this term.",
    ),
    _c(
        "parent_contacts",
        "panel",
        "int",
        "与家长沟通次数",
        "Contacts with parents",
        aliases=("与家长沟通次数", "家长沟通次数", "联系家长次数", "与父母沟通次数"),
        **_COUNT,  # type: ignore[arg-type]
        description="Mentor's contacts (phone, video) with the parents or guardian this term.",
    ),
    _c(
        "counseling",
        "panel",
        "int",
        "心理辅导次数",
        "Counselling sessions",
        aliases=("心理辅导次数", "心理咨询次数", "心理疏导次数"),
        **_COUNT,  # type: ignore[arg-type]
        description="Sessions with the school's psychological counsellor this term.",
    ),
    _c(
        "tutoring_hours",
        "panel",
        "float",
        "课业辅导时长",
        "Tutoring hours",
        unit="hours per term",
        lower=0,
        upper=400,
        aliases=("课业辅导时长", "辅导时长", "学业辅导（小时）", "课后辅导时长"),
        description="After-school academic tutoring received this term.",
    ),
    _c(
        "scholarship_yuan",
        "panel",
        "int",
        "助学金",
        "Scholarship",
        unit="yuan",
        lower=0,
        upper=20000,
        bits=32,
        aliases=("助学金", "奖助学金", "助学金金额", "资助金额"),
        description="Scholarship paid this term by the volunteer association (0 = none).",
    ),
    _c(
        "hotline_calls",
        "panel",
        "int",
        "亲情热线通话次数",
        "Family-hotline calls",
        aliases=("亲情热线", "亲情电话次数", "亲情热线通话次数"),
        **_COUNT,  # type: ignore[arg-type]
        description="Calls to the parents on the school's family hotline this term.",
    ),
    _c(
        "moved_to_parents",
        "panel",
        "bool",
        "随父母迁居",
        "Moved to live with parents",
        aliases=("随父母迁居", "随迁", "是否随迁"),
        description="At the end of this term the child moved to live with the migrant parents "
        "(within the county: stays in the panel; outside: exits with that reason).",
    ),
    _c(
        "exit_reason",
        "panel",
        "category",
        "离开原因",
        "Exit reason",
        aliases=("离开原因", "异动原因", "学籍变动原因"),
        levels={
            "graduated": ("毕业",),
            "moved_with_parents": ("随父母迁出", "随迁转出"),
            "transferred_out": ("转学", "转出"),
            "dropped_out": ("辍学", "失学"),
        },
        description="Why this is the child's last term in the county's records (missing = "
        "still enrolled next term).",
    ),
    _c(
        "math",
        "panel",
        "float",
        "数学成绩",
        "Math score",
        unit="SD",
        lower=-6,
        upper=6,
        aliases=("数学", "数学成绩", "数学（标准分）"),
        description="Math score standardised within grade and term (county mean 0, SD 1).",
    ),
    _c(
        "chinese",
        "panel",
        "float",
        "语文成绩",
        "Chinese score",
        unit="SD",
        lower=-6,
        upper=6,
        aliases=("语文", "语文成绩", "语文（标准分）"),
        description="Chinese score standardised within grade and term.",
    ),
    _c(
        "sdq_total",
        "panel",
        "int",
        "SDQ困难总分",
        "SDQ total difficulties",
        unit="points",
        lower=0,
        upper=40,
        bits=8,
        aliases=("SDQ总分", "长处与困难问卷总分", "困难总分", "心理健康得分"),
        description="Strengths and Difficulties Questionnaire total difficulties, 0-40, higher = "
        "more difficulties.",
    ),
    _c(
        "attendance",
        "panel",
        "float",
        "出勤率",
        "Attendance rate",
        unit="share",
        lower=0,
        upper=1,
        aliases=("出勤率", "到课率"),
        description="Share of school days attended this term.",
    ),
]

_SCHOOLS: list[Column] = [
    _c(
        "school_id",
        "schools",
        "id",
        "学校代码",
        "School",
        required=True,
        aliases=("学校", "学校名称", "学校编号"),
    ),
    _c(
        "year",
        "schools",
        "int",
        "学年",
        "Academic year",
        required=True,
        lower=2000,
        upper=2100,
        aliases=("学年", "年度", "年份"),
        description="Academic year starting in autumn of it.",
    ),
    _c(
        "township", "schools", "id", "乡镇", "Township", required=True, aliases=("乡镇", "所属乡镇")
    ),
    _c(
        "level",
        "schools",
        "category",
        "学段",
        "Level",
        required=True,
        aliases=("学段", "办学类型"),
        levels={
            "primary": ("小学",),
            "junior": ("初中", "初级中学"),
            "nine_year": ("九年一贯制", "九年一贯制学校"),
        },
    ),
    _c(
        "enrolment",
        "schools",
        "int",
        "在校生数",
        "Pupils",
        unit="pupils",
        lower=0,
        bits=32,
        aliases=("在校生数", "学生数", "在校学生数"),
    ),
    _c(
        "teachers",
        "schools",
        "int",
        "教师数",
        "Teachers",
        unit="teachers",
        lower=0,
        aliases=("教师数", "专任教师数", "教职工数"),
    ),
    _c(
        "new_teachers",
        "schools",
        "int",
        "新任教师数",
        "New teachers",
        unit="teachers",
        lower=0,
        aliases=("新任教师数", "新入职教师", "新教师数"),
    ),
    _c(
        "training_person_times",
        "schools",
        "int",
        "培训人次",
        "Training person-times",
        unit="person-times per year",
        lower=0,
        aliases=("培训人次", "参训人次", "国培省培人次"),
    ),
    _c(
        "trained_share",
        "schools",
        "float",
        "受训教师比例",
        "Trained-teacher share",
        unit="share",
        lower=0,
        upper=1,
        aliases=("受训教师比例", "参训教师比例", "培训覆盖率"),
        description="Share of the school's teachers who have completed national or provincial "
        "training by the end of the year.",
    ),
    _c(
        "backbone_provincial",
        "schools",
        "int",
        "省级骨干教师数",
        "Provincial backbone teachers",
        lower=0,
        aliases=("省级骨干教师", "省级骨干"),
    ),
    _c(
        "backbone_municipal",
        "schools",
        "int",
        "市级骨干教师数",
        "Municipal backbone teachers",
        lower=0,
        aliases=("市级骨干教师", "市级骨干"),
    ),
    _c(
        "backbone_county",
        "schools",
        "int",
        "县级骨干教师数",
        "County backbone teachers",
        lower=0,
        aliases=("县级骨干教师", "县级骨干", "市县级骨干教师"),
    ),
    _c(
        "parent_school",
        "schools",
        "bool",
        "家长学校",
        "Parent school",
        aliases=("家长学校", "是否有家长学校"),
    ),
    _c(
        "lb_home",
        "schools",
        "bool",
        "留守儿童之家",
        "Left-behind children's home",
        aliases=("留守儿童之家", "是否有留守儿童之家"),
    ),
    _c(
        "tutoring_programme",
        "schools",
        "bool",
        "课后辅导项目",
        "Tutoring programme",
        aliases=("课后辅导", "课后服务辅导"),
    ),
]

_DESTINATIONS: list[Column] = [
    _c(
        "destination_id",
        "destinations",
        "id",
        "务工地代码",
        "Destination",
        required=True,
        aliases=("务工地", "务工地代码"),
    ),
    _c(
        "destination_name",
        "destinations",
        "str",
        "务工地名称",
        "Destination name",
        aliases=("务工地名称", "城市"),
    ),
    _c(
        "scope",
        "destinations",
        "category",
        "范围",
        "Scope",
        required=True,
        aliases=("范围",),
        levels={
            "in_county": ("县域内", "本县"),
            "in_province": ("省内",),
            "out_of_province": ("省外",),
        },
    ),
    _c(
        "policy_year",
        "destinations",
        "int",
        "居住证入学政策实施年份",
        "Enrolment-policy year",
        lower=2000,
        upper=2100,
        aliases=("政策实施年份", "居住证入学年份"),
        description="Autumn of the academic year from which children of migrants enrol there on "
        "the residence permit (and may sit the local entrance exam); missing = never.",
    ),
]

_FORM: list[Column] = [
    _c(
        "name",
        "form",
        "str",
        "姓名",
        "Name",
        aliases=("姓名", "学生姓名", "儿童姓名"),
        identifying=True,
        description="Never enters the cohort.",
    ),
    _c(
        "resident_id",
        "form",
        "str",
        "身份证号",
        "Resident ID",
        aliases=("身份证号", "身份证号码", "公民身份号码", "身份证"),
        identifying=True,
        description="18-character resident ID (GB 11643-1999). Used only to derive sex and birth "
        "year and, when no student number exists, the pseudonymous id; then dropped.",
    ),
    _c(
        "birth_date",
        "form",
        "str",
        "出生日期",
        "Birth date",
        aliases=("出生日期", "出生年月"),
        identifying=True,
        description="Reduced to birth_year at ingest.",
    ),
    _c(
        "guardian_name",
        "form",
        "str",
        "监护人姓名",
        "Guardian's name",
        aliases=("监护人姓名", "家长姓名", "父亲姓名", "母亲姓名"),
        identifying=True,
    ),
    _c(
        "phone",
        "form",
        "str",
        "联系电话",
        "Phone",
        aliases=("联系电话", "家长电话", "监护人电话", "手机号"),
        identifying=True,
    ),
    _c(
        "address",
        "form",
        "str",
        "家庭住址",
        "Address",
        aliases=("家庭住址", "住址", "家庭地址"),
        identifying=True,
    ),
]

_ALL: dict[Table, tuple[Column, ...]] = {
    "panel": tuple(_PANEL),
    "schools": tuple(_SCHOOLS),
    "destinations": tuple(_DESTINATIONS),
    "form": tuple(_FORM),
}


def columns(table: Table = "panel") -> tuple[Column, ...]:
    """The codebook entries of ``table``, in canonical order."""
    if table not in _ALL:
        raise SchemaError(f"unknown table {table!r}; the codebook has {', '.join(TABLES)}")
    return _ALL[table]


def names(table: Table = "panel") -> list[str]:
    """Canonical column names of ``table``, in canonical order."""
    return [c.name for c in columns(table)]


def column(name: str, table: Table = "panel") -> Column:
    """The codebook entry ``name`` of ``table``."""
    for c in columns(table):
        if c.name == name:
            return c
    raise SchemaError(f"{table} has no column {name!r}; its columns are {', '.join(names(table))}")


# --- headers -------------------------------------------------------------------------------

_UNIT_SUFFIX = re.compile(r"[（(][^（）()]*[)）]$")


def normalise_header(text: object) -> str:
    """Normalise a header as schools write it, for alias matching.

    NFKC folds full-width letters, digits and brackets to ASCII; white space (also inside the
    text) and a trailing unit in brackets such as ``（次）`` or ``(小时)`` are removed, and
    Latin letters are lower-cased.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = re.sub(r"\s+", "", s)
    prev = None
    while prev != s:
        prev, s = s, _UNIT_SUFFIX.sub("", s)
    return s.lower()


@functools.cache
def _header_index(table: Table) -> dict[str, str]:
    idx: dict[str, str] = {}
    for c in columns(table):
        for a in (c.name, c.label_zh, *c.aliases):
            idx.setdefault(normalise_header(a), c.name)
    return idx


def match_header(header: object, tables: Iterable[Table] = ("panel", "form")) -> str | None:
    """The canonical column name a header stands for, or None if the codebook does not know it.

    The first table in ``tables`` that knows the header wins; identifying form fields are
    looked up after the panel so that ``学籍号`` maps to ``student_id``.
    """
    key = normalise_header(header)
    for t in tables:
        hit = _header_index(t).get(key)
        if hit is not None:
            return hit
    return None


def level_labels(name: str, table: Table = "panel") -> dict[str, str]:
    """Canonical value -> Chinese label for a category column."""
    return {k: v[0] for k, v in column(name, table).levels.items()}


# --- tables -----------------------------------------------------------------------------------


def empty(table: Table) -> pd.DataFrame:
    """An empty table of ``table`` with the codebook's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in columns(table)})  # type: ignore[call-overload]


def conform(data: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return ``data`` with the codebook's column order and dtypes.

    Columns the codebook does not know are kept, after the codebook's. A missing required
    column raises :class:`SchemaError`; a missing optional one is added as all-missing.
    """
    missing = [c.name for c in columns(table) if c.required and c.name not in data.columns]
    if missing:
        raise SchemaError(
            f"the {table} table lacks required column(s) {', '.join(missing)}; "
            f"see the codebook (docs/codebook.md) for what each holds"
        )
    out = {}
    for c in columns(table):
        if c.name in data.columns:
            s = data[c.name]
            out[c.name] = s if s.dtype == c.dtype else s.astype(c.dtype)  # type: ignore[arg-type]
        else:
            out[c.name] = pd.Series(pd.array([pd.NA] * len(data), dtype=c.dtype), index=data.index)  # type: ignore[call-overload]
    extra = [k for k in data.columns if k not in out]
    frame = pd.DataFrame(out, index=data.index)
    if extra:
        frame = pd.concat([frame, data[extra]], axis=1)
    return frame


# --- terms ------------------------------------------------------------------------------------

# --- export -------------------------------------------------------------------------------------


def codebook_frame() -> pd.DataFrame:
    """The whole codebook as one table (one row per table and column)."""
    rows = []
    for t in TABLES:
        for c in columns(t):
            rows.append(
                {
                    "table": t,
                    "name": c.name,
                    "label_zh": c.label_zh,
                    "label_en": c.label_en,
                    "dtype": str(c.dtype) if c.kind != "category" else "category",
                    "unit": c.unit,
                    "allowed": c.allowed,
                    "required": c.required,
                    "identifying": c.identifying,
                    "aliases": " | ".join(c.aliases),
                    "description": c.description,
                }
            )
    return pd.DataFrame(rows)


def codebook_markdown() -> str:
    """The codebook as a Markdown page (docs/codebook.md is this text)."""
    frame = codebook_frame()
    lines = [
        f"# Codebook (version {CODEBOOK_VERSION})",
        "",
        "Generated by `lbc-eval codebook --out docs/` from `lbc_eval/codebook.py`; do not edit by "
        "hand. Canonical names are used everywhere in the kit; the aliases are the headers "
        "schools write, matched after folding full-width characters, removing white space and "
        "a trailing unit such as `（次）`.",
        "",
    ]
    intro = {
        "panel": "One row per child per term (`2024-1` = autumn 2024, `2024-2` = spring 2025).",
        "schools": "One row per school per academic year.",
        "destinations": "One row per parents' work destination.",
        "form": "Identifying fields found on school forms. Read at ingest only to derive "
        "`student_id`, `sex` and `birth_year`; never written to a cohort, log or output.",
    }
    cols = [
        "name",
        "label_zh",
        "label_en",
        "dtype",
        "unit",
        "allowed",
        "required",
        "aliases",
        "description",
    ]
    for t in TABLES:
        sub = frame[frame["table"] == t]
        lines += [
            f"## `{t}`",
            "",
            intro[t],
            "",
            "| " + " | ".join(cols) + " |",
            "|" + "---|" * len(cols),
        ]
        for _, r in sub.iterrows():
            cells = [f"`{r['name']}`" if k == "name" else str(r[k]) for k in cols]
            cells = [("yes" if x == "True" else "" if x == "False" else x) for x in cells]
            lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_codebook(out: str | Path) -> tuple[Path, Path]:
    """Write ``codebook.csv`` (UTF-8 with BOM, so Excel shows the Chinese) and ``codebook.md``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "codebook.csv", out / "codebook.md"
    codebook_frame().to_csv(csv_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    md_path.write_text(codebook_markdown(), encoding="utf-8")
    return csv_path, md_path
