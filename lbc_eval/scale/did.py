r"""Callaway-Sant'Anna without covariates, out of core: one pass, moments by pattern.

Without covariates and weights every ATT(g,t) of R ``did`` is a difference of means and its
influence function is linear in each unit's outcomes, so a panel held by an engine (any Ibis
table: DuckDB, Spark) never comes into memory. :func:`panel_moments` reduces it, in one
grouped pass, to one row per *pattern* -- the unit's cluster, its group and the set of periods
in which it is observed -- with the number of units and the sums of their outcomes in each
period (and, with the units as clusters, their cross-products);
:func:`lbc_eval.scale.did_cells.cell_moments` turns the patterns into every ATT(g,t) with the
sums of its influence function by cluster (the maths is there), from which
:class:`~lbc_eval.estimation.did.DidResult` gets the clustered standard errors, the multiplier
bootstrap over clusters and the aggregations exactly as from a DataFrame
(:mod:`lbc_eval.estimation.did.lazy` applies ``did``'s data rules between the two).
:func:`consecutive_changes` gives the randomisation pre-test of question Q3 its moments from the
same patterns.
"""

from __future__ import annotations

import sys
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    EstimationError,
    NoVariationError,
    OutOfCoreError,
    UnknownColumnError,
)

#: Periods a lazy panel may have: each is one bit of a unit's 64-bit pattern of periods.
MAX_PERIODS = 62
_NEVER = -1.0  # the engine's code for "never treated"


