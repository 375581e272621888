"""Next year's pilots: size them, randomise them, register their analysis, analyse them as
registered, and check the whole loop on a synthetic county with known truth.

Sizing
    ``power`` (:func:`mde`, :func:`power`, :func:`solve`: PowerUp!/Bloom formulas, checked
    against them), ``design`` (the formulas and their checks), ``icc``
    (:func:`icc_from_cohort`: ICCs and covariate R² estimated from the cohort), ``sizing``
    (:func:`pilot_plan`: one pilot's size with every assumption beside it).
The loop
    ``schools`` (:func:`school_table`: the schools of a baseline term, school-level only),
    ``randomise`` (the stratified procedure, balance, re-randomisation: a pure
    ``draw(design, rng)``), ``assign`` (:func:`assign` → :class:`Assignment`), ``register``
    (:func:`plan` → :class:`PilotSpec`: the pre-analysis plan and its hash; ``document``
    writes it in Chinese and English, Markdown, HTML and Word), ``analyse`` (:func:`analyse`:
    the registered analysis, with ``ri`` for randomisation inference and ``checks`` for
    deviations and attrition), ``simulate`` (:func:`simulate`: a synthetic pilot year with a
    known effect).

Examples
--------
>>> import lbc_eval
>>> from lbc_eval import pilot
>>> spec = lbc_eval.SynthSpec.preset("small", n_children=900, n_schools=16, n_terms=4, seed=3)
>>> base = lbc_eval.simulate(spec)
>>> a = pilot.assign(pilot.school_table(base), seed=3, rerandomize=0.5)
>>> registered = pilot.plan(a, outcome="sdq_total", effect_of_interest=0.3, ri_reps=199,
...                         reps=199, icc={"icc": 0.05, "children_per_school": 50})
>>> year = pilot.simulate(spec, a, effect=-0.3, baseline=base)
>>> res = pilot.analyse(year, registered)
>>> bool(res.vs_truth(year.truth)["covered"].iloc[0])
True
"""

from lbc_eval.pilot.analyse import analyse
from lbc_eval.pilot.assign import assign
from lbc_eval.pilot.assignment import Assignment
from lbc_eval.pilot.icc import icc_from_cohort, mde_curve
from lbc_eval.pilot.power import mde, power, solve
from lbc_eval.pilot.register import PilotSpec, plan
from lbc_eval.pilot.schools import school_table
from lbc_eval.pilot.simulate import simulate
from lbc_eval.pilot.sizing import pilot_plan

__all__ = [
    "Assignment",
    "PilotSpec",
    "analyse",
    "assign",
    "icc_from_cohort",
    "mde",
    "mde_curve",
    "pilot_plan",
    "plan",
    "power",
    "school_table",
    "simulate",
    "solve",
]
