"""assign(): reproducible from the seed, balance by brute force, re-randomisation recorded,
strata merged, and bad inputs refused with what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval import pilot
from lbc_eval.errors import SpecError, UnknownColumnError
from lbc_eval.pilot import Assignment, assign


def test_the_same_seed_gives_the_same_assignment(loop):
    a1 = assign(loop.table, seed=5, rerandomize=0.25)
    a2 = assign(loop.table, seed=5, rerandomize=0.25)
    a3 = assign(loop.table, seed=6, rerandomize=0.25)
    pd.testing.assert_frame_equal(a1.table, a2.table)
    assert a1.rerandomize == a2.rerandomize
    assert not a1.table["arm"].equals(a3.table["arm"])


def test_the_balance_table_by_brute_force(loop):
    a = assign(loop.table, seed=9)
    t = loop.table.set_index("school_id").loc[a.table["school_id"]]
    treated = (a.table["arm"] == "treatment").to_numpy()
    for row in a.balance.itertuples(index=False):
        x = t[row.covariate].to_numpy(float)
        assert row.mean_treatment == pytest.approx(x[treated].mean())
        assert row.mean_control == pytest.approx(x[~treated].mean())
        assert row.std_diff == pytest.approx((x[treated].mean() - x[~treated].mean())
                                             / x.std(ddof=1))  # fmt: skip


def test_rerandomisation_meets_its_threshold_and_is_recorded(loop):
    a = assign(loop.table, seed=3, rerandomize=0.15)
    assert a.balance["std_diff"].abs().max() <= 0.15
    assert a.rerandomize["threshold"] == 0.15
    assert a.rerandomize["tried"] == a.rerandomize["accepted_draw"] >= 1


def test_every_stratum_has_both_arms_and_small_ones_are_merged(loop):
    a = assign(loop.table, seed=4)
    for _, g in a.table.groupby("stratum"):
        assert set(g["arm"]) == {"control", "treatment"}
    table = loop.table.copy()
    table.loc[table.index[0], "township"] = "alone"  # a stratum of one school
    b = assign(table, seed=4)
    assert "alone" in b.merged and "+" in b.merged["alone"]
    assert any("merged strata" in n for n in b.notes)


def test_write_and_read_round_trip(loop, tmp_path):
    a = loop.assignment
    a.write(tmp_path)
    b = Assignment.read(tmp_path)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert b.seed == a.seed and b.rerandomize == a.rerandomize and b.covariates == a.covariates
    assert np.array_equal(a.design().X, b.design().X)
    assert (tmp_path / "balance.csv").exists() and (tmp_path / "assignment.csv").exists()


def test_the_design_redraws_the_assignment(loop):
    from lbc_eval.pilot.randomise import ASSIGN_STREAM, draw, stream

    a = loop.assignment
    z, tried = draw(a.design(), stream(a.seed, ASSIGN_STREAM))
    assert list(np.where(z, "treatment", "control")) == list(a.table["arm"])
    assert tried == a.rerandomize["tried"]


def test_no_child_identifier_in_what_is_written(loop, tmp_path):
    loop.assignment.write(tmp_path)
    text = (tmp_path / "assignment.json").read_text(encoding="utf-8")
    ids = loop.base.panel["student_id"].astype(str).unique()[:200]
    assert "student_id" not in text and not any(i in text for i in ids)


# --- bad inputs -----------------------------------------------------------------------------


def test_unknown_stratum_column(loop):
    with pytest.raises(UnknownColumnError, match="district"):
        assign(loop.table, seed=1, strata="district")


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.2])
def test_treat_share_outside_zero_one(loop, share):
    with pytest.raises(SpecError, match="treat_share"):
        assign(loop.table, seed=1, treat_share=share)


def test_too_few_schools(loop):
    with pytest.raises(SpecError, match="at least 4"):
        assign(loop.table.head(3), seed=1)


def test_duplicate_schools_and_bad_seed(loop):
    with pytest.raises(SpecError, match="twice"):
        assign(pd.concat([loop.table, loop.table.head(1)]), seed=1)
    with pytest.raises(SpecError, match="seed"):
        assign(loop.table, seed=-1)


def test_an_mde_above_the_bound_is_refused_naming_both(loop):
    icc = {"icc": 0.2, "children_per_school": 20, "outcome": "sdq_total"}
    ok = assign(loop.table, seed=1, icc=icc)
    mde = ok.power["mde"]
    with pytest.raises(SpecError) as err:
        assign(loop.table, seed=1, icc=icc, max_mde=mde - 0.05)
    text = str(err.value)
    assert f"{mde:.3f}" in text and f"{mde - 0.05:.3f}" in text and "allow_large_mde" in text
    forced = assign(loop.table, seed=1, icc=icc, max_mde=mde - 0.05, allow_large_mde=True)
    assert any("randomised anyway" in n for n in forced.notes)
    assert assign(loop.table, seed=1, icc=icc, max_mde=mde + 0.01).power["mde"] == mde


def test_the_mde_is_the_kits(loop):
    icc = {"icc": 0.1, "r2_individual": 0.3, "children_per_school": 25}
    a = assign(loop.table, seed=1, icc=icc, treat_share=0.4)
    expected = pilot.mde(n_clusters=len(loop.table), cluster_size=25, icc=0.1, r2_individual=0.3,
                         treat_share=0.4)  # fmt: skip
    assert a.power["mde"] == pytest.approx(float(expected))


def test_max_mde_needs_the_iccs(loop):
    with pytest.raises(SpecError, match="icc_from_cohort"):
        assign(loop.table, seed=1, max_mde=0.3)


def test_a_missing_covariate_is_set_to_the_mean_of_the_others(loop):
    table = loop.table.copy()
    table.loc[table.index[0], "mean_sdq_total"] = np.nan
    a = assign(table, seed=2)
    assert any("mean_sdq_total missing for 1 school" in n for n in a.notes)


def test_a_procedure_with_too_few_assignments_is_flagged(small):
    from lbc_eval.errors import LbcEvalWarning

    table = pilot.school_table(small, outcomes=("sdq_total",))  # 12 schools, 4 townships
    with pytest.warns(LbcEvalWarning, match="different assignments"):
        tight = assign(table, seed=2025, rerandomize=0.25)
    assert not tight.support["enough"] and tight.support["distinct"] < 40
    loose = assign(table, seed=2025)
    assert loose.support["enough"] and loose.support["distinct"] >= 40
