"""Cell values as schools write them, read into the codebook's values.

Every parser here takes **one** cell (``str``, ``int``, ``float``, ``datetime.date``,
``datetime.datetime`` or ``None``, as :mod:`lbc_eval.ingest.read` delivers them) and returns
``(value, reason, fixes)``: the value in codebook form (``None`` = missing), a reason code when
the cell cannot be read (see :mod:`lbc_eval.ingest.validate` for the table of codes), and the
routine fixes it took (``fullwidth``, ``whitespace``, ``zero_word`` …), which are counted, not
listed. :func:`apply` runs a parser over a column by parsing each *distinct* cell once, so a
column of 30,000 cells with 40 distinct values costs 40 calls.

What is read (after NFKC, which folds full-width digits, letters and brackets):

- numbers: ``3``, ``3.0``, ``３``, ``1,000``, ``3次``, ``2小时``, ``500元`` (a unit after the
  number is dropped); in the support counts (unit "times per term", "hours per term", "yuan")
  ``无``, ``-``, ``—``, ``/``, ``没有`` and a blank cell are 0; in other numbers they, and
  ``缺考``, ``缺测``, ``NA``, are missing; shares take ``95.7%`` and ``95.7`` as 0.957 (a bare
  ``95.7`` subject to the rule for shares below);
- yes/no: ``是/否``, ``有/无``, ``Y/N``, ``√/×``, ``1/0``, ``住校/走读``, Excel TRUE/FALSE;
- categories: any spelling the codebook lists for a level (``父母均外出``, ``祖辈``, ``男`` …),
  case and white space ignored;
- grades: ``3``, ``三年级``, ``3年级``, ``初一`` (7), ``七年级``, ``初中二年级`` (8);
- terms: ``2024-1``, ``2024-2025学年第一学期``, ``2024—2025学年度上学期``, ``2024-2025-1``,
  ``2024年秋季学期`` (``2024-1``), ``2025年春季`` (``2024-2``);
- dates (birth dates, reduced to the year): ``2012.3.5``, ``2012-03-05``, ``2012/3/5``,
  ``2012年3月5日``, ``20120305``, ``2012.03`` and ``201203`` (year and month), ``2012``, an
  Excel date cell or serial number; a birth-year column takes ``2012``, ``2012年`` and those dates;
- class: ``1``, ``01``, ``1班``, ``三(1)班``, ``3（1）班``, ``三年级1班``, ``3-1``, ``(一)班``;
- identifiers: NFKC, no white space, upper case; a number cell is read as its digits, but one of
  more than 15 digits has lost digits in Excel and is refused.

Shares (``attendance``, ``trained_share``): ``95.7%`` is always 0.957 and a bare number in
[0, 1] is a share. A bare number in (1, 100] is a percentage only when the column's other values
are written as percentages (more than half of them above 1 or with ``%``). :func:`parse_number`
sees one cell and reads a bare ``95.7`` as 0.957; the column's rule is then applied by
:func:`lbc_eval.ingest.validate.validate_table` (``share_ambiguous`` where it fails).

A workbook cell whose value cannot be known — a formula saved without its result (a file
written by a program and never opened in Excel) or an error such as ``#DIV/0!`` — is read as an
:class:`Unreadable` marker: :func:`is_blank` treats it as blank when deciding whether a row is
blank, and :func:`apply` gives it no value and its reason (``formula_no_value``,
``cell_error``), never 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.ids import normalise_number

Result = tuple[Any, str | None, tuple[str, ...]]
Parser = Callable[[Any], Result]

DASHES = re.compile("[\u2010-\u2015\u2212\u2500\u2501\u30fc~\u301c]")
_SPACE = re.compile(r"\s+")
ZERO_WORDS = frozenset({"无", "-", "--", "/", "没有", "无次", "未", "0次", "零", "nil", "none"})
MISSING_WORDS = frozenset(
    {"na", "n/a", "null", "nan", "缺", "缺考", "缺测", "未测", "未考", "无成绩", "不详", "空"}
)
NEVER_WORDS = frozenset({"未实施", "尚未实施", "未", "否", "never"})
_NUMBER = re.compile(
    r"^(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*"
    r"(?P<unit>次|小时|个小时|h|hr|时|元|块|块钱|分|人次|人|%|个)?$"
)
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_TRUE = frozenset(
    {"是", "有", "y", "yes", "true", "1", "√", "✓", "✔", "对", "是的", "住校", "寄宿"}
)
_FALSE = frozenset(
    {"否", "无", "n", "no", "false", "0", "×", "✗", "✘", "x", "不是", "没有", "走读"}
)


@dataclass(frozen=True)
class Unreadable:
    """A workbook cell whose value cannot be known (see the module docstring).

    Attributes
    ----------
    reason : str
        ``formula_no_value`` (a formula without a stored result) or ``cell_error`` (``#N/A``,
        ``#DIV/0!`` …).
    text : str
        The error as Excel shows it, or the empty string.
    """

    reason: str
    text: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Parsed:
    """One column read by :func:`apply`.

    Attributes
    ----------
    values : numpy object array
        The values in codebook form, ``None`` where missing or unreadable.
    reasons : numpy object array
        A reason code where the cell could not be read, else ``None``.
    fixes : Counter
        Fix code -> number of cells fixed that way.
    """

    values: np.ndarray
    reasons: np.ndarray
    fixes: Counter[str]


def apply(cells: np.ndarray | pd.Series, parser: Parser) -> Parsed:
    """Run ``parser`` over a column, once per distinct cell value.

    Parameters
    ----------
    cells : array-like of objects
        The column's cells as read from the file.
    parser : callable
        One of this module's ``parse_*`` functions (or a partial of one).

    Returns
    -------
    Parsed
    """
    arr = np.asarray(cells, dtype=object)
    n = len(arr)
    if n == 0:
        empty = np.empty(0, dtype=object)
        return Parsed(empty, empty.copy(), Counter())
    codes, uniques = pd.factorize(arr, use_na_sentinel=False)
    results = [(None, u.reason, ()) if isinstance(u, Unreadable) else parser(u) for u in uniques]
    values = np.empty(len(results), dtype=object)
    reasons = np.empty(len(results), dtype=object)
    for i, (v, r, _) in enumerate(results):
        values[i], reasons[i] = v, r
    fixes: Counter[str] = Counter()
    counts = np.bincount(codes, minlength=len(results))
    for (_, _, fx), k in zip(results, counts, strict=True):
        for f in fx:
            fixes[f] += int(k)
    return Parsed(values[codes], reasons[codes], fixes)


# --- text ---------------------------------------------------------------------------------------


def is_blank(cell: Any) -> bool:
    """True for ``None``, NaN, cells holding only white space and :class:`Unreadable` cells."""
    if cell is None or isinstance(cell, Unreadable):
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    if isinstance(cell, str):
        return not cell.strip()
    return False


def cell_text(cell: Any) -> tuple[str, tuple[str, ...]]:
    """The text of a cell: NFKC, dashes unified, white space trimmed and collapsed.

    Numbers give their shortest form (``3.0`` -> ``"3"``), dates their ISO form. The fixes are
    ``fullwidth`` (NFKC changed a character) and ``whitespace`` (spaces were trimmed).
    """
    if is_blank(cell):
        return "", ()
    if isinstance(cell, bool):
        return ("TRUE" if cell else "FALSE"), ()
    if isinstance(cell, int):
        return str(cell), ()
    if isinstance(cell, float):
        return (str(int(cell)) if cell.is_integer() else repr(cell)), ()
    if isinstance(cell, dt.datetime):
        return (cell.date().isoformat() if cell.time() == dt.time() else cell.isoformat()), ()
    if isinstance(cell, dt.date | dt.time):
        return cell.isoformat(), ()
    raw = str(cell)
    text = unicodedata.normalize("NFKC", raw)
    fixes: list[str] = []
    if _SPACE.sub("", text) != _SPACE.sub("", raw):
        fixes.append("fullwidth")
    text = DASHES.sub("-", text)
    stripped = _SPACE.sub(" ", text.strip())
    if stripped != text.strip() or text != text.strip():
        fixes.append("whitespace")
    return stripped, tuple(fixes)


def label_key(text: str) -> str:
    """Key for matching labels: NFKC, no white space, lower case."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text)).lower()


def parse_text(cell: Any) -> Result:
    """Free text or a code (school, destination, township): trimmed NFKC text."""
    text, fixes = cell_text(cell)
    return (text or None), None, fixes


# --- free text: codes and names -----------------------------------------------------------------

#: A code such as ``S01``, ``T-03``, ``D10`` or a 10-digit school code: letters, then digits.
CODE = re.compile(r"[A-Za-z]{0,4}[-_]?\d{1,10}")
_CJK = r"[\u3400-\u9fff]"
#: A township's name: Chinese characters ending in 镇, 乡, 街道, 办事处 or 苏木 (no spaces).
TOWNSHIP_NAME = re.compile(rf"{_CJK}{{1,12}}(?:镇|乡|街道|街道办事处|办事处|苏木)")
#: A school's name: Chinese characters, Latin letters, digits and brackets, ending as schools'
#: names end (学校, 小学, 中学, 教学点 …, then perhaps a campus in brackets), no spaces and no
#: run of five digits.
SCHOOL_NAME = re.compile(
    rf"(?=.{{2,30}}$)(?!.*\d{{5}})(?:{_CJK}|[A-Za-z0-9()（）·])+"
    r"(?:学校|小学|中学|学|校|教学点|校区|分校|学区|完小|小|中)"
    rf"(?:[(（](?:{_CJK}|[A-Za-z0-9]){{1,10}}[)）])?"
)


def is_code(text: str) -> bool:
    """True for a code (:data:`CODE`)."""
    return bool(CODE.fullmatch(text))


def is_township(text: str) -> bool:
    """True for a township's code or name (:data:`CODE`, :data:`TOWNSHIP_NAME`)."""
    return bool(CODE.fullmatch(text) or TOWNSHIP_NAME.fullmatch(text))


def is_school(text: str) -> bool:
    """True for a school's code or name (:data:`CODE`, :data:`SCHOOL_NAME`)."""
    return bool(CODE.fullmatch(text) or SCHOOL_NAME.fullmatch(text))


# --- numbers ------------------------------------------------------------------------------------


def parse_number(
    cell: Any,
    *,
    integer: bool,
    zero_words: bool = False,
    blank_zero: bool = False,
    share: bool = False,
) -> Result:
    """A count, amount, score or share.

    Parameters
    ----------
    cell : object
        One cell.
    integer : bool
        The codebook column is an integer: ``3.5`` is ``not_integer``.
    zero_words : bool
        A count: ``无``, ``-`` … are 0 (fix ``zero_word``). Otherwise they, and ``缺考`` …,
        are missing (fix ``missing_word``).
    blank_zero : bool
        A support count of the term: a blank cell is 0 too (fix ``blank_as_zero``).
    share : bool
        A share in [0, 1]: ``95.7%`` and ``95.7`` are read as 0.957 (fix ``percent``); whether
        a bare ``95.7`` may be read so is decided for the column (see the module docstring).
    """
    if is_blank(cell):
        return (0, None, ("blank_as_zero",)) if blank_zero else (None, None, ())
    if isinstance(cell, bool | dt.date | dt.time):
        return None, "not_a_number", ()
    fixes: tuple[str, ...] = ()
    if isinstance(cell, int | float):
        value = float(cell)
        if math.isinf(value):
            return None, "not_a_number", ()
    else:
        text, fixes = cell_text(cell)
        low = text.lower()
        if low in ZERO_WORDS or text in ZERO_WORDS:
            if zero_words:
                return 0, None, (*fixes, "zero_word")
            return None, None, (*fixes, "missing_word")
        if low in MISSING_WORDS:
            return None, None, (*fixes, "missing_word")
        if _THOUSANDS.match(text):
            text = text.replace(",", "")
        m = _NUMBER.match(text.replace(" ", ""))
        if not m:
            return None, "not_a_number", fixes
        value = float(m.group("num"))
        unit = m.group("unit")
        if unit == "%":
            if not share:
                return None, "not_a_number", fixes
            return round(value / 100, 10), None, (*fixes, "percent")
        if unit:
            fixes = (*fixes, "unit_in_cell")
    if share and 1 < value <= 100:  # the column's rule may still refuse it (module docstring)
        return round(value / 100, 10), None, (*fixes, "percent")
    if integer:
        if not value.is_integer():
            return None, "not_integer", fixes
        return int(value), None, fixes
    return value, None, fixes


# --- yes/no and categories ----------------------------------------------------------------------


def parse_bool(cell: Any) -> Result:
    """``是/否`` and the other spellings of yes and no (module docstring)."""
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, int | float) and not isinstance(cell, bool) and cell in (0, 1):
        return bool(cell), None, ()
    text, fixes = cell_text(cell)
    key = label_key(text)
    if key in _TRUE:
        return True, None, fixes
    if key in _FALSE:
        return False, None, fixes
    return None, "unknown_label", fixes


