"""The findings of the estimates the plan acts on: Q1's AME, Q2's training effect, Q3's policy
effects, each with its verdict (:mod:`lbc_eval.questions.findings_rules`), sentence, the children
it describes, the assumption it needs, its design checks and the recommendation that follows.

:func:`dose_findings` (Q1: the AME of one more contact for paired children, SESOI 0.02 SD per
contact; with the naive comparison and the shape sentence of
:mod:`lbc_eval.questions.findings_dose`), :func:`training_findings` (Q2: a school's
trained-teacher share from 0 to 1, SESOI 0.1 SD; intervals by the wild cluster bootstrap with
few schools) and :func:`policy_findings` (Q3: the simple ATT and the dynamic overall on
``moved``, in percentage points, SESOI 2 pp). The publicity action follows the verdict Q3's two
effects share, ``too_imprecise`` when they differ (:func:`publicity_verdict`), saying so in its
recommendation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from lbc_eval.questions.findings_dose import naive_sentences, shape_sentences
from lbc_eval.questions.findings_rules import (
    CHECKS,
    DIRECTION,
    OUTCOME_TEXT,
    VERDICT_LABELS,
    failed_checks,
    sesoi_of,
    verdict,
)
from lbc_eval.questions.findings_text import (
    COLUMNS,
    _both,
    _level,
    _row,
    _tidy_row,
    checks_text,
    effect_sentences,
    recommendation,
    zh_spacing,
)

# --- Q1 ---------------------------------------------------------------------------------


def dose_findings(dose: Any, *, sd: Mapping[str, float],
                  shape: pd.DataFrame | None = None) -> pd.DataFrame:  # fmt: skip
    """Q1's rows: the AME (``effect``), the naive comparison (``comparison``) and, with
    ``shape`` (:func:`~lbc_eval.questions.findings_dose.curvature`), the shape (``shape``)."""
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
