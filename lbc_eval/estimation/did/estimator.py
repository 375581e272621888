"""fit_did: the Callaway-Sant'Anna estimator's front end."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.errors import EstimationError, NoVariationError
from lbc_eval.estimation.did.cells import (
    BasePeriod,
    Control,
    Method,
    check_choice,
    estimate_cells,
    prepare,
)
from lbc_eval.estimation.did.result import DidResult
from lbc_eval.estimation.inference.multiplier import inference, tidy_table


def fit_did(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    control: Control = "never",
    covariates: list[str] | None = None,
    method: Method = "reg",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: int = 0,
    seed: int = 0,
    allow_unbalanced_panel: bool = False,
    min_group_size: int = 5,
) -> DidResult:
    """Group-time average treatment effects ATT(g,t) of a staggered adoption (Callaway-Sant'Anna).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Columns of the outcome, the unit id and the (evenly spaced, numeric) period.
    cohort : str
        The unit's first treated period; 0 or missing = never treated.
    control : {"never", "not_yet"}
        Comparison units: never treated, or not yet treated (plus never treated).
    covariates : list of str, optional
        Conditioning covariates (their base-period values enter).
    method : {"reg", "ipw", "dr"}
        Outcome regression, standardised IPW, or doubly robust (Sant'Anna & Zhao 2020).
    base_period : {"varying", "universal"}
        ``varying`` compares each pre-period with the one before it; ``universal`` compares
        every period with g - 1 - anticipation.
    anticipation : int
        Periods of anticipation (the base period moves back by this many).
    cluster : str, optional
        A variable constant within unit at a level above it (e.g. school); standard errors and
        the bootstrap are clustered on it. Units are always the clusters at least.
    alpha : float
        1 - confidence level.
    bootstrap : int
        Multiplier-bootstrap draws; 0 (default) gives analytic standard errors and pointwise
        intervals, >0 bootstrap standard errors and simultaneous (uniform) bands.
    allow_unbalanced_panel : bool
        Keep units that miss periods; each ATT(g,t) then uses the units observed in both of its
        periods. Without it an unbalanced panel is refused.
    min_group_size : int
        Groups with fewer units are reported in the warnings (their ATT(g,t) are noisy).

    Returns
    -------
    DidResult
        One row per ATT(g,t); ``.aggregate(kind)``, ``.pretest()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from lbc_eval.estimation.did import fit_did
    >>> mpdta = pd.read_csv("tests/data/mpdta.csv")  # doctest: +SKIP
    >>> r = fit_did(mpdta, outcome="lemp", unit="countyreal", time="year",
    ...             cohort="first.treat")  # doctest: +SKIP
    """
    for name, value in (("control", control), ("method", method), ("base_period", base_period)):
        check_choice(name, value)
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha} must lie in (0, 1)")
    covariates = list(covariates or [])
    panel, notes = prepare(
        data, outcome, unit, time, cohort, covariates, cluster, anticipation, allow_unbalanced_panel
    )
    if cluster:
        varies = data.groupby(unit)[cluster].nunique()
        if (varies > 1).any():
            raise EstimationError(
                f"cluster {cluster!r} varies within {int((varies > 1).sum())} "
                f"unit(s); it must be a level above {unit!r}"
            )
    never = ~np.isfinite(panel.group)
    if control == "never" and not never.any():
        raise NoVariationError(
            "no never-treated units, so control='never' has no comparison group; use "
            "control='not_yet' (units not yet treated) or add never-treated units"
        )
    if np.isfinite(panel.group).sum() == 0:
        raise NoVariationError("no unit is ever treated: every cohort value is 0 or missing")
    warns: list[str] = []
    sizes = pd.Series(panel.group[~never]).value_counts().sort_index()
    small = sizes[sizes < min_group_size + len(covariates)]
    if len(small):
        msg = "small groups, with few units for their ATT(g,t): " + ", ".join(
            f"{g:g} ({k} units)" for g, k in small.items()
        )
        warnings.warn(msg, stacklevel=2)
        warns.append(msg)
    cells, cell_notes = estimate_cells(panel, control, method, base_period, anticipation)
    notes += cell_notes
    reference = np.isfinite(cells.att) & (cells.n_control == 0) & (cells.att == 0) & ~cells.post
    est_inf = cells.inf
    se, crit, cov = inference(est_inf, panel.cluster, bootstrap, alpha, seed)
    se = np.where(reference | ~np.isfinite(cells.att), np.nan, se)
    step = float(panel.periods[1] - panel.periods[0])
    labels = [f"ATT({g:g},{t:g})" for g, t in zip(cells.group, cells.time, strict=True)]
    table = tidy_table(labels, cells.att, se, crit, outcome, alpha)
    table["group"] = cells.group
    table["time"] = cells.time
    table["event_time"] = np.round((cells.time - cells.group) / step).astype(int)
    n = panel.y.shape[0]
    pre = ~cells.post & np.isfinite(cells.att) & ~reference
    pretest: dict[str, float] = {}
    if pre.any():
        theta = cells.att[pre]
        inf_pre = est_inf[:, pre]
        V = inf_pre.T @ inf_pre / n
        try:
            W = float(n * theta @ np.linalg.solve(V, theta))
            pretest = {
                "statistic": W,
                "df": int(pre.sum()),
                "p_value": float(stats.chi2.sf(W, int(pre.sum()))),
            }
        except np.linalg.LinAlgError:
            notes.append("the pre-test was not computed: the pre-period covariance is singular")
    n_cl = int(panel.cluster.max()) + 1 if panel.cluster is not None else None
    formula = (
        f"{outcome} ~ ATT(g,t) | control={control}, method={method}, base={base_period}, "
        f"anticipation={anticipation}" + (f", x={'+'.join(covariates)}" if covariates else "")
    )
    settings = {
        "step": step,
        "bootstrap": bootstrap,
        "seed": seed,
        "first_period": float(panel.periods[0]),
        "last_period": float(panel.periods[-1]),
    }
    return DidResult(
        estimator="did (Callaway-Sant'Anna)",
        table=table,
        outcome=outcome,
        nobs=n,
        cov_type=cov,
        formula=formula,
        n_clusters=n_cl if n_cl is not None else n,
        alpha=alpha,
        notes=tuple(notes),
        warnings=tuple(warns),
        raw=None,
        extra={
            "pretest": pretest,
            "critical_value": crit,
            "cells": pd.DataFrame(
                {
                    "group": cells.group,
                    "time": cells.time,
                    "reference": reference,
                    "n_treated": cells.n_treated,
                    "n_control": cells.n_control,
                }
            ),
            "group_sizes": {float(g): int(k) for g, k in sizes.items()},
            "never_treated": int(never.sum()),
        },
        inf=est_inf,
        unit_group=panel.group,
        cluster_codes=panel.cluster,
        settings=settings,
    )
