"""The stress-test knobs do what they say: contacts that respond to the current term's shock,
destination-year shocks to the moving hazard, and school trends that follow training uptake.
And the policy truth is what the two worlds' panels give when computed independently."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from lbc_eval import SynthSpec, simulate
from lbc_eval.data.codebook import CONTACT_COLUMNS, OUTCOMES
from lbc_eval.data.terms import term_index
from lbc_eval.synth.engine import draw
from lbc_eval.synth.world import build_world
from tests.synth.test_synth import _dose_data

warnings.filterwarnings("ignore", module="pyfixest")

SMALL = SynthSpec.preset("small", seed=31)


def _paired(cohort) -> pd.DataFrame:
    p = cohort.panel
    d = pd.DataFrame(
        {
            "student_id": p["student_id"],
            "t": term_index(p["term"], origin=cohort.terms[0]),
            "school_id": p["school_id"],
            "contacts": p[list(CONTACT_COLUMNS)].astype(float).sum(axis=1),
            "sdq": p["sdq_total"].astype(float),
            "paired": p["mentor_role"] != "none",
        }
    )
    return d[d["paired"]].dropna(subset=["sdq"])


# --- targeting_feedback ----------------------------------------------------------------------


def test_feedback_contacts_follow_the_current_sdq_shock():
    # the engine: log contact intensity gains phi * eps_S, eps_S drawn before the contacts
    w = build_world(SMALL)
    spec = SMALL.update(targeting_feedback=1.0)
    d0, d1 = draw(SMALL, w, 2), draw(spec, w, 2)
    np.testing.assert_array_equal(d0.eps, d1.eps)  # the shocks themselves do not move
    c0 = d0.k["talk"] + d0.k["home"] + d0.k["par"]
    c1 = d1.k["talk"] + d1.k["home"] + d1.k["par"]
    assert np.corrcoef(c1, d1.eps[2])[0, 1] > 0.3
    assert abs(np.corrcoef(c0, d0.eps[2])[0, 1]) < 0.03
    assert c1.mean() == pytest.approx(c0.mean(), rel=0.05)  # the mean stays mean_contacts
    # the data: within a child, contacts rise with this term's SDQ
    fits = {}
    for phi in (0.0, 1.0):
        d = _paired(simulate(SMALL.update(targeting_feedback=phi)))
        fits[phi] = pf.feols("contacts ~ sdq | student_id + t", d, vcov={"CRV1": "school_id"})
    b1, se1 = fits[1.0].coef()["sdq"], fits[1.0].se()["sdq"]
    b0, se0 = fits[0.0].coef()["sdq"], fits[0.0].se()["sdq"]
    assert b1 > 5 * se1, (b1, se1)
    assert b1 - b0 > 4 * np.hypot(se0, se1), (b0, b1)


def test_feedback_biases_the_within_child_dose_estimate():
    """The estimator that recovers the truth without feedback (tests/synth/test_synth.py)
    overstates the benefit with it: this term's contacts carry this term's shock, which the
    child's demeaning puts into the next term's outcome."""
    spec = SynthSpec.preset("small", seed=11, targeting_feedback=1.0)
    cohort = simulate(spec)
    truth = cohort.truth["dose_response"]["sdq_total"]["ame"]
    d = _dose_data(cohort)
    d["x"] = 1 - np.exp(-d["contacts"] / spec.dose_scale)
    dx = (np.exp(-d["contacts"] / spec.dose_scale) * (1 - np.exp(-1 / spec.dose_scale))).mean()
    fe = pf.feols("sdq ~ x + C(lb) | student_id + t", d, vcov={"CRV1": "school_id"})
    ame, se = fe.coef()["x"] * dx, fe.se()["x"] * dx
    assert ame < truth - 4 * se, (ame, se, truth)


def test_feedback_zero_is_the_default_world():
    a = simulate(SMALL.update(n_children=300))
    b = simulate(SMALL.update(n_children=300, targeting_feedback=0.0))
    pd.testing.assert_frame_equal(a.panel, b.panel)


# --- destination_shock_sd --------------------------------------------------------------------


def _dispersion(cohort) -> tuple[float, int]:
    """Pearson chi-square / df of moves across destination x year cells of left-behind rows."""
    p = cohort.panel
    lb = p[p["lb_status"] != "none"]
    cells = lb.groupby(["destination_id", lb["term"].str[:4]], observed=True)[
        "moved_to_parents"
    ].agg(["sum", "size"])
    rate = cells["sum"].sum() / cells["size"].sum()
    expected = cells["size"] * rate
    chi2 = (((cells["sum"] - expected) ** 2) / (expected * (1 - rate))).sum()
    df = len(cells) - 1
    return float(chi2 / df), df


def test_destination_shocks_spread_moving_rates_beyond_binomial():
    # no policy, so the baseline hazard alone moves children
    spec = SMALL.update(move_hazard_policy=0.0, move_hazard_base=0.05)
    flat, df = _dispersion(simulate(spec))
    shocked, _ = _dispersion(simulate(spec.update(destination_shock_sd=1.0)))
    # chi2/df has SD sqrt(2/df) ~ 0.23 under binomial noise (39 cells)
    assert flat < 1 + 4 * np.sqrt(2 / df), flat
    assert shocked > 3, shocked


def test_destination_shocks_are_common_to_both_worlds_not_a_policy_effect():
    # with no policy effect, the true ATT of moving is exactly zero whatever the shocks
    spec = SMALL.update(n_children=800, move_hazard_policy=0.0, destination_shock_sd=2.0)
    cells = pd.DataFrame(simulate(spec).truth["policy"]["moved"]["att_gt"]).dropna()
    assert (cells["att"] == 0).all()


# --- training_trend --------------------------------------------------------------------------


def _school_years(cohort) -> pd.DataFrame:
    p = cohort.panel.dropna(subset=["math"])
    sy = p.assign(year=p["term"].str[:4].astype(int)).groupby(["school_id", "year"])
    means = sy["math"].mean().rename("math").reset_index()
    return means.merge(cohort.schools[["school_id", "year", "trained_share"]])


def test_early_training_schools_trend_up_and_school_fe_is_biased():
    spec = SynthSpec.preset("small", seed=32, n_schools=40, n_children=4000)
    out = {}
    for omega in (0.0, 0.3):
        d = _school_years(simulate(spec.update(training_trend=omega)))
        # early trainers: the schools' training gain over the window
        gain = d.groupby("school_id")["trained_share"].agg(lambda s: s.iloc[-1] - s.iloc[0])
        slope = d.groupby("school_id").apply(
            lambda g: np.polyfit(g["year"], g["math"], 1)[0], include_groups=False
        )
        r = np.corrcoef(gain, slope.reindex(gain.index))[0, 1]
        fe = pf.feols("math ~ trained_share | school_id + year", d, vcov={"CRV1": "school_id"})
        out[omega] = (r, fe.coef()["trained_share"], fe.se()["trained_share"])
    r0, b0, se0 = out[0.0]
    r1, b1, se1 = out[0.3]
    assert r1 > 0.5 and r1 > r0 + 0.3, (r0, r1)
    # the truth is still training_effect (0): school FE recovers it without the trend only
    assert abs(b0) < 3.5 * se0, (b0, se0)
    assert b1 > 3 * se1, (b1, se1)


def test_training_trend_leaves_the_training_truth_alone():
    spec = SMALL.update(n_children=300, training_trend=0.5, training_effect=0.1)
    assert simulate(spec).truth["training"]["math"]["not_left_behind"] == 0.1


# --- the policy truth, recomputed from two simulations ---------------------------------------


def _first_lb(cohort, start_year: int) -> tuple[pd.Index, pd.Series]:
    p = cohort.panel
    first = p[(p["term"] == cohort.terms[0]) & (p["lb_status"] != "none")]
    ids = pd.Index(first["student_id"].astype(str))
    year = first["destination_id"].map(
        cohort.destinations.set_index("destination_id")["policy_year"]
    )
    g = pd.Series(2 * (year.astype(float).to_numpy() - start_year), index=ids)
    return ids, g


def _wide(cohort, ids, column) -> pd.DataFrame:
    p = cohort.panel
    t = term_index(p["term"], origin=cohort.terms[0])
    return (
        pd.DataFrame({"id": p["student_id"].astype(str), "t": t, "v": p[column]})
        .pivot(index="id", columns="t", values="v")
        .reindex(index=ids, columns=range(len(cohort.terms)))
    )


def test_policy_truth_equals_the_two_worlds_recomputed_from_their_panels():
    """``move_hazard_policy = 0`` is the no-policy world: the policy enters only through the
    added hazard, and every draw is the same, so its panel is the counterfactual's. Missing
    outcomes are switched off because the truth averages outcomes whether or not the panel
    records them."""
    spec = SMALL.update(
        n_children=1500, missing_scores=0.0, missing_sdq=0.0, missing_attendance=0.0,
        missing_need=0.0,
    )  # fmt: skip
    fact, cf = simulate(spec), simulate(spec.update(move_hazard_policy=0.0))
    ids, g = _first_lb(fact, spec.start_year)
    truth = fact.truth["policy"]
    n_terms = spec.n_terms
    on_f = _wide(fact, ids, "term").notna().to_numpy()
    on_c = _wide(cf, ids, "term").notna().to_numpy()

    def moved_cum(c):
        m = _wide(c, ids, "moved_to_parents").astype(float).fillna(0).to_numpy()
        return np.maximum.accumulate(m, axis=1)  # after leaving, the last state carries

    def moved_out(c):
        out = _wide(c, ids, "exit_reason").eq("moved_with_parents").to_numpy()
        return np.maximum.accumulate(out, axis=1)

    diff_moved = moved_cum(fact) - moved_cum(cf)
    out_c = moved_out(cf)
    gg = g.to_numpy()
    checked = 0
    for o in ("moved", *OUTCOMES):
        cells = {(c["group"], c["time"]): c for c in truth[o]["att_gt"]}
        if o != "moved":
            yf = _wide(fact, ids, o).astype(float).to_numpy()
            yc = _wide(cf, ids, o).astype(float).to_numpy()
        for t in range(n_terms):
            if o == "moved":
                mask = on_c[:, t] | (out_c[:, t - 1] if t else False)
                diff = diff_moved[:, t]
            else:
                mask = on_f[:, t] & on_c[:, t]
                diff = yf[:, t] - yc[:, t]
            for gi in sorted(set(gg[~np.isnan(gg)].astype(int))):
                m = mask & (gg == gi)
                cell = cells[spec.terms[gi], spec.terms[t]]
                assert cell["n"] == int(m.sum()), (o, gi, t)
                if m.any():
                    assert not np.isnan(diff[m]).any()
                    assert cell["att"] == pytest.approx(diff[m].mean(), abs=1e-9), (o, gi, t)
                    checked += 1
    assert checked > 50
    # and the no-policy world's own truth is zero everywhere
    for o in ("moved", *OUTCOMES):
        assert all(c["att"] in (0, None) for c in cf.truth["policy"][o]["att_gt"]), o


def test_truth_states_each_estimands_population():
    pops = simulate(SMALL.update(n_children=300)).truth["populations"]
    for key in ("dose_response", "training", "policy.moved", "policy.outcomes", "lb_gap"):
        assert len(pops[key]) > 40, key
