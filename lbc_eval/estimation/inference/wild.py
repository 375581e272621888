r"""The wild cluster bootstrap (restricted, WCR) for fixed-effects regressions with few clusters.

Cluster-robust (CRV1) t-tests over-reject when clusters are few or unequal (Cameron, Gelbach &
Miller 2008; MacKinnon, Nielsen & Webb 2023). The wild cluster bootstrap with the null imposed
does much better. This implementation works with the fixed effects *partialled out*: it never
builds dummy matrices, so a model with 30,000 child effects costs what one with none does,
give or take :math:`G` extra within transformations of a vector per test.

Algorithm
---------
Write everything in the within-transformed space of :mod:`lbc_eval.estimation.within`:
:math:`\ddot X, \ddot y`, :math:`A = (\ddot X'\ddot X)^{-1}`, :math:`M_D` the within
projection. To test :math:`R'\beta = r` let :math:`c = AR`, :math:`\delta = R'\hat\beta - r`
and :math:`q = \ddot Xc / R'c`; the restricted residuals are :math:`\tilde u = \hat u + \delta
q`. A bootstrap sample is :math:`y^*_b = X\tilde\beta + D\tilde\alpha + \tilde u \odot v_b` with
one weight :math:`v_{gb}` per cluster (Rademacher :math:`\pm 1`, Webb's six points, standard
normal or Mammen's two points). By FWL
:math:`\ddot X'M_D = \ddot X'`, so

.. math:: R'\hat\beta^*_b - r = \sum_g v_{gb}\, c'\ddot X_g'\tilde u_g, \qquad
          c'\ddot X_h'\hat u^*_{h,b} = \sum_g H_{hg} v_{gb},

.. math:: H_{hg} = c'\ddot X_h'[M_D(\tilde u \odot 1_g)]_h - c'\ddot X_h'\ddot X_h A
          \ddot X_g'\tilde u_g .

The first term of :math:`H` is where fixed effects that cut across clusters (a term effect
with school clusters, children who change school) enter: :math:`M_D(\tilde u \odot 1_g) \ne
\tilde u \odot 1_g` unless every fixed effect is nested in the clusters. It needs one within
transformation per cluster, done once per test; everything after is :math:`G \times G`
algebra, so 9,999 draws cost milliseconds. The bootstrap t statistic is
:math:`t^*_b = (R'\hat\beta^*_b - r)/\sqrt{c_{ssc}\sum_h (\sum_g H_{hg} v_{gb})^2}`, the
symmetric p-value :math:`P^*(|t^*| > |t|)`, and since :math:`\tilde u` and :math:`H` are
affine in :math:`\delta`, the p-value is a cheap function of :math:`r` and the confidence
interval :math:`\{r: p(r) > \alpha\}` is found by inverting it (bisection on each side), as
``boottest`` does (Roodman, MacKinnon, Nielsen & Webb 2019). With Rademacher weights and
:math:`2^G` below the number of draws, all :math:`2^G` sign vectors are enumerated.

Ties
----
A weight vector :math:`v = \pm c\,1` (the all-ones and all-minus-ones sign vectors, always
among the :math:`2^G` enumerated) rebuilds the data, so :math:`|t^*_b| = |t|` exactly, for every
:math:`r`; floating-point noise would decide whether such a draw counts. A draw within
:data:`TIE_RTOL` :math:`\cdot\max(1, |t|)` of :math:`t` is a tie, and ties never count
(:func:`beyond`): the p-value is :math:`\#\{b: |t^*_b| > |t|\}/B` with strict inequality, as
fwildclusterboot 0.14.3 (``get_bootstrap_pvalue``: ``mean(abs(t_stat) < abs(t_boot))``, where
``t_stat`` is the same arithmetic's first column, so its ties are exact) and WildBootTests.jl
1.0.2 (``countlessabs``) count them. The interval ends use the same p-value, so they too are
deterministic. (wildboottest 0.3.2 counts with the same strict ``<``, but computes ``t_stat``
by a different route than ``t_boot``, so its count of the two tied draws is floating-point
noise: 0 or 2 of them.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import stats

from lbc_eval.errors import EstimationError, SpecError
from lbc_eval.estimation.sweep import closed_form_cross
from lbc_eval.estimation.within import WithinFit, cluster_sums, nested_in

BootWeights = Literal["auto", "rademacher", "webb", "normal", "mammen"]
#: The bootstrap weight distributions (besides "auto").
BOOT_WEIGHTS: tuple[str, ...] = ("rademacher", "webb", "normal", "mammen")
PValue = Literal["symmetric", "equal-tailed"]
_WEBB = np.concatenate([-np.sqrt(np.array([3.0, 2.0, 1.0]) / 2), np.sqrt([0.5, 1.0, 1.5])])
_SQRT5 = np.sqrt(5.0)
#: Mammen's two points and their probabilities: mean 0, variance 1, third moment 1.
_MAMMEN = np.array([-(_SQRT5 - 1) / 2, (_SQRT5 + 1) / 2])
_MAMMEN_P = np.array([(_SQRT5 + 1) / (2 * _SQRT5), (_SQRT5 - 1) / (2 * _SQRT5)])
#: Below this many clusters "auto" weights are Webb's (Rademacher gives too few values).
WEBB_BELOW = 12
#: Bootstrap statistics within ``TIE_RTOL * max(1, |t|)`` of the observed ``t`` are ties.
TIE_RTOL = 1e-10


def beyond(t_boot: np.ndarray, t: float | np.ndarray, *, ties: bool = False) -> np.ndarray:
    r"""Which bootstrap statistics lie beyond ``t``: :math:`t^*_b > t`, ties decided by rule.

    Values within :math:`\epsilon = ` :data:`TIE_RTOL` :math:`\cdot \max(1, |t|)` of ``t``
    are ties: ``ties=False`` (the p-values of :func:`wcr_test`) counts
    :math:`t^*_b > t + \epsilon`, never a tie; ``ties=True`` (the ``>=`` of Romano–Wolf's
    ``(count + 1) / (B + 1)``) counts :math:`t^*_b \ge t - \epsilon`, every tie. ``t`` may
    be one value per column of ``t_boot``. NaN draws never count.
    """
    t = np.asarray(t, dtype=float)
    eps = TIE_RTOL * np.maximum(1.0, np.abs(t))
    return t_boot >= t - eps if ties else t_boot > t + eps


@dataclass(frozen=True, eq=False)
class Draws:
    """Bootstrap weights: one row per cluster label (sorted), one column per draw."""

    labels: np.ndarray
    v: np.ndarray
    kind: str
    full_enumeration: bool


def draw_values(rng: np.random.Generator, kind: str, size: int) -> np.ndarray:
    r"""``size`` independent draws of a bootstrap weight with mean 0 and variance 1.

    As the ``wildboottest`` package draws them: Rademacher ``rng.choice([-1, 1])``; Webb
    ``rng.choice(``:math:`\pm\sqrt{1/2}, \pm 1, \pm\sqrt{3/2}`\ ``)``; standard normal
    ``rng.normal()``; Mammen :math:`-(\sqrt5-1)/2` with probability
    :math:`(\sqrt5+1)/(2\sqrt5)`, else :math:`(\sqrt5+1)/2`.
    """
    if kind == "rademacher":
        return rng.choice(np.array([-1.0, 1.0]), size=size)
    if kind == "webb":
        return rng.choice(_WEBB, size=size)
    if kind == "normal":
        return rng.normal(size=size)
    if kind == "mammen":
        return rng.choice(_MAMMEN, size=size, p=_MAMMEN_P)
    raise SpecError(
        "boot_weights", f"got {kind!r}; allowed: 'auto', {', '.join(map(repr, BOOT_WEIGHTS))}"
    )


def draw_weights(
    labels: np.ndarray, reps: int, boot_weights: BootWeights = "auto", seed: int | None = 0
) -> Draws:
    """Cluster weights for ``reps`` draws, as the ``wildboottest`` package draws them.

    ``rng = numpy.random.default_rng(seed)``, then :func:`draw_values` ``(rng, kind, G * reps)``
    reshaped to ``(G, reps)``; with Rademacher weights and :math:`2^G <` ``reps`` every sign
    vector is enumerated instead. ``"auto"`` is Webb below :data:`WEBB_BELOW` clusters,
    Rademacher from there.
    """
    G = len(labels)
    if reps < 1:
        raise SpecError("reps", f"need at least one bootstrap draw, got {reps}")
    kind = boot_weights
    if kind == "auto":
        kind = "webb" if G < WEBB_BELOW else "rademacher"
    if kind not in BOOT_WEIGHTS:
        draw_values(np.random.default_rng(0), kind, 0)  # raises the named error
    if kind == "rademacher" and G < 30 and 2**G < reps:
        bits = (np.arange(2**G)[:, None] >> np.arange(G)[::-1]) & 1
        return Draws(np.asarray(labels), (2.0 * bits - 1).T, kind, True)
    rng = np.random.default_rng(seed)
    v = draw_values(rng, kind, G * reps).reshape(G, reps).astype(float)
    return Draws(np.asarray(labels), v, kind, False)


@dataclass(frozen=True, eq=False)
class BootTest:
    """A wild cluster bootstrap test of :math:`R'\\beta = r` and its inverted interval.

    ``statistic`` is the CRV1 t statistic by the bootstrap cluster; ``p_value`` and
    ``conf_low``/``conf_high`` come from the bootstrap. ``t_boot`` holds the draws of
    :math:`t^*` under the null.
    """

    estimate: float
    std_error: float
    statistic: float
    p_value: float
    conf_low: float
    conf_high: float
    null: float
    alpha: float
    reps: int
    boot_weights: str
    full_enumeration: bool
    n_clusters: int
    cluster: str
    pvalue_type: str
    t_boot: np.ndarray = field(repr=False)

    def describe(self) -> str:
        """One line for a result's ``cov_type``."""
        how = "all " if self.full_enumeration else ""
        return (
            f"wild cluster bootstrap (WCR, {self.boot_weights.capitalize()}, {how}"
            f"{self.reps:,} draws) by {self.cluster}"
        )


