"""The result of a staggered DiD: ATT(g,t) with influence functions, and their aggregation."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import EstimationError, OutOfCoreError
from lbc_eval.estimation.did.spec import DidSpec
from lbc_eval.estimation.inference.multiplier import inference, tidy_table
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.results import Result, TruthLookup

Aggregation = Literal["simple", "dynamic", "group", "calendar"]
#: One aggregate: (label, key value, estimate, influence function over the units).
Row = tuple[str, float, float, np.ndarray]
_KEY_COLUMN = {
    "dynamic": "event_time",
    "group": "group",
    "calendar": "time",
    "simple": "event_time",
}
#: What each aggregation's estimate averages over (``{units}``: the result's ``population``).
ESTIMANDS = {
    "simple": (
        "simple ATT = the average effect over every treated {units}-period in the window: the "
        "post-treatment ATT(g,t) weighted by group size, so groups treated earlier (observed "
        "for more periods after adoption) count for more"
    ),
    "dynamic": (
        "dynamic = the effect e periods after adoption, averaged over the groups observed at e "
        "(by size); its overall = the plain average over event times e >= 0, each length of "
        "exposure counting equally (the longest exposures rest on the earliest groups alone)"
    ),
    "group": (
        "group = each group's average effect over its post-treatment periods; overall = their "
        "average weighted by group size (every treated {units} counts once)"
    ),
    "calendar": (
        "calendar = the effect in each period on the groups treated by then; overall = the "
        "plain average over periods"
    ),
}


@dataclass(frozen=True, repr=False)
class DidResult(Result):
    """ATT(g,t) (or an aggregation of them) with the influence functions behind them.

    ``tidy()`` has one row per ATT(g,t) with ``group``, ``time`` and ``event_time`` columns
    beside the standard ones; :meth:`aggregate` returns another ``DidResult`` whose rows are
    event times, groups or periods plus ``term == "overall"``.

    Attributes
    ----------
    inf : (n, cells) array or None
        Influence functions of the ATT(g,t) over the units (None for an aggregation). A fit on
        a lazy table (:mod:`lbc_eval.estimation.did.lazy`) keeps their sums by cluster instead
        (``cluster_codes`` is then ``0..C-1``), or, with the units as clusters, a square-root
        factor :math:`L` of their cross-products (:math:`L'L = \\Psi'\\Psi`; ``cluster_codes``
        None: analytic inference only); ``row_groups`` says which.
    unit_group : (n,) array or None
        Each unit's first treated period (``inf`` = never treated).
    unit_weights : (n,) array or None
        Each unit's sampling weight (None: equal), for the groups' shares.
    cluster_codes : (n,) int array or None
        Cluster of each unit (None: units are the clusters).
    spec : DidSpec
        Every setting the ATT(g,t) were estimated with.
    periods : array
        The sorted, evenly spaced periods of the panel.
    critical_value : float or None
        The uniform band's critical value (bootstrap), None for pointwise intervals.
    period_label : callable or None
        Formats a period value for the ``group``/``time`` keys and row labels of
        aggregations (e.g. a term index as ``"2021-1"``); None shows the number.
    aggregate_truth : callable or None
        Given an aggregation kind, the truth lookup of its rows (synthetic cohorts).
    population : str or None
        Who the units are (e.g. ``"children left behind in the first term, by the year their
        parents' destination adopted"``); aggregations name it in a note with what their
        estimate averages over (:data:`ESTIMANDS`).
    unit_name : str
        What one unit is, in those notes (``"child"``).
    row_groups : DataFrame or None
        Lazy fits: for each row of ``inf``, its loading on each group's indicator (columns:
        the groups' first treated periods, ``inf`` = never treated): the units of each group in
        the cluster, or the factor's rows of the constant. The aggregations' weight influence
        (``wif``) is linear in these; None when the rows of ``inf`` are units.
    """

    inf: np.ndarray | None = field(default=None, repr=False, compare=False)
    unit_group: np.ndarray | None = field(default=None, repr=False, compare=False)
    unit_weights: np.ndarray | None = field(default=None, repr=False, compare=False)
    cluster_codes: np.ndarray | None = field(default=None, repr=False, compare=False)
    spec: DidSpec | None = field(default=None, repr=False, compare=False)
    periods: np.ndarray | None = field(default=None, repr=False, compare=False)
    critical_value: float | None = field(default=None, repr=False, compare=False)
    period_label: Callable[[float], str] | None = field(default=None, repr=False, compare=False)
    aggregate_truth: Callable[[str], TruthLookup | None] | None = field(
        default=None, repr=False, compare=False
    )
    population: str | None = field(default=None, repr=False, compare=False)
    unit_name: str = field(default="unit", repr=False, compare=False)
    row_groups: pd.DataFrame | None = field(default=None, repr=False, compare=False)

    def pretest(self) -> dict[str, float]:
        """The pre-test of the pre-treatment ATT(g,t): statistic, df, p-value (empty when there
        are no pre-treatment cells). It is the ``pretest`` row of ``diagnostics``, whose
        ``message`` names the test (Wald, bootstrap sup-t, the averaged pre-treatment effect's
        bootstrap, or, in ``fit_policy``, randomisation inference)."""
        hit = self.diagnostics[self.diagnostics["check"] == "pretest"]
        if hit.empty:
            return {}
        row = hit.iloc[0]
        return {
            "statistic": float(row["statistic"]),
            "df": int(row["df"]),
            "p_value": float(row["p_value"]),
        }

    def summary(
        self,
        kinds: tuple[Aggregation, ...] = ("simple", "dynamic", "group", "calendar"),
        **kwargs: object,
    ) -> pd.DataFrame:
        """The overall rows of the aggregations side by side, with what each one describes.

        The simple ATT and the dynamic overall answer different questions (an average over
        treated unit-periods vs. over lengths of exposure) and differ when effects grow with
        exposure; this shows them together. ``kwargs`` go to :meth:`aggregate` (e.g. ``reps``).

        Returns
        -------
        DataFrame
            One row per kind: ``aggregation``, the tidy columns of its ``overall`` row,
            ``cov_type`` and ``describes``.
        """
        rows = []
        for kind in kinds:
            agg = self.aggregate(kind, **kwargs)  # type: ignore[arg-type]
            tidy = agg.tidy()
            row = tidy[tidy["term"] == "overall"].drop(columns=[_KEY_COLUMN[kind]], errors="ignore")
            row.insert(0, "aggregation", kind)
            row["cov_type"] = agg.cov_type
            row["describes"] = self._estimand(kind)
            rows.append(row)
        return pd.concat(rows, ignore_index=True)

    def _estimand(self, kind: str) -> str:
        text = ESTIMANDS[kind].format(units=self.unit_name)
        return f"{self.population}: {text}" if self.population else text

    def aggregate(
        self,
        kind: Aggregation = "dynamic",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        reps: int | None = None,
        boot_weights: BootWeights | None = None,
        seed: int | None = None,
    ) -> DidResult:
        """Aggregate the ATT(g,t) as ``did::aggte`` does.

        Parameters
        ----------
        kind : {"simple", "dynamic", "group", "calendar"}
            ``simple``: the post-treatment ATT(g,t) weighted by group size; ``dynamic``: by
            event time e = t - g (``min_e``, ``max_e``; ``balance_e`` keeps the groups observed
            for e = 0..balance_e); ``group``: by group, averaging its post periods; ``calendar``:
            by period.
        min_e, max_e : float
            The event-time window (``max_e`` also bounds the post cells of ``simple`` and
            ``group``; ``calendar`` ignores both, with a warning, as ``did`` does).
        balance_e : int, optional
            Keep only groups observed from e = 0 to ``balance_e`` (``dynamic``).
        reps : int, optional
            Multiplier-bootstrap draws (default: as the ATT(g,t) were estimated; 0: analytic).
        boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}, optional
            Multiplier weight distribution (default: as the ATT(g,t)).
        seed : int, optional
            Bootstrap seed (default: as the ATT(g,t)).

        Notes
        -----
        Each aggregate is :math:`\\sum_k w_k \\widehat{ATT}_k` with weights from the groups'
        shares :math:`\\hat p_g`; its influence function adds the estimation effect of the
        weights (``did``'s ``wif``), so standard errors account for estimated group shares.
        """
        if kind not in _KEY_COLUMN:
            raise ValueError(f"kind={kind!r}; choose one of simple, dynamic, group, calendar")
        if self.inf is None or self.spec is None or (
            self.unit_group is None and self.row_groups is None
        ):
            raise EstimationError("this result is already an aggregation; aggregate ATT(g,t)")
        draws = self.spec.reps if reps is None else reps
        if self.row_groups is not None and self.cluster_codes is None and draws:
            raise OutOfCoreError(
                "this fit ran on a lazy table with the units as clusters: it keeps a factor of "
                "the influence functions' cross-products, enough for analytic standard errors "
                "(reps=0) but not for a bootstrap over units. Refit with cluster=<a column above "
                "the unit> (the bootstrap then draws one weight per cluster), or fit a collected "
                "DataFrame"
            )
        if kind == "calendar" and (np.isfinite(min_e) or np.isfinite(max_e) or balance_e):
            warnings.warn(
                "min_e, max_e and balance_e are ignored for kind='calendar' (as did's aggte): "
                "returning the unrestricted calendar-time effects",
                stacklevel=2,
            )
            max_e = np.inf
        cells = _CellArrays.of(self, max_e)
        if kind == "simple":
            rows = [("overall", np.nan, *cells.weighted(np.flatnonzero(cells.post)))]
        elif kind == "dynamic":
            rows = _dynamic(cells, min_e, max_e, balance_e)
        elif kind == "group":
            rows = _by_group(cells, self._label)
        else:
            rows = _calendar(cells, self._label)
        return self._aggregated(kind, rows, reps=reps, boot_weights=boot_weights, seed=seed)

    def _aggregated(
        self,
        kind: str,
        rows: list[Row],
        *,
        reps: int | None,
        boot_weights: BootWeights | None,
        seed: int | None,
    ) -> DidResult:
        """The aggregation's result: its inference (the spec's unless overridden) and keys."""
        spec = self.spec
        assert spec is not None
        labels = [r[0] for r in rows]
        keys = [r[1] for r in rows]
        estimates = [r[2] for r in rows]
        # few clusters (small_cluster): t(G - 1) reference, the band no narrower than it
        df = (
            float(self.n_clusters - 1)
            if spec.small_cluster and self.cluster_codes is not None and self.n_clusters > 1
            else None
        )
        infs = np.column_stack([r[3] for r in rows])
        se, crit, cov = inference(
            infs,
            self.cluster_codes,
            reps=spec.reps if reps is None else reps,
            alpha=self.alpha,
            seed=spec.seed if seed is None else seed,
            boot_weights=spec.boot_weights if boot_weights is None else boot_weights,
            df=df,
            n=self.nobs,
        )
        # a zero influence function (the universal base period's reference e = -1) has no
        # standard error: NA, as did
        se = np.where(np.all(infs == 0, axis=0), np.nan, se)
        table = tidy_table(labels, estimates, se, crit, self.outcome, self.alpha, df)
        table[_KEY_COLUMN[kind]] = self._label_keys(kind, keys)
        return DidResult(
            estimator=f"did aggregate ({kind})",
            table=table,
            outcome=self.outcome,
            nobs=self.nobs,
            cov_type=cov,
            formula=self.formula,
            n_clusters=self.n_clusters,
            alpha=self.alpha,
            notes=(*self.notes, f"estimand: {self._estimand(kind)}"),
            warnings=self.warnings,
            raw=self,
            # the design checks of the ATT(g,t) (pre-test, treated clusters) hold for every
            # aggregation of them
            diagnostics=self.diagnostics,
            truth_lookup=None if self.aggregate_truth is None else self.aggregate_truth(kind),
            cluster_codes=self.cluster_codes,
            spec=spec,
            periods=self.periods,
            critical_value=crit,
            period_label=self.period_label,
            population=self.population,
            unit_name=self.unit_name,
        )

    def _label(self, value: float) -> str:
        return self.period_label(value) if self.period_label else f"{value:g}"

    def _label_keys(self, kind: str, keys: list[float]) -> list:
        if kind in ("dynamic", "simple"):
            return pd.array([None if not np.isfinite(k) else int(k) for k in keys], dtype="Int64")
        label = self.period_label
        return [None if not np.isfinite(k) else (label(k) if label else k) for k in keys]


@dataclass(frozen=True, eq=False)
class _CellArrays:
    """The ATT(g,t) as arrays, with the group shares the aggregations weight by."""

    att: np.ndarray
    inf: np.ndarray
    group: np.ndarray
    time: np.ndarray
    e: np.ndarray  # event time in periods
    ok: np.ndarray  # estimated, not the reference cell
    reference: np.ndarray  # the universal base period's zero cell
    post: np.ndarray  # ok, treated by t, e <= max_e
    ind: np.ndarray  # rows x glist: each row's (weighted) units of each group
    size: np.ndarray  # rows: the units each row stands for (1 for a unit)
    glist: np.ndarray  # the groups, sorted
    pg_g: np.ndarray  # share of units in each group of glist
    pg: np.ndarray  # share of the cell's group
    step: float
    first: float
    last: float

    @classmethod
    def of(cls, r: DidResult, max_e: float) -> _CellArrays:
        cells = r.tables["cells"]
        assert r.inf is not None and r.periods is not None
        att = r.table["estimate"].to_numpy(float)
        group = cells["group"].to_numpy(float)
        time = cells["time"].to_numpy(float)
        step = float(r.periods[1] - r.periods[0])
        e = np.round((time - group) / step).astype(int)
        reference = cells["reference"].to_numpy(bool)
        ok = np.isfinite(att) & ~reference
        glist = np.unique(group)
        if r.row_groups is not None:  # lazy fit: rows are cluster sums or a factor
            ind = r.row_groups[list(glist)].to_numpy(float)
            size = r.row_groups.to_numpy(float).sum(axis=1)
            units = r.tables["groups"].set_index("group")["units"]
            pg_g = units.reindex(glist).to_numpy(float) / r.nobs
        else:
            assert r.unit_group is not None
            w = np.ones(len(r.unit_group)) if r.unit_weights is None else r.unit_weights
            ind = w[:, None] * (r.unit_group[:, None] == glist[None, :])
            size = np.ones(len(r.unit_group))
            pg_g = np.array([np.mean(w * (r.unit_group == g)) for g in glist])
        return cls(
            att=att,
            inf=r.inf,
            group=group,
            time=time,
            e=e,
            ok=ok,
            reference=reference,
            post=ok & (group <= time) & (e <= max_e),
            ind=ind,
            size=size,
            glist=glist,
            pg_g=pg_g,
            pg=pg_g[np.searchsorted(glist, group)],
            step=step,
            first=float(r.periods[0]),
            last=float(r.periods[-1]),
        )

    def wif(self, groups: np.ndarray, shares: np.ndarray) -> np.ndarray:
        r"""did's ``wif``: the influence of estimating the weights
        :math:`\hat p_g / \sum \hat p_g`, :math:`\hat p_g = \overline{w_i 1\{G_i = g\}}`
        (a rows x len(groups) array). For unit :math:`i` it is
        :math:`(w_i 1\{G_i = g\} - \hat p_g)/S - \sum_h (w_i 1\{G_i = h\} - \hat p_h)\,
        \hat p_g / S^2`, :math:`S = \sum_h \hat p_h`: affine in the unit's group indicators,
        so a row that stands for several units (a cluster's sum, or a factor's row) takes its
        loadings ``ind`` on the indicators and ``size`` on the constant."""
        ind = self.ind[:, np.searchsorted(self.glist, groups)]
        dev = ind - self.size[:, None] * shares
        return dev / shares.sum() - dev.sum(axis=1)[:, None] * (shares / shares.sum() ** 2)

    def weighted(self, keep: np.ndarray) -> tuple[float, np.ndarray]:
        """Group-size weighted average of the cells ``keep``, with the weights' influence."""
        w = self.pg[keep] / self.pg[keep].sum()
        f = self.inf[:, keep] @ w + self.wif(self.group[keep], self.pg[keep]) @ self.att[keep]
        return float(np.sum(w * self.att[keep])), f


