"""One pilot's size with its assumptions: the R² rule and the all-schools MDE."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from lbc_eval.errors import SpecError
from lbc_eval.pilot.icc import icc_from_cohort
from lbc_eval.pilot.power import mde, solve
from lbc_eval.pilot.sizing import ASSUMPTIONS, MIN_SCHOOLS_R2, pilot_plan, planning_inputs


@pytest.fixture(scope="module")
def small_split(small):
    return icc_from_cohort(small, outcome="math")


@pytest.fixture(scope="module")
def county_split(county):
    return icc_from_cohort(county, outcome="math")


def test_r2_not_used_below_twenty_schools(small_split):
    """12 schools: the estimated R² (last term's score explains much) is set to 0, with a note."""
    assert small_split.n_schools == 12 < MIN_SCHOOLS_R2
    assert small_split.design("cluster2")["r2_cluster"] > 0  # estimated, but not used
    inputs, notes = planning_inputs(small_split)
    assert inputs["r2_cluster"] == 0 and inputs["r2_individual"] == 0
    assert any("only 12 schools" in n and "R² = 0" in n for n in notes)
    row = pilot_plan(small_split, effect=0.2, county_schools=12)
    assert row["r2_cluster"] == 0 and not row["r2_used"] and row["r2_schools"] == 12
    assert "fewer than 20" in row["notes"]


def test_r2_used_from_twenty_schools(county_split):
    """The county preset (60 schools): the estimated R² is planned on, no note."""
    assert county_split.n_schools == 60
    est = county_split.design("cluster2")
    inputs, notes = planning_inputs(county_split)
    assert est["r2_cluster"] > 0 and est["r2_individual"] > 0
    assert inputs["r2_cluster"] == pytest.approx(est["r2_cluster"])
    assert inputs["r2_individual"] == pytest.approx(est["r2_individual"])
    assert not any("R²" in n for n in notes)
    # the threshold is the rule, not the preset: raise it above 60 and R² is dropped
    raised, _ = planning_inputs(county_split, min_schools_r2=61)
    assert raised["r2_cluster"] == 0


def test_row_carries_every_assumption_and_the_all_schools_mde(county_split):
    row = pilot_plan(
        county_split, effect=0.15, county_schools=60, share_reached=0.5, power=0.9, alpha=0.1
    )
    assert set(ASSUMPTIONS) <= set(row)
    assert {"schools_needed", "county_schools", "mde_all_schools", "notes"} <= set(row)
    assert row["effect_detected_sd"] == pytest.approx(0.075)
    assert (row["share_reached"], row["power"], row["alpha"]) == (0.5, 0.9, 0.1)
    size = math.floor(county_split.cluster_size)
    assert row["children_per_school"] == size
    d = county_split.design("cluster2")
    same = dict(cluster_size=size, power=0.9, alpha=0.1, treat_share=0.5, icc=d["icc"],
                r2_cluster=d["r2_cluster"], r2_individual=d["r2_individual"])  # fmt: skip
    # all 60 schools randomised, half treated: exactly mde() with the same inputs
    assert row["mde_all_schools"] == pytest.approx(float(mde(n_clusters=60, **same)))
    assert row["schools_needed"] == int(solve(effect=0.075, n_clusters=None, **same))
    assert row["fits_in_county"] == (row["schools_needed"] <= 60)
    assert "reaches 50%" in row["notes"]


def test_icc_floor_and_bad_reach(small_split):
    low = replace(small_split, icc=0.001, icc_top=0.0)
    row = pilot_plan(low, effect=0.2, county_schools=12, icc_floor=0.02)
    assert row["icc"] == 0.02 and row["icc_estimated"] == pytest.approx(0.001)
    assert "floor" in row["notes"]
    with pytest.raises(SpecError, match="share_reached"):
        pilot_plan(small_split, effect=0.2, county_schools=12, share_reached=0)


def test_too_few_schools_for_any_mde(small_split):
    """Two schools leave no degrees of freedom: the all-schools MDE is NaN, with a note."""
    row = pilot_plan(small_split, effect=0.2, county_schools=2)
    assert math.isnan(row["mde_all_schools"]) and "no MDE" in row["notes"]
    assert not row["fits_in_county"]
