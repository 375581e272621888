"""Inference for ATT(g,t) and their aggregates: analytic and multiplier-bootstrap errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.estimation.inference.wild import BOOT_WEIGHTS, BootWeights, draw_values
from lbc_eval.estimation.results import tidy_frame


def analytic_se(
    inf: np.ndarray, cluster: np.ndarray | None, n: int | None = None
) -> np.ndarray:
    """:math:`\\sqrt{\\sum_c (\\sum_{i \\in c} \\psi_i)^2} / n`; ``n`` defaults to the rows of
    ``inf`` (units), and must be given when the rows are already cluster sums (lazy fits)."""
    n = inf.shape[0] if n is None else n
    if cluster is not None:
        inf = cluster_sum(inf, cluster)
    return np.sqrt(np.sum(inf**2, axis=0)) / n


def cluster_sum(inf: np.ndarray, cluster: np.ndarray) -> np.ndarray:
    out = np.zeros((int(cluster.max()) + 1, inf.shape[1]))
    np.add.at(out, cluster, inf)
    return out


def bootstrap_draws(
    inf: np.ndarray,
    *,
    draws: int = 999,
    cluster: np.ndarray | None = None,
    seed: int | None = 0,
    boot_weights: BootWeights = "auto",
    chunk: int = 64,
    n: int | None = None,
) -> np.ndarray:
    r"""Multiplier-bootstrap draws :math:`\hat\theta^*_b - \hat\theta = \sum_c v_{cb} S_c / n`.

    :math:`S_c = \sum_{i \in c} \psi_i` is the cluster's *sum* of influence functions (each
    unit its own cluster by default), so the draws' variance is the analytic clustered variance
    :math:`\sum_c S_c^2 / n^2`, as in R ``did`` and ``csdid``. Returns a (draws, k) array.
    ``n`` (the units) defaults to the rows of ``inf``; give it when the rows are already the
    cluster sums :math:`S_c` (lazy fits: ``cluster`` is then ``0..C-1``).
    """
    k = inf.shape[1]
    n = inf.shape[0] if n is None else n
    base = cluster_sum(inf, cluster) if cluster is not None else inf
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
        res[start : start + b] = v @ b32
    return res / n


def bootstrap_scale(res: np.ndarray) -> np.ndarray:
    """Robust standard deviation of the draws: interquartile range / (z_.75 - z_.25)."""
    q75, q25 = (
        np.quantile(res, 0.75, axis=0, method="inverted_cdf"),
        np.quantile(res, 0.25, axis=0, method="inverted_cdf"),
    )
    return (q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))


def sup_t(res: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """max_k |draw_k / sigma_k| per draw (columns with sigma = 0 left out)."""
    ok = sigma > 0
    if not ok.any():
        return np.zeros(res.shape[0])
    return np.max(np.abs(res[:, ok] / sigma[ok]), axis=1)


def multiplier_bootstrap(
    inf: np.ndarray,
    *,
    draws: int = 999,
    cluster: np.ndarray | None = None,
    alpha: float = 0.05,
    seed: int | None = 0,
    boot_weights: BootWeights = "auto",
    chunk: int = 64,
    n: int | None = None,
) -> tuple[np.ndarray, float]:
    r"""Bootstrap standard errors and the uniform band's critical value from influence functions.

    Parameters
    ----------
    inf : (n, k) array
        Influence functions of k estimates over n units.
    draws : int
        Bootstrap draws (one weight per cluster; units are their own clusters by default).
    cluster : (n,) int array, optional
        Cluster codes 0..C-1: weights are drawn per cluster and multiply the cluster's *sum* of
        influence functions (R ``did``/``csdid``), so the standard errors estimate the analytic
        clustered ones :math:`\sqrt{\sum_c (\sum_{i \in c} \psi_i)^2} / n`.
    alpha : float
        1 - coverage of the uniform band.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        Distribution of the multiplier weights (mean 0, variance 1); ``"auto"`` is Rademacher,
        as ``did``.
    n : int, optional
        Units behind ``inf`` when its rows are already cluster sums (default: its rows).

    Returns
    -------
    se : (k,) array
        Interquartile range of the draws / (z_.75 - z_.25).
    crit : float
        The 1 - alpha quantile of max_k |draw_k / sigma_k| (simultaneous band).
    """
    res = bootstrap_draws(
        inf, draws=draws, cluster=cluster, seed=seed, boot_weights=boot_weights, chunk=chunk, n=n
    )
    sigma = bootstrap_scale(res)
    crit = float(np.quantile(sup_t(res, sigma), 1 - alpha, method="inverted_cdf"))
    return sigma, crit


def bootstrap_sup_t_test(
    theta: np.ndarray,
    inf: np.ndarray,
    *,
    draws: int = 999,
    cluster: np.ndarray | None = None,
    seed: int | None = 0,
    boot_weights: BootWeights = "auto",
    n: int | None = None,
) -> tuple[float, float]:
    r"""Joint test that every ``theta`` is zero: the bootstrap sup-t statistic and p-value.

    :math:`T = \max_k |\hat\theta_k| / \hat\sigma_k` against the multiplier-bootstrap draws
    of :math:`\max_k |\hat\theta^*_k - \hat\theta_k| / \hat\sigma_k` (the same draws as the
    uniform band: the test rejects exactly when the simultaneous band excludes zero somewhere).
    Unlike a Wald test it needs no inverse of the k x k covariance, which with C clusters has
    rank at most C - 1 and is badly estimated when k is close to C.
    """
    res = bootstrap_draws(
        inf, draws=draws, cluster=cluster, seed=seed, boot_weights=boot_weights, n=n
    )
    sigma = bootstrap_scale(res)
    ok = sigma > 0
    stat = float(np.max(np.abs(theta[ok] / sigma[ok]))) if ok.any() else 0.0
    tmax = sup_t(res, sigma)
    p = float((1 + np.sum(tmax >= stat)) / (1 + draws))
    return stat, p


def small_cluster_adjust(
    inf: np.ndarray,
    cluster: np.ndarray,
    unit_group: np.ndarray,
    cell_group: np.ndarray,
) -> np.ndarray:
    r"""Rescale each cell's influence functions for the few-cluster bias of the clustered
    variance (CR2, Bell & McCaffrey 2002).

    An ATT(g,t) without covariates is a difference of two means, over the cell's treated units
    and its comparison units. Within each side, the units of cluster c are scaled by
    :math:`1/\sqrt{1 - h_c}`, :math:`h_c = n_c / n_{side}` the cluster's share of that side
    (the leverage of its block in the regression on an intercept): the cluster sum of the
    residuals has expectation :math:`(1 - h_c)` times the variance it stands for, because each
    cluster's deviation is taken from a mean it is part of. For G equal clusters the factor is
    :math:`\sqrt{G/(G-1)}`; two destinations adopting in a year would otherwise show half the
    variance. A side with a single cluster is left as it is (its variance cannot be estimated).
    Units take part in a cell when their influence function there is not zero.
    """
    out = inf.copy()
    n_cl = int(cluster.max()) + 1
    for k in range(inf.shape[1]):
        used = inf[:, k] != 0
        if not used.any():
            continue
        treated = unit_group == cell_group[k]
        for side in (treated & used, ~treated & used):
            counts = np.bincount(cluster[side], minlength=n_cl).astype(float)
            h = counts / max(counts.sum(), 1.0)
            if np.sum(counts > 0) > 1:
                out[side, k] *= 1 / np.sqrt(1 - h[cluster[side]])
    return out


def inference(
    inf: np.ndarray,
    cluster: np.ndarray | None,
    *,
    reps: int,
    alpha: float,
    seed: int | None,
    boot_weights: BootWeights = "auto",
    df: float | None = None,
    n: int | None = None,
) -> tuple[np.ndarray, float | None, str]:
    """Standard errors, the band's critical value (None: pointwise) and the ``cov_type`` text.

    ``reps`` > 0: :func:`multiplier_bootstrap`; 0: the analytic :math:`\\sqrt{\\sum \\psi^2}/n`.

    ``df`` (few clusters: G - 1) makes Student's t(df) the pointwise reference (p-values,
    pointwise intervals: see :func:`tidy_table`) and floors the band's critical value at its
    1 - alpha/2 quantile. The floor matters for a statistic dominated by one or two clusters
    (the simple ATT, most of whose weight is on the earliest adopting destinations): its
    multiplier draws are then close to one cluster's bounded weight distribution (Webb's six
    points reach 1.22 standard deviations), the bootstrap quantile falls below 1.96 and the
    interval is too short; a simultaneous band should never be narrower than the pointwise one.
    ``n``: the units, when the rows of ``inf`` are not units (cluster sums of a lazy fit).
    """
    where = "clusters" if cluster is not None else "units"
    ref = "" if df is None else f"; t({df:g}) reference (pointwise)"
    if reps:
        se, crit = multiplier_bootstrap(
            inf, draws=reps, cluster=cluster, alpha=alpha, seed=seed, boot_weights=boot_weights,
            n=n,
        )
        if df is not None:
            crit = max(crit, float(stats.t.ppf(1 - alpha / 2, df)))
        kind = "rademacher" if boot_weights == "auto" else boot_weights
        band = (
            f"simultaneous {100 * (1 - alpha):g}% band"
            if df is None
            else f"simultaneous {100 * (1 - alpha):g}% band, no narrower than the t({df:g}) one"
        )
        return se, crit, f"multiplier bootstrap ({reps} {kind} draws over {where}); {band}{ref}"
    return analytic_se(inf, cluster, n), None, f"influence function (analytic, over {where}){ref}"


def tidy_table(
    labels: list[str],
    est: list[float] | np.ndarray,
    se: np.ndarray,
    crit: float | None,
    outcome: str,
    alpha: float,
    df: float | None = None,
) -> pd.DataFrame:
    """The tidy rows: p-values against N(0, 1), or t(``df``) (few clusters); the intervals
    ``estimate +- crit * se`` when there is a band (``crit``), else pointwise."""
    table = tidy_frame(labels, est, se, outcome=outcome, alpha=alpha, df=df)
    if crit is not None:
        e = table["estimate"].to_numpy()
        table["conf_low"] = e - crit * se
        table["conf_high"] = e + crit * se
    return table
