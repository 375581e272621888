"""The random sample of whole schools that multilevel models are fitted on at province scale."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval.estimation.multilevel import MAX_CHILDREN, SAMPLE_SEED, sample_clusters


def _children(n_schools: int = 300, seed: int = 0) -> pd.DataFrame:
    """Children in schools of unequal size, school effects of variance 0.25, child noise 1."""
    rng = np.random.default_rng(seed)
    size = rng.integers(50, 350, size=n_schools)
    school = np.repeat(np.arange(n_schools), size)
    y = rng.normal(0, 0.5, size=n_schools)[school] + rng.normal(size=school.size)
    return pd.DataFrame({"school_id": [f"s{s:04d}" for s in school], "y": y})


def test_small_frames_are_left_alone():
    frame = _children(20)
    assert len(frame) <= MAX_CHILDREN
    out, note = sample_clusters(frame, "school_id")
    assert out is frame and note == ""
    out, note = sample_clusters(frame, "school_id", max_rows=None)
    assert out is frame and note == ""


def test_whole_schools_until_the_cap_same_draw_every_time():
    frame = _children(300)
    cap = 10_000
    out, note = sample_clusters(frame, "school_id", max_rows=cap)
    again, _ = sample_clusters(frame, "school_id", max_rows=cap)
    pd.testing.assert_frame_equal(out, again)
    kept = out["school_id"].unique()
    # whole schools: every kept school has all its children, in their original order
    sizes = frame.groupby("school_id").size()
    assert (out.groupby("school_id").size() == sizes[kept]).all()
    assert out.index.is_monotonic_increasing
    # the fewest schools, in the seeded order, whose children reach the cap
    order = np.random.default_rng(SAMPLE_SEED).permutation(len(sizes))
    reach = np.cumsum(sizes.to_numpy()[order])
    k = int(np.searchsorted(reach, cap)) + 1
    assert set(kept) == set(sizes.index[order[:k]])
    assert len(out) >= cap > len(out) - sizes[sizes.index[order[k - 1]]]
    assert f"{k:,} of 300 schools" in note and f"{len(out):,} of {len(frame):,}" in note
    # another seed draws other schools
    other, _ = sample_clusters(frame, "school_id", max_rows=cap, seed=SAMPLE_SEED + 1)
    assert set(other["school_id"]) != set(kept)


def test_the_sample_estimates_the_same_school_variance():
    """REML on the sample recovers the school share of the variance, 0.25 / 1.25 = 0.2,
    within 3 of its standard errors (about 0.2 * sqrt(2 / k) for k sampled schools)."""
    import statsmodels.formula.api as smf

    frame = _children(600, seed=1)
    out, _ = sample_clusters(frame, "school_id", max_rows=15_000)
    fit = smf.mixedlm("y ~ 1", out, groups=out["school_id"]).fit(reml=True)
    icc = float(fit.cov_re.iloc[0, 0]) / (float(fit.cov_re.iloc[0, 0]) + fit.scale)
    k = out["school_id"].nunique()
    assert icc == pytest.approx(0.2, abs=3 * 0.2 * np.sqrt(2 / k))