class _Pieces:
    """The (G x G) algebra of one hypothesis; t* is then a function of delta alone."""

    def __init__(self, fit: WithinFit, R: np.ndarray, dim: int) -> None:
        if not hasattr(fit, "Xd"):  # a lazy fit (MomentFit): the same pieces from its sums
            self.su, self.Hu, self.sq, self.Hq = fit.wild_pieces(R, dim)  # type: ignore[attr-defined]
            self.ssc = fit.ssc
            self.se = float(np.sqrt(self.ssc * np.sum(self.su**2)))
            self.G = len(fit.design.cluster_labels[dim])
            return
        d = fit.design
        g = d.clusters[:, dim]
        G = len(d.cluster_labels[dim])
        X, A = fit.Xd, fit.bread
        c = A @ R
        rc = float(R @ c)
        if not rc > 0:
            raise EstimationError("the tested combination of coefficients is zero")
        xc = X @ c
        q = xc / rc
        nested = bool(d.fe_names) and nested_in(d.fe, g)
        T = cluster_sums(g, X * xc[:, None], G)
        E = T @ A
        # M_D is symmetric: c'X_h'[M_D(z 1_g)]_h = sum over rows i in g of z_i [M_D(Xc 1_h)]_i,
        # so G within transforms (of Xc 1_h) serve both z = u and z = q.
        Pu, Pq = _cross(fit, g, G, xc, (fit.resid, q), nested)
        Su = cluster_sums(g, X * fit.resid[:, None], G)
        Sq = cluster_sums(g, X * q[:, None], G)
        self.su, self.Hu = Su @ c, Pu - E @ Su.T
        self.sq, self.Hq = Sq @ c, Pq - E @ Sq.T
        self.ssc = fit.ssc
        self.se = float(np.sqrt(self.ssc * np.sum(self.su**2)))
        self.G = G

    def prepare(self, v: np.ndarray) -> None:
        self.n0, self.n1 = self.su @ v, self.sq @ v
        a0, a1 = self.Hu @ v, self.Hq @ v
        self.aa, self.ab, self.bb = (a0**2).sum(0), (a0 * a1).sum(0), (a1**2).sum(0)

    def t_boot(self, delta: float) -> np.ndarray:
        den = self.aa + 2 * delta * self.ab + delta**2 * self.bb
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.n0 + delta * self.n1) / np.sqrt(self.ssc * np.maximum(den, 0))

    def pvalue(self, delta: float, kind: str) -> float:
        """Symmetric :math:`P^*(|t^*| > |t|)` or equal-tailed
        :math:`2\\min\\{P^*(t^* > t), P^*(t^* < t)\\}`; ties never count (:func:`beyond`)."""
        t = delta / self.se
        tb = self.t_boot(delta)
        if kind == "symmetric":
            return float(np.mean(beyond(np.abs(tb), abs(t))))
        return float(2 * min(np.mean(beyond(tb, t)), np.mean(beyond(-tb, -t))))


