"""simulate(): the same county run on through a pilot year; the baseline is untouched, the
pilot moves only the treated schools' children, and the truth is the sample ITT."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from lbc_eval import SynthSpec, pilot, simulate
from lbc_eval.errors import SpecError
from lbc_eval.synth.pilot import run_pilot_year


def test_the_baseline_terms_are_the_generators(loop):
    year = loop.year
    base_terms = loop.base.terms
    assert year.terms == [*base_terms, "2023-1", "2023-2"]
    kept = year.panel[year.panel["term"].isin(base_terms)].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, loop.base.panel)
    assert set(year.schools["year"]) == {2021, 2022, 2023}
    assert year.truth["dose_response"] == loop.base.truth["dose_response"]


def test_the_truth_describes_the_sample(loop):
    t = loop.year.truth["pilot"]
    assert t["effect_sd"] == -0.3 and t["outcome"] == "sdq_total"
    assert t["shift"] == pytest.approx(-0.3 * t["sd"])
    assert t["treated_schools"] == sorted(loop.assignment.treated)
    follow = loop.year.panel[loop.year.panel["term"] == "2023-2"]
    treated = follow["school_id"].isin(loop.assignment.treated)
    assert t["by_outcome"]["sdq_total"]["n_children"] == int(treated.sum())
    # the pilot moves SDQ by about the shift; rounding, clipping at 0 and less counselling
    # the next term make the true effect smaller in size, never larger
    assert t["shift"] < t["itt"] < 0.6 * t["shift"]
    assert t["itt_sd"] == pytest.approx(t["itt"] / t["sd"])
    for other in ("math", "chinese", "attendance"):  # no pathway from SDQ to these
        assert t["by_outcome"][other]["itt"] == 0


def test_the_sd_is_the_baseline_terms_over_the_assigned_schools(loop):
    base = loop.base.panel
    rows = base[(base["term"] == "2022-2")]
    assert loop.year.truth["pilot"]["sd"] == pytest.approx(rows["sdq_total"].astype(float).std())


def test_no_effect_means_a_truth_of_exactly_zero_and_no_difference(loop):
    null = pilot.simulate(loop.spec, loop.assignment, effect=0.0, baseline=loop.base)
    assert null.truth["pilot"]["itt"] == 0
    # the pilot year does not depend on which schools would have piloted
    other = pilot.assign(loop.table, seed=999)
    null2 = pilot.simulate(loop.spec, other, effect=0.0, baseline=loop.base)
    pd.testing.assert_frame_equal(null.panel, null2.panel)


def test_only_the_treated_schools_children_move(loop):
    null = pilot.simulate(loop.spec, loop.assignment, effect=0.0, baseline=loop.base)
    key = ["student_id", "term"]
    a = loop.year.panel.set_index(key)["sdq_total"].astype(float)
    b = null.panel.set_index(key)["sdq_total"].astype(float)
    diff = (a - b).dropna()
    school = loop.year.panel.set_index(key)["school_id"].reindex(diff.index)
    moved = diff[diff != 0]
    autumn = moved.index.get_level_values("term") == "2023-1"
    # in the autumn pilot term only treated schools' children differ; in spring, the
    # counselling their autumn SDQ triggered may too
    assert school[moved.index][autumn].isin(loop.assignment.treated).all()
    assert (moved.index.get_level_values("term").isin(["2023-1", "2023-2"])).all()


def test_the_same_seed_gives_the_same_pilot_year(loop):
    again = pilot.simulate(loop.spec, loop.assignment, effect=-0.3, baseline=loop.base)
    pd.testing.assert_frame_equal(again.panel, loop.year.panel)
    other = pilot.simulate(loop.spec, loop.assignment, effect=-0.3, baseline=loop.base, seed=7)
    assert not other.panel.equals(loop.year.panel)


def test_the_small_preset_simulates_in_a_few_seconds():
    spec = SynthSpec.preset("small", seed=3)
    t0 = time.perf_counter()
    base = simulate(spec)
    a = pilot.assign(pilot.school_table(base), seed=3)
    year = pilot.simulate(spec, a, effect=0.2, baseline=base)
    assert time.perf_counter() - t0 < 10
    assert year.terms[-1] == "2025-2"


def test_schools_outside_the_county_are_refused(loop):
    with pytest.raises(SpecError, match="not in this county"):
        run_pilot_year(loop.spec, treated=["S99"], outcome="sdq_total", delta=1.0,
                       baseline=loop.base)  # fmt: skip
    with pytest.raises(SpecError, match="outcome"):
        run_pilot_year(loop.spec, treated=[], outcome="iq", delta=1.0, baseline=loop.base)
    with pytest.raises(SpecError, match="effect"):
        pilot.simulate(loop.spec, loop.assignment, effect=np.nan, baseline=loop.base)


def test_the_pilot_year_cohort_writes_and_reads(loop, tmp_path):
    from lbc_eval import read_cohort

    loop.year.write(tmp_path / "c")
    back = read_cohort(tmp_path / "c")
    assert back.terms == loop.year.terms
    assert back.truth["pilot"]["itt"] == loop.year.truth["pilot"]["itt"]
