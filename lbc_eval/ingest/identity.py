"""Who a row is about: the identifier, its pseudonym, and what the resident ID tells.

Rules (in this order):

0. Identifiers are unwrapped before anything else: zero-width characters and white space
   anywhere, then a spreadsheet's text wrappers ``="…"`` (a CSV cell written so Excel keeps it
   as text) and leading apostrophes ``'…`` are removed (fix ``id_unwrapped``), so
   ``="G99…"`` in a CSV and ``G99…`` in a workbook give the same pseudonym.
1. A student number (学籍号) is the identifier. The national student number of a child with a
   resident ID is ``G`` followed by the ID, so a number of that form must carry a valid ID
   (``id_*`` codes otherwise); an 18-character resident ID written in the student-number column
   is read as that number (fix ``student_no_prefixed``). Other numbers (``L…``, ``J…``, a
   school's own numbering) are taken as written.
2. Without a student number, a valid resident ID gives the number ``G`` + ID (fix
   ``student_no_from_id``), so the same child gets the same pseudonym in forms that have one,
   the other, or both.
3. A resident ID that is not the identifier and is invalid is ignored (a warning with its
   ``id_*`` code); one that is valid but differs from the student number's ID part is
   ``id_mismatch`` (one of the two belongs to someone else).
4. ``student_id = HMAC-SHA-256(key, number)`` (16 hex, :func:`lbc_eval.data.ids.pseudonymise`);
   sex and birth year are read from the valid resident ID (or the ID part of the student
   number). The numbers themselves go no further than this module.
5. 学号 (and 班内学号, 班级学号, 学生学号: :data:`ROLL_NUMBER_HEADERS`) is a class roll number —
   1, 2, 3 … within one class — not the 学籍号: the codebook does not map it to any column, so
   its cells are never read and never link children. The column is reported as
   ``roll_number_ignored`` (warning); in a survey with no 学籍号 or 身份证号 column every row is
   also quarantined as ``roll_number_only`` (:func:`flag_roll_numbers`), unless the user says that
   a file's 学号 is its children's own student number (``student_no_header=``,
   :func:`map_student_no`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lbc_eval.data.codebook import match_header, normalise_header
from lbc_eval.data.ids import pseudonymise, resident_id_problem
from lbc_eval.data.messages import join, msg
from lbc_eval.ingest.problems import REASONS

_ID_CHARS = re.compile(r"[0-9X]+")
_BARE_ID = re.compile(r"\d{17}[\dX]")
#: Characters that do not show: zero-width spaces and joiners, direction marks, BOM, soft hyphen.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\\s]+")
_FORMULA = re.compile(r'^=+"(.*)"$')
_APOSTROPHES = "'\u2018\u2019`"


@dataclass
class Identity:
    """The outcome of :func:`identify` for each row.

    Attributes
    ----------
    student_id : numpy object array
        Pseudonyms, ``None`` where the row has no usable identifier.
    id_sex, id_birth_year : numpy object arrays
        Sex and birth year from a valid resident ID, ``None`` where there is none.
    issues : list of (index, column, reason, severity)
        Problems found, by position in the input arrays.
    fixes : Counter
        ``id_unwrapped``, ``student_no_from_id`` and ``student_no_prefixed`` counts.
    """

    student_id: np.ndarray
    id_sex: np.ndarray
    id_birth_year: np.ndarray
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    fixes: Counter[str] = field(default_factory=Counter)


def identify(
    student_no: np.ndarray | None,
    resident_id: np.ndarray | None,
    n: int,
    *,
    key: bytes,
    student_no_reasons: np.ndarray | None = None,
    resident_id_reasons: np.ndarray | None = None,
    allow_synthetic: bool = True,
) -> Identity:
    """Resolve each row's identifier and pseudonymise it (rules in the module docstring).

    Parameters
    ----------
    student_no, resident_id : object arrays or None
        Normalised numbers (``None`` = blank), or None when the form has no such column.
    n : int
        Number of rows.
    key : bytes
        The pseudonymisation key.
    student_no_reasons, resident_id_reasons : object arrays, optional
        Reason codes from reading the cells (``id_precision_lost``, ``id_format``).
    allow_synthetic : bool
        Accept the synthetic province code 99.
    """
    ident = Identity(
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
    )
    numbers: list[str] = []
    where: list[int] = []
    for i in range(n):
        sn = _unwrap(student_no[i] if student_no is not None else None, ident.fixes)
        rid = _unwrap(resident_id[i] if resident_id is not None else None, ident.fixes)
        sn_reason = student_no_reasons[i] if student_no_reasons is not None else None
        rid_reason = resident_id_reasons[i] if resident_id_reasons is not None else None
        if rid is not None or rid_reason is not None:
            rid_reason = rid_reason or resident_id_problem(rid, allow_synthetic=allow_synthetic)
        found = _resolve(i, sn, sn_reason, rid, rid_reason, ident, allow_synthetic)
        if found is None:
            continue
        number, source = found
        numbers.append(number)
        where.append(i)
        if source is not None:
            ident.id_birth_year[i] = int(source[6:10])
            ident.id_sex[i] = "male" if int(source[16]) % 2 else "female"
    if where:
        ident.student_id[np.asarray(where)] = np.asarray(
            pseudonymise(numbers, key, normalise=False), dtype=object
        )
    return ident


def _resolve(
    i: int,
    sn: str | None,
    sn_reason: str | None,
    rid: str | None,
    rid_reason: str | None,
    ident: Identity,
    allow_synthetic: bool,
) -> tuple[str, str | None] | None:
    """The number to pseudonymise and the resident ID it rests on (rules 1-3), or None when
    the row has no usable identifier (the problem recorded in ``ident.issues``)."""
    issues = ident.issues
    has_rid = rid is not None or rid_reason is not None
    if sn is None and sn_reason is None:
        if not has_rid:
            issues.append((i, "student_id", "missing_value", "quarantine"))
            return None
        if rid_reason is not None:
            issues.append((i, "resident_id", rid_reason, "quarantine"))
            return None
        ident.fixes["student_no_from_id"] += 1
        return "G" + str(rid), rid
    body = None
    if sn_reason is None and sn is not None:
        if sn.startswith("G") and _ID_CHARS.fullmatch(sn[1:]):
            body = sn[1:]
            sn_reason = resident_id_problem(body, allow_synthetic=allow_synthetic)
        elif _BARE_ID.fullmatch(sn):
            sn_reason = resident_id_problem(sn, allow_synthetic=allow_synthetic)
            if sn_reason is None:
                body, sn = sn, "G" + sn
                ident.fixes["student_no_prefixed"] += 1
    if sn_reason is not None:
        issues.append((i, "student_id", sn_reason, "quarantine"))
        if rid_reason is not None:
            issues.append((i, "resident_id", rid_reason, "quarantine"))
        return None
    if rid_reason is not None:
        issues.append((i, "resident_id", rid_reason, "warning"))
    elif has_rid and body is not None and body != rid:
        issues.append((i, "resident_id", "id_mismatch", "quarantine"))
        return None
    assert sn is not None
    return sn, (rid if rid_reason is None and rid is not None else body)


def unwrap_identifier(value: str) -> str:
    """An identifier without what spreadsheets wrap it in (rule 0): zero-width characters and
    white space anywhere, ``="…"`` and leading apostrophes removed.

    Examples
    --------
    >>> [unwrap_identifier(v) for v in ('="G990101"', "'G990101", " G99\u200b01 ")]
    ['G990101', 'G990101', 'G9901']
    """
    prev = None
    text = _INVISIBLE.sub("", value)
    while prev != text:
        prev = text
        formula = _FORMULA.fullmatch(text)
        text = formula.group(1) if formula else text.lstrip(_APOSTROPHES)
        text = _INVISIBLE.sub("", text)
    return text


def _unwrap(value: Any, fixes: Counter[str]) -> str | None:
    if value is None:
        return None
    text = unwrap_identifier(str(value))
    if text != value:
        fixes["id_unwrapped"] += 1
    return text.upper() or None


# --- 学号: class roll numbers (rule 5) ---------------------------------------------------------

#: Headers of a class roll number (normalised as the codebook matches headers).
ROLL_NUMBER_HEADERS: frozenset[str] = frozenset({"学号", "班内学号", "班级学号", "学生学号"})


def is_roll_number(header: object) -> bool:
    """True for a header of a class roll number (学号), which is never an identifier."""
    return normalise_header(header) in ROLL_NUMBER_HEADERS


def map_student_no(sheets: Iterable[Any], header: str, search_rows: int) -> int:
    """Read the column headed ``header`` as the student number, where the user said so.

    In each sheet that has no 学籍号 or 身份证号 column (those always win), header cells in the
    first ``search_rows`` rows that read ``header`` are renamed ``学籍号（header）``, which the
    codebook matches as the student number and the manifest shows as written. Returns the
    number of cells renamed.
    """
    wanted = normalise_header(header)
    renamed = 0
    for sheet in sheets:
        top = sheet.rows[:search_rows]
        cells = [(r, j, c) for r, row in enumerate(top) for j, c in enumerate(row)]
        texts = [(r, j, c) for r, j, c in cells if isinstance(c, str) and 0 < len(c) < 40]
        if any(match_header(c) in ("student_id", "resident_id") for _, _, c in texts):
            continue
        for r, j, c in texts:
            if normalise_header(c) == wanted:
                sheet.rows[r][j] = f"学籍号（{c.strip()}）"
                renamed += 1
    return renamed


def flag_roll_numbers(stat: dict[str, Any], records: Iterable[dict[str, Any]]) -> None:
    """Say what a 学号 column of a survey is (rule 5), in the problems of one file.

    ``stat`` is the file's manifest entry (:func:`lbc_eval.ingest.files.read_file`) and
    ``records`` the :attr:`Problems.records <lbc_eval.ingest.problems.Problems>` added while
    reading it (changed in place). A 学号
    header reported as an unknown column becomes ``roll_number_ignored``; where the survey has
    neither a 学籍号 nor a 身份证号 column, the rows quarantined for the missing student-number
    column become ``roll_number_only``.
    """
    for table in stat["tables"]:
        if table["kind"] != "survey" or not any(map(is_roll_number, table["unknown_columns"])):
            continue
        no_id = not {"student_id", "resident_id"} & set(table["columns"])
        for r in records:
            if r["file"] != stat["file"] or r["sheet"] != table["sheet"]:
                continue
            if r["reason"] == "unknown_column" and is_roll_number(r["header"] or ""):
                tail = "ingest.roll_number_no_id" if no_id else "ingest.roll_number_with_id"
                reason = "roll_number_ignored"
                message: Any = join([msg("ingest.roll_number_ignored"), msg(tail)])
            elif no_id and r["reason"] == "missing_column" and r["column"] == "student_id":
                reason, message = "roll_number_only", msg("ingest.roll_number_only")
            else:
                continue
            r.update(reason=reason, message=message, severity=REASONS[reason])
