"""The result of a staggered DiD: ATT(g,t) with influence functions, and their aggregation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import EstimationError
from ..results import Result
from .inference import inference, tidy_table

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

        def wif(keep: np.ndarray, pgk: np.ndarray, grp: np.ndarray) -> np.ndarray:
            ind = (G[:, None] == grp[keep][None, :]).astype(float)
            if1 = (ind - pgk[keep]) / pgk[keep].sum()
            if2 = (ind - pgk[keep]).sum(axis=1)[:, None] * (pgk[keep] / pgk[keep].sum() ** 2)
            return if1 - if2

        def combine(
            keep: np.ndarray, weights: np.ndarray, use_wif: bool
        ) -> tuple[float, np.ndarray]:
            est = float(np.sum(weights * att[keep]))
            f = self.inf[:, keep] @ weights
            if use_wif:
                f = f + wif(keep, pg, group) @ att[keep]
            return est, f

        labels, estimates, infs, keys = [], [], [], []
        post = ok & (group <= time) & (e <= max_e)
        if kind == "simple":
            keep = np.flatnonzero(post)
            est, f = combine(keep, pg[keep] / pg[keep].sum(), True)
            labels, estimates, infs, keys = ["overall"], [est], [f], [np.nan]
        elif kind == "dynamic":
            use = ok & (e >= min_e) & (e <= max_e)
            if balance_e is not None:
                span = int(
                    round((self.settings["last_period"] - self.settings["first_period"]) / step)
                )
                long_enough = (self.settings["last_period"] - group) / step >= balance_e
                use &= long_enough & (e <= balance_e) & (e >= balance_e - span)
            for ev in np.unique(e[use]):
                keep = np.flatnonzero(use & (e == ev))
                est, f = combine(keep, pg[keep] / pg[keep].sum(), True)
                labels.append(f"e={ev}")
                estimates.append(est)
                infs.append(f)
                keys.append(ev)
            pos = [i for i, k in enumerate(keys) if k >= 0]
            if pos:
                f = np.column_stack([infs[i] for i in pos]).mean(axis=1)
                labels.append("overall")
                estimates.append(float(np.mean([estimates[i] for i in pos])))
                infs.append(f)
                keys.append(np.nan)
        elif kind == "group":
            g_est, g_inf = [], []
            for g in glist:
                keep = np.flatnonzero(post & (group == g))
                if keep.size == 0:
                    continue
                est, f = combine(keep, np.full(keep.size, 1 / keep.size), False)
                labels.append(f"g={self._label(g)}")
                estimates.append(est)
                infs.append(f)
                keys.append(g)
                g_est.append(est)
                g_inf.append(f)
            gl = np.array(keys, float)
            pgg = pg_g[np.searchsorted(glist, gl)]
            w = pgg / pgg.sum()
            ind = (G[:, None] == gl[None, :]).astype(float)
            wf = (ind - pgg) / pgg.sum() - (ind - pgg).sum(axis=1)[:, None] * (pgg / pgg.sum() ** 2)
            f = np.column_stack(g_inf) @ w + wf @ np.array(g_est)
            labels.append("overall")
            estimates.append(float(np.sum(w * np.array(g_est))))
            infs.append(f)
            keys.append(np.nan)
        else:  # calendar
            for t in np.unique(time[post]):
                keep = np.flatnonzero(post & (time == t))
                est, f = combine(keep, pg[keep] / pg[keep].sum(), True)
                labels.append(f"t={self._label(t)}")
                estimates.append(est)
                infs.append(f)
                keys.append(t)
            f = np.column_stack(infs).mean(axis=1)
            labels.append("overall")
            estimates.append(float(np.mean(estimates)))
            infs.append(f)
            keys.append(np.nan)
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
