r"""The synthetic check: run a synthetic county through the pilot year with a known effect.

:func:`simulate` runs the world of a :class:`~lbc_eval.SynthSpec` on through one more academic
year (:func:`lbc_eval.synth.pilot.run_pilot_year`), in which the children of the assignment's
treated schools get the pilot, with a true effect of ``effect`` SD on ``outcome``. The SD is
the outcome's cross-sectional SD over the children of the assignment's schools in the
baseline term (the spec's last term) — the SD a registered analysis divides by
(:func:`lbc_eval.pilot.plan`). The loop assign → plan → simulate → analyse can so be checked
against known truth.

Examples
--------
>>> import lbc_eval
>>> from lbc_eval import pilot
>>> spec = lbc_eval.SynthSpec.preset("small", n_children=600, n_terms=4, seed=5)
>>> base = lbc_eval.simulate(spec)
>>> a = pilot.assign(pilot.school_table(base), seed=5, strata=None)
>>> year = pilot.simulate(spec, a, effect=-0.2, baseline=base)
>>> round(year.truth["pilot"]["effect_sd"], 2)
-0.2
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import SpecError
from lbc_eval.pilot.assignment import Assignment
from lbc_eval.synth import simulate as simulate_county
from lbc_eval.synth.pilot import run_pilot_year
from lbc_eval.synth.spec import SynthSpec


def simulate(
    synth_spec: SynthSpec,
    assignment: Assignment,
    *,
    effect: float,
    outcome: str = "sdq_total",
    seed: int | None = None,
    baseline: Cohort | None = None,
) -> Cohort:
    r"""The pilot year of ``synth_spec``'s county, the assignment's treated schools piloting.

    Parameters
    ----------
    synth_spec : SynthSpec
        The county; its terms are the baseline.
    assignment : Assignment
        From :func:`lbc_eval.pilot.assign` on this county's baseline (its schools must be the
        county's).
    effect : float
        The pilot's effect on ``outcome`` in SD (:math:`\delta`; SDQ: negative is better).
    outcome : str
    seed : int, optional
        Seed of the pilot year's draws (default the spec's).
    baseline : Cohort, optional
        ``lbc_eval.simulate(synth_spec)`` when already at hand.

    Returns
    -------
    Cohort
        Baseline and pilot terms; ``truth["pilot"]`` as
        :func:`lbc_eval.synth.pilot.run_pilot_year`, plus ``effect_sd`` (:math:`\delta`),
        ``sd`` (:math:`s`, the outcome's baseline SD above), ``shift``
        (:math:`\Delta = \delta s`, added to each treated child's outcome before rounding),
        ``itt`` and ``itt_sd`` (the primary outcome's true ITT in outcome units and in SD,
        :math:`\mathrm{ITT}/s`) and ``arms``.

    Notes
    -----
    A treated child's latent outcome moves by :math:`\Delta / k` in both pilot terms, so its
    recorded outcome moves by about :math:`\Delta` before rounding and clipping; the true
    effect at follow-up (``itt``) is computed from the potential outcomes of both worlds and
    includes what the county's mechanisms make of the pilot (for SDQ: less counselling the
    next term).
    """
    if isinstance(effect, bool) or not np.isfinite(effect):
        raise SpecError("effect", f"a finite effect in SD, not {effect!r}")
    base = baseline if baseline is not None else simulate_county(synth_spec)
    term = synth_spec.terms[-1]
    if assignment.baseline_term not in (None, term):
        raise SpecError(
            "assignment",
            f"drawn on term {assignment.baseline_term}, but the county's baseline is {term}",
        )
    panel = base.panel
    schools = set(assignment.table["school_id"])
    rows = panel[(panel["term"] == term) & panel["school_id"].astype(str).isin(schools)]
    sd = float(rows[outcome].astype(float).std(ddof=1))
    cohort = run_pilot_year(synth_spec, treated=assignment.treated, outcome=outcome,
                            delta=effect * sd, seed=seed, baseline=base)  # fmt: skip
    pilot: dict[str, Any] = cohort.truth["pilot"]  # type: ignore[index]
    itt = pilot["by_outcome"][outcome]["itt"]
    pilot.update(
        effect_sd=float(effect),
        sd=sd,
        shift=float(effect * sd),
        itt=itt,
        itt_sd=None if itt is None else itt / sd,
        arms=list(assignment.arms),
    )
    return cohort
