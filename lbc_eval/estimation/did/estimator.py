"""fit_did: the Callaway-Sant'Anna estimator's front end."""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.errors import NoVariationError
from lbc_eval.estimation.did.cells import Cells, estimate_cells
from lbc_eval.estimation.did.lazy import LazyPanel, lazy_cells, prepare_lazy
from lbc_eval.estimation.did.panel import Panel, prepare
from lbc_eval.estimation.did.result import DidResult
from lbc_eval.estimation.did.spec import BasePeriod, Control, DidSpec, Method, Pretest
from lbc_eval.estimation.inference.multiplier import (
    bootstrap_draws,
    bootstrap_sup_t_test,
    cluster_sum,
    inference,
    small_cluster_adjust,
    tidy_table,
)
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.results import diagnostics_frame
from lbc_eval.scale.did import is_lazy


def fit_did(
    data: pd.DataFrame | Any,
    *,
    outcome: str,
    unit: str | None,
    time: str,
    group: str,
    control: Control = "never",
    controls: list[str] | tuple[str, ...] = (),
    method: Method = "reg",
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
    reps: int = 0,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
    allow_unbalanced_panel: bool = False,
    min_group_size: int = 5,
    small_cluster: bool = False,
    pretest: Pretest = "auto",
    weights: str | None = None,
    panel: bool = True,
) -> DidResult:
    """Group-time average treatment effects ATT(g,t) of a staggered adoption (Callaway-Sant'Anna).

    Parameters
    ----------
    data : DataFrame or Ibis table
        Long panel, one row per unit and period (or repeated cross sections, ``panel=False``).
        An Ibis table (e.g. ``LazyCohort.panel`` or a Parquet file read by DuckDB) runs out of
        core, in the engine (:mod:`lbc_eval.estimation.did.lazy`): a panel without covariates
        or weights, the same result as the DataFrame's.
    outcome, unit, time : str
        Columns of the outcome, the unit id (None allowed with ``panel=False``) and the
        (evenly spaced, numeric) period.
    group : str
        Column of the unit's first treated period; 0 or missing = never treated, and so is a
        period after the last one observed (plus anticipation), as ``did``.
    control : {"never", "not_yet"}
        Comparison units: never treated, or not yet treated (plus never treated).
    controls : list of str
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
    reps : int
        Multiplier-bootstrap draws; 0 (default) gives analytic standard errors and pointwise
        intervals, >0 bootstrap standard errors and simultaneous (uniform) bands.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        Multiplier weight distribution; ``"auto"`` is Rademacher, as ``did``.
    seed : int or None
        Seed of the bootstrap.
    allow_unbalanced_panel : bool
        Keep units that miss periods: the ATT(g,t) then come from the repeated-cross-section
        estimator with influence functions summed by unit (``did``'s choice). Without it the
        units that miss a period are dropped, with a warning, as ``did`` does.
    min_group_size : int
        Groups with fewer units are reported in the warnings (their ATT(g,t) are noisy).
    small_cluster : bool
        With ``cluster``: rescale each ATT(g,t)'s treated and comparison influence functions by
        the CR2 factors :math:`1/\\sqrt{1 - h_c}` (:math:`h_c`: the cluster's share of its side;
        :math:`\\sqrt{G/(G-1)}` for G equal clusters), for few clusters; p-values and
        pointwise intervals then refer to Student's t(G - 1), and a bootstrap band's critical
        value is never below its 1 - alpha/2 quantile (the bootstrap quantile of a statistic
        dominated by one or two clusters is too small: see
        :func:`~lbc_eval.estimation.inference.multiplier.inference`).
    pretest : {"auto", "wald", "sup_t", "average"}
        The pre-test in ``diagnostics`` (see :func:`pretest`); ``auto``: the Wald test without
        the bootstrap, the bootstrap sup-t test with it.
    weights : str, optional
        Column of sampling weights (``did``'s ``weightsname``): non-negative, normalised to
        mean one in each 2x2 cell; on a balanced panel those of the earlier of the cell's two
        periods; in the aggregations' group shares the first period's weight (balanced
        panel) or the mean of the unit's rows (unbalanced panel), as ``did``.
    panel : bool
        False: repeated cross sections (``did``'s ``panel=FALSE``), each row its own unit;
        ``unit`` is then not needed.

    Notes
    -----
    Semantics of R ``did`` 2.5: cohorts first treated after the last period are never
    treated; with no never-treated unit the periods from the last cohort's adoption on are
    dropped and that cohort is the comparison (``did``'s rule, with a warning for
    ``control="never"``); covariates (and weights) come from the earlier of a cell's two
    periods. Deliberate differences: a missing group is never treated (``did`` drops the
    row; a note says how many), and clustered standard errors may take the few-cluster
    correction ``small_cluster``.

    Returns
    -------
    DidResult
        One row per ATT(g,t); ``spec`` holds the settings above, ``diagnostics`` the
        pre-test, ``tables`` the cells and group sizes; ``.aggregate(kind)``, ``.pretest()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from lbc_eval.estimation.did import fit_did
    >>> from lbc_eval.data.resources import reference_path
    >>> mpdta = pd.read_csv(reference_path("mpdta.csv"))  # doctest: +SKIP
    >>> r = fit_did(mpdta, outcome="lemp", unit="countyreal", time="year",
    ...             group="first.treat")  # doctest: +SKIP
    """
    spec = DidSpec(
        outcome=outcome,
        unit=unit,
        time=time,
        group=group,
        controls=tuple(controls),
        control=control,
        method=method,
        base_period=base_period,
        anticipation=anticipation,
        cluster=cluster,
        alpha=alpha,
        reps=reps,
        boot_weights=boot_weights,
        seed=seed,
        allow_unbalanced_panel=allow_unbalanced_panel,
        min_group_size=min_group_size,
        small_cluster=small_cluster,
        pretest=pretest,
        weights=weights,
        panel=panel,
    )
    return fit_did_spec(data, spec)


