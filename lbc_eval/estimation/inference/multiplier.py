"""Inference for ATT(g,t) and their aggregates: analytic and multiplier-bootstrap errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.estimation.inference.wild import BOOT_WEIGHTS, BootWeights, draw_values
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
    seed: int | None = 0,
    boot_weights: BootWeights = "auto",
    chunk: int = 64,
) -> tuple[np.ndarray, float]:
    """Bootstrap standard errors and the uniform band's critical value from influence functions.

    Parameters
    ----------
    inf : (n, k) array
        Influence functions of k estimates over n units.
    draws : int
        Bootstrap draws (one weight per cluster; units are their own clusters by default).
    cluster : (n,) int array, optional
        Cluster codes 0..C-1: weights are drawn per cluster and the cluster-mean influence
        functions are resampled, as ``did``'s ``mboot`` does.
    alpha : float
        1 - coverage of the uniform band.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        Distribution of the multiplier weights (mean 0, variance 1); ``"auto"`` is Rademacher,
        as ``did``.

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
    kind = "rademacher" if boot_weights == "auto" else boot_weights
    if kind not in BOOT_WEIGHTS:
        draw_values(rng, kind, 0)  # raises the named error
    for start in range(0, draws, chunk):
        b = min(chunk, draws - start)
        if kind == "rademacher":  # integer draws: fast, and the reference numbers rely on them
            v = rng.integers(0, 2, size=(b, m), dtype=np.int8).astype(np.float32) * 2 - 1
        else:
            v = draw_values(rng, kind, b * m).reshape(b, m).astype(np.float32)
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
    inf: np.ndarray,
    cluster: np.ndarray | None,
    *,
    reps: int,
    alpha: float,
    seed: int | None,
    boot_weights: BootWeights = "auto",
) -> tuple[np.ndarray, float | None, str]:
    """Standard errors, the band's critical value (None: pointwise) and the ``cov_type`` text.

    ``reps`` > 0: :func:`multiplier_bootstrap`; 0: the analytic :math:`\\sqrt{\\sum \\psi^2}/n`.
    """
    where = "clusters" if cluster is not None else "units"
    if reps:
        se, crit = multiplier_bootstrap(
            inf, draws=reps, cluster=cluster, alpha=alpha, seed=seed, boot_weights=boot_weights
        )
        kind = "rademacher" if boot_weights == "auto" else boot_weights
        return (
            se,
            crit,
            (
                f"multiplier bootstrap ({reps} {kind} draws over {where}); "
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
