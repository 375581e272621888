"""analyse(): exactly the registered analysis (the kit's fit_fe, randomisation inference on
the registered procedure, Holm), attrition by arm, and every deviation reported."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from lbc_eval import fit_fe
from lbc_eval.errors import EstimationError
from lbc_eval.estimation.inference.multiple import holm
from lbc_eval.pilot import PilotSpec, analyse


@pytest.fixture(scope="module")
def result(loop):
    return analyse(loop.year, loop.plan)


def _deviations(res):
    d = res.tables["deviations"]
    return set(d.loc[d["deviation"].fillna(False).astype(bool), "check"])


@pytest.mark.filterwarnings("ignore::lbc_eval.errors.FewClustersWarning")
def test_the_primary_row_is_the_registered_regression(loop, result):
    panel = loop.year.panel
    f = panel[panel["term"] == "2023-2"][["student_id", "school_id", "sdq_total"]].copy()
    b = panel[panel["term"] == "2022-2"].set_index("student_id")["sdq_total"].astype(float)
    arms = dict(zip(loop.assignment.table["school_id"], loop.assignment.table["arm"],
                    strict=True))  # fmt: skip
    strata = dict(zip(loop.assignment.table["school_id"], loop.assignment.table["stratum"],
                      strict=True))  # fmt: skip
    f["treated"] = (f["school_id"].map(arms) == "treatment").astype(float)
    f["stratum"] = f["school_id"].map(strata)
    f["y0"] = f["student_id"].map(b)
    f["m"] = f["y0"].isna().astype(float)
    f["y0"] = f["y0"].fillna(0.0)
    f = f[f["sdq_total"].notna()]
    f["sdq_total"] = f["sdq_total"].astype(float)
    ref = fit_fe(f, outcome="sdq_total", treatment="treated", fixed_effects="stratum",
                 controls=["y0", "m"] if f["m"].any() else ["y0"], cluster="school_id",
                 inference="crv1")  # fmt: skip
    row = result.tidy().iloc[0]
    assert row["outcome"] == "sdq_total" and row["role"] == "primary"
    assert row["estimate"] == pytest.approx(ref.estimate("treated"), rel=1e-9)
    assert row["std_error"] == pytest.approx(ref.std_error("treated"), rel=1e-9)
    assert row["p_value_crv1"] == pytest.approx(ref.p_value("treated"), rel=1e-6)
    assert row["nobs"] == ref.nobs and row["n_schools"] == 24
    assert row["p_value"] == row["p_value_ri"]
    assert row["estimate_sd"] == pytest.approx(row["estimate"] / row["sd_baseline"])


def test_randomisation_p_values_from_the_registered_draws(loop, result):
    from lbc_eval.pilot.randomise import RI_STREAM, draws, stream

    R = loop.plan.content["estimator"]["ri_reps"]
    Z, _ = draws(loop.plan.design(), stream(loop.assignment.seed, RI_STREAM), R)
    assert loop.plan.design().imbalance(Z).max() <= 0.25  # re-randomisation respected
    # p = (1 + hits) / (1 + R): a multiple of 1 / (R + 1)
    for p in result.tidy()["p_value_ri"]:
        assert (p * (R + 1)) == pytest.approx(round(p * (R + 1)))
    t = result.tidy()
    assert np.allclose(t["p_adjusted"], holm(t["p_value_ri"].to_numpy()))
    assert list(t["outcome"]) == ["sdq_total", "attendance", "math"]


def test_the_same_inputs_give_the_same_analysis(loop, result):
    again = analyse(loop.year, loop.plan)
    pd.testing.assert_frame_equal(again.tidy(), result.tidy())
    pd.testing.assert_frame_equal(again.tables["attrition"], result.tables["attrition"])


def test_compared_with_the_truth(loop, result):
    v = result.vs_truth(loop.year.truth)
    assert v["truth"].iloc[0] == pytest.approx(loop.year.truth["pilot"]["itt"])
    assert (v["truth"].iloc[1:] == 0).all()
    # within 4 standard errors of the truth (a loose check; coverage is in test_loop)
    assert abs(v["error"].iloc[0]) < 4 * v["std_error"].iloc[0]


def test_attrition_by_arm_by_brute_force(loop, result):
    panel = loop.year.panel
    arms = dict(zip(loop.assignment.table["school_id"], loop.assignment.table["arm"],
                    strict=True))  # fmt: skip
    b = panel[(panel["term"] == "2022-2") & (panel["grade"] < 9)]
    f = panel[(panel["term"] == "2023-2") & panel["sdq_total"].notna()]
    followed = b["student_id"].isin(set(f["student_id"]))
    att = result.tables["attrition"].set_index("arm")
    for arm in ("control", "treatment"):
        m = b["school_id"].map(arms) == arm
        assert att.loc[arm, "n_baseline"] == m.sum()
        assert att.loc[arm, "attrition"] == pytest.approx(1 - followed[m].mean())
    d = result.diagnostic("attrition")
    assert d["statistic"] == pytest.approx(att.loc["treatment", "attrition"]
                                           - att.loc["control", "attrition"])  # fmt: skip


def test_no_deviation_when_the_data_follow_the_plan(result):
    assert _deviations(result) == set()
    assert result.tables["deviations"]["check"].tolist()[:2] == ["spec_hash", "registered_hash"]


def test_missing_and_extra_schools(loop):
    panel = loop.year.panel
    gone = loop.assignment.treated[0]
    follow = panel["term"] == "2023-2"
    data = panel[~(follow & (panel["school_id"] == gone))].copy()
    extra = data[data["term"] == "2023-2"].head(30).copy()
    extra["school_id"] = "S99"
    data = pd.concat([data, extra], ignore_index=True)
    res = analyse(data, loop.plan)
    assert _deviations(res) == {"missing_schools", "extra_schools"}
    d = res.tables["deviations"].set_index("check")
    assert gone in d.loc["missing_schools", "message_en"]
    assert "S99" in d.loc["extra_schools", "message_en"]
    assert res.tidy()["n_schools"].iloc[0] == 23


def test_a_missing_outcome_is_a_deviation(loop):
    data = loop.year.panel.drop(columns=["math"])
    res = analyse(data, loop.plan)
    assert _deviations(res) == {"missing_outcomes"}
    assert list(res.tidy()["outcome"]) == ["sdq_total", "attendance"]


def test_an_edited_spec_and_a_published_hash(loop, tmp_path):
    path = loop.plan.write(tmp_path)
    assert _deviations(analyse(loop.year, path, registered_hash=loop.plan.hash)) == set()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["outcomes"]["primary"] = "attendance"  # a changed outcome
    data["multiple_testing"]["family"] = ["attendance", "sdq_total", "math"]
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    res = analyse(loop.year, path, registered_hash=loop.plan.hash)
    assert _deviations(res) == {"spec_hash", "registered_hash"}
    assert res.outcome == "attendance"  # it runs what the file says, and says it was edited
    assert not res.diagnostic("spec_hash")["passed"]
    assert PilotSpec.read(path).hash != loop.plan.hash


def test_arms_delivered_differently(loop):
    t = loop.assignment.table
    delivered = t.assign(arm=t["arm"].where(t.index != 0, "treatment" if t["arm"].iloc[0]
                                            == "control" else "control"))  # fmt: skip
    res = analyse(loop.year, loop.plan, delivered=delivered)
    assert _deviations(res) == {"delivered_arms"}
    # intention to treat: the estimate does not change
    same = analyse(loop.year, loop.plan).tidy()["estimate"].iloc[0]
    assert res.tidy()["estimate"].iloc[0] == same


def test_data_without_the_follow_up_term_are_refused(loop):
    with pytest.raises(EstimationError, match="2023-2"):
        analyse(loop.base, loop.plan)


def test_romano_wolf_on_the_joint_randomisation_draws(loop):
    from lbc_eval.pilot import plan
    from tests.pilot.conftest import FAST, ICC

    spec = plan(loop.assignment, outcome="sdq_total", effect_of_interest=0.3,
                secondary=["attendance", "math"], icc=ICC, multiple_testing="romano-wolf",
                **FAST)  # fmt: skip
    res = analyse(loop.year, spec)
    t = res.tidy()
    D = np.column_stack([res.raw["ri_draws"][o] for o in t["outcome"]])
    stat = np.abs(t["statistic"].to_numpy())  # studentised: the draws are t statistics too
    # step-down max-T by hand (Westfall-Young on the randomisation draws)
    order = np.argsort(-stat)
    p, prev = np.empty(3), 0.0
    for j, k in enumerate(order):
        m = np.abs(D[:, order[j:]]).max(axis=1)
        prev = max(prev, (1 + (m >= stat[k] - 1e-10 * stat[k]).sum()) / (1 + len(D)))
        p[k] = prev
    np.testing.assert_allclose(t["p_adjusted"], p)
    assert (t["p_adjusted"] >= t["p_value_ri"] - 1e-12).all()