def fit_did_spec(data: pd.DataFrame | Any, spec: DidSpec) -> DidResult:
    """:func:`fit_did` with its settings already in a :class:`DidSpec`.

    Steps: the wide panel (:func:`~lbc_eval.estimation.did.cells.prepare`), the design checks
    (:func:`check_design`), every ATT(g,t) with its influence function, their standard errors
    (analytic, or the multiplier bootstrap), and the pre-test (:func:`pretest`). An Ibis table
    is prepared and its cells computed in the engine (:mod:`~lbc_eval.estimation.did.lazy`):
    ``inf`` then holds the clusters' sums of the influence functions.
    """
    lazy = is_lazy(data)
    panel, notes = prepare_lazy(data, spec) if lazy else prepare(data, spec)
    warns, sizes, never = check_design(panel, spec)
    cells, cell_notes = lazy_cells(panel, spec) if lazy else estimate_cells(panel, spec)
    notes += cell_notes
    reference = np.isfinite(cells.att) & (cells.n_control == 0) & (cells.att == 0) & ~cells.post
    if spec.small_cluster and panel.cluster is not None:
        if isinstance(panel, Panel):  # (lazy cells come rescaled: their sides are known there)
            cells = replace(
                cells, inf=small_cluster_adjust(cells.inf, panel.cluster, panel.group, cells.group)
            )
        notes.append(
            "few clusters: each ATT(g,t)'s treated and comparison influence functions are scaled "
            "by 1/sqrt(1 - h), h the cluster's share of its side (CR2 correction of the "
            "clustered variance; sqrt(G/(G-1)) for G equal clusters)"
        )
    n_cl = int(panel.cluster.max()) + 1 if panel.cluster is not None else None
    df = few_cluster_df(spec, n_cl)
    se, crit, cov = inference(
        cells.inf,
        panel.cluster,
        reps=spec.reps,
        alpha=spec.alpha,
        seed=spec.seed,
        boot_weights=spec.boot_weights,
        df=df,
        n=panel.n,
    )
    se = np.where(reference | ~np.isfinite(cells.att), np.nan, se)
    diagnostics, pre_notes = pretest(cells, reference, panel.n, spec, panel.cluster)
    groups = pd.DataFrame(
        {"group": [*sizes.index.astype(float), np.nan], "units": [*sizes.to_numpy(), never]}
    )
    return DidResult(
        estimator="did (Callaway-Sant'Anna)",
        table=cell_table(cells, se, crit, spec, panel.periods, df),
        outcome=spec.outcome,
        nobs=panel.n,
        cov_type=cov,
        formula=spec.formula(),
        n_clusters=n_cl if n_cl is not None else panel.n,
        alpha=spec.alpha,
        notes=tuple(notes + pre_notes),
        warnings=tuple(warns),
        raw=None,
        diagnostics=diagnostics,
        tables={"cells": cell_frame(cells, reference), "groups": groups},
        inf=cells.inf,
        unit_group=panel.group,
        unit_weights=panel.weight,
        cluster_codes=panel.cluster,
        spec=spec,
        periods=panel.periods,
        critical_value=crit,
        row_groups=None if isinstance(panel, Panel) else panel.row_groups,
    )


