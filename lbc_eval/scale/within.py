r"""The within (fixed-effects) regression's moments as one Ibis expression, summed by cluster.

:func:`lbc_eval.fit_fe` on a lazy table calls :func:`moments`, which returns small numpy
arrays; :mod:`lbc_eval.estimation.moments` solves and finishes them into the kit's ``Result``.
Nothing here reads rows into memory.

Model
-----
With one fixed effect :math:`a(i)` absorbed (the child) and the levels of small fixed effects
(the term) as dummies :math:`d_{il}`, write :math:`z_i = (x_i', d_i')'` for the regressors and
demean within the absorbed effect, with weights :math:`w_i` (1 without weights):

.. math:: \tilde z_i = z_i - \frac{\sum_{j: a(j) = a(i)} w_j z_j}{\sum_{j: a(j) = a(i)} w_j},
          \qquad \tilde y_i \text{ likewise.}

This is the exact within transformation of the absorbed effect; the dummies then absorb the
small effects by Frisch–Waugh–Lovell, so the slopes equal those of sweeping out both effects.
The engine returns, for every cluster :math:`g` (every combination of the cluster variables),

.. math:: \tilde Z_g'W\tilde Z_g = \sum_{i \in g} w_i\tilde z_i\tilde z_i', \quad
          \tilde Z_g'W\tilde y_g, \quad \tilde y_g'W\tilde y_g, \quad n_g, \quad
          \sum_{i \in g} 1/n_{a(i)}, \quad \sum_{i \in g} z_i, \quad \sum_{i \in g} x_i^2,

(the last three: levels of the absorbed effect, rows per dummy level, and each slope's raw
variation for the rank checks). :math:`\hat\beta` solves
:math:`\sum_g \tilde Z_g'W\tilde Z_g\,\beta = \sum_g \tilde Z_g'W\tilde y_g`, and the cluster
scores of CRV1 follow without a second pass over the rows:
:math:`s_g = \tilde Z_g'W\tilde y_g - \tilde Z_g'W\tilde Z_g\,\hat\beta`.

Two queries. One aggregate over every row counts what is missing or infinite in each column
(the in-memory path's notes on dropped rows). The other is the moments: a group-by of the
absorbed effect over every row (the weighted sums of its usable rows, their number
:math:`n_a`, and the least value of each cluster variable among them: a row in another
cluster marks the effect as not nested in the clusters, for the degrees of freedom), joined
to the usable rows, then one group-by of the clusters and of whether the row is used; the
levels without a usable row are counted from the first group-by's result (so the levels of
the absorbed effect in all rows are known without a distinct count). The rows are read twice
(by the group-by and by the join), never materialised. Singletons (rows alone in a level of a
fixed effect, dropped iteratively as reghdfe does) are rows with :math:`n_a = 1` and rows of
a dummy level with one row; when a dummy level has one row the query runs again without it
(the set kept is the largest in which every level has two rows or more, whatever the order of
drops).

Only one high-dimensional fixed effect can be swept out this way: two (child and school, or
child and class) need alternating projections over the rows, which the engines cannot do in a
group-by; small ones (terms, :data:`MAX_DUMMIES` levels in all) become dummies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

#: Most dummy columns the pass builds for the small fixed effects (their cross-products are
#: summed in the engine, one aggregate per pair).
MAX_DUMMIES = 64
#: Clusters (approximately counted) above which the moments are summed over all rows, not per
#: cluster, and the CRV1 meat is summed in the engine (:func:`cluster_meat`): clustering by
#: the child would otherwise bring back one row of sums per child.
MANY_CLUSTERS = 50_000


def is_lazy(data: Any) -> bool:
    """Whether ``data`` is an Ibis table (a lazy cohort's panel or an expression over it)."""
    try:
        import ibis.expr.types as ir
    except ImportError:  # pragma: no cover
        return False
    return isinstance(data, ir.Table)


def missing(x: ir.Value) -> ir.BooleanValue:
    """NULL, or NaN for a floating-point column (both are missing in pandas)."""
    if x.type().is_floating():
        return x.isnull() | x.isnan()
    return x.isnull()


def infinite(x: ir.Value) -> ir.BooleanValue:
    """``inf`` or ``-inf`` (never for non-float columns)."""
    import ibis

    return x.isinf() if x.type().is_floating() else ibis.literal(False)


def as_float(x: ir.Value) -> ir.FloatingValue:
    """A numeric or boolean column as float64."""
    return x.cast("float64")


@dataclass(frozen=True)
class Spec:
    """What the moments are computed from: expressions over one Ibis table.

    Attributes
    ----------
    table : ibis Table
    y : ibis numeric expression
    X : mapping of str to ibis numeric expression
        The slopes' columns, in order (NULL where missing).
    absorbed : str or None
        The fixed effect swept out by its means (None: only the intercept, the overall mean).
    dummies : tuple of (str, tuple of levels)
        The small fixed effects and their levels (one dummy column per level, none dropped:
        the caller drops one per effect after seeing which levels are used).
    clusters : tuple of str
    weights : str or None
    exclude : tuple of (str, tuple of levels)
        Dummy levels whose rows are left out (singletons found by an earlier pass).
    extra : mapping of str to ibis numeric expression
        More sums over the rows used, per cluster (e.g. the dose within each bin).
    """

    table: ir.Table
    y: ir.NumericValue
    X: Mapping[str, ir.NumericValue]
    absorbed: str | None
    dummies: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    clusters: tuple[str, ...] = ()
    weights: str | None = None
    exclude: tuple[tuple[str, tuple[Any, ...]], ...] = ()
    extra: Mapping[str, ir.NumericValue] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        """Fixed effects and clusters, without repeats, in order."""
        fes = [*([self.absorbed] if self.absorbed else []), *(f for f, _ in self.dummies)]
        return list(dict.fromkeys([*fes, *self.clusters]))

    def complete(self) -> ir.BooleanValue:
        """Rows with every variable present and finite (and no excluded dummy level)."""
        import ibis

        t = self.table
        ok = ~missing(self.y) & ~infinite(self.y)
        for x in self.X.values():
            ok &= ~missing(x) & ~infinite(x)
        for k in self.keys:
            ok &= t[k].notnull()
        if self.weights:
            w = t[self.weights]
            ok &= ~missing(w) & ~infinite(w)
        for f, levels in self.exclude:
            ok &= ~t[f].isin(list(levels))
        return ok if not isinstance(ok, bool) else ibis.literal(ok)


@dataclass(frozen=True)
class Moments:
    """Per-cluster sums of the within regression (module docstring), numpy arrays.

    ``names`` are the slopes then one column per dummy level (``f"{fe}[{level}]"``); groups
    (rows of ``labels``) are the combinations of the cluster variables present in the rows
    used (one group, no labels, without clusters). ``profile`` counts every row: ``rows``;
    ``missing`` (name, rows missing it: the outcome as ``"__y"``, each slope, each reported
    key, the weights); ``complete`` (rows with every value); ``infinite`` (name, complete rows
    with ``inf``) and ``any_infinite``; ``y_present``; ``slopes`` (least and greatest value
    and count of each slope where the outcome is present); ``levels_all`` (levels of the
    absorbed effect in all rows); ``nonpositive`` (complete finite rows with weight <= 0).
    """

    names: tuple[str, ...]
    n_slopes: int
    dummies: tuple[tuple[str, tuple[Any, ...]], ...]
    absorbed: str | None
    clusters: tuple[str, ...]
    labels: pd.DataFrame
    n: np.ndarray
    units: np.ndarray
    zz: np.ndarray
    zy: np.ndarray
    yy: np.ndarray
    raw: np.ndarray
    raw2: np.ndarray
    unnested: np.ndarray
    extra: dict[str, np.ndarray]
    profile: dict[str, Any] = field(repr=False)
    spec: Spec = field(repr=False)
    drop_singletons: bool = True
    by_cluster: bool = True

    @property
    def nobs(self) -> int:
        return int(self.n.sum())


def distinct(table: ir.Table, column: str) -> list[Any]:
    """The distinct non-missing values of a column (a small group-by), sorted."""
    col = table[column]
    values = table.filter(col.notnull()).select(col).distinct().to_pyarrow()
    return sorted(values.column(0).to_pylist())


def moments(spec: Spec, *, report: Sequence[str] = (), drop_singletons: bool = True) -> Moments:
    """The per-cluster sums of the within regression (module docstring), singletons dropped,
    and the counts of what was left out (:attr:`Moments.profile`).

    ``report`` names the key columns whose missing values are counted, in the order the
    in-memory path lists them (fixed effects then clusters; a name may repeat). When a dummy
    level is left with a single row the pass runs again without that level's rows, until
    none is. With more than :data:`MANY_CLUSTERS` clusters (an approximate count) the sums
    are one group (``by_cluster`` False) and CRV1 is finished by :func:`cluster_meat`.
    """
    first = _profile(spec, report)
    by_cluster = max(first["clusters"], default=0) <= MANY_CLUSTERS
    while True:
        m = _pass(spec, drop_singletons, first, by_cluster)
        if not drop_singletons or not m.dummies:
            return replace(m, drop_singletons=drop_singletons)
        counts = m.raw[:, m.n_slopes :].sum(axis=0)
        lone: list[tuple[str, tuple[Any, ...]]] = []
        j = 0
        for f, levels in m.dummies:
            c = counts[j : j + len(levels)]
            j += len(levels)
            hit = tuple(lv for lv, k in zip(levels, c, strict=True) if round(k) == 1)
            if hit:
                lone.append((f, hit))
        if not lone:
            return replace(m, drop_singletons=drop_singletons)
        done = dict(spec.exclude)
        for f, hit in lone:
            done[f] = tuple(done.get(f, ())) + hit
        spec = replace(spec, exclude=tuple(done.items()))


def _flags(x: ir.Value) -> tuple[ir.BooleanValue, ir.BooleanValue]:
    """(missing, infinite) of a float column."""
    return x.isnull() | x.isnan(), x.isinf()


def _layout(spec: Spec, report: Sequence[str]) -> dict[str, Any]:
    """Internal column names of the query: ``names`` of the regressors, ``z`` (slopes then
    dummies), ``xs`` (slopes), ``ds`` (dummies), ``values`` (checked for NaN/inf), ``keys`` and
    ``kcol`` (key columns), ``cl`` (cluster columns)."""
    xs = [f"__x{j}" for j in range(len(spec.X))]
    names = list(spec.X)
    ds: list[str] = []
    for f, levels in spec.dummies:
        ds += [f"__d{len(ds) + i}" for i in range(len(levels))]
        names += [f"{f}[{lv}]" for lv in levels]
    keys = list(dict.fromkeys([*report, *spec.keys]))
    kcol = {k: f"__k{j}" for j, k in enumerate(keys)}
    return {
        "names": names, "xs": xs, "ds": ds, "z": [*xs, *ds], "keys": keys, "kcol": kcol,
        "values": ["__y", *xs, *(["__w"] if spec.weights else [])],
        "cl": [kcol[c] for c in spec.clusters],
    }  # fmt: skip


def _rows(spec: Spec, lay: dict[str, Any], side: int) -> ir.Table:
    """The rows as the query needs them, with ``__ok`` (every value present and finite, no
    excluded level). The group-by side (0) and the rows' side (1, with the extra sums) are
    different expressions: one used twice would be materialised by DuckDB as a common table
    expression, while reading the columns twice costs little."""
    import ibis

    t = spec.table
    base: dict[str, Any] = {"__y": as_float(spec.y)}
    for c, x in zip(lay["xs"], spec.X.values(), strict=True):
        base[c] = as_float(x)
    d = 0
    for f, levels in spec.dummies:
        for lv in levels:
            # a double, not ifelse(1.0, 0.0): Spark SQL would make it a decimal
            base[lay["ds"][d]] = (t[f] == lv).fill_null(False).cast("float64")
            d += 1
    for k in spec.keys:
        base[lay["kcol"][k]] = t[k]
    base["__a"] = t[spec.absorbed] if spec.absorbed else ibis.literal(1)
    if spec.weights:
        base["__w"] = as_float(t[spec.weights])
    if side:
        for j, e in enumerate(spec.extra.values()):
            base[f"__e{j}"] = as_float(e)
    base["__side"] = ibis.literal(side)
    rows = t.select(**base)
    ok = ibis.literal(True)
    for c in lay["values"]:
        gone, inf = _flags(rows[c])
        ok &= ~gone & ~inf
    for k in spec.keys:
        ok &= rows[lay["kcol"][k]].notnull()
    for f, levels in spec.exclude:
        ok &= ~rows[lay["kcol"][f]].isin(list(levels))
    return rows.mutate(__ok=ok)


def _joined(spec: Spec, drop_singletons: bool) -> tuple[Any, Any, dict[str, Any]]:
    """The usable rows with their absorbed level's sums (an inner join), whether each is
    used (``__u``: not a singleton) and its demeaned values (``__t__y``, ``__t__x0``…,
    ``__t__d0``…); the absorbed levels' sums (over every row: a level without a usable row
    has ``__n`` 0); the layout (:func:`_layout`)."""
    import ibis

    lay = _layout(spec, ())
    z, cl = lay["z"], lay["cl"]
    rows = _rows(spec, lay, 0)
    w = rows["__w"] if spec.weights else ibis.literal(1.0)
    okf = rows["__ok"]
    per = {
        "__n": okf.cast("int64").sum(),
        **{f"__s{c}": okf.ifelse(w * rows[c], 0.0).sum() for c in ["__y", *z]},
    }
    if spec.weights:
        per["__sw"] = okf.ifelse(w, 0.0).sum()
    if spec.absorbed:  # a row in another cluster than the unit's least: not nested
        for j, c in enumerate(cl):
            per[f"__lo{j}"] = okf.ifelse(rows[c], ibis.null()).min()
    unit = rows.group_by("__a").aggregate(**per).rename(__b="__a")
    usable = _rows(spec, lay, 1)
    usable = usable.filter(usable["__ok"])
    j_ = usable.join(unit, usable["__a"] == unit["__b"])
    used = j_["__n"] >= 2 if drop_singletons and spec.absorbed else ibis.literal(True)
    j_ = j_.mutate(__u=used)
    sw = j_["__sw"] if spec.weights else j_["__n"].cast("float64")
    j_ = j_.mutate(**{f"__t{c}": j_[c] - j_[f"__s{c}"] / sw for c in ["__y", *z]})
    return j_, unit, lay


def _profile(spec: Spec, report: Sequence[str]) -> dict[str, Any]:
    """What every row holds, in one aggregate pass (no group-by): the counts behind the notes
    on dropped rows (:attr:`Moments.profile`, without ``levels_all``)."""
    import ibis

    lay = _layout(spec, report)
    rows = _rows(spec, lay, 0).select(*lay["values"], *[lay["kcol"][k] for k in lay["keys"]])
    for k in report:
        if lay["kcol"][k] not in rows.columns:  # a reported key the fit does not use
            rows = rows.mutate(**{lay["kcol"][k]: spec.table[k]})
    values = lay["values"]
    cols = [("__y", "__y"), *zip(spec.X, lay["xs"], strict=True)]
    cols += [(k, lay["kcol"][k]) for k in report]
    if spec.weights:
        cols.append((spec.weights, "__w"))
    complete = ibis.literal(True)
    for c in values:
        complete &= ~_flags(rows[c])[0]
    for k in lay["keys"]:
        complete &= rows[lay["kcol"][k]].notnull()
    aggs: dict[str, Any] = {"rows": rows.count(), "complete": complete.cast("int64").sum()}
    for i, (_, c) in enumerate(cols):
        gone = _flags(rows[c])[0] if c in values else rows[c].isnull()
        aggs[f"m{i}"] = gone.cast("int64").sum()
    anyinf = ibis.literal(False)
    for i, c in enumerate(values):
        aggs[f"i{i}"] = (complete & rows[c].isinf()).cast("int64").sum()
        anyinf |= rows[c].isinf()
    aggs["any_infinite"] = (complete & anyinf).cast("int64").sum()
    y_ok = ~_flags(rows["__y"])[0]
    aggs["y_present"] = y_ok.cast("int64").sum()
    for i, c in enumerate(lay["xs"]):
        has = y_ok & ~_flags(rows[c])[0]
        aggs[f"lo{i}"] = has.ifelse(rows[c], ibis.null()).min()
        aggs[f"hi{i}"] = has.ifelse(rows[c], ibis.null()).max()
        aggs[f"k{i}"] = has.cast("int64").sum()
    if spec.weights:
        aggs["nonpositive"] = (complete & ~anyinf & (rows["__w"] <= 0)).cast("int64").sum()
    for i, c in enumerate(lay["cl"]):
        aggs[f"g{i}"] = rows[c].approx_nunique()
    row = rows.aggregate(**aggs).to_pyarrow().to_pylist()[0]
    n = lambda c: int(row.get(c) or 0)  # noqa: E731
    weights = [str(spec.weights)] if spec.weights else []
    return {
        "rows": n("rows"),
        "missing": [(name, n(f"m{i}")) for i, (name, _) in enumerate(cols)],
        "complete": n("complete"),
        "infinite": [
            (name, n(f"i{i}")) for i, name in enumerate(["__y", *spec.X, *weights])
        ],  # fmt: skip
        "any_infinite": n("any_infinite"),
        "y_present": n("y_present"),
        "slopes": [(row[f"lo{i}"], row[f"hi{i}"], n(f"k{i}")) for i in range(len(spec.X))],
        "nonpositive": n("nonpositive"),
        "clusters": [n(f"g{i}") for i in range(len(lay["cl"]))],
    }


def _pass(spec: Spec, drop_singletons: bool, profile: dict[str, Any], by_cluster: bool) -> Moments:
    """The moments' query: the absorbed effect's sums by a group-by over every row joined to
    the usable rows, then every sum by cluster (``by_cluster``) and whether the row is used
    (a group key: no row-wise condition is evaluated per sum)."""
    import ibis

    profile = dict(profile)
    j_, unit, lay = _joined(spec, drop_singletons)
    z, xs, cl = lay["z"], lay["xs"], lay["cl"]
    wt = j_["__w"] if spec.weights else ibis.literal(1.0)
    # divisors as doubles: Spark SQL reads the literal 1.0 as a decimal, and a decimal
    # divided by an integer keeps 6 decimals
    inv = 1.0 / j_["__n"].cast("float64")
    aggs: dict[str, Any] = {"n": j_.count(), "units": inv.sum()}
    tz = [j_[f"__t{c}"] for c in z]
    ty = j_["__t__y"]
    for a in range(len(z)):
        for b in range(a, len(z)):
            aggs[f"zz_{a}_{b}"] = (wt * tz[a] * tz[b]).sum()
        aggs[f"zy_{a}"] = (wt * tz[a] * ty).sum()
        aggs[f"raw_{a}"] = j_[z[a]].sum()
    for a in range(len(xs)):
        aggs[f"raw2_{a}"] = (j_[xs[a]] * j_[xs[a]]).sum()
    aggs["yy"] = (wt * ty * ty).sum()
    if spec.absorbed:
        for i in range(len(cl)):
            aggs[f"un{i}"] = (j_[cl[i]] != j_[f"__lo{i}"]).cast("int64").sum()
    for i in range(len(spec.extra)):
        aggs[f"e{i}"] = j_[f"__e{i}"].sum()
    sums = j_.group_by([*(cl if by_cluster else []), "__u"]).aggregate(**aggs)
    # levels of the absorbed effect without a usable row (the others are counted by
    # "units"): the group-by's result is used twice, so computed once
    idle = unit.filter(unit["__b"].notnull() & (unit["__n"] == 0))
    frame = sums.cross_join(idle.aggregate(__idle=idle.count())).to_pyarrow().to_pandas()
    seen = float(frame["units"].sum()) if spec.absorbed else 0.0
    idle_n = int(frame["__idle"].iat[0]) if len(frame) else 0
    profile["levels_all"] = int(round(seen)) + idle_n
    m = _collect(frame, spec, lay["names"], len(z), profile, cl if by_cluster else [])
    return m if by_cluster else replace(m, by_cluster=False)


def _collect(
    frame: pd.DataFrame,
    spec: Spec,
    names: list[str],
    K: int,
    profile: dict[str, Any],
    cl: list[str],
) -> Moments:
    """The query's groups as :class:`Moments` (groups without a row used left out)."""
    frame = frame[frame["__u"].fillna(False).astype(bool)]
    if cl:
        frame = frame.sort_values(cl, kind="stable")
    frame = frame.reset_index(drop=True)
    G = len(frame)
    zz = np.zeros((G, K, K))
    for a in range(K):
        for b in range(a, K):
            zz[:, a, b] = zz[:, b, a] = frame[f"zz_{a}_{b}"].to_numpy(dtype=float)

    def arr(cols: list[str]) -> np.ndarray:
        if not cols:
            return np.zeros((G, 0))
        return np.column_stack([frame[c].to_numpy(dtype=float) for c in cols])

    unnested = np.zeros((G, len(spec.clusters)), dtype=np.int64)
    if spec.absorbed:
        for i in range(len(spec.clusters)):
            unnested[:, i] = frame[f"un{i}"].to_numpy(dtype=np.int64)
    return Moments(
        names=tuple(names),
        n_slopes=len(spec.X),
        dummies=spec.dummies,
        absorbed=spec.absorbed,
        clusters=spec.clusters,
        labels=frame[cl].set_axis(list(spec.clusters), axis=1) if cl else pd.DataFrame(),
        n=frame["n"].to_numpy(dtype=np.int64),
        units=frame["units"].to_numpy(dtype=float),
        zz=zz,
        zy=arr([f"zy_{a}" for a in range(K)]),
        yy=frame["yy"].to_numpy(dtype=float),
        raw=arr([f"raw_{a}" for a in range(K)]),
        raw2=arr([f"raw2_{a}" for a in range(len(spec.X))]),
        unnested=unnested,
        extra={n: frame[f"e{i}"].to_numpy(dtype=float) for i, n in enumerate(spec.extra)},
        profile=profile,
        spec=spec,
    )


def cluster_meat(
    m: Moments, beta: np.ndarray, columns: Sequence[str]
) -> tuple[np.ndarray, int, np.ndarray]:
    r"""CRV1's meat summed in the engine, for many clusters: with the residuals
    :math:`\hat u_i = \tilde y_i - \tilde z_i'\hat\beta` (``beta`` over every column of
    ``m.names``, 0 for those left out), the scores :math:`s_g = \sum_{i \in g} w_i\tilde
    z_i\hat u_i` of every group of ``columns`` and their cross-products
    :math:`\sum_g s_g s_g'`, in one query over the rows used (a group-by of the clusters,
    then a sum over the groups). Returns the meat (:math:`K \times K`), the number of groups
    and, for each dummy level, the number of groups holding its rows (a fixed effect is
    nested in the clusters when each of its levels is in one)."""
    import ibis

    spec = m.spec
    j_, _, lay = _joined(spec, m.drop_singletons)
    z = lay["z"]
    c = [lay["kcol"][k] for k in columns]
    used = j_.filter(j_["__u"])
    wt = used["__w"] if spec.weights else ibis.literal(1.0)
    fit = sum(
        (
            ibis.literal(float(b), type="float64") * used[f"__t{col}"]
            for b, col in zip(beta, z, strict=True)
            if b
        ),
        ibis.literal(0.0, type="float64"),
    )
    u = used["__t__y"] - fit
    per = {f"s{a}": (wt * used[f"__t{col}"] * u).sum() for a, col in enumerate(z)}
    per |= {f"n{d}": used[col].sum() for d, col in enumerate(lay["ds"])}
    g = used.group_by(c).aggregate(**per)
    outer: dict[str, Any] = {"G": g.count()}
    for a in range(len(z)):
        for b in range(a, len(z)):
            outer[f"m_{a}_{b}"] = (g[f"s{a}"] * g[f"s{b}"]).sum()
    for d in range(len(lay["ds"])):
        outer[f"l{d}"] = (g[f"n{d}"] > 0.5).cast("int64").sum()
    row = g.aggregate(**outer).to_pyarrow().to_pylist()[0]
    K = len(z)
    meat = np.zeros((K, K))
    for a in range(K):
        for b in range(a, K):
            meat[a, b] = meat[b, a] = float(row[f"m_{a}_{b}"] or 0.0)
    levels = np.array([int(row[f"l{d}"] or 0) for d in range(len(lay["ds"]))], dtype=np.int64)
    return meat, int(row["G"] or 0), levels
