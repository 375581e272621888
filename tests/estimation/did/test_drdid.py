"""The 2x2 DiD estimators of Sant'Anna & Zhao (2020) against DRDID (R 1.2.3) via its Python ports.

The reference values in tests/reference/drdid/ come from ``drdid`` 1.1.7 and ``moderndid`` 0.2.0
(``generate.py`` there says how and which package gives which estimator); this file reads only
the CSV files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.did import drdid
from lbc_eval.estimation.did.drdid import att_panel, att_rc, drdid_se

REF = Path(__file__).parents[2] / "reference" / "drdid"
TOL = 1e-8


def _table(name: str) -> dict[str, np.ndarray]:
    data = np.genfromtxt(REF / name, delimiter=",", names=True)
    return {k: np.asarray(data[k], float) for k in data.dtype.names}


PANEL, RC = _table("panel.csv"), _table("rc.csv")
INF = {"panel": _table("panel_inf.csv"), "rc": _table("rc_inf.csv")}
with open(REF / "results.csv", newline="") as f:
    RESULTS = list(csv.DictReader(f))


def _design(data: dict[str, np.ndarray], covariates: bool) -> np.ndarray | None:
    n = data["d"].size
    return np.column_stack([np.ones(n), data["x1"], data["x2"]]) if covariates else None


def _estimate(design: str, method: str, x, w) -> tuple[float, np.ndarray]:
    if design == "panel":
        return att_panel(PANEL["y1"] - PANEL["y0"], PANEL["d"], x, w, method)
    return att_rc(RC["y"], RC["post"], RC["d"], x, w, method)


def _case_id(row: dict[str, str]) -> str:
    return f"{row['design']}-{row['method']}-w{row['weighted']}-x{row['covariates']}"


def test_reference_has_every_case():
    assert len(RESULTS) == 24
    assert {_case_id(r) for r in RESULTS} == {
        f"{d}-{m}-w{w}-x{x}"
        for d in ("panel", "rc")
        for m in ("reg", "ipw", "dr")
        for w in "01"
        for x in "01"
    }


@pytest.mark.parametrize("row", RESULTS, ids=_case_id)
def test_matches_drdid(row):
    design, method = row["design"], row["method"]
    data = PANEL if design == "panel" else RC
    x = _design(data, row["covariates"] == "1")
    w = data["w"] if row["weighted"] == "1" else None
    att, inf = _estimate(design, method, x, w)
    ref_inf = INF[design][f"{method}_w{row['weighted']}_x{row['covariates']}"]
    assert att == pytest.approx(float(row["att"]), rel=TOL)
    assert drdid_se(inf) == pytest.approx(float(row["se"]), rel=TOL)
    np.testing.assert_allclose(inf, ref_inf, rtol=TOL, atol=TOL * np.max(np.abs(ref_inf)))


@pytest.mark.parametrize("design", ["panel", "rc"])
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_equal_weights_are_no_weights(design, method):
    data = PANEL if design == "panel" else RC
    x = _design(data, True)
    att0, inf0 = _estimate(design, method, x, None)
    att3, inf3 = _estimate(design, method, x, np.full(data["d"].size, 3.0))
    assert att3 == pytest.approx(att0, rel=1e-12)
    np.testing.assert_allclose(inf3, inf0, rtol=1e-12, atol=1e-12)


def test_intercept_only_is_the_difference_of_weighted_means():
    dy, d, w = PANEL["y1"] - PANEL["y0"], PANEL["d"], PANEL["w"]
    expected = np.average(dy[d == 1], weights=w[d == 1]) - np.average(dy[d == 0], weights=w[d == 0])
    for method in ("reg", "ipw", "dr"):
        att, inf = att_panel(dy, d, None, w, method)
        assert att == pytest.approx(expected, rel=1e-12)
        assert np.mean(inf) == pytest.approx(0.0, abs=1e-12)


def test_trimming_changes_the_reference_cases(monkeypatch):
    """The reference data have comparison units with p >= 0.995, so dropping DRDID's trimming
    moves ipw and dr away from the reference (the reference tests can fail)."""
    row = next(r for r in RESULTS if _case_id(r) == "panel-ipw-w1-x1")
    monkeypatch.setattr(drdid, "TRIM_LEVEL", 1.0)
    att, _ = _estimate("panel", "ipw", _design(PANEL, True), PANEL["w"])
    assert abs(att - float(row["att"])) > 1e-3


@pytest.mark.parametrize("design", ["panel", "rc"])
@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_collinear_covariates_raise(design, method):
    data = PANEL if design == "panel" else RC
    n = data["d"].size
    x = np.column_stack([np.ones(n), data["x1"], 2 * data["x1"] - 1])
    with pytest.raises(EstimationError, match="singular"):
        _estimate(design, method, x, data["w"])


@pytest.mark.parametrize("design", ["panel", "rc"])
@pytest.mark.parametrize("method", ["reg", "dr"])
def test_covariate_constant_among_comparison_units_raises(design, method):
    """Singular only in the comparison units' regression: DRDID stops ("The regression design
    matrix is singular"), and so does the module (ipw needs no such regression)."""
    data = PANEL if design == "panel" else RC
    n = data["d"].size
    x = np.column_stack([np.ones(n), data["x1"], data["d"] * data["x2"]])
    with pytest.raises(EstimationError, match="regression design matrix .* singular"):
        _estimate(design, method, x, data["w"])


def test_bad_arguments_raise():
    dy, d = PANEL["y1"] - PANEL["y0"], PANEL["d"]
    with pytest.raises(EstimationError, match="method"):
        att_panel(dy, d, None, None, "ols")
    with pytest.raises(EstimationError, match="non-negative"):
        att_panel(dy, d, None, -PANEL["w"], "reg")
    with pytest.raises(EstimationError, match="post"):
        att_rc(RC["y"], RC["post"] + 1, RC["d"], None, None, "dr")
    with pytest.raises(EstimationError, match="no treated"):
        att_panel(dy, np.zeros_like(d), None, None, "reg")
