"""Q1 dose-response: recovery of the true curve and AME over seeds, the naive contrast, the
pieces (pairs, bins, spline), and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lbc_eval import fit_dose_response
from lbc_eval.errors import NoVariationError, SpecError, UnknownColumnError
from lbc_eval.questions.dose_curve import bin_labels, dose_pairs, natural_spline
from tests.conftest import SEEDS, cohort_for


def _fit(cohort, outcome: str, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_dose_response(cohort, outcome=outcome, **kw)


@pytest.fixture(scope="module")
def recovery() -> pd.DataFrame:
    """vs_truth over the five small cohorts (12 schools: wild bootstrap inference)."""
    rows = []
    for seed in SEEDS:
        c = cohort_for("small", seed)
        for outcome in ("sdq_total", "attendance", "math"):
            v = _fit(c, outcome).vs_truth(c.truth)
            rows.append(v.assign(seed=seed, z=v["error"] / v["std_error"]))
    return pd.concat(rows, ignore_index=True)


def test_within_child_ame_covers_the_truth_at_the_nominal_rate(recovery):
    """15 intervals (5 seeds x 3 outcomes, true AME -0.13 SDQ points, +0.0005 attendance, 0
    math): at 95% we expect 14.25 covered; P(<= 12 | p = .95) = 3.6%. Measured: 15/15."""
    ame = recovery[recovery["term"] == "ame"]
    assert ame["covered"].sum() >= 13
    assert abs(ame["z"].mean()) < 1.0  # no bias beyond sampling noise (SE of mean z: 0.26)


def test_binned_doses_cover_their_truth(recovery):
    """45 bin intervals; expected 42.75 covered; P(<= 39 | p = .95) = 3.7%. Measured: 42."""
    bins = recovery[recovery["term"].str.startswith("dose[")]
    assert bins["covered"].sum() >= 40


def test_naive_cross_section_misses_the_truth(recovery):
    """Mentors see needier children more: the cross-sectional slope has the wrong sign for SDQ
    and attendance and is off by at least 3.5 of its standard errors everywhere."""
    naive = recovery[recovery["term"] == "ame_naive"]
    assert not naive["covered"].any()
    assert (naive["z"].abs() > 3.5).all()
    sdq = naive[naive["outcome"] == "sdq_total"]
    assert (sdq["estimate"] > 0).all() and (sdq["truth"] < 0).all()


def test_result_carries_curve_bins_and_few_cluster_inference():
    c = cohort_for("small", 11)
    with pytest.warns(Warning):
        r = fit_dose_response(c, outcome="sdq_total")
    assert r.terms == ["dose[1-2]", "dose[3-5]", "dose[6+]", "ame", "ame_naive"]
    assert r.n_clusters == 12 and r.cov_type.startswith("wild cluster bootstrap")
    assert set(r.tests) == set(r.terms)
    assert all(t.boot is not None for t in r.tests.values())
    curve = r.tables["curve"]
    assert list(curve.columns) == ["dose", "estimate", "std_error", "conf_low", "conf_high"]
    assert curve["estimate"].iloc[0] == 0 and curve["std_error"].iloc[0] == 0
    assert r.tables["bins"]["bin"].tolist() == ["0", "1-2", "3-5", "6+"]
    assert r.tables["bins"]["n"].sum() == r.nobs
    # the true curve is concave and so is the estimate, roughly
    assert curve["estimate"].iloc[12] < curve["estimate"].iloc[3] < 0
    # the AME's truth is read from truth["dose_response"]
    v = r.vs_truth(c.truth).set_index("term")
    assert v.loc["ame", "truth"] == c.truth["dose_response"]["sdq_total"]["ame"]


def test_county_crv1_and_saturation_curve():
    """60 schools: CRV1; the saturation basis (c0 profiled) also recovers the AME."""
    c = cohort_for("county", 7)
    r = _fit(c, "sdq_total", spline="saturation")
    assert r.cov_type == "CRV1 by school_id"
    v = r.vs_truth(c.truth).set_index("term")
    assert v.loc["ame", "covered"]
    assert 1 < r.tables["basis"]["scale"].iloc[0] < 15  # the generator's c0 is 4
    assert any("c0 chosen by least squares" in n for n in r.notes)


def test_pairs_line_up_dose_at_t_with_outcome_at_t_plus_lag():
    panel = pd.DataFrame(
        {
            "student_id": ["a"] * 3 + ["b"] * 2,
            "term": ["2021-1", "2021-2", "2022-1", "2021-1", "2022-1"],
            "school_id": ["S1", "S1", "S2", "S1", "S1"],
            "talks": [1, 2, 3, 4, 5],
            "home_visits": [0, 0, 0, 0, 0],
            "parent_contacts": [0, 1, 0, 0, 0],
            "mentor_role": ["cadre"] * 5,
            "sdq_total": [10.0, 11.0, 12.0, 13.0, 14.0],
            "lb_status": ["both", "both", "none", "father", "father"],
        }
    )
    kw = dict(outcome="sdq_total", treatment=["talks", "home_visits", "parent_contacts"],
              unit="student_id", time="term", cluster="school_id", controls=["lb_status"],
              sample="paired")  # fmt: skip
    one = dose_pairs(panel, lag=1, **kw)
    # b skips 2021-2, so its 2021-1 dose has no next term; a's 2022-1 has no next term
    assert one[["student_id", "dose", "sdq_total[t+1]", "school_id"]].values.tolist() == [
        ["a", 1.0, 11.0, "S1"],
        ["a", 3.0, 12.0, "S1"],
    ]
    assert one["lb_status"].tolist() == ["both", "none"]  # controls at the outcome term
    two = dose_pairs(panel, lag=2, **kw)
    two = two[["student_id", "dose", "sdq_total[t+2]"]]
    assert two.values.tolist() == [["a", 1.0, 12.0], ["b", 4.0, 14.0]]


def test_bins_and_spline_basis():
    assert bin_labels([0, 1, 3, 6]) == ["0", "1-2", "3-5", "6+"]
    assert bin_labels([0, 5]) == ["0-4", "5+"]
    knots = [0.0, 2.0, 5.0, 12.0]
    x = np.linspace(0, 30, 301)
    B = natural_spline(x, knots)
    assert B.shape == (301, 3)
    assert np.allclose(B[0], 0)  # f(0) = 0: the curve is measured against no contact
    # natural: linear beyond the boundary knot (second differences vanish)
    beyond = B[x > 12.5]
    assert np.allclose(np.diff(beyond, 2, axis=0), 0, atol=1e-9)


def test_bad_input_is_named():
    c = cohort_for("small", 11)
    with pytest.raises(UnknownColumnError, match="treatment column 'visits'.*did you mean"):
        fit_dose_response(c, outcome="sdq_total", treatment=["visits"])
    with pytest.raises(SpecError, match="bins: left edges must start at 0"):
        fit_dose_response(c, outcome="sdq_total", bins=[1, 3])
    with pytest.raises(SpecError, match="spline: got 'cubic'"):
        fit_dose_response(c, outcome="sdq_total", spline="cubic")  # type: ignore[arg-type]
    flat = c.panel.assign(talks=1, home_visits=0, parent_contacts=0)
    with pytest.raises(NoVariationError, match="dose takes the single value 1"):
        fit_dose_response(flat, outcome="sdq_total")


def test_both_methods_from_one_set_of_fits_equal_two_calls(small):
    """fit_dose_response_methods: each method's result is fit_dose_response's, field by field;
    the two share their fits (one set of regressions instead of two)."""
    from lbc_eval.questions.mentoring import fit_dose_response_methods

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        both = fit_dose_response_methods(small, outcome="sdq_total", reps=199, seed=2)
        for method in ("within", "supply_iv"):
            one = fit_dose_response(small, outcome="sdq_total", method=method, reps=199, seed=2)
            got = both[method]
            pd.testing.assert_frame_equal(got.table, one.table, check_exact=True)
            pd.testing.assert_frame_equal(got.diagnostics, one.diagnostics, check_exact=True)
            for name, table in one.tables.items():
                pd.testing.assert_frame_equal(got.tables[name], table, check_exact=True)
            assert (got.notes, got.warnings, got.cov_type, got.formula, got.nobs) == (
                one.notes, one.warnings, one.cov_type, one.formula, one.nobs)  # fmt: skip
            assert list(got.tests) == list(one.tests)
    assert both["within"].raw["smooth"] is both["supply_iv"].raw["smooth"]
    with pytest.raises(SpecError):
        fit_dose_response_methods(small, outcome="sdq_total", methods=("within", "iv"))