def to_pandas(expr: Any) -> pd.DataFrame:
    """Run an Ibis expression and return its (small) result, without the deprecation notes
    Ibis 12 triggers in pandas 3 (``future.infer_string``)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*future.infer_string.*")
        return expr.to_pandas()


def is_lazy(data: object) -> bool:
    """True for an Ibis table (without importing Ibis when it is not loaded) or for the
    :class:`PanelMoments` of one."""
    if isinstance(data, PanelMoments):
        return True
    ibis = sys.modules.get("ibis")
    return ibis is not None and isinstance(data, ibis.expr.types.Table)


@dataclass(frozen=True)
class PanelMoments:
    """What :func:`panel_moments` reads from a lazy panel.

    Attributes
    ----------
    columns : dict
        The columns read: ``unit, time, group, outcome, cluster`` (None: none).
    anticipation : int
        The anticipation the groups were converted with.
    periods : array
        Sorted periods with at least one complete row (outcome, unit, time and cluster
        present, numbers finite).
    centre : array
        Each period's mean outcome over its complete rows; the sums in ``patterns`` are of
        :math:`Y_{it} - centre_t`.
    dropped_rows : int
        Rows left out for a missing or infinite outcome, time, unit or cluster.
    missing_group_rows : int
        Complete rows with a missing group (never treated).
    late : Series
        Complete rows per group value after the last period (plus anticipation): never treated.
    patterns : DataFrame
        One row per cluster, group and set of periods observed: ``cluster`` (None without a
        cluster), ``group`` (first treated period as the estimator takes it, ``inf`` = never;
        NaN for units without a complete row), ``group_raw`` (the column's value), ``mask``
        (bit k: observed in ``periods[k]``), ``units``, ``rows`` (complete rows),
        ``first_unit`` (the rank of the pattern's smallest unit id, which orders the
        clusters as in memory; ids themselves are not kept),
        ``group_varies``, ``cluster_varies`` (units whose group or cluster changes between
        rows), ``bad_rows``, ``missing_group_rows``, ``late_rows`` (the notes' counts),
        ``off_period_rows`` (rows at a time outside ``periods``: an error), ``y0, y1, ...``
        (sums of centred outcomes per period) and, with ``cross``, ``yy{j}_{k}`` (sums of
        their products, j <= k).
    """

    columns: dict[str, str | None]
    anticipation: int
    periods: np.ndarray
    centre: np.ndarray
    dropped_rows: int
    missing_group_rows: int
    late: pd.Series
    patterns: pd.DataFrame

    @property
    def cross(self) -> bool:
        """Whether the patterns carry the cross-products (units as clusters)."""
        return "yy0_0" in self.patterns.columns


def panel_moments(
    table: Any,
    *,
    unit: str,
    time: str,
    group: str,
    outcome: str,
    cluster: str | None = None,
    anticipation: int = 0,
    cross: bool = False,
    periods: np.ndarray | list[float] | None = None,
) -> PanelMoments:
    """Reduce a long panel held by an engine to its :class:`PanelMoments`.

    One pass over the rows -- by unit (its pattern of periods, its outcome in each, its rows
    left out), then by cluster, group and pattern -- whose result has one row per pattern (a
    few thousand at most), never one per unit. Unless ``periods`` are given, a first, lighter
    query finds them and each period's mean (the outcomes are centred at it).

    Parameters
    ----------
    table : ibis Table
        One row per unit and period.
    unit, time, group, outcome : str
        Columns: unit id, numeric period, first treated period (0 or missing: never), outcome.
    cluster : str, optional
        Cluster column (constant within unit).
    anticipation : int
        Periods of anticipation: a group after the last period plus these is never treated.
    cross : bool
        Also sum the products of each unit's outcomes (needed when the units are the
        clusters).
    periods : array, optional
        Every value ``time`` can take (known to the caller, e.g. a cohort's terms): skips the
        first query (the outcomes are then not centred); periods without a complete row are
        left out.
    """
    import ibis

    cols = [outcome, unit, time, group, cluster]
    missing = [c for c in dict.fromkeys(cols) if c and c not in table.columns]
    if missing:
        raise UnknownColumnError(
            f"column(s) {', '.join(missing)} not in the data; it has {', '.join(table.columns)}"
        )
    for c in (time, outcome):
        if not table[c].type().is_numeric() and not table[c].type().is_boolean():
            raise EstimationError(f"{c!r} must be numeric; it is {table[c].type()}")
    g = table[group]
    g = g.cast("float64") if g.type().is_numeric() else g.try_cast("float64")
    needed = [table[outcome], table[unit], table[time]] + ([table[cluster]] if cluster else [])
    good = ibis.literal(True)
    for col in needed:
        good = good & col.notnull()
        if col.type().is_floating():
            good = good & ~col.isnan() & ~col.isinf()
    fields = {
        "u": table[unit],
        "t": table[time].cast("float64"),
        "g": g,
        "y": table[outcome].cast("float64"),
        "ok": good,
    }
    if cluster:
        fields["c"] = table[cluster]
    rows = table.select(**fields)
    if periods is None:
        complete = rows.filter(rows.ok)
        per_t = to_pandas(
            complete.group_by("t").aggregate(n=complete.count(), sy=complete.y.sum())
        ).sort_values("t")
        if per_t.empty:
            raise NoVariationError(f"no row has a non-missing {outcome!r}; nothing to estimate")
        values = per_t["t"].to_numpy(float)
        centre = (per_t["sy"] / per_t["n"]).to_numpy(float)
    else:
        values = np.unique(np.asarray(periods, float))
        centre = np.zeros(values.size)
    if values.size > MAX_PERIODS:
        raise OutOfCoreError(
            f"{values.size} periods in {time!r}; a lazy panel may have at most {MAX_PERIODS}. "
            f"Aggregate time to fewer periods, or collect a subset and fit the DataFrame"
        )
    p = _pattern_pass(rows, values, centre, anticipation, cluster is not None, cross)
    if p["off_period_rows"].sum():
        raise EstimationError(f"{time!r} takes values outside the periods given: {values}")
    seen = np.bitwise_or.reduce(p["mask"].to_numpy()) if len(p) else 0
    if not seen:
        raise NoVariationError(f"no row has a non-missing {outcome!r}; nothing to estimate")
    observed = np.array([bool((seen >> k) & 1) for k in range(values.size)])
    if not observed.all():
        p = keep_periods(p, observed, drop_empty=False)
    values, centre = values[observed], centre[observed]
    late = p[p["late_rows"] > 0].groupby("group_raw")["late_rows"].sum()
    return PanelMoments(
        columns={
            "unit": unit,
            "time": time,
            "group": group,
            "outcome": outcome,
            "cluster": cluster,
        },  # fmt: skip
        anticipation=anticipation,
        periods=values,
        centre=centre,
        dropped_rows=int(p["bad_rows"].sum()),
        missing_group_rows=int(p["missing_group_rows"].sum()),
        late=late.astype(int),
        patterns=p,
    )


def _pattern_pass(
    rows: Any,
    periods: np.ndarray,
    centre: np.ndarray,
    anticipation: int,
    clustered: bool,
    cross: bool,
) -> pd.DataFrame:
    """The grouped pass: per unit, then per cluster, group and pattern of periods."""
    import ibis

    ok, t, g = rows.ok, rows.t, rows.g
    step = float(np.diff(periods).min()) if periods.size > 1 else 1.0
    last = float(periods.max()) + anticipation * step
    missing_g = g.isnull() | g.isnan()
    conv = ibis.ifelse(missing_g | (g <= 0) | (g > last), _NEVER, g)
    at = [ok & (t == float(p)) for p in periods]
    per_unit: dict[str, Any] = {
        "g_lo": conv.min(where=ok),
        "g_hi": conv.max(where=ok),
        "g_raw": g.min(where=ok),
        "g_any": g.min(),
        "n_rows": ok.cast("int64").sum(),
        "mask": ibis.cases(*[(a, 2**k) for k, a in enumerate(at)], else_=0).cast("int64").sum(),
        "bad_rows": (~ok).cast("int64").sum(),
        "missing_group_rows": (ok & missing_g).cast("int64").sum(),
        "late_rows": (ok & ~missing_g & (g > last)).cast("int64").sum(),
        "off_period_rows": (ok & ~t.isin([float(p) for p in periods])).cast("int64").sum(),
    }
    for k, a in enumerate(at):
        per_unit[f"y{k}"] = (rows.y - float(centre[k])).sum(where=a)
    if clustered:
        per_unit |= {
            "c_lo": rows.c.min(where=ok),
            "c_hi": rows.c.max(where=ok),
            "c_any": rows.c.min(),
        }
    a = rows.group_by("u").aggregate(**per_unit)
    keys = {
        "group": a.g_lo,
        "group_raw": a.g_raw.coalesce(a.g_any),
        "mask": a["mask"],
    }
    if clustered:
        keys["cluster"] = a.c_lo.coalesce(a.c_any)
    T = periods.size
    counted = ("bad_rows", "missing_group_rows", "late_rows", "off_period_rows")
    sums: dict[str, Any] = {
        "units": a.count(),
        "rows": a.n_rows.sum(),
        "first_unit": a.u.min(),
        "group_varies": (a.g_lo != a.g_hi).cast("int64").sum(),
        **{c: a[c].sum() for c in counted},
    }
    if clustered:
        sums["cluster_varies"] = (a.c_lo != a.c_hi).cast("int64").sum()
    sums |= {f"y{k}": a[f"y{k}"].sum() for k in range(T)}
    if cross:
        sums |= {
            f"yy{j}_{k}": (a[f"y{j}"] * a[f"y{k}"]).sum() for j in range(T) for k in range(j, T)
        }
    out = to_pandas(a.group_by(**keys).aggregate(**sums))
    if not clustered:
        out["cluster"] = None
        out["cluster_varies"] = 0
    value = [c for c in out.columns if c.startswith("y")]
    out[value] = out[value].astype(float).fillna(0.0)
    for c in ("units", "rows", "group_varies", "cluster_varies", "mask", *counted):
        out[c] = out[c].fillna(0).astype(np.int64)
    # the smallest unit id only orders the clusters: keep its rank, never the id itself
    out["first_unit"] = out["first_unit"].rank(method="dense")
    grp = out["group"].astype(float)
    out["group"] = grp.where(grp != _NEVER, np.inf)
    out["group_raw"] = out["group_raw"].astype(float)
    return out.reset_index(drop=True)


def keep_periods(p: pd.DataFrame, keep: np.ndarray, *, drop_empty: bool = True) -> pd.DataFrame:
    """The patterns restricted to the periods ``keep`` (boolean over the periods): bits and
    ``y``/``yy`` columns re-indexed; patterns left without a period dropped (``drop_empty``)."""
    idx = np.flatnonzero(keep)
    mask = p["mask"].to_numpy()
    new = np.zeros(len(p), dtype=np.int64)
    for j, k in enumerate(idx):
        new |= ((mask >> k) & 1) << j
    ys = {f"y{j}": p[f"y{k}"] for j, k in enumerate(idx)}
    yy = {f"yy{a}_{b}": p[f"yy{i}_{k}"] for a, i in enumerate(idx) for b, k in enumerate(idx)
          if a <= b and f"yy{i}_{k}" in p}  # fmt: skip
    out = p.drop(columns=[c for c in p.columns if c.startswith("y")]).assign(mask=new, **ys, **yy)
    return (out[out["mask"] > 0] if drop_empty else out).reset_index(drop=True)


def consecutive_changes(m: PanelMoments) -> dict[str, np.ndarray]:
    """Per cluster and period, the sum and count of the changes :math:`Y_{it} - Y_{i,t-1}` over
    the units observed in both (clusters in the order of their smallest unit id, as
    ``pd.factorize`` over the sorted units), with each cluster's units (every unit with a
    row) and group: what the randomisation pre-test permutes
    (:func:`~lbc_eval.estimation.did.randomisation.randomisation_test`)."""
    p = m.patterns
    if p["cluster"].isna().all():
        raise EstimationError("the randomisation pre-test needs a cluster")
    first = p.groupby("cluster")["first_unit"].min().sort_values()
    code = pd.Series(np.arange(first.size), index=first.index)
    c = code[p["cluster"]].to_numpy()
    T = m.periods.size
    units = p["units"].to_numpy(float)
    mask = p["mask"].to_numpy()
    sums = np.zeros((first.size, T - 1))
    counts = np.zeros((first.size, T - 1))
    for k in range(1, T):
        both = ((mask >> k) & 1 & (mask >> (k - 1))).astype(bool)
        change = p[f"y{k}"].to_numpy() - p[f"y{k - 1}"].to_numpy()
        change = change + units * (m.centre[k] - m.centre[k - 1])
        np.add.at(sums[:, k - 1], c[both], change[both])
        np.add.at(counts[:, k - 1], c[both], units[both])
    size = np.bincount(c, weights=units, minlength=first.size)
    group = np.zeros(first.size)
    group[c] = p["group_raw"].to_numpy(float)
    return {"sums": sums, "counts": counts, "size": size, "group": group,
            "later": m.periods[1:]}  # fmt: skip
