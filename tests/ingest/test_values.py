"""Cell values as schools write them -> codebook values (lbc_eval.ingest.values and .terms)."""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pytest

from lbc_eval.data import codebook
from lbc_eval.ingest.terms import (
    find_term,
    parse_birth_year,
    parse_class,
    parse_grade,
    parse_term,
    parse_year,
)
from lbc_eval.ingest.values import (
    apply,
    category_parser,
    cell_text,
    parse_bool,
    parse_identifier,
    parse_number,
)

count = functools.partial(parse_number, integer=True, zero_words=True, blank_zero=True)
score = functools.partial(parse_number, integer=False)
share = functools.partial(parse_number, integer=False, share=True)


@pytest.mark.parametrize(
    ("cell", "value", "reason", "fixes"),
    [
        (3, 3, None, ()),
        (3.0, 3, None, ()),
        ("3", 3, None, ()),
        ("３", 3, None, ("fullwidth",)),
        (" 3 ", 3, None, ("whitespace",)),
        ("3次", 3, None, ("unit_in_cell",)),
        ("无", 0, None, ("zero_word",)),
        ("-", 0, None, ("zero_word",)),
        ("—", 0, None, ("zero_word",)),
        (None, 0, None, ("blank_as_zero",)),
        ("", 0, None, ("blank_as_zero",)),
        ("1,000", 1000, None, ()),
        ("3.5", None, "not_integer", ()),
        ("三次", None, "not_a_number", ()),
        ("95%", None, "not_a_number", ()),
        (dt.date(2024, 3, 1), None, "not_a_number", ()),
    ],
)
def test_counts(cell, value, reason, fixes):
    assert count(cell) == (value, reason, fixes)


@pytest.mark.parametrize(
    ("parser", "cell", "value", "reason"),
    [
        (score, "-0.5", -0.5, None),
        (score, "缺考", None, None),
        (score, "无", None, None),
        (score, None, None, None),
        (score, "８７．５", 87.5, None),
        (share, "95.7%", 0.957, None),
        (share, "９３．９％", 0.939, None),
        (share, 95.7, 0.957, None),
        (share, 0.957, 0.957, None),
        (share, "abc", None, "not_a_number"),
    ],
)
def test_scores_and_shares(parser, cell, value, reason):
    got, why, _ = parser(cell)
    assert why == reason
    assert got == pytest.approx(value) if value is not None else got is None


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("是", True),
        ("否", False),
        (" 是", True),
        ("有", True),
        ("无", False),
        ("Y", True),
        ("√", True),
        ("×", False),
        (1, True),
        (0, False),
        ("TRUE", True),
        ("住校", True),
        (None, None),
    ],
)
def test_yes_no(cell, value):
    assert parse_bool(cell)[0] is value
    assert parse_bool("也许")[1] == "unknown_label"


@pytest.mark.parametrize(
    ("name", "cell", "value"),
    [
        ("lb_status", "父母均外出", "both"),
        ("lb_status", " 父亲外出 ", "father"),
        ("lb_status", "非留守", "none"),
        ("guardian", "祖辈", "grandparents"),
        ("guardian", "爷爷奶奶", "grandparents"),
        ("sex", "男", "male"),
        ("sex", "F", "female"),
        ("sex", "2", "female"),
        ("mentor_role", "未结对", "none"),
        ("exit_reason", "毕业", "graduated"),
        ("lb_status", "both", "both"),
    ],
)
def test_categories(name, cell, value):
    parse = category_parser(codebook.column(name).levels)
    assert parse(cell)[:2] == (value, None)
    assert parse("火星")[1] == "unknown_label"


@pytest.mark.parametrize(
    ("cell", "grade"),
    [
        (3, 3),
        ("3", 3),
        ("三年级", 3),
        ("3年级", 3),
        ("初一", 7),
        ("初三", 9),
        ("七年级", 7),
        ("初中二年级", 8),
        ("小学六年级", 6),
        ("九年级", 9),
        ("高一", 10),
    ],
)
def test_grades(cell, grade):
    assert parse_grade(cell)[:2] == (grade, None)


