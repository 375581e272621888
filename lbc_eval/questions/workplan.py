"""Question Q4: from the estimates to next year's work plan, in plain language.

:func:`evidence` runs what the plan needs on a cohort — the mentoring dose-response (Q1), the
teacher-training effect (Q2), the enrolment policy's event study (Q3), coverage and the
scholarship rule, and the ICCs of the outcomes — and :func:`actions` maps them to the four
actions of the bureau's next-year plan with, for each, the pilot needed to detect a plausible
effect (:func:`lbc_eval.pilot.power.solve`, schools randomised). :func:`findings_markdown` writes it
in Chinese or English.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lbc_eval.data import labels
from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import FewClustersWarning
from lbc_eval.estimation.inference.rule import FEW_CLUSTERS
from lbc_eval.questions.inputs import cohort_of

#: Plausible effects (SD of the outcome) a pilot should detect, with their basis.
PLAUSIBLE = {
    "pairing": (0.15, "sdq_total", "about the effect of a typical term of mentoring in Q1"),
    "counselling": (0.20, "sdq_total", "counselling/care trials (literature.md, assumption)"),
    "family_guidance": (0.10, "sdq_total", "half the counselling effect (assumption)"),
    "teacher_training": (0.10, "math", "twice the upper end of Loyalka et al. 2019's range"),
}
#: Share of the children measured in a pilot school whom each action reaches (assumption:
#: the pilot measures the children the action is for, so all of them).
REACH = {a: 1.0 for a in PLAUSIBLE}
#: The least ICC a pilot is planned with, whatever the data say (small samples understate it).
ICC_FLOOR = 0.02


@dataclass
class Evidence:
    """What the work plan rests on; every number carries its interval."""

    cohort_label: str
    dose: Any
    training: Any
    policy: Any
    coverage: pd.DataFrame
    shortfalls: pd.DataFrame
    scholarship_rows: int
    icc: dict[str, Any] = field(default_factory=dict)
    #: The county's schools (with children in the panel): the most a pilot can randomise.
    n_schools: int = 0


def evidence(data: Cohort, *, seed: int = 0, reps: int = 999) -> Evidence:
    """Run the estimates the work plan needs on a cohort.

    Parameters
    ----------
    data : Cohort
        The cohort (panel, schools and destinations).
    seed : int
        Seed of the wild bootstraps (Q1, Q2).
    reps : int
        Their draws.

    Returns
    -------
    Evidence
        The Q1 dose-response on SDQ, the Q2 training effect on math, the Q3 dynamic
        aggregation of the policy's effect on moving, coverage, scholarship shortfalls and ICCs.
    """
    from lbc_eval.pilot.icc import icc_from_cohort
    from lbc_eval.publish.audit import coverage, scholarship_shortfalls, scholarships
    from lbc_eval.questions.enrolment import fit_policy
    from lbc_eval.questions.mentoring import fit_dose_response
    from lbc_eval.questions.training import fit_training

    cohort = cohort_of(data, needs="schools and destinations tables")
    panel = cohort.panel
    with warnings.catch_warnings():  # the results' notes say how few clusters changed inference
        warnings.simplefilter("ignore", FewClustersWarning)
        dose = fit_dose_response(cohort, outcome="sdq_total", seed=seed, reps=reps)
        training = fit_training(cohort, outcome="math", seed=seed, reps=reps, multilevel=None)
    policy = fit_policy(cohort, outcome="moved").aggregate("dynamic")
    cov = coverage(panel, by="term", k=10)
    rows = scholarships(panel)
    short = scholarship_shortfalls(panel)
    icc = {o: icc_from_cohort(cohort, outcome=o) for o in ("sdq_total", "math")}
    return Evidence(
        cohort_label=repr(cohort),
        dose=dose,
        training=training,
        policy=policy,
        coverage=cov,
        shortfalls=short,
        scholarship_rows=len(rows),
        icc=icc,
        n_schools=int(panel["school_id"].nunique()),
    )


def _interval(result: Any, term: str, scale: float = 1.0, digits: int = 2) -> str:
    row = result.tidy().set_index("term").loc[term]
    est, lo, hi = (scale * row[c] for c in ("estimate", "conf_low", "conf_high"))
    return f"{est:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def pilot_size(
    ev: Evidence,
    action: str,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    share_reached: float | None = None,
) -> dict:
    """Schools a school-randomised pilot needs to detect the action's plausible effect, with
    every assumption the size rests on.

    Returns the row of :func:`lbc_eval.pilot.plan.pilot_plan` (ICC, R² used and the schools it
    was estimated from — 0 below :data:`~lbc_eval.pilot.plan.MIN_SCHOOLS_R2` schools, with a
    note —, share reached, effect in SD, alpha, power, children per school, schools needed,
    the county's school count and the MDE of a pilot randomising all of them, half treated)
    with ``action``, ``outcome`` and ``basis`` first.
    """
    from lbc_eval.pilot.plan import pilot_plan

    effect, outcome, basis = PLAUSIBLE[action]
    county = ev.n_schools or int(ev.training.n_clusters or 0)
    plan = pilot_plan(
        ev.icc[outcome],
        effect=effect,
        county_schools=county,
        share_reached=REACH[action] if share_reached is None else share_reached,
        power=power,
        alpha=alpha,
        icc_floor=ICC_FLOOR,
    )
    return {"action": action, "outcome": outcome, "basis": basis, **plan}


#: The pilot-size columns :func:`actions` shows (assumptions beside the size).
PILOT_COLUMNS = (
    "pilot_outcome",
    "effect_sd",
    "share_reached",
    "icc",
    "r2_cluster",
    "r2_individual",
    "alpha",
    "power",
    "children_per_school",
    "schools_needed",
    "county_schools",
    "mde_all_schools",
    "pilot_notes",
)


ACTIONS = ("pairing", "counselling", "family_guidance", "publicity", "teacher_training")
_NAMES = {
    "pairing": ("扩大结对帮扶覆盖面", "Widen mentor pairing"),
    "counselling": ("心理辅导优先", "Priority access to counselling"),
    "family_guidance": ("信息化家庭教育指导", "ICT-based family-education guidance"),
    "publicity": ("宣传随迁子女入学政策", "Publicise migrant-child enrolment"),
    "teacher_training": ("继续并评估教师培训", "Keep, and evaluate, teacher training"),
}


def actions(ev: Evidence, *, lang: str = "zh") -> pd.DataFrame:
    """One row per next-year action: the evidence behind it and the pilot it would need."""
    labels.check_lang(lang)
    i = 0 if lang == "zh" else 1
    last = ev.coverage.iloc[-1]
    rows = []
    for a in ACTIONS:
        name = _NAMES[a][i] if lang != "both" else " ".join(_NAMES[a])
        evid = _evidence_text(ev, a, last, zh=lang != "en")
        row = {"action": name, "evidence": evid}
        if a in PLAUSIBLE:
            p = pilot_size(ev, a)
            p = {**p, "pilot_outcome": p["outcome"], "pilot_notes": p["notes"]}
            row.update({c: p[c] for c in PILOT_COLUMNS})
        rows.append(row)
    out = pd.DataFrame(rows)
    for c in ("schools_needed", "children_per_school", "county_schools"):
        if c in out:
            out[c] = out[c].astype("Int64")
    if lang == "zh":
        out = out.rename(columns=_HEADERS_ZH)
    return out


_HEADERS_ZH = {
    "action": "措施",
    "evidence": "依据（估计值 [95% 置信区间]）",
    "pilot_outcome": "试点结局",
    "effect_sd": "拟检出效应（标准差）",
    "share_reached": "覆盖儿童比例（假设）",
    "icc": "组内相关系数",
    "r2_cluster": "协变量 R²（学校层）",
    "r2_individual": "协变量 R²（儿童层）",
    "alpha": "显著性水平",
    "power": "检验效能",
    "schools_needed": "需随机分配学校数",
    "children_per_school": "每校儿童数",
    "county_schools": "全县学校数",
    "mde_all_schools": "全县学校参与时的最小可检出效应（标准差）",
    "pilot_notes": "说明",
}


def _evidence_text(ev: Evidence, action: str, last: pd.Series, *, zh: bool) -> str:
    if action == "pairing":
        ame = _interval(ev.dose, "ame")
        return (
            f"结对比例 {last['share_paired']:.2f}；多一次帮扶对 SDQ 的平均边际效应 {ame}"
            if zh
            else f"paired share {last['share_paired']:.2f}; AME of one more contact on SDQ {ame}"
        )
    if action == "counselling":
        return (
            "获得情况见第 1 本笔记；现有记录无法估计因果效应"
            if zh
            else "access gap in notebook 1; no causal estimate in these records"
        )
    if action == "family_guidance":
        return "新措施：尚无记录" if zh else "new: no records yet"
    if action == "publicity":
        pol = _interval(ev.policy, "overall")
        return (
            f"政策使随父母迁居的比例变化 {pol}"
            if zh
            else f"policy effect on moving with parents {pol}"
        )
    train = _interval(ev.training, "trained_share")
    return (
        f"受训比例对数学成绩 {train}（学校固定效应）"
        if zh
        else f"trained share -> math {train} (school FE)"
    )


#: Design checks by name, in Chinese (the checks' own messages are in English).
CHECKS_ZH = {
    "lead_placebo": "前导安慰剂检验",
    "first_stage": "工具变量第一阶段强度",
    "iv_vs_within": "工具变量与儿童内部估计的一致性",
    "schools": "学校数",
    "pretest": "平行趋势预检验",
    "treated_destinations": "实施政策的务工地数",
}


def checks_line(ev: Evidence, *, lang: str = "zh") -> str:
    """One line on the design checks of Q1-Q3, from each result's diagnostics: which failed
    (with what it means) or that all that could be computed passed."""
    parts = []
    for q, result in (("Q1", ev.dose), ("Q2", ev.training), ("Q3", ev.policy)):
        d = result.diagnostics
        failed = d[d["passed"].eq(False).fillna(False)]
        judged = int(d["passed"].notna().sum())
        if lang == "en":
            passed = ("no check could be computed" if judged == 0 else "its check passed"
                      if judged == 1 else f"all {judged} checks passed")  # fmt: skip
            parts.append(f"{q}: " + ("; ".join(f"{r.check} FAILED ({r.message})" for r in
                                               failed.itertuples(index=False))
                                     if len(failed) else passed))  # fmt: skip
        else:
            names = "、".join(CHECKS_ZH.get(c, c) for c in failed["check"])
            passed = "无可计算的检验" if judged == 0 else f"{judged} 项检验全部通过"
            parts.append(f"{q}：" + (f"未通过：{names}" if len(failed) else passed))
    if lang == "en":
        return "- **Design checks.** " + "; ".join(parts) + "."
    return "- **设计检验**：" + "；".join(parts) + "。"


def findings_markdown(ev: Evidence, *, lang: str = "zh") -> str:
    """The findings in plain language, mapped to the plan (Markdown, Chinese or English)."""
    labels.check_lang(lang)
    dose_ame = _interval(ev.dose, "ame")
    naive = _interval(ev.dose, "ame_naive")
    train = _interval(ev.training, "trained_share")
    pol = _interval(ev.policy, "overall", scale=100, digits=1)
    last = ev.coverage.iloc[-1]
    n_short = len(ev.shortfalls)
    pair = pilot_size(ev, "pairing")
    n_train = int(ev.training.n_clusters or 0)
    few = n_train < FEW_CLUSTERS  # the threshold below which inference is the wild bootstrap
    r2 = pair["r2_cluster"]
    if lang == "en":
        return "\n".join(
            [
                "## Findings for next year's plan",
                f"- **Mentoring (Q1).** One more contact in a term changes the next term's SDQ by "
                f"{dose_ame} points (within children; negative = fewer difficulties), with "
                f"diminishing returns; the naive comparison across children gives {naive} and "
                f"would wrongly suggest harm. {last['share_paired']:.0%} of left-behind children "
                f"were paired in {last['term']}: widening pairing reaches children with no "
                f"contact at all, where the curve is steepest.",
                f"- **Teacher training (Q2).** A school's trained-teacher share moving from 0 to 1 "
                f"goes with {train} SD in math (school and year effects, "
                f"{'only ' if few else ''}{n_train} schools"
                f"{f', fewer than {FEW_CLUSTERS}' if few else ''}). Keep training, and evaluate it.",
                f"- **Enrolment policy (Q3).** Where parents' destination enrolled migrant children "
                f"on the residence permit, left-behind children were {pol} percentage points more "
                f"likely to have moved to live with their parents, averaged over exposure. "
                f"Publicising the policy can only help where it applies.",
                f"- **Scholarships.** {n_short} school-years paid less than 30% of scholarships to "
                f"left-behind children (of {ev.scholarship_rows}); the list is in the brief's table.",
                f"- **Pilots.** To detect a {pair['effect_sd']:.2f} SD change in SDQ from wider "
                f"pairing with {pair['power']:.0%} power, about {pair['schools_needed']} schools would "
                f"be randomised (ICC {pair['icc']:.3f}, R² {r2:.2f}; the county has "
                f"{pair['county_schools']}).",
                checks_line(ev, lang="en"),
            ]
        )
    return "\n".join(
        [
            "## 对明年工作计划的启示",
            f"- **结对帮扶（Q1）**：同一名儿童某学期多一次帮扶，下学期 SDQ 困难总分变化 {dose_ame} 分"
            f"（负值表示困难减少），且边际效果递减；若只做儿童之间的简单比较，结果为 {naive}，会误以为"
            f"帮扶有害。{last['term']} 学期有 {last['share_paired']:.0%} 的留守儿童已结对：扩大覆盖面能"
            f"惠及尚无任何帮扶的儿童，这正是效果最大的地方。",
            f"- **教师培训（Q2）**：学校受训教师比例从 0 到 1，数学成绩变化 {train} 个标准差"
            f"（学校和年份固定效应；{'仅 ' if few else ''}{n_train} 所学校"
            f"{f'，少于 {FEW_CLUSTERS} 所' if few else ''}）。建议继续培训并开展评估。",
            f"- **随迁子女入学政策（Q3）**：父母务工地实施以居住证为主要依据的入学政策后，"
            f"留守儿童随父母迁居的概率平均提高 {pol} 个百分点。加强政策宣传只在政策适用的地方起作用。",
            f"- **助学金**：{ev.scholarship_rows} 个学校-年份中有 {n_short} 个"
            f"发给留守儿童的助学金不足 30%。",
            f"- **试点规模**：若要以 {pair['power']:.0%} 的把握检验扩大结对帮扶使 SDQ 改善 {pair['effect_sd']:.2f} 个"
            f"标准差，约需随机分配 {pair['schools_needed']} 所学校（组内相关系数 {pair['icc']:.3f}，"
            f"R² {r2:.2f}；全县共 {pair['county_schools']} 所）。",
            checks_line(ev, lang="zh"),
        ]
    )
