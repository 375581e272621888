"""One term of the synthetic county: the equations of :mod:`lbc_eval.synth`, vectorised.

Every random draw's parameters are the same in the factual and the counterfactual world (the
policy enters only through masks), so the two worlds share their draws exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.synth.dgp import (
    BOTH,
    NONE,
    SDQ_MEAN,
    SDQ_SD,
    dose_effect,
    logistic,
    logit,
    measure,
    rng_for,
)
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.state import State, TermOut
from lbc_eval.synth.tables import term_frame
from lbc_eval.synth.truth import Accumulator, accumulate
from lbc_eval.synth.world import World


@dataclass
class Run:
    """What the truth needs from a run of both worlds (:func:`run`)."""

    acc: Accumulator
    pop: np.ndarray
    fact: list[TermOut]
    cf: list[TermOut]


def run(
    spec: SynthSpec,
    w: World,
    sink: Callable[[int, pd.DataFrame], None],
    tick: Callable[[], None] = lambda: None,
) -> Run:
    """Run the county through every term, first without the policy (only what the policy truth
    needs is kept), then with it, handing each factual term's panel rows to ``sink(t, frame)``
    as they are made (a list keeps them; the national writer writes and drops them).
    ``tick`` is called after every term of either world."""
    pop = policy_population(w)
    cf: list[TermOut] = []
    state = State.start(w)
    for t in range(spec.n_terms):
        cf.append(term(spec, w, state, t, policy=False, acc=None, keep=pop))
        tick()
    acc = Accumulator()
    fact: list[TermOut] = []
    state = State.start(w)
    for t in range(spec.n_terms):
        out = term(spec, w, state, t, policy=True, acc=acc, keep=pop)
        if out.frame is None:  # pragma: no cover - the factual world always has rows
            raise RuntimeError("the factual world made no rows")
        sink(t, out.frame)
        out.frame = None
        fact.append(out)
        tick()
    return Run(acc, pop, fact, cf)


def policy_population(w: World) -> np.ndarray:
    """Children left behind in the first term (their parents' destination defines the group)."""
    return np.flatnonzero((w.entry_term == 0) & (w.household[:, 0] != NONE))


@dataclass(frozen=True)
class Draws:
    """Term ``t``'s random draws and the grade and catchment school their parameters use."""

    grade: np.ndarray
    junior: np.ndarray
    u: dict[str, np.ndarray]  # uniforms: pair, role, couns, tut, sch, amt, move, drop, trans
    u_miss: np.ndarray  # (4, n), one row per outcome
    eps: np.ndarray  # (4, n) standard normal, one row per outcome
    k: dict[str, np.ndarray]  # Poisson counts: talk, home, par, act, couns, hot
    tut_hours: np.ndarray


@dataclass(frozen=True)
class Place:
    """Where each child is this term: left-behind status, school and class."""

    hh: np.ndarray  # the household's migration state in the academic year
    lb: np.ndarray  # left-behind status (none once the child lives with the parents)
    is_lb: np.ndarray
    school: np.ndarray
    class_k: np.ndarray


@dataclass(frozen=True)
class Support:
    """The support each enrolled child receives this term."""

    paired: np.ndarray
    role: np.ndarray
    talks: np.ndarray
    home: np.ndarray
    par: np.ndarray
    acts: np.ndarray
    n_couns: np.ndarray
    hours: np.ndarray
    hotline: np.ndarray


@dataclass(frozen=True)
class Exits:
    """Moves to the parents and exits at the end of the term."""

    moves: np.ndarray
    out_county: np.ndarray
    exit_code: np.ndarray  # -1 stays, 0 graduated, 1 moved out, 2 transferred, 3 dropped out


def term(
    spec: SynthSpec,
    w: World,
    st: State,
    t: int,
    *,
    policy: bool,
    acc: Accumulator | None,
    keep: np.ndarray,
    shift: Mapping[str, np.ndarray] | None = None,
) -> TermOut:
    """Advance the county by term ``t``. Every random draw's parameters are the same in both
    worlds (the policy enters only through masks), so the two worlds share their draws.

    The steps: :func:`draw`, enrol the term's entrants, :func:`place`, :func:`support`,
    :func:`outcomes`, :func:`exits`, the factual world's rows (:func:`rows`) and
    :func:`carry` to the next term.
    """
    d = draw(spec, w, t)
    st.enrolled |= (w.entry_term == t) & ~st.exited
    # a copy: carry() drops this term's leavers from st.enrolled in place, and `on` must stay
    # everyone enrolled in term t (the rows of its panel, the population of its truth)
    on = st.enrolled.copy()
    p = place(w, st, d, t // 2)
    s = support(spec, w, st, d, p, on)
    scholarship = None
    if acc is not None:  # only the factual world records support and head counts
        autumn = t % 2 == 0
        scholarship = _scholarships(spec, w, on & autumn, p.school, p.is_lb, d.u["sch"], d.u["amt"])
        if autumn:
            acc.enrolment.append(np.bincount(p.school[on], minlength=w.n_schools))
    base, gaps, z, y_rec = outcomes(spec, w, st, d, p, s.hours, t // 2, shift=shift)
    if acc is not None:
        accumulate(spec, acc, on, st, p.lb, base, gaps, z, y_rec)
    e = exits(spec, w, st, d, p, on, t, policy=policy)
    frame = None
    if acc is not None:
        frame = rows(spec, w, t, on, d, p, s, scholarship, e, y_rec)
    carry(st, on, s, e, y_rec)
    return TermOut(
        frame=frame,
        moved_cum=st.moved_cum[keep].copy(),
        movedout=st.movedout[keep].copy(),
        active=on[keep].copy(),
        y={o: y_rec[o][keep] for o in OUTCOMES},
    )


def draw(spec: SynthSpec, w: World, t: int) -> Draws:
    r"""All of term ``t``'s random draws, from its own stream, in a fixed order.

    Contacts are Poisson with means :math:`\pi_k \mu_{it}`,
    :math:`\mu_{it} = \bar c \exp(\gamma d_i - \gamma^2/2 + \nu_{s(i)t} + \phi z_{it} -
    \phi^2/2)`, with :math:`s(i)` the catchment school of the child's grade and
    :math:`z_{it}` the standard-normal SDQ noise of this term (``eps[2]``, drawn before the
    contacts); collective activities Poisson with mean :math:`1.5 e^{\nu_{s(i)t}}`.
    """
    rng = rng_for(spec.seed, 1, t)
    n, y = w.n, t // 2
    u = dict(zip(("pair", "role", "couns", "tut", "sch", "amt"), rng.random((6, n)), strict=True))
    u.update(zip(("move", "drop", "trans"), rng.random((3, n)), strict=True))
    u_miss = rng.random((4, n))
    eps = rng.standard_normal((4, n))
    grade = (spec.start_year + y) - w.cohort + 1
    junior = grade >= 7
    catchment = np.where(junior, w.home_junior, w.home_primary)
    # the current-term SDQ shock eps[2] is drawn above, so contacts can respond to it
    # (targeting_feedback phi; phi = 0 adds exactly 0 and leaves every value unchanged)
    phi = spec.targeting_feedback
    mu = spec.mean_contacts * np.exp(
        spec.contact_targeting * w.need
        - spec.contact_targeting**2 / 2
        + w.supply[catchment, t]
        + (phi * eps[2] - phi**2 / 2 if phi else 0.0)
    )
    share_parent = 1.0 - spec.share_talks - spec.share_home_visits
    k = {"talk": rng.poisson(spec.share_talks * mu)}
    k["home"] = rng.poisson(spec.share_home_visits * mu)
    k["par"] = rng.poisson(share_parent * mu)
    k["act"] = rng.poisson(1.5 * np.exp(w.supply[catchment, t]))
    k["couns"] = rng.poisson(1.0, n)
    k["hot"] = rng.poisson(0.8, n)
    tut_hours = np.round(rng.gamma(4.0, 10.0, n), 1)
    return Draws(grade, junior, u, u_miss, eps, k, tut_hours)


def place(w: World, st: State, d: Draws, y: int) -> Place:
    r"""Left-behind status :math:`L_{it} = M_{iy}` unless the child has moved to the parents
    (then none), and school: a child who moved to parents working in the county seat goes to
    the seat's school and class of its level; the others to their home township's."""
    n = w.n
    hh = w.household[:, y]
    lb = np.where(st.moved, NONE, hh)
    col = np.where(d.junior, 1, 0)
    seat = st.moved & (w.dest_scope[w.destination] == 0)
    school = np.where(
        seat,
        np.where(d.junior, w.seat_junior, w.seat_primary),
        np.where(d.junior, w.home_junior, w.home_primary),
    )
    class_k = np.where(seat, w.seat_class_k[np.arange(n), col], w.class_k[np.arange(n), col])
    return Place(hh, lb, lb != NONE, school, class_k)


def support(spec: SynthSpec, w: World, st: State, d: Draws, p: Place, on: np.ndarray) -> Support:
    r"""Support of the enrolled: paired :math:`P_{it} \sim \mathrm{Bern}(p_{lb})` if left
    behind, :math:`\mathrm{Bern}(p_{li})` if low income and not; contacts :math:`P_{it}(T+H+Q)`;
    counselling with :math:`\Pr = \Lambda(-2.8 + 1.2\,\mathrm{SDQ}_{i,t-1} + 0.4 L_{it})`;
    tutoring where the school runs it, for the left-behind or low-income (60%); hotline calls
    of the left-behind."""
    u, k, is_lb = d.u, d.k, p.is_lb
    paired = on & np.where(
        is_lb, u["pair"] < spec.p_paired_lb, w.low_income & (u["pair"] < spec.p_paired_low_income)
    )
    role = np.where(paired, 1 + (u["role"] > 0.3).astype(int) + (u["role"] > 0.8).astype(int), 0)
    talks, home, par = (paired * c for c in (k["talk"], k["home"], k["par"]))
    acts = paired * k["act"]
    p_couns = logistic(-2.8 + 1.2 * st.prev_sdq_z + 0.4 * is_lb)
    counsel = on & (u["couns"] < p_couns)
    n_couns = counsel * (1 + k["couns"])
    tutoring = on & w.tutoring_programme[p.school] & (is_lb | w.low_income) & (u["tut"] < 0.6)
    hours = np.where(tutoring, d.tut_hours, 0.0)
    hotline = on * is_lb * k["hot"]
    return Support(paired, role, talks, home, par, acts, n_couns, hours, hotline)


Outcomes = dict[str, np.ndarray]


def outcomes(
    spec: SynthSpec,
    w: World,
    st: State,
    d: Draws,
    p: Place,
    hours: np.ndarray,
    y: int,
    *,
    shift: Mapping[str, np.ndarray] | None = None,
) -> tuple[Outcomes, Outcomes, Outcomes, Outcomes]:
    r"""The outcomes, with the pieces the truth needs: ``base`` (neither the left-behind gap
    nor the dose), ``gaps`` (the gap of the child's status), the latent
    :math:`z = \mathrm{base} + \mathrm{gap} + f_Y(C_{i,t-1})` and the recorded ``y_rec``.

    ``shift`` (a pilot year, :mod:`lbc_eval.synth.pilot`) adds ``shift[o][s]`` to the latent
    outcome ``o`` of every child at school ``s`` this term (SD units before scaling)."""
    gaps = {
        o: np.r_[0.0, getattr(spec, f"gap_{o if o != 'sdq_total' else 'sdq'}")][p.lb]
        for o in OUTCOMES
    }
    base = _base(spec, w, st, d, p, hours, y)
    z = {o: base[o] + gaps[o] + dose_effect(spec, o, st.prev_contacts) for o in OUTCOMES}
    for o, by_school in (shift or {}).items():
        z[o] = z[o] + by_school[p.school]
    y_rec = {o: measure(o, z[o]) for o in OUTCOMES}
    return base, gaps, z, y_rec


def _base(
    spec: SynthSpec, w: World, st: State, d: Draws, p: Place, hours: np.ndarray, y: int
) -> Outcomes:
    r"""Each outcome without the gap and the dose (SD units): scores add school and class
    effects, the child's level, training :math:`(\beta + \beta_{lb} L_{it}) x_{sy}` (trained
    share :math:`x`), the trend :math:`\omega \tilde p_s y` of schools by training propensity
    (``training_trend``), tutoring (math, :math:`\min(h, 40)/40`), moving to the parents and noise;
    the SDQ adds the school's effect and last term's counselling; attendance is level + noise."""
    school, eps = p.school, d.eps
    x = w.trained_share[school, y]
    score_common = w.school_effect[school] + w.class_effect[school, w.cohort - w.cohort0, p.class_k]
    if spec.training_trend:  # a trend of early-training schools, not caused by training
        score_common = score_common + spec.training_trend * w.training_propensity[school] * y
    train = (spec.training_effect + spec.training_effect_lb * p.is_lb) * x
    noise_sd = np.sqrt(max(1e-9, 1 - spec.school_icc - spec.class_icc - 0.45))
    base = {
        "math": score_common
        + w.a_math
        + train
        + spec.tutoring_effect_math * np.minimum(hours, 40) / 40
        + spec.move_effect_math * st.moved
        + noise_sd * eps[0]
    }
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
    return base


def exits(
    spec: SynthSpec,
    w: World,
    st: State,
    d: Draws,
    p: Place,
    on: np.ndarray,
    t: int,
    *,
    policy: bool,
) -> Exits:
    r"""Moves and exits at the end of term ``t``, in order: grade 9 graduates in spring; a
    left-behind child moves to the parents with hazard :math:`h_0` (or
    :math:`\Lambda(\mathrm{logit}\,h_0 + u_{j y})` with destination-year shocks), plus under
    the policy :math:`h_p m_g (1 - e^{-(t - g + 1)/\rho})` from the destination's first policy term
    :math:`g` (cohort multiplier :math:`m_g`, ramp ``move_ramp_terms`` :math:`\rho`); of the
    rest, dropout with :math:`\Lambda(\mathrm{logit}\,p_d + 0.6 d_i + 0.8\,\mathrm{junior})`,
    then transfer with ``transfer_hazard``. Moving out of the county is an exit."""
    u = d.u
    n, junior = w.n, d.junior
    grad = on & (t % 2 != 0) & (d.grade >= 9)
    hazard = np.full(n, spec.move_hazard_base)
    if spec.destination_shock_sd:  # destination x year shocks, the same in both worlds
        shock = w.dest_move_shock[w.destination, t // 2]
        hazard = logistic(logit(spec.move_hazard_base) + shock)
    if policy:
        g_year = w.dest_policy_year[w.destination]
        g_term = 2 * (g_year - spec.start_year)
        exposed = (g_year >= 0) & (t >= g_term)
        m = _cohort_multiplier(spec, w, g_year)
        ramp = 1 - np.exp(-(t - g_term + 1) / spec.move_ramp_terms)
        hazard = hazard + np.where(exposed, spec.move_hazard_policy * m * ramp, 0.0)
    moves = on & ~grad & p.is_lb & (u["move"] < hazard)
    out_county = w.dest_scope[w.destination] != 0
    drop = (
        on
        & ~grad
        & ~moves
        & (u["drop"] < logistic(logit(spec.dropout_hazard) + 0.6 * w.need + 0.8 * junior))
    )
    trans = on & ~grad & ~moves & ~drop & (u["trans"] < spec.transfer_hazard)
    exit_code = np.full(n, -1)
    exit_code[grad] = 0
    exit_code[moves & out_county] = 1
    exit_code[trans] = 2
    exit_code[drop] = 3
    return Exits(moves, out_county, exit_code)


def missing(spec: SynthSpec, w: World, d: Draws, p: Place) -> dict[str, np.ndarray]:
    r"""Which recorded outcomes are missing: :math:`\Pr = \Lambda(\mathrm{logit}\,p_0 +
    \kappa (1.5\,\mathrm{low\ income} + 0.5\,[L = both]) + 0.3\,\mathrm{junior})`, with
    :math:`p_0` the outcome's missing share and :math:`\kappa` ``missing_need``."""
    p0 = {
        "math": spec.missing_scores,
        "chinese": spec.missing_scores,
        "sdq_total": spec.missing_sdq,
        "attendance": spec.missing_attendance,
    }
    miss = {}
    for j, o in enumerate(OUTCOMES):
        eta = (
            logit(p0[o])
            + spec.missing_need * (1.5 * w.low_income + 0.5 * (p.lb == BOTH))
            + 0.3 * d.junior
        )
        miss[o] = d.u_miss[j] < logistic(eta)
    return miss


def rows(
    spec: SynthSpec,
    w: World,
    t: int,
    on: np.ndarray,
    d: Draws,
    p: Place,
    s: Support,
    scholarship: np.ndarray | None,
    e: Exits,
    y_rec: Outcomes,
) -> pd.DataFrame:
    """The panel rows of term ``t`` (the enrolled children), with missing outcomes."""
    return term_frame(
        spec, w, t, np.flatnonzero(on), d.grade, p.lb, p.hh, p.school, p.class_k, s.role,
        s.talks, s.home, s.acts, s.par, s.n_couns, s.hours, scholarship, s.hotline,
        e.moves, e.exit_code, y_rec, missing(spec, w, d, p), d.junior,
    )  # fmt: skip


def carry(st: State, on: np.ndarray, s: Support, e: Exits, y_rec: Outcomes) -> None:
    """Carry the state to the next term: moves, exits (who leaves is no longer enrolled),
    last term's contacts, pairing, counselling and standardised SDQ."""
    st.moved_cum |= e.moves
    st.movedout |= e.moves & e.out_county
    st.moved |= e.moves
    st.exited |= e.exit_code >= 0
    st.enrolled &= ~st.exited
    st.prev_contacts = np.where(on, s.talks + s.home + s.par, 0.0)
    st.prev_paired = s.paired
    st.prev_counsel = s.n_couns > 0
    st.prev_sdq_z = np.where(on, (y_rec["sdq_total"] - SDQ_MEAN) / SDQ_SD, st.prev_sdq_z)


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
