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

The verdict rules
-----------------
For an estimate :math:`\hat\theta` with :math:`(1-\alpha)` interval :math:`[L, U]` (the
interval the estimator reports: wild cluster bootstrap with few schools, the multiplier
bootstrap over destinations for Q3), a direction of improvement :math:`d \in \{+1, -1\}` and a
smallest effect of interest :math:`\delta > 0` (SESOI), in that order:

1. ``not_credible`` if a design check of that estimate failed (its ``diagnostics`` row has
   ``passed == False``; NA — not computed, or informative only — is not a failure). The checks
   of each estimate are :data:`CHECKS`: Q1 ``lead_placebo`` and ``iv_vs_within`` (the
   instrument's ``first_stage`` checks the instrument, not the within estimate, and is not
   used); Q2 ``schools`` (fails below 12 schools) and ``lead_placebo``; Q3 ``pretest`` and
   ``treated_destinations``.
2. ``improves`` if :math:`L > 0` and :math:`d = +1`, or :math:`U < 0` and :math:`d = -1`: the
   whole interval lies on the improving side of zero. ``worsens`` if it lies wholly on the
   other side. A bound exactly at 0 counts as including 0. When the whole interval also lies
   within :math:`(-\delta, \delta)` the sentence adds that the effect is smaller than the
   smallest that matters (the verdict stays).
3. ``no_clear_effect`` if :math:`-\delta < L` and :math:`U < \delta`: the interval includes
   0 and rules out every effect that matters (an equivalence statement; with a 95% interval
   it is the two one-sided tests at 2.5% each, so it is conservative).
4. ``too_imprecise`` otherwise: the interval includes 0 and effects beyond
   :math:`\pm\delta`. An interval that could not be computed (NaN) is ``too_imprecise``.

Directions (:data:`DIRECTION`): SDQ total difficulties, lower is better (:math:`d=-1`); math,
Chinese and attendance, higher is better; ``moved`` (moved to live with the parents), higher,
because that is the enrolment policy's aim.

Smallest effects of interest (:func:`rules_table` shows them with their basis), with
:math:`s_Y` the standard deviation of the outcome over the cohort's child-terms (pooled, so
the SESOI is in the outcome's own units and follows the data: about 6 SDQ points, 1 for the
standardised scores):

