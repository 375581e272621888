"""Sizing one pilot from a cohort, with every assumption the size rests on beside it.

:func:`planning_inputs` turns a :class:`~lbc_eval.pilot.icc.VarianceSplit` into the ICC and
R² a school-randomised pilot is planned with, applying the R² rule: a covariate R² estimated
from fewer than :data:`MIN_SCHOOLS_R2` schools is too noisy to plan on, so 0 is used (and
said). :func:`pilot_plan` gives one row: the assumptions (ICC, R² used, share of children
reached, effect in SD, alpha, power, children per school), the schools needed, the county's
own school count and the minimum detectable effect of a pilot that randomises all of them.
:func:`design_mde` gives the MDE of a randomised design with its inputs, and refuses a design
above a bound (:func:`lbc_eval.pilot.assign`'s ``max_mde``).

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> from lbc_eval.pilot.icc import icc_from_cohort  # doctest: +SKIP
>>> c = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
>>> split = icc_from_cohort(c, outcome="math")  # doctest: +SKIP
>>> pilot_plan(split, effect=0.10, county_schools=60)["schools_needed"]  # doctest: +SKIP
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lbc_eval.errors import SpecError
from lbc_eval.pilot.icc import VarianceSplit
from lbc_eval.pilot.power import mde, solve
from lbc_eval.pilot.text import bilingual

#: A covariate R² is planned on only when estimated from at least this many schools: with
#: fewer, the school-level R² (the one that matters when schools are randomised) is too noisy.
MIN_SCHOOLS_R2 = 20

#: The columns of :func:`pilot_plan`'s row that are assumptions of the size.
ASSUMPTIONS: tuple[str, ...] = (
    "icc",
    "r2_cluster",
    "r2_individual",
    "share_reached",
    "effect_sd",
    "alpha",
    "power",
    "treat_share",
    "children_per_school",
)


def planning_inputs(
    split: VarianceSplit,
    *,
    icc_floor: float = 0.0,
    min_schools_r2: int = MIN_SCHOOLS_R2,
    lang: str = "en",
) -> tuple[dict[str, float], list[str]]:
    """The ``icc``, ``r2_cluster`` and ``r2_individual`` of a two-level (schools randomised)
    pilot, and notes.

    The ICC folds the township share into the school level and is raised to ``icc_floor``
    (small samples understate it). The covariate R² (last term's score, or the split's other
    controls) is used only when ``split`` was estimated from at least ``min_schools_r2``
    schools; otherwise both R² are 0, which makes the size conservative, and a note says so
    (in English, or Chinese with ``lang="zh"``).
    """
    zh = lang == "zh"
    design = split.design("cluster2")
    notes: list[str] = []
    icc = float(design["icc"])
    if icc < icc_floor:
        notes.append(
            f"估计的组内相关系数为 {icc:.4f}，按下限 {icc_floor:.3f} 规划"
            if zh
            else f"ICC {icc:.4f} estimated; planned with the floor {icc_floor:.3f}"
        )
        icc = icc_floor
    r2c, r2i = float(design["r2_cluster"]), float(design["r2_individual"])
    if split.n_schools < min_schools_r2:
        if r2c > 0 or r2i > 0:
            notes.append(
                f"协变量 R²（学校层 {r2c:.2f}，儿童层 {r2i:.2f}）仅由 {split.n_schools} 所学校"
                f"估计（少于 {min_schools_r2} 所），不采用，按 R² = 0 计算"
                if zh
                else f"covariate R² (school {r2c:.2f}, child {r2i:.2f}) estimated from only "
                f"{split.n_schools} schools (fewer than {min_schools_r2}): not used, R² = 0"
            )
        else:
            notes.append(
                f"仅 {split.n_schools} 所学校（少于 {min_schools_r2} 所），不采用协变量 R²，"
                f"按 R² = 0 计算"
                if zh
                else f"only {split.n_schools} schools (fewer than {min_schools_r2}): no "
                f"covariate R² used, R² = 0"
            )
        r2c = r2i = 0.0
    return {"icc": icc, "r2_cluster": r2c, "r2_individual": r2i}, notes


def pilot_plan(
    split: VarianceSplit,
    *,
    effect: float,
    county_schools: int,
    share_reached: float = 1.0,
    power: float = 0.8,
    alpha: float = 0.05,
    treat_share: float = 0.5,
    cluster_size: float | None = None,
    icc_floor: float = 0.0,
    min_schools_r2: int = MIN_SCHOOLS_R2,
    lang: str = "en",
) -> dict[str, Any]:
    """One school-randomised pilot: its size, and every assumption the size rests on.

    Parameters
    ----------
    split : VarianceSplit
        ICCs and R² of the pilot's outcome (:func:`lbc_eval.pilot.icc.icc_from_cohort`).
    effect : float
        The effect, in SD of the outcome, on a child the action reaches.
    county_schools : int
        The county's schools: the most a pilot can randomise.
    share_reached : float
        Share of the children measured in a treated school whom the action reaches; the
        pilot must detect ``effect * share_reached`` (the intention-to-treat effect).
    power, alpha, treat_share : float
    cluster_size : float, optional
        Children measured per school; default the split's harmonic mean, rounded down.
    icc_floor, min_schools_r2
        As :func:`planning_inputs`.
    lang : {"en", "zh"}
        Language of ``notes``.

    Returns
    -------
    dict
        The assumptions (:data:`ASSUMPTIONS`, plus ``icc_estimated``, ``r2_schools`` — the
        schools the R² was estimated from — and ``r2_used``), ``effect_detected_sd``,
        ``schools_needed``, ``county_schools``, ``mde_all_schools`` (the MDE, in SD, of a
        pilot randomising all ``county_schools`` with ``treat_share`` treated; NaN when they
        leave no degrees of freedom), ``fits_in_county`` and ``notes`` (one string).
    """
    if not 0 < share_reached <= 1:
        raise SpecError("share_reached", f"must be in (0, 1], not {share_reached}")
    zh = lang == "zh"
    inputs, notes = planning_inputs(
        split, icc_floor=icc_floor, min_schools_r2=min_schools_r2, lang=lang
    )
    size = float(math.floor(split.cluster_size)) if cluster_size is None else float(cluster_size)
    common = dict(cluster_size=size, power=power, alpha=alpha, treat_share=treat_share, **inputs)
    detected = effect * share_reached
    need = int(float(solve(effect=detected, n_clusters=None, **common)))
    try:
        all_mde = float(mde(n_clusters=county_schools, **common))
    except SpecError as e:
        all_mde = float("nan")
        notes.append(
            f"无法计算全县 {county_schools} 所学校的最小可检出效应：{e}"
            if zh
            else f"no MDE for all {county_schools} schools: {e}"
        )
    if share_reached < 1:
        notes.append(
            f"措施覆盖所测儿童的 {share_reached:.0%}：试点须能检出 {detected:.3f} 个标准差"
            if zh
            else f"the action reaches {share_reached:.0%} of the children measured: the pilot "
            f"must detect {detected:.3f} SD"
        )
    return {
        "effect_sd": effect,
        "share_reached": share_reached,
        "effect_detected_sd": detected,
        "icc": inputs["icc"],
        "icc_estimated": float(split.icc + split.icc_top),
        "r2_cluster": inputs["r2_cluster"],
        "r2_individual": inputs["r2_individual"],
        "r2_schools": int(split.n_schools),
        "r2_used": split.n_schools >= min_schools_r2,
        "alpha": alpha,
        "power": power,
        "treat_share": treat_share,
        "children_per_school": size,
        "schools_needed": need,
        "county_schools": int(county_schools),
        "fits_in_county": need <= county_schools,
        "mde_all_schools": all_mde,
        "notes": ("；" if zh else "; ").join(notes),
    }


def design_mde(
    icc: Any,
    n_schools: int,
    treat_share: float,
    alpha: float,
    power: float,
    max_mde: float | None,
    allow: bool,
    notes: list[str],
) -> dict[str, Any] | None:
    """The MDE of a school-randomised design of ``n_schools`` with every input it rests on;
    refuses it above ``max_mde`` unless ``allow`` (then a note in ``notes``).

    ``icc`` is a :class:`~lbc_eval.pilot.icc.VarianceSplit` (planned with
    :func:`planning_inputs`: R² only from enough schools, children per school its harmonic
    mean rounded down) or a mapping with ``icc``, ``r2_cluster``, ``r2_individual``,
    ``children_per_school`` (and ``outcome``). None without ICCs, unless ``max_mde`` is set:
    then :class:`~lbc_eval.errors.SpecError`.
    """
    if icc is None:
        if max_mde is not None:
            raise SpecError(
                "max_mde",
                bilingual("检查最小可检出效应需要组内相关系数：请传入 icc=icc_from_cohort(...)",
                          "checking the MDE needs the ICCs: pass icc=icc_from_cohort(cohort, "
                          "outcome=...)"),
            )  # fmt: skip
        return None
    if isinstance(icc, Mapping):
        inputs = {k: float(icc.get(k, 0.0)) for k in ("icc", "r2_cluster", "r2_individual")}
        size = float(icc["children_per_school"])
        outcome = icc.get("outcome")
    else:
        inputs, _ = planning_inputs(icc)
        size = float(math.floor(icc.cluster_size))
        outcome = icc.outcome
    value = float(mde(n_clusters=n_schools, cluster_size=size, treat_share=treat_share,
                      alpha=alpha, power=power, **inputs))  # fmt: skip
    row = {"outcome": outcome, "mde": value, "n_schools": n_schools,
           "children_per_school": size, "treat_share": treat_share, "alpha": alpha,
           "power": power, **inputs, "max_mde": max_mde}  # fmt: skip
    if max_mde is not None and value > max_mde:
        text = (
            f"本设计的最小可检出效应为 {value:.3f} 个标准差，超过上限 {max_mde:.3f}"
            f"（{n_schools} 所学校，每校 {size:g} 名儿童，组内相关系数 {inputs['icc']:.3f}，"
            f"检验效能 {power:.0%}，显著性水平 {alpha:g}）",
            f"the design's MDE is {value:.3f} SD, above the bound max_mde = {max_mde:.3f} SD "
            f"({n_schools} schools, {size:g} children per school, ICC {inputs['icc']:.3f}, "
            f"power {power:.0%}, alpha {alpha:g})",
        )
        if not allow:
            raise SpecError(
                "max_mde",
                bilingual(text[0] + "。请增加学校，"
                          "或设 allow_large_mde=True（--allow-large-mde）。",
                          text[1] + ": add schools, or pass allow_large_mde=True "
                          "(--allow-large-mde) to randomise anyway"),
            )  # fmt: skip
        notes.append(text[1] + "; randomised anyway (allow_large_mde)")
    return row
