"""The one result type: its tidy contract, the truth comparison, the table and the display."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lbc_eval.estimation.results import TIDY_COLUMNS, Result, compare, tidy_frame


def _result(**kw) -> Result:
    base = dict(
        estimator="example",
        outcome="math",
        terms=["x", "z"],
        estimates=[0.2, -0.1],
        std_errors=[0.1, 0.05],
        nobs=1234,
        cov_type="CRV1 by school_id",
        n_clusters=12,
    )
    return Result.from_estimates(**{**base, **kw})


def test_tidy_has_exactly_the_contract_columns_then_keys():
    r = _result(keys={"group": ["a", "b"]})
    assert tuple(r.tidy().columns) == (*TIDY_COLUMNS, "group")
    assert tuple(_result().tidy().columns) == TIDY_COLUMNS
    # tidy() is a copy: changing it leaves the result alone
    t = r.tidy()
    t.loc[0, "estimate"] = 99
    assert r.estimate("x") == 0.2


@pytest.mark.parametrize("df", [None, 11])
def test_statistics_follow_the_normal_or_t(df):
    r = _result(df=df, alpha=0.1)
    dist = stats.norm if df is None else stats.t(df)
    row = r.tidy().iloc[0]
    assert row["statistic"] == pytest.approx(2.0)
    assert row["p_value"] == pytest.approx(2 * dist.sf(2.0))
    crit = dist.ppf(0.95)
    assert r.conf_int("x") == pytest.approx((0.2 - crit * 0.1, 0.2 + crit * 0.1))
    assert r.p_value("z") == pytest.approx(2 * dist.sf(2.0))
    assert r.terms == ["x", "z"]


def test_a_table_without_the_contract_is_refused():
    bad = pd.DataFrame({"term": ["x"], "Estimate": [1.0]})
    with pytest.raises(ValueError, match="must start with the columns term, estimate"):
        Result(estimator="e", table=bad, outcome="y", nobs=1, cov_type="iid")
    with pytest.raises(ValueError, match="alpha"):
        _result(alpha=1.5)


def test_result_is_frozen_and_accessors_name_the_terms():
    r = _result()
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.nobs = 3  # type: ignore[misc]
    with pytest.raises(KeyError, match="this result has x, z"):
        r.estimate("w")
    assert r.std_error("z") == 0.05


def test_vs_truth_adds_truth_error_and_coverage():
    def lookup(truth, tidy):
        return [truth["x"], np.nan]

    r = _result(truth_lookup=lookup)
    v = r.vs_truth({"x": 0.15})
    assert list(v.columns[-3:]) == ["truth", "error", "covered"]
    assert v.loc[0, "error"] == pytest.approx(0.05)
    assert bool(v.loc[0, "covered"]) is True
    assert pd.isna(v.loc[1, "covered"])  # no truth: neither covered nor missed
    far = r.vs_truth({"x": 5.0})
    assert bool(far.loc[0, "covered"]) is False
    with pytest.raises(ValueError, match="does not know which estimand"):
        _result().vs_truth({})


def test_compare_lays_results_side_by_side():
    a = _result()
    b = _result(outcome="chinese", terms=["x"], estimates=[0.01], std_errors=[0.1])
    table = compare({"math": a, "chinese": b}, digits=2)
    assert list(table.columns) == ["math", "chinese"]
    assert table.loc["x", "math"] == "0.20**"  # z = 2, p = 0.046
    assert table.loc["x ", "math"] == "(0.10)"
    assert table.loc["z", "chinese"] == ""  # a term the result lacks stays blank
    assert table.loc["observations", "math"] == "1,234"
    assert table.loc["clusters", "math"] == "12"
    assert table.loc["standard errors", "chinese"] == "CRV1 by school_id"
    unnamed = compare([a, b], stars=False)
    assert list(unnamed.columns) == ["(1) math", "(2) chinese"]
    assert unnamed.loc["x", "(1) math"] == "0.200"
    with pytest.raises(ValueError, match="at least one"):
        compare([])


def test_repr_and_html_show_header_rows_and_notes():
    r = _result(notes=("12 clusters: wild bootstrap",), warnings=("few clusters",))
    text = repr(r)
    assert text.startswith("example: math (1,234 obs, 12 clusters; CRV1 by school_id; 95%")
    assert "note: 12 clusters" in text and "warning: few clusters" in text
    html = r._repr_html_()
    assert "<table" in html and "<li>few clusters</li>" in html


def test_tidy_frame_handles_zero_standard_errors():
    t = tidy_frame(["a"], [1.0], [0.0], outcome="y")
    assert np.isinf(t.loc[0, "statistic"]) and t.loc[0, "p_value"] == 0


def test_without_fits_keeps_the_report_and_the_tests_asked_for():
    """The rows, notes, diagnostics and tables stay; raw goes; only the kept rows can still be
    re-tested, and the Romano-Wolf adjustment of them is the same as with the full results."""
    import warnings

    import lbc_eval
    from lbc_eval import fit_fe
    from lbc_eval.errors import EstimationError
    from lbc_eval.estimation.inference.multiple import adjust_pvalues

    p = lbc_eval.example_cohort().panel
    p = p.assign(contacts=p[["talks", "home_visits"]].astype(float).sum(axis=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = {o: fit_fe(p, outcome=o, treatment="contacts", controls="lb_status",
                          unit="student_id", time="term", cluster="school_id", reps=99)
                for o in ("sdq_total", "math")}  # fmt: skip
    lean = {o: r.without_fits(keep=["contacts"]) for o, r in full.items()}
    r, s = full["math"], lean["math"]
    assert s.raw is None and list(s.tests) == ["contacts"] and r.raw is not None
    pd.testing.assert_frame_equal(s.tidy(), r.tidy())
    assert (s.notes, s.nobs, s.cov_type) == (r.notes, r.nobs, r.cov_type)
    assert s.tests["contacts"] is r.tests["contacts"]
    adj = {k: adjust_pvalues(v, term="contacts", reps=199, seed=1) for k, v in
           (("full", full), ("lean", lean))}  # fmt: skip
    pd.testing.assert_frame_equal(adj["full"], adj["lean"])
    assert r.without_fits().tests == {}
    with pytest.raises(EstimationError, match="no fit behind 'ame'"):
        r.without_fits(keep=["ame"])
