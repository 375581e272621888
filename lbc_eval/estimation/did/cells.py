"""Group-time cells: the balanced wide panel and each ATT(g,t) with its influence function."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    NoVariationError,
    UnknownColumnError,
)

Control = Literal["never", "not_yet"]
Method = Literal["reg", "ipw", "dr"]
BasePeriod = Literal["varying", "universal"]
_CHOICES = {
    "control": ("never", "not_yet"),
    "method": ("reg", "ipw", "dr"),
    "base_period": ("varying", "universal"),
}


def check_choice(name: str, value: str) -> None:
    if value not in _CHOICES[name]:
        raise ValueError(f"{name}={value!r}; choose one of {', '.join(_CHOICES[name])}")


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


def prepare(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str],
    cluster: str | None,
    anticipation: int,
    allow_unbalanced_panel: bool,
) -> tuple[Panel, list[str]]:
    cols = [outcome, unit, time, cohort, *covariates, *([cluster] if cluster else [])]
    missing = [c for c in dict.fromkeys(cols) if c not in data.columns]
    if missing:
        raise UnknownColumnError(
            f"column(s) {', '.join(missing)} not in the data; it has "
            f"{', '.join(map(str, data.columns))}"
        )
    notes: list[str] = []
    d = data[list(dict.fromkeys(cols))].copy()
    n_rows = len(d)
    d = d.dropna(subset=[outcome, time, unit, *covariates])
    if len(d) < n_rows:
        notes.append(
            f"{n_rows - len(d)} rows with a missing outcome, time, unit or covariate were left out"
        )
    if d.empty:
        raise NoVariationError(f"no row has a non-missing {outcome!r}; nothing to estimate")
    g = pd.to_numeric(d[cohort], errors="coerce").astype(float).fillna(0.0)
    d[cohort] = g.where(g > 0, np.inf)  # 0 or missing = never treated
    varies = d.groupby(unit)[cohort].nunique(dropna=False)
    if (varies > 1).any():
        raise EstimationError(
            f"the cohort column {cohort!r} varies within {int((varies > 1).sum())} unit(s) "
            f"(e.g. unit {varies[varies > 1].index[0]!r}); it must be the unit's first treated "
            f"period, the same in every row of the unit"
        )
    if d.duplicated([unit, time]).any():
        raise EstimationError(
            f"some {unit!r} appear twice in one {time!r}; one row per unit and period is needed"
        )
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
    wide = d.pivot(index=unit, columns=time, values=outcome)
    complete = wide.notna().all(axis=1)
    if not complete.all():
        if not allow_unbalanced_panel:
            raise EstimationError(
                f"the panel is unbalanced: {int((~complete).sum())} of {len(wide)} units miss "
                f"some period. Pass allow_unbalanced_panel=True to keep, for each ATT(g,t), the "
                f"units observed in both its periods, or balance the panel first"
            )
        notes.append(
            f"unbalanced panel: {int((~complete).sum())} of {len(wide)} units miss "
            f"some period; each ATT(g,t) uses the units observed in both its periods"
        )
    first = d.groupby(unit)[cohort].first().reindex(wide.index)
    early = first <= periods[0] + anticipation
    if early.any():
        warnings.warn(
            f"dropped {int(early.sum())} units already treated in the first period "
            f"({periods[0]:g}); they have no pre-treatment period",
            DroppedRowsWarning,
            stacklevel=3,
        )
        notes.append(f"{int(early.sum())} units treated in the first period were dropped")
        wide, first = wide[~early], first[~early]
    x = None
    if covariates:
        x = np.stack(
            [
                d.pivot(index=unit, columns=time, values=c).reindex(wide.index).to_numpy(float)
                for c in covariates
            ],
            axis=2,
        )
    codes = None
    if cluster:
        cl = d.groupby(unit)[cluster].first().reindex(wide.index)
        codes = pd.factorize(cl)[0]
    panel = Panel(
        units=wide.index.to_numpy(),
        periods=periods,
        y=wide.to_numpy(float),
        group=first.to_numpy(float),
        x=x,
        cluster=codes,
    )
    return panel, notes


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


def estimate_cells(
    p: Panel, control: Control, method: Method, base_period: BasePeriod, anticipation: int
) -> tuple[Cells, list[str]]:
    n, T = p.y.shape
    groups = np.unique(p.group[np.isfinite(p.group)])
    step = p.periods[1] - p.periods[0]
    notes: list[str] = []
    rows = []
    infs = []
    first_t = 0 if base_period == "universal" else 1
    for g in groups:
        treated = p.group == g
        for ti in range(first_t, T):
            t = p.periods[ti]
            post = g <= t
            if post or base_period == "universal":
                bi = int(np.flatnonzero(p.periods + anticipation * step < g)[-1])
            else:
                bi = ti - 1
            if bi == ti:  # universal base period: the reference cell
                rows.append((g, t, 0.0, int(treated.sum()), 0, False))
                infs.append(np.zeros(n))
                continue
            later = max(p.periods[ti], p.periods[bi]) + anticipation * step
            if control == "never":
                ctrl = ~np.isfinite(p.group)
            else:
                ctrl = ~np.isfinite(p.group) | ((p.group > later) & (p.group != g))
            both = np.isfinite(p.y[:, ti]) & np.isfinite(p.y[:, bi])
            sample = (treated | ctrl) & both
            d = treated[sample]
            n_t, n_c = int(d.sum()), int((~d).sum())
            if n_t == 0 or n_c == 0:
                rows.append((g, t, np.nan, n_t, n_c, post))
                infs.append(np.zeros(n))
                notes.append(
                    f"ATT({g:g},{t:g}) not estimable: {n_t} treated and {n_c} control units"
                )
                continue
            dy = p.y[sample, ti] - p.y[sample, bi]
            x = None
            if p.x is not None:
                x = np.column_stack([np.ones(int(sample.sum())), p.x[sample, bi, :]])
            att, inf_s = _att_cell(dy, d, x, method)
            full = np.zeros(n)
            full[sample] = inf_s * n / int(sample.sum())
            rows.append((g, t, att, n_t, n_c, post))
            infs.append(full)
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
