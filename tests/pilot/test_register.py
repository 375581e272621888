"""plan(): the spec fixes the analysis, its hash is over canonical JSON, and the plan is
written in Chinese and English as Markdown, HTML and Word."""

from __future__ import annotations

import hashlib
import json

import pytest

from lbc_eval.errors import SpecError
from lbc_eval.pilot import PilotSpec, plan
from lbc_eval.pilot.register import canonical
from tests.pilot.conftest import FAST, ICC


def test_the_hash_is_sha256_of_canonical_json(loop):
    spec = loop.plan
    text = json.dumps(spec.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert spec.hash == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert canonical(spec.content) == text.encode("utf-8")


def test_the_same_assignment_and_options_give_the_same_hash(loop):
    again = plan(loop.assignment, outcome="sdq_total", effect_of_interest=0.3,
                 secondary=["attendance", "math"], icc=ICC, **FAST)  # fmt: skip
    assert again.hash == loop.plan.hash


@pytest.mark.parametrize(
    "change",
    [{"outcome": "attendance"}, {"effect_of_interest": 0.25}, {"ri_reps": 999},
     {"multiple_testing": "romano-wolf"}, {"secondary": ["math"]}, {"max_attrition": 0.3}],
)  # fmt: skip
def test_a_changed_plan_has_another_hash(loop, change):
    kw = {"outcome": "sdq_total", "effect_of_interest": 0.3, "secondary": ["attendance", "math"],
          "icc": ICC, **FAST, **change}  # fmt: skip
    assert plan(loop.assignment, **kw).hash != loop.plan.hash


def test_written_and_read_back_the_hash_holds(loop, tmp_path):
    path = loop.plan.write(tmp_path)
    back = PilotSpec.read(tmp_path)
    assert back.hash == loop.plan.hash == back.stored_hash and not back.edited
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["hash"] == loop.plan.hash
    for lang in ("zh", "en"):
        for ext in ("md", "html", "docx"):
            assert (tmp_path / f"plan_{lang}.{ext}").stat().st_size > 0


def test_an_edited_file_no_longer_matches_its_hash(loop, tmp_path):
    path = loop.plan.write(tmp_path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["outcomes"]["primary"] = "math"
    path.write_text(json.dumps(data), encoding="utf-8")
    edited = PilotSpec.read(path)
    assert edited.edited and edited.hash != edited.stored_hash


def test_the_spec_fixes_everything_the_analysis_needs(loop):
    c = loop.plan.content
    r = c["randomisation"]
    assert r["seed"] == loop.assignment.seed
    assert r["rerandomize"]["threshold"] == 0.25 and r["rerandomize"]["tried"] >= 1
    assert len(r["schools"]) == len(loop.assignment.table)
    assert set(r["schools"][0]) >= {"school_id", "stratum", "arm", *r["balance_on"]}
    assert c["multiple_testing"] == {"family": ["sdq_total", "attendance", "math"],
                                     "method": "holm"}  # fmt: skip
    assert c["estimator"]["interval"] == "randomisation"
    assert c["randomisation"]["support"]["enough"]
    assert c["terms"] == {"baseline": "2022-2", "follow_up": "2023-2", "pilot_year": 2023}
    p = c["power"]
    assert {"mde", "icc", "r2_cluster", "r2_individual", "children_per_school", "alpha",
            "power", "treat_share", "n_schools", "power_at_effect"} <= set(p)  # fmt: skip
    assert c["outcomes"]["columns"]["sdq_total"]["label_zh"] == "SDQ困难总分"


def test_the_plan_in_both_languages_names_the_hash_and_the_seed(loop, tmp_path):
    loop.plan.write(tmp_path)
    zh = (tmp_path / "plan_zh.md").read_text(encoding="utf-8")
    en = (tmp_path / "plan_en.md").read_text(encoding="utf-8")
    for text in (zh, en):
        assert loop.plan.hash in text
        assert str(loop.assignment.seed) in text
    assert "预分析计划" in zh and "随机化推断" in zh and "重复随机化" in zh
    assert "Pre-analysis plan" in en and "Randomisation" in en
    html = (tmp_path / "plan_zh.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<table>" in html and 'lang="zh-CN"' in html


def test_the_word_plan_has_headings_tables_and_a_chinese_font(loop, tmp_path):
    from docx import Document
    from docx.oxml.ns import qn

    loop.plan.write(tmp_path)
    doc = Document(str(tmp_path / "plan_zh.docx"))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads[0].startswith("试点预分析计划") and any("随机分配" in h for h in heads)
    assert len(doc.tables) >= 4
    fonts = doc.styles["Normal"].element.rPr.rFonts
    assert fonts.get(qn("w:eastAsia")) == "Microsoft YaHei"


def test_plan_needs_the_mde(loop):
    from lbc_eval.pilot import assign

    a = assign(loop.table, seed=1)  # no ICCs: no MDE
    with pytest.raises(SpecError, match="icc_from_cohort"):
        plan(a, outcome="sdq_total", effect_of_interest=0.2)


@pytest.mark.parametrize(
    "kw, field",
    [({"outcome": "happiness"}, "outcome"), ({"secondary": ["iq"]}, "secondary"),
     ({"multiple_testing": "bonferroni"}, "multiple_testing"), ({"ri_reps": 10}, "ri_reps"),
     ({"effect_of_interest": 0}, "effect_of_interest"), ({"max_attrition": 1.5}, "max_attrition"),
     ({"follow_up_term": "2021-1"}, "follow_up_term")],
)  # fmt: skip
def test_bad_options_are_refused(loop, kw, field):
    base = {"outcome": "sdq_total", "effect_of_interest": 0.3, "icc": ICC}
    with pytest.raises(SpecError, match=field):
        plan(loop.assignment, **{**base, **kw})