def check_design(panel: Panel | LazyPanel, spec: DidSpec) -> tuple[list[str], pd.Series, int]:
    """Refuse designs without a comparison; warn of small groups.

    Returns the warning messages, the units per treated group and the never-treated units.
    Raises when ``control="never"`` has no never-treated unit, or when no unit is ever treated.
    """
    if isinstance(panel, Panel):
        never_unit = ~np.isfinite(panel.group)
        sizes = pd.Series(panel.group[~never_unit]).value_counts().sort_index()
        never = int(never_unit.sum())
    else:
        sizes, never = panel.sizes, panel.never
    if spec.control == "never" and not never:
        raise NoVariationError(
            "no never-treated units, so control='never' has no comparison group; use "
            "control='not_yet' (units not yet treated) or add never-treated units"
        )
    if not len(sizes):
        raise NoVariationError("no unit is ever treated: every group value is 0 or missing")
    warns: list[str] = []
    small = sizes[sizes < spec.min_group_size + len(spec.controls)]
    if len(small):
        msg = "small groups, with few units for their ATT(g,t): " + ", ".join(
            f"{g:g} ({k} units)" for g, k in small.items()
        )
        warnings.warn(msg, stacklevel=4)
        warns.append(msg)
    return warns, sizes, never


def pretest(
    cells: Cells,
    reference: np.ndarray,
    n: int,
    spec: DidSpec,
    cluster: np.ndarray | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    r"""The diagnostics frame with the pre-test, and a note when it cannot be computed.

    Analytic (``reps == 0``): the Wald statistic
    :math:`W = n\,\hat\theta_{pre}'\hat V_{pre}^{-1}\hat\theta_{pre}`,
    :math:`\hat V_{pre} = \Psi_{pre}'\Psi_{pre}/n` (units; with clusters, of the cluster sums),
    :math:`\chi^2` with as many degrees of freedom as pre-treatment cells (the universal base
    period's zero cell left out). Bootstrap (``reps > 0``): the sup-t statistic
    :math:`\max_k |\hat\theta_k|/\hat\sigma_k` against its multiplier-bootstrap distribution
    (:func:`~lbc_eval.estimation.inference.multiplier.bootstrap_sup_t_test`): it needs no
    inverse of a covariance matrix, which with C clusters has rank below C. ``average``: the
    group-averaged pre-treatment effect (each group's pre-treatment ATT(g,t) averaged, then
    the groups weighted by size), one number, against its bootstrap distribution. With few
    clusters per group (two destinations adopting in a year) each single ATT(g,t)'s clustered
    variance is estimated from one or two degrees of freedom, so any test that looks at the
    cells one by one (sup-t, Wald) over-rejects badly; the average pools every treated
    cluster (and still over-rejects with two or three clusters per group).
    """
    alpha = spec.alpha
    pre = ~cells.post & np.isfinite(cells.att) & ~reference
    if not pre.any():
        return diagnostics_frame(), []
    theta = cells.att[pre]
    inf_pre = cells.inf[:, pre]
    kind = spec.pretest if spec.pretest != "auto" else ("sup_t" if spec.reps else "wald")
    if kind == "average":
        return _average_pretest(cells, pre, spec, cluster, n)
    if kind == "sup_t":
        stat, p = bootstrap_sup_t_test(
            theta,
            inf_pre,
            draws=spec.reps,
            cluster=cluster,
            seed=spec.seed,
            boot_weights=spec.boot_weights,
            n=n,
        )
        k = int(pre.sum())
        row = {
            "check": "pretest",
            "statistic": stat,
            "df": float(k),
            "p_value": p,
            "passed": p >= alpha,
            "message": f"bootstrap sup-t test that all {k} pre-treatment ATT(g,t) are zero "
            f"({spec.reps} draws): "
            + (
                "not rejected" if p >= alpha else f"rejected at {alpha:g}; parallel trends in doubt"
            ),
        }
        return diagnostics_frame([row]), []
    if cluster is not None:
        inf_pre = cluster_sum(inf_pre, cluster)
    V = inf_pre.T @ inf_pre / n
    try:
        W = float(n * theta @ np.linalg.solve(V, theta))
    except np.linalg.LinAlgError:
        return diagnostics_frame(), [
            "the pre-test was not computed: the pre-period covariance is singular"
        ]
    k = int(pre.sum())
    p = float(stats.chi2.sf(W, k))
    row = {
        "check": "pretest",
        "statistic": W,
        "df": float(k),
        "p_value": p,
        "passed": p >= alpha,
        "message": f"Wald test that all {k} pre-treatment ATT(g,t) are zero (chi2): "
        + ("not rejected" if p >= alpha else f"rejected at {alpha:g}; parallel trends in doubt"),
    }
    return diagnostics_frame([row]), []


def _average_pretest(
    cells: Cells, pre: np.ndarray, spec: DidSpec, cluster: np.ndarray | None, n: int
) -> tuple[pd.DataFrame, list[str]]:
    """Bootstrap test that the group-averaged pre-treatment ATT(g,t) is zero (see
    :func:`pretest`); the weights' own influence is left out (it vanishes under the null)."""
    groups = cells.group[pre]
    size = np.array([cells.n_treated[pre][groups == g].max() for g in groups], float)
    per_group = np.array([np.sum(groups == g) for g in groups], float)
    w = size / per_group
    w = w / w.sum()
    theta = float(cells.att[pre] @ w)
    draws = bootstrap_draws(
        cells.inf[:, pre] @ w[:, None],
        draws=spec.reps,
        cluster=cluster,
        seed=spec.seed,
        boot_weights=spec.boot_weights,
        n=n,
    )[:, 0]
    p = float((1 + np.sum(np.abs(draws) >= abs(theta))) / (1 + spec.reps))
    alpha = spec.alpha
    k = int(pre.sum())
    row = {
        "check": "pretest",
        "statistic": theta,
        "df": 1.0,
        "p_value": p,
        "passed": p >= alpha,
        "message": f"bootstrap test ({spec.reps} draws) that the group-averaged pre-treatment "
        f"effect ({k} ATT(g,t)) is zero: "
        + ("not rejected" if p >= alpha else f"rejected at {alpha:g}; parallel trends in doubt"),
    }
    return diagnostics_frame([row]), []


def few_cluster_df(spec: DidSpec, n_clusters: int | None) -> float | None:
    """Degrees of freedom of the pointwise reference: G - 1 with ``small_cluster`` (few
    clusters; t(G - 1) as for CR2-corrected clustered errors), else None (normal)."""
    if spec.small_cluster and n_clusters is not None and n_clusters > 1:
        return float(n_clusters - 1)
    return None


def cell_table(
    cells: Cells,
    se: np.ndarray,
    crit: float | None,
    spec: DidSpec,
    periods: np.ndarray,
    df: float | None = None,
) -> pd.DataFrame:
    """The tidy ATT(g,t) rows with their ``group``, ``time`` and ``event_time`` keys."""
    step = float(periods[1] - periods[0])
    labels = [f"ATT({g:g},{t:g})" for g, t in zip(cells.group, cells.time, strict=True)]
    table = tidy_table(labels, cells.att, se, crit, spec.outcome, spec.alpha, df)
    table["group"] = cells.group
    table["time"] = cells.time
    table["event_time"] = np.round((cells.time - cells.group) / step).astype(int)
    return table


def cell_frame(cells: Cells, reference: np.ndarray) -> pd.DataFrame:
    """The ``cells`` table: ``group, time, reference, n_treated, n_control``."""
    return pd.DataFrame(
        {
            "group": cells.group,
            "time": cells.time,
            "reference": reference,
            "n_treated": cells.n_treated,
            "n_control": cells.n_control,
        }
    )
