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
from lbc_eval.synth.dgp import (
    DEST_SHOCK_STREAM,
    LEVEL_JUNIOR,
    LEVEL_PRIMARY,
    WORLD_STREAM,
    logistic,
    logit,
    rng_for,
)
from lbc_eval.synth.schools import draw_schools, pick_school, school_years
from lbc_eval.synth.spec import SynthSpec


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
    training_propensity: np.ndarray  # float, S: standardised deterministic uptake index
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
    dest_move_shock: np.ndarray  # float, J x years: u_jy (log-odds of the baseline hazard)
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


@dataclass(frozen=True)
class Province:
    """Where a province of a national cohort sits (:func:`lbc_eval.synth.write_national`).

    Attributes
    ----------
    index : int
        0-based; the province's code is ``P01``, ``P02``, … (``index + 1``).
    key_seed : int
        The national seed: every province's pseudonyms use :func:`synthetic_key` of it, so
        one key serves the whole cohort.
    """

    index: int
    key_seed: int

    @property
    def code(self) -> str:
        """``P`` and the 2-digit province number, the prefix of its codes."""
        return f"P{self.index + 1:02d}"


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


def build_world(spec: SynthSpec, *, province: Province | None = None) -> World:
    """Draw the fixed part of the county for ``spec``, step by step from one stream (the order
    of the steps is the order of the draws): the schools
    (:func:`~lbc_eval.synth.schools.draw_schools`), :func:`_destinations`, :func:`_children`,
    :func:`_places`, :func:`_families`, the schools over the years
    (:func:`~lbc_eval.synth.schools.school_years`) and the identifiers (:func:`_identifiers`).

    A ``province`` of a national cohort draws exactly the same values; only its codes differ:
    townships, schools and destinations start with the province's code (``P03S0001``), the
    destinations' names with ``省03·``, and the identifiers follow :func:`_identifiers`."""
    rng = rng_for(spec.seed, WORLD_STREAM)
    schools, size_w = draw_schools(spec, rng)
    destinations, dest_w = _destinations(spec, rng)
    children = _children(spec, rng)
    places, town = _places(spec, rng, children["cohort"], schools, size_w)
    families = _families(spec, rng, children["need"], dest_w)
    n0 = spec.n_children
    years = school_years(
        spec,
        rng,
        schools["school_quality"],
        places["home_primary"][:n0],
        places["home_junior"][:n0],
    )
    tag = province.code if province is not None else ""
    if province is not None:
        destinations["dest_names"] = np.char.add(
            f"省{province.index + 1:02d}·", destinations["dest_names"]
        )
    return World(
        township_codes=_codes(f"{tag}T", spec.n_townships),
        school_codes=_codes(f"{tag}S", spec.n_schools),
        dest_codes=_codes(f"{tag}D", spec.n_destinations),
        **schools,
        **destinations,
        **children,
        **places,
        **families,
        **years,
        **_identifiers(spec, town, children["birth_date"], children["male"], province),
    )


Fields = dict[str, Any]


def _destinations(spec: SynthSpec, rng: np.random.Generator) -> tuple[Fields, np.ndarray]:
    """Destination 0 is the county seat (15% of migrants, adopts the policy first), a third of
    the rest are in the province; ``policy_share_never`` of them never adopt, the others adopt
    in turn from the second academic year. Returns the World fields and the choice weights."""
    J, n_years = spec.n_destinations, spec.n_terms // 2
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
    # u_jy from a stream of its own, so that the world's other draws do not move
    shock = rng_for(spec.seed, DEST_SHOCK_STREAM).standard_normal((J, n_years))
    fields = {
        "dest_names": dest_names,
        "dest_scope": dest_scope,
        "dest_policy_year": policy_year,
        "dest_move_shock": spec.destination_shock_sd * shock,
    }
    return fields, dest_w


def _children(spec: SynthSpec, rng: np.random.Generator) -> Fields:
    r"""The first term's nine grades, then a grade-1 cohort of ``n_children/9`` each autumn.

    Need :math:`d_i \sim N(0,1)`; low income with :math:`\Lambda(\mathrm{logit}\,p_{li} +
    0.8 d_i)`; 53% boys; 45% board in junior secondary; born so as to be 6 by 31 August of the
    grade-1 year (10% a year older).
    """
    n_years = spec.n_terms // 2
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
    return {
        "n": n,
        "entry_term": entry_term,
        "cohort": cohort,
        "male": male,
        "birth_year": birth_year,
        "birth_date": birth_year * 10_000 + month * 100 + day,
        "need": need,
        "low_income": low_income,
        "boarder": boarder,
    }


