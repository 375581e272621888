"""ICCs and R² from a cohort, MDE curves and their plot."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lbc_eval.errors import UnknownColumnError  # noqa: E402
from lbc_eval.pilot.icc import icc_from_cohort, mde_curve  # noqa: E402
from lbc_eval.pilot.power import mde  # noqa: E402
from lbc_eval.report.plots import plot_mde  # noqa: E402


def _anova_icc(y: np.ndarray, groups: np.ndarray) -> float:
    """One-way random-effects ANOVA estimator of the ICC (unbalanced groups)."""
    labels, g = np.unique(groups, return_inverse=True)
    n_j = np.bincount(g)
    means = np.bincount(g, weights=y) / n_j
    grand = y.mean()
    N, J = len(y), len(labels)
    msb = np.sum(n_j * (means - grand) ** 2) / (J - 1)
    msw = np.sum((y - means[g]) ** 2) / (N - J)
    n0 = (N - np.sum(n_j**2) / N) / (J - 1)
    between = max((msb - msw) / n0, 0.0)
    return between / (between + msw)


def test_two_level_icc_agrees_with_anova(small):
    split = icc_from_cohort(small, outcome="math", township=None, controls=())
    p = small.panel
    last = p[(p["term"] == split.term) & p["math"].notna()]
    expected = _anova_icc(last["math"].to_numpy(float), last["school_id"].to_numpy())
    assert split.icc == pytest.approx(expected, abs=0.02)
    assert split.nobs == len(last)
    assert split.n_schools == last["school_id"].nunique()
    sizes = last.groupby("school_id").size()
    assert split.cluster_size == pytest.approx(len(sizes) / np.sum(1 / sizes))
    # the synthetic county's school ICC of scores is 0.20 (plus class effects): roughly there
    assert 0.1 < split.icc < 0.4


def test_large_cohorts_are_fitted_on_a_sample_of_whole_schools(small, monkeypatch):
    """Above MAX_CHILDREN children (a province), both models on one seeded random sample of
    schools: fewer children and schools, said in the notes; the ICC is REML's on exactly the
    sampled children (statsmodels on them directly)."""
    import statsmodels.formula.api as smf

    from lbc_eval.estimation import multilevel

    monkeypatch.setattr(multilevel, "MAX_CHILDREN", 1800)
    split = icc_from_cohort(small, outcome="math", township=None, controls=())
    p = small.panel
    last = p[(p["term"] == split.term) & p["math"].notna()]
    assert 1800 <= split.nobs < len(last) and split.n_schools < last["school_id"].nunique()
    assert any("random sample of" in n and "of 12 schools" in n for n in split.notes)
    kept, _ = multilevel.sample_clusters(last, "school_id")
    assert split.nobs == len(kept)
    ref = smf.mixedlm("math ~ 1", kept, groups=kept["school_id"]).fit(reml=True)
    between = float(ref.cov_re.iloc[0, 0])
    assert split.icc == pytest.approx(between / (between + ref.scale), rel=1e-4)


def test_three_level_split_and_pretest_r2(small):
    split = icc_from_cohort(small, outcome="math")
    table = split.to_frame()
    assert table["level"].tolist() == ["child", "school", "township"]
    assert table["share"].sum() == pytest.approx(1.0)
    # the components add up to about the outcome's variance in that term
    y = small.panel.loc[small.panel["term"] == split.term, "math"].dropna()
    assert table["variance"].sum() == pytest.approx(y.var(), rel=0.25)
    assert 0.1 < split.r2_individual < 0.9  # last term's score predicts this term's
    assert 0 <= split.r2_cluster < 1 and 0 <= split.r2_top < 1
    assert any("townships" in n for n in split.notes)  # 4 townships: flagged as imprecise
    kwargs = split.design("cluster3")
    assert set(kwargs) == {"icc", "icc_top", "r2_individual", "r2_cluster", "r2_top"}
    two = split.design("cluster2")
    assert two["icc"] == pytest.approx(split.icc + split.icc_top)
    assert float(mde(n_clusters=40, cluster_size=30, **two)) > 0


def test_unknown_column_is_named(small):
    with pytest.raises(UnknownColumnError, match="no_such"):
        icc_from_cohort(small, outcome="no_such")


def test_mde_curve_and_plot():
    frame = mde_curve(vary="n_clusters", values=[10, 20, 40, 80], cluster_size=30, icc=0.2)
    assert frame.columns[:2].tolist() == ["n_clusters", "mde"]
    assert frame["mde"].is_monotonic_decreasing
    assert (frame["icc"] == 0.2).all()
    fig, ax = plt.subplots()
    out = plot_mde(frame, effects={"tutoring (REAP)": 0.13, "counselling": 0.2}, ax=ax)
    assert out is ax
    assert len(ax.lines) == 3  # the curve and two effect lines
    assert ax.get_ylabel() == "MDE (SD)"
    assert [t.get_text() for t in ax.texts] == ["tutoring (REAP)", "counselling"]
    plt.close(fig)
