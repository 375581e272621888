r"""A within regression finished from per-cluster moments: :class:`MomentFit`.

The out-of-core pass (:func:`lbc_eval.scale.within.moments`) returns, per cluster :math:`g`,
the cross-products :math:`M_g = \tilde Z_g'W\tilde Z_g` and :math:`b_g = \tilde Z_g'W\tilde y_g`
of the regressors :math:`z = (x', d')'` (slopes, then the dummies of the small fixed
effects) demeaned within the absorbed fixed effect. With :math:`M = \sum_g M_g`,
:math:`b = \sum_g b_g`, the dummy columns of the levels used (one per fixed effect left out,
the reference) and the partition :math:`M = \begin{pmatrix} M_{xx} & M_{xd} \\ M_{dx} &
M_{dd}\end{pmatrix}`:

.. math:: \hat\beta_{full} = M^{-1} b, \qquad
          S = M_{xx} - M_{xd}M_{dd}^{-1}M_{dx} = \ddot X'W\ddot X, \qquad
          s_g = \begin{pmatrix} I & -\Gamma' \end{pmatrix}(b_g - M_g\hat\beta_{full}),
          \quad \Gamma = M_{dd}^{-1}M_{dx},

where :math:`\ddot X` is :math:`X` with *both* fixed effects swept out
(Frisch–Waugh–Lovell). So the slopes, the bread :math:`S^{-1}` and the cluster scores
:math:`s_g = \ddot X_g'W\hat u_g` are those of :func:`lbc_eval.estimation.within.fit_within`,
and so are CRV1 (one- or two-way), its small-sample factor
:math:`\frac{G}{G-1}\frac{N-1}{N-K}` and :math:`K` (slopes and fixed-effect levels, less those
nested in the clusters; the levels come from the pass: :math:`\sum_i 1/n_{a(i)}` for the
absorbed effect, the dummy levels with rows for the small ones).

The rank checks are made on :math:`S`: a slope is absorbed when
:math:`S_{jj} \le 10^{-18}\sum_i (x_{ij} - \bar x_j)^2` (the in-memory rule, squared) or
:math:`S_{jj} \le 10^{-24}\sum_i x_{ij}^2` (a constant that is not a whole number leaves
rounding noise after demeaning, and the variance from raw sums is rounding noise too); a set
of slopes is collinear when the pivoted Cholesky factor of :math:`S` scaled to unit diagonal
has a pivot below :data:`PIVOT_TOL` (the Gram matrix squares the condition number of the
in-memory QR, hence a tolerance of :math:`10^{-10}` on the squared pivots rather than
:math:`10^{-9}` on the QR's diagonal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from lbc_eval.errors import CollinearityError, NoVariationError
from lbc_eval.scale.within import Moments

#: Squared pivot (relative to 1, the scaled diagonal) below which slopes are collinear.
PIVOT_TOL = 1e-10
#: Most clusters for the wild bootstrap of a lazy fit (its algebra holds G x G matrices).
MAX_WILD_CLUSTERS = 2000


@dataclass(frozen=True, eq=False)
class MomentDesign:
    """What a :class:`MomentFit` was estimated on (the lazy counterpart of
    :class:`~lbc_eval.estimation.within.Design`, without row arrays)."""

    names: tuple[str, ...]
    fe_names: tuple[str, ...]
    cluster_names: tuple[str, ...]
    cluster_labels: tuple[np.ndarray, ...]
    nobs: int
    weighted: bool


@dataclass(frozen=True, eq=False)
class MomentFit:
    """A within regression fitted from per-cluster moments (module docstring).

    Has the attributes of :class:`~lbc_eval.estimation.within.WithinFit` that results and
    tests read (``coef``, ``bread``, ``vcov``, ``vcov_type``, ``ssc``, ``df_k``, ``df_t``,
    ``n_clusters``, ``nested``, ``names``, ``se``, ``index``); not the row arrays (``Xd``,
    ``resid``), which a lazy fit never holds. ``moments`` keeps the sums; ``full`` the
    coefficients and inverse of the regression with the dummies; ``scores`` the cluster
    scores of the slopes (one row per group of ``moments.labels``).
    """

    design: MomentDesign
    coef: np.ndarray
    bread: np.ndarray
    vcov: np.ndarray
    vcov_type: str
    ssc: float
    df_k: int
    df_t: float
    n_clusters: int | None
    nested: tuple[bool, ...]
    moments: Moments = field(repr=False)
    keep: np.ndarray = field(repr=False)
    full_coef: np.ndarray = field(repr=False)
    full_inv: np.ndarray = field(repr=False)
    scores: np.ndarray = field(repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return self.design.names

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        """Position of coefficient ``name``."""
        return self.design.names.index(name)

    def wild_pieces(
        self, R: np.ndarray, dim: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """The (G x G) algebra of the wild cluster bootstrap of :math:`R'\\beta`
        (:mod:`lbc_eval.estimation.inference.wild`) from the sums: ``su, Hu, sq, Hq``."""
        return wild_pieces(self, R, dim)


def used_columns(m: Moments) -> tuple[np.ndarray, list[int]]:
    """Columns of the regression: the slopes, then each dummy fixed effect's levels with rows
    but the first (the reference); and the number of levels used of each dummy effect."""
    counts = m.raw[:, m.n_slopes :].sum(axis=0)
    keep = list(range(m.n_slopes))
    used = []
    j = m.n_slopes
    for _, levels in m.dummies:
        present = [j + i for i in range(len(levels)) if counts[j - m.n_slopes + i] > 0.5]
        used.append(len(present))
        keep += present[1:]
        j += len(levels)
    return np.asarray(keep, dtype=np.int64), used


def fit_moments(
    m: Moments,
    *,
    fe_names: Sequence[str],
    kinds: Sequence[str] = (),
    absorbed_hint: str = "",
    constant_within: Callable[[int], str] | None = None,
) -> MomentFit:
    """Solve, check the rank and compute the covariance (CRV1 by ``m.clusters``).

    ``fe_names`` are the fixed effects in the in-memory order (for the degrees of freedom and
    messages); ``constant_within(j)`` names a fixed effect within whose levels slope ``j`` is
    constant (a query, run only when a slope has no variation left).
    """
    keep, used = used_columns(m)
    k = m.n_slopes
    M = m.zz.sum(axis=0)[np.ix_(keep, keep)]
    b = m.zy.sum(axis=0)[keep]
    Mxx, Mxd, Mdd = M[:k, :k], M[:k, k:], M[k:, k:]
    gamma = _solve_psd(Mdd, Mxd.T) if Mdd.size else np.zeros((0, k))
    S = Mxx - Mxd @ gamma
    names = m.names[:k]
    _check_rank(m, S, names, fe_names, kinds, absorbed_hint, constant_within)
    full_inv = _solve_psd(M, np.eye(M.shape[0]))
    full_coef = full_inv @ b
    bread = linalg.cho_solve(linalg.cho_factor(S), np.eye(k))
    coef = full_coef[:k]
    if not m.clusters:
        raise NoVariationError("a lazy fit needs a cluster variable")  # callers check first
    n = m.nobs
    if m.by_cluster:
        beta = np.zeros(len(m.names))
        beta[keep] = full_coef
        full_scores = m.zy - np.einsum("gij,j->gi", m.zz, beta)
        scores = full_scores[:, keep[:k]] - full_scores[:, keep[k:]] @ gamma
        nested = _nested(m, fe_names, used)
        df_k = _df_k(m, k, fe_names, used, nested)
        V, ssc, G = _crv1(scores, m.labels, bread, n=n, df_k=df_k)
        labels = tuple(np.asarray(sorted(pd.unique(m.labels[c]))) for c in m.clusters)
    else:
        scores = np.zeros((0, k))
        V, ssc, G, nested, df_k = _crv1_engine(m, keep, full_coef, gamma, bread, fe_names, used)
        labels = tuple(np.zeros(0) for _ in m.clusters)
    design = MomentDesign(
        names=tuple(names),
        fe_names=tuple(fe_names),
        cluster_names=m.clusters,
        cluster_labels=labels,
        nobs=n,
        weighted=m.spec.weights is not None,
    )
    return MomentFit(
        design=design, coef=coef, bread=bread, vcov=V, vcov_type="CRV1", ssc=float(ssc),
        df_k=df_k, df_t=float(G - 1), n_clusters=G, nested=nested, moments=m, keep=keep,
        full_coef=full_coef, full_inv=full_inv, scores=scores,
    )  # fmt: skip


def _crv1_engine(
    m: Moments,
    keep: np.ndarray,
    full_coef: np.ndarray,
    gamma: np.ndarray,
    bread: np.ndarray,
    fe_names: Sequence[str],
    used: list[int],
) -> tuple[np.ndarray, float, int, tuple[bool, ...], int]:
    r"""CRV1 when the clusters are many (:data:`lbc_eval.scale.within.MANY_CLUSTERS`): the
    meat :math:`\sum_g s_g s_g'` of the regression with the dummies, summed in the engine
    (:func:`lbc_eval.scale.within.cluster_meat`; per dimension and, two-way, per
    intersection), is mapped to the slopes by :math:`(I, -\Gamma')` as the scores are.
    Returns V, the small-sample factor, G, the nesting flags and K."""
    from lbc_eval.scale.within import cluster_meat

    k = len(bread)
    beta = np.zeros(len(m.names))
    beta[keep] = full_coef
    T = np.hstack([np.eye(k), -gamma.T])  # slopes' scores from the kept columns'
    dims = list(m.clusters)
    parts = [([dims[0]], 1.0)] if len(dims) == 1 else [
        ([dims[0]], 1.0), ([dims[1]], 1.0), (dims, -1.0)]  # fmt: skip
    meat = np.zeros((k, k))
    sizes: dict[str, int] = {}
    spread: dict[str, np.ndarray] = {}
    for cols, sign in parts:
        full, G_part, lv = cluster_meat(m, beta, cols)
        meat += sign * T @ full[np.ix_(keep, keep)] @ T.T
        if len(cols) == 1:
            sizes[cols[0]], spread[cols[0]] = G_part, lv
    G = min(sizes.values())
    if G < 2:
        raise NoVariationError(f"a single cluster in the {m.nobs:,} rows used")
    nested = _nested_counts(m, fe_names, spread)
    df_k = _df_k(m, k, fe_names, used, nested)
    n = m.nobs
    ssc = (n - 1) / (n - df_k) * G / (G - 1)
    return ssc * bread @ meat @ bread, ssc, G, nested, df_k


def _nested_counts(
    m: Moments, fe_names: Sequence[str], spread: dict[str, np.ndarray]
) -> tuple[bool, ...]:
    """:func:`_nested` from the engine's counts: each dummy level's number of clusters."""
    out = []
    counts = m.raw[:, m.n_slopes :].sum(axis=0)
    for fe in fe_names:
        if fe in m.clusters:
            out.append(True)
        elif fe == m.absorbed:
            out.append(bool((m.unnested.sum(axis=0) == 0).any()))
        else:
            j = 0
            for f, levels in m.dummies:
                if f == fe:
                    break
                j += len(levels)
            size = len(dict(m.dummies)[fe])
            seen = counts[j : j + size] > 0.5
            out.append(any(bool((lv[j : j + size][seen] == 1).all()) for lv in spread.values()))
    return tuple(out)


def _solve_psd(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """:math:`A^{-1}B` for a symmetric positive (semi)definite ``A`` (least squares if singular)."""
    try:
        return linalg.cho_solve(linalg.cho_factor(A), B)
    except linalg.LinAlgError:
        return linalg.lstsq(A, B)[0]


def group_sums(scores: np.ndarray, labels: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Sums of the rows of ``scores`` within each combination of ``columns`` of ``labels``."""
    codes = labels.groupby(list(columns), sort=True).ngroup().to_numpy()
    out = np.zeros((int(codes.max()) + 1, scores.shape[1]))
    np.add.at(out, codes, scores)
    return out


