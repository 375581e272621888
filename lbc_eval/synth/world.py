"""The fixed part of a synthetic county: townships, schools, classes, destinations, children.

Everything here is drawn once per spec from the seed's ``world`` stream and does not depend
on the enrolment policy, so the factual and counterfactual runs of :mod:`lbc_eval.synth`
share it exactly. See :func:`lbc_eval.synth.simulate` for the equations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.ids import pseudonymise, synthetic_key, synthetic_resident_ids
from lbc_eval.synth.spec import SynthSpec

NONE, FATHER, MOTHER, BOTH = 0, 1, 2, 3
LEVEL_PRIMARY, LEVEL_JUNIOR = 0, 1


def logistic(x: np.ndarray | float) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


DOSE_GRID = np.arange(0, 16)
SDQ_MEAN, SDQ_SD = 12.3, 6.0
ATT_MEAN, ATT_SD = 0.95, 0.03
LB_LEVELS = ["none", "father", "mother", "both"]
GUARDIANS = ["parents", "grandparents", "relatives", "other"]
ROLES = ["none", "cadre", "teacher", "volunteer"]
EXITS = ["graduated", "moved_with_parents", "transferred_out", "dropped_out"]


def measure(outcome: str, z: np.ndarray) -> np.ndarray:
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


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator for ``(seed, *stream)`` (NumPy SeedSequence spawn keys)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=stream))


WORLD_STREAM = 0  # rng_for(seed, 0): the world; rng_for(seed, 1, t): term t


@dataclass
class World:
    """Arrays describing the county; child arrays have length ``n`` (all children ever enrolled)."""

    # townships and schools
    township_codes: np.ndarray  # str, K
    school_codes: np.ndarray  # str, S
    school_township: np.ndarray  # int, S
    school_level: np.ndarray  # int, S (0 primary, 1 junior)
    school_quality: np.ndarray  # float, S
    school_effect: np.ndarray  # float, S: u_s
    school_effect_sdq: np.ndarray  # float, S: u^S_s
    school_teachers: np.ndarray  # int, S
    trained_share: np.ndarray  # float, S x years
    training_person_times: np.ndarray  # int, S x years
    new_teachers: np.ndarray  # int, S x years
    backbone: np.ndarray  # int, S x 3
    parent_school: np.ndarray  # bool, S
    lb_home: np.ndarray  # bool, S
    tutoring_programme: np.ndarray  # bool, S
    scholarship_pref: np.ndarray  # float, S
    supply: np.ndarray  # float, S x terms: nu_st
    class_effect: np.ndarray  # float, S x cohorts x kmax
    # destinations
    dest_codes: np.ndarray
    dest_names: np.ndarray
    dest_scope: np.ndarray  # int: 0 in_county, 1 in_province, 2 out_of_province
    dest_policy_year: np.ndarray  # int, -1 = never
    # children
    n: int
    entry_term: np.ndarray  # int: first term enrolled
    cohort: np.ndarray  # int: academic year of grade 1
    male: np.ndarray
    birth_year: np.ndarray
    need: np.ndarray  # d_i
    low_income: np.ndarray
    boarder: np.ndarray  # boards once in junior secondary
    home_primary: np.ndarray
    home_junior: np.ndarray
    seat_primary: np.ndarray  # where an in-county mover goes
    seat_junior: np.ndarray
    class_k: np.ndarray  # int, n x 2 (primary, junior)
    seat_class_k: np.ndarray  # int, n x 2
    destination: np.ndarray  # household's destination when a parent works away
    guardian_both: np.ndarray  # 1 grandparents, 2 relatives, 3 other: when both are away
    household: np.ndarray  # int, n x years: NONE / FATHER / MOTHER / BOTH
    a_math: np.ndarray
    a_chinese: np.ndarray
    a_sdq: np.ndarray
    a_att: np.ndarray
    student_no: np.ndarray  # str, synthetic 'G99...'
    resident_id: np.ndarray  # str, synthetic '99...'
    birth_date: np.ndarray  # int yyyymmdd
    student_id: Any  # pandas string array of HMAC pseudonyms
    cohort0: int  # cohort index origin

    @property
    def n_schools(self) -> int:
        return int(self.school_codes.size)


def _codes(prefix: str, n: int) -> np.ndarray:
    width = max(2, len(str(n)))
    return np.array([f"{prefix}{i + 1:0{width}d}" for i in range(n)])


def _household_states(
    spec: SynthSpec, rng: np.random.Generator, need: np.ndarray, n_years: int
) -> np.ndarray:
    """Migration state per child and academic year: a Markov chain that redraws from pi(d)."""
    n = need.size
    shift = spec.migration_need * need
    p_f = logistic(logit(spec.p_father_away) + shift)
    p_m_f = logistic(logit(spec.p_mother_away_with_father) + shift)
    p_m_0 = logistic(logit(spec.p_mother_away_alone) + shift)

    def draw() -> np.ndarray:
        f = rng.random(n) < p_f
        m = rng.random(n) < np.where(f, p_m_f, p_m_0)
        return (f.astype(np.int8) + 2 * m.astype(np.int8)).astype(np.int8)

    out = np.empty((n, n_years), dtype=np.int8)
    out[:, 0] = draw()
    for y in range(1, n_years):
        redraw = rng.random(n) < spec.migration_churn
        fresh = draw()
        out[:, y] = np.where(redraw, fresh, out[:, y - 1])
    return out


def build_world(spec: SynthSpec) -> World:
    """Draw the fixed part of the county for ``spec``."""
    rng = rng_for(spec.seed, WORLD_STREAM)
    K, S, J = spec.n_townships, spec.n_schools, spec.n_destinations
    n_years = spec.n_terms // 2

    # --- schools: one junior and one primary per township, the rest primaries (40% in the seat)
    school_township = np.r_[np.arange(K), np.arange(K)]
    school_level = np.r_[np.full(K, LEVEL_JUNIOR), np.full(K, LEVEL_PRIMARY)]
    extra = S - 2 * K
    extra_town = np.where(rng.random(extra) < 0.4, 0, rng.integers(0, K, extra))
    school_township = np.r_[school_township, extra_town]
    school_level = np.r_[school_level, np.full(extra, LEVEL_PRIMARY)]
    order = np.lexsort((school_level, school_township))
    school_township, school_level = school_township[order], school_level[order]
    quality = rng.standard_normal(S)
    rho = spec.quality_score_corr
    school_effect = np.sqrt(spec.school_icc) * (
        rho * quality + np.sqrt(1 - rho**2) * rng.standard_normal(S)
    )
    school_effect -= school_effect.mean()
    size_w = np.exp(0.5 * rng.standard_normal(S) + 0.3 * quality) * np.where(
        school_township == 0, 2.0, 1.0
    )

    # --- destinations: 0 is the county seat, a third of the rest in the province
    n_prov = max(1, (J - 1) // 3)
    dest_scope = np.r_[0, np.full(n_prov, 1), np.full(J - 1 - n_prov, 2)]
    dest_w = np.exp(0.5 * rng.standard_normal(J))
    dest_w[0] = 0.0
    dest_w = 0.85 * dest_w / dest_w.sum()
    dest_w[0] = 0.15
    n_never = int(np.clip(round(spec.policy_share_never * J), 1, J - 2))
    adopt_years = np.arange(spec.start_year + 1, spec.start_year + n_years)
    if adopt_years.size == 0:
        adopt_years = np.array([spec.start_year + 1])
    # the county seat (destination 0) adopts first: its children who join their parents stay
    # in the county's records, so the policy's effect on outcomes can be observed
    others = 1 + rng.permutation(J - 1)
    policy_year = np.full(J, -1)
    adopters = np.r_[0, others[n_never:]]
    policy_year[adopters] = adopt_years[np.arange(adopters.size) % adopt_years.size]
    scope_names = np.array(["县城", "省内城市", "省外城市"])
    dest_names = np.array(
        [
            f"{scope_names[s]}{chr(65 + i % 26)}{'' if i < 26 else i // 26}"
            for i, s in enumerate(dest_scope)
        ]
    )

    # --- children: the first term's nine grades, then a grade-1 cohort each autumn
    n0 = spec.n_children
    n_entry = max(1, round(n0 / 9))
    n = n0 + n_entry * (n_years - 1)
    grade0 = rng.integers(1, 10, n0)
    cohort = np.r_[
        spec.start_year - grade0 + 1, np.repeat(spec.start_year + np.arange(1, n_years), n_entry)
    ]
    entry_term = np.r_[np.zeros(n0, dtype=np.int64), np.repeat(2 * np.arange(1, n_years), n_entry)]
    male = rng.random(n) < 0.53
    need = rng.standard_normal(n)
    low_income = rng.random(n) < logistic(logit(spec.p_low_income) + 0.8 * need)
    boarder = rng.random(n) < 0.45
    # birth date: 6 by 31 August of the grade-1 year; 10% a year older
    late = rng.random(n) < 0.10
    days = rng.integers(0, 365, n)
    start = np.array(
        [np.datetime64(f"{y}-09-01") for y in range(cohort.min() - 8, cohort.max() + 1)]
    )
    bd = start[cohort - 7 - late - (cohort.min() - 8)] + days.astype("timedelta64[D]")
    birth_year = bd.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (bd.astype("datetime64[M]") - bd.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (bd - bd.astype("datetime64[M]")).astype(np.int64) + 1
    birth_date = birth_year * 10_000 + month * 100 + day

    town_w = np.exp(0.4 * rng.standard_normal(K))
    town_w[0] *= 3.0
    town = rng.choice(K, size=n, p=town_w / town_w.sum())
    home_primary = _pick_school(rng, town, school_township, school_level, size_w, LEVEL_PRIMARY)
    home_junior = _pick_school(rng, town, school_township, school_level, size_w, LEVEL_JUNIOR)
    seat = np.zeros(n, dtype=np.int64)
    seat_primary = _pick_school(rng, seat, school_township, school_level, size_w, LEVEL_PRIMARY)
    seat_junior = _pick_school(rng, seat, school_township, school_level, size_w, LEVEL_JUNIOR)

    cohort0 = int(cohort.min())
    n_cohorts = int(cohort.max()) - cohort0 + 1
    counts = np.zeros((S, n_cohorts), dtype=np.int64)
    np.add.at(counts, (home_primary, cohort - cohort0), 1)
    np.add.at(counts, (home_junior, cohort - cohort0), 1)
    n_classes = np.maximum(1, np.ceil(counts / spec.class_size).astype(np.int64))
    kmax = int(n_classes.max())
    class_effect = np.sqrt(spec.class_icc) * rng.standard_normal((S, n_cohorts, kmax))
    u = rng.random((n, 4))
    ci = cohort - cohort0
    class_k = np.c_[
        (u[:, 0] * n_classes[home_primary, ci]).astype(np.int64),
        (u[:, 1] * n_classes[home_junior, ci]).astype(np.int64),
    ]
    seat_class_k = np.c_[
        (u[:, 2] * n_classes[seat_primary, ci]).astype(np.int64),
        (u[:, 3] * n_classes[seat_junior, ci]).astype(np.int64),
    ]

    destination = rng.choice(J, size=n, p=dest_w)
    guardian_both = rng.choice(np.array([1, 2, 3]), size=n, p=[0.82, 0.14, 0.04])
    household = _household_states(spec, rng, need, n_years)

    # persistent child components (variance shares of the outcomes' child level)
    z = rng.standard_normal((n, 4))
    a_math = np.sqrt(0.45) * (-0.45 * need + np.sqrt(1 - 0.45**2) * z[:, 0])
    a_chinese = 0.7 * a_math + np.sqrt(0.45 * (1 - 0.49)) * z[:, 1]
    a_sdq = 0.3 * need + np.sqrt(0.45) * z[:, 2]
    a_att = -0.3 * need + np.sqrt(0.45) * z[:, 3]

    # --- schools over the years: teachers, training (non-random uptake), backbone teachers
    base_enrol = np.bincount(home_primary[:n0], minlength=S) + np.bincount(
        home_junior[:n0], minlength=S
    )
    teachers = np.maximum(4, np.round(base_enrol / 13.0)).astype(np.int64)
    share = 0.15 * rng.random(S)
    trained = np.empty((S, n_years))
    person_times = np.empty((S, n_years), dtype=np.int64)
    new_teachers = rng.poisson(0.06 * teachers[:, None], (S, n_years))
    rel_size = np.log(teachers / np.median(teachers))
    for y in range(n_years):
        p = logistic(
            -1.6 + spec.training_targeting * quality + 0.3 * rel_size + 0.5 * rng.standard_normal(S)
        )
        gain = (1 - share) * p * 0.5
        share = np.minimum(1.0, share + gain)
        trained[:, y] = np.round(share, 4)
        person_times[:, y] = np.round(gain * teachers) + rng.poisson(0.3 * teachers)
    backbone = rng.poisson(
        np.c_[0.02, 0.05, 0.15] * teachers[:, None] * np.exp(0.5 * quality)[:, None]
    )
    parent_school = rng.random(S) < logistic(0.5 + quality)
    lb_home = rng.random(S) < logistic(0.3 + 0.5 * quality)
    tutoring = rng.random(S) < spec.p_tutoring_school
    scholarship_pref = 0.8 + spec.scholarship_lb_preference_sd * rng.standard_normal(S)
    supply = spec.supply_sd * rng.standard_normal((S, spec.n_terms)) - spec.supply_sd**2 / 2
    school_effect_sdq = np.sqrt(spec.school_icc_sdq) * rng.standard_normal(S)

    # --- identifiers: synthetic resident IDs (province 99) and keyed pseudonyms
    area = 100 + town.astype(np.int64)  # 99 01 TT: prefecture 01, county code per township
    resident_id = synthetic_resident_ids(area, birth_date, male)
    student_no = np.char.add("G", resident_id)
    student_id = pd.array(
        pseudonymise(student_no.tolist(), synthetic_key(spec.seed), normalise=False),
        dtype=pd.StringDtype(na_value=np.nan),
    )

    return World(
        township_codes=_codes("T", K),
        school_codes=_codes("S", S),
        school_township=school_township,
        school_level=school_level,
        school_quality=quality,
        school_effect=school_effect,
        school_effect_sdq=school_effect_sdq,
        school_teachers=teachers,
        trained_share=trained,
        training_person_times=person_times,
        new_teachers=new_teachers,
        backbone=backbone,
        parent_school=parent_school,
        lb_home=lb_home,
        tutoring_programme=tutoring,
        scholarship_pref=scholarship_pref,
        supply=supply,
        class_effect=class_effect,
        dest_codes=_codes("D", J),
        dest_names=dest_names,
        dest_scope=dest_scope,
        dest_policy_year=policy_year,
        n=n,
        entry_term=entry_term,
        cohort=cohort,
        male=male,
        birth_year=birth_year,
        need=need,
        low_income=low_income,
        boarder=boarder,
        home_primary=home_primary,
        home_junior=home_junior,
        seat_primary=seat_primary,
        seat_junior=seat_junior,
        class_k=class_k,
        seat_class_k=seat_class_k,
        destination=destination,
        guardian_both=guardian_both,
        household=household,
        a_math=a_math,
        a_chinese=a_chinese,
        a_sdq=a_sdq,
        a_att=a_att,
        student_no=student_no,
        resident_id=resident_id,
        birth_date=birth_date,
        student_id=student_id,
        cohort0=cohort0,
    )


def _pick_school(
    rng: np.random.Generator,
    town: np.ndarray,
    school_township: np.ndarray,
    school_level: np.ndarray,
    size_w: np.ndarray,
    level: int,
) -> np.ndarray:
    """For each child, a school of ``level`` in its township, drawn proportional to size."""
    out = np.empty(town.size, dtype=np.int64)
    u = rng.random(town.size)
    sel = np.flatnonzero(school_level == level)
    # cumulative weights within township, vectorised through a sorted layout
    t_of = school_township[sel]
    order = np.argsort(t_of, kind="stable")
    sel, t_of = sel[order], t_of[order]
    w = size_w[sel]
    starts = np.searchsorted(t_of, np.arange(school_township.max() + 1))
    ends = np.searchsorted(t_of, np.arange(school_township.max() + 1), side="right")
    cum = np.cumsum(w)
    base = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    total = cum[ends - 1] - base
    target = base[town] + u * total[town]
    idx = np.searchsorted(cum, target, side="right")
    out[:] = sel[np.minimum(idx, ends[town] - 1)]
    return out
