"""``fit_did`` on a lazy table: R ``did``'s data rules on the patterns of one engine pass.

:func:`prepare_lazy` reads the table's :class:`~lbc_eval.scale.did.PanelMoments` (one grouped
pass in the engine; see :mod:`lbc_eval.scale.did`) and applies the rules of
:func:`~lbc_eval.estimation.did.panel.prepare` to its patterns -- rows with missing values left
out, a missing group or one after the last period never treated, ``did``'s rule when no unit is
never treated, evenly spaced periods, units treated by the first period dropped, incomplete
units dropped (or, with ``allow_unbalanced_panel``, the repeated-cross-section estimator) --
with the same notes and warnings; :func:`lazy_cells` computes the ATT(g,t) and the sums of
their influence functions by cluster. :func:`~lbc_eval.estimation.did.fit_did_spec` finishes
both into the same :class:`~lbc_eval.estimation.did.DidResult` as for a DataFrame.

What needs each unit's data in memory is refused with :class:`~lbc_eval.errors.OutOfCoreError`,
saying what to do: covariates, sampling weights, repeated cross sections (``panel=False``), and
the multiplier bootstrap over units (give a ``cluster``: the bootstrap then draws one weight per
cluster and multiplies the clusters' sums, which the lazy fit keeps).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    NoVariationError,
    OutOfCoreError,
)
from lbc_eval.estimation.did.cells import Cells
from lbc_eval.estimation.did.panel import even_periods
from lbc_eval.estimation.did.spec import DidSpec
from lbc_eval.scale.did import PanelMoments, keep_periods, panel_moments
from lbc_eval.scale.did_cells import Design, cell_moments, row_groups

_COLLECT = (
    "collect a subset into memory (LazyCohort.collect(terms=..., columns=...), or "
    "table.to_pandas()) and pass the DataFrame"
)


@dataclass(frozen=True, eq=False)
class LazyPanel:
    """The prepared patterns of a lazy panel, with what the result needs of its units."""

    design: Design
    sizes: pd.Series  # units per treated group (sorted)
    never: int  # never-treated units
    group: None = None  # no per-unit arrays: the rows of inf are clusters (or a factor)
    weight: None = None

    @property
    def n(self) -> int:
        return self.design.n

    @property
    def periods(self) -> np.ndarray:
        return self.design.periods

    @property
    def cluster(self) -> np.ndarray | None:
        """Codes of the rows of ``inf``: one per cluster (None: the units are the clusters)."""
        d = self.design
        return None if d.cluster is None else np.arange(d.n_clusters)

    @cached_property
    def row_groups(self) -> pd.DataFrame:
        return row_groups(self.design)


def check_lazy(spec: DidSpec) -> None:
    """Raise :class:`~lbc_eval.errors.OutOfCoreError` for the options a lazy fit cannot run."""
    what = []
    if spec.controls:
        what.append(f"covariates ({', '.join(spec.controls)}) need the outcome regressions or "
                    "propensity scores fitted on every unit")  # fmt: skip
    if spec.weights:
        what.append(f"sampling weights ({spec.weights!r}) enter every unit's influence function")
    if not spec.panel:
        what.append("repeated cross sections (panel=False) are not supported lazily")
    if what:
        raise OutOfCoreError(
            "fit_did cannot run on a lazy table with these options: "
            + "; ".join(what)
            + f". Drop them, or {_COLLECT}"
        )
    if spec.reps and spec.cluster is None:
        raise OutOfCoreError(
            "the multiplier bootstrap over units (reps > 0 without a cluster) needs every "
            "unit's influence function, which a lazy table does not hold in memory. Give "
            "cluster=<a column above the unit> (the bootstrap then draws one weight per cluster "
            "on the clusters' sums of influence functions, as the clustered bootstrap always "
            f"does), use reps=0 for analytic standard errors, or {_COLLECT}"
        )


def prepare_lazy(data: Any, spec: DidSpec) -> tuple[LazyPanel, list[str]]:
    """The patterns of ``data`` (an Ibis table, or its :class:`PanelMoments`) under ``did``'s
    data rules, with the notes :func:`~lbc_eval.estimation.did.panel.prepare` would write."""
    check_lazy(spec)
    if isinstance(data, PanelMoments):
        m = data
        _check_moments(m, spec)
    else:
        m = panel_moments(
            data,
            unit=str(spec.unit),
            time=spec.time,
            group=spec.group,
            outcome=spec.outcome,
            cluster=spec.cluster,
            anticipation=spec.anticipation,
            cross=spec.cluster is None,
        )
    notes = _long_notes(m, spec)
    p = m.patterns[m.patterns["mask"] > 0].reset_index(drop=True)
    _check_within_unit(p, spec)
    periods = m.periods
    comparison_only = bool(np.isfinite(p["group"]).all()) and spec.control == "not_yet"
    p, periods, more = _no_never_treated(p, periods, spec)
    notes += more
    periods = even_periods(pd.DataFrame({spec.time: periods}), spec.time)
    p, more = _drop_early(p, periods, spec)
    notes += more
    glist = np.unique(p["group"][np.isfinite(p["group"])])
    if comparison_only:
        glist = glist[:-1]
    if not glist.size:
        raise NoVariationError("no unit is ever treated: every group value is 0 or missing")
    p, balanced, more = _balance(p, periods, spec)
    notes += more
    return _panel(m, p, periods, glist, balanced, spec), notes


def lazy_cells(panel: LazyPanel, spec: DidSpec) -> tuple[Cells, list[str]]:
    """Every ATT(g,t) with the sums of its influence function by cluster (rescaled for few
    clusters with ``small_cluster``), as :class:`~lbc_eval.estimation.did.cells.Cells`."""
    cm = cell_moments(
        panel.design,
        control=spec.control,
        base_period=spec.base_period,
        anticipation=spec.anticipation,
        method=spec.method,
        small_cluster=spec.small_cluster,
    )
    cells = Cells(
        group=cm.group,
        time=cm.time,
        att=cm.att,
        inf=cm.scores,
        n_treated=cm.n_treated,
        n_control=cm.n_control,
        post=cm.post,
    )
    return cells, cm.notes


def _check_moments(m: PanelMoments, spec: DidSpec) -> None:
    read = {"unit": spec.unit, "time": spec.time, "group": spec.group,
            "outcome": spec.outcome, "cluster": spec.cluster}  # fmt: skip
    if (
        m.columns != read
        or m.anticipation != spec.anticipation
        or (spec.cluster is None and not m.cross)
    ):
        raise EstimationError(
            f"these moments were read with {m.columns} and anticipation={m.anticipation}; "
            f"the fit asks for {read} and anticipation={spec.anticipation}"
        )


def _long_notes(m: PanelMoments, spec: DidSpec) -> list[str]:
    """The notes of :func:`~lbc_eval.estimation.did.panel.long_rows`."""
    notes = []
    if m.dropped_rows:
        notes.append(
            f"{m.dropped_rows} rows with a missing or infinite outcome, time, unit, weight, "
            f"cluster or covariate were left out"
        )
    if m.missing_group_rows:
        notes.append(
            f"{m.missing_group_rows} rows with a missing {spec.group!r} are taken as never "
            f"treated (R did drops them)"
        )
    if len(m.late):
        notes.append(
            f"{int(m.late.sum())} rows of units first treated after the last period "
            f"({', '.join(f'{v:g}' for v in sorted(m.late.index))}) are taken as never "
            f"treated, as did does"
        )
    return notes


def _popcount(mask: pd.Series | np.ndarray) -> np.ndarray:
    m = np.asarray(mask, dtype=np.uint64)
    return np.array([int(v).bit_count() for v in m], dtype=np.int64)


def _check_within_unit(p: pd.DataFrame, spec: DidSpec) -> None:
    """Raise when the group or cluster varies within a unit, or a unit repeats a period (the
    unit is not named: ids stay out of messages)."""
    for col, count, what in (
        (spec.group, p["group_varies"].sum(), "the unit's first treated period"),
        (spec.cluster, p["cluster_varies"].sum(), f"a level above {spec.unit!r}"),
    ):
        if col and count:
            raise EstimationError(
                f"{col!r} varies within {int(count)} unit(s); it must be {what}, the same in "
                f"every row of the unit"
            )
    if (p["rows"] > p["units"] * _popcount(p["mask"])).any():
        raise EstimationError(
            f"some {spec.unit!r} appear twice in one {spec.time!r}; one row per unit and "
            f"period is needed"
        )


def _no_never_treated(
    p: pd.DataFrame, periods: np.ndarray, spec: DidSpec
) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """:func:`~lbc_eval.estimation.did.panel.no_never_treated` on the patterns."""
    g = p["group"].to_numpy(float)
    if not np.isfinite(g).all():
        return p, periods, []
    latest = g.max()
    step = float(np.diff(periods).min()) if periods.size > 1 else 1.0
    cutoff = latest - spec.anticipation * step
    keep = periods < cutoff
    p = keep_periods(p, keep)
    if p.empty or np.isinf(latest):
        raise NoVariationError("no unit is ever treated or never treated: nothing to compare")
    if spec.control == "never":
        msg = (
            f"no never-treated units: the last cohort ({latest:g}) is taken as never treated "
            f"and periods from {cutoff:g} on are dropped, as did does"
        )
        warnings.warn(msg, DroppedRowsWarning, stacklevel=6)
        p = p.assign(group=p["group"].where(p["group"] != latest, np.inf))
        return p, periods[keep], [msg]
    return (
        p,
        periods[keep],
        [
            f"no never-treated units: periods from {cutoff:g} on are dropped and the last cohort "
            f"({latest:g}) serves only as a not-yet-treated comparison, as did does"
        ],
    )


def _drop_early(
    p: pd.DataFrame, periods: np.ndarray, spec: DidSpec
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`~lbc_eval.estimation.did.panel.drop_early` on the patterns."""
    step = periods[1] - periods[0]
    early = p["group"] <= periods[0] + spec.anticipation * step
    if not early.any():
        return p, []
    msg = (
        f"dropped {int(p.loc[early, 'units'].sum())} units already treated in the first period "
        f"({periods[0]:g}); they have no pre-treatment period"
    )
    warnings.warn(msg, DroppedRowsWarning, stacklevel=5)
    return p[~early].reset_index(drop=True), [msg]


