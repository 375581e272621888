"""Q4's facts and plans among the findings: the share of left-behind children paired, the
school-years below the 30% scholarship rule, and each pilot's size against the county's
schools, which a recommendation that asks for an evaluation also states
(:func:`pilot_clause`). None of them carries a verdict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.questions.findings_rules import OUTCOME_TEXT
from lbc_eval.questions.findings_text import COLUMNS, _row


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
