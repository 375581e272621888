"""Grades, terms, school years, classes, birth dates and birth years as schools write them.

Parsers with the same contract as :mod:`lbc_eval.ingest.values`: one cell in,
``(value, reason, fixes)`` out. The forms read are listed there.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from lbc_eval.ingest.values import (
    DASHES,
    MISSING_WORDS,
    NEVER_WORDS,
    ZERO_WORDS,
    Result,
    cell_text,
    is_blank,
)

_CN_DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def _cn_number(text: str) -> int | None:
    """Arabic or Chinese numerals up to 99 (``十二`` = 12, ``二十`` = 20)."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in _CN_DIGITS for c in text):
        return None
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text)) if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    t = _CN_DIGITS[tens] if tens else 1
    o = _CN_DIGITS[ones] if ones else 0
    return 10 * t + o if len(tens) <= 1 and len(ones) <= 1 else None


_GRADE = re.compile(r"^(?:(小学|初中|初级中学)?(.{1,2})年级|(初|高)([一二三123]))$")


def parse_grade(cell: Any) -> Result:
    """Grade 1-9: ``3``, ``三年级``, ``初一`` (= 7), ``初中二年级`` (= 8); ``高一`` is 10."""
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return (int(cell), None, ()) if float(cell).is_integer() else (None, "not_integer", ())
    text, fixes = cell_text(cell)
    text = text.replace(" ", "")
    if text.isdigit():
        return int(text), None, fixes
    m = _GRADE.match(text)
    if not m:
        return None, "unknown_label", fixes
    if m.group(3):
        k = _cn_number(m.group(4))
        return (6 if m.group(3) == "初" else 9) + (k or 0), None, fixes
    k = _cn_number(m.group(2))
    if k is None:
        return None, "unknown_label", fixes
    return (k + 6 if m.group(1) in ("初中", "初级中学") and k <= 3 else k), None, fixes


_TERM_CODE = re.compile(r"^(\d{4})-([12])$")
_TERM_YEARS = re.compile(
    r"(\d{4})\s*-\s*(\d{4})\s*(?:学年度|学年)?\s*(?:第?([一二12上下])学期|-?([12]))?"
)
_TERM_SEASON = re.compile(r"(\d{4})\s*年?\s*(秋|春)")


def parse_term(cell: Any) -> Result:
    """A term as ``YYYY-1`` (autumn of YYYY) or ``YYYY-2`` (spring of YYYY+1); see the module."""
    if is_blank(cell):
        return None, None, ()
    text, fixes = cell_text(cell)
    term = find_term(text)
    return (term, None, fixes) if term else (None, "bad_term", fixes)


def find_term(text: str) -> str | None:
    """The term a text names (a cell, a file name, a title row), or None.

    ``"2024-2025学年第一学期"`` -> ``"2024-1"``; ``"2025年春季"`` -> ``"2024-2"``;
    ``"S01_2024-1_留守儿童情况.xlsx"`` -> ``"2024-1"``.
    """
    text = DASHES.sub("-", unicodedata.normalize("NFKC", str(text)))
    m = _TERM_CODE.match(text.strip())
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    for m in _TERM_YEARS.finditer(text):
        y1, y2 = int(m.group(1)), int(m.group(2))
        sem = m.group(3) or m.group(4)
        if y2 == y1 + 1 and sem:
            return f"{y1}-{1 if sem in ('一', '1', '上') else 2}"
    m = _TERM_SEASON.search(text)
    if m:
        year = int(m.group(1))
        return f"{year}-1" if m.group(2) == "秋" else f"{year - 1}-2"
    m = re.search(r"(?:^|[^\d])(\d{4})-([12])(?:$|[^\d])", text)
    if m:
        return f"{m.group(1)}-{m.group(2)}"
    return None


def parse_year(cell: Any) -> Result:
    """An academic year: ``2021``, ``2021年``, ``2021学年``, ``2021-2022学年`` -> 2021.

    ``无``, ``-``, ``未实施`` are missing (a destination that has not adopted the policy).
    """
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return (int(cell), None, ()) if float(cell).is_integer() else (None, "not_integer", ())
    text, fixes = cell_text(cell)
    if text.lower() in ZERO_WORDS | MISSING_WORDS | NEVER_WORDS:
        return None, None, (*fixes, "missing_word")
    m = re.match(r"^(\d{4})(?:\s*-\s*(\d{4}))?\s*(?:年度|学年度|学年|年)?$", text)
    if not m or (m.group(2) and int(m.group(2)) != int(m.group(1)) + 1):
        return None, "not_a_number", fixes
    return int(m.group(1)), None, fixes


