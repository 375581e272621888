"""Reason codes, and the one collection of problems every stage of ingest adds to.

Every problem has a stable reason code and a severity:

``quarantine``
    the row (or, for a file-level code, every row of the file or table) goes to the
    quarantine, not the cohort;
``warning``
    the row is kept; something in it was left out or doubtful (the message says what);
``fixed``
    a routine repair (full-width digits, ``无`` for 0, ``95.7%``): counted per file, column and
    code in the report, not listed cell by cell.

Reason codes
------------

=====================  ==========  =============================================================
code                   severity    meaning
=====================  ==========  =============================================================
file_empty             quarantine  the file holds no cell with a value
file_type              quarantine  not an xlsx/xls/csv file (an HTML page named .xls, a PDF, …)
file_unreadable        quarantine  a damaged, truncated or password-protected workbook
encoding_unknown       quarantine  a text file that is neither UTF-8 nor GBK/GB18030
duplicate_file         quarantine  the same bytes (SHA-256) as an earlier input; not read again
header_not_found       quarantine  no row near the top names two codebook columns; every
                                   non-blank row is quarantined
missing_column         quarantine  a required column is absent; every row of the table is
                                   quarantined (the message lists the headers looked for)
roll_number_only       quarantine  a survey whose only identifier is 学号, a class roll number
                                   (not the 学籍号): its rows cannot be linked
school_unknown         quarantine  a survey's school is not in a column, the call, the file
                                   name or the title rows
term_unknown           quarantine  a survey's term is not in a column, the call, the file name
                                   or the title rows
unknown_column         warning     a header the codebook does not know; its cells are not read
roll_number_ignored    warning     a 学号 column (a class roll number, not the 学籍号): not read,
                                   never used to link children
duplicate_column       warning     a second column for the same codebook column; not read
sheet_skipped          warning     a sheet without a table, in a workbook that has one
sheet_hidden           warning     a hidden sheet that holds a table: not read (unhide it to have
                                   it read); its rows are counted as hidden
school_no_record       warning     a surveyed school has no training record: no township
footer_row             quarantine  totals, signatures or notes below the table
repeated_header        quarantine  the header repeated inside the data (printed page breaks)
missing_value          quarantine  a required value is blank (or cannot be derived)
not_a_number           quarantine  text where a number belongs
not_integer            quarantine  a fraction where a whole number belongs
out_of_range           quarantine  a number outside the codebook's range
share_ambiguous        quarantine  a share written as a bare number in (1, 100] in a column whose
                                   other values are not percentages (1.5: 1.5 % or 150 %?)
unknown_label          quarantine  a category, yes/no or grade the codebook does not list
bad_date               quarantine  a birth date that is not a date
bad_term               quarantine  a term that is not a school term
id_length              quarantine  an identifier of the wrong length (18 for a resident ID)
id_format              quarantine  not 17 digits and a digit or X
id_province            quarantine  no such province code
id_birth_date          quarantine  the ID's birth date is not a date
id_checksum            quarantine  the check character is wrong (a typing slip)
id_precision_lost      quarantine  an ID stored as a number: Excel kept only 15 digits
id_mismatch            quarantine  the student number's ID part differs from the resident ID
sex_mismatch           quarantine  the sex written differs from the resident ID's
birth_year_mismatch    quarantine  the birth year written differs from the resident ID's
grade_age              quarantine  age at 1 September minus grade is outside [3, 10]
duplicate_row          quarantine  an exact copy of an earlier row (the first is kept)
duplicate_key          quarantine  rows that disagree for one child and term (school and year;
                                   destination): all of them are quarantined
class_unparsed         warning     a class the kit cannot read: class_id left missing
destination_unknown    warning     a destination not in the destinations table (or, without
                                   one, not a code such as D03): set missing
formula_no_value       warning     a formula saved without its result (the file was never opened
                                   in Excel): the value is missing, not 0
cell_error             warning     an error cell (#DIV/0!, #N/A …): the value is missing
free_text_unmatched    warning     a township not among the schools table's townships (or,
                                   without one, not a township's code or name): set missing;
                                   quarantine for a school that is neither a code nor a school's
                                   name
score_unstandardised   warning     raw marks in a grade and term with fewer than two children (or
                                   all equal): the score is set missing
=====================  ==========  =============================================================

What each code means, and each message, is written in Chinese (the default) or English
(``lang="en"``) from the kit's catalogue (:mod:`lbc_eval.data.messages`: ``reason.<code>``,
``ingest.*``); the codes themselves never change with the language.

The ``id_*`` codes are warnings, not quarantine, for a resident ID that is not the identifier
the pseudonym is made from (the student number is): the ID is then ignored. With
``on_invalid="set_missing"`` the value codes (``not_a_number`` … ``bad_date``) of optional
columns are warnings too and the value is set missing.

Fixes counted: ``fullwidth``, ``whitespace``, ``zero_word`` (无, -), ``blank_as_zero``,
``missing_word`` (缺考, NA), ``percent``, ``unit_in_cell`` (3次), ``excel_serial``,
``sex_from_id``, ``birth_year_from_id``, ``student_no_from_id`` (no student number: ``G`` + the
resident ID, the national student number's form), ``student_no_prefixed`` (a bare resident ID in
the student-number column), ``id_unwrapped`` (``="…"``, a leading ``'`` or zero-width characters
around an identifier), ``township_from_schools``, ``score_standardised``.

Values in problems are masked when they could identify a child (see :func:`mask_values`;
digits are counted across separators, :func:`identifying_digits`); file and sheet names that
could name a child are masked in the written outputs (:func:`looks_like_name`,
:func:`mask_name`, used by :mod:`lbc_eval.ingest.output`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from lbc_eval.data import codebook
from lbc_eval.data.messages import check_lang, render

Severity = Literal["quarantine", "warning", "fixed"]

_Q, _W = "quarantine", "warning"
#: Reason code -> severity (the table in the module docstring and docs/ingest.md).
REASONS: dict[str, Severity] = {
    "file_empty": _Q,
    "file_type": _Q,
    "file_unreadable": _Q,
    "encoding_unknown": _Q,
    "duplicate_file": _Q,
    "header_not_found": _Q,
    "missing_column": _Q,
    "roll_number_only": _Q,
    "school_unknown": _Q,
    "term_unknown": _Q,
    "unknown_column": _W,
    "roll_number_ignored": _W,
    "duplicate_column": _W,
    "sheet_skipped": _W,
    "sheet_hidden": _W,
    "school_no_record": _W,
    "footer_row": _Q,
    "repeated_header": _Q,
    "missing_value": _Q,
    "not_a_number": _Q,
    "not_integer": _Q,
    "out_of_range": _Q,
    "share_ambiguous": _Q,
    "unknown_label": _Q,
    "bad_date": _Q,
    "bad_term": _Q,
    "id_length": _Q,
    "id_format": _Q,
    "id_province": _Q,
    "id_birth_date": _Q,
    "id_checksum": _Q,
    "id_precision_lost": _Q,
    "id_mismatch": _Q,
    "sex_mismatch": _Q,
    "birth_year_mismatch": _Q,
    "grade_age": _Q,
    "duplicate_row": _Q,
    "duplicate_key": _Q,
    "class_unparsed": _W,
    "destination_unknown": _W,
    "formula_no_value": _W,
    "cell_error": _W,
    "free_text_unmatched": _W,
    "score_unstandardised": _W,
}
FIXES: tuple[str, ...] = (
    "fullwidth",
    "whitespace",
    "zero_word",
    "blank_as_zero",
    "missing_word",
    "percent",
    "unit_in_cell",
    "excel_serial",
    "sex_from_id",
    "birth_year_from_id",
    "student_no_from_id",
    "student_no_prefixed",
    "id_unwrapped",
    "township_from_schools",
    "score_standardised",
)

#: Columns of the problem tables, in order.
COLUMNS: tuple[str, ...] = (
    "file",
    "sheet",
    "row",
    "cell",
    "column",
    "header",
    "value",
    "reason",
    "severity",
    "message",
)
MASK = "<masked>"
#: A value seen for at least this many different children is shown even if it is free text.
MIN_CHILDREN_SHOWN = 10
#: Digits written with separators count as one number when this many or more are in a run.
ID_DIGITS = 7
_IDENTIFYING = frozenset({c.name for c in codebook.columns("form")} | {"student_id", "student_no"})
_LONG_DIGITS = re.compile(r"\d{7,}")
# Digits joined by separators (spaces, - + . / and brackets): 1xx-xxxx-xxxx, +86 1xx xxxx xxxx;
# the digits of a code (S01, D03) start no run, so S01-2021-02 (a class) is not one.
_DIGIT_RUN = re.compile(r"(?<![A-Za-z\d])\d(?:[\s\-+./()]{0,3}\d)*")
_DIGIT_SPAN = re.compile(r"[+(]?" + _DIGIT_RUN.pattern + r"\)?")
# A date (and time) with separators, a school year, a term: shown, they identify no child alone.
_DATE = re.compile(
    r"(?<!\d)(?:19|20)\d{2}([-./])(0?[1-9]|1[0-2])\1(0?[1-9]|[12]\d|3[01])"
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?![\d.])"
)
_YEARS = re.compile(
    r"(?<!\d)(?:19|20)\d{2}(?:\s*[-–~/]\s*(?:19|20)\d{2}|-[12])(?![\d.])"
)  # 2024-2025, and the term 2024-1
_DECIMAL = re.compile(r"[+-]?\d+\.\d+")
_SAFE = re.compile(r"^[\d\s.,:;%+\-/()#]*$")
_CODE = re.compile(r"[A-Za-z]{0,3}[\-_]?\d[\d\-_.]{0,8}")


@dataclass
class Problems:
    """Every problem found, in the order found, and the counts of routine fixes.

    ``records`` hold raw values until :meth:`frame` masks them; they never leave the object
    unmasked. A record's ``message`` is a :class:`~lbc_eval.data.messages.Text` (or plain
    text), written in the run's language by :meth:`frame`.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    fixes: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(
        self,
        reason: str,
        message: Any,
        *,
        file: str,
        sheet: str | None = None,
        row: int | None = None,
        cell: str | None = None,
        column: str | None = None,
        header: str | None = None,
        value: Any = None,
        severity: Severity | None = None,
        child: str | None = None,
    ) -> None:
        """Record one problem (``severity`` defaults to the code's, see the module)."""
        self.records.append(
            {
                "file": file,
                "sheet": sheet,
                "row": row,
                "cell": cell,
                "column": column,
                "header": header,
                "value": value,
                "reason": reason,
                "severity": severity or REASONS[reason],
                "message": message,
                "_child": child,
            }
        )

    def count_fixes(self, file: str, column: str, fixes: Counter[str]) -> None:
        """Add routine fixes of one column of one file to the counts."""
        for code, k in fixes.items():
            if k:
                self.fixes[(file, column, code)] += k

    def frame(self, lang: str = "zh") -> pd.DataFrame:
        """All problems as a table with :data:`COLUMNS`, values masked, messages in ``lang``
        (``"zh"`` or ``"en"``), in a stable order."""
        check_lang(lang)
        if not self.records:
            out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
            return out.astype({"row": "Int64"})
        frame = pd.DataFrame.from_records(self.records)
        written: dict[int, str] = {}  # one message object is often shared by many rows
        frame["message"] = [
            written[id(m)] if id(m) in written else written.setdefault(id(m), render(m, lang))
            for m in frame["message"]
        ]
        frame["value"] = mask_values(frame["value"], frame["column"], frame["_child"])
        frame = frame[list(COLUMNS)].astype({"row": "Int64"})
        key = pd.DataFrame(
            {
                "file": frame["file"].fillna("").astype(str),
                "sheet": frame["sheet"].fillna("").astype(str),
                "row": frame["row"].fillna(0).astype("int64"),
                "reason": frame["reason"].astype(str),
                "cell": frame["cell"].fillna("").astype(str),
                "column": frame["column"].fillna("").astype(str),
            }
        )
        order = key.sort_values(list(key.columns), kind="stable").index
        return frame.loc[order].reset_index(drop=True)


