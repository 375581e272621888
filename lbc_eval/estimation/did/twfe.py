"""The two-way fixed-effects event study, for contrast with Callaway-Sant'Anna."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from lbc_eval.estimation.checks import check_columns
from lbc_eval.estimation.results import Result, tidy_frame

#: The relative-time code given to never-treated units (in the reference with e = -1).
NEVER = -9999


def fit_twfe_event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    group: str,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> Result:
    """The two-way fixed-effects event study, shown beside Callaway-Sant'Anna for contrast.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Columns of the outcome, the unit id and the numeric period.
    group : str
        Column of the unit's first treated period; 0 or missing = never treated.
    cluster : str, optional
        Cluster variable of the CRV1 standard errors (default: ``unit``).
    alpha : float
        1 - confidence level (intervals from :math:`t(G-1)`).

    Returns
    -------
    Result
        One row ``e=<k>`` per event time (``event_time`` key), e = -1 the reference; ``raw`` is
        the ``pyfixest`` fit.

    Notes
    -----
    :math:`Y_{it} = \\alpha_i + \\lambda_t + \\sum_{e \\ne -1} \\beta_e 1[t - G_i = e] +
    \\varepsilon_{it}`, never-treated units in the reference. With staggered adoption and
    effects that change with exposure or differ across cohorts, each :math:`\\beta_e` mixes
    effects of other event times with weights that can be negative (Sun & Abraham 2021), so it
    is biased for the event-time effect. Standard errors: CRV1 by ``cluster`` (default: unit).
    """
    import pyfixest as pf

    check_columns(
        data, {"outcome": outcome, "unit": unit, "time": time, "group": group, "cluster": cluster}
    )
    by = cluster or unit
    d = data[list(dict.fromkeys([outcome, unit, time, group, by]))].dropna(subset=[outcome])
    d = d.copy()
    g = pd.to_numeric(d[group], errors="coerce").fillna(0)
    step = float(np.diff(np.sort(d[time].unique())).min())
    d["rel"] = np.where(g > 0, np.round((d[time] - g) / step), NEVER).astype(int)
    d["y__"] = d[outcome].astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = pf.feols(f"y__ ~ i(rel, ref=-1) | {unit} + {time}", data=d, vcov={"CRV1": by})
    tidy = fit.tidy()
    rel = [int(float(str(name).split("::")[1].rstrip("]"))) for name in tidy.index]
    keep = [i for i, r in enumerate(rel) if r != NEVER]
    ev = [rel[i] for i in keep]
    n_cl = int(d[by].nunique())
    table = tidy_frame(
        [f"e={e}" for e in ev],
        tidy["Estimate"].to_numpy()[keep],
        tidy["Std. Error"].to_numpy()[keep],
        outcome=outcome,
        alpha=alpha,
        df=n_cl - 1,
    )
    table["event_time"] = pd.array(ev, dtype="Int64")
    table = table.sort_values("event_time").reset_index(drop=True)
    return Result(
        estimator="twfe event study",
        table=table,
        outcome=outcome,
        nobs=int(np.asarray(fit.resid()).shape[0]),
        cov_type=f"CRV1 by {by}",
        formula=f"{outcome} ~ i(rel, ref=-1) | {unit} + {time}",
        n_clusters=n_cl,
        alpha=alpha,
        raw=fit,
        notes=(
            "two-way fixed effects: biased under staggered adoption with dynamic or "
            "heterogeneous effects; shown for contrast",
        ),
    )
