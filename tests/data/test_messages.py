"""The catalogue of messages (lbc_eval.data.messages): both languages, the same fields, Chinese
that is Chinese, and the estimators' English sentences read back into Chinese."""

from __future__ import annotations

import re
import string
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lbc_eval import SynthSpec, pilot
from lbc_eval.cli import main
from lbc_eval.cli.lang import error_text
from lbc_eval.data import messages, messages_notes
from lbc_eval.data.cohort import example_cohort
from lbc_eval.data.messages import Bi, has_cjk, join, msg, text, translate
from lbc_eval.errors import EstimationError, SpecError
from lbc_eval.ingest import problems

CODES = sorted(messages.catalogue())
#: Fields the Chinese leaves out on purpose: the English names a column by its code too.
LEFT_OUT = {"ingest.column_looked_for": {"name"}}
NOTES = sorted(messages_notes.NOTES)


@pytest.mark.parametrize("code", CODES)
def test_every_message_has_chinese_and_english_with_the_same_fields(code):
    zh, en = messages.catalogue()[code]
    assert zh.strip() and en.strip()
    assert has_cjk(zh), f"{code}: the Chinese is not Chinese: {zh!r}"
    fields = messages.fields_of(code)
    assert fields["zh"] == fields["en"] - LEFT_OUT.get(code, set()), code
    if not code.startswith("cli."):  # an English sentence of the kit is English
        assert re.search(r"[A-Za-z]{2}", en), code


def test_chinese_uses_full_width_punctuation():
    # a Chinese sentence has no ASCII comma, semicolon or colon between Chinese characters
    half = re.compile(r"[\u4e00-\u9fff][,;:]|[,;:] ?[\u4e00-\u9fff]")
    bad = {c: zh for c, (zh, _) in messages.catalogue().items() if half.search(zh)}
    assert not bad


def test_chinese_quotes_are_chinese():
    # “…” around words; an ASCII " only inside code (the ="…" a spreadsheet wraps IDs in)
    bad = {
        c: zh
        for c, (zh, _) in messages.catalogue().items()
        if '"' in zh.replace('="…"', "") or "边际效果" in zh
    }
    assert not bad


def test_every_reason_and_fix_of_ingest_is_explained_in_both_languages():
    catalogue = messages.catalogue()
    assert {c for c in catalogue if c.startswith("reason.")} == {
        f"reason.{r}" for r in problems.REASONS
    }
    assert {c for c in catalogue if c.startswith("fix.")} == {f"fix.{f}" for f in problems.FIXES}


def test_a_text_is_written_in_the_language_asked():
    t = msg("ingest.duplicate_file", file="a.xlsx")
    assert t.render("zh") == str(t) == "与 a.xlsx 内容完全相同，不再重复读取"
    assert t.render("en") == "the same bytes as a.xlsx; not read again"
    both = join([Bi("甲", "a"), msg("ingest.set_missing")])
    assert both.render("zh") == "甲；已置为缺失" and both.render("en") == "a; set missing"
    with pytest.raises(SpecError, match="lang"):
        t.render("fr")
    with pytest.raises(KeyError, match="no message"):
        msg("ingest.no_such_message")


def test_label_fields_show_codebook_labels():
    assert text("note.levels_lost", "zh", levels=3, fe="student_id") == (
        "有 3 个儿童没有可用的行（全部缺失或均为单例）"
    )
    assert text("note.crv1", "zh", names="school_id and term", df=11) == (
        "按学校和学期聚类的 CRV1 标准误；p 值和置信区间基于 t(11) 分布"
    )
    assert text("note.rows_missing", "zh", rows=4, total=9, by="sdq_total[t+1] 3, math 1") == (
        "9 行中有 4 行因缺失值未纳入（SDQ困难总分[t+1] 3、数学成绩 1）"
    )


# --- the estimators' sentences ------------------------------------------------------------------


def _fields(template):
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


@pytest.mark.parametrize("code", NOTES)
def test_a_note_reads_back_into_its_chinese(code):
    """Each English template, filled with tokens, is read back into its own code and fields,
    and its Chinese is the template's Chinese with the same tokens."""
    zh, en = messages_notes.NOTES[code]
    assert all(spec == "" for _, f, spec, _ in string.Formatter().parse(en) if f), code
    specs = {spec for _, f, spec, _ in string.Formatter().parse(zh) if f}
    assert specs <= {"", "label", "labels", "unit", "units"}, code
    tokens = {f: f"Q{i}Q" for i, f in enumerate(dict.fromkeys(_fields(en)))}
    sentence = en.format(**tokens)
    assert messages.parse(sentence) == (f"note.{code}", tokens)
    assert translate(sentence, "zh") == text(f"note.{code}", "zh", **tokens)
    assert translate(sentence, "en") == sentence


