"""The sentences of the findings, in Chinese and English, and the rows they go into.

Each row of the findings table has the columns :data:`COLUMNS` and is made by :func:`_row`
(its Chinese texts spaced by :func:`zh_spacing`: ``SDQ 困难总分``, ``1 对``).
:func:`effect_sentences` words an effect by its verdict only (direction words only for
``improves`` and ``worsens``); :func:`checks_text` states each design check's status with its
p-value; :func:`recommendation` gives an action's recommendation.

Recommendations
---------------
Each action of the plan follows the verdict of its estimate (:data:`RECOMMEND`): ``pairing``
from Q1, ``teacher_training`` from Q2, ``publicity`` from Q3 (the verdict the simple ATT and
the dynamic overall share; when they differ, ``too_imprecise``, saying so). Q1 describes
children already paired: no recommendation extends it to unpaired children.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.questions.findings_rules import CHECKS_EN, CHECKS_ZH, OUTCOME_TEXT

COLUMNS = (
    "question",
    "measure",
    "kind",
    "outcome",
    "unit",
    "estimate",
    "conf_low",
    "conf_high",
    "sesoi",
    "verdict",
    "text_zh",
    "text_en",
    "population_zh",
    "population_en",
    "assumption_zh",
    "assumption_en",
    "checks_zh",
    "checks_en",
    "action",
    "recommendation_zh",
    "recommendation_en",
    "brief",
)


# --- sentences --------------------------------------------------------------------------


def checks_text(diagnostics: pd.DataFrame | None, checks: Sequence[str], *, lang: str) -> str:
    """Each check's status in one clause: passed / failed / not judged, with its p-value (or
    statistic when it has none)."""
    zh = lang == "zh"
    if diagnostics is None or diagnostics.empty:
        return "无设计检验" if zh else "no design checks"
    parts = []
    for name in checks:
        hit = diagnostics[diagnostics["check"] == name]
        if hit.empty:
            continue
        row = hit.iloc[0]
        ok = row["passed"]
        p, stat = row.get("p_value", np.nan), row.get("statistic", np.nan)
        if pd.isna(ok):
            status = (("仅作说明" if zh else "informative only") if pd.notna(stat)
                      else ("无法计算" if zh else "not computed"))  # fmt: skip
        elif bool(ok):
            status = "通过" if zh else "passed"
        else:
            status = "未通过" if zh else "FAILED"
        label = CHECKS_ZH.get(name, name) if zh else CHECKS_EN.get(name, name)
        if pd.notna(p):
            parts.append(f"{label}{status}（p = {float(p):.3f}）" if zh
                         else f"{label} {status} (p = {float(p):.3f})")  # fmt: skip
        elif pd.notna(stat):
            parts.append(f"{label}为 {float(stat):g}，{status}" if zh
                         else f"{label} = {float(stat):g}, {status}")  # fmt: skip
        else:
            parts.append(f"{label}{status}" if zh else f"{label} {status}")
    if not parts:
        return "无设计检验" if zh else "no design checks"
    return "；".join(parts) if zh else "; ".join(parts)


def _names(failed: Sequence[str], *, zh: bool) -> str:
    table = CHECKS_ZH if zh else CHECKS_EN
    return ("、" if zh else " and ").join(table.get(c, c) for c in failed)


def _f(x: float, d: int) -> str:
    return f"{x:.{d}f}"


def _ci(lo: float, hi: float, d: int, level: float, *, zh: bool) -> str:
    return (
        f"{level:.0%} 置信区间 {_f(lo, d)} 至 {_f(hi, d)}"
        if zh
        else f"{level:.0%} CI {_f(lo, d)} to {_f(hi, d)}"
    )


def effect_sentences(
    v: str,
    *,
    est: float,
    lo: float,
    hi: float,
    sesoi: float,
    outcome: str,
    better: int,
    what_zh: str,
    what_en: str,
    noun_en: str,
    of_zh: str,
    of_en: str,
    level: float,
    failed: Sequence[str] = (),
    label: tuple[str, str] = ("", ""),
) -> tuple[str, str]:
    """The (zh, en) sentence of an effect row: its wording follows the verdict ``v`` only
    (direction words only for ``improves``/``worsens``)."""
    _, _, unit_zh, unit_en, d, (down_zh, up_zh) = OUTCOME_TEXT[outcome]
    u_zh = f" {unit_zh}" if unit_zh else ""
    u_en = f" {unit_en}" if unit_en else ""
    s = _f(sesoi, d)
    ci_zh, ci_en = _ci(lo, hi, d, level, zh=True), _ci(lo, hi, d, level, zh=False)
    if label[0]:  # e.g. 平均边际效应 / AME, named in the parenthesis
        ci_zh, ci_en = f"{label[0]}；{ci_zh}", f"{label[1]}; {ci_en}"
    moved = outcome == "moved"
    if v in ("improves", "worsens"):
        small = np.isfinite(lo) and -sesoi < lo and hi < sesoi
        verb_zh = down_zh if est < 0 else up_zh
        verb_en = "lowered" if est < 0 else "raised"
        if v == "improves":
            judge_zh = "符合政策目标" if moved else "属于改善"
            judge_en = "in the policy's aim" if moved else "an improvement"
        else:
            judge_zh = "与政策目标相反" if moved else "状况变差"
            judge_en = "against the policy's aim" if moved else "a deterioration"
        tail_zh = f"，但幅度小于最小有意义效应（±{s}{u_zh}）" if small else ""
        tail_en = (f", though by less than the smallest effect that matters (±{s}{u_en})"
                   if small else "")  # fmt: skip
        zh = (f"{what_zh}，{of_zh}平均{verb_zh} {_f(abs(est), d)}{u_zh}（{ci_zh}），"
              f"{judge_zh}{tail_zh}。")  # fmt: skip
        en = (f"{what_en} {verb_en} {of_en} by {_f(abs(est), d)}{u_en} ({ci_en}): "
              f"{judge_en}{tail_en}.")  # fmt: skip
    elif v == "no_clear_effect":
        zh = (f"{what_zh}，对{of_zh}没有值得关注的影响：{level:.0%} 置信区间 {_f(lo, d)} 至 "
              f"{_f(hi, d)}{u_zh}，完全落在 ±{s}{u_zh}（最小有意义效应）以内。")  # fmt: skip
        en = (f"{what_en} made no difference that matters to {of_en}: the {level:.0%} CI, "
              f"{_f(lo, d)} to {_f(hi, d)}{u_en}, lies within ±{s}{u_en}, the smallest effect "
              f"that matters.")  # fmt: skip
    elif v == "too_imprecise":
        zh = (f"{what_zh}对{of_zh}的影响估计过于不精确，无法判断：{level:.0%} 置信区间 "
              f"{_f(lo, d)} 至 {_f(hi, d)}{u_zh}，既包含 0，也包含超过 ±{s}{u_zh}"
              f"（最小有意义效应）的效应。")  # fmt: skip
        en = (f"Too imprecise to tell what {noun_en} does to {of_en}: the {level:.0%} CI, "
              f"{_f(lo, d)} to {_f(hi, d)}{u_en}, includes no effect and effects beyond "
              f"±{s}{u_en}, the smallest that matters.")  # fmt: skip
    else:
        zh = (f"{what_zh}对{of_zh}的估计为 {_f(est, d)}（{ci_zh}），但{_names(failed, zh=True)}"
              f"未通过，不能据此判断效果。")  # fmt: skip
        en = (f"The estimate of what {noun_en} does to {of_en}, {_f(est, d)} ({ci_en}), is not "
              f"credible: the {_names(failed, zh=False)} check failed, so it is not read as an "
              f"effect.")  # fmt: skip
    return zh, en


#: action -> verdict -> (zh, en).
_GENERIC = {
    "no_clear_effect": ("证据未显示效果：扩大之前先开展评估。",
                        "The evidence does not show an effect; evaluate before expanding."),
    "too_imprecise": ("现有证据无法判断，需要开展随机试点才能知道。",
                      "A randomised pilot is needed to know."),
    "not_credible": ("设计检验未通过，不能依据这一估计。",
                     "The design check failed; do not rely on this estimate."),
}  # fmt: skip
RECOMMEND: dict[str, dict[str, tuple[str, str]]] = {
    "pairing": {
        "improves": (
            "保持已结对儿童的帮扶频次。这一估计只针对已结对的儿童，不能说明把结对扩大到尚未结对的"
            "儿童会有同样效果：扩大覆盖面宜先以学校随机分配的方式试点。",
            "Keep up the contacts of paired children. The estimate describes children already "
            "paired, not what pairing would do for unpaired ones: widen pairing as a "
            "school-randomised pilot first.",
        ),
        "worsens": (
            "更多帮扶与已结对儿童状况变差相伴：在增加帮扶或扩大覆盖面之前，先检查帮扶的方式和对象。",
            "More contacts went with worse outcomes for paired children: review how, and to "
            "whom, contacts are given before adding more or widening pairing.",
        ),
        **_GENERIC,
    },
    "teacher_training": {
        "improves": ("保持并扩大培训。", "Keep and expand training."),
        "worsens": (
            "估计显示培训后成绩下降：继续之前先检查培训内容，并开展评估。",
            "The estimate points to lower scores after training: review its content before "
            "continuing, and evaluate it.",
        ),
        **_GENERIC,
    },
    "publicity": {
        "improves": (
            "在政策已实施的务工地，政策让更多留守儿童随父母生活；宣传可面向父母在这些地方务工的"
            "家庭（宣传本身的效果未经估计）。",
            "Where it applied, the policy let more left-behind children live with their "
            "parents; publicity can target families whose parents work at adopting "
            "destinations (the effect of publicity itself is not estimated).",
        ),
        "worsens": (
            "政策实施后随父母迁居的比例反而下降：宣传之前先查明原因。",
            "Fewer children moved where the policy applied: find out why before publicising it.",
        ),
        **_GENERIC,
    },
}


def recommendation(action: str, v: str, *, lang: str) -> str:
    """The recommendation for ``action`` given its verdict ``v`` (:data:`RECOMMEND`)."""
    return RECOMMEND[action][v][0 if lang == "zh" else 1]


_CJK_LATIN = re.compile(r"([\u4e00-\u9fff])([A-Za-z0-9±])|([A-Za-z0-9%])([\u4e00-\u9fff])")


def zh_spacing(text: str) -> str:
    """A space between Chinese characters and Latin letters or digits (``SDQ 困难总分``,
    ``1 对``), as the kit writes Chinese; full-width punctuation stays unspaced."""
    return _CJK_LATIN.sub(lambda m: " ".join(g for g in m.groups() if g), text)


# --- rows -------------------------------------------------------------------------------


def _both(name: str, make: Any, *args: Any) -> dict[str, str]:
    """``{name}_zh`` and ``{name}_en`` from one function taking ``lang``."""
    return {f"{name}_zh": make(*args, lang="zh"), f"{name}_en": make(*args, lang="en")}


def _row(**kw: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(estimate=np.nan, conf_low=np.nan, conf_high=np.nan, sesoi=np.nan,
               verdict=pd.NA, action="", brief=True)  # fmt: skip
    row.update(kw)
    for c in COLUMNS:
        if c.endswith("_zh") and isinstance(row[c], str):
            row[c] = zh_spacing(row[c])
    return row


def _tidy_row(result: Any, term: str) -> pd.Series:
    t = result.tidy().set_index("term")
    if term not in t.index:
        raise KeyError(f"{term!r} is not a row of the {result.estimator} result")
    return t.loc[term]


def _level(result: Any) -> float:
    return 1 - float(getattr(result, "alpha", 0.05) or 0.05)
