"""Question Q1's dose-response (within method) on a lazy cohort gives the in-memory result.

The pairs, bins, spline basis (with knots at quantiles computed from value counts), the AME's
:math:`\\bar\\Delta`, the four within fits and the lead placebo run in DuckDB; rows, tables and
the lead placebo must equal the in-memory ones to 1e-8 (the in-memory fit sweeps the fixed
effects out to a relative tolerance of 1e-10), the wild bootstrap's p-values exactly (same
draws). What cannot run out of core (the supply IV, the saturation scale's profile) is refused
or reported as not computed, with what to do.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import lbc_eval
from lbc_eval.data.lazy import connect
from lbc_eval.data.resources import example_path
from lbc_eval.errors import OutOfCoreError
from lbc_eval.questions.mentoring_lazy import quantile

TOL = 1e-8
COLS = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


@pytest.fixture(scope="module")
def cohorts():
    lazy = lbc_eval.read_cohort(example_path(), engine="duckdb",
                                connection=connect("duckdb", threads=1))  # fmt: skip
    return lbc_eval.example_cohort(), lazy


def both(cohorts, **kw):
    memory, lazy = cohorts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lbc_eval.fit_dose_response(memory, **kw), lbc_eval.fit_dose_response(lazy, **kw)


def assert_same(a, b, truth=None):
    ta, tb = a.tidy(), b.tidy()
    assert ta["term"].tolist() == tb["term"].tolist()
    np.testing.assert_allclose(tb[COLS].to_numpy(), ta[COLS].to_numpy(), rtol=0, atol=TOL)
    assert (a.nobs, a.n_clusters, a.cov_type, a.formula) == (b.nobs, b.n_clusters, b.cov_type,
                                                             b.formula)  # fmt: skip
    assert a.warnings == b.warnings
    # the lazy result says once more that the supply-IV check was not computed
    extra = [n for n in b.notes if n not in a.notes]
    assert [n for n in b.notes if n in a.notes] == [n for n in a.notes if n in b.notes]
    assert len(extra) == 1 and extra[0].startswith("supply-IV check not computed")
    for name in ("curve", "bins", "basis"):
        assert_frame_equal(b.tables[name], a.tables[name], check_exact=False, rtol=0, atol=TOL)
    da, db = a.diagnostics.set_index("check"), b.diagnostics.set_index("check")
    lead = ["statistic", "df", "p_value", "passed"]
    assert da.loc["lead_placebo", "message"] == db.loc["lead_placebo", "message"]
    got, want = db.loc["lead_placebo", lead[:3]], da.loc["lead_placebo", lead[:3]]
    np.testing.assert_allclose(got.astype(float), want.astype(float), atol=TOL)
    assert db.loc[["first_stage", "iv_vs_within"], "passed"].isna().all()
    assert db.loc["first_stage", "message"].startswith("the supply-IV estimate could not")
    if truth is not None:
        assert_frame_equal(b.vs_truth(truth), a.vs_truth(truth), check_exact=False, atol=TOL)


def test_default_within_method(cohorts):
    """12 schools: every row's p-value and interval by the wild bootstrap, from the sums."""
    a, b = both(cohorts, outcome="sdq_total", reps=999)
    assert "wild cluster bootstrap" in b.cov_type
    assert_same(a, b, cohorts[0].truth)
    assert (a.tidy()["p_value"] == b.tidy()["p_value"]).all()


CASES = {
    "attendance, crv1": dict(outcome="attendance", inference="crv1"),
    "saturation with its scale": dict(outcome="math", spline="saturation", scale=4.0,
                                      inference="crv1"),
    "every child-term, no controls": dict(outcome="sdq_total", sample="all", controls=(),
                                          inference="crv1"),
    "one contact type, lag 2, df 4": dict(outcome="math", treatment=["talks"], lag=2, df=4,
                                          bins=(0, 2, 4), inference="crv1"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_options(cohorts, case):
    a, b = both(cohorts, **CASES[case])
    assert_same(a, b)


def test_knots_are_numpys_quantiles():
    """The value-count quantile is numpy's linear quantile of the repeated values."""
    rng = np.random.default_rng(4)
    for _ in range(20):
        x = rng.poisson(rng.uniform(0.5, 8), rng.integers(1, 400)).astype(float)
        v, n = np.unique(x, return_counts=True)
        q = rng.uniform(0, 1, 5)
        assert (quantile(v, n, q) == np.quantile(x, q)).all()


def test_what_does_not_run_out_of_core(cohorts):
    _, lazy = cohorts
    with pytest.raises(OutOfCoreError, match=r"lazy.collect\(terms"):
        lbc_eval.fit_dose_response(lazy, outcome="sdq_total", method="supply_iv")
    with pytest.raises(OutOfCoreError, match="pass scale="):
        lbc_eval.fit_dose_response(lazy, outcome="sdq_total", spline="saturation")
    sub = lazy.collect(terms=lazy.terms[:4])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = lbc_eval.fit_dose_response(sub, outcome="sdq_total", method="supply_iv", reps=99)
    assert isinstance(res.tidy(), pd.DataFrame) and "slope_iv" in res.tidy()["term"].tolist()
