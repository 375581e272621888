"""Question Q4: from the estimates to next year's work plan, in plain language.

:func:`evidence` runs what the plan needs on a cohort — the mentoring dose-response (Q1) and the
curvature of its curve, the teacher-training effect (Q2), the enrolment policy's simple and
dynamic effects (Q3), coverage and the scholarship rule, and the ICCs of the outcomes — and
:func:`actions` maps them to the actions of the bureau's next-year plan with, for each, the
pilot needed to detect a plausible effect (:func:`lbc_eval.pilot.power.solve`, schools
randomised).

:meth:`Evidence.findings` turns the results into one row per finding, each with a verdict
(improves, worsens, no clear effect, too imprecise, not credible) from the documented rules of
:mod:`lbc_eval.questions.findings` — the interval, the smallest effect that matters and the
estimator's design checks —, the children it describes and the assumption it needs.
:func:`findings_markdown` (Chinese or English) and the ``verdict``, ``evidence`` and
``recommendation`` columns of :func:`actions` are built from those rows only.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from lbc_eval.data import labels
from lbc_eval.data.cohort import Cohort
from lbc_eval.data.messages import Bi
from lbc_eval.errors import FewClustersWarning
from lbc_eval.questions import findings as _findings
from lbc_eval.questions.findings import CHECKS_ZH, VERDICT_LABELS
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
#: The note under the brief's pilot table: where the pilots are randomised, registered and
#: analysed (notebook 7, :mod:`lbc_eval.pilot`).
PILOT_LOOP = (
    "如何随机分配学校、在试点开始前登记分析方法（附哈希值），并在试点学年结束后严格按登记的方法分析，"
    "见笔记本 7《从计划到试点》（命令行：lbc-eval pilot assign、plan、analyse）。",
    "How to randomise the schools, register the analysis before the pilot starts (with its "
    "hash) and analyse the pilot year exactly as registered: notebook 7, From plan to pilot "
    "(command line: lbc-eval pilot assign, plan, analyse).",
)


def pilot_pointer(lang: str = "zh") -> str:
    """The note under the pilot table (:data:`PILOT_LOOP`), in ``lang`` (``both``: Chinese,
    then English)."""
    labels.check_lang(lang)
    zh, en = PILOT_LOOP
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


@dataclass
class Evidence:
    """What the work plan rests on; every number carries its interval.

    ``dose`` (Q1, SDQ), ``training`` (Q2, math) and ``policy`` (Q3, moving: the dynamic
    aggregation; ``policy_simple``: the simple ATT) are the results; ``shape`` the curvature
    contrast of the dose curve (:func:`lbc_eval.questions.findings.curvature`);
    ``shortfalls`` the school-years below the 30% scholarship rule counted by recipients
    (largest shortfall first) and ``scholarships`` every school-year with the rule's columns
    (both unsuppressed: not for publication); ``outcome_sd`` the outcomes' SD over the panel's
    child-terms (the scale of the SESOIs); ``years`` the first and last academic years.
    """

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
    policy_simple: Any = None
    shape: pd.DataFrame | None = None
    scholarships: pd.DataFrame | None = None
    outcome_sd: dict[str, float] = field(default_factory=dict)
    years: tuple[int, int] | None = None

    def findings(self) -> pd.DataFrame:
        """One row per finding (:data:`lbc_eval.questions.findings.COLUMNS`): Q1's AME, its
        naive comparison and shape, coverage, Q2, Q3's simple ATT and dynamic overall, the
        scholarship rule and one pilot per sized action; effects carry a verdict, and every
        row its sentences in Chinese and English, the children it describes, the assumption
        it needs, its checks and (effects behind an action) the recommendation
        (:func:`lbc_eval.questions.findings.findings_table`)."""
        return _findings.findings_table(self, pilots=[pilot_size(self, a) for a in PLAUSIBLE])


def _step(step: str, outcome: str, step_en: str | None = None) -> Bi:
    """A progress line: the step and the outcome by its label, in both languages."""
    zh, en = labels.label(outcome, "zh"), labels.label(outcome, "en")
    return Bi(f"{step}：{zh}", f"{step_en or step}: {en}")


def evidence(
    data: Cohort,
    *,
    seed: int = 0,
    reps: int = 999,
    progress: Callable[[Bi], None] | None = None,
) -> Evidence:
    """Run the estimates the work plan needs on a cohort.

    Parameters
    ----------
    data : Cohort
        The cohort (panel, schools and destinations).
    seed : int
        Seed of the wild bootstraps (Q1, its curvature test, Q2) and of Q3's bootstrap.
    reps : int
        The wild bootstraps' draws (Q3 keeps its own default: 999 over destinations).
    progress : callable, optional
        Called with a line as each step starts (on a province they take minutes): a
        :class:`~lbc_eval.data.messages.Bi` naming the question and the outcome by its label
        (``Q1：SDQ 困难总分`` / ``Q1: SDQ total``; ``str()`` gives the Chinese), the
        scholarship audit, then the ICC of each outcome. :func:`lbc_eval.report.notebook.progress`
        writes it in the notebook's language.

    Returns
    -------
    Evidence
        The Q1 dose-response on SDQ (without its fits: :meth:`Result.without_fits`) and the
        curvature of its curve, the Q2 training effect on math (without its fits), the Q3 simple and dynamic aggregations of the policy's effect on moving,
        coverage, the scholarship rule by recipients, the outcomes' SDs and the ICCs.
    """
    from lbc_eval.data.terms import academic_year
    from lbc_eval.pilot.icc import icc_from_cohort
    from lbc_eval.publish.audit import coverage, scholarships
    from lbc_eval.questions.enrolment import fit_policy
    from lbc_eval.questions.mentoring import fit_dose_response
    from lbc_eval.questions.training import fit_training

    cohort = cohort_of(data, needs="schools and destinations tables")
    panel = cohort.panel
    say = progress or (lambda line: None)
    with warnings.catch_warnings():  # the results' notes say how few clusters changed inference
        warnings.simplefilter("ignore", FewClustersWarning)
        say(_step("Q1", "sdq_total"))
        dose = fit_dose_response(cohort, outcome="sdq_total", seed=seed, reps=reps)
        shape = _findings.curvature(dose, seed=seed, reps=reps)
        # the plan reads the results' rows and tables: a province's fits take gigabytes
        dose = dose.without_fits()
        say(_step("Q2", "math"))
        training = fit_training(
            cohort, outcome="math", seed=seed, reps=reps, multilevel=None
        ).without_fits()
    say(_step("Q3", "moved"))
    fitted = fit_policy(cohort, outcome="moved", seed=seed)
    say(Bi("助学金核查", "scholarship audit"))
    rule = scholarships(panel, basis="recipients")
    short = rule[rule["meets_rule"].eq(False).fillna(False)]
    short = short.sort_values("shortfall", ascending=False, kind="stable").reset_index(drop=True)
    sd = {o: float(pd.to_numeric(panel[o], errors="coerce").std())
          for o in ("sdq_total", "math", "chinese", "attendance") if o in panel}  # fmt: skip
    years = academic_year(list(cohort.terms))
    icc = {}
    for o in ("sdq_total", "math"):
        say(_step("组内相关系数", o, "ICC"))
        icc[o] = icc_from_cohort(cohort, outcome=o)
    return Evidence(
        cohort_label=repr(cohort),
        dose=dose,
        training=training,
        policy=fitted.aggregate("dynamic"),
        coverage=coverage(panel, by="term", k=10),
        shortfalls=short,
        scholarship_rows=int(rule["meets_rule"].notna().sum()),
        icc=icc,
        n_schools=int(panel["school_id"].nunique()),
        policy_simple=fitted.aggregate("simple"),
        shape=shape,
        scholarships=rule,
        outcome_sd=sd,
        years=(int(min(years)), int(max(years))),
    )


def pilot_size(
    ev: Evidence,
    action: str,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    share_reached: float | None = None,
    lang: str = "en",
) -> dict:
    """Schools a school-randomised pilot needs to detect the action's plausible effect, with
    every assumption the size rests on.

    Returns the row of :func:`lbc_eval.pilot.sizing.pilot_plan` (ICC, R² used and the schools it
    was estimated from — 0 below :data:`~lbc_eval.pilot.sizing.MIN_SCHOOLS_R2` schools, with a
    note —, share reached, effect in SD, alpha, power, children per school, schools needed,
    the county's school count and the MDE of a pilot randomising all of them, half treated)
    with ``action``, ``outcome`` and ``basis`` first; its ``notes`` in ``lang`` (en, zh).
    """
    from lbc_eval.pilot.sizing import pilot_plan

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
        lang="zh" if lang == "zh" else "en",
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
#: The plan's actions, as the plan names them (what to do about each is the recommendation).
_NAMES = {
    "pairing": ("扩大结对帮扶覆盖面", "Widen mentor pairing"),
    "counselling": ("心理辅导优先", "Priority access to counselling"),
    "family_guidance": ("信息化家庭教育指导", "ICT-based family-education guidance"),
    "publicity": ("宣传随迁子女入学政策", "Publicise migrant-child enrolment"),
    "teacher_training": ("继续开展教师培训", "Continue teacher training"),
}
#: Actions without an estimate in these records.
_NO_ESTIMATE = {
    "counselling": ("获得情况见笔记 1《概况》；现有记录无法估计其因果效应。",
                    "Access gap in notebook 1 (Overview); these records give no causal estimate."),
    "family_guidance": ("新措施，尚无记录。", "New: no records yet."),
}  # fmt: skip


def actions(ev: Evidence, *, lang: str = "zh", rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per next-year action: the verdict and evidence behind it (from
    :meth:`Evidence.findings`), the recommendation that follows from the verdict, and the
    pilot it would need (``rows``: the findings, if already computed)."""
    labels.check_lang(lang)
    zh = lang != "en"
    key = "zh" if zh else "en"
    rows = ev.findings() if rows is None else rows
    out = []
    for a in ACTIONS:
        name = _NAMES[a][0 if lang == "zh" else 1] if lang != "both" else " ".join(_NAMES[a])
        row: dict[str, Any] = {"action": name}
        row.update(_action_evidence(rows, a, key))
        if a in PLAUSIBLE:
            p = pilot_size(ev, a, lang="zh" if zh else "en")
            p = {**p, "pilot_outcome": p["outcome"], "pilot_notes": p["notes"]}
            row.update({c: p[c] for c in PILOT_COLUMNS})
        out.append(row)
    table = pd.DataFrame(out)
    for c in ("schools_needed", "children_per_school", "county_schools"):
        if c in table:
            table[c] = table[c].astype("Int64")
    if lang == "zh":
        table = table.rename(columns=_HEADERS_ZH)
    return table


def _action_evidence(rows: pd.DataFrame, action: str, key: str) -> dict[str, Any]:
    """``verdict``, ``evidence`` and ``recommendation`` of an action, from the findings' rows:
    the effect row that carries the action (with its population and assumption), or, for
    actions without an estimate, the statement that there is none and the pilot's row."""
    zh = key == "zh"
    eff = rows[(rows["action"] == action) & (rows["kind"] == "effect")]
    if len(eff):
        r = eff.iloc[0]
        v = (_findings.publicity_verdict(rows) if action == "publicity" else str(r["verdict"]))
        extra = ""
        if action == "publicity":  # both averages, named
            q3 = rows[(rows["question"] == "Q3") & (rows["kind"] == "effect")]
            text = ("" if zh else " ").join(q3[f"text_{key}"])
        else:
            text = r[f"text_{key}"]
        if zh:
            extra = f"适用对象：{r['population_zh']}。前提假设：{r['assumption_zh']}（{r['checks_zh']}）。"
        else:
            extra = (f"Describes {r['population_en']}. Assumes {r['assumption_en']} "
                     f"({r['checks_en']}).")  # fmt: skip
        return {
            "verdict": VERDICT_LABELS[v][0 if zh else 1],
            "evidence": text + ("" if zh else " ") + extra,
            "recommendation": r[f"recommendation_{key}"],
        }
    pilot = rows[(rows["action"] == action) & (rows["kind"] == "pilot")]
    none_zh, none_en = _NO_ESTIMATE.get(action, ("无估计。", "No estimate."))
    need = pilot[f"text_{key}"].iloc[0] if len(pilot) else ""
    rec = (
        ("现有记录无法估计其效果，需要开展随机试点才能知道：" if zh
         else "No estimate in these records; a randomised pilot is needed to know: ") + need
        + ("。" if zh else ".")
        if need else ("需要开展随机试点才能知道。" if zh else "A randomised pilot is needed to know.")
    )  # fmt: skip
    return {"verdict": "无估计" if zh else "no estimate",
            "evidence": none_zh if zh else none_en, "recommendation": rec}  # fmt: skip


_HEADERS_ZH = {
    "action": "措施",
    "verdict": "证据结论",
    "evidence": "依据（估计值与 95% 置信区间、适用对象、前提假设）",
    "recommendation": "建议",
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


def findings_markdown(ev: Evidence, *, lang: str = "zh", rows: pd.DataFrame | None = None) -> str:
    """The findings in plain language, mapped to the plan (Markdown, Chinese or English),
    built only from :meth:`Evidence.findings` rows (``rows``, if already computed): each
    question's sentences follow its verdict, with the children described, the assumption and
    its checks, and the recommendation for the plan."""
    labels.check_lang(lang)
    rows = ev.findings() if rows is None else rows
    return _findings.markdown(rows, lang="en" if lang == "en" else "zh")
