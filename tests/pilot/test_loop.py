"""The whole loop against known truth: assign, register, simulate, analyse.

Over 300 synthetic counties (seeds used nowhere else), each run three ways (a pilot with a
true effect of -0.25 SD under re-randomisation; no effect, plain; no effect, re-randomised),
the registered analysis's interval covers the true pilot effect 93-97% of the 900 times, and
in each way within the binomial 99% band of 95% (at 300 runs a 95% interval lands outside
93-97% one time in six by chance alone, so the band is checked on all 900); with no pilot
effect its randomisation p-values reject at 5% and 10% as often as they should, with and
without re-randomisation. The same seed gives the same assignment, plan hash and analysis.
The counties run in two processes (the machine's two cores); each imports the kit once.
"""

from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lbc_eval import SynthSpec, pilot, simulate
from lbc_eval.errors import LbcEvalWarning

#: Seeds of the Monte Carlo study; no other test uses them.
SEEDS = range(70_000, 70_300)
#: A county of 24 schools in 6 townships, 500 children: small enough for 200 runs.
COUNTY = {"n_children": 500, "n_schools": 24, "n_townships": 6, "n_terms": 4}
EFFECT = -0.25
#: Few draws keep the study cheap; the randomisation p-value's grid is 1/200.
PLAN = {"outcome": "sdq_total", "effect_of_interest": 0.25, "reps": 99, "ri_reps": 199,
        "icc": {"icc": 0.05, "children_per_school": 20}}  # fmt: skip
THRESHOLD = 0.2


def run(seed: int) -> dict[str, float]:
    """One county through the loop: a plain and a re-randomised assignment; the null pilot
    year analysed under both, the pilot year with an effect under the re-randomised one."""
    spec = SynthSpec.preset("small", seed=seed, **COUNTY)
    base = simulate(spec)
    table = pilot.school_table(base, outcomes=("sdq_total",))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LbcEvalWarning)
        plain = pilot.assign(table, seed=seed)
        rerand = pilot.assign(table, seed=seed, rerandomize=THRESHOLD)
    spec_plain, spec_re = pilot.plan(plain, **PLAN), pilot.plan(rerand, **PLAN)
    null = pilot.simulate(spec, plain, effect=0.0, baseline=base)  # the same for any arms
    year = pilot.simulate(spec, rerand, effect=EFFECT, baseline=base)
    v = pilot.analyse(year, spec_re).vs_truth(year.truth).iloc[0]
    n_plain = pilot.analyse(null, spec_plain).vs_truth(null.truth).iloc[0]
    n_re = pilot.analyse(null, spec_re).vs_truth(null.truth).iloc[0]
    return {
        "p_plain": float(n_plain["p_value"]),
        "p_rerandomised": float(n_re["p_value"]),
        "covered": float(v["covered"]),
        "covered_null_plain": float(n_plain["covered"]),
        "covered_null_rerandomised": float(n_re["covered"]),
        "error": float(v["error"]),
        "truth": float(v["truth"]),
    }


@pytest.fixture(scope="module")
def study() -> pd.DataFrame:
    workers = min(2, os.cpu_count() or 1)
    if workers == 1:
        return pd.DataFrame([run(s) for s in SEEDS])
    spawn = multiprocessing.get_context("spawn")  # no fork of a process with threads
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        return pd.DataFrame(list(pool.map(run, SEEDS, chunksize=10)))


def _band(n: int, rate: float = 0.05) -> tuple[float, float]:
    """The binomial 99% band of a share (of rejections, of intervals covering) over ``n``
    independent runs."""
    lo, hi = stats.binom.interval(0.99, n, rate)
    return lo / n, hi / n


COVERED = ["covered", "covered_null_plain", "covered_null_rerandomised"]


@pytest.mark.slow
def test_the_registered_interval_covers_the_true_effect(study):
    assert (study["truth"] < 0).all()  # a real effect in every county
    overall = study[COVERED].to_numpy().mean()
    rejects = {p: (study[p] <= 0.05).mean() for p in ("p_plain", "p_rerandomised")}
    print(f"coverage {study[COVERED].mean().round(3).to_dict()}, overall {overall:.3f}; "
          f"null rejection at 5% {rejects}; mean error {study['error'].mean():.3f}")  # fmt: skip
    assert 0.93 <= overall <= 0.97, f"coverage {overall:.3f} over {3 * len(study)} runs"
    lo, hi = _band(len(study), 0.95)
    for way in COVERED:
        coverage = study[way].mean()
        assert lo <= coverage <= hi, f"{way}: {coverage:.3f} (band {lo:.3f}-{hi:.3f})"


@pytest.mark.slow
def test_the_estimate_is_unbiased(study):
    mc_se = study["error"].std(ddof=1) / np.sqrt(len(study))
    assert abs(study["error"].mean()) < 3 * mc_se


@pytest.mark.slow
@pytest.mark.parametrize("design", ["p_plain", "p_rerandomised"])
def test_null_randomisation_p_values_are_uniform(study, design):
    p = study[design].to_numpy()
    for level in (0.05, 0.10):
        lo, hi = _band(len(p), level)
        rate = (p <= level).mean()
        assert lo <= rate <= hi, f"{design}: rejects {rate:.3f} at {level} (band {lo}-{hi})"
    # and overall: no departure from uniform on deciles (chi-square, 1% level)
    counts = np.histogram(p, bins=np.linspace(0, 1, 11))[0]
    assert stats.chisquare(counts).pvalue > 0.01


def test_the_same_seed_gives_the_same_assignment_hash_and_analysis():
    def loop(seed: int) -> tuple:
        spec = SynthSpec.preset("small", seed=seed, **COUNTY)
        base = simulate(spec)
        a = pilot.assign(pilot.school_table(base, outcomes=("sdq_total",)), seed=seed,
                         rerandomize=THRESHOLD)  # fmt: skip
        registered = pilot.plan(a, **PLAN)
        year = pilot.simulate(spec, a, effect=EFFECT, baseline=base)
        return a.table, registered.hash, pilot.analyse(year, registered).tidy()

    t1, h1, r1 = loop(69_999)
    t2, h2, r2 = loop(69_999)
    pd.testing.assert_frame_equal(t1, t2)
    assert h1 == h2
    pd.testing.assert_frame_equal(r1, r2)
    t3, h3, _ = loop(69_998)
    assert h3 != h1