def category_parser(levels: dict[str, tuple[str, ...]]) -> Parser:
    """A parser for a category column with the codebook's ``levels``."""
    lookup: dict[str, str] = {}
    for name, spellings in levels.items():
        for s in (name, *spellings):
            lookup.setdefault(label_key(s), name)

    def parse_category(cell: Any) -> Result:
        if is_blank(cell):
            return None, None, ()
        text, fixes = cell_text(cell)
        hit = lookup.get(label_key(text))
        return (hit, None, fixes) if hit is not None else (None, "unknown_label", fixes)

    return parse_category


# --- identifiers --------------------------------------------------------------------------------


def parse_identifier(cell: Any) -> Result:
    """A student number or resident ID as text (NFKC, no spaces, upper case).

    A number cell of more than 15 digits has been rounded by Excel (it keeps 15 significant
    digits) and gives ``id_precision_lost``; format the column as text and type it again.
    """
    if is_blank(cell):
        return None, None, ()
    if isinstance(cell, bool | dt.date | dt.time):
        return None, "id_format", ()
    if isinstance(cell, int | float):
        if isinstance(cell, float) and not cell.is_integer():
            return None, "id_format", ()
        if abs(cell) >= 1e15 and not isinstance(cell, int):
            return None, "id_precision_lost", ()
        return str(int(cell)), None, ()
    text, fixes = cell_text(cell)
    if re.fullmatch(r"\d(\.\d+)?[eE]\+?\d+", text):  # scientific notation typed or pasted
        return None, "id_precision_lost", fixes
    return normalise_number(text), None, fixes
