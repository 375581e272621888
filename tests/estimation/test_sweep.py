"""Fixed effects swept out in closed form: equal to least squares on explicit dummies and to the
alternating projections, with and without weights; no closed form when it cannot hold."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lbc_eval.estimation import sweep, within
from lbc_eval.estimation.sweep import Sweep


def _design(seed: int = 0, n_units: int = 300, T: int = 6, k: int = 3):
    """An unbalanced panel: units over periods (some periods missing), a third factor of four
    levels that cuts across both, k columns to sweep and positive weights."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units), T)
    t = np.tile(np.arange(T), n_units)
    keep = rng.uniform(size=unit.size) > 0.15
    unit, t = unit[keep], t[keep]
    third = rng.integers(0, 4, size=unit.size)
    z = rng.normal(size=(unit.size, k)) + rng.normal(size=n_units)[unit, None] * 3
    w = 0.5 + rng.uniform(size=unit.size)
    return unit, t, third, z, w


def _dummies(*codes: np.ndarray) -> np.ndarray:
    return np.column_stack([np.eye(int(c.max()) + 1)[c] for c in codes])


@pytest.mark.parametrize("which", ["unit+t", "unit", "t", "unit+t+third"])
@pytest.mark.parametrize("weighted", [False, True])
def test_equals_least_squares_on_dummies(which, weighted):
    unit, t, third, z, w = _design()
    codes = {"unit+t": (unit, t), "unit": (unit,), "t": (t,), "unit+t+third": (unit, t, third)}
    fe = np.column_stack(codes[which])
    wt = w if weighted else None
    got = Sweep.of(fe, wt).demean(z - z.mean(axis=0))
    D = _dummies(*codes[which])
    s = np.sqrt(w if weighted else np.ones(len(z)))[:, None]
    coef, *_ = np.linalg.lstsq(D * s, z * s, rcond=None)
    np.testing.assert_allclose(got, z - D @ coef, rtol=0, atol=1e-9 * np.abs(z).max())


@pytest.mark.parametrize("weighted", [False, True])
def test_within_demean_takes_it_from_the_threshold(monkeypatch, weighted):
    """Below CLOSED_FORM_ROWS the alternating projections, from it the closed form: the two
    agree to the projections' tolerance (relative to each column's spread)."""
    unit, t, third, z, w = _design(seed=3)
    fe = np.column_stack([unit, t])
    wt = w if weighted else None
    iterated = within.demean(z, fe, wt)
    monkeypatch.setattr(within, "CLOSED_FORM_ROWS", 1)
    closed = within.demean(z, fe, wt)
    np.testing.assert_allclose(closed, iterated, rtol=0, atol=1e-8 * z.std(axis=0).max())
    assert not np.array_equal(closed, iterated)  # another computation, not the same path
    one = within.demean(z[:, 0], fe, wt)
    np.testing.assert_allclose(one, closed[:, 0], rtol=0, atol=1e-12 * np.abs(z).max())


def test_no_closed_form_when_it_cannot_hold(monkeypatch):
    unit, t, third, z, _ = _design(seed=5)
    fe = np.column_stack([unit, t, third])
    monkeypatch.setattr(sweep, "MAX_SMALL_LEVELS", 9)  # t and third have 10 levels together
    assert Sweep.of(fe) is None
    monkeypatch.setattr(sweep, "MAX_SMALL_LEVELS", 10)
    good = Sweep.of(fe)
    assert good is not None and good.demean(z) is not None
    # a wrong Schur inverse breaks the normal equations: the check refuses the answer
    bad = dataclasses.replace(good, S_pinv=np.zeros_like(good.S_pinv))
    assert bad.demean(z) is None
    # and within.demean then falls back to the alternating projections
    monkeypatch.setattr(within, "CLOSED_FORM_ROWS", 1)
    monkeypatch.setattr(sweep, "MAX_SMALL_LEVELS", 9)
    fallback = within.demean(z, fe, None)
    monkeypatch.setattr(within, "CLOSED_FORM_ROWS", 10**12)
    np.testing.assert_array_equal(fallback, within.demean(z, fe, None))
