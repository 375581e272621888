"""fit_fe: agreement with pyfixest, the rows it drops, few-cluster inference, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest
from pyfixest.demeaners import LsmrDemeaner, MapDemeaner

from lbc_eval import example_cohort, fit_fe
from lbc_eval.data.codebook import CONTACT_COLUMNS
from lbc_eval.errors import (
    CollinearityError,
    DroppedRowsWarning,
    EstimationError,
    FewClustersWarning,
    MissingDataError,
    NoVariationError,
    SpecError,
    UnknownColumnError,
)
from lbc_eval.estimation.within import WithinFit
from tests.conftest import cohort_for


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    p = cohort_for("small", 11).panel
    p = p.assign(
        contacts=p[list(CONTACT_COLUMNS)].astype(float).sum(axis=1),
        tut=p["tutoring_hours"],
        w=1.0 + p["grade"].astype(float) % 3,
        lb=p["lb_status"].astype(str),
        tut2=2.0 * p["tutoring_hours"],
    )
    return p


#: pyfixest's default demeaning tolerance (1e-6) moves standard errors in the 6th digit
TIGHT = MapDemeaner(fixef_tol=1e-10)

CASES = {
    # name: (fit_fe keywords, pyfixest formula, pyfixest vcov)
    "crv1 school": (
        dict(unit="student_id", time="term", cluster="school_id"),
        "math ~ contacts + tut + C(lb) | student_id + term",
        {"CRV1": "school_id"},
    ),
    "crv1 two-way": (
        dict(unit="student_id", time="term", cluster=["school_id", "term"]),
        "math ~ contacts + tut + C(lb) | student_id + term",
        {"CRV1": "school_id+term"},
    ),
    "weighted": (
        dict(unit="student_id", time="term", cluster="school_id", weights="w"),
        "math ~ contacts + tut + C(lb) | student_id + term",
        {"CRV1": "school_id"},
    ),
    "clusters = unit (nested)": (
        dict(unit="student_id", time="term"),
        "math ~ contacts + tut + C(lb) | student_id + term",
        {"CRV1": "student_id"},
    ),
    "school fe": (
        dict(time="term", fixed_effects="school_id", cluster="class_id"),
        "math ~ contacts + tut + C(lb) | term + school_id",
        {"CRV1": "class_id"},
    ),
    "no fe, hc1": (dict(cluster=None), "math ~ contacts + tut + C(lb)", "hetero"),
}


@pytest.mark.parametrize("case", CASES)
def test_estimates_and_crv1_equal_pyfixest(panel, case):
    """Reference: pyfixest 0.60 ``feols`` (fixest's defaults: singletons dropped, CRV1 with
    k_fixef="nonnested", G_df="min"; demeaning tolerance 1e-10 as ours); tolerance 1e-6
    relative on estimates, standard errors and p-values."""
    kw, fml, vcov = CASES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = fit_fe(
            panel, outcome="math", treatment=["contacts", "tut"], controls="lb",
            inference="crv1", **kw,
        )  # fmt: skip
        ref = pf.feols(fml, data=panel, vcov=vcov, weights=kw.get("weights"), demeaner=TIGHT)
    t = r.tidy()
    ref_coef = ref.coef().drop("Intercept", errors="ignore")
    ref_se = ref.se().drop("Intercept", errors="ignore")
    assert r.nobs == ref._N
    np.testing.assert_allclose(t["estimate"], ref_coef.to_numpy(), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(t["std_error"], ref_se.to_numpy(), rtol=1e-6)
    ref_p = ref.pvalue().drop("Intercept", errors="ignore").to_numpy()
    np.testing.assert_allclose(t["p_value"], ref_p, rtol=1e-6, atol=1e-12)
    assert t["term"].tolist()[:3] == ["contacts", "tut", "lb[father]"]


def test_dropped_rows_and_singletons_are_reported(panel):
    with pytest.warns(FewClustersWarning):
        r = fit_fe(panel, outcome="math", treatment="contacts", unit="student_id", time="term",
                   cluster="school_id", inference="crv1")  # fmt: skip
    text = " ".join(r.notes)
    n_missing = int(panel["math"].isna().sum())
    assert f"{n_missing:,} of {len(panel):,} rows left out for missing values" in text
    assert "singleton rows left out" in text
    assert "student_id levels have no usable row" in text
    assert isinstance(r.raw, WithinFit) and r.formula == "math ~ contacts | student_id + term"


def test_many_missing_rows_warn(panel):
    p = panel.assign(math=panel["math"].where(panel["grade"].astype(int) > 4))
    with pytest.warns(DroppedRowsWarning, match="have a missing value"):
        fit_fe(p, outcome="math", treatment="contacts", unit="student_id", time="term",
               cluster="school_id", inference="crv1")  # fmt: skip


def test_few_clusters_warn_and_bootstrap_by_default(panel):
    with pytest.warns(FewClustersWarning, match="only 12 clusters"):
        r = fit_fe(panel, outcome="sdq_total", treatment="contacts", controls="lb",
                   unit="student_id", time="term", cluster="school_id")  # fmt: skip
    assert r.cov_type.startswith("wild cluster bootstrap (WCR, Rademacher, all 4,096 draws)")
    assert any("restricted wild cluster bootstrap" in n for n in r.notes)
    assert any("only 12 clusters" in w for w in r.warnings)
    # treatments are bootstrapped, controls keep CRV1 (said in the notes)
    assert {t for t, v in r.tests.items() if v.boot is not None} == {"contacts"}
    assert any("keep CRV1" in n for n in r.notes)
    boot = r.tests["contacts"].boot
    assert r.p_value("contacts") == boot.p_value
    assert r.conf_int("contacts") == (boot.conf_low, boot.conf_high)
    # 60 clusters: CRV1, no warning
    county = cohort_for("county", 7).panel
    with warnings.catch_warnings():
        warnings.simplefilter("error", FewClustersWarning)
        c = fit_fe(county, outcome="math", treatment="tutoring_hours", unit="student_id",
                   time="term", cluster="school_id")  # fmt: skip
    assert c.cov_type == "CRV1 by school_id" and c.n_clusters == 60


def _bad(panel):
    p = panel
    return {
        "unknown column": (
            dict(data=p, treatment="contact"),
            UnknownColumnError,
            ["treatment column 'contact' is not in the data", "did you mean 'contacts'"],
        ),
        "treatment without variation": (
            dict(data=p.assign(one=1.0), treatment="one"),
            NoVariationError,
            ["'one' takes the single value 1 in every row", "nothing to compare"],
        ),
        "treatment constant within every unit": (
            dict(data=p, treatment="birth_year"),
            NoVariationError,
            ["'birth_year' has no variation left", "constant within every student_id"],
        ),
        "collinear controls": (
            dict(data=p, treatment="contacts", controls=["tut", "tut2"]),
            CollinearityError,
            ["'tut2' is a linear combination of 'tut'", "Remove 'tut2'"],
        ),
        "one cluster": (
            dict(data=p.assign(county="C1"), treatment="contacts", cluster="county"),
            NoVariationError,
            ["cluster variable 'county' has a single value", "at least two clusters"],
        ),
        "all-missing outcome": (
            dict(data=p.assign(math=np.nan), treatment="contacts"),
            MissingDataError,
            ["outcome 'math' is missing in all", "choose another outcome"],
        ),
        "text treatment": (
            dict(data=p, treatment="lb"),
            EstimationError,
            ["treatment 'lb' is not numeric", "put a categorical variable in controls"],
        ),
        "unknown option": (
            dict(data=p, treatment="contacts", inference="bootstrap"),
            SpecError,
            ["inference: got 'bootstrap'; allowed: 'auto', 'crv1', 'wild'"],
        ),
        "wild with two-way clusters": (
            dict(data=p, treatment="contacts", cluster=["school_id", "term"], inference="wild"),
            EstimationError,
            ["clusters one way"],
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unknown column",
        "treatment without variation",
        "treatment constant within every unit",
        "collinear controls",
        "one cluster",
        "all-missing outcome",
        "text treatment",
        "unknown option",
        "wild with two-way clusters",
    ],
)
def test_bad_input_gets_a_named_error_saying_what_to_do(panel, case):
    kw, error, fragments = _bad(panel)[case]
    kw = {"outcome": "math", "unit": "student_id", "time": "term", "cluster": "school_id", **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            fit_fe(**kw)
    for fragment in fragments:
        assert fragment in str(info.value)


def _two_way(seed: int = 0, n_units: int = 156, n_periods: int = 8) -> pd.DataFrame:
    """An unbalanced two-way panel (about 3 in 4 unit-periods kept, more of the early ones):
    unbalanced, so the alternating projections need many sweeps, and 52 clusters of 3 units."""
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(n_periods), n_units)
    keep = rng.random(u.size) < 0.7 + 0.25 * (t < u % n_periods)
    u, t = u[keep], t[keep]
    a, lam = rng.normal(size=n_units), rng.normal(size=n_periods)
    x = rng.normal(size=u.size) + a[u] + lam[t]
    z = rng.normal(size=u.size) + 0.5 * a[u]
    y = 0.5 * x - 0.3 * z + a[u] + lam[t] + rng.normal(size=u.size)
    return pd.DataFrame({"u": u, "t": t, "g": u // 3, "x": x, "z": z, "y": y})


#: pyfixest's LSMR demeaner stops on tolerances relative to the norms, so it is an accurate
#: reference at any scale (its default MAP demeaner has an absolute tolerance, 1e-6: at
#: y x 1e-7 it stops early and its standard errors are off by about 1e-3 relative)
LSMR = LsmrDemeaner(fixef_atol=1e-12, fixef_btol=1e-12)


def _fe(d: pd.DataFrame, **kw) -> pd.DataFrame:
    kw = {"treatment": "x", "controls": "z", "unit": "u", "time": "t", "cluster": "g", **kw}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        return fit_fe(d, outcome="y", inference="crv1", **kw)


SCALED = {"y x 1e7": ("y", 1e7), "y x 1e-7": ("y", 1e-7), "x x 1e7": ("x", 1e7),
          "x x 1e-7": ("x", 1e-7)}  # fmt: skip


@pytest.mark.parametrize("case", SCALED)
def test_scaled_outcome_or_regressor_matches_pyfixest(case):
    """The demeaning stops relative to each column's scale: an outcome x 1e7 used to raise
    NoVariationError ("did not converge"), one x 1e-7 stopped early. Estimates and CRV1
    standard errors equal pyfixest's (LSMR, relative tolerance) to 1e-8 relative, and the
    unscaled fit rescaled (y x c: both x c; x x c: x's / c)."""
    col, c = SCALED[case]
    base = _fe(_two_way()).tidy()
    d = _two_way().assign(**{col: lambda f: f[col] * c})
    t = _fe(d).tidy()
    # pyfixest's collinearity test is absolute (squared norm left < collin_tol = 1e-9): it
    # would drop x x 1e-7 as "collinear", which the kit's relative test does not
    ref = pf.feols("y ~ x + z | u + t", data=d, vcov={"CRV1": "g"}, demeaner=LSMR,
                   collin_tol=1e-30)  # fmt: skip
    assert t["term"].tolist() == ["x", "z"]
    np.testing.assert_allclose(t["estimate"], ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(t["std_error"], ref.se().to_numpy(), rtol=1e-8)
    factor = np.array([c, c]) if col == "y" else np.array([1 / c, 1.0])
    np.testing.assert_allclose(t["estimate"], base["estimate"] * factor, rtol=1e-8)
    np.testing.assert_allclose(t["std_error"], base["std_error"] * factor, rtol=1e-8)
    np.testing.assert_allclose(t["p_value"], base["p_value"], rtol=1e-8)


def test_scaled_copy_of_a_regressor_is_still_collinear():
    d = _two_way().assign(z_big=lambda f: 1e7 * f["z"], z_small=lambda f: 1e-7 * f["z"])
    for copy in ("z_big", "z_small"):
        pair = f"'({copy}|z)'"  # the pivoted QR may name either one first
        with pytest.raises(CollinearityError, match=f"{pair} is a linear combination of {pair}"):
            _fe(d, controls=["z", copy])
    lone = _fe(d, controls="z_big").tidy()  # alone, a large regressor is just a regressor
    np.testing.assert_allclose(lone["estimate"].iloc[1], _fe(d).estimate("z") / 1e7, rtol=1e-8)


@pytest.mark.parametrize("col, value", [("y", np.inf), ("y", -np.inf), ("x", np.inf)])
def test_infinite_values_are_dropped_and_reported_as_pyfixest_does(col, value):
    """pyfixest 0.60.0 drops rows with inf/-inf ("3 rows with infinite values dropped from
    the model", a UserWarning); fit_fe does the same, with a note and a DroppedRowsWarning,
    instead of failing with a convergence message."""
    d = _two_way()
    d.loc[d.index[[3, 40, 41]], col] = value
    d.loc[d.index[7], "y"] = np.nan  # missing values are still counted apart
    with pytest.warns(DroppedRowsWarning, match="3 of .* rows left out for infinite values"):
        r = fit_fe(d, outcome="y", treatment="x", controls="z", unit="u", time="t",
                   cluster="g", inference="crv1")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = pf.feols("y ~ x + z | u + t", data=d, vcov={"CRV1": "g"}, demeaner=LSMR)
    assert r.nobs == ref._N == len(d) - 4
    np.testing.assert_allclose(r.tidy()["estimate"], ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(r.tidy()["std_error"], ref.se().to_numpy(), rtol=1e-8)
    text = " ".join(r.notes)
    assert f"1 of {len(d):,} rows left out for missing values (y 1)" in text
    assert f"3 of {len(d):,} rows left out for infinite values ({col} 3)" in text
    assert any("infinite values" in w for w in r.warnings)


def test_outcome_infinite_in_every_row_is_a_missing_data_error():
    d = _two_way().assign(y=np.inf)
    with pytest.raises(MissingDataError, match=r"every row with all variables has an infinite"):
        _fe(d)


def test_example_cohort_outcome_in_tens_of_millions_matches_pyfixest():
    """The kit's example cohort: math x 1e7 on tutoring hours and the scholarship (in yuan),
    unit and term fixed effects, CRV1 by school; against pyfixest and the unscaled fit."""
    p = example_cohort().panel
    kw = dict(treatment="tutoring_hours", controls="scholarship_yuan", unit="student_id",
              time="term", cluster="school_id", inference="crv1")  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        base = fit_fe(p, outcome="math", **kw).tidy()
        big = fit_fe(p.assign(math=p["math"] * 1e7), outcome="math", **kw).tidy()
        ref = pf.feols("math ~ tutoring_hours + scholarship_yuan | student_id + term",
                       data=p.assign(math=p["math"] * 1e7), vcov={"CRV1": "school_id"},
                       demeaner=LSMR)  # fmt: skip
    np.testing.assert_allclose(big["estimate"], ref.coef().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(big["std_error"], ref.se().to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(big["estimate"], 1e7 * base["estimate"], rtol=1e-8)
    np.testing.assert_allclose(big["std_error"], 1e7 * base["std_error"], rtol=1e-8)
