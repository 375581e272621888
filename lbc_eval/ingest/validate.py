"""Rules: each table's cells read, checked, and every problem recorded in one pass.

:func:`validate_table` takes a :class:`~lbc_eval.ingest.read.Table` and returns a
:class:`Part`: the rows in codebook form with internal columns ``_file, _sheet, _row`` (where
each came from) and ``_bad`` (the row goes to quarantine). Problems are added to a
:class:`~lbc_eval.ingest.problems.Problems` with file, sheet, row, cell, column and reason
(the codes are listed in :mod:`lbc_eval.ingest.problems`).

Checks, all collected before anything is decided:

- required columns present (file level: a survey needs a student number or a resident ID,
  a grade and a left-behind status; the bureau's tables their codebook-required columns);
- every cell readable as its codebook type (:mod:`lbc_eval.ingest.values`), numbers within the
  codebook's range, categories among its levels;
- identifiers valid and consistent (:mod:`lbc_eval.ingest.identity`); sex and birth year as
  written agree with the resident ID, and are derived from it when blank;
- grade consistent with the birth year: age on 1 September of the school year minus grade in
  [3, 10] (children normally start grade 1 at 6);
- required values present: student, school, term, grade, sex, birth year, left-behind status.

Scores: a survey's ``math`` or ``chinese`` column whose median absolute value is above 6
holds raw marks, not standardised scores; it is checked against [0, 150] and standardised
within grade and term when the terms are stacked (:mod:`lbc_eval.ingest.link`).

Shares (``attendance``, ``trained_share``; codebook range [0, 1]), cell by cell:

- written with ``%`` (``95.7%``): a percentage, divided by 100 (fix ``percent``);
- a bare number in [0, 1]: a share, as written;
- a bare number in (1, 100]: a percentage (divided by 100, fix ``percent``) only when the
  column's *other* numeric cells are mostly percentages — more than half of them written with
  ``%`` or above 1; otherwise ``share_ambiguous`` (``1.5`` among shares, or alone: 1.5 % or
  150 %?), quarantined (with ``on_invalid="set_missing"``: set missing with a warning);
- anything below 0 or above 100 (and ``120%``) is ``out_of_range``.

Cells a workbook cannot give a value for (a formula saved without its result, an error such as
``#DIV/0!``) are warnings ``formula_no_value`` and ``cell_error`` naming the cell: the value is
missing, never 0 (a blank support count is 0, such a cell is not). A required value left missing
that way is then ``missing_value``.

The school of a survey row (from its 学校 cell, the call, the file name or a title row) must be a
code (``S01``, a 10-digit school code) or a school's name (``…小学``, ``…中学``, no spaces, no
run of five digits); anything else — a village and a family name, a phone number — is
quarantined (``free_text_unmatched``): it is the key of the row and is never stored as typed.
A blank form (a header and no rows) gives no rows and no problem.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.data import codebook
from lbc_eval.data.messages import Text, join, msg
from lbc_eval.ingest.header import Table, cell_ref
from lbc_eval.ingest.identity import identify
from lbc_eval.ingest.messages import (
    AGE_MINUS_GRADE,
    KIND_TABLE,
    codebook_column,
    message,
    missing_message,
    required_columns,
    unknown_message,
)
from lbc_eval.ingest.parsers import parser_for
from lbc_eval.ingest.problems import REASONS, Problems
from lbc_eval.ingest.values import apply, cell_text, is_school, parse_number

OnInvalid = Literal["quarantine", "set_missing"]
RAW_SCORE_RANGE = (0.0, 150.0)
_REQUIRED_BY_ROW = ("term", "school_id", "grade", "sex", "birth_year", "lb_status")
_VALUE_CODES = frozenset(
    {
        "not_a_number",
        "not_integer",
        "out_of_range",
        "share_ambiguous",
        "unknown_label",
        "bad_date",
        "bad_term",
    }
)
_UNREADABLE_CODES = ("formula_no_value", "cell_error")


@dataclass(frozen=True)
class Options:
    """What every table is validated with (see :func:`lbc_eval.ingest.ingest`)."""

    key: bytes = field(repr=False)
    on_invalid: OnInvalid = "quarantine"
    allow_synthetic_ids: bool = True


@dataclass
class Part:
    """One table's rows in codebook form, and what link needs to know about them."""

    kind: str
    file: str
    sheet: str | None
    frame: pd.DataFrame
    raw_scores: list[str] = field(default_factory=list)


