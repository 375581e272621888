"""The cell parser of each codebook column: which function of :mod:`lbc_eval.ingest.values`
or :mod:`lbc_eval.ingest.terms` reads its cells, and with which options."""

from __future__ import annotations

import functools

from lbc_eval.data import codebook
from lbc_eval.ingest.terms import (
    parse_birth_year,
    parse_class,
    parse_grade,
    parse_term,
    parse_year,
    parse_year_of_birth,
)
from lbc_eval.ingest.values import (
    Parser,
    category_parser,
    parse_bool,
    parse_identifier,
    parse_number,
    parse_text,
)

#: Units of the support counts of a term, where a blank cell and 无 mean 0.
ZERO_UNITS = frozenset({"times per term", "hours per term", "yuan"})


@functools.cache
def parser_for(name: str, table: codebook.Table) -> Parser:
    """The cell parser of a codebook column (``table`` "form" for resident ID and birth date)."""
    if name in ("student_id", "resident_id"):
        return parse_identifier
    special = {
        "birth_date": parse_birth_year,
        "birth_year": parse_year_of_birth,
        "class_id": parse_class,
        "term": parse_term,
        "grade": parse_grade,
        "year": parse_year,
        "policy_year": parse_year,
    }
    if name in special:
        return special[name]
    col = codebook.column(name, table)
    if col.kind == "category":
        return category_parser(col.levels)
    if col.kind == "bool":
        return parse_bool
    if col.kind in ("int", "float"):
        support = col.unit in ZERO_UNITS
        return functools.partial(
            parse_number,
            integer=col.kind == "int",
            zero_words=support or (table == "schools" and col.lower == 0),
            blank_zero=support and table == "panel",
            share=col.unit == "share",
        )
    return parse_text
