r"""The verdict rules of the findings: a verdict for each estimate from its interval, its
direction of improvement and the smallest effect that matters.

:func:`verdict` applies the rules below; :func:`failed_checks` finds the design checks of an
estimate (:data:`CHECKS`) that failed; :func:`sesoi_of` gives an estimate's smallest effect of
interest and :func:`rules_table` shows them all with their basis.
:mod:`lbc_eval.questions.findings` builds the rows and sentences of the brief from these
verdicts.

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
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from lbc_eval.data import labels

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
                "measure": " / ".join(
                    labels.value_label("measure", m, "zh" if zh else "en")
                    for m in measure.split(" / ")
                ),
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
