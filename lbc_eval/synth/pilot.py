r"""A pilot year: the synthetic county run on for one more academic year, with a pilot in some
of its schools, and the pilot's true effect for the sample.

:func:`run_pilot_year` takes the world of a :class:`~lbc_eval.synth.spec.SynthSpec` (the same
schools, classes, children and draws as :func:`lbc_eval.synth.simulate`), plays its
``n_terms`` baseline terms again to reach their final state, and runs two more terms, the
*pilot year* (autumn and spring of the next academic year), twice on the same random draws:
once with the pilot and once without it.

The pilot year
--------------
The world is extended by one academic year, drawn from a stream of its own
(``rng_for(seed, PILOT_STREAM)``), with the equations of :mod:`lbc_eval.synth`: each household
keeps its migration state with probability :math:`1-\lambda` and redraws it otherwise; each
school trains a further share of its untrained teachers; the volunteer-supply shocks
:math:`\nu_{st}` of the two terms and the destination-year shocks are new draws. The terms'
own draws come from ``rng_for(seed, 1, t)``, as every term's do. No new grade-1 cohort
enters: the pilot's population is the children already in the county.

The pilot
---------
Children enrolled in a treated school :math:`s \in \mathcal T` in a pilot term get

.. math:: z^{o}_{it} \leftarrow z^{o}_{it} + \Delta / k_o

on the latent outcome :math:`o` before it is recorded (rounded and clipped), where
:math:`\Delta` is the pilot's effect in the outcome's recorded units and :math:`k_o` the
outcome's scale (6 SDQ points per latent SD, 0.03 for attendance, 1 for the scores). The
effect then flows through the county's mechanisms: a lower autumn SDQ means less counselling
in spring (counselling targets last term's SDQ), so the true effect at the end of the year
need not equal :math:`\Delta`.

Truth
-----
``truth["pilot"]["by_outcome"][o]["itt"]`` is the sample intention-to-treat effect at the
follow-up term (the pilot year's spring term):

.. math:: \mathrm{ITT}_o = \frac{1}{|A|} \sum_{i \in A} \big(Y^{o}_{i}(1) - Y^{o}_{i}(0)\big)

over :math:`A`, the children enrolled at follow-up in a treated school, with or without a
recorded outcome; :math:`Y(1)` and :math:`Y(0)` are their recorded values (before
missingness) with and without the pilot, on the same draws. ``itt_recorded`` averages over the
children of :math:`A` whose outcome is recorded.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import SpecError
from lbc_eval.synth.dgp import ATT_SD, SDQ_SD, logistic, logit, rng_for
from lbc_eval.synth.engine import term
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.state import State
from lbc_eval.synth.tables import schools_table
from lbc_eval.synth.truth import Accumulator
from lbc_eval.synth.world import World, build_world

#: rng_for(seed, PILOT_STREAM): the pilot year's extension of the world.
PILOT_STREAM = 3
#: Recorded units per latent SD of each outcome (see :func:`lbc_eval.synth.dgp.measure`).
SCALE = {"math": 1.0, "chinese": 1.0, "sdq_total": SDQ_SD, "attendance": ATT_SD}
#: Who ``truth["pilot"]`` averages over, in words.
POPULATION = (
    "children enrolled in the pilot year's spring term (the follow-up) in a treated school, "
    "with or without a recorded outcome (itt; itt_recorded: those with the outcome "
    "recorded): mean of Y(pilot) - Y(no pilot), recorded values on the same draws"
)


def extend_world(spec: SynthSpec, w: World, seed: int) -> World:
    r"""The world ``w`` of ``spec`` with one more academic year (two terms) appended.

    From ``rng_for(seed, PILOT_STREAM)``, in this order: the households' migration states
    (kept with probability :math:`1 - \lambda`, else redrawn from :math:`\pi(d_i)`), the
    schools' training (a share :math:`0.5 p_{sy}` of the untrained complete it, new teachers
    and person-times), the two terms' supply shocks and the destination-year shocks.
    """
    rng = rng_for(seed, PILOT_STREAM)
    n, S = w.n, w.n_schools
    shift = spec.migration_need * w.need
    p_f = logistic(logit(spec.p_father_away) + shift)
    f = rng.random(n) < p_f
    p_m = np.where(
        f,
        logistic(logit(spec.p_mother_away_with_father) + shift),
        logistic(logit(spec.p_mother_away_alone) + shift),
    )
    m = rng.random(n) < p_m
    fresh = (f.astype(np.int8) + 2 * m.astype(np.int8)).astype(np.int8)
    redraw = rng.random(n) < spec.migration_churn
    household = np.c_[w.household, np.where(redraw, fresh, w.household[:, -1])]

    teachers = w.school_teachers
    rel_size = np.log(teachers / np.median(teachers))
    share = w.trained_share[:, -1]
    p = logistic(
        -1.6 + spec.training_targeting * w.school_quality + 0.3 * rel_size
        + 0.5 * rng.standard_normal(S)
    )  # fmt: skip
    gain = (1 - share) * p * 0.5
    trained = np.c_[w.trained_share, np.round(np.minimum(1.0, share + gain), 4)]
    person = np.round(gain * teachers) + rng.poisson(0.3 * teachers)
    new = rng.poisson(0.06 * teachers)
    supply = spec.supply_sd * rng.standard_normal((S, 2)) - spec.supply_sd**2 / 2
    dest_shock = spec.destination_shock_sd * rng.standard_normal(w.dest_codes.size)
    return dataclasses.replace(
        w,
        household=household,
        trained_share=trained,
        training_person_times=np.c_[w.training_person_times, person.astype(np.int64)],
        new_teachers=np.c_[w.new_teachers, new],
        supply=np.c_[w.supply, supply],
        dest_move_shock=np.c_[w.dest_move_shock, dest_shock],
    )


def run_pilot_year(
    spec: SynthSpec,
    *,
    treated: Sequence[str],
    outcome: str,
    delta: float,
    seed: int | None = None,
    baseline: Cohort | None = None,
) -> Cohort:
    """Run the county of ``spec`` through a pilot year in which the children of ``treated``
    schools get ``delta`` (recorded units of ``outcome``) added to that outcome in both terms.

    Parameters
    ----------
    spec : SynthSpec
        The county; its ``n_terms`` terms are the baseline.
    treated : sequence of str
        School ids (``school_id`` of the panel) that get the pilot.
    outcome : str
        The outcome the pilot moves (``sdq_total``, ``attendance``, ``math``, ``chinese``).
    delta : float
        The pilot's effect in the outcome's recorded units (SDQ points, share attending, SD),
        added before rounding and clipping.
    seed : int, optional
        Seed of the pilot year's draws; default the spec's seed.
    baseline : Cohort, optional
        ``lbc_eval.simulate(spec)``, when already at hand (it is computed otherwise).

    Returns
    -------
    Cohort
        The baseline terms and the two pilot terms in ``panel``; ``schools`` with the pilot
        year's rows; ``truth`` the baseline's truth plus ``truth["pilot"]`` (module docstring):
        ``terms``, ``follow_up_term``, ``treated_schools``, ``delta``, ``population`` and, per
        outcome, ``itt``, ``itt_recorded``, ``n_children`` and ``n_recorded``.
    """
    from lbc_eval.synth import simulate

    if outcome not in OUTCOMES:
        raise SpecError("outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    if not np.isfinite(delta):
        raise SpecError("delta", f"{delta!r} is not a finite number")
    base = baseline if baseline is not None else simulate(spec)
    world = build_world(spec)
    codes = {str(c): i for i, c in enumerate(world.school_codes)}
    unknown = sorted(set(map(str, treated)) - set(codes))
    if unknown:
        raise SpecError(
            "treated",
            f"{len(unknown)} school(s) are not in this county ({', '.join(unknown[:5])}); its "
            f"schools are {world.school_codes[0]} to {world.school_codes[-1]}",
        )
    seed = spec.seed if seed is None else int(seed)
    ext = extend_world(spec, world, seed)
    nothing = np.empty(0, dtype=np.int64)
    state = State.start(world)
    for t in range(spec.n_terms):  # the baseline again, for its final state
        term(spec, ext, state, t, policy=True, acc=None, keep=nothing)
    pspec = spec.update(n_terms=spec.n_terms + 2, seed=seed)
    on_pilot = np.zeros(world.n_schools, dtype=bool)
    on_pilot[[codes[str(s)] for s in treated]] = True
    shift = {outcome: np.where(on_pilot, delta / SCALE[outcome], 0.0)}
    everyone = np.arange(world.n)
    acc = Accumulator()
    fact, cf, frames = [], [], []
    st_f, st_c = copy.deepcopy(state), copy.deepcopy(state)
    for t in (spec.n_terms, spec.n_terms + 1):
        out = term(pspec, ext, st_f, t, policy=True, acc=acc, keep=everyone, shift=shift)
        frames.append(out.frame)
        out.frame = None
        fact.append(out)
        cf.append(term(pspec, ext, st_c, t, policy=True, acc=None, keep=everyone))
    pilot_panel = pd.concat(frames, ignore_index=True)
    enrol = np.zeros((world.n_schools, pspec.n_terms // 2), dtype=np.int64)
    enrol[:, -1] = acc.enrolment[-1]
    year = pspec.start_year + pspec.n_terms // 2 - 1
    schools = schools_table(pspec, ext, enrol)
    schools = schools[schools["year"] == year]
    truth = dict(base.truth or {})
    truth["pilot"] = _truth(pspec, pilot_panel, fact[-1], cf[-1], on_pilot, codes)
    truth["pilot"].update(delta=float(delta), outcome=outcome, seed=seed)
    return Cohort(
        panel=pd.concat([base.panel, pilot_panel], ignore_index=True),
        schools=pd.concat([base.schools, schools], ignore_index=True),
        destinations=base.destinations,
        truth=truth,
        roster=base.roster,
    )


def _truth(
    pspec: SynthSpec,
    panel: pd.DataFrame,
    fact: Any,
    cf: Any,
    on_pilot: np.ndarray,
    codes: dict[str, int],
) -> dict[str, Any]:
    """``truth["pilot"]`` from the follow-up term of both worlds (module docstring)."""
    if not np.array_equal(fact.active, cf.active):  # pragma: no cover - the pilot moves no one
        raise RuntimeError("the pilot changed who is enrolled; the truth would not be comparable")
    follow = pspec.terms[-1]
    rows = panel[panel["term"] == follow]
    idx = np.flatnonzero(fact.active)  # the frame's rows, in order
    school = rows["school_id"].map(codes).to_numpy(dtype=np.int64)
    treated = on_pilot[school]
    by_outcome = {}
    for o in OUTCOMES:
        diff = fact.y[o][idx] - cf.y[o][idx]
        rec = rows[o].notna().to_numpy() & treated
        by_outcome[o] = {
            "itt": float(diff[treated].mean()) if treated.any() else None,
            "itt_recorded": float(diff[rec].mean()) if rec.any() else None,
            "n_children": int(treated.sum()),
            "n_recorded": int(rec.sum()),
        }
    return {
        "terms": pspec.terms[-2:],
        "follow_up_term": follow,
        "baseline_term": pspec.terms[-3],
        "treated_schools": sorted(c for c, i in codes.items() if on_pilot[i]),
        "population": POPULATION,
        "by_outcome": by_outcome,
    }