class _Rows:
    """Collects the problems of one table and flags rows for quarantine."""

    def __init__(self, table: Table, file: str, problems: Problems, opts: Options) -> None:
        self.table, self.file, self.problems, self.opts = table, file, problems, opts
        self.name = KIND_TABLE[table.kind]
        self.rows = np.array([r for r, _ in table.data], dtype=np.int64)
        self.bad = np.zeros(len(self.rows), dtype=bool)
        self.children: np.ndarray = np.full(len(self.rows), None, dtype=object)

    def flag(
        self,
        idx: np.ndarray | list[int],
        column: str,
        reason: str,
        *,
        severity: str = "",
        raw: np.ndarray | None = None,
        extra: Text | None = None,
        text: Any = None,
    ) -> None:
        sev = severity or REASONS.get(reason, "quarantine")
        j = self.table.columns.get(column)
        said = text if text is not None else message(reason, column, self.name, extra)
        for i in np.asarray(idx, dtype=np.int64):
            row = int(self.rows[i])
            self.problems.add(
                reason,
                said,
                file=self.file,
                sheet=self.table.sheet,
                row=row,
                cell=cell_ref(row, j) if j is not None else None,
                column=column,
                header=self.table.headers.get(column),
                value=None if raw is None else raw[i],
                severity=sev,  # type: ignore[arg-type]
                child=self.children[i],
            )
            if sev == "quarantine":
                self.bad[i] = True


def validate_table(
    table: Table,
    file: str,
    problems: Problems,
    opts: Options,
    *,
    school: str | None = None,
    term: str | None = None,
) -> Part:
    """Read and check every cell of a table; see the module docstring.

    Parameters
    ----------
    table : Table
        From :func:`lbc_eval.ingest.read.find_tables`.
    file : str
        The file's name in reports.
    problems : Problems
        Where problems are recorded.
    opts : Options
    school, term : str, optional
        The survey's school and term from outside its rows (the call, the file name or the
        title rows); a 学校 or 学期 column, where filled in, takes precedence.

    Returns
    -------
    Part
    """
    rows = _Rows(table, file, problems, opts)
    if not len(rows.rows):  # a blank form: a header and no rows
        return Part(table.kind, file, table.sheet, _frame(rows, {}), [])
    raw = _raw_columns(table, len(rows.rows))
    missing = _missing_columns(table, raw, school=school, term=term)
    if missing:
        _flag_missing(rows, table, missing)
        return Part(table.kind, file, table.sheet, _frame(rows, {}), [])
    values, reasons = _parse(rows, raw, problems)
    raw_scores: list[str] = []
    if table.kind == "survey":
        _identity(rows, values, reasons, raw, opts)
    for name in values:
        if name in ("student_id", "resident_id"):
            continue
        _shares(rows, name, values, reasons, raw)
        _check_values(rows, name, values, reasons, raw, raw_scores)
    if table.kind == "survey":
        _survey_rules(rows, values, raw, school=school, term=term)
    else:
        for name in (c.name for c in codebook.columns(rows.name) if c.required):
            blank = np.flatnonzero(pd.isna(values[name].astype(object)) & ~rows.bad)
            rows.flag(blank, name, "missing_value")
    values.pop("resident_id", None)
    values.pop("birth_date", None)
    return Part(table.kind, file, table.sheet, _frame(rows, values), raw_scores)