def test_fields_that_are_sentences_are_translated_too():
    cov = "wild cluster bootstrap (WCR, Rademacher, 999 draws) by school_id; std_error CRV1"
    note = f"inference clustered by destination_id (10 clusters): {cov}"
    assert translate(note, "zh") == (
        "按务工地聚类推断（10 个聚类）：按学校聚类的野聚类自助法"
        "（WCR，Rademacher 权重，999 次抽样）；标准误为 CRV1"
    )
    assert translate("something the kit never says", "zh") == "something the kit never says"
    assert messages.untranslated(["curve band: pointwise CRV1 intervals", "no idea"]) == ["no idea"]


# --- the pilot's errors (lbc_eval.pilot), written in the command's language ---------------------

#: Values of the pilot's fields, as the pilot's functions write them.
PILOT_VALUES = {
    "value": "-1",
    "allowed": "math, chinese, sdq_total, attendance",
    "values": "bogus",
    "arms": "['a', 'a']",
    "seed": "-1",
    "threshold": "0.05",
    "count": "2",
    "columns": "bogus",
    "has": "school_id, township, level",
    "column": "sdq_total",
    "design": "cluster2",
    "sizes": "n_clusters, cluster_size",
    "name": "cluster_size",
    "df": "-1",
    "missing": "n_clusters, cluster_size",
    "max_size": "1e+07",
    "unknown": "n_clusters",
    "mde": "0.586",
    "effect": "0.01",
    "have": "6",
    "reps": "200",
    "tried": "200,298",
    "follow": "2024-1",
    "baseline": "2024-2",
    "term": "'2099-1'",
    "terms": "2021-1, 2021-2, 2024-2",
    "outcome": "sdq_total",
    "controls": "pretest",
    "merged": "T03 + T04",
    "distinct": "2",
    "floor": "0.500",
    "alpha": "0.05",
    "schools": "12",
    "bound": "0.050",
    "size": "40",
    "icc": "0.120",
    "power": "80%",
    "overall": "12.0%",
    "max_overall": "20.0%",
    "diff": "-3.0%",
    "max_diff": "5.0%",
}
PILOT = [c for c in NOTES if c.startswith("pilot_")]


@pytest.mark.parametrize("code", PILOT)
def test_a_pilot_sentence_reads_back_into_its_chinese(code):
    zh, en = messages_notes.NOTES[code]
    values = {f: PILOT_VALUES.get(f, "7") for f in _fields(en)}
    sentence = en.format(**values)
    assert messages.parse(sentence) == (f"note.{code}", values)
    chinese = translate(sentence, "zh")
    assert chinese == text(f"note.{code}", "zh", **values) and has_cjk(chinese)
    assert translate(sentence, "en") == sentence


@pytest.fixture(scope="module")
def county():
    """The shipped cohort, its school table, ICCs, an assignment and its plan."""
    cohort = example_cohort()
    table = pilot.school_table(cohort, outcomes=("sdq_total",))
    split = pilot.icc_from_cohort(cohort, outcome="sdq_total")
    a = pilot.assign(table, seed=1, icc=split)
    spec = pilot.plan(a, outcome="sdq_total", effect_of_interest=0.3, ri_reps=199, reps=199)
    return SimpleNamespace(cohort=cohort, panel=cohort.panel, table=table, split=split, a=a,
                           spec=spec)  # fmt: skip


def _unset_term(table):
    out = table.copy()
    out.attrs = {}
    return out


def _acceptable_draws(_):
    from lbc_eval.pilot.randomise import Design, draws

    design = Design(schools=("a", "b", "c", "d"), strata=("s",) * 4, treat_share=0.5,
                    covariates=("x",), X=np.array([[1.0], [2.0], [4.0], [8.0]]),
                    threshold=1e-9, max_draws=10)  # fmt: skip
    draws(design, np.random.default_rng(1), 1)


