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
school_unknown         quarantine  a survey's school is not in a column, the call, the file
                                   name or the title rows
term_unknown           quarantine  a survey's term is not in a column, the call, the file name
                                   or the title rows
unknown_column         warning     a header the codebook does not know; its cells are not read
duplicate_column       warning     a second column for the same codebook column; not read
sheet_skipped          warning     a sheet without a table, in a workbook that has one
school_no_record       warning     a surveyed school has no training record: no township
footer_row             quarantine  totals, signatures or notes below the table
repeated_header        quarantine  the header repeated inside the data (printed page breaks)
missing_value          quarantine  a required value is blank (or cannot be derived)
not_a_number           quarantine  text where a number belongs
not_integer            quarantine  a fraction where a whole number belongs
out_of_range           quarantine  a number outside the codebook's range
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
destination_unknown    warning     a destination not in the destinations table: kept as written
score_unstandardised   warning     raw marks in a grade and term with fewer than two children (or
                                   all equal): the score is set missing
=====================  ==========  =============================================================

The ``id_*`` codes are warnings, not quarantine, for a resident ID that is not the identifier
the pseudonym is made from (the student number is): the ID is then ignored. With
``on_invalid="set_missing"`` the value codes (``not_a_number`` … ``bad_date``) of optional
columns are warnings too and the value is set missing.

Fixes counted: ``fullwidth``, ``whitespace``, ``zero_word`` (无, -), ``blank_as_zero``,
``missing_word`` (缺考, NA), ``percent``, ``unit_in_cell`` (3次), ``excel_serial``,
``sex_from_id``, ``birth_year_from_id``, ``student_no_from_id`` (no student number: ``G`` + the
resident ID, the national student number's form), ``student_no_prefixed`` (a bare resident ID in
the student-number column), ``township_from_schools``, ``score_standardised``.

Values in problems are masked when they could identify a child (see :func:`mask_values`).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from lbc_eval.data import codebook

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
    "school_unknown": _Q,
    "term_unknown": _Q,
    "unknown_column": _W,
    "duplicate_column": _W,
    "sheet_skipped": _W,
    "school_no_record": _W,
    "footer_row": _Q,
    "repeated_header": _Q,
    "missing_value": _Q,
    "not_a_number": _Q,
    "not_integer": _Q,
    "out_of_range": _Q,
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
_IDENTIFYING = frozenset({c.name for c in codebook.columns("form")} | {"student_id", "student_no"})
_LONG_DIGITS = re.compile(r"\d{7,}")
_SAFE = re.compile(r"^[\d\s.,:;%+\-/()#]*$")
_CODE = re.compile(r"[A-Za-z]{0,3}[\-_]?\d[\d\-_.]{0,8}")


@dataclass
class Problems:
    """Every problem found, in the order found, and the counts of routine fixes.

    ``records`` hold raw values until :meth:`frame` masks them; they never leave the object
    unmasked.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    fixes: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    def add(
        self,
        reason: str,
        message: str,
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

    def frame(self) -> pd.DataFrame:
        """All problems as a table with :data:`COLUMNS`, values masked, in a stable order."""
        if not self.records:
            out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
            return out.astype({"row": "Int64"})
        frame = pd.DataFrame.from_records(self.records)
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
    resident IDs, birth dates, phones, addresses), any value with a run of seven or more digits
    (a phone or ID typed in the wrong column), and free text that is not a spelling the codebook
    knows unless it was seen for at least :data:`MIN_CHILDREN_SHOWN` different children (a
    guardian's name typed under 监护人 is hidden; a common misspelling of a label is shown).
    Numbers, dates, terms and short codes are shown as written.
    """
    known = _known_spellings()
    text = pd.Series(
        [_shown(v) for v in values],
        index=values.index,
        dtype=object,
    )
    pairs = pd.DataFrame({"c": columns.astype(str), "v": text, "k": children.astype(str)})
    spread = pairs.dropna(subset=["v"]).groupby(["c", "v"])["k"].nunique()
    out = []
    for col, v in zip(columns, text, strict=True):
        if v is None or v == "":
            out.append(v)
        elif col in _IDENTIFYING or _LONG_DIGITS.search(v):
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
    return str(v).strip()[:40]


def _known_spellings() -> frozenset[str]:
    words = set()
    for table in codebook.TABLES:
        for c in codebook.columns(table):
            for name, spellings in c.levels.items():
                words.update((name, *spellings))
    words.update(("是", "否", "有", "无", "-"))
    return frozenset(words)


def looks_identifying(text: str) -> bool:
    """True when a header or title could hold a child's data (a long digit run)."""
    return bool(_LONG_DIGITS.search(text))
