"""Q2 teacher training: recovery over seeds, the biased cross-section, the variance split."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from lbc_eval import fit_training
from lbc_eval.errors import EstimationError, MissingDataError, NoVariationError, UnknownColumnError
from tests.conftest import SEEDS, cohort_for

EFFECTS = {"training_effect": 0.15, "training_effect_lb": 0.10}


def _fit(cohort, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_training(cohort, **kw)


def test_effects_cover_the_truth_over_seeds():
    """Five small cohorts (12 schools, wild bootstrap) with a true effect of 0.15 SD per unit
    trained share, 0.25 for left-behind children: 20 intervals (overall, left-behind, not,
    difference); expected 19 covered, P(<= 16 | p = .95) = 1.6%. Measured: 20/20."""
    rows = []
    for seed in SEEDS:
        c = cohort_for("small", seed, **EFFECTS)
        v = _fit(c, outcome="math", multilevel=None).vs_truth(c.truth)
        rows.append(v.assign(z=v["error"] / v["std_error"]))
    d = pd.concat(rows)
    fe = d[~d["term"].str.endswith(":naive")]
    assert fe["covered"].sum() >= 17
    truth = d.set_index("term").loc["trained_share:difference", "truth"]
    assert np.allclose(truth, 0.10)


@pytest.fixture(scope="module")
def county():
    c = cohort_for("county", 7)
    return c, _fit(c, outcome="math")


def test_school_effects_recover_the_null_the_cross_section_does_not(county):
    """County (60 schools, CRV1): true effect 0. Better-run schools train first, so without
    school effects the slope is far above the truth. Measured: FE z = 1.0, naive z = 6.2."""
    c, r = county
    assert r.cov_type == "CRV1 by school_id" and r.n_clusters == 60
    v = r.vs_truth(c.truth).set_index("term")
    z = v["error"] / v["std_error"]
    assert v.loc[["trained_share", "trained_share:left_behind"], "covered"].all()
    assert not v.loc["trained_share:naive", "covered"]
    assert z["trained_share:naive"] > 4


def test_variance_split_and_iccs(county):
    """MixedLM (REML) on the last term: shares add to 1, the school ICC equals the one-way
    ANOVA estimator on the same term (to 0.02) and is near the generator's 0.20 (sampling SD
    with 60 schools about 0.04; measured 0.143)."""
    c, r = county
    var = r.tables["variance"]
    assert var["level"].tolist() == ["school", "class", "child"]
    assert var["share"].sum() == pytest.approx(1)
    assert list(r.tables["icc"].columns) == ["level", "icc", "term"]
    icc = r.tables["icc"].set_index("level")["icc"]
    assert icc["class"] > icc["school"] > 0
    term = r.tables["icc"]["term"].iloc[0]
    p = c.panel[c.panel["term"] == term].dropna(subset=["math"])
    g = p.groupby("school_id")["math"]
    k, n = g.size(), len(p)
    msb = (k * (g.mean() - p["math"].mean()) ** 2).sum() / (len(k) - 1)
    msw = ((p["math"] - g.transform("mean")) ** 2).sum() / (n - len(k))
    n0 = (n - (k**2).sum() / n) / (len(k) - 1)
    anova = (msb - msw) / (msb + (n0 - 1) * msw)
    assert icc["school"] == pytest.approx(anova, abs=0.02)
    assert abs(icc["school"] - 0.20) < 0.10
    assert any("ICC school" in n for n in r.notes)


def test_other_exposures_and_no_interaction():
    c = cohort_for("small", 11)
    r = _fit(c, outcome="chinese", treatment="training_person_times", by_left_behind=False,
             multilevel=None)  # fmt: skip
    assert r.terms == ["training_person_times", "training_person_times:naive"]
    assert r.vs_truth(c.truth)["truth"].isna().all()  # no truth for this exposure
    # backbone teachers per teacher do not change within a synthetic school: said plainly
    with pytest.raises(NoVariationError, match="constant within every school_id"):
        _fit(c, treatment="backbone_share", multilevel=None)


def test_bad_input_is_named():
    c = cohort_for("small", 11)
    with pytest.raises(UnknownColumnError, match="schools column 'trained'"):
        fit_training(c, treatment="trained")
    flat = c.schools.assign(trained_share=0.3)
    with pytest.raises(NoVariationError, match="single value in every school and year"):
        fit_training(replace(c, schools=flat))
    one_year = c.schools.assign(trained_share=c.schools["school_id"].str[1:].astype(float))
    with pytest.raises(NoVariationError, match="must change within schools over years"):
        _fit(type(c)(panel=c.panel, schools=one_year, destinations=c.destinations))
    elsewhere = c.schools.assign(year=c.schools["year"] + 50)
    with pytest.raises(MissingDataError, match="no child-term matches a school-year"):
        fit_training(replace(c, schools=elsewhere))
    with pytest.raises(EstimationError, match="needs its schools table"):
        fit_training(c.panel)
