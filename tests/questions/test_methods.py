"""The methods study judges each estimate against the truth its interval is meant to cover."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval.questions import methods


def _study(errors, *, truth=0.0, estimator="Q1 within AME", se=1.0):
    e = np.asarray(errors, float)
    return pd.DataFrame({
        "scenario": "s", "seed": range(e.size), "estimator": estimator, "term": "ame",
        "estimate": truth + e, "std_error": se, "conf_low": truth + e - 1.96 * se,
        "conf_high": truth + e + 1.96 * se, "truth": truth, "error": e,
        "covered": pd.array(np.abs(e) <= 1.96 * se, dtype="boolean"), "diagnostics_failed": 0,
    })  # fmt: skip


def test_summary_statistics_follow_their_formulas():
    rng = np.random.default_rng(3)
    errors = rng.normal(0.1, 1.0, 400)
    row = methods.summarise(_study(errors)).iloc[0]
    assert row["bias"] == pytest.approx(errors.mean())
    assert row["bias_mc_se"] == pytest.approx(errors.std(ddof=1) / 20)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean(errors**2)))
    assert row["coverage"] == pytest.approx(np.mean(np.abs(errors) <= 1.96))
    assert row["coverage_mc_se"] == pytest.approx(np.sqrt(0.95 * 0.05 / 400))
    assert row["rejects_null"] == pytest.approx(1 - row["coverage"])


def test_verdicts_are_computed_from_the_row():
    good = methods.summarise(_study(np.random.default_rng(1).normal(0, 1, 400)))
    (line,) = methods.verdicts(good)
    assert "not distinguishable from zero" in line and "consistent with 0.95" in line
    narrow = methods.summarise(_study(np.random.default_rng(1).normal(0.5, 2.0, 400)))
    (line,) = methods.verdicts(narrow)
    assert "distinguishable from zero" in line and "too narrow" in line
    (line,) = methods.verdicts(methods.summarise(_study([0.1, 0.2])))
    assert "too few to judge" in line


def test_q3_against_a_sample_truth_is_not_judged_for_coverage():
    """Coverage of a sample ATT by an interval for the population ATT says nothing."""
    study = methods.coverage_study([7], scenarios=["default"], questions=["Q3"])
    cs = study[study["estimator"].str.startswith("Q3 CS") & (study["truth"] != 0)]
    assert len(cs) and cs["covered"].isna().all()
    null = methods.coverage_study([7], scenarios=["no policy effect"], questions=["Q3"])
    judged = null[null["estimator"].str.startswith("Q3 CS")]
    assert (judged["truth"] == 0).all() and judged["covered"].notna().all()
