r"""The within estimator: fixed effects partialled out by demeaning, OLS, cluster-robust variance.

This is the engine under :func:`lbc_eval.fit_fe`, the dose-response and training estimators
and the wild cluster bootstrap. It works on arrays, never on dense dummy matrices: the fixed
effects are swept out by alternating projections (pyfixest's compiled ``demean``), so memory
grows with rows times regressors, not rows times fixed-effect levels.

Model
-----
.. math:: y_i = x_i'\beta + \sum_{m} \alpha^{(m)}_{f_m(i)} + \varepsilon_i

with :math:`f_m(i)` the level of the :math:`m`-th fixed effect of row :math:`i`. With weights
:math:`w_i`, let :math:`M_D` be the weighted within projection and
:math:`\ddot z = \sqrt{w} \odot M_D z`; then (Frisch–Waugh–Lovell)
:math:`\hat\beta = (\ddot X'\ddot X)^{-1}\ddot X'\ddot y`, residuals
:math:`\hat u = \ddot y - \ddot X\hat\beta`, and the CRV1 variance with clusters :math:`g`

.. math:: \hat V = c\,(\ddot X'\ddot X)^{-1}\Big(\sum_g \ddot X_g'\hat u_g\hat u_g'\ddot X_g
          \Big)(\ddot X'\ddot X)^{-1},\qquad c = \frac{G}{G-1}\frac{N-1}{N-K}.

:math:`K` counts the slopes and the fixed-effect levels, less those of fixed effects nested in
the clusters (as fixest and pyfixest do by default). Two-way clustering uses
:math:`\hat V_1 + \hat V_2 - \hat V_{12}` (Cameron, Gelbach & Miller 2011) with
:math:`G = \min(G_1, G_2)` in :math:`c` and :math:`t(G-1)` reference distributions.
Without clusters the HC1 variance (:math:`c = N/(N-K)`) is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, sparse

from lbc_eval.errors import CollinearityError, EstimationError, NoVariationError
from lbc_eval.estimation.sweep import Sweep

#: Convergence tolerance of the alternating projections, relative to each column's scale
#: (tight: the bootstrap reuses them); see :func:`demean`.
DEMEAN_TOL = 1e-10
#: Rows from which :func:`demean` sweeps the fixed effects out in closed form
#: (:mod:`lbc_eval.estimation.sweep`) when one has many levels and the others few. Below, the
#: alternating projections, whose results every county-sized output was computed with.
CLOSED_FORM_ROWS = 1_000_000


@dataclass(frozen=True, eq=False)
class Design:
    """A fixed-effects regression's arrays, after incomplete rows and singletons are dropped.

    Attributes
    ----------
    y : ndarray, shape (n,)
    X : ndarray, shape (n, k)
    names : tuple of str
        Names of the columns of ``X``.
    fe : ndarray, shape (n, m), int64
        Codes of the fixed effects (a single constant column when there are none: the
        intercept).
    fe_names : tuple of str
        Names of the fixed effects (empty when there are none).
    clusters : ndarray, shape (n, c), int64
        Codes of the cluster variables (``c`` is 0, 1 or 2).
    cluster_names : tuple of str
    cluster_labels : tuple of ndarray
        The sorted labels behind each cluster's codes.
    weights : ndarray or None
    rows : ndarray
        Positions of the kept rows in the input.
    """

    y: np.ndarray
    X: np.ndarray
    names: tuple[str, ...]
    fe: np.ndarray
    fe_names: tuple[str, ...]
    clusters: np.ndarray
    cluster_names: tuple[str, ...]
    cluster_labels: tuple[np.ndarray, ...]
    weights: np.ndarray | None
    rows: np.ndarray

    @property
    def nobs(self) -> int:
        return int(self.y.shape[0])


def singletons(fe: np.ndarray) -> np.ndarray:
    """Rows that are alone in a level of some fixed effect, found iteratively (as reghdfe).

    Dropping a singleton can make another row a singleton, so the search repeats until none is
    left. Returns a boolean mask of the rows to drop.
    """
    drop = np.zeros(fe.shape[0], dtype=bool)
    if fe.shape[1] == 0:
        return drop
    while True:
        new = np.zeros_like(drop)
        keep = ~drop
        for j in range(fe.shape[1]):
            counts = np.bincount(fe[keep, j], minlength=int(fe[:, j].max()) + 1)
            new |= keep & (counts[fe[:, j]] == 1)
        if not new.any():
            return drop
        drop |= new


def recode(fe: np.ndarray) -> np.ndarray:
    """Codes made consecutive (0..levels-1) column by column, e.g. after rows were dropped."""
    out = np.empty_like(fe)
    for j in range(fe.shape[1]):
        present = np.bincount(fe[:, j]) > 0
        out[:, j] = (np.cumsum(present) - 1)[fe[:, j]]
    return out


def levels(codes: np.ndarray) -> int:
    """Number of distinct non-negative integer codes (O(n), no sorting)."""
    return int(np.count_nonzero(np.bincount(codes)))


def nested_in(fe: np.ndarray, codes: np.ndarray) -> bool:
    """Whether every column of ``fe`` has each level inside a single cluster of ``codes``."""
    for j in range(fe.shape[1]):
        f = fe[:, j]
        n = int(f.max()) + 1
        lo = np.full(n, np.iinfo(np.int64).max)
        hi = np.full(n, -1)
        np.minimum.at(lo, f, codes)
        np.maximum.at(hi, f, codes)
        seen = hi >= 0
        if (lo[seen] != hi[seen]).any():
            return False
    return True


def demean(z: np.ndarray, fe: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    r"""Sweep the fixed effects out of each column of ``z`` (weighted within transformation).

    Alternating projections (pyfixest's compiled ``demean``): each sweep subtracts, fixed
    effect by fixed effect, the weighted level means, :math:`z \leftarrow z - P_m z`. A single
    constant fixed effect (no fixed effects, just the intercept) is a weighted mean.

    Convergence is **relative to the scale of each column**. The weighted mean is removed
    first (it lies in the span of every fixed effect, so :math:`M_D` is unchanged); column
    :math:`j` is then divided by :math:`s_j`, the power of two in :math:`(r_j/2, r_j]` with
    :math:`r_j = \big(\sum_i w_i (z_{ij} - \bar z_j)^2 / \sum_i w_i\big)^{1/2}` its weighted
    standard deviation (:math:`s_j = 1` for a constant column; a power of two, so the
    rescaling is exact). The sweeps stop when, for every column,

    .. math:: \max_i \big|z^{(k)}_{ij} - z^{(k-1)}_{ij}\big| < \mathtt{DEMEAN\_TOL}\; s_j .

    For a column with standard deviation in :math:`(1, 2]` this is pyfixest's own test
    (0.60.0), whose threshold is absolute (``max |change| < fixef_tol``); fixest (0.12) uses a
    mixed one on the fixed-effect coefficients (:math:`|\Delta| \le tol` or
    :math:`|\Delta|/(0.1 + |a|) \le tol`). With an absolute
    threshold an outcome in the tens of millions never meets :math:`10^{-10}` (its rounding
    error is larger) and one in the millionths stops after two sweeps, however far from
    converged. Here :math:`M_D(cz) = c\,M_D z` to rounding for any scale :math:`c`.

    From :data:`CLOSED_FORM_ROWS` rows (a province), when one fixed effect has many levels and
    the others few (children and terms, schools and years), the projection is computed in
    closed form instead (:class:`lbc_eval.estimation.sweep.Sweep`): exact rather than
    converged to a tolerance, and a few passes over the rows instead of tens; the two agree to
    the tolerance (``tests/estimation/test_sweep.py``).

    Raises :class:`~lbc_eval.errors.EstimationError` for a non-finite value (callers drop
    such rows first, see :func:`lbc_eval.estimation.fe.make_design`).
    """
    z2 = np.asarray(z, dtype=np.float64)
    one = z2.ndim == 1
    if one:
        z2 = z2[:, None]
    _check_finite(z2)
    w = np.ones(z2.shape[0]) if weights is None else weights
    out = z2 - (w @ z2) / w.sum()
    closed = None
    if z2.shape[0] >= CLOSED_FORM_ROWS and not (fe.shape[1] == 1 and not fe[:, 0].any()):
        sweep = Sweep.of(fe, weights)
        closed = sweep.demean(out) if sweep is not None else None
    if closed is not None:
        out = closed
    elif not (fe.shape[1] == 1 and not fe[:, 0].any()):
        from pyfixest.estimation import demean as _demean

        sd = np.sqrt((w @ out**2) / w.sum())
        scale = np.where(sd > 0, np.ldexp(1.0, np.frexp(sd)[1] - 1), 1.0)
        out, ok = _demean(
            np.ascontiguousarray(out / scale), fe.astype(np.uint64), w, tol=DEMEAN_TOL,
            maxiter=100_000,
        )  # fmt: skip
        out *= scale
        if not ok:  # pragma: no cover - pathological designs only
            raise NoVariationError(
                "the fixed effects did not converge in 100,000 alternating projections; "
                "check for fixed effects that are nearly collinear with each other"
            )
    return out[:, 0] if one else out


def _check_finite(z: np.ndarray) -> None:
    """:class:`EstimationError` naming the first column with NaN or infinite values."""
    bad = ~np.isfinite(z)
    if bad.any():
        j = int(np.nonzero(bad.any(axis=0))[0][0])
        raise EstimationError(
            f"column {j} of the array to demean has {int(bad[:, j].sum()):,} NaN or infinite "
            f"values; drop those rows first (fit_fe and make_design do)"
        )


@dataclass(frozen=True, eq=False)
class WithinFit:
    """A fitted within regression: coefficients, covariance and the demeaned arrays behind them.

    ``Xd`` and ``yd`` are demeaned and scaled by the square root of the weights, so that the
    weighted problem is an ordinary least-squares one; :meth:`project` applies the same
    within transformation to any vector (the wild bootstrap needs it).
    """

    design: Design
    Xd: np.ndarray
    yd: np.ndarray
    coef: np.ndarray
    resid: np.ndarray
    bread: np.ndarray
    vcov: np.ndarray
    vcov_type: str
    ssc: float
    df_k: int
    df_t: float
    n_clusters: int | None
    nested: tuple[bool, ...] = field(default=())

    @property
    def names(self) -> tuple[str, ...]:
        return self.design.names

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.diag(self.vcov))

    def index(self, name: str) -> int:
        """Position of coefficient ``name``."""
        return self.design.names.index(name)

    def project(self, z: np.ndarray) -> np.ndarray:
        """:math:`\\sqrt{w} \\odot M_D (z / \\sqrt{w})` for each column of ``z``."""
        w = self.design.weights
        if w is None:
            return demean(z, self.design.fe, None)
        s = np.sqrt(w) if z.ndim == 1 else np.sqrt(w)[:, None]
        return s * demean(z / s, self.design.fe, w)


def fit_within(
    design: Design, *, kinds: Sequence[str] = (), vcov: str = "CRV1", absorbed_hint: str = ""
) -> WithinFit:
    """Demean, check the rank, solve and compute the covariance.

    Parameters
    ----------
    design : Design
    kinds : sequence of str
        For error messages: what each column is (``"treatment"``, ``"control"``).
    vcov : {"CRV1", "hetero"}
        CRV1 by ``design.clusters`` (one- or two-way), or HC1 when there are no clusters.
    absorbed_hint : str
        Appended to the error raised when a column has no variation left.
    """
    w = design.weights
    zd = demean(np.column_stack([design.y, design.X]), design.fe, w)
    if w is not None:
        zd *= np.sqrt(w)[:, None]
    yd, Xd = zd[:, 0], zd[:, 1:]
    _check_rank(design, Xd, kinds, absorbed_hint)
    tXX = Xd.T @ Xd
    bread = linalg.cho_solve(linalg.cho_factor(tXX), np.eye(tXX.shape[0]))
    coef = bread @ (Xd.T @ yd)
    resid = yd - Xd @ coef
    n, k = Xd.shape
    nested = _nested(design)
    df_k = _df_k(design, k, nested)
    if design.clusters.shape[1] and vcov == "CRV1":
        V, ssc, G = crv1(Xd, resid, design.clusters, bread, n=n, df_k=df_k)
        kind, df_t, n_cl = "CRV1", float(G - 1), G
    else:
        scores = Xd * resid[:, None]
        ssc = n / (n - df_k)
        V = ssc * bread @ (scores.T @ scores) @ bread
        kind, df_t, n_cl = "HC1", float(n - df_k), None
    return WithinFit(
        design=design,
        Xd=Xd,
        yd=yd,
        coef=coef,
        resid=resid,
        bread=bread,
        vcov=V,
        vcov_type=kind,
        ssc=float(ssc),
        df_k=df_k,
        df_t=df_t,
        n_clusters=n_cl,
        nested=nested,
    )


def cluster_sums(codes: np.ndarray, z: np.ndarray, n_groups: int | None = None) -> np.ndarray:
    """Sums of the rows of ``z`` (n x p) within each cluster: a (G x p) array."""
    G = int(codes.max()) + 1 if n_groups is None else n_groups
    ind = sparse.csr_matrix(
        (np.ones(codes.shape[0]), (codes, np.arange(codes.shape[0]))), shape=(G, codes.shape[0])
    )
    return np.asarray(ind @ (z if z.ndim == 2 else z[:, None]))


def crv1(
    Xd: np.ndarray, resid: np.ndarray, clusters: np.ndarray, bread: np.ndarray, *, n: int, df_k: int
) -> tuple[np.ndarray, float, int]:
    """CRV1 covariance, one- or two-way; returns (V, small-sample factor, G used in it)."""
    scores = Xd * resid[:, None]
    if clusters.shape[1] == 1:
        parts = [(clusters[:, 0], 1.0)]
    else:
        a, b = clusters[:, 0], clusters[:, 1]
        both = pd.factorize(a * (int(b.max()) + 1) + b)[0]
        parts = [(a, 1.0), (b, 1.0), (both, -1.0)]
    G = min(int(clusters[:, j].max()) + 1 for j in range(clusters.shape[1]))
    ssc = (n - 1) / (n - df_k) * G / (G - 1)
    meat = np.zeros((Xd.shape[1], Xd.shape[1]))
    for codes, sign in parts:
        s = cluster_sums(codes, scores)
        meat += sign * (s.T @ s)
    return ssc * bread @ meat @ bread, ssc, G


def _nested(design: Design) -> tuple[bool, ...]:
    """Whether each fixed effect is nested in (some) cluster variable."""
    if not design.fe_names or not design.clusters.shape[1]:
        return tuple(False for _ in design.fe_names)
    out = []
    for j, name in enumerate(design.fe_names):
        hit = name in design.cluster_names or any(
            nested_in(design.fe[:, j : j + 1], design.clusters[:, c])
            for c in range(design.clusters.shape[1])
        )
        out.append(bool(hit))
    return tuple(out)


def _df_k(design: Design, k: int, nested: tuple[bool, ...]) -> int:
    """Parameters counted in (N-1)/(N-K): pyfixest's and fixest's ``k_fixef="nonnested"``."""
    if not design.fe_names:
        return k + 1  # the intercept
    counts = [levels(design.fe[:, j]) for j in range(design.fe.shape[1])]
    k_fe = sum(counts) - (len(counts) - 1)
    if not any(nested):
        return k + k_fe
    k_nested = sum(lv for lv, nst in zip(counts, nested, strict=True) if nst)
    return k + k_fe - k_nested + sum(nested)


def _check_rank(design: Design, Xd: np.ndarray, kinds: Sequence[str], hint: str) -> None:
    """Raise a named error for a column without variation left, or a collinear set."""
    names = design.names
    kinds = list(kinds) or ["regressor"] * len(names)
    X = design.X
    scale = np.sqrt(((X - X.mean(axis=0)) ** 2).sum(axis=0))
    left = np.sqrt((Xd**2).sum(axis=0))
    absorbed = [j for j in range(len(names)) if scale[j] == 0 or left[j] <= 1e-9 * scale[j]]
    fes = " and ".join(design.fe_names) or "the intercept"
    if absorbed:
        j = absorbed[0]
        where = _constant_within(design, j)
        raise NoVariationError(
            f"{kinds[j]} {names[j]!r} has no variation left after absorbing {fes}"
            + (f": it is constant within every {where}" if where else "")
            + f". Its effect cannot be estimated with these fixed effects.{hint}"
        )
    if Xd.shape[1] == 0:
        return
    unit = Xd / left
    _, r, piv = linalg.qr(unit, mode="economic", pivoting=True)
    d = np.abs(np.diag(r))
    bad = np.nonzero(d < 1e-9 * d[0])[0]
    if bad.size:
        j = int(piv[bad[0]])
        keep = [int(i) for i in piv[: bad[0]]]
        coef, *_ = np.linalg.lstsq(unit[:, keep], unit[:, j], rcond=None)
        partners = [names[keep[i]] for i in np.nonzero(np.abs(coef) > 1e-6)[0]]
        with_ = ", ".join(repr(p) for p in partners) or "the fixed effects"
        raise CollinearityError(
            f"{kinds[j]} {names[j]!r} is a linear combination of {with_} (after absorbing "
            f"{fes}): the data cannot tell their effects apart. Remove {names[j]!r} or one of "
            f"the others."
        )


def _constant_within(design: Design, j: int) -> str:
    r"""The first fixed effect within whose every level column ``j`` is constant (up to
    :math:`10^{-12}\max_i |x_{ij}|`, so the answer does not depend on the units), or ""."""
    x = design.X[:, j]
    for m, name in enumerate(design.fe_names):
        f = design.fe[:, m]
        n = int(f.max()) + 1
        lo = np.full(n, np.inf)
        hi = np.full(n, -np.inf)
        np.minimum.at(lo, f, x)
        np.maximum.at(hi, f, x)
        if np.all(hi - lo <= 1e-12 * float(np.abs(x).max())):
            return name
    return ""


Projector = Callable[[np.ndarray], np.ndarray]
