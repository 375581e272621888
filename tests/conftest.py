"""Shared fixtures: synthetic cohorts built once per session."""

from __future__ import annotations

import functools

import pytest

from lbc_eval import SynthSpec, simulate

SEEDS = (11, 12, 13, 14, 15)


@functools.cache
def cohort_for(preset: str, seed: int, **overrides: object):
    """A cached synthetic cohort (the tests only read it)."""
    return simulate(SynthSpec.preset(preset, seed=seed, **overrides))


@pytest.fixture(scope="session")
def small():
    return cohort_for("small", 11)


@pytest.fixture(scope="session")
def county():
    return cohort_for("county", 7)
