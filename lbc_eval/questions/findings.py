r"""Findings from results (question Q4): a verdict for each estimate by documented rules, and
every sentence of the work-plan brief built from those verdicts.

:func:`findings_table` turns the results gathered by
:func:`lbc_eval.questions.workplan.evidence` into one row per finding (:data:`COLUMNS`):
``question, measure, kind, outcome, unit, estimate, conf_low, conf_high, sesoi, verdict``, the
sentence (``text_zh``, ``text_en``), which children it describes (``population_zh/en``), what
assumption it needs (``assumption_zh/en``), the status of the design checks behind it
(``checks_zh/en``), and, for the estimates behind an action of the plan, the recommendation
that follows from the verdict (``action``, ``recommendation_zh/en``). :func:`markdown` writes
the brief's findings from those rows only; nothing in it states a direction, a shape or a
recommendation that a row does not carry.

Kinds of rows
-------------
``effect``
    An estimate the plan acts on (Q1 ``ame``, Q2 ``trained_share``, Q3 ``simple`` and
    ``dynamic``): it carries a ``verdict``.
``comparison``
    Q1's naive cross-section (``ame_naive``), set against the within estimate.
``shape``
    Q1's curvature contrast (``curvature``); its sentence enters the brief (``brief``) only
    when the test rejects a straight line and Q1 has a direction.
``audit``, ``pilot``
    Coverage, the scholarship rule, and the pilots' sizes: facts and plans, no verdict.

The modules
-----------
:mod:`~lbc_eval.questions.findings_rules`
    the verdict rules, with their maths: a design check failed, ``not_credible``; the interval
    wholly on one side of 0, ``improves`` or ``worsens``; within the smallest effect of
    interest, ``no_clear_effect``; otherwise ``too_imprecise``; the directions and SESOIs;
:mod:`~lbc_eval.questions.findings_text`
    the rows' columns, the sentences of effects and checks in Chinese and English, and the
    recommendations that follow from the verdicts;
:mod:`~lbc_eval.questions.findings_effects`
    the rows of the estimates the plan acts on: Q1's AME, Q2's training effect, Q3's policy
    effects;
:mod:`~lbc_eval.questions.findings_dose`
    Q1's shape (the curvature test behind its sentence) and the naive comparison;
:mod:`~lbc_eval.questions.findings_workplan`
    coverage, scholarships and the pilots' sizes.

Their public names are importable from this module too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from lbc_eval.questions.findings_dose import curvature, naive_sentences, shape_sentences
from lbc_eval.questions.findings_effects import (
    dose_findings,
    policy_findings,
    publicity_verdict,
    training_findings,
)
from lbc_eval.questions.findings_rules import (
    CHECKS,
    CHECKS_EN,
    CHECKS_ZH,
    DIRECTION,
    OUTCOME_TEXT,
    SESOI_MOVED_PP,
    SESOI_PER_CONTACT_SD,
    SESOI_SD,
    TYPICAL_CONTACTS,
    VERDICT_LABELS,
    VERDICTS,
    failed_checks,
    rules_table,
    sesoi_of,
    verdict,
)
from lbc_eval.questions.findings_text import (
    COLUMNS,
    RECOMMEND,
    checks_text,
    effect_sentences,
    recommendation,
    zh_spacing,
)
from lbc_eval.questions.findings_workplan import (
    coverage_finding,
    pilot_clause,
    pilot_findings,
    scholarship_finding,
)

__all__ = [
    "CHECKS",
    "CHECKS_EN",
    "CHECKS_ZH",
    "COLUMNS",
    "DIRECTION",
    "OUTCOME_TEXT",
    "RECOMMEND",
    "SESOI_MOVED_PP",
    "SESOI_PER_CONTACT_SD",
    "SESOI_SD",
    "TYPICAL_CONTACTS",
    "VERDICTS",
    "VERDICT_LABELS",
    "bullet",
    "checks_text",
    "coverage_finding",
    "curvature",
    "dose_findings",
    "effect_sentences",
    "failed_checks",
    "findings_table",
    "markdown",
    "naive_sentences",
    "pilot_clause",
    "pilot_findings",
    "policy_findings",
    "publicity_verdict",
    "recommendation",
    "rules_table",
    "scholarship_finding",
    "sesoi_of",
    "shape_sentences",
    "training_findings",
    "verdict",
    "zh_spacing",
]


# --- all of them ------------------------------------------------------------------------


def findings_table(ev: Any, *, pilots: Sequence[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """Every finding of the evidence, one row each (:data:`COLUMNS`), in the brief's order:
    Q1 (AME, naive comparison, shape), coverage, Q2, Q3 (simple, dynamic), scholarships,
    pilots."""
    parts = [dose_findings(ev.dose, sd=ev.outcome_sd, shape=ev.shape),
             coverage_finding(ev.coverage),
             training_findings(ev.training, sd=ev.outcome_sd, years=ev.years),
             policy_findings(ev.policy_simple, ev.policy, sd=ev.outcome_sd)]  # fmt: skip
    if ev.scholarships is not None:
        parts.append(scholarship_finding(ev.scholarships))
    if pilots:
        parts.append(pilot_findings(pilots))
    out = pd.concat(parts, ignore_index=True)
    out["verdict"] = out["verdict"].astype("string")
    out["brief"] = out["brief"].astype(bool)
    for p in pilots:  # where the recommendation is to evaluate, what a pilot here can do
        i = out.index[(out["action"] == p["action"]) & (out["kind"] == "effect")]
        if len(i) and _calls_for_pilot(p["action"], str(out.loc[i[0], "verdict"])):
            zh, en = pilot_clause(p)
            out.loc[i[0], "recommendation_zh"] += zh
            out.loc[i[0], "recommendation_en"] += en
    return out


def _calls_for_pilot(action: str, v: str) -> bool:
    """Whether the recommendation for ``action`` with verdict ``v`` asks for an evaluation."""
    return v in ("no_clear_effect", "too_imprecise") or (action == "pairing" and v == "improves")



def _join(texts: Iterable[str], *, zh: bool) -> str:
    return ("" if zh else " ").join(t for t in texts if t)


def bullet(rows: pd.DataFrame, *, lang: str) -> str:
    """One bullet's body from rows: their sentences (``brief`` ones), then the effect row's
    population, assumption with its checks, and recommendation."""
    zh = lang == "zh"
    text = _join(rows.loc[rows["brief"], f"text_{lang}"], zh=zh)
    eff = rows[rows["kind"] == "effect"]
    if eff.empty:
        return text
    parts = [text]
    pops = list(dict.fromkeys(eff[f"population_{lang}"]))
    if zh:
        parts.append("适用对象：" + "；".join(pops) + "。")
    else:
        parts.append("Describes " + "; ".join(pops) + ".")
    a, c = eff[f"assumption_{lang}"].iloc[0], eff[f"checks_{lang}"].iloc[0]
    parts.append(f"前提假设：{a}（{c}）。" if zh else f"Assumes {a} ({c}).")
    rec = eff.loc[eff["action"] != "", f"recommendation_{lang}"]
    if len(rec):
        parts.append(("对计划的含义：" if zh else "For the plan: ") + rec.iloc[0])
    return _join(parts, zh=zh)


def markdown(rows: pd.DataFrame, *, lang: str = "zh") -> str:
    """The brief's findings (Markdown) from :func:`findings_table` rows only."""
    zh = lang == "zh"
    key = "zh" if zh else "en"
    q = rows["question"]
    heads = {
        "Q1": ("结对帮扶（Q1）", "Mentoring (Q1)"),
        "Q2": ("教师培训（Q2）", "Teacher training (Q2)"),
        "Q3": ("随迁子女入学政策（Q3）", "Enrolment policy (Q3)"),
        "scholarship": ("助学金", "Scholarships"),
        "pilot": ("试点规模（学校随机分配）", "Pilots (schools randomised)"),
    }
    lines = ["## 对明年工作计划的启示" if zh else "## Findings for next year's plan"]

    def add(head: str, body: str) -> None:
        h = heads[head][0 if zh else 1]
        lines.append(f"- **{h}**：{body}" if zh else f"- **{h}.** {body}")

    q1 = rows[(q == "Q1") | (rows["measure"] == "share_paired")]
    add("Q1", bullet(q1, lang=key))
    add("Q2", bullet(rows[q == "Q2"], lang=key))
    add("Q3", bullet(rows[q == "Q3"], lang=key))
    sch = rows[rows["measure"] == "scholarship_shortfall"]
    if len(sch):
        add("scholarship", sch[f"text_{key}"].iloc[0])
    pil = rows[rows["kind"] == "pilot"]
    if len(pil):
        add("pilot", ("。" if zh else ". ").join(pil[f"text_{key}"]) + ("。" if zh else "."))
    eff = rows[rows["kind"] == "effect"].drop_duplicates("question")
    sesoi = []
    for r in eff.itertuples(index=False):
        d = OUTCOME_TEXT[r.outcome][4]
        unit = OUTCOME_TEXT[r.outcome][2 if zh else 3]
        per = r.measure == "ame"  # Q1's SESOI is per contact
        if zh:
            sesoi.append(
                f"{r.question} {'每次帮扶 ' if per else ''}±{r.sesoi:.{d}f} {unit}".strip()
            )
        else:
            sesoi.append(f"{r.question} ±{r.sesoi:.{d}f} {unit}{' per contact' if per else ''}")
    checks = [f"{r.question}：{r.checks_zh}" if zh else f"{r.question}: {r.checks_en}"
              for r in eff.itertuples(index=False)]  # fmt: skip
    if zh:
        lines.append("- **判断规则**：区间完全落在 0 的一侧为“改善”或“变差”；"
                     "区间包含 0 且完全落在最小有意义效应以内为“未见有意义的效应”；"
                     "否则为“过于不精确”；设计检验未通过为“不可采信”。"
                     "最小有意义效应：" + "；".join(sesoi) + "。")  # fmt: skip
        lines.append("- **设计检验**：" + "；".join(checks) + "。")
    else:
        lines.append(
            "- **How verdicts are read.** An interval wholly on one side of 0: improves "
            "or worsens; including 0 but within the smallest effect that matters: no "
            "clear effect; otherwise too imprecise; a failed design check: not "
            "credible. Smallest effects that matter: " + "; ".join(sesoi) + "."
        )
        lines.append("- **Design checks.** " + "; ".join(checks) + ".")
    return "\n".join(lines)