_SIZES = {"n_clusters": 10, "cluster_size": 20}
_PLAN = {"outcome": "sdq_total", "effect_of_interest": 0.3}
#: Each English-only error of the pilot's functions, raised by a bad call: its code.
PILOT_ERRORS = [
    ("pilot_not_one_of", lambda c: pilot.mde(design="cluster9", **_SIZES)),
    ("pilot_not_one_of", lambda c: pilot.mde(method="exact", **_SIZES)),
    ("pilot_not_one_of", lambda c: pilot.solve(design="cluster9", effect=0.2, **_SIZES)),
    ("pilot_not_one_of", lambda c: pilot.plan(c.a, **{**_PLAN, "outcome": "iq"})),
    ("pilot_not_among", lambda c: pilot.plan(c.a, secondary=["iq"], **_PLAN)),
    ("pilot_need_school_table", lambda c: pilot.assign(c.table.drop(columns="school_id"), seed=1)),
    ("pilot_arms", lambda c: pilot.assign(c.table, seed=1, arms=("a", "a"))),
    ("pilot_seed", lambda c: pilot.assign(c.table, seed=-1)),
    ("pilot_threshold", lambda c: pilot.assign(c.table, seed=1, rerandomize=-1)),
    ("pilot_duplicate_schools", lambda c: pilot.assign(pd.concat([c.table, c.table[:1]]), seed=1)),
    ("pilot_balance_unknown", lambda c: pilot.assign(c.table, seed=1, balance_on=["iq"])),
    (
        "pilot_balance_empty",
        lambda c: pilot.assign(c.table.assign(iq=np.nan), seed=1, balance_on=["iq"]),
    ),
    ("pilot_open_unit", lambda c: pilot.mde(alpha=1.5, **_SIZES)),
    ("pilot_below_one", lambda c: pilot.mde(icc=1.2, **_SIZES)),
    (
        "pilot_up_to_one",
        lambda c: pilot.pilot_plan(c.split, effect=0.3, county_schools=12, share_reached=0),
    ),
    ("pilot_share", lambda c: pilot.plan(c.a, max_attrition=1.5, **_PLAN)),
    ("pilot_positive", lambda c: pilot.mde(n_clusters=-10, cluster_size=20)),
    ("pilot_not_negative", lambda c: pilot.mde(n_covariates=-1, **_SIZES)),
    ("pilot_icc_sum", lambda c: pilot.mde(icc=0.6, icc_top=0.5, **_SIZES)),
    ("pilot_size_not_used", lambda c: pilot.mde(n_individuals=100, n_clusters=10)),
    ("pilot_size_missing", lambda c: pilot.mde(design="cluster2", n_clusters=10)),
    ("pilot_individual_icc", lambda c: pilot.mde(n_individuals=100, icc=0.1)),
    ("pilot_no_third_level", lambda c: pilot.mde(design="cluster2", icc_top=0.1, **_SIZES)),
    ("pilot_no_df", lambda c: pilot.mde(n_clusters=3, cluster_size=20, n_covariates=2)),
    ("pilot_solve_one", lambda c: pilot.solve(effect=0.2, icc=0.1)),
    ("pilot_solve_none", lambda c: pilot.solve(effect=0.2, power=0.8, icc=0.1, **_SIZES)),
    ("pilot_zero_effect", lambda c: pilot.solve(effect=0, cluster_size=20, icc=0.1)),
    (
        "pilot_size_too_large",
        lambda c: pilot.solve(effect=0.01, cluster_size=20, icc=0.5, max_size=50),
    ),
    ("pilot_acceptable_draws", _acceptable_draws),
    ("pilot_effect_of_interest", lambda c: pilot.plan(c.a, **{**_PLAN, "effect_of_interest": 0})),
    ("pilot_multiple_testing", lambda c: pilot.plan(c.a, multiple_testing="bonferroni", **_PLAN)),
    ("pilot_ri_reps", lambda c: pilot.plan(c.a, ri_reps=50, **_PLAN)),
    (
        "pilot_baseline_term",
        lambda c: pilot.plan(pilot.assign(_unset_term(c.table), seed=1, icc=c.split), **_PLAN),
    ),
    ("pilot_follow_up_term", lambda c: pilot.plan(c.a, follow_up_term="2020-1", **_PLAN)),
    (
        "pilot_finite_effect",
        lambda c: pilot.simulate(SynthSpec.preset("small"), c.a, effect=float("nan")),
    ),
    (
        "pilot_assignment_term",
        lambda c: pilot.simulate(
            SynthSpec.preset("small", n_terms=4), c.a, effect=0.1, baseline=c.cohort
        ),
    ),
    ("pilot_analyse_data", lambda c: pilot.analyse("a cohort", c.spec)),
    ("pilot_panel_columns", lambda c: pilot.analyse(pd.DataFrame({"term": ["2025-2"]}), c.spec)),
    ("pilot_icc_design", lambda c: c.split.design("cluster9")),
    ("pilot_icc_columns", lambda c: pilot.icc_from_cohort(c.cohort, outcome="iq")),
    (
        "pilot_icc_outcome_missing",
        lambda c: pilot.icc_from_cohort(c.panel.assign(sdq_total=np.nan), outcome="sdq_total"),
    ),
    (
        "pilot_icc_no_child",
        lambda c: pilot.icc_from_cohort(c.cohort, outcome="sdq_total", term="2021-1"),
    ),
    (
        "pilot_icc_no_child_plain",
        lambda c: pilot.icc_from_cohort(c.cohort, outcome="sdq_total", term="2099-1", controls=()),
    ),
    ("pilot_school_table_columns", lambda c: pilot.school_table(c.cohort, outcomes=("iq",))),
    ("pilot_school_table_outcomes", lambda c: pilot.school_table(c.cohort, outcomes=("township",))),
    ("pilot_school_table_no_term", lambda c: pilot.school_table(c.panel.assign(term=np.nan))),
    ("pilot_school_table_term", lambda c: pilot.school_table(c.cohort, term="2099-1")),
]


