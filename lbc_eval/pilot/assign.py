r"""Randomise next year's pilot: schools assigned to arms within strata, with a balance table.

:func:`assign` takes a table of schools (:func:`lbc_eval.pilot.school_table`), merges strata
that are too small (:func:`lbc_eval.pilot.randomise.merge_strata`), draws the assignment from
the seed (:func:`lbc_eval.pilot.randomise.draw`; re-randomising until balance holds when
asked), checks the design's minimum detectable effect against a bound, and returns an
:class:`Assignment`: the arm of every school, the balance table, and everything needed to draw
again from the same procedure (the seed, the threshold, how many candidates were tried), which
the registered plan stores so that randomisation inference can respect the design.

Examples
--------
>>> import lbc_eval
>>> from lbc_eval.pilot import assign, school_table
>>> a = assign(school_table(lbc_eval.example_cohort()), seed=2025, strata=None)
>>> sorted(a.table["arm"].unique())
['control', 'treatment']
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.errors import LbcEvalWarning, SpecError, UnknownColumnError
from lbc_eval.pilot.assignment import Assignment
from lbc_eval.pilot.randomise import (
    ASSIGN_STREAM,
    SUPPORT_STREAM,
    Design,
    draw,
    merge_strata,
    min_stratum_size,
    stream,
    support,
)
from lbc_eval.pilot.sizing import design_mde
from lbc_eval.pilot.text import bilingual

#: Fewest schools a pilot randomises: two per arm.
MIN_SCHOOLS = 4

#: Merge rule, in words (the plan quotes it).
MERGE_RULE = {
    "zh": "学校数少于下限的层与最小的其他层合并（并列时按名称顺序取第一个），"
    "重复直至每层都达到下限",
    "en": "a stratum with fewer schools than the minimum is merged with the smallest other "
    "stratum (ties: first by name), until every stratum reaches the minimum",
}


def assign(
    data: pd.DataFrame,
    *,
    seed: int,
    strata: str | None = "township",
    treat_share: float = 0.5,
    arms: Sequence[str] = ("control", "treatment"),
    balance_on: Sequence[str] | None = None,
    rerandomize: float | None = None,
    max_draws: int = 100_000,
    min_stratum: int | None = None,
    max_mde: float | None = None,
    icc: Any = None,
    alpha: float = 0.05,
    power: float = 0.8,
    allow_large_mde: bool = False,
) -> Assignment:
    r"""Randomise schools to a control and a treatment arm within strata.

    Parameters
    ----------
    data : DataFrame
        One row per school with ``school_id``, the strata column and the balance covariates
        (:func:`lbc_eval.pilot.school_table`).
    seed : int
        The assignment is a function of the seed: the same seed, the same arms.
    strata : str or None
        Column of ``schools`` to stratify on (default ``township``); None: one stratum.
    treat_share : float
        Share of schools treated, in (0, 1).
    arms : (str, str)
        Names of the control and the treatment arm.
    balance_on : sequence of str, optional
        School-level covariates of the balance table; default every numeric column.
    rerandomize : float, optional
        Re-randomise until every covariate's :math:`|d_j|` is at most this (0.1 to 0.25 are
        usual); the threshold and the candidates tried are recorded.
    max_draws : int
        Candidates tried before giving up.
    min_stratum : int, optional
        Fewest schools per stratum (default
        :func:`~lbc_eval.pilot.randomise.min_stratum_size`); smaller strata are merged.
    max_mde : float, optional
        Refuse the design when its MDE (SD) exceeds this bound (needs ``icc``).
    icc : VarianceSplit or mapping, optional
        ICCs and R² of the primary outcome (:func:`lbc_eval.icc_from_cohort`, or a mapping with
        ``icc``, ``r2_cluster``, ``r2_individual`` and ``children_per_school``): the design's MDE
        is computed and recorded.
    alpha, power : float
        Of the MDE.
    allow_large_mde : bool
        Randomise even when the MDE exceeds ``max_mde`` (a note says so).

    Returns
    -------
    Assignment

    Notes
    -----
    The procedure and the balance measure are in :mod:`lbc_eval.pilot.randomise`; the MDE is
    :func:`lbc_eval.mde` for a two-level design with :math:`J` = the schools randomised,
    :math:`n` = children per school (the split's harmonic mean, rounded down), treated share
    :math:`p` and the ICC and R² planned with (:func:`lbc_eval.pilot.sizing.planning_inputs`:
    R² only from 20 or more schools). Stratification and re-randomisation only make the real
    MDE smaller, so the bound is checked conservatively.
    """
    notes: list[str] = []
    frame, cols = _check(data, strata, treat_share, arms, balance_on, rerandomize, seed, notes)
    S = len(frame)
    labels = frame[strata].astype(str) if strata else pd.Series("all", index=frame.index)
    min_size = min_stratum or min_stratum_size(treat_share)
    merged_labels, merged = merge_strata(labels, min_size)
    if merged:
        notes.append("merged strata: " + ", ".join(f"{k} -> {v}" for k, v in merged.items()))
    design = Design(
        schools=tuple(frame["school_id"]),
        strata=tuple(merged_labels),
        treat_share=float(treat_share),
        covariates=tuple(cols),
        X=frame[cols].to_numpy(dtype=float),
        threshold=None if rerandomize is None else float(rerandomize),
        max_draws=int(max_draws),
    )
    pw = design_mde(icc, S, treat_share, alpha, power, max_mde, allow_large_mde, notes)
    z, tried = draw(design, stream(seed, ASSIGN_STREAM))
    table = pd.DataFrame(
        {
            "school_id": list(design.schools),
            "stratum": list(design.strata),
            "arm": np.where(z, arms[1], arms[0]),
        }  # fmt: skip
    )
    sup = support(design, stream(seed, SUPPORT_STREAM), alpha)
    if not sup["enough"]:
        text = (
            f"the procedure makes only about {sup['distinct']} different assignments: the "
            f"randomisation p-value cannot fall much below {1 / sup['distinct']:.3f}, so the "
            f"pilot's primary test may never reject at {alpha:g}; add schools or loosen the "
            f"re-randomisation threshold"
        )
        notes.append(text)
        warnings.warn(text, LbcEvalWarning, stacklevel=2)
    re = None
    if rerandomize is not None:
        re = {"threshold": float(rerandomize), "max_draws": int(max_draws), "tried": tried,
              "accepted_draw": tried, "criterion": "max |std_diff|"}  # fmt: skip
    return Assignment(
        table=table,
        balance=balance_table(design, z),
        schools=frame.reset_index(drop=True),
        seed=int(seed),
        treat_share=float(treat_share),
        arms=(str(arms[0]), str(arms[1])),
        strata_column=strata,
        covariates=tuple(cols),
        merged=merged,
        min_stratum_size=int(min_size),
        rerandomize=re,
        power=pw,
        baseline_term=data.attrs.get("term"),
        notes=tuple(notes),
        support=sup,
    )


def balance_table(design: Design, z: np.ndarray) -> pd.DataFrame:
    """``covariate, mean_control, mean_treatment, sd, std_diff`` of assignment ``z``."""
    zb = np.asarray(z, dtype=bool)
    d = design.differences(zb)[0] if design.covariates else np.zeros(0)
    return pd.DataFrame(
        {
            "covariate": list(design.covariates),
            "mean_control": design.X[~zb].mean(axis=0) if design.covariates else [],
            "mean_treatment": design.X[zb].mean(axis=0) if design.covariates else [],
            "sd": np.where(np.isfinite(design.sd), design.sd, 0.0),  # type: ignore[attr-defined]
            "std_diff": d,
        }
    )


def _check(
    schools: pd.DataFrame,
    strata: str | None,
    treat_share: float,
    arms: Sequence[str],
    balance_on: Sequence[str] | None,
    rerandomize: float | None,
    seed: int,
    notes: list[str],
) -> tuple[pd.DataFrame, list[str]]:
    """The school table sorted by school, and the balance covariates; every bad input
    refused with what was seen and what to do. A covariate missing for some schools is set
    to the mean of the others (said in ``notes``)."""
    if not isinstance(schools, pd.DataFrame) or "school_id" not in schools:
        raise SpecError("schools", "need a table with a school_id column (pilot.school_table)")
    if strata is not None and strata not in schools:
        raise UnknownColumnError(
            bilingual(
                f"分层变量 {strata!r} 不在学校表中；"
                f"可用的列：{', '.join(map(str, schools.columns))}",
                f"strata column {strata!r} is not in the school table; it has "
                f"{', '.join(map(str, schools.columns))}",
            )
        )
    if isinstance(treat_share, bool) or not 0 < float(treat_share) < 1:
        raise SpecError(
            "treat_share",
            bilingual(f"干预组比例须在 0 与 1 之间（不含端点），而不是 {treat_share}",
                      f"must be strictly between 0 and 1, not {treat_share}"),
        )  # fmt: skip
    if len(arms) != 2 or len({str(a) for a in arms}) != 2 or not all(str(a) for a in arms):
        raise SpecError("arms", f"two different names (control, treatment), not {list(arms)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise SpecError("seed", f"a whole number >= 0, not {seed!r}")
    if rerandomize is not None and not float(rerandomize) > 0:
        raise SpecError("rerandomize", f"a positive threshold, not {rerandomize}")
    frame = schools.copy()
    frame["school_id"] = frame["school_id"].astype(str)
    dup = frame["school_id"].duplicated()
    if dup.any():
        raise SpecError("schools", f"{int(dup.sum())} school_id(s) appear twice; one row a school")
    frame = frame.sort_values("school_id", kind="stable").reset_index(drop=True)
    if len(frame) < MIN_SCHOOLS:
        raise SpecError(
            "schools",
            bilingual(f"只有 {len(frame)} 所学校：随机试点至少需要 {MIN_SCHOOLS} 所（每组 2 所）",
                      f"only {len(frame)} schools: a randomised pilot needs at least "
                      f"{MIN_SCHOOLS} (2 per arm)"),
        )  # fmt: skip
    if balance_on is None:
        skip = {"school_id", strata}
        cols = [c for c in frame.columns if c not in skip
                and pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])]  # fmt: skip
    else:
        cols = list(balance_on)
        gone = [c for c in cols if c not in frame]
        if gone:
            raise UnknownColumnError(
                f"balance_on: no column(s) {', '.join(gone)} in the school table; it has "
                f"{', '.join(map(str, frame.columns))}"
            )
    for c in cols:
        values = pd.to_numeric(frame[c], errors="coerce")
        if values.isna().all():
            raise SpecError(
                "balance_on", f"{c!r} is missing or not a number for every school; leave it out"
            )
        if values.isna().any():
            notes.append(
                f"{c} missing for {int(values.isna().sum())} school(s): set to the mean of the "
                f"others (for balance only)"
            )
        frame[c] = values.fillna(values.mean()).astype(float)
    return frame, cols
