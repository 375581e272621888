"""The schools of a synthetic county: where they are, their quality and size, and how their
teachers, training and facilities evolve over the years (steps of
:func:`lbc_eval.synth.world.build_world`, drawn from the world's stream in its order).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lbc_eval.synth.dgp import LEVEL_JUNIOR, LEVEL_PRIMARY, logistic
from lbc_eval.synth.spec import SynthSpec

Fields = dict[str, Any]


def draw_schools(spec: SynthSpec, rng: np.random.Generator) -> tuple[Fields, np.ndarray]:
    r"""One junior and one primary school per township, the rest primaries (40% in the seat).

    Quality :math:`q_s \sim N(0,1)`; score effect :math:`\sqrt{\mathrm{ICC}_s}(\rho q_s +
    \sqrt{1-\rho^2} e_s)`, centred; size weight :math:`\exp(0.5 e'_s + 0.3 q_s)`, doubled in
    the seat. Returns the World fields and the size weights.
    """
    K, S = spec.n_townships, spec.n_schools
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
    fields = {
        "school_township": school_township,
        "school_level": school_level,
        "school_quality": quality,
        "school_effect": school_effect,
    }
    return fields, size_w


def school_years(
    spec: SynthSpec,
    rng: np.random.Generator,
    quality: np.ndarray,
    primary0: np.ndarray,
    junior0: np.ndarray,
) -> Fields:
    r"""Schools over the years: teachers (one per 13 pupils of the first term, at least 4),
    training with non-random uptake — each year a share :math:`0.5 p_{sy}` of the untrained
    complete it, :math:`p_{sy} = \Lambda(-1.6 + \tau q_s + 0.3 \log(n_s/\tilde n) + 0.5 e_{sy})`
    (``training_targeting`` :math:`\tau`) — backbone teachers, facilities, the scholarship
    preference, the volunteer-supply shocks :math:`\nu_{st} \sim N(-\sigma_\nu^2/2,
    \sigma_\nu^2)` and the SDQ school effects."""
    S, n_years = spec.n_schools, spec.n_terms // 2
    base_enrol = np.bincount(primary0, minlength=S) + np.bincount(junior0, minlength=S)
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
    # the deterministic part of the uptake index, standardised across schools: the
    # training_trend confounder's loading (no draw, so the stream's order is unchanged)
    index = spec.training_targeting * quality + 0.3 * rel_size
    sd = index.std()
    propensity = (index - index.mean()) / sd if sd > 0 else np.zeros(S)
    backbone = rng.poisson(
        np.c_[0.02, 0.05, 0.15] * teachers[:, None] * np.exp(0.5 * quality)[:, None]
    )
    return {
        "school_teachers": teachers,
        "trained_share": trained,
        "training_propensity": propensity,
        "training_person_times": person_times,
        "new_teachers": new_teachers,
        "backbone": backbone,
        "parent_school": rng.random(S) < logistic(0.5 + quality),
        "lb_home": rng.random(S) < logistic(0.3 + 0.5 * quality),
        "tutoring_programme": rng.random(S) < spec.p_tutoring_school,
        "scholarship_pref": 0.8 + spec.scholarship_lb_preference_sd * rng.standard_normal(S),
        "supply": spec.supply_sd * rng.standard_normal((S, spec.n_terms)) - spec.supply_sd**2 / 2,
        "school_effect_sdq": np.sqrt(spec.school_icc_sdq) * rng.standard_normal(S),
    }


def pick_school(
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
