r"""The synthetic generator: a documented county with known true effects.

:func:`simulate` runs the data-generating process (DGP) below twice on the same random draws,
once with the enrolment policy (the factual world) and once without it (the counterfactual),
and returns the cohort tables of the factual world with ``truth``: every estimand's value *for
the generated sample*, computed from the potential outcomes the generator drew.

The DGP
-------
Indices: child :math:`i`, term :math:`t` (academic year :math:`y(t)`), school :math:`s`,
class :math:`k`, township, destination :math:`j`. :math:`\Lambda(x) = 1/(1+e^{-x})`.

*Children.* Need (disadvantage) :math:`d_i \sim N(0,1)`; low income
:math:`\Pr = \Lambda(\mathrm{logit}\,p_{li} + 0.8 d_i)`. The first term holds ``n_children``
children in grades 1–9; a grade-1 cohort of ``n_children/9`` enters each autumn. A child goes
to a primary school of its township (drawn by size) for grades 1–6 and the township's junior
school for 7–9.

*Parents who start and stop migrating.* Household state
:math:`M_{iy} \in \{none, father, mother, both\}`. Father away with
:math:`\Pr = \Lambda(\mathrm{logit}\,p_f + \eta d_i)`; mother away with
:math:`\Lambda(\mathrm{logit}\,p_{m|f} + \eta d_i)` if he is, else
:math:`\Lambda(\mathrm{logit}\,p_{m|0} + \eta d_i)`. Each autumn the household keeps its state
with probability :math:`1-\lambda` (``migration_churn``) and redraws it otherwise. A child is
left behind, :math:`L_{it} = s`, when :math:`M_{iy(t)} = s \ne none` and the child has not
moved to live with the parents.

*Mentoring (Q1), targeted, with exogenous supply.* Paired
:math:`P_{it} \sim \mathrm{Bern}(p_{lb})` if left behind, :math:`\mathrm{Bern}(p_{li})` if low
income and not. Contacts :math:`C_{it} = P_{it} (T + H + Q)`, with talks, home visits and
parent contacts Poisson with means :math:`\pi_k \mu_{it}`,

.. math:: \mu_{it} = \bar c \exp(\gamma d_i - \gamma^2/2 + \nu_{s(i)t}),\quad
          \nu_{st} \sim N(-\sigma_\nu^2/2, \sigma_\nu^2)

(``contact_targeting`` :math:`\gamma` confounds the cross-section; the volunteer-supply shock
:math:`\nu` of the child's catchment school moves contacts within a child). The effect on the
next term's outcome is concave:

.. math:: f_Y(c) = b_Y (1 - e^{-c / c_0}).

*Outcomes*, in SD units before scaling. With :math:`u_s` (variance ``school_icc``, correlated
``quality_score_corr`` with school quality :math:`q_s`), :math:`c_k` (variance ``class_icc``),
the child effect :math:`a_i` (variance 0.45, decreasing in :math:`d_i`) and noise
:math:`\varepsilon_{it}` (the rest of a unit variance):

.. math::
   \mathrm{math}_{it} = u_{s} + c_{k} + a_i + g^{M}_{L_{it}} + (\theta + \theta_{lb} 1[L_{it}\ne
   none])\,x_{s y} + f_M(C_{i,t-1}) + \beta_{tut} \min(h_{it}, 40)/40 + \beta^M_{mv} W_{it}
   + \varepsilon_{it}

and likewise Chinese (child effect correlated 0.7). :math:`x_{sy}` is the school's trained-
teacher share, :math:`W_{it}` = the child lives with its parents after moving,
:math:`h_{it}` tutoring hours, :math:`g_s` the left-behind gaps. SDQ
:math:`= \mathrm{clip}(\mathrm{round}(12.3 + 6 z), 0, 40)` with
:math:`z = a^S_i + g^S_{L} + f_S(C_{i,t-1}) + \kappa 1[\mathrm{couns}_{i,t-1} > 0] + \beta^S_{mv}
W_{it} + \varepsilon^S_{it}`; attendance :math:`= \mathrm{clip}(\mathrm{round}(0.95 + 0.03 z^A,
3), 0, 1)`. Counselling targets high SDQ in the previous term.

*Teacher training (Q2), uneven and not at random.* Each year a school trains a share
:math:`\Lambda(-1.6 + \tau q_s + 0.3 \log(\text{teachers}) + 0.5\xi_{sy})/2` of its untrained
teachers, so larger, better-run schools train first; :math:`u_s` correlates with :math:`q_s`,
which biases the cross-section while school fixed effects do not.

*Enrolment policy (Q3), staggered by destination.* Destination :math:`j` adopts in year
:math:`G_j` (or never). A left-behind child whose parents work at :math:`j` moves to live with
them at the end of term :math:`t` with hazard

.. math:: h_{it} = h_0 + 1[t \ge g_j]\, h_1 m_{g_j} (1 - e^{-(t - g_j + 1)/\rho}),

:math:`m_g` falling linearly from :math:`1+\psi` (earliest adopters) to 1 (latest): dynamic,
cohort-heterogeneous effects. A child who moves within the county stays (county-seat school,
:math:`W = 1`); one who moves out exits with reason ``moved_with_parents``.

*Attrition and missing outcomes.* Exits: graduation after grade 9; drop-out with hazard
:math:`\Lambda(\mathrm{logit}\,p_{do} + 0.6 d_i + 0.8\,1[\text{junior}])`; transfer out; moving
out with the parents (treatment-dependent). An outcome is missing with probability
:math:`\Lambda(\mathrm{logit}\,p_{miss} + \delta(1.5\,\mathrm{low\_income} + 0.5\,1[L=both]) +
0.3\,1[\text{grade} \ge 7])` — missing at random given observables.

Truth
-----
``truth`` (JSON-ready) holds, for the generated sample:

- ``dose_response[outcome]``: ``grid`` of contacts, ``curve`` = mean over mentored child-terms
  (paired at :math:`t`, enrolled at :math:`t+1`) of :math:`Y_{i,t+1}(c) - Y_{i,t+1}(0)`, and
  ``ame`` = mean of :math:`Y_{i,t+1}(C_{it}+1) - Y_{i,t+1}(C_{it})`;
- ``training``: effect of the trained share (0 → 1) on scores, overall and for left-behind
  children;
- ``policy[outcome]``: ATT(g,t) and event-time effects, for children left behind in the first
  term with parents at an adopting destination: ``moved`` (moved to live with parents by the
  end of term t; population: still enrolled in the world without the policy, or moved out),
  and scores/SDQ/attendance (population: still enrolled at t). ATT(g,t) is the mean of
  :math:`Y_{it}(g) - Y_{it}(\infty)` over the group's children in the population at t;
  ``event_time`` and ``overall`` average the ATT(g,t) with weights proportional to the
  groups' sizes, as Callaway & Sant'Anna's dynamic and simple aggregations do;
- ``lb_gap[outcome][status]``: mean over left-behind child-terms of
  :math:`Y(L_{it}) - Y(none)`;
- ``other``: counselling, tutoring and move effects as set.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .cohort import Cohort
from .ids import synthetic_key
from .schema import CODEBOOK_VERSION, OUTCOMES, conform
from .spec import SynthSpec
from .world import BOTH, NONE, World, build_world, logistic, logit, rng_for

DOSE_GRID = np.arange(0, 16)
SDQ_MEAN, SDQ_SD = 12.3, 6.0
ATT_MEAN, ATT_SD = 0.95, 0.03
LB_LEVELS = ["none", "father", "mother", "both"]
GUARDIANS = ["parents", "grandparents", "relatives", "other"]
ROLES = ["none", "cadre", "teacher", "volunteer"]
EXITS = ["graduated", "moved_with_parents", "transferred_out", "dropped_out"]


def _measure(outcome: str, z: np.ndarray) -> np.ndarray:
    """Latent SD-unit value -> recorded value (rounding and clipping for SDQ, attendance)."""
    if outcome == "sdq_total":
        return np.clip(np.round(SDQ_MEAN + SDQ_SD * z), 0, 40)
    if outcome == "attendance":
        return np.clip(np.round(ATT_MEAN + ATT_SD * z, 3), 0, 1)
    return np.round(z, 3)


def dose_effect(spec: SynthSpec, outcome: str, contacts: np.ndarray | float) -> np.ndarray:
    """f_Y(c) = b_Y (1 - exp(-c / c0)) in SD units of outcome Y."""
    b = {
        "math": spec.dose_max_math,
        "chinese": spec.dose_max_chinese,
        "sdq_total": spec.dose_max_sdq,
        "attendance": spec.dose_max_attendance,
    }[outcome]
    return b * (1.0 - np.exp(-np.asarray(contacts, dtype=float) / spec.dose_scale))


@dataclass
class _Acc:
    """Running sums for the truth."""

    dose_n: int = 0
    dose_curve: dict[str, np.ndarray] = field(default_factory=dict)
    dose_ame: dict[str, float] = field(default_factory=dict)
    gap_n: np.ndarray = field(default_factory=lambda: np.zeros(4))
    gap_sum: dict[str, np.ndarray] = field(default_factory=dict)
    lb_rows: int = 0
    rows: int = 0


@dataclass
class _TermOut:
    """What one term of one world hands back."""

    frame: pd.DataFrame | None
    moved_cum: np.ndarray  # bool, n
    movedout: np.ndarray  # bool, n (exited by moving out, by the end of t)
    active: np.ndarray  # bool, n: enrolled in term t
    y: dict[str, np.ndarray]  # recorded outcomes (before missingness), n


def simulate(spec: SynthSpec | None = None, *, progress: bool = False) -> Cohort:
    """Generate a synthetic cohort with known truth.

    Parameters
    ----------
    spec : SynthSpec, optional
        The knobs (default: the ``county`` preset with seed 0).
    progress : bool
        Show a progress bar over terms (for the large presets).

    Returns
    -------
    Cohort
        ``panel``, ``schools``, ``destinations``, ``roster`` (synthetic identifiers, for the
        messy export) and ``truth``.

    Notes
    -----
    The data-generating process and the definition of every truth are in this module's
    docstring. The same spec gives the same tables, byte for byte once written.

    Examples
    --------
    >>> from lbc_eval import SynthSpec, simulate
    >>> cohort = simulate(SynthSpec.preset("small", n_children=300, seed=1))
    >>> sorted(cohort.truth)[:3]
    ['dose_response', 'lb_gap', 'meta']
    """
    spec = spec or SynthSpec()
    world = build_world(spec)
    steps = range(spec.n_terms)
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 * spec.n_terms, desc="simulating terms", unit="term")
    tick: Callable[[], None] = (lambda: bar.update(1)) if bar is not None else (lambda: None)

    # the counterfactual world, without the policy: only what the policy truth needs
    pop = _policy_population(world)
    cf: list[_TermOut] = []
    state = _State.start(world)
    for t in steps:
        cf.append(_term(spec, world, state, t, policy=False, acc=None, keep=pop))
        tick()

    acc = _Acc()
    frames: list[pd.DataFrame] = []
    fact: list[_TermOut] = []
    state = _State.start(world)
    for t in steps:
        out = _term(spec, world, state, t, policy=True, acc=acc, keep=pop)
        assert out.frame is not None
        frames.append(out.frame)
        out.frame = None
        fact.append(out)
        tick()
    if bar is not None:
        bar.close()

    panel = _stack(frames)
    schools = _schools_table(spec, world, panel)
    destinations = _destinations_table(spec, world)
    truth = _truth(spec, world, acc, pop, fact, cf)
    roster = _roster(world)
    return Cohort(
        panel=panel, schools=schools, destinations=destinations, truth=truth, roster=roster
    )


# --- one term ---------------------------------------------------------------------------------


@dataclass
class _State:
    enrolled: np.ndarray  # has entered and not exited
    exited: np.ndarray
    moved: np.ndarray  # lives with parents (moved within the county or out)
    moved_cum: np.ndarray
    movedout: np.ndarray
    prev_contacts: np.ndarray
    prev_paired: np.ndarray
    prev_counsel: np.ndarray
    prev_sdq_z: np.ndarray

    @classmethod
    def start(cls, w: World) -> _State:
        n = w.n
        return cls(
            enrolled=np.zeros(n, bool),
            exited=np.zeros(n, bool),
            moved=np.zeros(n, bool),
            moved_cum=np.zeros(n, bool),
            movedout=np.zeros(n, bool),
            prev_contacts=np.zeros(n),
            prev_paired=np.zeros(n, bool),
            prev_counsel=np.zeros(n, bool),
            prev_sdq_z=w.a_sdq.copy(),
        )


def _policy_population(w: World) -> np.ndarray:
    """Children left behind in the first term (their parents' destination defines the group)."""
    return np.flatnonzero((w.entry_term == 0) & (w.household[:, 0] != NONE))


def _term(
    spec: SynthSpec,
    w: World,
    st: _State,
    t: int,
    *,
    policy: bool,
    acc: _Acc | None,
    keep: np.ndarray,
) -> _TermOut:
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
    scholarship = _scholarships(spec, w, on & autumn, school, is_lb, u_sch, u_amt)

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
        + spec.counseling_effect_sdq * st.prev_counsel
        + spec.move_effect_sdq * st.moved
        + np.sqrt(0.46) * eps[2]
    )
    base["attendance"] = w.a_att + np.sqrt(0.5) * eps[3]
    z = {o: base[o] + gaps[o] + dose_effect(spec, o, prev_c) for o in OUTCOMES}
    y_rec = {o: _measure(o, z[o]) for o in OUTCOMES}

    if acc is not None:
        _accumulate(spec, acc, on, st, lb, base, gaps, z, y_rec)

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
        frame = _term_frame(
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
    return _TermOut(
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


def _accumulate(
    spec: SynthSpec,
    acc: _Acc,
    on: np.ndarray,
    st: _State,
    lb: np.ndarray,
    base: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    z: dict[str, np.ndarray],
    y_rec: dict[str, np.ndarray],
) -> None:
    """Potential outcomes for the dose-response and gap truths, summed over this term's rows."""
    # dose: children mentored last term (prev_contacts counts only paired children) and
    # enrolled now. Paired children with zero contacts count too: they had the chance.
    sel = on & st.prev_paired
    if sel.any():
        c = st.prev_contacts[sel]
        acc.dose_n += int(sel.sum())
        for o in OUTCOMES:
            b = base[o][sel] + gaps[o][sel]
            y0 = _measure(o, b + dose_effect(spec, o, 0.0))
            curve = np.array(
                [(_measure(o, b + dose_effect(spec, o, k)) - y0).sum() for k in DOSE_GRID]
            )
            ame = (
                _measure(o, b + dose_effect(spec, o, c + 1))
                - _measure(o, b + dose_effect(spec, o, c))
            ).sum()
            acc.dose_curve[o] = acc.dose_curve.get(o, 0) + curve
            acc.dose_ame[o] = acc.dose_ame.get(o, 0.0) + float(ame)
    # left-behind gaps: Y(L) - Y(none) over left-behind child-terms, by status
    rows = on & (lb != NONE)
    acc.rows += int(on.sum())
    acc.lb_rows += int(rows.sum())
    for s in (1, 2, 3):
        m = on & (lb == s)
        acc.gap_n[s] += m.sum()
        for o in OUTCOMES:
            d = (y_rec[o][m] - _measure(o, z[o][m] - gaps[o][m])).sum()
            acc.gap_sum.setdefault(o, np.zeros(4))[s] += d


# --- tables ---------------------------------------------------------------------------------


def _str(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Strings ``labels[codes]`` (code -1 = missing) as the codebook's string dtype."""
    cat = pd.Categorical.from_codes(codes, categories=pd.Index(labels, dtype=object))
    return pd.Series(cat).astype(pd.StringDtype(na_value=np.nan))


def _cat(levels: list[str], codes: np.ndarray) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=levels))


def _int(values: np.ndarray, bits: int, missing: np.ndarray | None = None) -> pd.Series:
    mask = np.zeros(values.size, bool) if missing is None else missing
    arr = pd.arrays.IntegerArray(values.astype(f"int{bits}"), mask)
    return pd.Series(arr)


def _term_frame(
    spec: SynthSpec,
    w: World,
    t: int,
    idx: np.ndarray,
    grade: np.ndarray,
    lb: np.ndarray,
    hh: np.ndarray,
    school: np.ndarray,
    class_k: np.ndarray,
    role: np.ndarray,
    talks: np.ndarray,
    home: np.ndarray,
    acts: np.ndarray,
    par: np.ndarray,
    n_couns: np.ndarray,
    hours: np.ndarray,
    scholarship: np.ndarray,
    hotline: np.ndarray,
    moves: np.ndarray,
    exit_code: np.ndarray,
    y_rec: dict[str, np.ndarray],
    miss: dict[str, np.ndarray],
    junior: np.ndarray,
) -> pd.DataFrame:
    """The panel rows of term ``t`` for the enrolled children ``idx``, in codebook dtypes."""
    s = school[idx]
    n_cohorts = w.class_effect.shape[1]
    kmax = w.class_effect.shape[2]
    ckey = (s * n_cohorts + (w.cohort[idx] - w.cohort0)) * kmax + class_k[idx]
    uniq, inv = np.unique(ckey, return_inverse=True)
    c_school, rest = np.divmod(uniq, n_cohorts * kmax)
    c_cohort, c_k = np.divmod(rest, kmax)
    class_labels = np.array(
        [
            f"{w.school_codes[a]}-{b + w.cohort0}-{c + 1:02d}"
            for a, b, c in zip(c_school, c_cohort, c_k, strict=True)
        ]
    )
    guardian = np.where(lb == BOTH, w.guardian_both, 0)
    dest = np.where(hh != NONE, w.destination, -1)
    term = spec.terms[t]
    cols: dict[str, pd.Series] = {
        "student_id": pd.Series(
            w.student_id.take(idx)
        ),
        "school_id": _str(w.school_codes, s),
        "class_id": _str(class_labels, inv.astype(np.int64)),
        "township": _str(w.township_codes, w.school_township[s]),
        "term": pd.Series(pd.array([term] * idx.size, dtype=pd.StringDtype(na_value=np.nan))),
        "grade": _int(grade[idx], 8),
        "sex": _cat(["male", "female"], np.where(w.male[idx], 0, 1)),
        "birth_year": _int(w.birth_year[idx], 16),
        "boarding": pd.Series(pd.array(w.boarder[idx] & junior[idx], dtype="boolean")),
        "lb_status": _cat(LB_LEVELS, lb[idx].astype(np.int8)),
        "guardian": _cat(GUARDIANS, guardian[idx].astype(np.int8)),
        "destination_id": _str(w.dest_codes, dest[idx]),
        "low_income": pd.Series(pd.array(w.low_income[idx], dtype="boolean")),
        "mentor_role": _cat(ROLES, role[idx].astype(np.int8)),
        "talks": _int(talks[idx], 16),
        "home_visits": _int(home[idx], 16),
        "activities": _int(acts[idx], 16),
        "parent_contacts": _int(par[idx], 16),
        "counseling": _int(n_couns[idx], 16),
        "tutoring_hours": pd.Series(hours[idx]),
        "scholarship_yuan": _int(scholarship[idx], 32),
        "hotline_calls": _int(hotline[idx], 16),
        "moved_to_parents": pd.Series(pd.array(moves[idx], dtype="boolean")),
        "exit_reason": _cat(EXITS, exit_code[idx].astype(np.int8)),
        "math": pd.Series(np.where(miss["math"][idx], np.nan, y_rec["math"][idx])),
        "chinese": pd.Series(np.where(miss["chinese"][idx], np.nan, y_rec["chinese"][idx])),
        "sdq_total": _int(y_rec["sdq_total"][idx], 8, miss["sdq_total"][idx]),
        "attendance": pd.Series(
            np.where(miss["attendance"][idx], np.nan, y_rec["attendance"][idx])
        ),
    }
    return conform(pd.DataFrame(cols), "panel")


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate term frames column by column, freeing each term's column as it goes, so
    the panel is never held twice."""
    names = list(frames[0].columns)
    out: dict[str, pd.Series] = {}
    for name in names:
        out[name] = pd.concat([f[name] for f in frames], ignore_index=True)
        for f in frames:
            del f[name]
    return pd.DataFrame(out)


def _schools_table(spec: SynthSpec, w: World, panel: pd.DataFrame) -> pd.DataFrame:
    n_years = spec.n_terms // 2
    S = w.n_schools
    enrol = np.zeros((S, n_years), dtype=np.int64)
    code_of = {c: i for i, c in enumerate(w.school_codes)}
    autumn = panel["term"].str.endswith("-1")
    counts = panel.loc[autumn].groupby(["school_id", "term"], observed=True).size()
    for (sc, term), k in counts.items():
        enrol[code_of[sc], int(term[:4]) - spec.start_year] = k
    s = np.repeat(np.arange(S), n_years)
    y = np.tile(np.arange(n_years), S)
    frame = pd.DataFrame(
        {
            "school_id": w.school_codes[s],
            "year": spec.start_year + y,
            "township": w.township_codes[w.school_township[s]],
            "level": pd.Categorical.from_codes(
                w.school_level[s], ["primary", "junior", "nine_year"]
            ),
            "enrolment": enrol[s, y],
            "teachers": w.school_teachers[s],
            "new_teachers": w.new_teachers[s, y],
            "training_person_times": w.training_person_times[s, y],
            "trained_share": w.trained_share[s, y],
            "backbone_provincial": w.backbone[s, 0],
            "backbone_municipal": w.backbone[s, 1],
            "backbone_county": w.backbone[s, 2],
            "parent_school": w.parent_school[s],
            "lb_home": w.lb_home[s],
            "tutoring_programme": w.tutoring_programme[s],
        }
    )
    return conform(frame, "schools")


def _destinations_table(spec: SynthSpec, w: World) -> pd.DataFrame:
    year = w.dest_policy_year
    frame = pd.DataFrame(
        {
            "destination_id": w.dest_codes,
            "destination_name": w.dest_names,
            "scope": pd.Categorical.from_codes(
                w.dest_scope, ["in_county", "in_province", "out_of_province"]
            ),
            "policy_year": pd.array(np.where(year >= 0, year, 0), dtype="Int16"),
        }
    )
    frame.loc[year < 0, "policy_year"] = pd.NA
    return conform(frame, "destinations")


def _roster(w: World) -> pd.DataFrame:
    """Synthetic identifying fields (placeholders; IDs use province 99), for the messy export."""
    width = len(str(w.n))
    i = np.arange(1, w.n + 1)
    bd = w.birth_date.astype(str)
    return pd.DataFrame(
        {
            "student_id": w.student_id,
            "name": [f"学生{k:0{width}d}" for k in i],
            "student_no": w.student_no,
            "resident_id": w.resident_id,
            "birth_date": [f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in bd],
            "guardian_name": [f"家长{k:0{width}d}" for k in i],
            "phone": [f"100{k:08d}" for k in i],
            "address": [f"测试地址{k:0{width}d}号" for k in i],
        }
    ).astype(
        {
            c: pd.StringDtype(na_value=np.nan)
            for c in [
                "name",
                "student_no",
                "resident_id",
                "birth_date",
                "guardian_name",
                "phone",
                "address",
            ]
        }
    )


# --- truth ----------------------------------------------------------------------------------


def _truth(
    spec: SynthSpec, w: World, acc: _Acc, pop: np.ndarray, fact: list[_TermOut], cf: list[_TermOut]
) -> dict[str, Any]:
    units = {"math": "SD", "chinese": "SD", "sdq_total": "SDQ points", "attendance": "share"}
    n = max(acc.dose_n, 1)
    dose = {
        o: {
            "grid": DOSE_GRID.tolist(),
            "curve": (acc.dose_curve.get(o, np.zeros(16)) / n).tolist(),
            "ame": acc.dose_ame.get(o, 0.0) / n,
            "n": acc.dose_n,
            "unit": units[o],
            "max_effect_sd": float(dose_effect(spec, o, 1e9)),
        }
        for o in OUTCOMES
    }
    share_lb = acc.lb_rows / max(acc.rows, 1)
    training = {
        o: {
            "overall": spec.training_effect + spec.training_effect_lb * share_lb,
            "left_behind": spec.training_effect + spec.training_effect_lb,
            "not_left_behind": spec.training_effect,
            "unit": "SD per unit trained share",
        }
        for o in ("math", "chinese")
    }
    gaps = {}
    for o in OUTCOMES:
        sums = acc.gap_sum.get(o, np.zeros(4))
        gaps[o] = {
            name: float(sums[s] / acc.gap_n[s]) if acc.gap_n[s] else None
            for s, name in ((1, "father"), (2, "mother"), (3, "both"))
        }
        gaps[o]["any"] = float(sums[1:].sum() / max(acc.gap_n[1:].sum(), 1))
        gaps[o]["unit"] = units[o]
    return {
        "meta": {
            "kit_version": __version__,
            "codebook_version": CODEBOOK_VERSION,
            "spec": spec.to_dict(),
            "terms": spec.terms,
            "synthetic_key_hex": synthetic_key(spec.seed).hex(),
            "definitions": "See lbc_eval.synth: every value is for the generated sample, "
            "from the potential outcomes the generator drew.",
        },
        "dose_response": dose,
        "training": training,
        "policy": _policy_truth(spec, w, pop, fact, cf),
        "lb_gap": gaps,
        "other": {
            "counseling_effect_sdq_sd": spec.counseling_effect_sdq,
            "tutoring_effect_math_sd": spec.tutoring_effect_math,
            "move_effect_sd": {
                "math": spec.move_effect_math,
                "chinese": spec.move_effect_chinese,
                "sdq_total": spec.move_effect_sdq,
            },
        },
    }


def _policy_truth(
    spec: SynthSpec, w: World, pop: np.ndarray, fact: list[_TermOut], cf: list[_TermOut]
) -> dict[str, Any]:
    g_year = w.dest_policy_year[w.destination[pop]]
    g_term = np.where(g_year >= 0, 2 * (g_year - spec.start_year), -1)
    groups = sorted(set(g_term[g_term >= 0].tolist()))
    terms = spec.terms
    size = {g: int((g_term == g).sum()) for g in groups}
    out: dict[str, Any] = {
        "population": "children left behind in the first term; group = first term of the "
        "policy at their parents' destination",
        "groups": {terms[g]: size[g] for g in groups},
        "never_treated": int((g_term < 0).sum()),
    }
    size = {g: int((g_term == g).sum()) for g in groups}
    for o in ("moved", *OUTCOMES):
        cells = []
        for t in range(spec.n_terms):
            if o == "moved":
                prev_out = cf[t - 1].movedout if t else np.zeros(pop.size, bool)
                mask = cf[t].active | prev_out
                diff = fact[t].moved_cum.astype(float) - cf[t].moved_cum.astype(float)
            else:
                mask = fact[t].active & cf[t].active
                diff = fact[t].y[o] - cf[t].y[o]
            for g in groups:
                m = mask & (g_term == g)
                k = int(m.sum())
                att = float(diff[m].sum()) / k if k else None
                cells.append(
                    {"group": terms[g], "time": terms[t], "event_time": t - g, "att": att, "n": k}
                )
        out[o] = {"att_gt": cells, **_aggregate(cells, size, terms)}
    return out


def _aggregate(cells: list[dict[str, Any]], size: dict[int, int], terms: list[str]) -> dict:
    """Event-time and overall effects as Callaway & Sant'Anna aggregate them: averages of
    ATT(g,t) weighted by the groups' sizes (children in the group in the first term)."""
    index = {label: i for i, label in enumerate(terms)}
    by_e: dict[int, list[tuple[float, int]]] = {}
    post: list[tuple[float, int]] = []
    for c in cells:
        if c["att"] is None:
            continue
        w = size[index[c["group"]]]
        by_e.setdefault(c["event_time"], []).append((c["att"], w))
        if c["event_time"] >= 0:
            post.append((c["att"], w))

    def mean(pairs: list[tuple[float, int]]) -> float:
        return sum(a * w for a, w in pairs) / sum(w for _, w in pairs)

    return {
        "event_time": [
            {"event_time": e, "att": mean(p), "groups": len(p)} for e, p in sorted(by_e.items())
        ],
        "overall": {"att": mean(post) if post else None, "cells": len(post)},
    }