@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("2024-1", "2024-1"),
        ("2024-2025学年第一学期", "2024-1"),
        ("2024-2025学年第二学期", "2024-2"),
        ("2024—2025学年度上学期", "2024-1"),
        ("2024-2025学年下学期", "2024-2"),
        ("2024-2025-1", "2024-1"),
        ("2024年秋季学期", "2024-1"),
        ("2025年春季", "2024-2"),
        ("２０２４－２０２５学年第一学期", "2024-1"),
        ("S01_2024-2_留守儿童情况", "2024-2"),
        ("T01乡镇 S01 学校 2021-2022学年第一学期 留守儿童情况统计表", "2021-1"),
        ("2024", None),
        ("2024-2026学年第一学期", None),
    ],
)
def test_terms(text, term):
    assert find_term(text) == term
    assert parse_term(text)[:2] == ((term, None) if term else (None, "bad_term"))


@pytest.mark.parametrize(
    ("cell", "year"),
    [
        ("2012.3.5", 2012),
        ("2012-03-05", 2012),
        ("2012/3/5", 2012),
        ("2012年3月5日", 2012),
        ("20120305", 2012),
        ("2012.03", 2012),
        ("201203", 2012),
        (2012, 2012),
        (dt.date(2012, 3, 5), 2012),
        (dt.datetime(2012, 3, 5), 2012),
        (40973, 2012),
        ("40973", 2012),
        ("2012.2.30", None),
        ("明年", None),
    ],
)
def test_birth_dates(cell, year):
    got, reason, _ = parse_birth_year(cell)
    assert got == year and (reason is None) == (year is not None)


@pytest.mark.parametrize(
    ("cell", "number"),
    [
        (1, 1),
        ("1", 1),
        ("01", 1),
        ("1班", 1),
        ("三(1)班", 1),
        ("3（12）班", 12),
        ("三年级2班", 2),
        ("3-1", 1),
        ("(一)班", 1),
        ("十二班", 12),
        ("甲班", None),
        (dt.date(2025, 3, 1), None),
    ],
)
def test_classes(cell, number):
    got, reason, _ = parse_class(cell)
    assert got == number and (reason is None) == (number is not None)


@pytest.mark.parametrize(
    ("cell", "year", "reason"),
    [
        (2021, 2021, None),
        ("2021学年", 2021, None),
        ("2021-2022学年", 2021, None),
        ("2021年", 2021, None),
        ("未实施", None, None),
        ("2021-2023", None, "not_a_number"),
    ],
)
def test_years(cell, year, reason):
    assert parse_year(cell)[:2] == (year, reason)


@pytest.mark.parametrize(
    ("cell", "value", "reason"),
    [
        ("G99010020120316002x", "G99010020120316002X", None),
        (" ｇ９９０１ ", "G9901", None),
        (20190101, "20190101", None),
        (20190101.0, "20190101", None),
        (9.9010020120316e17, None, "id_precision_lost"),
        ("9.90100201203E+17", None, "id_precision_lost"),
    ],
)
def test_identifiers(cell, value, reason):
    assert parse_identifier(cell)[:2] == (value, reason)


def test_cell_text_folds_and_counts():
    assert cell_text("　学生　") == ("学生", ("whitespace",))
    assert cell_text(" ３ ") == ("3", ("fullwidth", "whitespace"))
    assert cell_text(3.0) == ("3", ())
    assert cell_text(dt.datetime(2012, 3, 5)) == ("2012-03-05", ())


def test_apply_parses_each_distinct_value_once():
    calls = []

    def parser(cell):
        calls.append(cell)
        return count(cell)

    cells = np.array(["无", "3", "无", None, "3", "x"] * 100, dtype=object)
    parsed = apply(cells, parser)
    assert len(calls) == 4
    assert list(parsed.values[:6]) == [0, 3, 0, 0, 3, None]
    assert list(parsed.reasons[:6]) == [None, None, None, None, None, "not_a_number"]
    assert parsed.fixes == {"zero_word": 200, "blank_as_zero": 100}