def _crv1(
    scores: np.ndarray, labels: pd.DataFrame, bread: np.ndarray, *, n: int, df_k: int
) -> tuple[np.ndarray, float, int]:
    """CRV1 from the groups' scores, one- or two-way, as
    :func:`lbc_eval.estimation.within.crv1`: (V, small-sample factor, G)."""
    cols = list(labels.columns)
    if len(cols) == 1:
        parts = [(cols, 1.0)]
    else:
        parts = [([cols[0]], 1.0), ([cols[1]], 1.0), (cols, -1.0)]
    G = min(int(labels[c].nunique()) for c in cols)
    if G < 2:
        raise NoVariationError(
            f"cluster variable {cols[int(np.argmin([labels[c].nunique() for c in cols]))]!r} "
            f"has a single value in the {n:,} rows used: cluster-robust inference needs at "
            f"least two clusters (and about 50 for CRV1, or the wild cluster bootstrap below "
            f"that). Cluster by a finer unit"
        )
    ssc = (n - 1) / (n - df_k) * G / (G - 1)
    meat = np.zeros((scores.shape[1], scores.shape[1]))
    for group, sign in parts:
        s = group_sums(scores, labels, group)
        meat += sign * (s.T @ s)
    return ssc * bread @ meat @ bread, ssc, G


