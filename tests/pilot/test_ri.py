"""Randomisation inference: the vectorised studentised statistic equals OLS with explicit
dummies and CRV1 by hand, for every redrawn assignment and every shifted null; the p-value
counts as registered; the interval is where the test stops rejecting."""

from __future__ import annotations

import numpy as np
import pytest

from lbc_eval.pilot.ri import interval, p_value, parts

S, N = 12, 300


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    school = rng.integers(0, S, N)
    strata = np.repeat([0, 1, 2], 4)
    x = np.c_[rng.normal(size=N), (rng.random(N) < 0.1).astype(float)]
    z = np.zeros(S, bool)
    z[[0, 2, 5, 7, 8, 11]] = True
    # heterogeneous effects, so the shifted nulls are not trivially true
    y = rng.normal(size=N) + 0.5 * x[:, 0] + 0.7 * z[school] * (1 + rng.normal(size=N))
    return school, strata, x, z, y, rng.random((8, S)) < 0.5


def _ols_crv1(y, D, W, school):
    """Coefficient on D and its CRV1 s.e., dummies and clusters written out."""
    X = np.c_[D, W]
    inv = np.linalg.pinv(X.T @ X)
    b = inv @ X.T @ y
    e = y - X @ b
    meat = sum(np.outer(X[school == g].T @ e[school == g], X[school == g].T @ e[school == g])
               for g in range(S))  # fmt: skip
    G, k = len(np.unique(school)), 1 + 2 + 3  # the arm, two controls, three strata
    V = inv @ meat @ inv * G / (G - 1) * (N - 1) / (N - k)
    return b[0], np.sqrt(V[0, 0])


@pytest.mark.parametrize("tau0", [0.0, 0.4, -1.3])
def test_every_draw_equals_ols_with_crv1(data, tau0):
    school, strata, x, z, y, Z = data
    st = parts(y, x, school, strata, S).stats(Z, z)
    W = np.c_[np.eye(3)[strata[school]], x]
    for r in range(len(Z)):
        b, se = _ols_crv1(y - tau0 * z[school], Z[r, school].astype(float), W, school)
        assert st.tau(tau0)[r] == pytest.approx(b, rel=1e-9, abs=1e-12)
        assert st.se(tau0)[r] == pytest.approx(se, rel=1e-9)
        assert st.t(tau0)[r] == pytest.approx(b / se, rel=1e-9)


def test_the_observed_draw_moves_one_for_one_with_the_null(data):
    school, strata, x, z, y, _ = data
    obs = parts(y, x, school, strata, S).stats(z, z)
    assert obs.B[0] == pytest.approx(1.0)
    assert obs.se(5.0)[0] == pytest.approx(obs.se(0.0)[0])  # residuals do not move


def test_a_draw_without_contrast_is_nan():
    school = np.repeat(np.arange(4), 5)
    pr = parts(np.arange(20.0), np.zeros((20, 0)), school, np.zeros(4, int), 4)
    assert np.isnan(pr.stats(np.ones((1, 4), bool), np.array([1, 0, 1, 0], bool)).t()[0])


def test_the_p_value_counts_ties_and_adds_one():
    draws = np.array([-2.0, -1.0, 0.5, 1.0, 3.0, np.nan])
    # |draws| >= 1: -2, -1, 1, 3 -> (1 + 4) / (1 + 5 finite)
    assert p_value(1.0, draws) == pytest.approx(5 / 6)
    assert p_value(10.0, draws) == pytest.approx(1 / 6)


def test_the_interval_is_where_the_test_stops_rejecting(data):
    school, strata, x, z, y, _ = data
    Z = np.random.default_rng(1).random((999, S)) < 0.5
    pr = parts(y, x, school, strata, S)
    obs, drawn = pr.stats(z, z), pr.stats(Z, z)
    lo, hi = interval(obs, drawn, alpha=0.05, scale=float(obs.se()[0]))
    assert lo < obs.A[0] < hi

    def p(t0):
        return p_value(float(obs.t(t0)[0]), drawn.t(t0))

    eps = 1e-3 * float(obs.se()[0])
    assert p(lo + eps) > 0.05 >= p(lo - eps)
    assert p(hi - eps) > 0.05 >= p(hi + eps)
