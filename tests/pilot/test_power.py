"""Pilot power: published worked examples, statsmodels, round trips and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower, TTestIndPower

import lbc_eval
from lbc_eval.errors import SpecError
from lbc_eval.pilot.power import PowerResult, mde, multiplier, power, solve, standard_error

METHODS = ("noncentral", "multiplier")

# PowerUpR cross-checks vignette (Bulus, Dong, Kelcey & Spybrook; PowerUpR 1.0,
# vignettes/cross_checks.Rmd, knitted 2018-02-16), which reproduces the PowerUp! Excel tool of
# Dong & Maynard (2013). Defaults: power .80, alpha .05 two-tailed, P = .50, no covariates.
#   mdes.ira1r1(power=.80, n=250)                          -> MDES 0.356, df 248, SE 0.126
#   mdes.cra2r2(power=.80, rho2=.17, n=15, J=20)           -> MDES 0.629, df 18,  SE 0.212
#   mdes.cra3r3(power=.80, rho3=.06, rho2=.17, n=15, J=3, K=60) -> MDES 0.269, df 58, SE 0.094
# and mrss.*() of each MDES gives back n = 250, J = 20, K = 60.
POWERUPR = [
    ("ira", {"n_individuals": 250}, 0.356, 248, 0.126, ("n_individuals", 250)),
    ("cra2", {"n_clusters": 20, "cluster_size": 15, "icc": 0.17}, 0.629, 18, 0.212,
     ("n_clusters", 20)),
    ("cra3", {"n_clusters": 60, "schools_per_cluster": 3, "cluster_size": 15, "icc": 0.17,
              "icc_top": 0.06}, 0.269, 58, 0.094, ("n_clusters", 60)),
]  # fmt: skip

# PowerUpR vignette "three_level_cluster_randomized_trial" (inst/doc, PowerUpR 1.0):
#   mdes.cra3r3(power=.80, rho2=.06, rho3=.18, g3=1, r21=.55, r22=.50, r23=.45,
#               p=.40, n=10, J=2, K=83)  -> MDES 0.23 [printed to 2 places], df 80, SE 0.081
#   power.cra3r3(es=.23, <same>)         -> power 0.8
VIGNETTE_3L = {
    "n_clusters": 83,
    "schools_per_cluster": 2,
    "cluster_size": 10,
    "icc": 0.06,
    "icc_top": 0.18,
    "r2_individual": 0.55,
    "r2_cluster": 0.50,
    "r2_top": 0.45,
    "treat_share": 0.40,
    "n_covariates": 1,
}


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("name", "design", "value", "df", "se", "size"), POWERUPR)
def test_powerupr_cross_checks_to_3_decimals(name, design, value, df, se, size, method):
    r = mde(**design, method=method)
    assert round(float(r), 3) == value
    assert r.df == df
    assert round(r.standard_error, 3) == se
    # power at the published MDES: 80% to 2 places (PowerUpR prints "80% power")
    assert round(float(power(effect=value, **design, method=method)), 2) == 0.80
    # mrss.*(es = the MDES) gives back the sample size
    key, expected = size
    got = solve(effect=float(r), **{**design, key: None}, method=method)
    assert got.quantity == key
    assert got.value == expected


@pytest.mark.parametrize("method", METHODS)
def test_powerupr_three_level_vignette_with_covariates(method):
    r = mde(**VIGNETTE_3L, method=method)
    assert round(float(r), 3) == 0.230
    assert r.df == 80
    assert round(r.standard_error, 3) == 0.081
    assert round(float(power(effect=0.23, **VIGNETTE_3L, method=method)), 2) == 0.80
    # n_covariates defaults to 1 when the township-level R² is positive
    assert mde(**{**VIGNETTE_3L, "n_covariates": None}).df == 80


# Bloom (1995, Evaluation Review 19(5):547-556), Table 1 and text p.549-552: large-sample
# multipliers (normal quantiles). One-sided 5%: 2.93 (90% power), 2.49 (80%), 2.17 (70%);
# one-sided 10% at 80%: 2.12; two-sided 5% at 80%: 2.80 (Bloom 2005, 2006).
@pytest.mark.parametrize(
    ("alpha", "pw", "two_sided", "expected"),
    [
        (0.05, 0.90, False, 2.93),
        (0.05, 0.80, False, 2.49),
        (0.05, 0.70, False, 2.17),
        (0.10, 0.80, False, 2.12),
        (0.05, 0.80, True, 2.80),
    ],
)
def test_bloom_1995_multipliers(alpha, pw, two_sided, expected):
    assert round(multiplier(None, alpha=alpha, power=pw, two_sided=two_sided), 2) == expected


def test_bloom_1995_allocation_table():
    # Bloom (1995) Table 2 / note 9: a 60/40 split raises the MDE 1.02-fold, 70/30 1.09-fold.
    base = mde(n_individuals=10_000, treat_share=0.5)
    for share, ratio in ((0.6, 1.02), (0.7, 1.09), (0.4, 1.02), (0.3, 1.09)):
        assert round(float(mde(n_individuals=10_000, treat_share=share)) / float(base), 2) == ratio


@pytest.mark.parametrize("alternative", ["two-sided", "larger"])
@pytest.mark.parametrize(("n", "share"), [(60, 0.5), (250, 0.5), (400, 0.25), (41, 0.7)])
def test_individual_design_agrees_with_statsmodels(n, share, alternative):
    two_sided = alternative == "two-sided"
    n1 = n * share
    ratio = (n - n1) / n1
    sm = TTestIndPower()
    expected_power = sm.power(effect_size=0.3, nobs1=n1, alpha=0.05, ratio=ratio,
                              alternative=alternative)  # fmt: skip
    got = power(effect=0.3, n_individuals=n, treat_share=share, two_sided=two_sided)
    assert float(got) == pytest.approx(expected_power, abs=1e-6)
    expected_mde = sm.solve_power(
        effect_size=None, nobs1=n1, alpha=0.05, power=0.8, ratio=ratio, alternative=alternative
    )
    got_mde = mde(n_individuals=n, treat_share=share, two_sided=two_sided)
    assert float(got_mde) == pytest.approx(expected_mde, abs=1e-5)


def test_large_samples_agree_with_normal_power():
    # with 200,000 children the t test is the z test of NormalIndPower
    expected = NormalIndPower().power(effect_size=0.01, nobs1=100_000, alpha=0.05, ratio=1.0)
    assert float(power(effect=0.01, n_individuals=200_000)) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    "design",
    [
        {"cluster_size": 25, "icc": 0.2, "r2_cluster": 0.5, "r2_individual": 0.4},
        {"cluster_size": 40, "icc": 0.1, "treat_share": 0.3},
        {"schools_per_cluster": 3, "cluster_size": 30, "icc": 0.15, "icc_top": 0.05},
    ],
)
def test_solving_for_clusters_then_mde_round_trips(design, method):
    target = 0.25
    solved = solve(effect=target, power=0.8, n_clusters=None, **design, method=method)
    j = solved.value
    assert isinstance(j, int)
    # at the solved number of clusters the MDE is at most the target, one cluster fewer it is not
    assert float(mde(n_clusters=j, **design, method=method)) <= target + 1e-12
    assert float(mde(n_clusters=j - 1, **design, method=method)) > target
    # at the unrounded solution the MDE is the target
    assert float(mde(n_clusters=solved.exact, **design, method=method)) == pytest.approx(target)
    assert float(power(effect=target, n_clusters=solved.exact, **design, method=method)) == (
        pytest.approx(0.8)
    )


def test_solve_for_effect_power_and_cluster_size():
    design = {"n_clusters": 30, "cluster_size": 20, "icc": 0.2}
    assert float(solve(effect=None, **design)) == pytest.approx(float(mde(**design)))
    assert float(solve(effect=0.4, power=None, **design)) == pytest.approx(
        float(power(effect=0.4, **design))
    )
    size = solve(effect=0.5, n_clusters=30, cluster_size=None, icc=0.2)
    assert float(mde(n_clusters=30, cluster_size=size.value, icc=0.2)) <= 0.5
    assert float(mde(n_clusters=30, cluster_size=size.value - 1, icc=0.2)) > 0.5


def test_standard_error_formulas_by_hand():
    # two-level: sqrt(rho(1-R2_2)/(PQJ) + (1-rho)(1-R2_1)/(PQJn)), written out here
    rho, j, n, p = 0.2, 24, 30, 0.5
    by_hand = math.sqrt(rho * 0.5 / (p * p * j) + (1 - rho) * 0.6 / (p * p * j * n))
    se = standard_error(design="cluster2", n_clusters=j, cluster_size=n, icc=rho,
                        r2_cluster=0.5, r2_individual=0.4)  # fmt: skip
    assert se == pytest.approx(by_hand)
    # a three-level design without township variance is a two-level design of K*J schools
    se3 = standard_error(design="cluster3", n_clusters=8, schools_per_cluster=3, cluster_size=n,
                         icc=rho)  # fmt: skip
    assert se3 == pytest.approx(standard_error(design="cluster2", n_clusters=24,
                                               cluster_size=n, icc=rho))  # fmt: skip


def test_result_object():
    r = lbc_eval.mde(n_clusters=20, cluster_size=15, icc=0.17)
    assert isinstance(r, PowerResult)
    assert float(r) == r.value and r.quantity == "mde" and r.design == "cluster2"
    frame = r.to_frame()
    assert frame.loc[0, "value"] == pytest.approx(r.value)
    assert {"n_clusters", "cluster_size", "icc", "df"} <= set(frame.columns)
    assert "mde = 0.6289" in repr(r)
    assert int(lbc_eval.solve(effect=0.3, n_individuals=None)) == 351


def test_power_rises_with_effect_and_one_sided_is_stronger():
    design = {"n_clusters": 40, "cluster_size": 20, "icc": 0.2}
    values = [float(power(effect=e, **design)) for e in np.linspace(0.05, 0.8, 8)]
    assert values == sorted(values)
    assert float(power(effect=0.3, **design, two_sided=False)) > float(power(effect=0.3, **design))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: mde(n_clusters=20, cluster_size=15, icc=1.2), "icc"),
        (lambda: mde(n_clusters=2, cluster_size=15, icc=0.2), "n_clusters"),
        (lambda: mde(n_clusters=20, icc=0.2), "cluster_size"),
        (lambda: mde(n_individuals=100, icc=0.2), "icc"),
        (lambda: mde(n_clusters=20, cluster_size=15, method="exactish"), "method"),
        (lambda: mde(n_clusters=20, cluster_size=15, treat_share=1.0), "treat_share"),
        (lambda: mde(design="cluster4", n_clusters=20, cluster_size=15), "design"),
        (lambda: solve(effect=None, power=None, n_clusters=20, cluster_size=15), "solve"),
        (lambda: solve(effect=0.2, n_clusters=20, cluster_size=None, icc=0.2), "cluster_size"),
    ],
)
def test_errors_name_the_argument(call, field):
    with pytest.raises(SpecError) as info:
        call()
    assert info.value.field == field


def test_unreachable_cluster_size_says_why():
    with pytest.raises(SpecError, match="add units at another level"):
        solve(effect=0.2, n_clusters=20, cluster_size=None, icc=0.2)