def _cross(
    fit: WithinFit,
    g: np.ndarray,
    G: int,
    xc: np.ndarray,
    zs: tuple[np.ndarray, ...],
    nested: bool,
    *,
    closed_form: bool = True,
) -> list[np.ndarray]:
    r""":math:`P_{hg} = \sum_{i \in g} z_i [M_D(\ddot X c \odot 1_h)]_i` for each ``z``.

    In closed form (:func:`lbc_eval.estimation.sweep.closed_form_cross`) when the fixed
    effects other than the largest have few levels (children and terms, schools and years),
    else (and with ``closed_form=False``) by :math:`G` within transformations."""
    if nested:  # M_D(x 1_h) = x 1_h when every fixed effect lies inside one cluster
        return [np.diag(cluster_sums(g, (xc * z)[:, None], G)[:, 0]) for z in zs]
    if closed_form:
        closed = closed_form_cross(fit.design.fe, g, G, xc, zs, fit.design.weights)
        if closed is not None:
            return closed
    n = xc.shape[0]
    out = [np.empty((G, G)) for _ in zs]
    step = max(1, min(G, int(1e7 // max(n, 1))))
    for lo in range(0, G, step):
        cols = np.arange(lo, min(G, lo + step))
        md = fit.project(np.where(g[:, None] == cols[None, :], xc[:, None], 0.0))
        for P, z in zip(out, zs, strict=True):
            P[cols, :] = cluster_sums(g, z[:, None] * md, G).T
    return out


def wcr_test(
    fit: WithinFit,
    R: np.ndarray,
    *,
    null: float = 0.0,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
    alpha: float = 0.05,
    pvalue: PValue = "symmetric",
    cluster: int = 0,
    draws: Draws | None = None,
    ci: bool = True,
) -> BootTest:
    """Test :math:`R'\\beta = ` ``null`` on a within fit by the restricted wild cluster bootstrap.

    ``draws`` (e.g. shared by several outcomes for Romano–Wolf) overrides ``reps``,
    ``boot_weights`` and ``seed``; its labels must include every cluster of the fit.
    """
    d = fit.design
    if not d.cluster_names:
        raise EstimationError(
            "the wild cluster bootstrap needs a cluster variable; this fit has none"
        )
    R = np.asarray(R, dtype=float)
    labels = d.cluster_labels[cluster]
    if draws is None:
        draws = draw_weights(labels, reps, boot_weights, seed)
        v = draws.v
    else:
        pos = np.minimum(np.searchsorted(draws.labels, labels), len(draws.labels) - 1)
        if (draws.labels[pos] != labels).any():
            raise EstimationError("the shared bootstrap draws do not cover every cluster")
        v = draws.v[pos]
    pieces = _Pieces(fit, R, cluster)
    pieces.prepare(v)
    est = float(R @ fit.coef)
    delta = est - null
    p = pieces.pvalue(delta, pvalue)
    lo = hi = np.nan
    if ci:
        crit = stats.t.ppf(1 - alpha / 2, max(pieces.G - 1, 1))
        lo = est - _bound(pieces, +1, alpha, pvalue, crit)
        hi = est + _bound(pieces, -1, alpha, pvalue, crit)
    return BootTest(
        estimate=est,
        std_error=pieces.se,
        statistic=delta / pieces.se,
        p_value=p,
        conf_low=float(lo),
        conf_high=float(hi),
        null=null,
        alpha=alpha,
        reps=int(v.shape[1]),
        boot_weights=draws.kind,
        full_enumeration=draws.full_enumeration,
        n_clusters=pieces.G,
        cluster=d.cluster_names[cluster],
        pvalue_type=pvalue,
        t_boot=pieces.t_boot(delta),
    )


def _bound(pieces: _Pieces, sign: int, alpha: float, kind: str, crit: float) -> float:
    """Distance from the estimate to where the bootstrap p-value falls to alpha."""
    se = pieces.se
    lo, hi = 0.0, max(crit, 1.0) * se
    for _ in range(60):
        if pieces.pvalue(sign * hi, kind) <= alpha:
            break
        lo, hi = hi, 2 * hi
    else:
        return np.inf
    while hi - lo > 1e-9 * se:
        mid = 0.5 * (lo + hi)
        if pieces.pvalue(sign * mid, kind) > alpha:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def wild_bootstrap(
    result: Any,
    *,
    term: str | None = None,
    contrast: dict[str, float] | None = None,
    null: float = 0.0,
    cluster: str | None = None,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
    alpha: float = 0.05,
    pvalue: PValue = "symmetric",
) -> BootTest:
    r"""Wild cluster bootstrap test and confidence interval for one estimate.

    Parameters
    ----------
    result : Result or WithinFit
        From :func:`~lbc_eval.fit_fe`, :func:`~lbc_eval.fit_dose_response` or
        :func:`~lbc_eval.fit_training` (any row of their ``tidy()``), or a raw within fit.
    term : str, optional
        The row to test (required when the result has several).
    contrast : dict, optional
        ``{coefficient: weight}``: test a linear combination of a within fit's coefficients.
    null : float
        The hypothesised value :math:`r` in :math:`H_0: R'\beta = r`.
    cluster : str, optional
        With two-way clustering, the dimension to bootstrap (default: the one with fewer
        clusters, as MacKinnon, Nielsen & Webb advise).
    reps : int
        Draws (all :math:`2^G` sign vectors instead when that is fewer, Rademacher only).
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        The distribution of the cluster weights (mean 0, variance 1); ``"auto"``: Webb below
        12 clusters, Rademacher otherwise.
    seed : int or None
        Seed of ``numpy.random.default_rng``; fixed by default so results reproduce.
    alpha : float
        The interval is :math:`\{r: p(r) > \alpha\}`.
    pvalue : {"symmetric", "equal-tailed"}

    Returns
    -------
    BootTest

    Notes
    -----
    See the module docstring for the algorithm; it equals a wild bootstrap that re-estimates
    every fixed effect as a dummy in each draw, at the cost of :math:`G` within transforms.
    """
    from lbc_eval.estimation.results import Result

    fit: WithinFit
    if isinstance(result, Result):
        tests = result.tests
        if not tests:
            raise EstimationError(f"the {result.estimator} result keeps no within fit to bootstrap")
        if term is None:
            if len(tests) > 1:
                raise EstimationError(f"name the term to test, one of {', '.join(tests)}")
            term = next(iter(tests))
        if term not in tests:
            raise EstimationError(f"no term {term!r}; this result has {', '.join(tests)}")
        fit, R = tests[term].fit, tests[term].R
    elif isinstance(result, WithinFit):
        fit = result
        if contrast is None:
            if term is None:
                raise EstimationError("name a term or a contrast to test")
            contrast = {term: 1.0}
        R = np.zeros(len(fit.names))
        for name, wgt in contrast.items():
            if name not in fit.names:
                raise EstimationError(f"no coefficient {name!r}; the fit has {fit.names}")
            R[fit.index(name)] = wgt
    else:
        raise EstimationError(f"cannot bootstrap a {type(result).__name__}")
    names = fit.design.cluster_names
    if cluster is None:
        sizes = [len(lab) for lab in fit.design.cluster_labels]
        dim = int(np.argmin(sizes)) if sizes else 0
    elif cluster in names:
        dim = names.index(cluster)
    else:
        raise EstimationError(f"the fit is clustered by {names}, not {cluster!r}")
    return wcr_test(
        fit,
        R,
        null=null,
        reps=reps,
        boot_weights=boot_weights,
        seed=seed,
        alpha=alpha,
        pvalue=pvalue,
        cluster=dim,
    )
