"""Shared fixtures of the pilot loop: one small synthetic county, its assignment, its
registered plan and its pilot year (built once per session; the tests only read them)."""

from __future__ import annotations

import functools
from types import SimpleNamespace

import pytest

from lbc_eval import SynthSpec, pilot, simulate

#: A county small enough to run through the loop in a fraction of a second.
LOOP = {"n_children": 600, "n_schools": 24, "n_townships": 6, "n_terms": 4}
#: The pilot's true effect on SDQ in SD (negative: fewer difficulties).
EFFECT = -0.3
#: Plans for tests: few draws, so they run fast.
FAST = {"reps": 199, "ri_reps": 199}
ICC = {"icc": 0.05, "children_per_school": 20}


@functools.cache
def loop_for(seed: int, rerandomize: float | None = 0.25, effect: float = EFFECT):
    """The loop on the county of ``seed``: spec, base cohort, school table, assignment,
    registered plan, pilot year."""
    spec = SynthSpec.preset("small", seed=seed, **LOOP)
    base = simulate(spec)
    table = pilot.school_table(base, outcomes=("sdq_total",))
    a = pilot.assign(table, seed=seed, rerandomize=rerandomize)
    registered = pilot.plan(a, outcome="sdq_total", effect_of_interest=abs(EFFECT),
                            secondary=["attendance", "math"], icc=ICC, **FAST)  # fmt: skip
    year = pilot.simulate(spec, a, effect=effect, baseline=base)
    return SimpleNamespace(spec=spec, base=base, table=table, assignment=a, plan=registered,
                           year=year)  # fmt: skip


@pytest.fixture(scope="session")
def loop():
    return loop_for(101)
