r"""Q1's findings beyond the AME: the shape of the dose-response curve and the naive
cross-section set against the within estimate.

:func:`curvature` estimates the contrast the shape sentence rests on (from the result of
:func:`~lbc_eval.questions.mentoring.fit_dose_response`); :func:`shape_sentences` and
:func:`naive_sentences` word them in Chinese and English by the rules below.
:func:`lbc_eval.questions.findings_effects.dose_findings` puts them in Q1's rows.

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
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.questions.findings_rules import DIRECTION, OUTCOME_TEXT
from lbc_eval.questions.findings_text import _ci, _f


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