def _overall_mean(rows: list[Row]) -> list[Row]:
    """Overall = the plain mean of ``rows`` (event times, or periods); none when empty."""
    if not rows:
        return []
    est = float(np.mean([r[2] for r in rows]))
    return [("overall", np.nan, est, np.column_stack([r[3] for r in rows]).mean(axis=1))]


def _dynamic(c: _CellArrays, min_e: float, max_e: float, balance_e: int | None) -> list[Row]:
    """One row per event time (group-size weighted), overall = mean over e >= 0; the universal
    base period's reference cells give the e = -1 row as 0, as did."""
    use = (c.ok | c.reference) & (c.e >= min_e) & (c.e <= max_e)
    if balance_e is not None:
        span = int(round((c.last - c.first) / c.step))
        long_enough = (c.last - c.group) / c.step >= balance_e
        use &= long_enough & (c.e <= balance_e) & (c.e >= balance_e - span)
    rows: list[Row] = [
        (f"e={ev}", float(ev), *c.weighted(np.flatnonzero(use & (c.e == ev))))
        for ev in np.unique(c.e[use])
    ]
    return rows + _overall_mean([r for r in rows if r[1] >= 0])


def _by_group(c: _CellArrays, label: Callable[[float], str]) -> list[Row]:
    """One row per group (plain mean of its post cells), overall weighted by group size."""
    rows: list[Row] = []
    for g in c.glist:
        keep = np.flatnonzero(c.post & (c.group == g))
        if keep.size:
            rows.append(
                (f"g={label(g)}", float(g), float(c.att[keep].mean()), c.inf[:, keep].mean(axis=1))
            )
    gl = np.array([r[1] for r in rows], float)
    shares = c.pg_g[np.searchsorted(c.glist, gl)]
    w = shares / shares.sum()
    g_est = np.array([r[2] for r in rows])
    f = np.column_stack([r[3] for r in rows]) @ w + c.wif(gl, shares) @ g_est
    return [*rows, ("overall", np.nan, float(np.sum(w * g_est)), f)]


def _calendar(c: _CellArrays, label: Callable[[float], str]) -> list[Row]:
    """One row per period (group-size weighted post cells), overall = their mean."""
    rows: list[Row] = [
        (f"t={label(t)}", float(t), *c.weighted(np.flatnonzero(c.post & (c.time == t))))
        for t in np.unique(c.time[c.post])
    ]
    return rows + _overall_mean(rows)
