"""The codebook: required names, header matching, ambiguity, conform, terms, committed docs."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from lbc_eval import SchemaError
from lbc_eval.data import codebook

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "run `lbc-eval codebook --out docs` and commit the result"

REQUIRED_PANEL = [
    "student_id",
    "school_id",
    "class_id",
    "township",
    "term",
    "grade",
    "sex",
    "birth_year",
    "lb_status",
    "guardian",
    "destination_id",
    "talks",
    "home_visits",
    "activities",
    "parent_contacts",
    "counseling",
    "tutoring_hours",
    "scholarship_yuan",
    "math",
    "chinese",
    "sdq_total",
    "attendance",
    "exit_reason",
]


def test_panel_has_the_canonical_names_notebooks_use():
    missing = [n for n in REQUIRED_PANEL if n not in codebook.names("panel")]
    assert missing == []


def test_every_name_is_snake_case_and_unique_per_table():
    for table in codebook.TABLES:
        names = codebook.names(table)
        assert len(names) == len(set(names)), table
        assert all(n.isidentifier() and n == n.lower() for n in names), table


def test_lb_status_levels_are_exactly_the_four_states():
    assert list(codebook.column("lb_status").levels) == ["none", "father", "mother", "both"]
    levels = ["none", "father", "mother", "both"]
    assert list(codebook.column("lb_status").dtype.categories) == levels


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("学籍号", "student_id"),
        ("学号", None),  # a class roll number, never the student number
        ("全国学籍号", "student_id"),
        (" 谈心次数（次） ", "talks"),  # padding and a full-width unit suffix
        ("谈心次数(次)", "talks"),  # ASCII brackets
        ("ＳＤＱ总分", "sdq_total"),  # full-width letters
        ("sdq总分", "sdq_total"),  # case
        ("家访 次数", "home_visits"),  # white space inside
        ("家访次数", "home_visits"),
        ("留守类型", "lb_status"),
        ("监护人", "guardian"),
        ("学业辅导（小时）", "tutoring_hours"),  # the unit is part of the alias
        ("数学", "math"),
        ("talks", "talks"),  # canonical names match themselves
        ("姓名", "name"),  # the form table
        ("身份证号", "resident_id"),
        ("公民身份号码", "resident_id"),
        ("出生日期", "birth_date"),
        ("备注", None),  # unknown headers
        ("", None),
    ],
)
def test_match_header(header, expected):
    assert codebook.match_header(header) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  谈心次数（次） ", "谈心次数"),
        ("ＳＤＱ总分", "sdq总分"),
        ("家访 次数", "家访次数"),
        ("辅导时长(小时)（次）", "辅导时长"),  # stacked unit suffixes
        ("Student_No", "student_no"),
    ],
)
def test_normalise_header(text, expected):
    assert codebook.normalise_header(text) == expected


def _alias_owners(tables):
    owners = defaultdict(set)
    for t in tables:
        for c in codebook.columns(t):
            for a in (c.name, c.label_zh, *c.aliases):
                owners[codebook.normalise_header(a)].add(c.name)
    return {k: v for k, v in owners.items() if len(v) > 1}


@pytest.mark.parametrize(
    "tables",
    [("panel", "form"), ("panel",), ("schools",), ("destinations",), ("form",), codebook.TABLES],
)
def test_no_header_maps_to_two_columns(tables):
    # Within a table, or across panel + form (which ingest reads together), or anywhere in the
    # codebook (the same name in two tables, e.g. township, is one column), a header must not
    # stand for two different columns: match_header would silently pick one.
    assert _alias_owners(tables) == {}


def test_no_spelling_maps_to_two_levels():
    for table in codebook.TABLES:
        for c in codebook.columns(table):
            seen: dict[str, str] = {}
            for level, spellings in c.levels.items():
                for s in (level, *spellings):
                    assert seen.setdefault(s, level) == level, (c.name, s)


def test_form_fields_are_identifying_and_never_in_the_panel():
    assert all(c.identifying for c in codebook.columns("form"))
    assert not set(codebook.names("form")) & set(codebook.names("panel"))


def test_conform_names_the_missing_required_column():
    frame = codebook.empty("panel").drop(columns=["lb_status", "grade"])
    with pytest.raises(SchemaError, match="panel table lacks required column.*grade, lb_status"):
        codebook.conform(frame, "panel")


def test_conform_orders_types_and_adds_optional_columns():
    frame = codebook.empty("panel").drop(columns=["boarding"])
    frame = frame[list(reversed(frame.columns))].assign(extra=[])
    out = codebook.conform(frame, "panel")
    assert list(out.columns) == [*codebook.names("panel"), "extra"]
    assert out["boarding"].dtype == codebook.column("boarding").dtype
    assert out["lb_status"].dtype == codebook.column("lb_status").dtype


def test_unknown_table_and_column_raise():
    with pytest.raises(SchemaError, match="unknown table 'pupils'"):
        codebook.columns("pupils")  # type: ignore[arg-type]
    with pytest.raises(SchemaError, match="panel has no column 'age'"):
        codebook.column("age")



def test_committed_codebook_markdown_is_current():
    committed = (DOCS / "codebook.md").read_text(encoding="utf-8")
    assert committed == codebook.codebook_markdown(), f"docs/codebook.md is stale: {REGENERATE}"


def test_committed_codebook_csv_is_current(tmp_path):
    csv_path, _ = codebook.write_codebook(tmp_path)
    assert (DOCS / "codebook.csv").read_bytes() == csv_path.read_bytes(), (
        f"docs/codebook.csv is stale: {REGENERATE}"
    )