def mask_values(values: pd.Series, columns: pd.Series, children: pd.Series) -> pd.Series:
    """The values a problem table may show.

    Masked (``<masked>``): every value of an identifying column (names, student numbers,
    resident IDs, birth dates, phones, addresses), any value with seven or more digits in a run,
    counted across the separators ``space - + . / ( )`` (a phone or ID typed in the wrong column,
    however it is written: see :func:`identifying_digits`), and free text that is not a spelling
    the codebook knows unless it was seen for at least :data:`MIN_CHILDREN_SHOWN` different
    children (a guardian's name typed under 监护人 is hidden; a common misspelling of a label is
    shown). Numbers, dates, terms and short codes are shown as written.
    """
    known = _known_spellings()
    full = [_shown(v) for v in values]
    text = pd.Series([v if v is None else v[:40] for v in full], index=values.index, dtype=object)
    pairs = pd.DataFrame({"c": columns.astype(str), "v": text, "k": children.astype(str)})
    spread = pairs.dropna(subset=["v"]).groupby(["c", "v"])["k"].nunique()
    out = []
    for col, v, whole in zip(columns, text, full, strict=True):
        if v is None or v == "":
            out.append(v)
        elif col in _IDENTIFYING or identifying_digits(whole):
            out.append(MASK)
        elif _SAFE.match(v) or v in known or spread.get((str(col), v), 0) >= MIN_CHILDREN_SHOWN:
            out.append(v)
        elif _CODE.fullmatch(v):
            out.append(v)  # short codes such as S01, D03, T01
        else:
            out.append(MASK)
    return pd.Series(out, index=values.index, dtype=object)


