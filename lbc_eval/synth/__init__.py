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

.. math:: \mu_{it} = \bar c \exp(\gamma d_i - \gamma^2/2 + \nu_{s(i)t}
          + \phi z_{it} - \phi^2/2),\quad
          \nu_{st} \sim N(-\sigma_\nu^2/2, \sigma_\nu^2)

(``contact_targeting`` :math:`\gamma` confounds the cross-section; the volunteer-supply shock
:math:`\nu` of the child's catchment school moves contacts within a child;
``targeting_feedback`` :math:`\phi` makes mentors respond to the child's *current-term* SDQ
shock :math:`z_{it} = \varepsilon^S_{it}/\mathrm{sd}(\varepsilon^S) \sim N(0,1)`, the
transitory part of this term's SDQ below, drawn before the contacts: more contacts in a bad
term. The :math:`-\phi^2/2` keeps the mean at :math:`\bar c`. Since :math:`z_{it}` is in
:math:`\mathrm{SDQ}_{it}`, a within-child
regression of :math:`Y_{i,t+1}` on :math:`C_{it}` is biased through the child's demeaning, and
through any lagged-outcome control; the shocks are independent across terms, so without either
the next term's outcome is not confounded.) The effect on the next term's outcome is concave:

.. math:: f_Y(c) = b_Y (1 - e^{-c / c_0}).

*Outcomes*, in SD units before scaling. With :math:`u_s` (variance ``school_icc``, correlated
``quality_score_corr`` with school quality :math:`q_s`), :math:`c_k` (variance ``class_icc``),
the child effect :math:`a_i` (variance 0.45, decreasing in :math:`d_i`) and noise
:math:`\varepsilon_{it}` (the rest of a unit variance):

.. math::
   \mathrm{math}_{it} = u_{s} + c_{k} + a_i + g^{M}_{L_{it}} + (\theta + \theta_{lb} 1[L_{it}\ne
   none])\,x_{s y} + f_M(C_{i,t-1}) + \beta_{tut} \min(h_{it}, 40)/40 + \beta^M_{mv} W_{it}
   + \omega \tilde p_s (y(t) - y_0) + \varepsilon_{it}

and likewise Chinese (child effect correlated 0.7). :math:`x_{sy}` is the school's trained-
teacher share, :math:`W_{it}` = the child lives with its parents after moving,
:math:`h_{it}` tutoring hours, :math:`g_s` the left-behind gaps. SDQ
:math:`= \mathrm{clip}(\mathrm{round}(12.3 + 6 z), 0, 40)` with
:math:`z = a^S_i + u^S_s + g^S_{L} + f_S(C_{i,t-1}) + \kappa 1[\mathrm{couns}_{i,t-1} > 0]
+ \beta^S_{mv} W_{it} + \varepsilon^S_{it}`; attendance :math:`= \mathrm{clip}(\mathrm{round}(0.95
+ 0.03 z^A, 3), 0, 1)`. Counselling targets high SDQ in the previous term.

*Teacher training (Q2), uneven and not at random.* Each year a school trains a share
:math:`\Lambda(-1.6 + \tau q_s + 0.3 \log(\text{teachers}) + 0.5\xi_{sy})/2` of its untrained
teachers, so larger, better-run schools train first; :math:`u_s` correlates with :math:`q_s`,
which biases the cross-section while school fixed effects do not. With ``training_trend``
:math:`\omega \ne 0` scores also trend by :math:`\omega \tilde p_s` SD a year, where
:math:`\tilde p_s` is the deterministic uptake index :math:`\tau q_s + 0.3 \log(\text{
teachers}/\text{median})` standardised across schools: early trainers improve (or decline) for
reasons other than training, which school and year fixed effects do not remove. The true
effect of training stays ``training_effect``.

*Enrolment policy (Q3), staggered by destination.* Destination :math:`j` adopts in year
:math:`G_j` (or never). A left-behind child whose parents work at :math:`j` moves to live with
them at the end of term :math:`t` with hazard

.. math:: h_{it} = h_{0,j y(t)} + 1[t \ge g_j]\, h_1 m_{g_j} (1 - e^{-(t - g_j + 1)/\rho}),
          \quad h_{0,jy} = \Lambda(\mathrm{logit}\,h_0 + u_{jy}),\;
          u_{jy} \sim N(0, \sigma_u^2)

:math:`m_g` falling linearly from :math:`1+\psi` (earliest adopters) to 1 (latest): dynamic,
cohort-heterogeneous effects. The destination-year shocks :math:`u_{jy}`
(``destination_shock_sd`` :math:`\sigma_u`; :math:`h_{0,jy} = h_0` when it is 0) are drawn
from a stream of their own and are the same in both worlds: not a policy effect, but moves and
outcomes cluster by destination and year. A child who moves within the county stays
(county-seat school, :math:`W = 1`); one who moves out exits with reason ``moved_with_parents``.

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
- ``other``: counselling, tutoring and move effects as set;
- ``populations``: for each estimand, in words, the units it averages over (all are sample
  quantities: the children and terms generated, with or without a recorded outcome).

National cohorts
----------------
A spec with ``n_provinces`` above 1 (``SynthSpec.preset("national")``: 14 provinces of the
``province`` preset's size, about 107 million child-terms) is too large for memory:
:func:`simulate` refuses it and :func:`write_national` (``lbc-eval synth --preset national
--out DIR``) simulates the provinces one at a time, each the process above with its own
derived seed, and streams them to disk; the national truth weights the provinces' truths by
their units. Seeds, codes, layout and truth: :mod:`lbc_eval.synth.national`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import SpecError
from lbc_eval.synth.dgp import DOSE_GRID, dose_effect
from lbc_eval.synth.engine import run
from lbc_eval.synth.national import province_seed, write_national
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.tables import destinations_table, roster, schools_table, stack
from lbc_eval.synth.truth import truth_of
from lbc_eval.synth.world import build_world

__all__ = ["DOSE_GRID", "dose_effect", "province_seed", "simulate", "write_national"]


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
    if spec.n_provinces > 1:
        raise SpecError(
            "n_provinces",
            f"{spec.n_provinces} provinces do not fit in memory; write them to disk province by "
            "province with lbc_eval.synth.write_national(spec, out) or "
            "`lbc-eval synth --preset national --seed N --out DIR`",
        )
    world = build_world(spec)
    bar: Any = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=2 * spec.n_terms, desc="simulating terms", unit="term")
    tick: Callable[[], None] = (lambda: bar.update(1)) if bar is not None else (lambda: None)
    frames: list[pd.DataFrame] = []
    r = run(spec, world, lambda t, frame: frames.append(frame), tick)
    if bar is not None:
        bar.close()

    panel = stack(frames)
    schools = schools_table(spec, world, np.column_stack(r.acc.enrolment))
    destinations = destinations_table(spec, world)
    truth = truth_of(spec, world, r.acc, r.pop, r.fact, r.cf)
    ids = roster(world)
    return Cohort(panel=panel, schools=schools, destinations=destinations, truth=truth, roster=ids)


# --- one term ---------------------------------------------------------------------------------
