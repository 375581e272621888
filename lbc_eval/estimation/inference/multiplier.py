"""Inference for ATT(g,t) and their aggregates: analytic and multiplier-bootstrap errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.estimation.results import tidy_frame


def analytic_se(inf: np.ndarray, cluster: np.ndarray | None) -> np.ndarray:
    n = inf.shape[0]
    if cluster is not None:
        inf = _cluster_sum(inf, cluster)
    return np.sqrt(np.sum(inf**2, axis=0)) / n


def _cluster_sum(inf: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    out = np.zeros((int(cluster.max()) + 1, inf.shape[1]))
    np.add.at(out, cluster, inf)
    return out


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    draws: int = 999,
    cluster: np.ndarray | None = None,
    alpha: float = 0.05,
    seed: int = 0,
    chunk: int = 64,
) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors and the uniform band's critical value from influence functions.

    Parameters
    ----------
    inf : (n, k) array
        Influence functions of k estimates over n units.
    draws : int
        Bootstrap draws (Rademacher weights per cluster; units are their own clusters by default).
    cluster : (n,) int array, optional
        Cluster codes 0..C-1: weights are drawn per cluster and the cluster-mean influence
        functions are resampled, as ``did``'s ``mboot`` does.

    Returns
    -------
    se : (k,) array
        Interquartile range of the draws / (z_.75 - z_.25), divided by sqrt(n or C).
    crit : float
        The 1 - alpha quantile of max_k |draw_k / sigma_k| (simultaneous band).
    """
    n, k = inf.shape
    if cluster is not None:
        sizes = np.bincount(cluster).astype(float)
        base = _cluster_sum(inf, cluster) / sizes[:, None]
    else:
        base = inf
    m = base.shape[0]
    rng = np.random.default_rng(seed)
    res = np.empty((draws, k))
    b32 = base.astype(np.float32)
    for start in range(0, draws, chunk):
        b = min(chunk, draws - start)
        v = rng.integers(0, 2, size=(b, m), dtype=np.int8).astype(np.float32) * 2 - 1
        res[start : start + b] = (v @ b32) / m
    res *= np.sqrt(m)
    q75, q25 = (
        np.quantile(res, 0.75, axis=0, method="inverted_cdf"),
        np.quantile(res, 0.25, axis=0, method="inverted_cdf"),
    )
    sigma = (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
    ok = sigma > 0
    tmax = np.max(np.abs(res[:, ok] / sigma[ok]), axis=1) if ok.any() else np.zeros(draws)
    crit = float(np.quantile(tmax, 1 - alpha, method="inverted_cdf"))
    return sigma / np.sqrt(m), crit


def inference(
    inf: np.ndarray, cluster: np.ndarray | None, draws: int, alpha: float, seed: int
) -> tuple[np.ndarray, float | None, str]:
    where = "clusters" if cluster is not None else "units"
    if draws:
        se, crit = multiplier_bootstrap(inf, draws=draws, cluster=cluster, alpha=alpha, seed=seed)
        return (
            se,
            crit,
            (
                f"multiplier bootstrap ({draws} draws over {where}); "
                f"simultaneous {100 * (1 - alpha):g}% band"
            ),
        )
    return analytic_se(inf, cluster), None, f"influence function (analytic, over {where})"


def tidy_table(
    labels: list[str],
    est: list[float] | np.ndarray,
    se: np.ndarray,
    crit: float | None,
    outcome: str,
    alpha: float,
) -> pd.DataFrame:
    table = tidy_frame(labels, est, se, outcome=outcome, alpha=alpha)
    if crit is not None:
        e = table["estimate"].to_numpy()
        table["conf_low"] = e - crit * se
        table["conf_high"] = e + crit * se
    return table
