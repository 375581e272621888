r"""Two-stage least squares with absorbed fixed effects and a cluster-robust variance.

Model: :math:`y = X\beta + D\alpha + u` with some columns of :math:`X` endogenous and
instruments :math:`W` excluded from it. With :math:`M_D` the within projection (the fixed
effects swept out, as in :mod:`lbc_eval.estimation.within`), :math:`\ddot Z = M_D[W, X_{ex}]`
the instruments and exogenous regressors, :math:`\hat X = P_{\ddot Z}\ddot X`:

.. math:: \hat\beta = (\hat X'\ddot X)^{-1}\hat X'\ddot y,\qquad
          \hat u = \ddot y - \ddot X\hat\beta,

.. math:: \hat V = c\,(\hat X'\hat X)^{-1}\Big(\sum_g \hat X_g'\hat u_g\hat u_g'\hat X_g\Big)
          (\hat X'\hat X)^{-1},\quad c = \frac{G}{G-1}\frac{N-1}{N-K}

(the CRV1 variance of pyfixest's ``feols("y ~ x | fe | d ~ w", vcov={"CRV1": g})``, with
:math:`K` counted as for OLS). The first-stage strength is the cluster-robust Wald statistic
on the excluded instruments in the regression of each endogenous column on :math:`\ddot Z`,
divided by their number (an F form; Olea & Pflueger's effective F equals it with one
instrument up to the small-sample factor).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import linalg, stats

from lbc_eval.errors import EstimationError, NoVariationError
from lbc_eval.estimation.within import Design, _df_k, _nested, cluster_sums, crv1, demean

__all__ = ["IVFit", "fit_iv"]


@dataclass(frozen=True, eq=False)
class IVFit:
    """A fitted 2SLS regression (fixed effects absorbed).

    ``names`` are the second-stage regressors (endogenous first, as passed, then exogenous);
    ``scores`` (n x k) are :math:`\\hat X_i \\hat u_i`, so that the influence of row ``i`` on
    :math:`\\hat\\beta` is ``bread @ scores[i]``; ``first_stage_f`` holds the F statistic of
    each endogenous column, ``first_stage_p`` its p-value from :math:`F(q, G-1)`.
    """

    design: Design
    names: tuple[str, ...]
    coef: np.ndarray
    vcov: np.ndarray
    bread: np.ndarray
    scores: np.ndarray
    ssc: float
    df_t: float
    n_clusters: int
    first_stage_f: np.ndarray
    first_stage_p: np.ndarray
    first_stage_coef: np.ndarray  # (q instruments, endogenous)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        return self.names.index(name)

    def influence(self, R: np.ndarray) -> np.ndarray:
        """Per-row influence of :math:`R'\\hat\\beta` (without the small-sample factor)."""
        return self.scores @ (self.bread @ R)


def fit_iv(design: Design, *, endogenous: Sequence[str], instruments: Sequence[str]) -> IVFit:
    """2SLS of ``design.y`` on ``design.X``'s columns, ``endogenous`` instrumented by the
    ``instruments`` columns (which are excluded from the second stage); CRV1 by the design's
    one cluster variable.

    Build ``design`` with :func:`lbc_eval.estimation.fe.make_design` on every column (endogenous,
    exogenous and instruments) so that rows missing any of them are dropped together.
    """
    if design.weights is not None:
        raise EstimationError("fit_iv does not take weights")
    if design.clusters.shape[1] != 1:
        raise EstimationError("fit_iv clusters one way: pass one cluster variable")
    names = list(design.names)
    unknown = [c for c in [*endogenous, *instruments] if c not in names]
    if unknown:
        raise EstimationError(f"fit_iv: no column {unknown[0]!r} in the design")
    if len(instruments) < len(endogenous):
        raise EstimationError(
            f"{len(endogenous)} endogenous regressor(s) need at least as many instruments, "
            f"got {len(instruments)}"
        )
    exog = [c for c in names if c not in endogenous and c not in instruments]
    col = {c: j for j, c in enumerate(names)}
    zd = demean(np.column_stack([design.y, design.X]), design.fe, None)
    yd, all_d = zd[:, 0], zd[:, 1:]
    Xd = all_d[:, [col[c] for c in [*endogenous, *exog]]]
    Zd = all_d[:, [col[c] for c in [*instruments, *exog]]]
    scale = np.sqrt((design.X[:, [col[c] for c in instruments]] ** 2).sum(axis=0))
    left = np.sqrt((Zd[:, : len(instruments)] ** 2).sum(axis=0))
    if (left <= 1e-9 * np.maximum(scale, 1e-300)).any():
        fes = " and ".join(design.fe_names)
        raise NoVariationError(
            f"the instrument has no variation left after absorbing {fes}: nothing moves the "
            f"treatment from outside"
        )
    ZZ = Zd.T @ Zd
    try:
        ZZi = linalg.cho_solve(linalg.cho_factor(ZZ), np.eye(ZZ.shape[0]))
    except linalg.LinAlgError as e:
        raise NoVariationError("the instruments and exogenous regressors are collinear") from e
    pi = ZZi @ (Zd.T @ Xd)  # first-stage coefficients
    Xhat = Zd @ pi
    XhX = Xhat.T @ Xhat
    try:
        bread = linalg.cho_solve(linalg.cho_factor(XhX), np.eye(XhX.shape[0]))
    except linalg.LinAlgError as e:
        raise NoVariationError("the instruments do not move the endogenous regressor") from e
    coef = bread @ (Xhat.T @ yd)
    resid = yd - Xd @ coef
    n, k = Xd.shape
    nested = _nested(design)
    df_k = _df_k(design, k, nested)
    V, ssc, G = crv1(Xhat, resid, design.clusters, bread, n=n, df_k=df_k)
    # first stage: each endogenous column on the instruments and exogenous regressors
    q = len(instruments)
    df_k1 = _df_k(design, Zd.shape[1], nested)
    fs_f, fs_p = [], []
    for j in range(len(endogenous)):
        r1 = Xd[:, j] - Zd @ pi[:, j]
        V1, _, _ = crv1(Zd, r1, design.clusters, ZZi, n=n, df_k=df_k1)
        b = pi[:q, j]
        Vq = V1[:q, :q]
        f = float(b @ np.linalg.solve(Vq, b)) / q
        fs_f.append(f)
        fs_p.append(float(stats.f.sf(f, q, G - 1)))
    return IVFit(
        design=design,
        names=tuple([*endogenous, *exog]),
        coef=coef,
        vcov=V,
        bread=bread,
        scores=Xhat * resid[:, None],
        ssc=float(ssc),
        df_t=float(G - 1),
        n_clusters=int(G),
        first_stage_f=np.array(fs_f),
        first_stage_p=np.array(fs_p),
        first_stage_coef=pi[:q],
    )


def cluster_influence(
    codes: np.ndarray, labels: np.ndarray, psi: np.ndarray
) -> dict[object, float]:
    """Sums of a per-row influence by cluster label (to stack fits on different rows)."""
    s = cluster_sums(codes, psi)[:, 0]
    return {lab: float(v) for lab, v in zip(labels, s, strict=True)}
