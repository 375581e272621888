"""Group-time cells: the balanced wide panel and each ATT(g,t) with its influence function."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    NoVariationError,
    UnknownColumnError,
)
from lbc_eval.estimation.did.spec import DidSpec, Method

# --- data --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """Balanced wide panel: units x periods."""

    units: np.ndarray
    periods: np.ndarray  # sorted period values
    y: np.ndarray  # n x T
    group: np.ndarray  # first treated period per unit, np.inf = never
    x: np.ndarray | None  # n x T x k covariates (with intercept added later)
    cluster: np.ndarray | None  # integer codes per unit


def prepare(data: pd.DataFrame, spec: DidSpec) -> tuple[Panel, list[str]]:
    """The wide panel of ``spec``'s columns, with notes on the rows and units left out.

    Steps: :func:`long_rows` (complete rows, the group column made numeric),
    :func:`even_periods` (the sorted, evenly spaced periods), :func:`wide_outcome` (units x
    periods, balance and early-treated units), then the covariates and cluster codes per unit.
    """
    d, notes = long_rows(data, spec)
    periods = even_periods(d, spec.time)
    wide, first, wide_notes = wide_outcome(d, spec, periods)
    x = None
    if spec.controls:
        x = np.stack(
            [
                d.pivot(index=spec.unit, columns=spec.time, values=c)
                .reindex(wide.index)
                .to_numpy(float)
                for c in spec.controls
            ],
            axis=2,
        )
    codes = None
    if spec.cluster:
        cl = d.groupby(spec.unit)[spec.cluster].first().reindex(wide.index)
        codes = pd.factorize(cl)[0]
    panel = Panel(
        units=wide.index.to_numpy(),
        periods=periods,
        y=wide.to_numpy(float),
        group=first.to_numpy(float),
        x=x,
        cluster=codes,
    )
    return panel, notes + wide_notes


def long_rows(data: pd.DataFrame, spec: DidSpec) -> tuple[pd.DataFrame, list[str]]:
    """The rows with an outcome, time, unit and covariates; the group column as periods.

    A group of 0 or missing becomes ``inf`` (never treated). Raises when a column is missing,
    when the group varies within a unit, or when a unit appears twice in a period.
    """
    cols = spec.columns
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise UnknownColumnError(
            f"column(s) {', '.join(missing)} not in the data; it has "
            f"{', '.join(map(str, data.columns))}"
        )
    notes: list[str] = []
    unit, group = spec.unit, spec.group
    d = data[cols].copy()
    n_rows = len(d)
    d = d.dropna(subset=[spec.outcome, spec.time, unit, *spec.controls])
    if len(d) < n_rows:
        notes.append(
            f"{n_rows - len(d)} rows with a missing outcome, time, unit or covariate were left out"
        )
    if d.empty:
        raise NoVariationError(f"no row has a non-missing {spec.outcome!r}; nothing to estimate")
    g = pd.to_numeric(d[group], errors="coerce").astype(float).fillna(0.0)
    d[group] = g.where(g > 0, np.inf)  # 0 or missing = never treated
    varies = d.groupby(unit)[group].nunique(dropna=False)
    if (varies > 1).any():
        raise EstimationError(
            f"the group column {group!r} varies within {int((varies > 1).sum())} unit(s) "
            f"(e.g. unit {varies[varies > 1].index[0]!r}); it must be the unit's first treated "
            f"period, the same in every row of the unit"
        )
    if d.duplicated([unit, spec.time]).any():
        raise EstimationError(
            f"some {unit!r} appear twice in one {spec.time!r}; one row per unit and period is "
            f"needed"
        )
    return d, notes


def even_periods(d: pd.DataFrame, time: str) -> np.ndarray:
    """The sorted periods; raises unless there are two or more, evenly spaced."""
    periods = np.sort(pd.to_numeric(d[time]).unique().astype(float))
    if periods.size < 2:
        raise NoVariationError(f"{time!r} has a single period; at least two are needed")
    steps = np.diff(periods)
    if not np.allclose(steps, steps[0]):
        gaps = [
            f"{a:g}->{b:g}"
            for a, b, s in zip(periods[:-1], periods[1:], steps, strict=True)
            if not np.isclose(s, steps.min())
        ]
        raise EstimationError(
            f"the periods of {time!r} are not evenly spaced (gaps at {', '.join(gaps)}); the "
            f"base period t-1 would not exist. Fill the missing periods or re-index time to "
            f"consecutive integers on purpose"
        )
    return periods


def wide_outcome(
    d: pd.DataFrame, spec: DidSpec, periods: np.ndarray
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Outcome as units x periods and each unit's group, with notes.

    Refuses an unbalanced panel unless ``spec.allow_unbalanced_panel``; drops (with a
    :class:`~lbc_eval.errors.DroppedRowsWarning`) units treated by the first period plus
    anticipation, which have no pre-treatment period.
    """
    notes: list[str] = []
    wide = d.pivot(index=spec.unit, columns=spec.time, values=spec.outcome)
    complete = wide.notna().all(axis=1)
    if not complete.all():
        if not spec.allow_unbalanced_panel:
            raise EstimationError(
                f"the panel is unbalanced: {int((~complete).sum())} of {len(wide)} units miss "
                f"some period. Pass allow_unbalanced_panel=True to keep, for each ATT(g,t), the "
                f"units observed in both its periods, or balance the panel first"
            )
        notes.append(
            f"unbalanced panel: {int((~complete).sum())} of {len(wide)} units miss "
            f"some period; each ATT(g,t) uses the units observed in both its periods"
        )
    first = d.groupby(spec.unit)[spec.group].first().reindex(wide.index)
    early = first <= periods[0] + spec.anticipation
    if early.any():
        warnings.warn(
            f"dropped {int(early.sum())} units already treated in the first period "
            f"({periods[0]:g}); they have no pre-treatment period",
            DroppedRowsWarning,
            stacklevel=4,
        )
        notes.append(f"{int(early.sum())} units treated in the first period were dropped")
        wide, first = wide[~early], first[~early]
    return wide, first, notes