def _levels(m: Moments, fe: str, used: list[int]) -> int:
    if fe == m.absorbed:
        return int(round(float(m.units.sum())))
    for (f, _), u in zip(m.dummies, used, strict=True):
        if f == fe:
            return u
    raise KeyError(fe)  # pragma: no cover


def _nested(m: Moments, fe_names: Sequence[str], used: list[int]) -> tuple[bool, ...]:
    """Whether each fixed effect is nested in some cluster variable (as ``within._nested``)."""
    if not fe_names or not m.clusters:
        return tuple(False for _ in fe_names)
    out = []
    for fe in fe_names:
        if fe in m.clusters:
            out.append(True)
            continue
        if fe == m.absorbed:
            out.append(bool((m.unnested.sum(axis=0) == 0).any()))
            continue
        j = m.n_slopes
        for f, levels in m.dummies:
            if f == fe:
                break
            j += len(levels)
        counts = m.raw[:, j : j + len(dict(m.dummies)[fe])]
        hit = False
        for c in m.clusters:
            per = group_sums(counts, m.labels, [c])
            seen = per.sum(axis=0) > 0.5
            if ((per > 0.5).sum(axis=0)[seen] == 1).all():
                hit = True
        out.append(hit)
    return tuple(out)


def _df_k(
    m: Moments, k: int, fe_names: Sequence[str], used: list[int], nested: tuple[bool, ...]
) -> int:
    """Parameters counted in (N-1)/(N-K), as ``within._df_k``."""
    if not fe_names:
        return k + 1
    counts = [_levels(m, f, used) for f in fe_names]
    k_fe = sum(counts) - (len(counts) - 1)
    if not any(nested):
        return k + k_fe
    k_nested = sum(lv for lv, nst in zip(counts, nested, strict=True) if nst)
    return k + k_fe - k_nested + sum(nested)


