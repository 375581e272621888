"""The generator's mechanisms are really in the data, and the truth is right for the sample.

Each statistical check compares an estimate with the truth in units of its own standard error,
so a tolerance follows from the sampling noise, not from a hand-picked number.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from lbc_eval import SynthSpec, simulate
from lbc_eval.data.codebook import CONTACT_COLUMNS, names
from lbc_eval.data.terms import term_index
from tests.conftest import SEEDS, cohort_for

warnings.filterwarnings("ignore", module="pyfixest")


def _fit(formula: str, data: pd.DataFrame, cluster: str | None = None):
    vcov = {"CRV1": cluster} if cluster else "hetero"
    return pf.feols(formula, data=data, vcov=vcov)


# --- structure -------------------------------------------------------------------------------


def test_tables_follow_the_codebook(small):
    assert list(small.panel.columns) == names("panel")
    assert list(small.schools.columns) == names("schools")
    assert list(small.destinations.columns) == names("destinations")
    assert small.panel.groupby(["student_id", "term"]).size().max() == 1


def test_sizes_follow_the_spec(small):
    spec = SynthSpec.preset("small", seed=11)
    first = small.panel[small.panel["term"] == small.terms[0]]
    assert len(first) == spec.n_children
    assert small.terms == spec.terms
    assert small.schools["school_id"].nunique() == spec.n_schools
    assert small.panel["township"].nunique() == spec.n_townships
    assert len(small.destinations) == spec.n_destinations
    # enrolment stays near its first-term size: entrants replace graduates
    per_term = small.panel.groupby("term").size()
    assert per_term.min() > 0.85 * spec.n_children


def test_values_in_codebook_ranges(small):
    p = small.panel
    assert p["grade"].between(1, 9).all()
    assert p["sdq_total"].dropna().between(0, 40).all()
    assert p["attendance"].dropna().between(0, 1).all()
    for col in (*CONTACT_COLUMNS, "activities", "counseling", "scholarship_yuan"):
        assert (p[col] >= 0).all(), col
    # contacts only for paired children
    unpaired = p["mentor_role"] == "none"
    assert (p.loc[unpaired, list(CONTACT_COLUMNS)].sum(axis=1) == 0).all()
    # grade and birth year agree (6 by 31 August of grade 1; a tenth a year older)
    age_in_autumn = p["term"].str[:4].astype(int) - p["birth_year"].astype(int)
    assert (age_in_autumn - p["grade"].astype(int)).between(4, 7).all()


def test_ids_are_synthetic_and_pseudonymous(small):
    r = small.roster
    assert r["resident_id"].str.startswith("99").all()
    assert r["student_no"].str.startswith("G99").all()
    assert r["student_id"].is_unique and r["resident_id"].is_unique
    assert set(small.panel["student_id"]) <= set(r["student_id"])
    assert small.panel["student_id"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert r["name"].str.fullmatch(r"学生\d+").all()


# --- determinism ------------------------------------------------------------------------------


def _tree_bytes(path):
    return {
        p.relative_to(path).as_posix(): p.read_bytes()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_same_spec_same_bytes_other_seed_other_data(tmp_path):
    spec = SynthSpec.preset("small", n_children=400, seed=5)
    simulate(spec).write(tmp_path / "a")
    simulate(spec).write(tmp_path / "b")
    simulate(spec.update(seed=6)).write(tmp_path / "c")
    a, b, c = (_tree_bytes(tmp_path / k) for k in "abc")
    assert a == b
    assert a.keys() == c.keys()
    assert a["panel/term=2021-1/part-0.parquet"] != c["panel/term=2021-1/part-0.parquet"]
    assert a["truth.json"] != c["truth.json"]


# --- mechanisms -------------------------------------------------------------------------------


def test_left_behind_status_varies_within_children(small):
    p = small.panel
    n_status = p.groupby("student_id", observed=True)["lb_status"].nunique()
    switchers = (n_status > 1).mean()
    assert 0.10 < switchers < 0.60, switchers
    # parents start and stop: both transitions occur
    wide = p.assign(lb=p["lb_status"] != "none").pivot(
        index="student_id", columns="term", values="lb"
    )
    pair = wide[[small.terms[0], small.terms[2]]].dropna().astype(bool)
    a, b = pair.iloc[:, 0], pair.iloc[:, 1]
    assert (a & ~b).sum() > 20 and (~a & b).sum() > 20


def test_school_icc_near_its_knob(county):
    """One-way ANOVA ICC of math in the first term, against the knob 0.20."""
    p = county.panel[county.panel["term"] == county.terms[0]].dropna(subset=["math"])
    g = p.groupby("school_id")["math"]
    k = g.size()
    n, m = len(p), len(k)
    msb = (k * (g.mean() - p["math"].mean()) ** 2).sum() / (m - 1)
    msw = ((p["math"] - g.transform("mean")) ** 2).sum() / (n - m)
    n0 = (n - (k**2).sum() / n) / (m - 1)
    icc = (msb - msw) / (msb + (n0 - 1) * msw)
    # sampling SD of an ICC from 60 schools is about 0.04
    assert abs(icc - 0.20) < 0.10, icc


def _dose_data(cohort) -> pd.DataFrame:
    p = cohort.panel
    t = term_index(p["term"], origin=cohort.terms[0])
    now = pd.DataFrame(
        {
            "student_id": p["student_id"],
            "t": t,
            "school_id": p["school_id"],
            "contacts": p[list(CONTACT_COLUMNS)].astype(float).sum(axis=1),
            "paired": p["mentor_role"] != "none",
        }
    )
    nxt = pd.DataFrame(
        {
            "student_id": p["student_id"],
            "t": t - 1,
            "sdq": p["sdq_total"].astype(float),
            "lb": p["lb_status"].astype(str),
        }
    )
    d = now.merge(nxt, on=["student_id", "t"]).dropna(subset=["sdq"])
    return d[d["paired"]]


@pytest.mark.parametrize("seed", SEEDS)
def test_within_child_dose_recovers_truth_naive_does_not(seed):
    cohort = cohort_for("small", seed)
    spec = SynthSpec.preset("small", seed=seed)
    truth = cohort.truth["dose_response"]["sdq_total"]["ame"]
    d = _dose_data(cohort)
    # within child, on the true shape: b * x(c) with x(c) = 1 - exp(-c / c0)
    d["x"] = 1 - np.exp(-d["contacts"] / spec.dose_scale)
    dx = (np.exp(-d["contacts"] / spec.dose_scale) * (1 - np.exp(-1 / spec.dose_scale))).mean()
    fe = _fit("sdq ~ x + C(lb) | student_id + t", d, cluster="school_id")
    ame, se = fe.coef()["x"] * dx, fe.se()["x"] * dx
    assert abs(ame - truth) < 3.5 * se, (ame, se, truth)
    # the cross-section confounds need with contacts: the wrong sign, far from the truth
    naive = _fit("sdq ~ contacts", d, cluster="school_id")
    b, se_b = naive.coef()["contacts"], naive.se()["contacts"]
    assert b > 0 > truth
    assert abs(b - truth) > 4 * se_b


def test_dose_truth_is_concave_and_matches_the_knob(small):
    spec = SynthSpec.preset("small", seed=11)
    curve = np.array(small.truth["dose_response"]["sdq_total"]["curve"])
    steps = np.diff(curve)
    assert curve[0] == 0 and (steps < 0).all()
    assert (np.diff(steps) > -0.02).all()  # diminishing returns (rounding noise allowed)
    # rounding SDQ to whole points averages out: the sample curve is the knob's curve
    grid = np.array(small.truth["dose_response"]["sdq_total"]["grid"])
    knob = 6.0 * spec.dose_max_sdq * (1 - np.exp(-grid / spec.dose_scale))
    np.testing.assert_allclose(curve, knob, atol=0.06)
    assert small.truth["dose_response"]["math"]["ame"] == pytest.approx(0, abs=1e-3)


def test_training_cross_section_biased_school_fe_not(county):
    p = county.panel.dropna(subset=["math"])
    sy = p.assign(year=p["term"].str[:4].astype(int)).groupby(["school_id", "year"])
    means = sy["math"].mean().rename("math").reset_index()
    d = means.merge(county.schools[["school_id", "year", "trained_share"]])
    truth = county.truth["training"]["math"]["overall"]
    naive = _fit("math ~ trained_share", d)
    fe = _fit("math ~ trained_share | school_id + year", d, cluster="school_id")
    assert abs(fe.coef()["trained_share"] - truth) < 3.5 * fe.se()["trained_share"]
    assert naive.coef()["trained_share"] - truth > 2 * naive.se()["trained_share"]


def test_training_reaches_better_schools_first(county):
    s = county.schools
    last = s[s["year"] == s["year"].max()]
    first = s[s["year"] == s["year"].min()]
    assert (last["trained_share"].to_numpy() >= first["trained_share"].to_numpy()).all()
    assert last["trained_share"].std() > 0.05


# --- enrolment policy -------------------------------------------------------------------------


def _did_data(cohort) -> tuple[pd.DataFrame, pd.Series]:
    """Children left behind in the first term; moved-by-t, carried forward after moving out."""
    p = cohort.panel
    terms = cohort.terms
    t = term_index(p["term"], origin=terms[0])
    p = p.assign(t=t)
    first = p[(p["t"] == 0) & (p["lb_status"] != "none")].set_index("student_id")
    year = (
        first["destination_id"]
        .map(cohort.destinations.set_index("destination_id")["policy_year"])
        .astype(float)
    )
    g = 2 * (year - int(terms[0][:4]))
    rows = p[p["student_id"].isin(first.index)]
    grid = pd.MultiIndex.from_product(
        [first.index, range(len(terms))], names=["student_id", "t"]
    ).to_frame(index=False)
    d = grid.merge(rows[["student_id", "t", "moved_to_parents", "exit_reason"]], how="left")
    observed = d["moved_to_parents"].notna()
    d["moved"] = d["moved_to_parents"].astype(float).fillna(0)
    d["moved"] = d.groupby("student_id")["moved"].cummax()
    out = (d["exit_reason"] == "moved_with_parents").astype(float)
    gone = out.groupby(d["student_id"]).cummax() > 0
    d = d[observed | gone].copy()
    d["g"] = d["student_id"].map(g)
    return d, g


@pytest.mark.parametrize("seed", SEEDS)
def test_true_att_gt_is_what_a_clean_did_estimates(seed):
    cohort = cohort_for("small", seed)
    d, g = _did_data(cohort)
    wide = d.pivot(index="student_id", columns="t", values="moved")
    cells = pd.DataFrame(cohort.truth["policy"]["moved"]["att_gt"])
    cells["gi"] = term_index(cells["group"], origin=cohort.terms[0])
    cells["ti"] = term_index(cells["time"], origin=cohort.terms[0])
    z = []
    for _, c in cells[cells["ti"] >= cells["gi"]].iterrows():
        w = wide[[c["gi"] - 1, c["ti"]]].dropna()
        change = w[c["ti"]] - w[c["gi"] - 1]
        gg = g.reindex(w.index)
        a, b = change[gg == c["gi"]], change[gg.isna()]
        est = a.mean() - b.mean()
        se = np.sqrt(a.var() / len(a) + b.var() / len(b))
        if se == 0:  # nobody moved in either group yet
            assert abs(est - c["att"]) < 0.01
            continue
        z.append((est - c["att"]) / se)
    z = np.array(z)
    assert np.abs(z).max() < 4, z
    assert abs(z.mean()) < 1.5, z
    # and before adoption nothing happens
    pre = cells[cells["ti"] < cells["gi"]]
    assert (pre["att"] == 0).all()


def test_twfe_event_study_differs_from_truth(county):
    d, _ = _did_data(county)
    d["rel"] = np.where(d["g"].isna(), -1000, d["t"] - d["g"]).astype(int)
    es = _fit("moved ~ i(rel, ref=-1) | student_id + t", d, cluster="student_id")
    truth = pd.DataFrame(county.truth["policy"]["moved"]["event_time"]).set_index("event_time")
    tidy = es.tidy()
    rel = [int(float(s.split("::")[1].rstrip("]"))) for s in tidy.index]
    tidy.index = rel
    tidy = tidy.drop(index=-1000, errors="ignore")
    z = (tidy["Estimate"] - truth.loc[tidy.index, "att"]) / tidy["Std. Error"]
    # the leads, truly zero, are not: TWFE's forbidden comparisons with early adopters
    assert (z[z.index < -1] > 2).sum() >= 2, z
    # the static TWFE estimate is far from the true overall ATT
    d["post"] = ((d["rel"] >= 0) & (d["rel"] != -1000)).astype(float)
    static = _fit("moved ~ post | student_id + t", d, cluster="student_id")
    overall = county.truth["policy"]["moved"]["overall"]["att"]
    assert overall - static.coef()["post"] > 5 * static.se()["post"]


def test_policy_effects_are_dynamic_and_heterogeneous(county):
    cells = pd.DataFrame(county.truth["policy"]["moved"]["att_gt"]).dropna(subset=["att"])
    post = cells[cells["event_time"] >= 0]
    by_e = post.groupby("event_time")["att"].mean()
    assert by_e.is_monotonic_increasing
    at0 = post[post["event_time"] == 0].set_index("group")["att"]
    assert at0.iloc[0] > 1.5 * at0.iloc[-1]  # earliest adopters respond more


def test_attrition_depends_on_the_policy(small):
    p = small.panel
    moved_out = p["exit_reason"] == "moved_with_parents"
    year = p["destination_id"].map(small.destinations.set_index("destination_id")["policy_year"])
    exposed = year.notna() & (p["term"].str[:4].astype(int) >= year.astype(float))
    lb = p["lb_status"] != "none"
    rate_exposed = moved_out[lb & exposed].mean()
    rate_not = moved_out[lb & ~exposed].mean()
    assert rate_exposed > 2 * rate_not
    assert set(p["exit_reason"].dropna().unique()) == {
        "graduated",
        "moved_with_parents",
        "transferred_out",
        "dropped_out",
    }


def test_missing_outcomes_depend_on_observables(county):
    p = county.panel
    miss = p["sdq_total"].isna()
    assert miss[p["low_income"]].mean() > 1.5 * miss[~p["low_income"]].mean()
    assert 0.03 < miss.mean() < 0.25


def test_lb_gap_truth_matches_knobs(small):
    spec = SynthSpec.preset("small", seed=11)
    gap = small.truth["lb_gap"]
    assert gap["math"]["both"] == pytest.approx(spec.gap_math[2], abs=1e-3)
    assert gap["sdq_total"]["both"] == pytest.approx(6 * spec.gap_sdq[2], abs=0.1)
    spec_flipped = spec.update(gap_math=(0.0, 0.0, 0.10), n_children=500)
    flipped = simulate(spec_flipped).truth["lb_gap"]["math"]["both"]
    assert flipped == pytest.approx(0.10, abs=1e-3)
