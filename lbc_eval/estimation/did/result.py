"""The result of a staggered DiD: ATT(g,t) with influence functions, and their aggregation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.inference.multiplier import inference, tidy_table
from lbc_eval.estimation.results import Result

Aggregation = Literal["simple", "dynamic", "group", "calendar"]


@dataclass(frozen=True, repr=False)
class DidResult(Result):
    """ATT(g,t) (or an aggregation of them) with the influence functions behind them.

    ``tidy()`` has one row per ATT(g,t) with ``group``, ``time`` and ``event_time`` columns
    beside the standard ones; :meth:`aggregate` returns another ``DidResult`` whose rows are
    event times, groups or periods plus ``term == "overall"``.
    """

    inf: np.ndarray | None = field(default=None, repr=False, compare=False)
    unit_group: np.ndarray | None = field(default=None, repr=False, compare=False)
    cluster_codes: np.ndarray | None = field(default=None, repr=False, compare=False)
    settings: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def pretest(self) -> dict[str, float]:
        """Wald pre-test that every pre-treatment ATT(g,t) is zero: statistic, df, p-value."""
        return dict(self.extra.get("pretest", {}))

    def aggregate(
        self,
        kind: Aggregation = "dynamic",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        balance_e: int | None = None,
        bootstrap: int | None = None,
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
        bootstrap : int, optional
            Multiplier-bootstrap draws (default: as the ATT(g,t) were estimated).

        Notes
        -----
        Each aggregate is :math:`\\sum_k w_k \\widehat{ATT}_k` with weights from the groups'
        shares :math:`\\hat p_g`; its influence function adds the estimation effect of the
        weights (``did``'s ``wif``), so standard errors account for estimated group shares.
        """
        if kind not in ("simple", "dynamic", "group", "calendar"):
            raise ValueError(f"kind={kind!r}; choose one of simple, dynamic, group, calendar")
        if self.inf is None or self.unit_group is None:
            raise EstimationError("this result is already an aggregation; aggregate ATT(g,t)")
        cells = self.extra["cells"]
        att = self.table["estimate"].to_numpy(float)
        group = cells["group"].to_numpy(float)
        time = cells["time"].to_numpy(float)
        step = float(self.settings["step"])
        e = np.round((time - group) / step).astype(int)
        ok = np.isfinite(att) & ~cells["reference"].to_numpy(bool)
        glist = np.unique(group)
        pg_g = np.array([np.mean(self.unit_group == g) for g in glist])
        pg = pg_g[np.searchsorted(glist, group)]
        G = self.unit_group

        def wif(groups: np.ndarray, shares: np.ndarray) -> np.ndarray:
            """did's ``wif``: the influence of estimating the weights P(G=g) / sum P(G=g)."""
            ind = (G[:, None] == groups[None, :]).astype(float)
            return (ind - shares) / shares.sum() - (ind - shares).sum(axis=1)[:, None] * (
                shares / shares.sum() ** 2
            )

        labels: list[str] = []
        estimates: list[float] = []
        infs: list[np.ndarray] = []
        keys: list[float] = []

        def emit(label: str, key: float, est: float, f: np.ndarray) -> None:
            labels.append(label)
            keys.append(key)
            estimates.append(est)
            infs.append(f)

        def weighted(keep: np.ndarray) -> tuple[float, np.ndarray]:
            """Group-size weighted average of the cells ``keep``, with the weights' influence."""
            w = pg[keep] / pg[keep].sum()
            f = self.inf[:, keep] @ w + wif(group[keep], pg[keep]) @ att[keep]
            return float(np.sum(w * att[keep])), f

        def overall_mean(rows: list[int]) -> None:
            """Overall = the plain mean of the rows ``rows`` (event times, or periods)."""
            if rows:
                emit(
                    "overall",
                    np.nan,
                    float(np.mean([estimates[i] for i in rows])),
                    np.column_stack([infs[i] for i in rows]).mean(axis=1),
                )

        post = ok & (group <= time) & (e <= max_e)
        if kind == "simple":
            emit("overall", np.nan, *weighted(np.flatnonzero(post)))
        elif kind == "dynamic":
            use = ok & (e >= min_e) & (e <= max_e)
            if balance_e is not None:
                span = int(
                    round((self.settings["last_period"] - self.settings["first_period"]) / step)
                )
                long_enough = (self.settings["last_period"] - group) / step >= balance_e
                use &= long_enough & (e <= balance_e) & (e >= balance_e - span)
            for ev in np.unique(e[use]):
                emit(f"e={ev}", ev, *weighted(np.flatnonzero(use & (e == ev))))
            overall_mean([i for i, k in enumerate(keys) if k >= 0])
        elif kind == "group":
            for g in glist:
                keep = np.flatnonzero(post & (group == g))
                if keep.size:  # each group: the plain mean of its post-treatment cells
                    emit(
                        f"g={self._label(g)}",
                        g,
                        float(att[keep].mean()),
                        self.inf[:, keep].mean(axis=1),
                    )
            gl = np.array(keys, float)
            shares = pg_g[np.searchsorted(glist, gl)]
            w = shares / shares.sum()
            g_est = np.array(estimates)
            emit(
                "overall",
                np.nan,
                float(np.sum(w * g_est)),
                np.column_stack(infs) @ w + wif(gl, shares) @ g_est,
            )
        else:  # calendar
            for t in np.unique(time[post]):
                emit(f"t={self._label(t)}", t, *weighted(np.flatnonzero(post & (time == t))))
            overall_mean(list(range(len(keys))))
        inf = np.column_stack(infs)
        draws = self.settings["bootstrap"] if bootstrap is None else bootstrap
        se, crit, cov = inference(
            inf,
            self.cluster_codes,
            draws,
            self.alpha,
            self.settings["seed"] if seed is None else seed,
        )
        key_name = {
            "dynamic": "event_time",
            "group": "group",
            "calendar": "time",
            "simple": "event_time",
        }[kind]
        table = tidy_table(labels, estimates, se, crit, self.outcome, self.alpha)
        table[key_name] = self._label_keys(kind, keys)
        return DidResult(
            estimator=f"did aggregate ({kind})",
            table=table,
            outcome=self.outcome,
            nobs=self.nobs,
            cov_type=cov,
            formula=self.formula,
            n_clusters=self.n_clusters,
            alpha=self.alpha,
            notes=self.notes,
            warnings=self.warnings,
            raw=self,
            extra={"kind": kind, "critical_value": crit},
            truth_lookup=None
            if self.settings.get("truth_aggregate") is None
            else self.settings["truth_aggregate"](kind),
            inf=None,
            unit_group=None,
            cluster_codes=self.cluster_codes,
            settings=self.settings,
        )

    def _label(self, value: float) -> str:
        label = self.settings.get("period_label")
        return label(value) if label else f"{value:g}"

    def _label_keys(self, kind: str, keys: list[float]) -> list[Any]:
        if kind in ("dynamic", "simple"):
            return pd.array([None if not np.isfinite(k) else int(k) for k in keys], dtype="Int64")
        label = self.settings.get("period_label")
        return [None if not np.isfinite(k) else (label(k) if label else k) for k in keys]