- Q1, the AME of one more contact, per contact: :math:`\delta = 0.02\,s_Y`
  (:data:`SESOI_PER_CONTACT_SD`) — the 0.1 SD a term of mentoring should at least achieve
  (:data:`SESOI_SD`: inside the 0.05–0.20 SD "medium" band Kraft 2020 proposes for education
  interventions, and the size the plan's training pilot is sized on) spread over the
  :data:`TYPICAL_CONTACTS` = 5 contacts of a typical mentored term (the records' mean; the
  generator's default). About 0.12 SDQ points.
- Q2, a school's trained-teacher share going from 0 to 1: :math:`\delta = 0.1\,s_Y` (the whole
  staff trained is the largest change the plan can make; twice the upper end of the
  -0.05…+0.05 SD range around Loyalka et al. 2019's precise null, ``docs/literature.md``).
- Q3, on ``moved``, in percentage points: :math:`\delta` = 2 pp (:data:`SESOI_MOVED_PP`): about
  0.1 SD of a binary outcome near 5% (:math:`\sqrt{0.05 \cdot 0.95} = 0.22`), the share of
  left-behind children who move to their parents over a few terms without the policy (a
  1% hazard per term), and the smallest change the bureau would see in its caseload. On other
  outcomes :math:`0.1\,s_Y`.

Shape
-----
Q1 says "diminishing returns" only from a test of curvature. With :math:`\hat f` the smooth
curve of :func:`~lbc_eval.questions.mentoring.fit_dose_response` (:math:`\hat f(c) =
B(c)'\hat\beta`) and :math:`m` the median contacts of the mentored child-terms (rounded, at
least 1), :func:`curvature` estimates

.. math:: \kappa = [f(2m) - f(m)] - [f(m) - f(0)] = (B(2m) - 2B(m) + B(0))'\beta,

the change the second :math:`m` contacts bring minus the change the first :math:`m` bring. It
is 0 for any straight line, and linear in :math:`\beta`, so it is tested by the kit's rule
(wild cluster bootstrap with fewer than 50 schools). The brief states a shape only when its
interval excludes 0 *and* the AME's verdict is ``improves`` or ``worsens``: with
:math:`\operatorname{sign}(\kappa) = -\operatorname{sign}(\text{AME})` the change per contact
shrinks with more contacts ("diminishing returns" when it improves), with the same sign it
grows. Otherwise no shape sentence.

The naive comparison
--------------------
The cross-section across children (``ame_naive``) is set against the within estimate by their
intervals only: "the opposite sign" when both exclude 0 on opposite sides, "the same
direction" when on the same side, and otherwise only that it is not an effect estimate.

Recommendations
---------------
Each action of the plan follows the verdict of its estimate (:data:`RECOMMEND`): ``pairing``
from Q1, ``teacher_training`` from Q2, ``publicity`` from Q3 (the verdict the simple ATT and
the dynamic overall share; when they differ, ``too_imprecise``, saying so). Q1 describes
children already paired: no recommendation extends it to unpaired children.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data import labels

__all__ = [
    "CHECKS",
    "COLUMNS",
    "DIRECTION",
    "RECOMMEND",
    "SESOI_MOVED_PP",
    "SESOI_PER_CONTACT_SD",
    "SESOI_SD",
    "VERDICTS",
    "curvature",
    "dose_findings",
    "findings_table",
    "markdown",
    "policy_findings",
    "recommendation",
    "rules_table",
    "training_findings",
    "verdict",
]

VERDICTS = ("improves", "worsens", "no_clear_effect", "too_imprecise", "not_credible")
#: +1: higher is better; -1: lower is better (``moved``: the enrolment policy's aim).
DIRECTION = {"sdq_total": -1, "math": 1, "chinese": 1, "attendance": 1, "moved": 1}
#: SESOI of a whole exposure (a term of mentoring, a school's share 0 -> 1), in SD of the outcome.
SESOI_SD = 0.10
#: Contacts in a typical mentored term (the records' mean; the generator's default).
TYPICAL_CONTACTS = 5
#: SESOI of Q1's AME per contact, in SD of the outcome: a term's 0.1 SD over five contacts.
SESOI_PER_CONTACT_SD = SESOI_SD / TYPICAL_CONTACTS
#: SESOI of the policy's effect on moving to the parents, in percentage points.
SESOI_MOVED_PP = 2.0
#: The design checks of each question's estimates (``diagnostics["check"]``).
CHECKS = {
    "Q1": ("lead_placebo", "iv_vs_within"),
    "Q2": ("schools", "lead_placebo"),
    "Q3": ("pretest", "treated_destinations"),
}
#: Design checks by name, in Chinese (the checks' own messages are in English).
CHECKS_ZH = {
    "lead_placebo": "前导安慰剂检验",
    "first_stage": "工具变量第一阶段强度",
    "iv_vs_within": "工具变量与儿童内部估计的一致性",
    "schools": "学校数",
    "pretest": "平行趋势预检验",
    "treated_destinations": "实施政策的务工地数",
}
CHECKS_EN = {
    "lead_placebo": "lead placebo",
    "first_stage": "first stage",
    "iv_vs_within": "supply-IV vs within",
    "schools": "schools",
    "pretest": "pre-trend test",
    "treated_destinations": "adopting destinations",
}
VERDICT_LABELS = labels.VERDICTS
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
#: outcome -> (name zh, name en, unit zh, unit en, digits, verbs zh (down, up)).
OUTCOME_TEXT = {
    "sdq_total": ("SDQ 困难总分", "SDQ total difficulties score", "分", "points", 2,
                  ("减少", "增加")),
    "math": ("数学成绩", "math score", "个标准差", "SD", 2, ("降低", "提高")),
    "chinese": ("语文成绩", "Chinese score", "个标准差", "SD", 2, ("降低", "提高")),
    "attendance": ("出勤率", "attendance rate", "", "", 3, ("降低", "提高")),
    "moved": ("已随父母迁居的比例", "share who had moved to live with their parents",
              "个百分点", "percentage points", 1, ("降低", "提高")),
}  # fmt: skip


# --- the verdict ------------------------------------------------------------------------


def verdict(
    conf_low: float, conf_high: float, *, sesoi: float, better: int, failed: bool = False
) -> str:
    """The verdict of one estimate from its interval (module docstring, "The verdict rules").

    Parameters
    ----------
    conf_low, conf_high : float
        The estimate's interval (NaN: not computed, ``too_imprecise``).
    sesoi : float
        The smallest effect of interest, > 0, in the estimate's units.
    better : {1, -1}
        The direction that is an improvement (:data:`DIRECTION`).
    failed : bool
        Whether a design check of the estimate failed.

    Returns
    -------
    str
        One of :data:`VERDICTS`.
    """
    if better not in (1, -1):
        raise ValueError(f"better must be 1 or -1, not {better!r}")
    if not sesoi > 0:
        raise ValueError(f"sesoi must be positive, not {sesoi!r}")
    if failed:
        return "not_credible"
    lo, hi = float(conf_low), float(conf_high)
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "too_imprecise"
    if lo > hi:
        raise ValueError(f"conf_low {lo} is above conf_high {hi}")
    if lo > 0 or hi < 0:
        side = 1 if lo > 0 else -1
        return "improves" if side == better else "worsens"
    if -sesoi < lo and hi < sesoi:
        return "no_clear_effect"
    return "too_imprecise"


def failed_checks(diagnostics: pd.DataFrame | None, checks: Iterable[str]) -> list[str]:
    """The checks among ``checks`` whose ``passed`` is False (NA is not a failure)."""
    if diagnostics is None or diagnostics.empty:
        return []
    wanted = set(checks)
    d = diagnostics[diagnostics["check"].isin(wanted)]
    return [str(c) for c in d.loc[d["passed"].eq(False).fillna(False), "check"]]


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


# --- the rules --------------------------------------------------------------------------


def sesoi_of(kind: str, outcome: str, sd: Mapping[str, float]) -> float:
    """The SESOI of an estimate, in the units of its row: ``"per_contact"`` (Q1's AME),
    ``"exposure"`` (Q2, and Q3 on outcomes other than ``moved``) or ``"policy"`` (Q3)."""
    if kind == "policy" and outcome == "moved":
        return SESOI_MOVED_PP
    s = float(sd.get(outcome, np.nan))
    if not np.isfinite(s) or s <= 0:
        raise ValueError(f"no standard deviation of {outcome!r} to set its SESOI from")
    return (SESOI_PER_CONTACT_SD if kind == "per_contact" else SESOI_SD) * s


def rules_table(sd: Mapping[str, float], *, lang: str = "en") -> pd.DataFrame:
    """The rules behind the verdicts: per measure, the direction of improvement, the SESOI in
    the estimate's units and its basis (the cohort's outcome SDs in ``sd``)."""
    zh = lang == "zh"
    rows = []
    specs = [
        ("Q1", "ame", "sdq_total", "per_contact",
         "0.02 SD per contact: 0.1 SD for a term's mentoring over its typical 5 contacts",
         "每次帮扶 0.02 个标准差：一学期帮扶至少应带来 0.1 个标准差的变化，"
         "按一学期通常 5 次帮扶分摊"),
        ("Q2", "trained_share", "math", "exposure",
         "0.1 SD for the whole staff trained (share 0 -> 1)",
         "全体教师受训（比例从 0 到 1）带来 0.1 个标准差"),
        ("Q3", "simple / dynamic", "moved", "policy",
         "2 percentage points: about 0.1 SD of a binary outcome near 5%, the share who move "
         "without the policy over a few terms",
         "2 个百分点：约为发生率 5% 左右的二元结局的 0.1 个标准差"
         "（无政策时几个学期内随父母迁居的比例）"),
    ]  # fmt: skip
    for q, measure, outcome, kind, basis_en, basis_zh in specs:
        name_zh, name_en, unit_zh, unit_en, *_ = OUTCOME_TEXT[outcome]
        try:
            s = sesoi_of(kind, outcome, sd)
        except ValueError:
            s = np.nan
        better = DIRECTION[outcome]
        rows.append(
            {
                "question": q,
                "measure": measure,
                "outcome": name_zh if zh else name_en,
                "better": ("越低越好" if better < 0 else "越高越好")
                if zh
                else ("lower" if better < 0 else "higher"),
                "sesoi": s,
                "unit": unit_zh if zh else unit_en,
                "outcome_sd": float(sd.get(outcome, np.nan)),
                "basis": basis_zh if zh else basis_en,
            }
        )
    out = pd.DataFrame(rows)
    if zh:
        out = out.rename(columns={"question": "问题", "measure": "估计量", "outcome": "结局",
                                  "better": "改善方向", "sesoi": "最小有意义效应",
                                  "unit": "单位", "outcome_sd": "结局标准差",
                                  "basis": "依据"})  # fmt: skip
    return out


# --- sentences --------------------------------------------------------------------------


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


# --- Q1 ---------------------------------------------------------------------------------


def _dose_basis(dose: Any) -> Any:
    """The smooth curve's basis function, rebuilt from ``tables["basis"]``."""
    from lbc_eval.questions.dose_curve import natural_spline, saturation

    b = dose.tables["basis"]
    if (b["spline"] == "natural").all():
        knots = [float(k) for k in b["knot"]]
        return lambda x: natural_spline(x, knots)
    scale = float(b["scale"].iloc[0])
    return lambda x: saturation(x, scale)


def curvature(dose: Any, *, seed: int | None = 0, reps: int = 999) -> pd.DataFrame:
    r"""The curvature contrast of Q1's smooth dose-response curve (module docstring, "Shape").

    :math:`\hat\kappa = (B(2m) - 2B(m) + B(0))'\hat\beta` on the within fit of the smooth curve
    (``dose.raw["smooth"]``), :math:`m` the median dose of the naive fit's child-terms (rounded,
    at least 1), tested by the kit's rule (:func:`~lbc_eval.estimation.inference.rule.
    linear_rows`: the restricted wild cluster bootstrap, ``reps`` draws, with fewer than 50
    clusters; CRV1 :math:`t(G-1)` otherwise).

    Returns
    -------
    DataFrame
        One row: the tidy columns (``term`` = ``"curvature"``), ``m``, ``first``
        (:math:`\hat f(m) - \hat f(0)`) and ``second`` (:math:`\hat f(2m) - \hat f(m)`).
    """
    from lbc_eval.estimation.inference.rule import BootOptions, linear_rows

    smooth, naive = dose.raw["smooth"], dose.raw["naive"]
    basis = _dose_basis(dose)
    doses = naive.design.X[:, list(naive.design.names).index("dose")]
    m = max(1, int(round(float(np.median(doses)))))
    k = basis(np.zeros(1)).shape[1]
    at = basis(np.array([0.0, m, 2.0 * m]))

    def contrast(w: np.ndarray) -> np.ndarray:
        r = np.zeros(len(smooth.names))
        r[:k] = w
        return r

    R = contrast(at[2] - 2 * at[1] + at[0])
    rows = linear_rows({"curvature": (smooth, R)}, fit=smooth, inference="auto",
                       boot=BootOptions(reps=reps, seed=seed), alpha=dose.alpha,
                       outcome=dose.outcome)  # fmt: skip
    out = rows.table.copy()
    out["m"] = m
    out["first"] = float(contrast(at[1] - at[0]) @ smooth.coef)
    out["second"] = float(contrast(at[2] - at[1]) @ smooth.coef)
    out["cov_type"] = rows.cov_type
    return out


def _relation(a_lo: float, a_hi: float, b_lo: float, b_hi: float) -> str:
    """``opposite``/``same`` when both intervals exclude 0 (on opposite / the same side),
    else ``unclear``."""

    def side(lo: float, hi: float) -> int:
        return 1 if lo > 0 else -1 if hi < 0 else 0

    a, b = side(a_lo, a_hi), side(b_lo, b_hi)
    if a == 0 or b == 0:
        return "unclear"
    return "same" if a == b else "opposite"


def naive_sentences(
    within: tuple[float, float], naive: tuple[float, float, float], *, outcome: str,
    level: float,
) -> tuple[str, str, str]:  # fmt: skip
    """(relation, zh, en): the naive cross-section's interval relative to the within one."""
    _, _, unit_zh, unit_en, d, _ = OUTCOME_TEXT[outcome]
    est, lo, hi = naive
    rel = _relation(within[0], within[1], lo, hi)
    ci_zh = f"{_f(est, d)} {unit_zh}（{_ci(lo, hi, d, level, zh=True)}）"
    ci_en = f"{_f(est, d)} {unit_en} ({_ci(lo, hi, d, level, zh=False)})"
    better = DIRECTION.get(outcome, 1)
    if rel == "opposite":
        naive_good = (lo > 0) == (better > 0)
        seems_zh = "帮扶有益" if naive_good else "帮扶有害"
        seems_en = "contacts help" if naive_good else "contacts harm"
        zh = (f"若只比较不同儿童（简单横截面比较），每多一次帮扶对应 {ci_zh}，"
              f"与儿童内部估计方向相反："
              f"帮扶人员更多联系困难较多的儿童，这种比较会让人误以为{seems_zh}。")  # fmt: skip
        en = (f"Comparing different children instead (the naive cross-section) gives {ci_en} "
              f"per contact, the opposite sign to the within-child estimate: mentors see needier "
              f"children more, so that comparison would suggest {seems_en}.")  # fmt: skip
    elif rel == "same":
        zh = (f"若只比较不同儿童（简单横截面比较），每多一次帮扶对应 {ci_zh}，"
              f"与儿童内部估计方向相同；"
              f"但帮扶对象并非随机，这种比较不作为效应估计。")  # fmt: skip
        en = (f"Comparing different children instead (the naive cross-section) gives {ci_en} "
              f"per contact, the same direction as the within-child estimate; mentors do not "
              f"see children at random, so it is not used as the effect.")  # fmt: skip
    else:
        zh = (f"若只比较不同儿童（简单横截面比较），每多一次帮扶对应 {ci_zh}；"
              f"两个区间并未显示相反方向。"
              f"帮扶对象并非随机，这种比较不作为效应估计。")  # fmt: skip
        en = (f"Comparing different children instead (the naive cross-section) gives {ci_en} "
              f"per contact; the two intervals do not show opposite directions. Mentors do not "
              f"see children at random, so it is not used as the effect.")  # fmt: skip
    return rel, zh, en


def shape_sentences(shape: pd.Series, ame_verdict: str, ame_estimate: float, *,
                    outcome: str, level: float) -> tuple[bool, str, str]:  # fmt: skip
    """(stated, zh, en): the shape sentence, stated only when the curvature interval excludes
    0 and the AME has a direction (``improves``/``worsens``)."""
    _, _, unit_zh, unit_en, d, _ = OUTCOME_TEXT[outcome]
    m = int(shape["m"])
    k, lo, hi = float(shape["estimate"]), float(shape["conf_low"]), float(shape["conf_high"])
    ci_zh, ci_en = _ci(lo, hi, d, level, zh=True), _ci(lo, hi, d, level, zh=False)
    first, second = float(shape["first"]), float(shape["second"])
    rejects = np.isfinite(lo) and (lo > 0 or hi < 0)
    if not (rejects and ame_verdict in ("improves", "worsens")):
        zh = (f"数据不足以判断每次帮扶的效应是否随帮扶次数变化（曲率差值 {_f(k, d)} {unit_zh}，"
              f"{ci_zh}）。")  # fmt: skip
        en = (f"These data do not settle whether the change per contact depends on the number "
              f"of contacts (curvature contrast {_f(k, d)} {unit_en}, {ci_en}).")  # fmt: skip
        return False, zh, en
    shrinks = np.sign(k) == -np.sign(ame_estimate)
    steps_zh = (f"前 {m} 次帮扶使{OUTCOME_TEXT[outcome][0]}变化 {_f(first, d)} {unit_zh}，"
                f"其后 {m} 次变化 {_f(second, d)} {unit_zh}"
                f"（差值 {_f(k, d)}，{ci_zh}，曲率检验拒绝直线）")  # fmt: skip
    steps_en = (f"the first {m} contacts change the {OUTCOME_TEXT[outcome][1]} by "
                f"{_f(first, d)} {unit_en}, the next {m} by {_f(second, d)} (difference "
                f"{_f(k, d)}, {ci_en}; the curvature test rejects a straight line)")  # fmt: skip
    if ame_verdict == "improves":
        head_zh = "边际效应递减" if shrinks else "边际效应递增"
        head_en = "Returns diminish" if shrinks else "Returns increase"
    else:
        head_zh = "每次帮扶带来的变化随次数增加而" + ("减小" if shrinks else "增大")
        head_en = (
            "The change per contact " + ("shrinks" if shrinks else "grows") + " with more contacts"
        )
    return True, f"{head_zh}：{steps_zh}。", f"{head_en}: {steps_en}."


def dose_findings(dose: Any, *, sd: Mapping[str, float],
                  shape: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    """Q1's rows: the AME (``effect``), the naive comparison (``comparison``) and, with
    ``shape`` (:func:`curvature`), the shape (``shape``)."""
    outcome = dose.outcome
    better = DIRECTION[outcome]
    level = _level(dose)
    r = _tidy_row(dose, "ame")
    est, lo, hi = float(r["estimate"]), float(r["conf_low"]), float(r["conf_high"])
    s = sesoi_of("per_contact", outcome, sd)
    failed = failed_checks(dose.diagnostics, CHECKS["Q1"])
    v = verdict(lo, hi, sesoi=s, better=better, failed=bool(failed))
    name_zh, name_en, *_ = OUTCOME_TEXT[outcome]
    zh, en = effect_sentences(
        v, est=est, lo=lo, hi=hi, sesoi=s, outcome=outcome, better=better,
        what_zh="已结对儿童某学期每多一次帮扶",
        what_en="For a paired child, one more mentoring contact in a term",
        label=("平均边际效应", "average marginal effect"),
        noun_en="one more mentoring contact in a term", of_zh=f"下学期{name_zh}",
        of_en=f"the next term's {name_en}", level=level, failed=failed,
    )  # fmt: skip
    G = int(dose.n_clusters or 0)
    pop_zh = (f"已与帮扶人员结对的儿童：比较同一名儿童帮扶次数不同的学期"
              f"（{dose.nobs:,} 个儿童-学期，{G} 所学校）；平均边际效应按这些儿童实际的帮扶次数"
              f"计算，不适用于尚未结对的儿童")  # fmt: skip
    pop_en = (f"children paired with a mentor: the same child's terms with more and fewer "
              f"contacts ({dose.nobs:,} child-terms, {G} schools); the AME is over their observed "
              f"contacts and does not extend to unpaired children")  # fmt: skip
    ass_zh = ("同一名儿童各学期帮扶次数的变化与其下学期状况无关（主要来自各校志愿者供给的变化），"
              "而不是帮扶人员在儿童状况不好的学期多去；前导安慰剂检验用于检查这一点")  # fmt: skip
    ass_en = ("contacts vary within a child for reasons unrelated to the child's next-term "
              "outcome (mainly the school's volunteer supply), not because mentors respond to a "
              "bad term; the lead placebo checks it")  # fmt: skip
    common = dict(question="Q1", outcome=outcome, population_zh=pop_zh, population_en=pop_en,
                  assumption_zh=ass_zh, assumption_en=ass_en,
                  **_both("checks", checks_text, dose.diagnostics, CHECKS["Q1"]))  # fmt: skip
    unit = OUTCOME_TEXT[outcome][3] + " per contact"
    rows = [
        _row(
            **common,
            measure="ame",
            kind="effect",
            unit=unit,
            estimate=est,
            conf_low=lo,
            conf_high=hi,
            sesoi=s,
            verdict=v,
            text_zh=zh,
            text_en=en,
            action="pairing",
            **_both("recommendation", recommendation, "pairing", v),
        )  # fmt: skip
    ]
    if "ame_naive" in set(dose.tidy()["term"]):
        n = _tidy_row(dose, "ame_naive")
        nv = (float(n["estimate"]), float(n["conf_low"]), float(n["conf_high"]))
        rel, nzh, nen = naive_sentences((lo, hi), nv, outcome=outcome, level=level)
        rows.append(_row(**{**common, "population_zh": "所有结对儿童-学期之间的横截面比较",
                            "population_en": "a cross-section across paired child-terms",
                            "assumption_zh": "无（不同儿童之间的比较，受帮扶对象选择的影响）",
                            "assumption_en": "none (a comparison across children, confounded "
                            "by whom mentors see)"},
                         measure="ame_naive", kind="comparison", unit=unit, estimate=nv[0],
                         conf_low=nv[1], conf_high=nv[2], text_zh=nzh, text_en=nen))  # fmt: skip
    if shape is not None and len(shape):
        sr = shape.iloc[0]
        stated, szh, sen = shape_sentences(sr, v, est, outcome=outcome, level=level)
        rows.append(_row(**common, measure="curvature", kind="shape",
                         unit=OUTCOME_TEXT[outcome][3], estimate=float(sr["estimate"]),
                         conf_low=float(sr["conf_low"]), conf_high=float(sr["conf_high"]),
                         text_zh=szh, text_en=sen, brief=stated))  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))


# --- Q2 ---------------------------------------------------------------------------------


def training_findings(training: Any, *, sd: Mapping[str, float],
                      years: tuple[int, int] | None = None) -> pd.DataFrame:  # fmt: skip
    """Q2's row: the effect of a school's trained-teacher share going from 0 to 1."""
    from lbc_eval.estimation.inference.rule import FEW_CLUSTERS

    outcome = training.outcome
    better = DIRECTION[outcome]
    term = next(t for t in training.tidy()["term"] if ":" not in str(t))
    r = _tidy_row(training, term)
    est, lo, hi = float(r["estimate"]), float(r["conf_low"]), float(r["conf_high"])
    s = sesoi_of("exposure", outcome, sd)
    failed = failed_checks(training.diagnostics, CHECKS["Q2"])
    v = verdict(lo, hi, sesoi=s, better=better, failed=bool(failed))
    name_zh, name_en, *_ = OUTCOME_TEXT[outcome]
    zh, en = effect_sentences(
        v, est=est, lo=lo, hi=hi, sesoi=s, outcome=outcome, better=better,
        what_zh="学校受训教师比例从 0 提高到 1",
        what_en="A school's trained-teacher share going from 0 to 1",
        noun_en="a school's trained-teacher share going from 0 to 1",
        of_zh=f"该校学生的{name_zh}", of_en=f"its children's {name_en}", level=_level(training),
        failed=failed,
    )  # fmt: skip
    G = int(training.n_clusters or 0)
    few = G < FEW_CLUSTERS
    span_zh = f"{years[0]}–{years[1]} 学年" if years else "各学年"
    span_en = f"school years {years[0]}–{years[1]}" if years else "the years observed"
    pop_zh = (f"全县 {G} 所学校{span_zh}的全部学生，比较同一所学校不同年份"
              + (f"；仅 {G} 所学校，少于 {FEW_CLUSTERS} 所，置信区间由聚类野自助法"
                 f"（wild cluster bootstrap）计算" if few else ""))  # fmt: skip
    pop_en = (f"all children of the county's {G} schools, {span_en}, each school compared with "
              f"itself across years"
              + (f"; only {G} schools, fewer than {FEW_CLUSTERS}: intervals by the wild "
                 f"cluster bootstrap" if few else ""))  # fmt: skip
    ass_zh = ("没有与培训进度相关的学校特有趋势（培训较早的学校并非因其他原因本来就在进步）；"
              "前导安慰剂检验用于检查这一点")  # fmt: skip
    ass_en = (
        "no school-specific trend correlated with training uptake (schools that train "
        "earlier are not also improving for other reasons); the lead placebo checks it"
    )
    return pd.DataFrame([
        _row(question="Q2", measure=term, kind="effect", outcome=outcome,
             unit=OUTCOME_TEXT[outcome][3], estimate=est, conf_low=lo, conf_high=hi, sesoi=s,
             verdict=v, text_zh=zh, text_en=en, population_zh=pop_zh, population_en=pop_en,
             assumption_zh=ass_zh, assumption_en=ass_en,
             **_both("checks", checks_text, training.diagnostics, CHECKS["Q2"]),
             action="teacher_training",
             **_both("recommendation", recommendation, "teacher_training", v))
    ], columns=list(COLUMNS))  # fmt: skip


# --- Q3 ---------------------------------------------------------------------------------


def policy_findings(simple: Any, dynamic: Any, *, sd: Mapping[str, float] | None = None
                    ) -> pd.DataFrame:  # fmt: skip
    """Q3's rows: the simple ATT and the dynamic overall (``overall`` rows of the two
    aggregations), each with its verdict; the publicity action follows the verdict they share
    (``too_imprecise`` when they differ)."""
    outcome = dynamic.outcome
    better = DIRECTION[outcome]
    scale = 100.0 if outcome == "moved" else 1.0
    s = sesoi_of("policy", outcome, sd or {})
    failed = failed_checks(dynamic.diagnostics, CHECKS["Q3"])
    d = dynamic.diagnostics
    n_dest = int(dynamic.n_clusters or 0)
    hit = d[d["check"] == "treated_destinations"] if d is not None else pd.DataFrame()
    adopted = int(hit["statistic"].iloc[0]) if len(hit) else None
    events = pd.to_numeric(dynamic.tidy().get("event_time"), errors="coerce")
    e_max = int(events.max()) if events is not None and events.notna().any() else None
    name_zh, name_en, *_ = OUTCOME_TEXT[outcome]
    clus_zh = f"按务工地聚类，共 {n_dest} 个务工地" + (
        f"（其中 {adopted} 个在观察期内实施）" if adopted is not None else ""
    )
    clus_en = f"clustered by destination: {n_dest} destinations" + (
        f" ({adopted} adopted in the window)" if adopted is not None else ""
    )
    base_zh = (
        "第一学期留守、父母务工地在观察期内实施以居住证为主要依据入学政策的儿童（按实施学期分组）"
    )
    base_en = (
        "children left behind in the first term whose parents' destination adopted "
        "residence-permit enrolment in the window (grouped by adoption term)"
    )
    ass_zh = (
        "平行趋势：若没有该政策，父母务工地实施与未实施政策的儿童随父母迁居的比例会同样变化；"
        "平行趋势预检验用于检查这一点；务工地共同的冲击已通过按务工地聚类计入置信区间"
    )
    ass_en = (
        "parallel trends: without the policy, children whose parents' destination adopted "
        "and those whose did not would have moved at the same rate; the pre-trend test "
        "checks it; shocks shared by a destination are in the intervals through "
        "clustering by destination"
    )
    upto_zh = f"第 0 至 {e_max} 个学期" if e_max is not None else "各学期"
    upto_en = f"0 to {e_max} terms" if e_max is not None else "every term"
    specs = {
        "simple": (
            simple,
            "（简单 ATT：对实施后的全部儿童-学期取平均，实施较早的务工地权重更大）",
            " (simple ATT: the average over every treated child-term, so destinations that "
            "adopted earlier count for more)",
        ),
        "dynamic": (
            dynamic,
            f"（动态总体效应：对实施后{upto_zh}各暴露时长等权平均，最长的暴露时长只来自最早实施的"
            f"务工地）",
            f" (dynamic overall: the average over exposures of {upto_en} after adoption, each "
            f"counted equally; the longest rest on the earliest adopters alone)",
        ),
    }  # fmt: skip
    if outcome == "moved":
        of_zh = "这些儿童中已随父母迁居的比例"
        of_en = "the share of these children who had moved to live with their parents"
    else:
        of_zh, of_en = f"这些儿童的{name_zh}", f"these children's {name_en}"
    rows, verdicts = [], {}
    for measure, (res, w_zh, w_en) in specs.items():
        r = _tidy_row(res, "overall")
        est, lo, hi = (scale * float(r[c]) for c in ("estimate", "conf_low", "conf_high"))
        v = verdict(lo, hi, sesoi=s, better=better, failed=bool(failed))
        verdicts[measure] = v
        zh, en = effect_sentences(
            v, est=est, lo=lo, hi=hi, sesoi=s, outcome=outcome, better=better,
            what_zh=f"父母务工地实施以居住证为主要依据的入学政策后{w_zh}",
            what_en=f"Adoption of residence-permit enrolment at the parents' destination{w_en}",
            noun_en=f"adoption of residence-permit enrolment at the parents' destination{w_en}",
            of_zh=of_zh, of_en=of_en, level=_level(res), failed=failed,
        )  # fmt: skip
        rows.append(_row(question="Q3", measure=measure, kind="effect", outcome=outcome,
                         unit=OUTCOME_TEXT[outcome][3], estimate=est, conf_low=lo,
                         conf_high=hi, sesoi=s, verdict=v, text_zh=zh, text_en=en,
                         population_zh=base_zh + "；" + clus_zh,
                         population_en=base_en + "; " + clus_en,
                         assumption_zh=ass_zh, assumption_en=ass_en,
                         **_both("checks", checks_text, d, CHECKS["Q3"])))  # fmt: skip
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    same = verdicts["simple"] == verdicts["dynamic"]
    action_v = verdicts["dynamic"] if same else "too_imprecise"
    rec_zh = recommendation("publicity", action_v, lang="zh")
    rec_en = recommendation("publicity", action_v, lang="en")
    if not same:
        zh_l = {k: VERDICT_LABELS[x][0] for k, x in verdicts.items()}
        en_l = {k: VERDICT_LABELS[x][1] for k, x in verdicts.items()}
        rec_zh = (f"简单 ATT（{zh_l['simple']}）与动态总体效应（{zh_l['dynamic']}）结论不一致，"
                  f"不宜只依据其中一个作计划。" + rec_zh)  # fmt: skip
        rec_en = (
            f"The simple ATT ({en_l['simple']}) and the dynamic overall "
            f"({en_l['dynamic']}) disagree; do not plan on either alone. " + rec_en
        )
    # the action row is the dynamic overall (the event study the brief shows)
    i = out.index[out["measure"] == "dynamic"][0]
    out.loc[i, ["action", "recommendation_zh", "recommendation_en"]] = [
        "publicity",
        zh_spacing(rec_zh),
        rec_en,
    ]
    return out


def publicity_verdict(rows: pd.DataFrame) -> str:
    """The verdict the publicity action follows: the one the simple ATT and the dynamic
    overall share, ``too_imprecise`` when they differ."""
    q3 = rows[(rows["question"] == "Q3") & (rows["kind"] == "effect")].set_index("measure")
    a, b = q3.loc["simple", "verdict"], q3.loc["dynamic", "verdict"]
    return str(a) if a == b else "too_imprecise"


# --- Q4: coverage, scholarships, pilots -------------------------------------------------


def coverage_finding(coverage: pd.DataFrame) -> pd.DataFrame:
    """The last term's share of left-behind children paired with a mentor."""
    last = coverage.iloc[-1]
    share = pd.to_numeric(pd.Series([last.get("share_paired")]), errors="coerce").iloc[0]
    term = str(last.get("term", ""))
    if pd.isna(share):
        zh = f"{term} 学期的结对比例因小单元格规则隐藏。"
        en = f"The share paired in {term} is hidden by the small-cell rule."
    else:
        zh = f"{term} 学期有 {share:.0%} 的留守儿童已结对，{1 - share:.0%} 尚未结对。"
        en = (
            f"In {term}, {share:.0%} of left-behind children were paired with a mentor and "
            f"{1 - share:.0%} were not."
        )
    return pd.DataFrame([_row(question="Q4", measure="share_paired", kind="audit",
                              outcome="mentor_role", unit="share", estimate=float(share),
                              text_zh=zh, text_en=en,
                              population_zh=f"{term} 学期的留守儿童",
                              population_en=f"left-behind children in {term}")],
                        columns=list(COLUMNS))  # fmt: skip


def scholarship_finding(table: pd.DataFrame, *, rule: float = 0.30) -> pd.DataFrame:
    """The school-years below the scholarship rule and the recipients missing, from
    :func:`lbc_eval.publish.audit.scholarships` with ``basis="recipients"`` (unsuppressed)."""
    judged = table[table["meets_rule"].notna()]
    short = judged[judged["meets_rule"].eq(False)]
    n, n_short = len(judged), len(short)
    missing = int(pd.to_numeric(short["shortfall"], errors="coerce").fillna(0).sum())
    if n_short:
        zh = (
            f"{n} 个发放了助学金的学校-年份中，有 {n_short} 个获助学生中留守儿童不足 "
            f"{rule:.0%}；要在这些学校-年份达到 {rule:.0%}，"
            f"共需再增加 {missing} 名留守儿童获助。"
        )
        en = (
            f"{n_short} of {n} school-years with scholarships had fewer than {rule:.0%} "
            f"left-behind children among their recipients; meeting the rule there would have "
            f"needed {missing} more left-behind recipients in all."
        )
    else:
        zh = f"{n} 个发放了助学金的学校-年份，获助学生中留守儿童都达到 {rule:.0%}。"
        en = (
            f"All {n} school-years with scholarships had at least {rule:.0%} left-behind "
            f"children among their recipients."
        )
    return pd.DataFrame([_row(question="Q4", measure="scholarship_shortfall", kind="audit",
                              outcome="scholarship_yuan", unit="recipients",
                              estimate=float(missing), text_zh=zh, text_en=en,
                              population_zh="发放了助学金的学校-年份（按获助人数计）",
                              population_en="school-years with scholarships (by recipients)")],
                        columns=list(COLUMNS))  # fmt: skip


_ACTION_ZH = {
    "pairing": "扩大结对帮扶",
    "counselling": "心理辅导优先",
    "family_guidance": "信息化家庭教育指导",
    "teacher_training": "教师培训",
}
_ACTION_EN = {
    "pairing": "Wider pairing",
    "counselling": "Priority counselling",
    "family_guidance": "ICT family guidance",
    "teacher_training": "Teacher training",
}


def pilot_findings(pilots: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """One ``pilot`` row per action sized by :func:`lbc_eval.questions.workplan.pilot_size`:
    the schools needed set against the county's schools."""
    rows = []
    for p in pilots:
        a, o = p["action"], p["outcome"]
        need, county = int(p["schools_needed"]), int(p["county_schools"])
        name_zh, name_en, *_ = OUTCOME_TEXT[o]
        fits = need <= county
        mde = float(p.get("mde_all_schools", np.nan))
        over_zh = ("，全县学校足够" if fits else
                   "，超过全县学校数" + (f"：全县学校全部参与时最小可检出效应为 {mde:.2f} "
                                         f"个标准差" if np.isfinite(mde) else ""))  # fmt: skip
        over_en = ("; the county has enough" if fits else
                   "; more than the county has" + (f": randomising all of them detects "
                                                   f"{mde:.2f} SD at best"
                                                   if np.isfinite(mde) else ""))  # fmt: skip
        zh = (f"{_ACTION_ZH.get(a, a)}：要以 {p['power']:.0%} 的把握检出{name_zh} "
              f"{p['effect_detected_sd']:.2f} 个标准差的变化，约需随机分配 {need} 所学校"
              f"（组内相关系数 {p['icc']:.3f}，R² {p['r2_cluster']:.2f}）；全县共 {county} 所"
              f"{over_zh}")  # fmt: skip
        en = (f"{_ACTION_EN.get(a, a)}: to detect a {p['effect_detected_sd']:.2f} SD change in "
              f"the {name_en} with {p['power']:.0%} power, about {need} schools would be "
              f"randomised (ICC {p['icc']:.3f}, R² {p['r2_cluster']:.2f}); the county has "
              f"{county}{over_en}")  # fmt: skip
        rows.append(_row(question="Q4", measure=f"pilot:{a}", kind="pilot", outcome=o,
                         unit="schools", estimate=float(need), text_zh=zh, text_en=en,
                         population_zh=f"全县 {county} 所学校", population_en=f"the county's "
                         f"{county} schools", assumption_zh=p.get("basis", ""),
                         assumption_en=p.get("basis", ""), action=a))  # fmt: skip
    return pd.DataFrame(rows, columns=list(COLUMNS))


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


def pilot_clause(p: Mapping[str, Any]) -> tuple[str, str]:
    """(zh, en): the pilot's size against the county's schools, appended to a recommendation
    that asks for an evaluation."""
    need, county = int(p["schools_needed"]), int(p["county_schools"])
    eff, mde = float(p["effect_detected_sd"]), float(p.get("mde_all_schools", np.nan))
    if need <= county:
        return (f"（检出 {eff:.2f} 个标准差约需 {need} 所学校，全县共 {county} 所。）",
                f" (Detecting {eff:.2f} SD needs about {need} schools; the county has "
                f"{county}.)")  # fmt: skip
    at_best_zh = f"，全县学校全部参与也只能检出 {mde:.2f} 个标准差" if np.isfinite(mde) else ""
    at_best_en = f"; all of them detect {mde:.2f} SD at best" if np.isfinite(mde) else ""
    return (f"（检出 {eff:.2f} 个标准差约需 {need} 所学校，全县只有 {county} 所{at_best_zh}。）",
            f" (Detecting {eff:.2f} SD needs about {need} schools; the county has only "
            f"{county}{at_best_en}.)")  # fmt: skip


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