def _balance(
    p: pd.DataFrame, periods: np.ndarray, spec: DidSpec
) -> tuple[pd.DataFrame, bool, list[str]]:
    """Incomplete units: dropped with a warning, or (``allow_unbalanced_panel``) kept for the
    repeated-cross-section estimator, as :func:`~lbc_eval.estimation.did.panel.prepare`."""
    incomplete = _popcount(p["mask"]) < periods.size
    k, n = int(p.loc[incomplete, "units"].sum()), int(p["units"].sum())
    if not incomplete.any():
        return p, True, []
    if spec.allow_unbalanced_panel:
        return (
            p,
            False,
            [
                f"unbalanced panel: {k} of {n} units miss some period; ATT(g,t) by the "
                f"repeated-cross-section estimator, influence functions summed by unit (as did's "
                f"allow_unbalanced_panel)"
            ],
        )
    msg = (
        f"{k} of {n} units miss some period and were dropped to balance the panel (as did); "
        f"pass allow_unbalanced_panel=True to keep them"
    )
    warnings.warn(msg, DroppedRowsWarning, stacklevel=5)
    return p[~incomplete].reset_index(drop=True), True, [msg]


def _panel(
    m: PanelMoments,
    p: pd.DataFrame,
    periods: np.ndarray,
    glist: np.ndarray,
    balanced: bool,
    spec: DidSpec,
) -> LazyPanel:
    T = periods.size
    cluster, n_clusters = None, 0
    if spec.cluster is not None:  # codes in the order of the clusters' smallest unit id
        first = p.groupby("cluster")["first_unit"].min().sort_values()
        codes = pd.Series(np.arange(first.size), index=first.index)
        cluster, n_clusters = codes[p["cluster"]].to_numpy(), int(first.size)
    cross = None
    if m.cross:
        cross = np.zeros((len(p), T, T))
        for j in range(T):
            for k in range(j, T):
                cross[:, j, k] = cross[:, k, j] = p[f"yy{j}_{k}"].to_numpy(float)
    group = p["group"].to_numpy(float)
    units = p["units"].to_numpy(np.int64)
    design = Design(
        periods=periods,
        group=group,
        mask=p["mask"].to_numpy(np.int64),
        units=units,
        cluster=cluster,
        n_clusters=n_clusters,
        ysum=p[[f"y{k}" for k in range(T)]].to_numpy(float),
        cross=cross,
        glist=glist,
        balanced=balanced,
    )
    finite = np.isfinite(group)
    sizes = pd.Series(units[finite]).groupby(group[finite]).sum().sort_index()
    sizes.index = sizes.index.astype(float)
    return LazyPanel(design=design, sizes=sizes, never=int(units[~finite].sum()))
