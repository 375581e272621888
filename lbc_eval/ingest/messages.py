"""Messages of problems: what is wrong and what to do, naming columns and headers, never values."""

from __future__ import annotations

from lbc_eval.data import codebook

#: Age on 1 September minus grade must lie in this range.
AGE_MINUS_GRADE = (3, 10)
KIND_TABLE: dict[str, codebook.Table] = {
    "survey": "panel",
    "schools": "schools",
    "destinations": "destinations",
}


def message(reason: str, name: str, table: codebook.Table, extra: str = "") -> str:
    """The message of a cell problem: what is wrong and what is allowed, never the value."""
    col = codebook_column(name, table)
    what = f"{col.label_zh} ({name})" if col is not None else name
    allowed = col.allowed if col is not None else ""
    text = {
        "missing_value": f"{what} is required but blank",
        "not_a_number": f"{what} must be a number",
        "not_integer": f"{what} must be a whole number",
        "out_of_range": f"{what} must lie in {allowed}",
        "unknown_label": f"{what} must be one of: {allowed}",
        "bad_date": f"{what} is not a date (write it as 2012-03-05)",
        "bad_term": f"{what} is not a term (write 2024-2025学年第一学期 or 2024-1)",
        "class_unparsed": f"{what} cannot be read as a class number (write 1, 1班 or 三(1)班); "
        "class_id is left missing",
        "id_length": f"{what} has the wrong number of characters",
        "id_format": f"{what} is not 17 digits and a digit or X",
        "id_province": f"{what} starts with no province's code",
        "id_birth_date": f"{what} holds no valid birth date",
        "id_checksum": f"{what} has a wrong check character (a typing slip)",
        "id_precision_lost": f"{what} was stored as a number and Excel kept only 15 digits: "
        "format the column as text and type the numbers again",
        "id_mismatch": "the student number's ID part differs from the resident ID",
        "sex_mismatch": "the sex written differs from the one in the resident ID",
        "birth_year_mismatch": "the birth year written differs from the one in the resident ID",
        "grade_age": "the grade does not fit the birth year (age on 1 September minus grade "
        f"outside [{AGE_MINUS_GRADE[0]}, {AGE_MINUS_GRADE[1]}])",
    }.get(reason, f"{what}: {reason}")
    return text + extra


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


def missing_message(group: tuple[str, ...], kind: str, header_row: int) -> str:
    """Which column is missing and the headers that were looked for."""
    table = KIND_TABLE[kind]
    parts = []
    for name in group:
        col = codebook_column(name, table)
        assert col is not None
        heads = "、".join(dict.fromkeys((col.label_zh, *col.aliases)))
        parts.append(f"{col.label_zh} ({name}; headers looked for: {heads})")
    return (
        f"no column for {' or '.join(parts)} in the header (row {header_row}); full-width "
        "forms, spaces and a unit in brackets are tolerated. Add the column or rename its header"
    )


def unknown_message(name: str) -> str:
    if name == "school_id":
        return (
            "the school of this survey is unknown: there is no 学校 column, no school= in the "
            "call, the file name is not {school}_{term}_….xlsx and no title row reads "
            "填报单位：…; name the file that way or pass school={file: id} (--school FILE=ID)"
        )
    return (
        "the term of this survey is unknown: there is no 学期 column, no term= in the call, and "
        "neither the file name nor a title row names one (2024-2025学年第一学期 or 2024-1)"
    )
