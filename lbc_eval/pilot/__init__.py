"""Sizing next year's pilots: power and minimum detectable effects for cluster-randomised designs.

``power``
    :func:`mde`, :func:`power`, :func:`solve` (PowerUp!/Bloom formulas, checked against them);
``design``
    the design parameters and their checks;
``icc``
    :func:`icc_from_cohort`: ICCs and covariate R-squared estimated from the cohort;
``plan``
    :func:`pilot_plan`: one pilot's size with every assumption beside it, the R² rule, and the
    MDE of a pilot randomising all the county's schools.
"""

from lbc_eval.pilot.icc import icc_from_cohort, mde_curve
from lbc_eval.pilot.plan import pilot_plan
from lbc_eval.pilot.power import mde, power, solve

__all__ = ["icc_from_cohort", "mde", "mde_curve", "pilot_plan", "power", "solve"]