def _shown(v: Any) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _known_spellings() -> frozenset[str]:
    words = set()
    for table in codebook.TABLES:
        for c in codebook.columns(table):
            for name, spellings in c.levels.items():
                words.update((name, *spellings))
    words.update(("是", "否", "有", "无", "-"))
    return frozenset(words)


def looks_identifying(text: str) -> bool:
    """True when a header or title could hold a child's data: seven or more digits in a run,
    separators counted (:func:`identifying_digits`)."""
    return identifying_digits(text)


# --- digits and names ---------------------------------------------------------------------------


def identifying_digits(text: str) -> bool:
    """True when ``text`` holds :data:`ID_DIGITS` (7) or more digits in one run.

    A run is digits joined by up to three separators among ``space - + . / ( )``, so
    ``1xx-xxxx-xxxx``, ``+86 1xx xxxx xxxx``, ``(0xxx) xxxx xxxx`` and ``2201 0220 …`` count as
    one number each (full-width forms too: the text is NFKC-normalised). Not identifying on
    their own, and not counted: a date written with separators (``2013-05-01``, ``2013.5.1``,
    ``2013/05/01``, with or without a time), a school year's span (``2024-2025``), a term
    (``2024-1``), a decimal number (``12345.67``) and the digits of a code that follow a letter
    (``S01-2021-02``, a class: only ``2021-02`` is counted). Seven digits without separators
    always count (``20130501`` included: a birth date written so is kept hidden).

    Examples
    --------
    >>> [identifying_digits(t) for t in ("120-0000-0000", "+86 120 0000 0000", "2013-05-01")]
    [True, True, False]
    >>> [identifying_digits(t) for t in ("95.5", "2024-1", "3-2", "2024-2025学年", "S01-2021-02")]
    [False, False, False, False, False]
    """
    text = unicodedata.normalize("NFKC", text)
    if _LONG_DIGITS.search(text):
        return True
    return any(_identifying_run(m.group(0)) for m in _DIGIT_RUN.finditer(text))


