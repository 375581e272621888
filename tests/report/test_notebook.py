"""The notebooks' display helpers: labels in the notebook's language, 是/否, no index rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lbc_eval.data import labels
from lbc_eval.estimation.results import Result
from lbc_eval.publish.suppression import suppress
from lbc_eval.report import notebook


@pytest.fixture
def shown(monkeypatch):
    """What display_table publishes (text/html and text/plain), instead of displaying it."""
    out: list[dict[str, str]] = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: out.append(data))
    return out


def test_k_is_the_suppression_default():
    assert notebook.K == 10


def test_text_picks_the_language():
    assert notebook.text("zh", "是", "yes") == "是"
    assert notebook.text("en", "是", "yes") == "yes"
    assert notebook.text("both", "是", "yes") == "是 / yes"
    assert notebook.text("both", "一\n二", "one\ntwo") == "一\n二\none\ntwo"
    with pytest.raises(ValueError):
        notebook.text("fr", "是", "yes")


def test_yes_no():
    assert [notebook.yes_no(v) for v in (True, False, np.True_, pd.NA, None)] == [
        "是", "否", "是", "", ""]  # fmt: skip
    assert notebook.yes_no(True, "en") == "yes"


def test_columns_are_named_by_their_labels():
    frame = pd.DataFrame({"school_id": ["S01"], "sdq_total": [12.25], "n_recipients": [15],
                          "share_lb": [0.5], "meets_rule": [True]})  # fmt: skip
    zh = notebook.labelled(frame, "zh", digits=2)
    assert list(zh.columns) == ["学校代码", "SDQ困难总分", "获助人数", "发给留守儿童的比例",
                                "达到 30%"]  # fmt: skip
    assert zh.iloc[0].tolist() == ["S01", "12.25", "15", "0.50", "是"]
    en = notebook.labelled(frame, "en")
    assert list(en.columns) == ["School", "SDQ total difficulties", "Recipients (children)",
                                "Share to left-behind children", "At least 30%"]  # fmt: skip
    assert en.iloc[0, -1] == "yes"


def test_every_column_the_notebooks_show_has_a_label():
    """No raw snake_case name reaches a displayed header (the columns the notebooks show)."""
    shown_columns = [
        "term", "estimate_term", "group", "time", "event_time", "estimate", "std_error",
        "conf_low", "conf_high", "p_value", "truth", "covered", "statistic", "p_adjusted",
        "method", "outcome", "aggregation", "level", "variance", "share", "n_left_behind",
        "n_paired", "share_paired", "n_cadre", "n_teacher", "n_volunteer", "suppressed",
        "service", "n_children", "n_receiving", "share_receiving", "mean_per_child",
        "n_recipients", "n_lb_recipients", "share_lb", "meets_rule", "school_id", "year",
        "series", "definition", "count_10k", "figure", "value", "total", "scenario",
        "estimator", "estimates", "bias", "bias_mc_se", "rmse", "sd_estimate", "mean_se",
        "coverage", "coverage_mc_se", "rejects_null", "diagnostics_failed", "cohort_year",
        "period", "published", "ours", "same_to_4_decimals", "published_se", "our_se",
        "se_ratio", "action", "verdict", "evidence", "recommendation", "pilot_outcome",
        "effect_sd", "share_reached", "r2_cluster", "r2_individual", "alpha", "power",
        "schools_needed", "children_per_school", "county_schools", "mde_all_schools", "pilot_notes",
    ]  # fmt: skip
    for lang in ("zh", "en"):
        for c in shown_columns:
            assert labels.label(c, lang) != c, (c, lang)
            assert "_" not in labels.label(c, lang), (c, lang)


def test_booleans_read_yes_no_and_missing_is_blank():
    frame = pd.DataFrame({"meets_rule": pd.array([True, False, pd.NA], dtype="boolean"),
                          "covered": [True, False, True]})  # fmt: skip
    out = notebook.labelled(frame, "zh")
    assert out["达到 30%"].tolist() == ["是", "否", ""]
    assert out["区间覆盖真实值"].tolist() == ["是", "否", "是"]


def test_floats_are_rounded_without_negative_zero():
    out = notebook.labelled(pd.DataFrame({"estimate": [-0.0001, 1.23456, np.nan]}), "zh")
    assert out["估计值"].tolist() == ["0.000", "1.235", ""]


def test_values_are_labelled_by_their_column():
    frame = pd.DataFrame({"guardian": ["grandparents"], "service": ["counseling"],
                          "group": ["left_behind"], "outcome": ["sdq_total"],
                          "estimate_term": ["trained_share:left_behind"],
                          "term": ["2024-1"]})  # fmt: skip
    assert notebook.labelled(frame, "zh").iloc[0].tolist() == [
        "祖辈", "心理辅导", "留守儿童", "SDQ困难总分", "受训教师比例：留守儿童",
        "2024-1"]  # fmt: skip


def test_an_index_becomes_a_column_and_no_index_name_row_is_left():
    crosstab = pd.crosstab(pd.Series(["T01", "T02"], name="township"),
                           pd.Series(["father", "none"], name="lb_status"))  # fmt: skip
    out = notebook.labelled(crosstab, "zh", levels="lb_status")
    assert list(out.columns) == ["乡镇", "父亲外出", "非留守"]
    plain = notebook._plain(out)
    assert len(plain.splitlines()) == 3  # one header row, two rows: no index name row
    assert "lb_status" not in plain and "township" not in plain
    markup = notebook.table_html(out)
    assert markup.count("<tr") == 3 and "<th></th>" not in markup


def test_filtered_frames_lose_their_unnamed_index():
    frame = pd.DataFrame({"school_id": ["S01", "S02", "S03"], "year": [2021, 2022, 2023]})
    out = notebook.labelled(frame[frame["year"] > 2021], "zh")
    assert list(out.columns) == ["学校代码", "年份"]


def test_counts_of_children_say_so():
    counts = pd.DataFrame({"none": [20], "both": [12]}, index=pd.Index(["T01"], name="township"))
    out = notebook.labelled(counts, "zh", levels="lb_status", children=["none", "both"])
    assert list(out.columns) == ["乡镇", "非留守（人）", "父母均外出（人）"]
    en = notebook.labelled(counts, "en", levels="lb_status", children=["none", "both"])
    assert list(en.columns) == ["Township", "none (children)", "both (children)"]
    assert all(notebook.counts_children(h) for h in [*out.columns[1:], *en.columns[1:]])
    both = notebook.labelled(counts, "both", levels="lb_status", children=["none"])
    assert list(both.columns) == ["乡镇 Township", "非留守（人） none (children)",
                                  "父母均外出 both"]  # fmt: skip
    assert notebook.header("n_recipients", "zh", children=True) == "获助人数"  # says so already


@pytest.mark.parametrize(
    ("header", "counts"),
    [("儿童人数", True), ("获助人数", True), ("儿童学期数（人次）", True), ("毕业（人）", True),
     ("Children", True), ("Recipients (children)", True), ("n_paired", True), ("n", True),
     ("结对比例", False), ("人均次数或时长", False), ("人数（万人）", False), ("每校儿童数", False),
     ("Share paired", False), ("Children (10,000s)", False), ("学校数", False), ("估计值", False),
     ("mean contacts per paired child-term", False)],
)  # fmt: skip
def test_the_rule_that_finds_counts_of_children(header, counts):
    assert notebook.counts_children(header) is counts


def test_a_suppressed_table_shows_x_and_its_note():
    counts = pd.DataFrame({"none": [120, 45, 80], "father": [3, 60, 40], "both": [30, 22, 14]},
                          index=pd.Index(["T01", "T02", "T03"], name="township"))  # fmt: skip
    published = suppress(counts)
    out = notebook.labelled(published, "zh", levels="lb_status")
    assert out.loc[0, "父亲外出（人）"] == "x"
    assert (out == "x").sum().sum() == published.mask.sum().sum()
    assert "3" not in out.drop(columns="乡镇").to_numpy().ravel()
    note = notebook.suppression_note(published, "zh")
    assert note.startswith("x：已隐藏") and "。" in note


def test_an_audit_frame_shows_x_where_it_was_suppressed():
    frame = pd.DataFrame({"year": [2021, 2022], "n_recipients": [5, 40],
                          "n_lb_recipients": [2, 20], "share_lb": [0.4, 0.5]})  # fmt: skip
    from lbc_eval.publish.suppression import suppress_rows

    done = suppress_rows(frame, n="n_recipients", counts=["n_lb_recipients"], derived=["share_lb"])
    table = done.table
    table.attrs["suppression"] = done.record
    out = notebook.labelled(table, "zh", digits=2)
    assert out.iloc[0, 1:].tolist() == ["x", "x", "x"]
    assert out.iloc[1].tolist() == ["2022", "40", "20", "0.50"]


def test_display_table_publishes_html_and_text(shown):
    frame = pd.DataFrame({"year": [2021], "n_recipients": [180], "meets_rule": [True]})
    notebook.display_table(frame, "zh", caption="助学金", note="说明。")
    (data,) = shown
    assert set(data) == {"text/html", "text/plain"}
    assert data["text/plain"].splitlines() == ["助学金", "年份 获助人数 达到 30%",
                                               "2021      180       是", "说明。"]  # fmt: skip
    assert "<caption>助学金</caption>" in data["text/html"]
    assert "<th>获助人数</th>" in data["text/html"] and "True" not in data["text/html"]


def test_display_table_notes_only_the_suppression_it_shows(shown):
    frame = pd.DataFrame({"school_id": ["S01", "S02"], "n_recipients": [5, 40]})
    frame.attrs["suppression"] = pd.DataFrame(
        [{"row": 0, "column": "n_recipients", "reason": "primary", "detail": ""}]
    )
    notebook.display_table(frame, "zh")
    notebook.display_table(frame[["school_id"]], "zh")
    assert "x：已隐藏（1 个单元格" in shown[0]["text/plain"]
    assert "已隐藏" not in shown[1]["text/plain"]


def _result():
    return Result.from_estimates(
        estimator="training", outcome="math", terms=["trained_share", "trained_share:difference"],
        estimates=[0.5, -0.0001], std_errors=[0.2, 0.1], nobs=1234, cov_type="CRV1",
        n_clusters=12, notes=("a note",),
    )  # fmt: skip


def test_show_speaks_the_notebook_language(shown, capsys):
    notebook.show(_result(), lang="zh")
    printed = capsys.readouterr().out
    assert printed.splitlines()[:2] == ["教师培训（学校和年份固定效应）：数学成绩",
                                        "（1,234 个观测，12 个聚类；CRV1）"]  # fmt: skip
    assert "注：a note" in printed
    plain = shown[0]["text/plain"]
    assert plain.splitlines()[0].split() == ["估计项", "估计值", "标准误", "95%", "置信区间下限",
                                             "95%", "置信区间上限", "p", "值"]  # fmt: skip
    assert "受训教师比例：留守儿童减非留守儿童" in plain and "-0.000" not in plain
    notebook.show(_result(), lang="en")
    assert capsys.readouterr().out.startswith("teacher training (school and year effects): Math")


def test_describe_the_cohort(small):
    zh = notebook.describe(small, "zh")
    assert zh.startswith("合成数据：") and zh.endswith("。")
    assert notebook.describe(small, "en").startswith("Synthetic cohort: ")


def test_load_some_columns_gives_them_as_a_full_read_does():
    """``columns``: the same values, dtypes (categories in codebook order) and column order as
    the full read's, plus the term, and nothing else."""
    full = notebook.load().panel
    part = notebook.load(columns=["math", "student_id", "lb_status", "talks"]).panel
    assert list(part.columns) == ["student_id", "term", "lb_status", "talks", "math"]
    pd.testing.assert_frame_equal(part, full[list(part.columns)], check_exact=True)