def _raw_columns(table: Table, n: int) -> dict[str, np.ndarray]:
    """The table's cells as written, one object array per canonical column."""
    cells = (
        np.array([c for _, c in table.data], dtype=object).reshape(n, len(table.columns))
        if n
        else np.empty((0, len(table.columns)), dtype=object)
    )
    return {name: cells[:, k] for k, name in enumerate(table.columns)}


def _missing_columns(
    table: Table, raw: dict[str, np.ndarray], *, school: str | None, term: str | None
) -> list[tuple[str, ...]]:
    """Required columns (groups of alternatives) the table lacks; a survey also needs its
    school and term, from a column or from outside its rows."""
    missing = [g for g in required_columns(table.kind) if not any(c in raw for c in g)]
    if table.kind == "survey":
        if "school_id" not in raw and school is None:
            missing.append(("school_id",))
        if "term" not in raw and term is None:
            missing.append(("term",))
    return missing


def _flag_missing(rows: _Rows, table: Table, missing: list[tuple[str, ...]]) -> None:
    """Quarantine every row of a table that lacks a required column, saying which."""
    n = len(rows.rows)
    for group in missing:
        reason = {"school_id": "school_unknown", "term": "term_unknown"}.get(
            group[0], "missing_column"
        )
        msg = (
            missing_message(group, table.kind, table.header_rows[-1])
            if reason == "missing_column"
            else unknown_message(group[0])
        )
        rows.flag(np.arange(n), group[0], reason, text=msg)


