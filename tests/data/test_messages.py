"""The catalogue of messages (lbc_eval.data.messages): both languages, the same fields, Chinese
that is Chinese, and the estimators' English sentences read back into Chinese."""

from __future__ import annotations

import re
import string

import pytest

from lbc_eval.data import messages, messages_notes
from lbc_eval.data.messages import Bi, has_cjk, join, msg, text, translate
from lbc_eval.errors import SpecError
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