_CLASS_PAREN = re.compile(r"\((\d{1,2}|[一二三四五六七八九十]{1,3})\)")
_CLASS_BAN = re.compile(r"(\d{1,2}|[一二三四五六七八九十]{1,3})班$")
_CLASS_PAIR = re.compile(r"^\d\s*[-.·]\s*(\d{1,2})$")


def parse_class(cell: Any) -> Result:
    """The class number within the grade: ``1``, ``1班``, ``三(1)班``, ``3-1`` -> 1."""
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return (
            (int(cell), None, ())
            if float(cell).is_integer() and cell > 0
            else (None, "class_unparsed", ())
        )
    if isinstance(cell, dt.date):  # Excel turned "3-1" into a date
        return None, "class_unparsed", ()
    text, fixes = cell_text(cell)
    text = text.replace(" ", "")
    for pattern in (_CLASS_PAREN, _CLASS_BAN, _CLASS_PAIR):
        m = pattern.search(text)
        if m:
            k = _cn_number(m.group(1))
            if k:
                return k, None, fixes
    if text.isdigit() and int(text) > 0:
        return int(text), None, fixes
    return None, "class_unparsed", fixes


# --- dates ------------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})\s*[年./\-]\s*(\d{1,2})\s*(?:[月./\-]\s*(?:(\d{1,2})\s*日?)?)?$")


def _check(y: int, m: int | None = None, d: int | None = None) -> int | None:
    try:
        dt.date(y, m or 1, d or 1)
    except ValueError:
        return None
    return y


def parse_birth_year(cell: Any) -> Result:
    """The year of a birth date written any of the ways in the module docstring."""
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, dt.datetime | dt.date):
        return cell.year, None, ()
    if isinstance(cell, bool | dt.time):
        return None, "bad_date", ()
    if isinstance(cell, int | float):
        return _number_date(float(cell))
    text, fixes = cell_text(cell)
    compact = text.replace(" ", "")
    if re.fullmatch(r"\d+(\.0)?", compact):
        year, reason, _ = _number_date(float(compact))
        return year, reason, fixes
    m = _DATE.match(compact)
    if m:
        y = _check(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None)
        return (y, None, fixes) if y else (None, "bad_date", fixes)
    return None, "bad_date", fixes


_YEAR_TEXT = re.compile(r"(\d{4})\s*(?:年|年生|年出生)?")


def parse_year_of_birth(cell: Any) -> Result:
    """A 出生年份 cell: a year (``2013``, ``2013年``) or a date written as text (``2013年5月``,
    ``2013.5.1``), read as the year; a date cell gives its year."""
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, bool | dt.time):
        return None, "not_a_number", ()
    if isinstance(cell, int | float):
        return (int(cell), None, ()) if float(cell).is_integer() else (None, "not_integer", ())
    if isinstance(cell, dt.date):
        return cell.year, None, ()
    text, fixes = cell_text(cell)
    compact = text.replace(" ", "")
    m = _YEAR_TEXT.fullmatch(compact)
    if m:
        return int(m.group(1)), None, fixes
    if _DATE.match(compact):
        return parse_birth_year(cell)
    if compact.lower() in MISSING_WORDS:
        return None, None, (*fixes, "missing_word")
    return None, "not_a_number", fixes


def _number_date(x: float) -> Result:
    """A number in a date column: a year, yyyymm, yyyymmdd, or an Excel serial day."""
    if not x.is_integer() or x <= 0:
        return None, "bad_date", ()
    k = int(x)
    if 1900 <= k <= 2100:
        return k, None, ()
    if 190001 <= k <= 210012:
        y = _check(k // 100, k % 100)
        return (y, None, ()) if y else (None, "bad_date", ())
    if 19000101 <= k <= 21001231:
        y = _check(k // 10000, k // 100 % 100, k % 100)
        return (y, None, ()) if y else (None, "bad_date", ())
    if k < 73051:  # Excel serial up to 2099-12-31
        return (_EXCEL_EPOCH + dt.timedelta(days=k)).year, None, ("excel_serial",)
    return None, "bad_date", ()
