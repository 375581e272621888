"""Messages of problems: what is wrong and what to do, naming columns and headers, never values.

The words are in the catalogue (:mod:`lbc_eval.data.messages`, codes ``ingest.*``) in Chinese
and English; the functions here choose the message and its fields and return a
:class:`~lbc_eval.data.messages.Text`, written in the language of the run when the problem
table is made (:meth:`lbc_eval.ingest.problems.Problems.frame`).
"""

from __future__ import annotations

from lbc_eval.data import codebook
from lbc_eval.data.messages import OR, Bi, Joined, Text, join, msg

#: Age on 1 September minus grade must lie in this range.
AGE_MINUS_GRADE = (3, 10)
KIND_TABLE: dict[str, codebook.Table] = {
    "survey": "panel",
    "schools": "schools",
    "destinations": "destinations",
}
#: Reasons of a cell with a message of their own (``ingest.<reason>``); others get
#: ``ingest.other``.
CELL_REASONS = frozenset(
    {
        "missing_value",
        "not_a_number",
        "not_integer",
        "out_of_range",
        "unknown_label",
        "bad_date",
        "bad_term",
        "class_unparsed",
        "id_length",
        "id_format",
        "id_province",
        "id_birth_date",
        "id_checksum",
        "id_precision_lost",
        "id_mismatch",
        "sex_mismatch",
        "birth_year_mismatch",
        "grade_age",
    }
)


#: Columns a school's form names otherwise than the cohort does: the form's 学籍号 becomes the
#: pseudonymous ``student_id``.
INPUT_NAMES: dict[str, tuple[str, str]] = {"student_id": ("学籍号", "student number")}


def column_name(name: str, table: codebook.Table) -> Bi:
    """How a message names a column: its Chinese label, or its English label and name."""
    if name in INPUT_NAMES:
        zh, en = INPUT_NAMES[name]
        return Bi(zh, f"{en} ({name})")
    col = codebook_column(name, table)
    if col is None:
        return Bi(name, name)
    return Bi(col.label_zh, f"{col.label_en} ({name})")


def allowed(col: codebook.Column | None) -> Bi:
    """A column's allowed values or range, in words: 非留守、父亲外出… or 0 到 40 之间."""
    if col is None:
        return Bi("", "")
    if col.levels:
        return Bi("、".join(v[0] for v in col.levels.values()), col.allowed)
    low = None if col.lower is None else _num(col.lower)
    high = None if col.upper is None else _num(col.upper)
    if low is not None and high is not None:
        return Bi(msg("ingest.range", low=low, high=high).render("zh"), col.allowed)
    if low is not None:
        return Bi(msg("ingest.range_low", low=low).render("zh"), col.allowed)
    if high is not None:
        return Bi(msg("ingest.range_high", high=high).render("zh"), col.allowed)
    return Bi("", "")


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def message(
    reason: str, name: str, table: codebook.Table, extra: Text | None = None
) -> Text | Joined:
    """The message of a cell problem: what is wrong and what is allowed, never the value."""
    col = codebook_column(name, table)
    what = column_name(name, table)
    if reason == "grade_age":
        text = msg("ingest.grade_age", low=AGE_MINUS_GRADE[0], high=AGE_MINUS_GRADE[1])
    elif reason in CELL_REASONS:
        text = msg(f"ingest.{reason}", what=what, allowed=allowed(col))
    else:
        text = msg("ingest.other", what=what, reason=reason)
    if extra is None:
        return text
    return join([text, extra])


def codebook_column(name: str, table: codebook.Table) -> codebook.Column | None:
    for t in (table, "form"):
        try:
            return codebook.column(name, t)
        except codebook.SchemaError:
            continue
    return None


def required_columns(kind: str) -> list[tuple[str, ...]]:
    """Column groups a table must have (one of each group); see the module docstring."""
    if kind == "survey":
        return [("student_id", "resident_id"), ("grade",), ("lb_status",)]
    table = KIND_TABLE[kind]
    return [(c.name,) for c in codebook.columns(table) if c.required]


def missing_message(group: tuple[str, ...], kind: str, header_row: int) -> Text:
    """Which column is missing and the headers that were looked for."""
    table = KIND_TABLE[kind]
    parts = []
    for name in group:
        col = codebook_column(name, table)
        assert col is not None
        heads = "、".join(dict.fromkeys((col.label_zh, *col.aliases)))
        label = Bi(*INPUT_NAMES.get(name, (col.label_zh, col.label_en)))
        parts.append(msg("ingest.column_looked_for", label=label, name=name, headers=heads))
    return msg("ingest.missing_column", columns=join(parts, OR), row=header_row)


def unknown_message(name: str) -> Text:
    """The school (``school_id``) or the term of a survey is nowhere to be found."""
    return msg("ingest.school_unknown" if name == "school_id" else "ingest.term_unknown")
