"""The dose-response figure: what it draws, not its pixels."""

from __future__ import annotations

import sys
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from lbc_eval import fit_dose_response, plot_dose_response  # noqa: E402
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
    assert list(est.get_xdata()) == list(curve["dose"])
    assert list(truth.get_ydata()) == c.truth["dose_response"]["sdq_total"]["curve"]
    assert len(ax.collections) >= 2  # the band and the bins' error bars
    labels = ax.get_legend_handles_labels()[1]
    assert "True value (synthetic data)" in labels and "95% band" in labels and "bins" in labels
    assert ax.get_xlabel() == "Mentoring contacts per term"
    plt.close(fig)


def test_new_axes_without_truth_in_chinese(dose):
    _, r = dose
    ax = plot_dose_response(r, bins=False, lang="zh")
    assert [line.get_gid() for line in ax.get_lines()].count("truth") == 0
    assert ax.get_xlabel() == "每学期帮扶次数"
    plt.close(ax.figure)


def test_importing_the_package_does_not_import_pyplot():
    import subprocess

    code = (
        "import lbc_eval, sys; lbc_eval.plot_dose_response; "
        "print('matplotlib.pyplot' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