def _check_rank(
    m: Moments,
    S: np.ndarray,
    names: Sequence[str],
    fe_names: Sequence[str],
    kinds: Sequence[str],
    hint: str,
    constant_within: Callable[[int], str] | None,
) -> None:
    """The in-memory rank checks (``within._check_rank``) on the partialled Gram matrix."""
    kinds = list(kinds) or ["regressor"] * len(names)
    n = m.nobs
    raw = m.raw[:, : m.n_slopes].sum(axis=0)
    raw2 = m.raw2.sum(axis=0)
    scale2 = np.maximum(raw2 - raw**2 / n, 0.0)
    left2 = np.maximum(np.diag(S), 0.0)
    fes = " and ".join(fe_names) or "the intercept"
    absorbed = [j for j in range(len(names))
                if left2[j] <= 1e-18 * scale2[j] or left2[j] <= 1e-24 * raw2[j]]  # fmt: skip
    if absorbed:
        j = absorbed[0]
        where = constant_within(j) if constant_within else ""
        raise NoVariationError(
            f"{kinds[j]} {names[j]!r} has no variation left after absorbing {fes}"
            + (f": it is constant within every {where}" if where else "")
            + f". Its effect cannot be estimated with these fixed effects.{hint}"
        )
    d = np.sqrt(left2)
    C = S / np.outer(d, d)
    piv, pivots = _pivoted_cholesky(C)
    bad = np.nonzero(pivots < PIVOT_TOL)[0]
    if bad.size:
        j = int(piv[bad[0]])
        keep = [int(i) for i in piv[: bad[0]]]
        coef = _solve_psd(C[np.ix_(keep, keep)], C[keep, j]) if keep else np.zeros(0)
        partners = [names[keep[i]] for i in np.nonzero(np.abs(coef) > 1e-6)[0]]
        with_ = ", ".join(repr(p) for p in partners) or "the fixed effects"
        raise CollinearityError(
            f"{kinds[j]} {names[j]!r} is a linear combination of {with_} (after absorbing "
            f"{fes}): the data cannot tell their effects apart. Remove {names[j]!r} or one of "
            f"the others."
        )