def _places(
    spec: SynthSpec,
    rng: np.random.Generator,
    cohort: np.ndarray,
    schools: Fields,
    size_w: np.ndarray,
) -> tuple[Fields, np.ndarray]:
    r"""Township (the seat weighted x3), home schools and the county seat's schools (drawn by
    size), classes of ``class_size`` per school and cohort with effects
    :math:`\sqrt{\mathrm{ICC}_k}\,N(0,1)`, and each child's class. Returns the World fields and
    the township of each child."""
    K, S, n = spec.n_townships, spec.n_schools, cohort.size
    township, level = schools["school_township"], schools["school_level"]
    town_w = np.exp(0.4 * rng.standard_normal(K))
    town_w[0] *= 3.0
    town = rng.choice(K, size=n, p=town_w / town_w.sum())
    seat = np.zeros(n, dtype=np.int64)
    home_primary = pick_school(rng, town, township, level, size_w, LEVEL_PRIMARY)
    home_junior = pick_school(rng, town, township, level, size_w, LEVEL_JUNIOR)
    seat_primary = pick_school(rng, seat, township, level, size_w, LEVEL_PRIMARY)
    seat_junior = pick_school(rng, seat, township, level, size_w, LEVEL_JUNIOR)

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
    fields = {
        "home_primary": home_primary,
        "home_junior": home_junior,
        "seat_primary": seat_primary,
        "seat_junior": seat_junior,
        "class_effect": class_effect,
        "class_k": class_k,
        "seat_class_k": seat_class_k,
        "cohort0": cohort0,
    }
    return fields, town


def _families(
    spec: SynthSpec, rng: np.random.Generator, need: np.ndarray, dest_w: np.ndarray
) -> Fields:
    r"""Parents' destination, who looks after a child whose parents are both away, the
    household's migration states (:func:`_household_states`) and the child's persistent
    components (variance 0.45 of each outcome's child level):

    .. math:: a^{math} = \sqrt{0.45}(-0.45 d + \sqrt{1-0.45^2} z_1),\quad
              a^{chinese} = 0.7 a^{math} + \sqrt{0.45 \cdot 0.51} z_2,\quad
              a^{sdq} = 0.3 d + \sqrt{0.45} z_3,\quad a^{att} = -0.3 d + \sqrt{0.45} z_4.
    """
    n = need.size
    destination = rng.choice(spec.n_destinations, size=n, p=dest_w)
    guardian_both = rng.choice(np.array([1, 2, 3]), size=n, p=[0.82, 0.14, 0.04])
    household = _household_states(spec, rng, need, spec.n_terms // 2)
    z = rng.standard_normal((n, 4))
    a_math = np.sqrt(0.45) * (-0.45 * need + np.sqrt(1 - 0.45**2) * z[:, 0])
    return {
        "destination": destination,
        "guardian_both": guardian_both,
        "household": household,
        "a_math": a_math,
        "a_chinese": 0.7 * a_math + np.sqrt(0.45 * (1 - 0.49)) * z[:, 1],
        "a_sdq": 0.3 * need + np.sqrt(0.45) * z[:, 2],
        "a_att": -0.3 * need + np.sqrt(0.45) * z[:, 3],
    }


def _identifiers(
    spec: SynthSpec,
    town: np.ndarray,
    birth_date: np.ndarray,
    male: np.ndarray,
    province: Province | None = None,
) -> Fields:
    """Synthetic resident IDs (province 99, prefecture 01, a county code per township), student
    numbers ``G`` + resident ID, and their keyed pseudonyms (key: :func:`synthetic_key` of the
    seed).

    In province ``k`` (1-based) of a national cohort the address code is ``99 kk TT``: still
    the synthetic province 99, the province's number in the prefecture digits, the township
    number modulo 100 in the county digits (sequence numbers keep IDs unique when townships
    share a code), and the key is the national seed's, so identifiers and pseudonyms are
    unique across provinces."""
    if province is None:
        area = 100 + town.astype(np.int64)  # 99 01 TT: prefecture 01, county code per township
        key = synthetic_key(spec.seed)
    else:
        area = 100 * (province.index + 1) + town.astype(np.int64) % 100
        key = synthetic_key(province.key_seed)
    resident_id = synthetic_resident_ids(area, birth_date, male)
    student_no = np.char.add("G", resident_id)
    student_id = pd.array(
        pseudonymise(student_no.tolist(), key, normalise=False),
        dtype=pd.StringDtype(na_value=np.nan),
    )
    return {"resident_id": resident_id, "student_no": student_no, "student_id": student_id}
