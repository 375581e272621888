"""The randomisation procedure: exact assignment probabilities, the strata-merge rule, the
standardised differences, and re-randomisation that only ever returns acceptable draws."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lbc_eval.errors import SpecError
from lbc_eval.pilot.randomise import Design, draw, draws, merge_strata, min_stratum_size, stream

STRATA = ("a",) * 5 + ("b",) * 3 + ("c",) * 2


def _design(threshold=None, p=0.5, k=2, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(len(STRATA), k))
    return Design(schools=tuple(f"S{i:02d}" for i in range(len(STRATA))), strata=STRATA,
                  treat_share=p, covariates=tuple(f"x{j}" for j in range(k)), X=X,
                  threshold=threshold)  # fmt: skip


@pytest.mark.parametrize("p", [0.5, 0.3, 0.7])
def test_every_school_is_treated_with_probability_p(p):
    d = _design(p=p)
    Z = d.candidates(np.random.default_rng(1), 40_000)
    # binomial SE of a share from 40,000 draws is at most 0.0025; 5 SE
    assert np.abs(Z.mean(axis=0) - p).max() < 5 * 0.0025
    for s in set(STRATA):
        cols = [i for i, x in enumerate(STRATA) if x == s]
        n = len(cols)
        counts = Z[:, cols].sum(axis=1)
        # floor(n p) or floor(n p) + 1 treated in each stratum, never anything else
        assert set(np.unique(counts)) <= {np.floor(n * p + 1e-12), np.floor(n * p + 1e-12) + 1}


def test_standardised_differences_by_brute_force():
    d = _design(k=3)
    z = d.candidates(np.random.default_rng(2), 1)[0]
    sd = d.X.std(axis=0, ddof=1)
    expected = (d.X[z].mean(axis=0) - d.X[~z].mean(axis=0)) / sd
    np.testing.assert_allclose(d.differences(z)[0], expected, rtol=1e-12)
    assert d.imbalance(z)[0] == pytest.approx(np.abs(expected).max())


def test_a_constant_covariate_has_no_difference():
    d = Design(schools=("a", "b", "c", "d"), strata=("x",) * 4, treat_share=0.5,
               covariates=("same",), X=np.ones((4, 1)))  # fmt: skip
    assert d.differences(np.array([1, 0, 1, 0], bool))[0, 0] == 0


def test_the_same_stream_gives_the_same_draw():
    d = _design(threshold=0.3)
    z1, n1 = draw(d, stream(7, 0))
    z2, n2 = draw(d, stream(7, 0))
    z3, _ = draw(d, stream(8, 0))
    assert np.array_equal(z1, z2) and n1 == n2
    assert not np.array_equal(z1, z3)


def test_rerandomisation_returns_only_acceptable_draws():
    d = _design(threshold=0.2, k=3)
    z, tried = draw(d, stream(3, 0))
    assert d.imbalance(z)[0] <= 0.2 and tried >= 1
    Z, candidates = draws(d, stream(3, 1), 500)
    assert Z.shape == (500, d.n_schools) and candidates >= 500
    assert d.imbalance(Z).max() <= 0.2 + 1e-12
    unconstrained = d.imbalance(d.candidates(np.random.default_rng(4), 2000))
    assert (unconstrained > 0.2).mean() > 0.3  # the threshold binds


def test_an_impossible_threshold_is_refused_with_the_best_seen():
    d = _design(threshold=1e-6, k=4)
    d = dataclasses.replace(d, max_draws=1024)
    with pytest.raises(SpecError, match="the best had"):
        draw(d, stream(1, 0))


@pytest.mark.parametrize(
    "sizes, min_size, expected",
    [
        ({"A": 5, "B": 1, "C": 4}, 2, {"B": "B+C", "C": "B+C"}),  # B joins the smallest other
        ({"A": 1, "B": 1, "C": 6}, 2, {"A": "A+B", "B": "A+B"}),  # ties: first by name
        ({"A": 1, "B": 1, "C": 1}, 4, {"A": "A+B+C", "B": "A+B+C", "C": "A+B+C"}),
        ({"A": 3, "B": 3}, 2, {}),
    ],
)
def test_the_merge_rule(sizes, min_size, expected):
    labels = pd.Series([k for k, n in sizes.items() for _ in range(n)])
    merged, mapping = merge_strata(labels, min_size)
    assert mapping == expected
    assert merged.value_counts().min() >= min(min_size, len(labels))


@pytest.mark.parametrize("p, expected", [(0.5, 2), (0.3, 4), (0.25, 4), (0.8, 5)])
def test_min_stratum_size(p, expected):
    assert min_stratum_size(p) == expected