def _pivoted_cholesky(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Diagonal pivoting order and the squared pivots of a symmetric PSD matrix."""
    A = C.copy()
    k = A.shape[0]
    order = np.arange(k)
    pivots = np.zeros(k)
    for i in range(k):
        j = i + int(np.argmax(np.diag(A)[i:]))
        A[[i, j]] = A[[j, i]]
        A[:, [i, j]] = A[:, [j, i]]
        order[[i, j]] = order[[j, i]]
        p = A[i, i]
        pivots[i] = p
        if p < PIVOT_TOL:
            pivots[i:] = np.maximum(np.diag(A)[i:], 0.0)
            pivots[i] = p
            break
        A[i + 1 :, i + 1 :] -= np.outer(A[i + 1 :, i], A[i, i + 1 :]) / p
    return order, pivots


def wild_pieces(
    fit: MomentFit, R: np.ndarray, dim: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""The restricted wild cluster bootstrap's pieces (``wild._Pieces``) from the moments.

    Worked in the regression with the dummies (:math:`z`, inverse :math:`A`, only the
    absorbed effect swept out by :math:`M_D`), testing :math:`R_z = (R', 0')'`: the same
    statistic in every draw as with both effects swept out (Frisch–Waugh–Lovell holds draw by
    draw). With :math:`c = AR_z`, :math:`r_c = R_z'c`, per cluster :math:`h` of dimension
    ``dim``: :math:`S^u_h = b_h - M_h\hateta`, :math:`T_h = M_hc`, :math:`S^q_h = T_h/r_c`,
    :math:`E = TA`, and

    .. math:: P^z_{hg} = 1_{h=g}\, c'S^z_h - \sum_a rac{1}{n_a}
              \Big(\sum_{i \in a \cap g} z_i\Big)\Big(\sum_{j \in a \cap h} 	ilde z_j'c\Big)

    for :math:`z = \hat u` and :math:`z = q = 	ilde Zc/r_c`; the sum over levels :math:`a`
    of the absorbed effect found in several clusters (:func:`lbc_eval.scale.within_rows.
    mover_cross`) vanishes when the effect is nested in the clusters. Then
    :math:`H^z = P^z - E S^{z\prime}`.
    """
    from lbc_eval.errors import EstimationError, OutOfCoreError
    from lbc_eval.scale.within_rows import mover_cross

    m = fit.moments
    keep = fit.keep
    K = len(keep)
    Rz = np.zeros(K)
    Rz[: len(fit.coef)] = R
    A, beta = fit.full_inv, fit.full_coef
    c = A @ Rz
    rc = float(Rz @ c)
    if not rc > 0:
        raise EstimationError("the tested combination of coefficients is zero")
    name = m.clusters[dim]
    if not m.by_cluster:
        raise OutOfCoreError(
            f"the wild bootstrap of a lazy fit with {fit.n_clusters:,} clusters ({name}) would "
            f"hold G x G matrices; with so many clusters CRV1 is reliable: use inference='crv1'"
        )
    codes = m.labels.groupby([name], sort=True).ngroup().to_numpy()
    G = int(codes.max()) + 1
    if G > MAX_WILD_CLUSTERS:
        raise OutOfCoreError(
            f"the wild bootstrap of a lazy fit with {G:,} clusters ({name}) would hold "
            f"{G:,} x {G:,} matrices; with so many clusters CRV1 is reliable: "
            f"use inference='crv1'"
        )
    Mh = np.zeros((G, K, K))
    np.add.at(Mh, codes, m.zz[:, keep][:, :, keep])
    bh = np.zeros((G, K))
    np.add.at(bh, codes, m.zy[:, keep])
    Su = bh - Mh @ beta
    T = Mh @ c
    Sq = T / rc
    E = T @ A
    Pu, Pq = np.diag(Su @ c), np.diag(T @ c / rc)
    nested = m.absorbed is not None and m.unnested[:, dim].sum() == 0
    if not nested:
        if m.spec.weights is not None:
            raise OutOfCoreError(
                "the wild bootstrap with weights on a lazy table needs the absorbed effect "
                f"nested in {name}; use inference='crv1', or collect the rows"
            )
        key = f"mover_cross:{name}"
        if key not in fit.cache:  # one query per cluster variable, whatever is tested
            fit.cache[key] = mover_cross(m, name, drop_singletons=m.drop_singletons)
        pairs, Q = fit.cache[key]
        if len(pairs):
            Q = Q[:, np.r_[keep, Q.shape[1] - 1], :][:, :, keep]
            labels = np.asarray(sorted(pd.unique(m.labels[name])))
            g = np.searchsorted(labels, pairs["g"].to_numpy())
            h = np.searchsorted(labels, pairs["h"].to_numpy())
            bu = np.r_[-beta, 1.0]
            bq = np.r_[c / rc, 0.0]
            np.subtract.at(Pu, (h, g), np.einsum("i,pij,j->p", bu, Q, c))
            np.subtract.at(Pq, (h, g), np.einsum("i,pij,j->p", bq, Q, c))
    return Su @ c, Pu - E @ Su.T, Sq @ c, Pq - E @ Sq.T
