"""Terms: label <-> index <-> academic year <-> semester, one place for every module."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval import SchemaError
from lbc_eval.data.terms import (
    academic_year,
    index_year,
    make_term,
    ordered_terms,
    semester,
    term_index,
    term_label,
    year_start,
)


def test_term_index_is_consecutive_and_ordered():
    assert term_index("2024-1").tolist() == [2 * 2024]
    terms = ["2023-2", "2024-1", "2024-2", "2025-1"]
    assert term_index(terms).tolist() == [4047, 4048, 4049, 4050]
    assert term_index(terms, origin="2023-2").tolist() == [0, 1, 2, 3]
    assert ordered_terms(reversed(terms)) == terms
    assert ordered_terms(["2024-1", "2023-2", "2024-1"]) == ["2023-2", "2024-1"]
    assert make_term(2024, 2) == "2024-2"


def test_label_year_and_semester_invert_the_index():
    labels = [make_term(y, s) for y in range(2019, 2031) for s in (1, 2)]
    idx = term_index(labels)
    assert [term_label(k) for k in idx] == labels
    assert academic_year(labels).tolist() == [int(x[:4]) for x in labels]
    assert index_year(idx).tolist() == academic_year(labels).tolist()
    assert semester(labels).tolist() == [int(x[-1]) for x in labels]
    assert (term_index([make_term(y, 1) for y in range(2019, 2031)]) == year_start(
        np.arange(2019, 2031))).all()


def test_long_columns_give_the_same_index_as_short_ones():
    labels = pd.Series(np.random.default_rng(1).choice(["2021-1", "2021-2", "2022-1"], 500))
    fast = term_index(labels)
    slow = np.concatenate([term_index(v) for v in labels])
    assert (fast == slow).all()
    with pytest.raises(SchemaError, match="missing"):
        term_index(pd.concat([labels, pd.Series([None])], ignore_index=True))


@pytest.mark.parametrize("bad", ["2024-3", "2024", "24-1", "2024-2025学年第一学期"])
def test_term_index_rejects_other_spellings(bad):
    with pytest.raises(SchemaError, match="is not of the form 'YYYY-1' or 'YYYY-2'"):
        term_index(bad)
