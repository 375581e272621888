"""Q4 work plan: pilot sizes carry their assumptions, the R² rule, the county's schools; the
findings table, the actions' verdicts and recommendations, and the brief built from them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lbc_eval.pilot.icc import icc_from_cohort
from lbc_eval.pilot.power import mde
from lbc_eval.pilot.sizing import ASSUMPTIONS
from lbc_eval.questions import findings, workplan
from tests.questions.test_findings import evidence_for


@pytest.fixture(scope="module")
def small_ev():
    """The small cohort of seed 11 (the session's ``small``), cached with test_findings."""
    return evidence_for(11)


def _county_ev(county) -> workplan.Evidence:
    """Only what pilot_size reads: the ICC splits and the school count."""
    icc = {o: icc_from_cohort(county, outcome=o) for o in ("sdq_total", "math")}
    empty = pd.DataFrame()
    return workplan.Evidence("county", None, None, None, empty, empty, 0, icc=icc,
                             n_schools=int(county.panel["school_id"].nunique()))  # fmt: skip


def test_small_cohort_plans_without_r2(small_ev):
    assert small_ev.n_schools == 12
    for action in ("pairing", "teacher_training"):
        p = workplan.pilot_size(small_ev, action)
        assert set(ASSUMPTIONS) <= set(p)
        assert p["r2_cluster"] == 0 and p["r2_individual"] == 0 and not p["r2_used"]
        assert "fewer than 20" in p["notes"]
        assert p["county_schools"] == 12
        expect = mde(n_clusters=12, cluster_size=p["children_per_school"], icc=p["icc"],
                     power=p["power"], alpha=p["alpha"])  # fmt: skip
        assert p["mde_all_schools"] == pytest.approx(float(expect))


def test_county_plans_with_estimated_r2(county):
    ev = _county_ev(county)
    p = workplan.pilot_size(ev, "pairing")
    split = ev.icc["sdq_total"].design("cluster2")
    assert p["r2_used"] and p["r2_schools"] == 60 and p["county_schools"] == 60
    assert p["r2_cluster"] == pytest.approx(split["r2_cluster"]) and p["r2_cluster"] > 0
    expect = mde(n_clusters=60, cluster_size=p["children_per_school"], icc=p["icc"],
                 r2_cluster=p["r2_cluster"], r2_individual=p["r2_individual"])  # fmt: skip
    assert p["mde_all_schools"] == pytest.approx(float(expect))
    half = workplan.pilot_size(ev, "pairing", share_reached=0.5)
    assert half["effect_detected_sd"] == pytest.approx(0.075)
    assert half["schools_needed"] > p["schools_needed"]


def test_actions_show_assumptions_beside_the_size(small_ev):
    en = workplan.actions(small_ev, lang="en")
    assert set(workplan.PILOT_COLUMNS) <= set(en.columns)
    sized = en.dropna(subset=["schools_needed"])
    assert len(sized) == 4 and (sized["county_schools"] == 12).all()
    assert (sized["r2_cluster"] == 0).all()
    zh = workplan.actions(small_ev, lang="zh")
    assert "全县学校数" in zh.columns and "需随机分配学校数" in zh.columns


def test_findings_table_has_one_row_per_finding(small_ev):
    rows = small_ev.findings()
    assert tuple(rows.columns) == findings.COLUMNS
    effects = rows[rows["kind"] == "effect"]
    assert effects[["question", "measure"]].values.tolist() == [
        ["Q1", "ame"], ["Q2", "trained_share"], ["Q3", "simple"], ["Q3", "dynamic"]]
    assert effects["verdict"].isin(findings.VERDICTS).all()
    assert rows.loc[rows["kind"] != "effect", "verdict"].isna().all()
    for c in ("population_zh", "population_en", "assumption_zh", "assumption_en"):
        assert effects[c].str.len().gt(20).all(), c
    assert (rows.loc[rows["kind"] == "pilot", "measure"]
            == [f"pilot:{a}" for a in workplan.PLAUSIBLE]).all()  # fmt: skip
    sch = rows.set_index("measure").loc["scholarship_shortfall"]
    n_short = len(small_ev.shortfalls)
    assert f"{n_short} of {small_ev.scholarship_rows} school-years" in sch["text_en"]
    assert sch["estimate"] == small_ev.shortfalls["shortfall"].sum()


def test_actions_follow_the_verdicts(small_ev):
    rows = small_ev.findings()
    en = workplan.actions(small_ev, lang="en", rows=rows).set_index("action")
    v = rows.set_index("measure")["verdict"]
    pairing = en.loc["Widen mentor pairing"]
    assert pairing["verdict"] == findings.VERDICT_LABELS[v["ame"]][1]
    assert pairing["recommendation"].startswith(findings.RECOMMEND["pairing"][v["ame"]][1])
    train = en.loc["Continue teacher training"]
    assert train["recommendation"].startswith(
        findings.RECOMMEND["teacher_training"][v["trained_share"]][1])
    assert "Keep" not in train["recommendation"] or v["trained_share"] == "improves"
    assert en.loc["Priority access to counselling", "verdict"] == "no estimate"
    zh = workplan.actions(small_ev, lang="zh", rows=rows)
    assert {"证据结论", "建议"} <= set(zh.columns)


def test_findings_say_few_schools_only_when_few(small_ev):
    """12 schools: below the 50 at which inference switches to the wild bootstrap, said; the
    pilot sentence gives the county's school count and the R² used."""
    en = workplan.findings_markdown(small_ev, lang="en")
    assert "only 12 schools, fewer than 50" in en
    assert "R² 0.00); the county has 12" in en
    zh = workplan.findings_markdown(small_ev, lang="zh")
    assert "全县共 12 所" in zh and "少于 50 所" in zh


def test_checks_line_says_what_failed_from_the_diagnostics():
    from types import SimpleNamespace

    from lbc_eval.estimation.results import diagnostics_frame
    from lbc_eval.questions.workplan import checks_line

    def res(*rows):
        return SimpleNamespace(diagnostics=diagnostics_frame(rows))

    ok = {"check": "schools", "statistic": 12, "passed": None, "message": "12 schools"}
    bad = {"check": "lead_placebo", "statistic": 6.5, "p_value": 0.0, "passed": False,
           "message": "contacts respond to bad terms"}  # fmt: skip
    good = {"check": "pretest", "statistic": 0.1, "p_value": 0.8, "passed": True, "message": ""}
    ev = SimpleNamespace(dose=res(bad, good), training=res(ok), policy=res(good, good))
    en = checks_line(ev, lang="en")
    assert "Q1: lead_placebo FAILED (contacts respond to bad terms)" in en
    assert "Q2: no check could be computed" in en and "Q3: all 2 checks passed" in en
    zh = checks_line(ev, lang="zh")
    assert "Q1：未通过：前导安慰剂检验" in zh and "Q3：2 项检验全部通过" in zh


def test_pilot_notes_follow_the_language(small_ev):
    """The actions table's notes (e.g. R² not used with few schools) are Chinese in the Chinese
    table and English in the English one."""
    import re

    zh = workplan.actions(small_ev, lang="zh")["说明"].dropna()
    en = workplan.actions(small_ev, lang="en")["pilot_notes"].dropna()
    assert len(zh) and (zh != "").any()
    assert not any(re.search(r"[A-Za-z]{4,}", n) for n in zh), list(zh)
    assert all("R² = 0" in n or not n for n in en)
    assert any("不采用" in n for n in zh)


def test_the_pilot_table_points_to_the_pilot_notebook():
    zh = workplan.pilot_pointer("zh")
    assert "笔记本 7" in zh and "lbc-eval pilot" in zh
    assert "notebook 7" in workplan.pilot_pointer("en")
    src = Path(__file__).resolve().parents[2] / "notebooks" / "src"
    assert (src / "07_pilot.py").exists()
    assert "workplan.pilot_pointer" in (src / "05_work_plan.py").read_text(encoding="utf-8")


def test_evidence_reports_its_steps_and_the_same_evidence(small_ev):
    """``progress`` gets one line as each step starts, in order; the evidence is unchanged."""
    import warnings

    from lbc_eval.data.messages import render
    from tests.conftest import cohort_for
    from tests.questions.test_findings import REPS

    lines: list[object] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ev = workplan.evidence(cohort_for("small", 11), reps=REPS, progress=lines.append)
    sdq, moved = "SDQ total difficulties", "Moved to live with parents (cumulative)"
    assert [render(x, "en") for x in lines] == [
        f"Q1: {sdq}", "Q2: Math score", f"Q3: {moved}", "scholarship audit", f"ICC: {sdq}",
        "ICC: Math score",
    ]
    assert [render(x, "zh") for x in lines][-2:] == ["组内相关系数：SDQ困难总分",
                                                     "组内相关系数：数学成绩"]  # fmt: skip
    pd.testing.assert_frame_equal(ev.findings(), small_ev.findings())
