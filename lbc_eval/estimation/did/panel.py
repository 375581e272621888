"""The data of a staggered DiD as R ``did`` (2.5) prepares it: :func:`prepare`.

A balanced panel becomes units x periods arrays; repeated cross sections (``panel=False``)
and, with ``allow_unbalanced_panel=True``, an unbalanced panel stay one row per observation
for the repeated-cross-section estimator (``did``'s ``pre_process_did``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    NoVariationError,
    UnknownColumnError,
)
from lbc_eval.estimation.did.spec import DidSpec

_ROW = "__row__"


@dataclass(frozen=True)
class Rows:
    """Long data for the repeated-cross-section estimator: one entry per observation."""

    unit: np.ndarray  # index of the observation's unit in Panel.units
    tix: np.ndarray  # index of its period in Panel.periods
    y: np.ndarray
    x: np.ndarray | None  # m x k covariates (its own period's values)
    w: np.ndarray  # sampling weight


@dataclass(frozen=True)
class Panel:
    """The units (each observation's own for repeated cross sections) and their data.

    ``y``, ``x``, ``w`` are units x periods (x periods x covariates) for a balanced panel,
    None when ``rows`` holds the observations (repeated cross sections, unbalanced panel).
    """

    units: np.ndarray
    periods: np.ndarray  # sorted period values
    group: np.ndarray  # first treated period per unit, np.inf = never
    cluster: np.ndarray | None  # integer codes per unit
    weight: np.ndarray  # per unit, for the aggregations' group shares (did: first period's
    # weight on a balanced panel, the mean of the unit's rows otherwise)
    y: np.ndarray | None = None
    x: np.ndarray | None = None
    w: np.ndarray | None = None
    rows: Rows | None = None
    glist: np.ndarray | None = None  # the groups with ATT(g,t) (default: every finite group)

    @property
    def n(self) -> int:
        """Number of units: the rows of every influence function."""
        return len(self.units)


def prepare(data: pd.DataFrame, spec: DidSpec) -> tuple[Panel, list[str]]:
    """The panel of ``spec``'s columns, with notes on the rows and units left out.

    Steps, as ``did``'s ``pre_process_did``: :func:`long_rows` (complete, finite rows; the
    group column as periods, cohorts treated after the last period as never treated),
    :func:`no_never_treated` (the last cohort's role when no unit is never treated),
    :func:`even_periods`, units treated by the first period (+ anticipation) dropped, then
    the balanced arrays (:func:`balanced`) or the rows of the repeated-cross-section estimator
    (``panel=False``, or an unbalanced panel with ``allow_unbalanced_panel``).
    """
    d, notes = long_rows(data, spec)
    comparison_only = np.isfinite(d[spec.group]).all() and spec.control == "not_yet"
    d, more = no_never_treated(d, spec)
    notes += more
    periods = even_periods(d, spec.time)
    d, more = drop_early(d, spec, periods)
    notes += more
    glist = np.unique(d[spec.group][np.isfinite(d[spec.group])])
    if comparison_only:
        glist = glist[:-1]
    if not glist.size:
        raise NoVariationError("no unit is ever treated: every group value is 0 or missing")
    return replace(_arrays(d, spec, periods, notes), glist=glist), notes


def _arrays(d: pd.DataFrame, spec: DidSpec, periods: np.ndarray, notes: list[str]) -> Panel:
    """The balanced arrays, or the rows of the repeated-cross-section estimator."""
    if not spec.panel:
        d = d.assign(**{_ROW: np.arange(len(d))})
        return _rows_panel(d, spec, periods, _ROW)
    counts = d.groupby(spec.unit)[spec.time].size()
    incomplete = counts < len(periods)
    if incomplete.any() and spec.allow_unbalanced_panel:
        notes.append(
            f"unbalanced panel: {int(incomplete.sum())} of {len(counts)} units miss some "
            f"period; ATT(g,t) by the repeated-cross-section estimator, influence functions "
            f"summed by unit (as did's allow_unbalanced_panel)"
        )
        return _rows_panel(d, spec, periods, spec.unit)
    if incomplete.any():
        msg = (
            f"{int(incomplete.sum())} of {len(counts)} units miss some period and were dropped "
            f"to balance the panel (as did); pass allow_unbalanced_panel=True to keep them"
        )
        warnings.warn(msg, DroppedRowsWarning, stacklevel=4)
        notes.append(msg)
        d = d[d[spec.unit].isin(counts.index[~incomplete])]
    return balanced(d, spec, periods)


def long_rows(data: pd.DataFrame, spec: DidSpec) -> tuple[pd.DataFrame, list[str]]:
    """The complete, finite rows; the group column as periods (``inf`` = never treated).

    A group of 0 or missing is never treated (R ``did`` drops rows with a missing group: the
    kit keeps them as never treated and says so in a note); a group after the last period
    plus anticipation is never treated too, as ``did`` >= 2.1. Raises when a column is
    missing, weights are negative, the group or the cluster varies within a unit, or a unit
    appears twice in a period.
    """
    cols = spec.columns
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise UnknownColumnError(
            f"column(s) {', '.join(missing)} not in the data; it has "
            f"{', '.join(map(str, data.columns))}"
        )
    notes: list[str] = []
    d = data[cols].copy()
    need = [c for c in cols if c != spec.group]
    num = [c for c in need if pd.api.types.is_numeric_dtype(d[c])]
    bad = d[need].isna().any(axis=1) | ~np.isfinite(d[num].to_numpy(float)).all(axis=1)
    if bad.any():
        notes.append(
            f"{int(bad.sum())} rows with a missing or infinite outcome, time, unit, weight, "
            f"cluster or covariate were left out"
        )
        d = d[~bad]
    if d.empty:
        raise NoVariationError(f"no row has a non-missing {spec.outcome!r}; nothing to estimate")
    if spec.weights and (d[spec.weights] < 0).any() | (d[spec.weights].mean() <= 0):
        raise EstimationError(
            f"the weights {spec.weights!r} must be non-negative with a positive mean"
        )
    raw = pd.to_numeric(d[spec.group], errors="coerce").astype(float)
    if raw.isna().any():
        notes.append(
            f"{int(raw.isna().sum())} rows with a missing {spec.group!r} are taken as never "
            f"treated (R did drops them)"
        )
    g = raw.fillna(0.0)
    last = pd.to_numeric(d[spec.time]).max() + spec.anticipation * _step(d, spec.time)
    late = g > last
    if late.any():
        notes.append(
            f"{int(late.sum())} rows of units first treated after the last period "
            f"({', '.join(f'{v:g}' for v in sorted(g[late].unique()))}) are taken as never "
            f"treated, as did does"
        )
    d[spec.group] = g.where((g > 0) & ~late, np.inf)
    if spec.panel:
        _check_within_unit(d, spec)
    return d, notes


def _step(d: pd.DataFrame, time: str) -> float:
    t = np.sort(pd.to_numeric(d[time]).unique().astype(float))
    return float(np.diff(t).min()) if t.size > 1 else 1.0


def _check_within_unit(d: pd.DataFrame, spec: DidSpec) -> None:
    """Raise when the group, cluster or weights vary within a unit, or a unit repeats."""
    unit = spec.unit
    for col, what in ((spec.group, "the unit's first treated period"), (spec.cluster, "")):
        if not col:
            continue
        varies = d.groupby(unit)[col].transform("nunique", dropna=False) > 1
        if varies.any():
            # a row number, never the unit's identifier (a child's pseudonym)
            rule = what or f"a level above {unit!r}"
            n_units = d.loc[varies.to_numpy(), unit].nunique()
            raise EstimationError(
                f"{col!r} varies within {n_units} unit(s) (e.g. the unit in row "
                f"{int(np.flatnonzero(varies.to_numpy())[0]) + 1} of the data); it must be "
                f"{rule}, the same in every row of the unit"
            )
    if d.duplicated([unit, spec.time]).any():
        raise EstimationError(
            f"some {unit!r} appear twice in one {spec.time!r}; one row per unit and period is "
            f"needed"
        )


def no_never_treated(d: pd.DataFrame, spec: DidSpec) -> tuple[pd.DataFrame, list[str]]:
    """With no never-treated unit, ``did``'s rule: drop the periods from the last cohort's
    first treated period (minus anticipation) on; with ``control="never"`` that cohort
    becomes the never-treated comparison (warned), with ``not_yet`` it is a comparison only
    (no ATT of its own: :func:`prepare` leaves it out of ``Panel.glist``)."""
    g = d[spec.group]
    if not np.isfinite(g).all():
        return d, []
    latest = g.max()
    cutoff = latest - spec.anticipation * _step(d, spec.time)
    d = d[pd.to_numeric(d[spec.time]) < cutoff].copy()
    if d.empty or np.isinf(latest):
        raise NoVariationError("no unit is ever treated or never treated: nothing to compare")
    if spec.control == "never":
        msg = (
            f"no never-treated units: the last cohort ({latest:g}) is taken as never treated "
            f"and periods from {cutoff:g} on are dropped, as did does"
        )
        warnings.warn(msg, DroppedRowsWarning, stacklevel=5)
        d[spec.group] = d[spec.group].where(d[spec.group] != latest, np.inf)
        return d, [msg]
    return d, [
        f"no never-treated units: periods from {cutoff:g} on are dropped and the last cohort "
        f"({latest:g}) serves only as a not-yet-treated comparison, as did does"
    ]


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


def drop_early(
    d: pd.DataFrame, spec: DidSpec, periods: np.ndarray
) -> tuple[pd.DataFrame, list[str]]:
    """Drop (with a :class:`~lbc_eval.errors.DroppedRowsWarning`) the units treated by the
    first period plus anticipation: they have no pre-treatment period."""
    step = periods[1] - periods[0]
    g = d[spec.group]
    early = g <= periods[0] + spec.anticipation * step
    if not early.any():
        return d, []
    k = d.loc[early, spec.unit].nunique() if spec.panel else int(early.sum())
    msg = (
        f"dropped {k} units already treated in the first period ({periods[0]:g}); they have "
        f"no pre-treatment period"
    )
    warnings.warn(msg, DroppedRowsWarning, stacklevel=4)
    return d[~early], [msg]


def _cluster_codes(values: pd.Series | None) -> np.ndarray | None:
    return None if values is None else pd.factorize(values)[0]


def balanced(d: pd.DataFrame, spec: DidSpec, periods: np.ndarray) -> Panel:
    """Units x periods arrays of the outcome, covariates and weights of a balanced panel."""

    def wide(col: str) -> np.ndarray:
        return d.pivot(index=spec.unit, columns=spec.time, values=col).to_numpy(float)

    first = d.groupby(spec.unit, sort=True)
    w = wide(spec.weights) if spec.weights else np.ones((first.ngroups, len(periods)))
    x = np.stack([wide(c) for c in spec.controls], axis=2) if spec.controls else None
    return Panel(
        units=np.asarray(list(first.groups)),
        periods=periods,
        group=first[spec.group].first().to_numpy(float),
        cluster=_cluster_codes(first[spec.cluster].first() if spec.cluster else None),
        weight=w[:, 0],
        y=wide(spec.outcome),
        x=x,
        w=w,
    )


def _rows_panel(d: pd.DataFrame, spec: DidSpec, periods: np.ndarray, unit: str) -> Panel:
    """The observations for the repeated-cross-section estimator, units keyed by ``unit``."""
    codes, units = pd.factorize(d[unit], sort=True)
    by = d.groupby(codes, sort=True)
    w = d[spec.weights].to_numpy(float) if spec.weights else np.ones(len(d))
    t = pd.to_numeric(d[spec.time]).to_numpy(float)
    rows = Rows(
        unit=codes,
        tix=np.searchsorted(periods, t),
        y=d[spec.outcome].to_numpy(float),
        x=d[list(spec.controls)].to_numpy(float) if spec.controls else None,
        w=w,
    )
    return Panel(
        units=np.asarray(units),
        periods=periods,
        group=by[spec.group].first().to_numpy(float),
        cluster=_cluster_codes(by[spec.cluster].first() if spec.cluster else None),
        weight=pd.Series(w).groupby(codes).mean().to_numpy(float),
        rows=rows,
    )
