"""One term of the synthetic county: the equations of :mod:`lbc_eval.synth`, vectorised.

Every random draw's parameters are the same in the factual and the counterfactual world (the
policy enters only through masks), so the two worlds share their draws exactly.
"""

from __future__ import annotations

import numpy as np

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.state import State, TermOut
from lbc_eval.synth.tables import term_frame
from lbc_eval.synth.truth import Accumulator, accumulate
from lbc_eval.synth.world import (
    BOTH,
    NONE,
    SDQ_MEAN,
    SDQ_SD,
    World,
    dose_effect,
    logistic,
    logit,
    measure,
    rng_for,
)


def policy_population(w: World) -> np.ndarray:
    """Children left behind in the first term (their parents' destination defines the group)."""
    return np.flatnonzero((w.entry_term == 0) & (w.household[:, 0] != NONE))


def term(
    spec: SynthSpec,
    w: World,
    st: State,
    t: int,
    *,
    policy: bool,
    acc: Accumulator | None,
    keep: np.ndarray,
) -> TermOut:
    """Advance the county by term ``t``. Every random draw's parameters are the same in both
    worlds (the policy enters only through masks), so the two worlds share their draws."""
    rng = rng_for(spec.seed, 1, t)
    n, y = w.n, t // 2
    autumn = t % 2 == 0

    # draws, in a fixed order and with world-independent parameters
    u_pair, u_role, u_couns, u_tut, u_sch, u_amt = rng.random((6, n))
    u_move, u_drop, u_trans = rng.random((3, n))
    u_miss = rng.random((4, n))
    eps = rng.standard_normal((4, n))
    grade = (spec.start_year + y) - w.cohort + 1
    junior = grade >= 7
    catchment = np.where(junior, w.home_junior, w.home_primary)
    mu = spec.mean_contacts * np.exp(
        spec.contact_targeting * w.need - spec.contact_targeting**2 / 2 + w.supply[catchment, t]
    )
    share_parent = 1.0 - spec.share_talks - spec.share_home_visits
    k_talk = rng.poisson(spec.share_talks * mu)
    k_home = rng.poisson(spec.share_home_visits * mu)
    k_par = rng.poisson(share_parent * mu)
    k_act = rng.poisson(1.5 * np.exp(w.supply[catchment, t]))
    k_couns = rng.poisson(1.0, n)
    k_hot = rng.poisson(0.8, n)
    tut_hours = np.round(rng.gamma(4.0, 10.0, n), 1)

    st.enrolled |= (w.entry_term == t) & ~st.exited
    on = st.enrolled
    hh = w.household[:, y]
    lb = np.where(st.moved, NONE, hh)
    is_lb = lb != NONE
    col = np.where(junior, 1, 0)
    school = np.where(
        st.moved & (w.dest_scope[w.destination] == 0),
        np.where(junior, w.seat_junior, w.seat_primary),
        np.where(junior, w.home_junior, w.home_primary),
    )
    seat = st.moved & (w.dest_scope[w.destination] == 0)
    class_k = np.where(seat, w.seat_class_k[np.arange(n), col], w.class_k[np.arange(n), col])

    # support received this term
    paired = on & np.where(
        is_lb, u_pair < spec.p_paired_lb, w.low_income & (u_pair < spec.p_paired_low_income)
    )
    role = np.where(paired, 1 + (u_role > 0.3).astype(int) + (u_role > 0.8).astype(int), 0)
    talks, home, par = (paired * k for k in (k_talk, k_home, k_par))
    contacts = talks + home + par
    acts = paired * k_act
    p_couns = logistic(-2.8 + 1.2 * st.prev_sdq_z + 0.4 * is_lb)
    counsel = on & (u_couns < p_couns)
    n_couns = counsel * (1 + k_couns)
    tutoring = on & w.tutoring_programme[school] & (is_lb | w.low_income) & (u_tut < 0.6)
    hours = np.where(tutoring, tut_hours, 0.0)
    hotline = on * is_lb * k_hot
    if acc is not None:  # only the factual world records support and head counts
        scholarship = _scholarships(spec, w, on & autumn, school, is_lb, u_sch, u_amt)
        if autumn:
            acc.enrolment.append(np.bincount(school[on], minlength=w.n_schools))

    # outcomes (SD units), with the pieces the truth needs
    x = w.trained_share[school, y]
    gaps = {
        o: np.r_[0.0, getattr(spec, f"gap_{o if o != 'sdq_total' else 'sdq'}")][lb]
        for o in OUTCOMES
    }
    prev_c = st.prev_contacts
    base: dict[str, np.ndarray] = {}
    score_common = w.school_effect[school] + w.class_effect[school, w.cohort - w.cohort0, class_k]
    train = (spec.training_effect + spec.training_effect_lb * is_lb) * x
    noise_sd = np.sqrt(max(1e-9, 1 - spec.school_icc - spec.class_icc - 0.45))
    base["math"] = (
        score_common
        + w.a_math
        + train
        + spec.tutoring_effect_math * np.minimum(hours, 40) / 40
        + spec.move_effect_math * st.moved
        + noise_sd * eps[0]
    )
    base["chinese"] = (
        score_common + w.a_chinese + train + spec.move_effect_chinese * st.moved + noise_sd * eps[1]
    )
    base["sdq_total"] = (
        w.a_sdq
        + w.school_effect_sdq[school]
        + spec.counseling_effect_sdq * st.prev_counsel
        + spec.move_effect_sdq * st.moved
        + np.sqrt(max(1e-9, 0.46 - spec.school_icc_sdq)) * eps[2]
    )
    base["attendance"] = w.a_att + np.sqrt(0.5) * eps[3]
    z = {o: base[o] + gaps[o] + dose_effect(spec, o, prev_c) for o in OUTCOMES}
    y_rec = {o: measure(o, z[o]) for o in OUTCOMES}

    if acc is not None:
        accumulate(spec, acc, on, st, lb, base, gaps, z, y_rec)

    # exits and moves at the end of the term
    grad = on & (not autumn) & (grade >= 9)
    hazard = np.full(n, spec.move_hazard_base)
    if policy:
        g_year = w.dest_policy_year[w.destination]
        g_term = 2 * (g_year - spec.start_year)
        exposed = (g_year >= 0) & (t >= g_term)
        m = _cohort_multiplier(spec, w, g_year)
        ramp = 1 - np.exp(-(t - g_term + 1) / spec.move_ramp_terms)
        hazard = hazard + np.where(exposed, spec.move_hazard_policy * m * ramp, 0.0)
    moves = on & ~grad & is_lb & (u_move < hazard)
    out_county = w.dest_scope[w.destination] != 0
    drop = (
        on
        & ~grad
        & ~moves
        & (u_drop < logistic(logit(spec.dropout_hazard) + 0.6 * w.need + 0.8 * junior))
    )
    trans = on & ~grad & ~moves & ~drop & (u_trans < spec.transfer_hazard)
    exit_code = np.full(n, -1)
    exit_code[grad] = 0
    exit_code[moves & out_county] = 1
    exit_code[trans] = 2
    exit_code[drop] = 3

    frame = None
    if acc is not None:
        miss = {}
        for j, o in enumerate(OUTCOMES):
            p0 = {
                "math": spec.missing_scores,
                "chinese": spec.missing_scores,
                "sdq_total": spec.missing_sdq,
                "attendance": spec.missing_attendance,
            }[o]
            eta = (
                logit(p0)
                + spec.missing_need * (1.5 * w.low_income + 0.5 * (lb == BOTH))
                + 0.3 * junior
            )
            miss[o] = u_miss[j] < logistic(eta)
        idx = np.flatnonzero(on)
        frame = term_frame(
            spec,
            w,
            t,
            idx,
            grade,
            lb,
            hh,
            school,
            class_k,
            role,
            talks,
            home,
            acts,
            par,
            n_couns,
            hours,
            scholarship,
            hotline,
            moves,
            exit_code,
            y_rec,
            miss,
            junior,
        )

    # carry the state forward
    st.moved_cum |= moves
    st.movedout |= moves & out_county
    st.moved |= moves
    st.exited |= exit_code >= 0
    st.enrolled &= ~st.exited
    st.prev_contacts = np.where(on, contacts, 0.0)
    st.prev_paired = paired
    st.prev_counsel = n_couns > 0
    st.prev_sdq_z = np.where(on, (y_rec["sdq_total"] - SDQ_MEAN) / SDQ_SD, st.prev_sdq_z)
    return TermOut(
        frame=frame,
        moved_cum=st.moved_cum[keep].copy(),
        movedout=st.movedout[keep].copy(),
        active=on[keep].copy(),
        y={o: y_rec[o][keep] for o in OUTCOMES},
    )