def _identifying_run(run: str) -> bool:
    if _LONG_DIGITS.search(run):
        return True
    rest = _YEARS.sub(" ", _DATE.sub(" ", run))
    return any(
        sum(ch.isdigit() for ch in m.group(0)) >= ID_DIGITS and not _DECIMAL.fullmatch(m.group(0))
        for m in _DIGIT_RUN.finditer(rest)
    )


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
#: Words of file and sheet names that name no person (with the codebook's headers and labels).
NAME_WORDS: tuple[str, ...] = tuple(
    """学生 儿童 留守 留守儿童 农村 关爱 帮扶 结对 名单 名册 花名册 名录 登记 登记表 统计 统计表
    汇总 汇总表 明细 一览表 台账 档案 一生一档 信息 信息表 基本 基本情况 情况 情况表 数据 调查
    调查表 问卷 摸底 摸排 表格 总表 样表 模板 附件 说明 填表 填报 上报 报送 补报 补充 修改 修订
    更正 最新 最终 终稿 定稿 副本 备份 复印件 扫描件 照片 证明 材料 成绩 成绩单 考试 期中 期末
    学年 学期 上学期 下学期 春季 秋季 寒假 暑假 年级 班级 全校 本校 各校 全县 全镇 教育局 教育
    培训 教师 记录 务工 务工地 去向 政策 目录 家长 家庭 父母 学校 小学 中学 初中 高中
    隐藏 工作表 工作簿 统计报表 报表 花名 家访 走访 谈心 心理 辅导 资助 助学 寄宿 住校 新建
    """.split()
)
_PLACE_SUFFIXES = (
    "九年一贯制学校", "中心学校", "中心小学", "中心校", "教学点", "幼儿园", "小学", "中学",
    "学校", "完小", "初中", "高中", "分校", "校区", "职中", "街道", "镇", "乡", "县",
)  # fmt: skip
_NUMERALS = "一二三四五六七八九十零〇两"


