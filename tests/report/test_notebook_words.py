"""Every sentence an estimator writes reads in the notebook's language (report.notebook.said).

The estimators write their notes, warnings, inference descriptions and design-check messages
in English; the notebooks show them through the catalogue (lbc_eval.data.messages_notes). The
fits below are the notebooks' own (questions Q1-Q3 on the shipped cohort, fewer bootstrap
draws), so a sentence an estimator starts to write differently fails here, not in a committed
notebook.
"""

from __future__ import annotations

import warnings

import pytest

from lbc_eval.data import messages
from lbc_eval.data.cohort import example_cohort
from lbc_eval.questions.enrolment import fit_policy, fit_policy_twfe
from lbc_eval.questions.mentoring import fit_dose_response
from lbc_eval.questions.training import fit_training
from lbc_eval.report import notebook


@pytest.fixture(scope="module")
def results():
    cohort = example_cohort()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        policy = fit_policy(cohort, outcome="moved", reps=99, seed=0)
        return [
            fit_dose_response(cohort, outcome="sdq_total", reps=99, seed=0),
            fit_dose_response(cohort, outcome="sdq_total", method="supply_iv", reps=99, seed=0),
            fit_training(cohort, outcome="math", reps=99, seed=0),
            policy,
            *(policy.aggregate(k) for k in ("simple", "dynamic", "group", "calendar")),
            fit_policy_twfe(cohort, outcome="moved"),
            fit_policy(cohort, outcome="math", reps=99, seed=0).aggregate("dynamic"),
        ]


def _sentences(result):
    found = [str(result.cov_type), *result.notes, *result.warnings]
    if result.diagnostics is not None and len(result.diagnostics):
        found += [str(m) for m in result.diagnostics["message"]]
    return found


def test_every_sentence_of_the_notebooks_fits_has_its_chinese(results):
    sentences = [s for r in results for s in _sentences(r)]
    assert len(sentences) > 50
    assert messages.untranslated(sentences) == []


def test_show_and_the_design_checks_print_no_english_sentence_in_chinese(results, capsys,
                                                                         monkeypatch):  # fmt: skip
    monkeypatch.setattr("IPython.display.display", lambda data, raw: None)
    for r in results:
        notebook.show(r, lang="zh")
        notebook.print_diagnostics(r, lang="zh")
    lines = [ln for ln in capsys.readouterr().out.splitlines() if ln.strip()]
    notes = [ln.removeprefix("注：") for ln in lines if ln.startswith("注：")]
    assert len(notes) > 30 and all(map(messages.has_cjk, notes))
    checks = [ln.split("。", 1)[1] for ln in lines if ln.startswith("- ")]
    assert len(checks) >= 5 and all(map(messages.has_cjk, checks))
    assert (
        "（5,888 个观测，12 个聚类；按学校聚类的野聚类自助法（WCR，Rademacher 权重，99 次抽样）；"
        in ("\n".join(lines))
    )
    for r in results[:1]:
        notebook.show(r, lang="en")
        notebook.print_diagnostics(r, lang="en")
    english = capsys.readouterr().out
    assert "wild cluster bootstrap (WCR, Rademacher, 99 draws) by school_id" in english
    assert "next term's contacts do not predict" in english and "注" not in english


def test_said_in_each_language():
    note = "curve band: pointwise CRV1 intervals"
    assert notebook.said(note, "zh") == "曲线置信带：逐点 CRV1 区间"
    assert notebook.said(note, "en") == note
    assert notebook.said(note, "both") == f"曲线置信带：逐点 CRV1 区间 / {note}"
    assert notebook.said("a note", "both") == "a note"
