"""school_table(): one row per school of the baseline term, school-level aggregates only."""

from __future__ import annotations

import pytest

from lbc_eval.errors import EstimationError, UnknownColumnError
from lbc_eval.pilot import school_table


def test_the_aggregates_by_brute_force(small):
    t = school_table(small, outcomes=("sdq_total", "math"))
    term = small.terms[-1]
    assert t.attrs["term"] == term
    rows = small.panel[small.panel["term"] == term]
    g = rows.groupby(rows["school_id"].astype(str))
    assert list(t["school_id"]) == sorted(g.groups)
    s = t.set_index("school_id")
    assert (s["n_children"] == g.size()).all()
    assert s["lb_share"].to_numpy() == pytest.approx(
        g["lb_status"].apply(lambda x: (x.astype(str) != "none").mean()).to_numpy()
    )
    assert s["mean_math"].to_numpy() == pytest.approx(g["math"].mean().to_numpy())
    assert set(s["level"]) <= {"primary", "junior", "nine_year"}
    assert "student_id" not in t


def test_another_term_and_bad_inputs(small):
    first = school_table(small, term=small.terms[0])
    assert first.attrs["term"] == small.terms[0]
    with pytest.raises(EstimationError, match="not in the panel"):
        school_table(small, term="1999-1")
    with pytest.raises(UnknownColumnError, match="happiness"):
        school_table(small, outcomes=("happiness",))