# --- one cell ----------------------------------------------------------------------------------


def _ols(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    xw = x * w[:, None]
    beta, *_ = np.linalg.lstsq(xw.T @ x, xw.T @ y, rcond=None)
    return beta


def _logit(x: np.ndarray, d: np.ndarray, iters: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Propensity scores and the Hessian inverse times n, by Newton-Raphson (glm's logit)."""
    n = len(d)
    beta = np.zeros(x.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-x @ beta))
        w = p * (1 - p)
        step = np.linalg.solve((x * w[:, None]).T @ x, x.T @ (d - p))
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    p = np.minimum(1 / (1 + np.exp(-x @ beta)), 1 - 1e-6)
    w = p * (1 - p)
    hess_inv = np.linalg.inv((x * w[:, None]).T @ x) * n
    return p, hess_inv


def _att_cell(
    dy: np.ndarray, d: np.ndarray, x: np.ndarray | None, method: Method
) -> tuple[float, np.ndarray]:
    """ATT and its influence function on the cell's sample (Sant'Anna & Zhao 2020, panel)."""
    d = d.astype(float)
    if x is None:
        x = np.ones((len(dy), 1))
    if method == "reg":
        beta = _ols(x[d == 0], dy[d == 0], np.ones(int((d == 0).sum())))
        out = x @ beta
        w_t = d
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_t * out) / np.mean(w_t)
        w_ols = 1 - d
        xpx_inv = np.linalg.inv((w_ols[:, None] * x).T @ x / len(d))
        lin_ols = (w_ols * (dy - out))[:, None] * x @ xpx_inv
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        inf_c = w_t * out - w_t * eta_c + lin_ols @ np.mean(w_t[:, None] * x, axis=0)
        return eta_t - eta_c, inf_t - inf_c / np.mean(w_t)
    p, hess = _logit(x, d)
    lin_ps = ((d - p)[:, None] * x) @ hess
    w_t = d
    w_c = p * (1 - d) / (1 - p)
    if method == "ipw":
        eta_t = np.mean(w_t * dy) / np.mean(w_t)
        eta_c = np.mean(w_c * dy) / np.mean(w_c)
        inf_t = (w_t * dy - w_t * eta_t) / np.mean(w_t)
        inf_c = (w_c * dy - w_c * eta_c) / np.mean(w_c)
        m2 = np.mean((w_c * (dy - eta_c))[:, None] * x, axis=0) / np.mean(w_c)
        return eta_t - eta_c, inf_t - (inf_c + lin_ps @ m2)
    beta = _ols(x[d == 0], dy[d == 0], np.ones(int((d == 0).sum())))
    out = x @ beta
    eta_t = np.mean(w_t * (dy - out)) / np.mean(w_t)
    eta_c = np.mean(w_c * (dy - out)) / np.mean(w_c)
    w_ols = 1 - d
    xpx_inv = np.linalg.inv((w_ols[:, None] * x).T @ x / len(d))
    lin_ols = (w_ols * (dy - out))[:, None] * x @ xpx_inv
    inf_t = w_t * (dy - out) - w_t * eta_t - lin_ols @ np.mean(w_t[:, None] * x, axis=0)
    inf_t = inf_t / np.mean(w_t)
    m2 = np.mean((w_c * (dy - out - eta_c))[:, None] * x, axis=0)
    inf_c = (
        w_c * (dy - out) - w_c * eta_c + lin_ps @ m2 - lin_ols @ np.mean(w_c[:, None] * x, axis=0)
    ) / np.mean(w_c)
    return eta_t - eta_c, inf_t - inf_c


# --- all cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cells:
    group: np.ndarray  # period value of each cell's group
    time: np.ndarray
    att: np.ndarray
    inf: np.ndarray  # n x cells
    n_treated: np.ndarray
    n_control: np.ndarray
    post: np.ndarray


def estimate_cells(p: Panel, spec: DidSpec) -> tuple[Cells, list[str]]:
    """Every ATT(g,t), group by group and period by period (see :func:`one_cell`).

    With the ``varying`` base period the first period has no cell (no period before it);
    with ``universal`` every period has one, the base period's being the zero reference.
    """
    n, T = p.y.shape
    groups = np.unique(p.group[np.isfinite(p.group)])
    notes: list[str] = []
    rows = []
    infs = []
    first_t = 0 if spec.base_period == "universal" else 1
    for g in groups:
        for ti in range(first_t, T):
            row, inf, note = one_cell(p, g, ti, spec)
            rows.append(row)
            infs.append(inf)
            if note:
                notes.append(note)
    arr = list(zip(*rows, strict=True))
    cells = Cells(
        group=np.array(arr[0], float),
        time=np.array(arr[1], float),
        att=np.array(arr[2], float),
        n_treated=np.array(arr[3]),
        n_control=np.array(arr[4]),
        post=np.array(arr[5], bool),
        inf=np.column_stack(infs),
    )
    return cells, notes


def base_index(p: Panel, g: float, ti: int, spec: DidSpec) -> int:
    """Index of the base period :math:`b` of ATT(g, t): :math:`g - 1 - \\delta` for post
    periods (and every period with the universal base), else :math:`t - 1`."""
    step = p.periods[1] - p.periods[0]
    if g <= p.periods[ti] or spec.base_period == "universal":
        return int(np.flatnonzero(p.periods + spec.anticipation * step < g)[-1])
    return ti - 1


def comparison_units(p: Panel, g: float, ti: int, bi: int, spec: DidSpec) -> np.ndarray:
    """Never-treated units, or (``not_yet``) also the units first treated after
    :math:`\\max(t, b) + \\delta` other than group ``g``."""
    never = ~np.isfinite(p.group)
    if spec.control == "never":
        return never
    step = p.periods[1] - p.periods[0]
    later = max(p.periods[ti], p.periods[bi]) + spec.anticipation * step
    return never | ((p.group > later) & (p.group != g))


def one_cell(
    p: Panel, g: float, ti: int, spec: DidSpec
) -> tuple[tuple[float, float, float, int, int, bool], np.ndarray, str]:
    """ATT(g, t) for period index ``ti``: ``(g, t, att, n_treated, n_control, post)``, its
    influence function over all n units (scaled by :math:`n / n_{gt}`, zero outside the
    cell's sample), and a note when the cell cannot be estimated."""
    n = p.y.shape[0]
    t = p.periods[ti]
    post = bool(g <= t)
    treated = p.group == g
    bi = base_index(p, g, ti, spec)
    if bi == ti:  # universal base period: the reference cell
        return (g, t, 0.0, int(treated.sum()), 0, False), np.zeros(n), ""
    ctrl = comparison_units(p, g, ti, bi, spec)
    both = np.isfinite(p.y[:, ti]) & np.isfinite(p.y[:, bi])
    sample = (treated | ctrl) & both
    d = treated[sample]
    n_t, n_c = int(d.sum()), int((~d).sum())
    if n_t == 0 or n_c == 0:
        note = f"ATT({g:g},{t:g}) not estimable: {n_t} treated and {n_c} control units"
        return (g, t, np.nan, n_t, n_c, post), np.zeros(n), note
    dy = p.y[sample, ti] - p.y[sample, bi]
    x = None
    if p.x is not None:
        x = np.column_stack([np.ones(int(sample.sum())), p.x[sample, bi, :]])
    att, inf_s = _att_cell(dy, d, x, spec.method)
    full = np.zeros(n)
    full[sample] = inf_s * n / int(sample.sum())
    return (g, t, att, n_t, n_c, post), full, ""
