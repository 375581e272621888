"""The estimators' figures: what they draw, not their pixels."""

from __future__ import annotations

import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from lbc_eval import fit_dose_response, plot_dose_response, plot_event_study  # noqa: E402
from lbc_eval.questions.enrolment import fit_policy  # noqa: E402
from lbc_eval.report.plots import dense_limit  # noqa: E402
from tests.conftest import cohort_for  # noqa: E402


@pytest.fixture(scope="module")
def dose():
    c = cohort_for("small", 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return c, fit_dose_response(c, outcome="sdq_total")


def test_curve_band_bins_and_truth_are_drawn(dose):
    c, r = dose
    fig, ax = plt.subplots()
    out = plot_dose_response(r, truth=c.truth, lang="en", ax=ax)
    assert out is ax
    lines = {line.get_gid(): line for line in ax.get_lines()}
    est, truth = lines["estimate"], lines["truth"]
    curve = r.tables["curve"]
    limit = dense_limit(r)
    assert list(est.get_xdata()) == list(curve["dose"][curve["dose"] <= limit])
    grid = np.asarray(c.truth["dose_response"]["sdq_total"]["grid"], float)
    true = np.asarray(c.truth["dose_response"]["sdq_total"]["curve"], float)
    assert list(truth.get_ydata()) == list(true[grid <= limit])
    assert len(ax.collections) >= 2  # the band and the bins' error bars
    labels = ax.get_legend_handles_labels()[1]
    assert "True value (synthetic data)" in labels and "95% band" in labels
    assert "bins (95% interval)" in labels
    assert ax.get_xlabel() == "Mentoring contacts per term"
    plt.close(fig)


def test_one_finding_titled_with_its_unit_and_the_dense_range(dose):
    """The issue's figure: the y-axis said "SDQ total" for a change from zero contacts, the
    right panel had no title and the spline ran to 26 contacts with no caveat."""
    _, r = dose
    ax = plot_dose_response(r, lang="en")
    assert ax.get_title(loc="left") == "Mentoring contacts and next-term SDQ total difficulties"
    ylabel = " ".join(ax.get_ylabel().split())
    assert ylabel == "Change in next-term SDQ total difficulties vs. zero contacts (points)"
    # the curve stops at the 95th percentile of the doses: the natural spline's last knot
    knots = r.tables["basis"]["knot"]
    assert dense_limit(r) == knots.max() < r.tables["curve"]["dose"].max()
    est = next(line for line in ax.get_lines() if line.get_gid() == "estimate")
    assert max(est.get_xdata()) == dense_limit(r)
    notes = [t.get_text() for t in ax.texts]
    assert any("95th percentile" in t and f"{dense_limit(r):g} contacts" in t for t in notes)
    plt.close(ax.figure)
    whole = plot_dose_response(r, upto=None, lang="zh")
    est = next(line for line in whole.get_lines() if line.get_gid() == "estimate")
    assert max(est.get_xdata()) == r.tables["curve"]["dose"].max()
    assert "与零次帮扶相比" in whole.get_ylabel() and "（分）" in whole.get_ylabel()
    assert not whole.texts  # no caveat when the whole curve is asked for
    plt.close(whole.figure)


def test_figures_are_drawn_at_print_resolution(dose):
    _, r = dose
    ax = plot_dose_response(r, lang="en")
    assert ax.figure.dpi >= 200
    plt.close(ax.figure)
    fig, own = plt.subplots(dpi=72)  # a notebook's figure made before the kit's style
    plot_dose_response(r, lang="en", ax=own)
    assert fig.dpi >= 200
    plt.close(fig)


def test_event_study_titled_in_percentage_points():
    c = cohort_for("small", 12)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dyn = fit_policy(c, outcome="moved").aggregate("dynamic")
    ax = plot_event_study(dyn, truth=c.truth, lang="en")
    title = "Policy effect on the share who have moved to live with parents"
    assert ax.get_title(loc="left") == title
    assert "percentage points" in ax.get_ylabel()
    t = dyn.tidy().dropna(subset=["event_time"])
    drawn = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()
                            if line.get_gid() == "truth"])  # fmt: skip
    assert np.allclose(drawn, np.asarray(dyn.truth_lookup(c.truth, t), float) * 100)
    points = np.concatenate([np.asarray(line.get_ydata(), float) for line in ax.get_lines()
                             if line.get_marker() == "o"])  # the estimates  # fmt: skip
    assert np.allclose(np.sort(points), np.sort(t["estimate"].to_numpy(float) * 100))
    assert any("95% confidence intervals" in text.get_text() for text in ax.texts)
    plt.close(ax.figure)
    zh = plot_event_study(dyn, lang="zh")
    assert zh.get_title(loc="left") and "百分点" in zh.get_ylabel()
    plt.close(zh.figure)


def test_new_axes_without_truth_in_chinese(dose):
    _, r = dose
    ax = plot_dose_response(r, bins=False, lang="zh")
    assert [line.get_gid() for line in ax.get_lines()].count("truth") == 0
    assert ax.get_xlabel() == "每学期帮扶次数"
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("lang", "x", "y", "target"),
    [
        ("zh", "学期", "已结对的留守儿童比例", "目标"),
        ("en", "Term", "share of left-behind children paired", "target"),
    ],
)
def test_coverage_is_labelled_in_the_notebooks_language(lang, x, y, target):
    from lbc_eval.publish import audit
    from lbc_eval.report.plots import plot_coverage

    panel = cohort_for("small", 11).panel
    ax = plot_coverage(audit.coverage(panel, by="term"), target=0.9, lang=lang)
    assert (ax.get_xlabel(), ax.get_ylabel()) == (x, y)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [target]
    plt.close(ax.figure)


def test_importing_the_package_does_not_import_pyplot():
    import subprocess

    code = (
        "import lbc_eval, sys; lbc_eval.plot_dose_response; "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