def _parse(
    rows: _Rows, raw: dict[str, np.ndarray], problems: Problems
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each column parsed with its codebook parser (identifying fields with the form's):
    values, the reason each cell failed (if it did), and the fixes counted."""
    values: dict[str, np.ndarray] = {}
    reasons: dict[str, np.ndarray] = {}
    for name, col_cells in raw.items():
        parsed = apply(
            col_cells,
            parser_for(name, rows.name if name not in ("resident_id", "birth_date") else "form"),
        )
        values[name], reasons[name] = parsed.values, parsed.reasons
        problems.count_fixes(rows.file, name, parsed.fixes)
        for code in _UNREADABLE_CODES:
            idx = np.flatnonzero(parsed.reasons == code)
            if len(idx):
                raw_text = np.array([str(c) for c in col_cells], dtype=object)
                rows.flag(idx, name, code, raw=raw_text, text=msg(f"ingest.{code}"))
                parsed.reasons[idx] = None
                parsed.values[idx] = None
    return values, reasons


def _shares(
    rows: _Rows, name: str, values: dict[str, Any], reasons: dict[str, Any], raw: dict[str, Any]
) -> None:
    """The rule for shares written as bare percentages (module docstring): a bare number in
    (1, 100], read as a percentage cell by cell, is ``share_ambiguous`` unless most of the
    column's other numeric cells are percentages."""
    col = codebook_column(name, rows.name)
    if col is None or col.unit != "share":
        return
    explicit = apply(raw[name], _percent_sign).values.astype(bool)
    as_written = apply(raw[name], functools.partial(parse_number, integer=False)).values
    written = pd.to_numeric(pd.Series(as_written, dtype=object), errors="coerce").to_numpy(float)
    ok = ~pd.isna(values[name].astype(object)) & pd.isna(reasons[name].astype(object))
    pct_style = ok & (explicit | (written > 1))
    bare = ok & ~explicit & (written > 1) & (written <= 100)
    others = int(ok.sum()) - 1  # a bare percentage counts itself out
    mostly = others > 0 and (int(pct_style.sum()) - 1) * 2 > others
    ambiguous = bare & (not mostly)
    k = int(ambiguous.sum())
    if k:
        reasons[name][ambiguous] = "share_ambiguous"
        fixed = (rows.file, name, "percent")
        rows.problems.fixes[fixed] -= k  # counted by the cell parser, undone here
        if rows.problems.fixes[fixed] <= 0:
            del rows.problems.fixes[fixed]


def _percent_sign(cell: Any) -> tuple[bool, None, tuple[str, ...]]:
    return cell_text(cell)[0].endswith("%"), None, ()


def _identity(
    rows: _Rows, values: dict[str, Any], reasons: dict[str, Any], raw: dict[str, Any], opts: Options
) -> None:
    n = len(rows.rows)
    ident = identify(
        values.get("student_id"),
        values.get("resident_id"),
        n,
        key=opts.key,
        student_no_reasons=reasons.get("student_id"),
        resident_id_reasons=reasons.get("resident_id"),
        allow_synthetic=opts.allow_synthetic_ids,
    )
    rows.children = ident.student_id
    rows.problems.count_fixes(rows.file, "student_id", ident.fixes)
    for i, column, reason, severity in ident.issues:
        extra = msg("ingest.id_ignored") if severity == "warning" else None
        rows.flag([i], column, reason, severity=severity, raw=raw.get(column), extra=extra)
    values["student_id"] = ident.student_id
    reasons.pop("student_id", None)
    reasons.pop("resident_id", None)
    values["_id_sex"], values["_id_birth_year"] = ident.id_sex, ident.id_birth_year


def _check_values(
    rows: _Rows,
    name: str,
    values: dict[str, Any],
    reasons: dict[str, Any],
    raw: dict[str, Any],
    raw_scores: list[str],
) -> None:
    if name.startswith("_"):
        return
    table = "form" if name == "birth_date" else rows.name
    col = codebook_column(name, table)
    v, why = values[name], reasons[name].copy()
    lower, upper = (col.lower, col.upper) if col is not None else (None, None)
    if col is not None and col.kind == "int":  # what the column's integer type can hold
        cap = 2 ** (col.bits - 1) - 1
        upper = cap if upper is None else min(upper, cap)
    if name in ("math", "chinese") and rows.table.kind == "survey":
        nums = pd.to_numeric(pd.Series(v, dtype=object), errors="coerce").abs()
        if nums.notna().any() and float(nums.median()) > 6:
            lower, upper = RAW_SCORE_RANGE
            raw_scores.append(name)
    if name == "birth_date":
        lower, upper = codebook.column("birth_year").lower, codebook.column("birth_year").upper
    if lower is not None or upper is not None:
        nums = pd.to_numeric(pd.Series(v, dtype=object), errors="coerce").to_numpy(float)
        out = ((lower is not None) & (nums < (lower if lower is not None else 0))) | (
            (upper is not None) & (nums > (upper if upper is not None else 0))
        )
        why[out & pd.isna(why.astype(object))] = "out_of_range"
    flagged = np.flatnonzero(~pd.isna(why.astype(object)))
    if not len(flagged):
        return
    key = name in ("school_id", "year", "destination_id", "term", "grade") or (
        col is not None and col.required
    )
    soft = rows.opts.on_invalid == "set_missing" and not key
    for reason in pd.unique(why[flagged]):
        idx = flagged[why[flagged] == reason]
        severity = "warning" if soft or REASONS.get(str(reason)) == "warning" else "quarantine"
        extra = msg("ingest.set_missing") if soft and reason in _VALUE_CODES else None
        text = None
        if reason == "share_ambiguous":
            text = join([msg("ingest.share_ambiguous"), *([extra] if extra else [])])
        rows.flag(
            idx, name, str(reason), severity=severity, raw=raw.get(name), extra=extra, text=text
        )
    v[flagged] = None


def _survey_rules(
    rows: _Rows,
    values: dict[str, Any],
    raw: dict[str, Any],
    *,
    school: str | None,
    term: str | None,
) -> None:
    n = len(rows.rows)
    for name, default in (("school_id", school), ("term", term)):
        col = values.get(name, np.full(n, None, dtype=object))
        values[name] = np.where(pd.isna(col.astype(object)), default, col)
    _school_form(rows, values)
    for name, derived, fix in (
        ("sex", "_id_sex", "sex_from_id"),
        ("birth_year", "_id_birth_year", "birth_year_from_id"),
    ):
        stated = values.get(name)
        if name == "birth_year" and stated is None and "birth_date" in values:
            stated = values["birth_date"]
        elif name == "birth_year" and stated is not None and "birth_date" in values:
            stated = np.where(pd.isna(stated.astype(object)), values["birth_date"], stated)
        ids = values[derived]
        if stated is None:
            stated = np.full(n, None, dtype=object)
        has_id, has_stated = ~pd.isna(ids.astype(object)), ~pd.isna(stated.astype(object))
        clash = np.flatnonzero(has_id & has_stated & (ids != stated) & ~rows.bad)
        column = name if name in rows.table.columns else "birth_date"
        rows.flag(clash, column, f"{name}_mismatch", raw=raw.get(column))
        fill = has_id & ~has_stated
        rows.problems.count_fixes(rows.file, name, Counter({fix: int(fill.sum())}))
        values[name] = np.where(has_stated, stated, ids)
    for name in _REQUIRED_BY_ROW:
        blank = np.flatnonzero(pd.isna(values[name].astype(object)) & ~rows.bad)
        rows.flag(blank, name, "missing_value")
    year = pd.Series(values["term"], dtype=object).str[:4]
    age = pd.to_numeric(year, errors="coerce") - pd.to_numeric(
        pd.Series(values["birth_year"], dtype=object), errors="coerce"
    )
    diff = (age - pd.to_numeric(pd.Series(values["grade"], dtype=object))).to_numpy(float)
    odd = (diff < AGE_MINUS_GRADE[0]) | (diff > AGE_MINUS_GRADE[1])
    rows.flag(np.flatnonzero(odd & ~rows.bad), "grade", "grade_age", raw=raw.get("grade"))
    if "class_id" in values:
        values["class_id"] = _class_ids(values, year)
    for k in ("_id_sex", "_id_birth_year"):
        values.pop(k)


def _school_form(rows: _Rows, values: dict[str, Any]) -> None:
    """Quarantine rows whose school is neither a code nor a school's name (module docstring)."""
    school = values["school_id"]
    codes, uniques = pd.factorize(pd.Series(school, dtype=object))
    odd = np.array([not is_school(str(v)) for v in uniques], dtype=bool)
    bad = (codes >= 0) & odd[np.maximum(codes, 0)] if len(odd) else np.zeros(len(codes), bool)
    if bad.any():
        rows.flag(
            np.flatnonzero(bad),
            "school_id",
            "free_text_unmatched",
            severity="quarantine",
            raw=school,
            text=msg("ingest.school_free_text"),
        )
        school[bad] = None


def _class_ids(values: dict[str, Any], year: pd.Series) -> np.ndarray:
    """``{school}-{entry year}-{class:02d}`` where school, term, grade and class are known."""
    entry = pd.to_numeric(year, errors="coerce") - pd.to_numeric(
        pd.Series(values["grade"], dtype=object), errors="coerce"
    )
    out = np.full(len(entry), None, dtype=object)
    for i, (school, e, number) in enumerate(
        zip(values["school_id"], entry + 1, values["class_id"], strict=True)
    ):
        if not (pd.isna(school) or pd.isna(e) or pd.isna(number)):
            out[i] = f"{school}-{int(e)}-{int(number):02d}"
    return out


def _frame(rows: _Rows, values: dict[str, np.ndarray]) -> pd.DataFrame:
    index = pd.RangeIndex(len(rows.rows))
    frame = pd.DataFrame({k: v for k, v in values.items() if not k.startswith("_")}, index=index)
    frame["_file"] = rows.file
    frame["_sheet"] = rows.table.sheet
    frame["_row"] = rows.rows
    frame["_bad"] = rows.bad
    return frame