def _cohort_multiplier(spec: SynthSpec, w: World, g_year: np.ndarray) -> np.ndarray:
    """m_g: 1 + psi for the earliest adoption year, 1 for the latest, linear between."""
    years = w.dest_policy_year[w.dest_policy_year >= 0]
    lo, hi = years.min(), years.max()
    span = max(1, hi - lo)
    return 1 + spec.move_cohort_heterogeneity * (hi - np.clip(g_year, lo, hi)) / span


def _scholarships(
    spec: SynthSpec,
    w: World,
    eligible: np.ndarray,
    school: np.ndarray,
    is_lb: np.ndarray,
    u: np.ndarray,
    u_amt: np.ndarray,
) -> np.ndarray:
    """Weighted draw without replacement per school (Efraimidis-Spirakis keys u^(1/w))."""
    out = np.zeros(w.n, dtype=np.int64)
    idx = np.flatnonzero(eligible)
    if idx.size == 0:
        return out
    s = school[idx]
    weight = np.exp(
        1.5 * w.low_income[idx] + w.scholarship_pref[s] * is_lb[idx] + 0.5 * w.need[idx]
    )
    key = np.log(np.maximum(u[idx], 1e-300)) / weight
    order = np.lexsort((-key, s))
    s_sorted = s[order]
    first = np.r_[0, np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1]
    sizes = np.diff(np.r_[first, s_sorted.size])
    rank = np.arange(s_sorted.size) - np.repeat(first, sizes)
    quota = np.round(spec.scholarship_rate * np.repeat(sizes, sizes))
    chosen = idx[order][rank < quota]
    out[chosen] = np.where(u_amt[chosen] < 0.5, 500, 1000)
    return out