@functools.cache
def _name_words() -> re.Pattern[str]:
    words = set(NAME_WORDS)
    for table in codebook.TABLES:
        for c in codebook.columns(table):
            spellings = [s for v in c.levels.values() for s in v]
            words.update(w for w in (c.label_zh, *c.aliases, *spellings) if len(w) > 1)
    cjk = sorted((w for w in words if _CJK.fullmatch(w)), key=len, reverse=True)
    place = "[\u3400-\u9fff]{0,8}?(?:" + "|".join(_PLACE_SUFFIXES) + ")"
    numbered = f"第[{_NUMERALS}]+|[{_NUMERALS}]+(?:年级|班|学期|学年)|[初高][一二三]"
    return re.compile("|".join([place, numbered, *map(re.escape, cjk)]))


def _name_like_run(run: str) -> bool:
    rest = _name_words().sub(" ", run)
    return any(len(m.group(0)) >= 2 for m in _CJK.finditer(rest))


def looks_like_name(text: str) -> bool:
    """True when ``text`` (a file, folder or sheet name) could hold a person's name.

    Each run of Chinese characters is read without the words that name no one: the codebook's
    headers and labels, :data:`NAME_WORDS` (学生, 名单, 汇总, 成绩 …), school and place names
    (a run ending in 小学, 中学, 学校, 镇, 乡, 县 …) and grades and classes (三年级, 二班,
    第一, 初一). What remains, two or more characters together, may be a name (张三, 欧阳娜娜, or
    an unknown word: better hidden than shown). Latin letters (pinyin) are not judged.

    Examples
    --------
    >>> [looks_like_name(t) for t in ("张三_身份证复印件.jpg", "三年级2班测试甲", "S01_补报")]
    [True, True, False]
    >>> [looks_like_name(t) for t in ("留守儿童情况", "阳光小学三年级一班", "Sheet1", "说明")]
    [False, False, False, False]
    """
    return any(_name_like_run(m.group(0)) for m in _CJK.finditer(text))


def mask_name(text: str, label: str) -> str:
    """``text`` (a file or sheet name) with each part that could identify a child replaced by
    ``label``: runs of seven or more digits (:func:`identifying_digits`) and runs of Chinese
    characters that may hold a name (:func:`looks_like_name`). The rest (school and term
    tokens, the extension) is kept; a name with nothing to hide comes back unchanged.

    Examples
    --------
    >>> mask_name("S01_2024-1_测试甲.xlsx", "file-3")
    'S01_2024-1_file-3.xlsx'
    >>> mask_name("120-0000-0000.csv", "file-4"), mask_name("留守儿童情况", "sheet-1")
    ('file-4.csv', '留守儿童情况')
    """
    norm = unicodedata.normalize("NFKC", text)
    out = _LONG_DIGITS.sub(label, norm)
    out = _DIGIT_SPAN.sub(lambda m: label if _identifying_run(m.group(0)) else m.group(0), norm)
    out = _CJK.sub(lambda m: label if _name_like_run(m.group(0)) else m.group(0), out)
    return text if out == norm else out