@pytest.mark.parametrize(("code", "call"), PILOT_ERRORS, ids=[c for c, _ in PILOT_ERRORS])
def test_the_pilots_errors_are_sentences_of_the_catalogue(county, code, call):
    """Each English-only error the pilot's functions raise is read back into its entry (the
    template follows the f-string word for word) and written in Chinese."""
    with pytest.raises(ValueError) as info:  # SpecError, EstimationError, UnknownColumnError
        call(county)
    exc = info.value
    sentence = exc.message if isinstance(exc, SpecError) else str(exc)
    assert not has_cjk(sentence), sentence  # English only (else it says both languages)
    assert messages.parse(sentence)[0] == f"note.{code}", sentence
    assert has_cjk(translate(sentence, "zh"))


def test_every_pilot_error_entry_is_raised_by_the_pilot():
    first = list(messages_notes.NOTES).index("pilot_not_one_of")  # the section's first entry
    entries = set(list(messages_notes.NOTES)[first:])
    assert entries == {c for c, _ in PILOT_ERRORS}


def test_error_text_writes_a_pilot_error_in_the_language_asked():
    exc = SpecError(
        "rerandomize",
        "only 6 of 200 acceptable draws in 200,298 candidates: the threshold 0.05 accepts too "
        "few assignments",
    )
    assert error_text(exc, "zh") == (
        "rerandomize：在 200,298 个候选分配中只有 6 个满足阈值（需要 200 个）：重复随机化的阈值 "
        "0.05 能接受的分配太少；请放宽阈值或减少平衡协变量"
    )
    assert error_text(exc, "en") == f"rerandomize: {exc.message}"
    # a sentence the catalogue does not know is shown as the error writes it
    assert error_text(SpecError("x", "something new"), "zh") == "x: something new"
    assert error_text(EstimationError("school_table: the panel has no term"), "zh") == (
        "school_table：面板数据中没有学期"
    )


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """An assignment folder of the shipped cohort (``lbc-eval pilot assign``)."""
    out = tmp_path_factory.mktemp("pilot") / "a"
    assert main(["pilot", "assign", "--seed", "1", "--out", str(out)]) == 0
    return out


#: A bad command line, its English error, and the names (options, columns) it may show.
CLI_ERRORS = [
    (["assign", "--seed", "-1"], "seed: a whole number >= 0, not -1", ["seed"]),
    (["assign", "--seed", "1", "--rerandomize", "-1"],
     "rerandomize: a positive threshold, not -1.0", ["rerandomize"]),
    (["assign", "--seed", "1", "--outcome", "iq"],
     "school_table: no column(s) iq in the panel", ["school_table"]),
    (["plan", "--effect", "0"],
     "effect_of_interest: a non-zero effect in SD of the outcome", ["effect_of_interest"]),
    (["plan", "--effect", "0.3", "--ri-reps", "50"],
     "ri_reps: at least 99 randomisation draws, not 50", ["ri_reps"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "english", "names"),
    CLI_ERRORS,
    ids=["seed", "rerandomize", "outcome", "effect", "ri-reps"],
)
def test_the_pilots_errors_are_printed_in_the_commands_language(
    assigned, tmp_path, capsys, argv, english, names
):
    where = ["--assignment", str(assigned)] if argv[0] == "plan" else []
    full = ["pilot", *argv, *where, "--out", str(tmp_path / "out")]
    assert main(full) == 2
    [line] = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("lbc-eval")]
    assert line.startswith(f"lbc-eval：错误：{names[0]}："), line
    left = line.removeprefix("lbc-eval：错误：")
    for name in names:
        left = left.replace(name, "")
    assert has_cjk(left) and not re.search(r"[A-Za-z]{3,}", left), line
    assert main([*full, "--lang", "en"]) == 2
    [line] = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("lbc-eval")]
    assert line == f"lbc-eval: error: {english}"


def test_a_pair_is_both_languages_as_text_and_one_when_rendered():
    import pickle

    from lbc_eval.data.messages import Pair, render
    from lbc_eval.pilot.text import bilingual

    p = bilingual("学校太少", "too few schools")
    assert isinstance(p, Pair) and p == "学校太少\ntoo few schools"  # a library user sees both
    assert render(p, "zh") == "学校太少" and render(p, "en") == "too few schools"
    assert pickle.loads(pickle.dumps(p)).render("en") == "too few schools"
    exc = SpecError("schools", p)
    assert error_text(exc, "en") == "schools: too few schools"
    assert error_text(exc, "zh") == "schools：学校太少"