def test_progress_prints_a_line_at_once_in_the_notebook_language(capsys):
    from lbc_eval.questions.workplan import _step

    notebook.progress("zh")("Q1 step")
    notebook.progress("en")("Q1 step")
    assert capsys.readouterr().out == "进行中：Q1 step\nrunning: Q1 step\n"
    # the work plan's steps name the outcome by its label, in the notebook's language
    notebook.progress("zh")(_step("Q1", "sdq_total"))
    notebook.progress("en")(_step("Q1", "sdq_total"))
    zh, en = capsys.readouterr().out.splitlines()
    assert zh == "进行中：Q1：SDQ困难总分" and en.startswith("running: Q1: SDQ")
    assert "sdq_total" not in zh + en
    with pytest.raises(ValueError):
        notebook.progress("fr")


def test_load_some_columns_adds_an_optional_column_the_files_lack(tmp_path):
    import lbc_eval

    cohort = lbc_eval.example_cohort()
    cohort.panel = cohort.panel.drop(columns=["hotline_calls"])
    cohort.write(tmp_path / "c")
    full = notebook.load(tmp_path / "c").panel
    part = notebook.load(tmp_path / "c", columns=["student_id", "hotline_calls"]).panel
    assert part["hotline_calls"].isna().all()
    pd.testing.assert_frame_equal(part, full[["student_id", "term", "hotline_calls"]])
