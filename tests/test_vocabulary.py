"""Every estimator and question function speaks the one vocabulary of the README's table.

The first argument is ``data``; everything after it is keyword-only; the names of the table mean
the same everywhere, and the old second names are gone.
"""

from __future__ import annotations

import inspect

import pytest

import lbc_eval
from lbc_eval.publish import audit
from lbc_eval.questions import overview, workplan

#: The README's table ("The argument vocabulary").
VOCABULARY = {"data", "outcome", "treatment", "unit", "time", "group", "cluster", "controls",
              "weights", "reps", "boot_weights", "seed", "alpha", "inference"}  # fmt: skip
#: Second names for the same things, or one name for two things: none may appear. (``panel``
#: is no longer a name for the data: it is only fit_did's flag, R did's ``panel=FALSE``.)
RETIRED = {"schools", "cohort", "covariates", "bootstrap", "school", "exposure", "dose",
           "n_boot", "B", "biters", "xformla", "gname", "tname", "idname"}  # fmt: skip

FUNCTIONS = [
    lbc_eval.fit_fe,
    lbc_eval.fit_did,
    lbc_eval.fit_twfe_event_study,
    lbc_eval.fit_dose_response,
    lbc_eval.fit_training,
    lbc_eval.fit_policy,
    lbc_eval.fit_policy_twfe,
    lbc_eval.icc_from_cohort,
    workplan.evidence,
    overview.lb_profile,
    overview.data_quality,
    overview.exits,
    audit.coverage,
    audit.contacts,
    audit.access,
    audit.scholarships,
    audit.scholarship_shortfalls,
]


@pytest.mark.parametrize("fn", FUNCTIONS, ids=lambda f: f.__name__)
def test_first_argument_is_data_and_the_rest_keyword_only(fn):
    params = list(inspect.signature(fn).parameters.values())
    assert params[0].name == "data"
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    rest = [p for p in params[1:] if p.kind is not inspect.Parameter.VAR_KEYWORD]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in rest), fn.__name__


@pytest.mark.parametrize("fn", [*FUNCTIONS, lbc_eval.wild_bootstrap, lbc_eval.adjust_pvalues],
                         ids=lambda f: f.__name__)  # fmt: skip
def test_no_retired_names(fn):
    names = set(inspect.signature(fn).parameters)
    assert not names & RETIRED, f"{fn.__name__} still takes {sorted(names & RETIRED)}"


def test_bootstrap_options_have_one_name():
    for fn in (lbc_eval.fit_fe, lbc_eval.fit_dose_response, lbc_eval.fit_training,
               lbc_eval.fit_did, lbc_eval.fit_policy, lbc_eval.wild_bootstrap,
               lbc_eval.adjust_pvalues):  # fmt: skip
        names = set(inspect.signature(fn).parameters)
        assert {"reps", "boot_weights"} <= names, fn.__name__
    # `weights` is regression weights: only the regression estimators take it
    assert "weights" in inspect.signature(lbc_eval.fit_fe).parameters
    for fn in (lbc_eval.wild_bootstrap, lbc_eval.adjust_pvalues):
        assert "weights" not in inspect.signature(fn).parameters


def test_vocabulary_names_are_in_the_readme():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("## The argument vocabulary"):]
    for name in VOCABULARY:
        assert f"`{name}`" in table, name
