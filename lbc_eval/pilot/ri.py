r"""Randomisation inference for a school pilot: the studentised ITT coefficient, vectorised
over thousands of redrawn assignments through Frisch–Waugh–Lovell.

The statistic
-------------
The registered regression is :math:`y = \tau D + W\theta + e` with :math:`D_i = Z_{s(i)}` the
arm of child :math:`i`'s school and :math:`W` the stratum dummies and the child-level controls
:math:`x` (baseline outcome, its missing indicator). For an assignment :math:`Z` write
:math:`\tilde D = M_W D`, :math:`\tilde y = M_W y`, :math:`M_W = I - W(W'W)^{-}W'`. Then

.. math:: \hat\tau(Z) = \frac{\tilde D'\tilde y}{\tilde D'\tilde D}, \qquad
          \hat V(Z) = c\,\frac{\sum_g (\tilde D_g'\hat e_g)^2}{(\tilde D'\tilde D)^2}, \qquad
          t(Z) = \hat\tau(Z) / \hat V(Z)^{1/2}

(CRV1 by school with :func:`lbc_eval.fit_fe`'s factor :math:`c = \frac{G}{G-1}\frac{N-1}{N-1-m-K}`,
:math:`m` controls and :math:`K` strata; :math:`c` is the same for every draw, so it does not
change a p-value). The randomisation test compares :math:`|t|` with the :math:`|t^*_r|` of :math:`R`
assignments redrawn from the registered procedure: :math:`p = (1 + \#\{r: |t^*_r| \ge |t|\}) /
(1 + R)`. It is exact under the sharp null of no effect on any child, and studentising keeps
it valid for the average effect when effects differ between children (Wu & Ding 2021; Zhao &
Ding 2021), which the unstudentised coefficient does not.

Vectorised
----------
Strata are school-level, so every sum over children reduces to school sums: :math:`n_s`,
:math:`a_s = \sum_{i\in s}\tilde y_i`, :math:`S_{1s} = \sum x_i`, :math:`S_{2s} = \sum x_i
x_i'`, :math:`T_s = \sum \tilde y_i x_i`. With :math:`\gamma = (W'W)^{-}W'D` (stratum part
:math:`\gamma_k`, control part :math:`\gamma_x`), :math:`\tilde D_i = Z_{s(i)} -
\gamma_{k(s)} - x_i'\gamma_x`, and the school sums :math:`u_s = \sum_{i\in s}\tilde D_i\tilde
y_i`, :math:`w_s = \sum \tilde D_i^2` and :math:`v_s = \sum \tilde D_i \tilde D^{obs}_i` are
products of these, so a draw costs a few operations per school, whatever the number of
children.

The interval
------------
Under :math:`H_0: Y_i(1) = Y_i(0) + \tau_0` for every child the outcomes :math:`y - \tau_0
D^{obs}` are fixed across assignments: draw :math:`r`'s coefficient is :math:`A_r - \tau_0
B_r` (:math:`A_r = \sum u_s / \sum w_s`, :math:`B_r = \sum v_s / \sum w_s`) and its school
scores :math:`\alpha_s - \tau_0\beta_s` (:math:`\alpha = u - A_r w`, :math:`\beta = v - B_r
w`), so :math:`t^*_r(\tau_0)` is a ratio of a linear function and the root of a quadratic in
:math:`\tau_0`. The interval is :math:`\{\tau_0: p(\tau_0) > \alpha\}`, its ends found by
stepping out from :math:`\hat\tau` and bisecting (:func:`interval`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Draws within this relative distance of the observed statistic count as ties (and count).
TIE_RTOL = 1e-10
#: Draws handled at a time (memory: a few arrays of this many rows by schools).
BLOCK = 512


@dataclass(frozen=True)
class Stats:
    """Per assignment: the coefficient :math:`A - \\tau_0 B`, and the sums that give its
    CRV1 variance as a quadratic in :math:`\\tau_0` (module docstring)."""

    A: np.ndarray
    B: np.ndarray
    den: np.ndarray
    aa: np.ndarray
    ab: np.ndarray
    bb: np.ndarray
    ssc: float

    def tau(self, tau0: float = 0.0) -> np.ndarray:
        """The coefficient of each assignment on ``y - tau0 * D_obs``."""
        return self.A - tau0 * self.B

    def se(self, tau0: float = 0.0) -> np.ndarray:
        """Its CRV1 standard error."""
        q = np.maximum(self.aa - 2 * tau0 * self.ab + tau0**2 * self.bb, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.sqrt(self.ssc * q) / self.den

    def t(self, tau0: float = 0.0) -> np.ndarray:
        """The studentised statistic (NaN where an assignment has no contrast)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.tau(tau0) / self.se(tau0)


@dataclass(frozen=True)
class Parts:
    """The school-level sums of one outcome's regression (module docstring)."""

    n: np.ndarray  # (S,) children per school
    a: np.ndarray  # (S,) sums of the residualised outcome
    S1: np.ndarray  # (S, m) sums of the controls
    S2: np.ndarray  # (S, m, m) sums of their outer products
    T: np.ndarray  # (S, m) sums of residualised outcome times controls
    k: np.ndarray  # (S,) each school's stratum code
    G: np.ndarray  # (K + m, K + m) generalised inverse of W'W
    ssc: float

    def stats(self, Z: np.ndarray, z_obs: np.ndarray) -> Stats:
        """:class:`Stats` of every assignment (rows of ``Z``) given the observed ``z_obs``."""
        Z = np.atleast_2d(Z)
        blocks = [self._block(Z[i : i + BLOCK], z_obs) for i in range(0, Z.shape[0], BLOCK)]
        names = ("A", "B", "den", "aa", "ab", "bb")
        cat = {f: np.concatenate([b[f] for b in blocks]) for f in names}
        return Stats(ssc=self.ssc, **cat)

    def _gamma(self, Zf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:math:`\\gamma_k` at each school (rows x S), :math:`\\gamma_x` (rows x m) and the
        school sums of :math:`W\\gamma` (rows x S)."""
        K = self.G.shape[0] - self.S1.shape[1]
        by_stratum = (Zf * self.n) @ np.eye(K)[self.k]
        gam = np.concatenate([by_stratum, Zf @ self.S1], axis=1) @ self.G
        gk, gx = gam[:, :K][:, self.k], gam[:, K:]
        return gk, gx, self.n * gk + gx @ self.S1.T

    def _block(self, Z: np.ndarray, z_obs: np.ndarray) -> dict[str, np.ndarray]:
        Zf, zo = Z.astype(float), np.asarray(z_obs, dtype=float)[None, :]
        gk, gx, Bg = self._gamma(Zf)
        ok, ox, Bo = self._gamma(zo)
        S1x = gx @ self.S1.T  # (rows, S): S1_s . gamma_x
        S1o = ox @ self.S1.T
        quad = np.einsum("rm,smn,rn->rs", gx, self.S2, gx)
        cross = np.einsum("rm,smn,n->rs", gx, self.S2, ox[0])
        w = Zf * self.n - 2 * Zf * Bg + self.n * gk**2 + 2 * gk * S1x + quad
        u = Zf * self.a - (self.a * gk + gx @ self.T.T)
        v = (Zf * zo * self.n - Zf * Bo - zo * Bg + self.n * gk * ok + gk * S1o + ok * S1x
             + cross)  # fmt: skip
        den = w.sum(axis=1)
        bad = np.abs(den) <= 1e-9 * max(1.0, float(self.n.sum()))
        den = np.where(bad, np.nan, den)
        A, B = u.sum(axis=1) / den, v.sum(axis=1) / den
        al, be = u - A[:, None] * w, v - B[:, None] * w
        return {"A": A, "B": B, "den": den, "aa": (al * al).sum(axis=1),
                "ab": (al * be).sum(axis=1), "bb": (be * be).sum(axis=1)}  # fmt: skip


def parts(
    y: np.ndarray,
    x: np.ndarray,
    school: np.ndarray,
    stratum: np.ndarray,
    n_schools: int,
) -> Parts:
    """:class:`Parts` from the outcome ``y``, the child-level controls ``x`` (children x m),
    each child's school index and each school's stratum code (0 .. K-1)."""
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float).reshape(len(y), -1)
    k = np.asarray(stratum, dtype=np.int64)
    K, m = int(k.max()) + 1, x.shape[1]
    # W = [stratum dummies, x] is never formed (children x (K + m) is gigabytes on a province's
    # 400 strata): W'W and W'y are stratum sums, and W b = b_k[stratum] + x b_x.
    ks = k[school]
    by_stratum = _sums(ks, x, K)
    WW = np.zeros((K + m, K + m))
    WW[:K, :K] = np.diag(np.bincount(ks, minlength=K).astype(float))
    WW[:K, K:], WW[K:, :K], WW[K:, K:] = by_stratum, by_stratum.T, x.T @ x
    G = np.linalg.pinv(WW)
    b = G @ np.concatenate([np.bincount(ks, weights=y, minlength=K), x.T @ y])
    resid = y - b[:K][ks] - x @ b[K:]
    n = np.bincount(school, minlength=n_schools).astype(float)
    S1 = _sums(school, x, n_schools)
    S2 = _sums(school, (x[:, :, None] * x[:, None, :]).reshape(len(y), m * m), n_schools)
    S2 = S2.reshape(n_schools, m, m)
    T = _sums(school, resid[:, None] * x, n_schools)
    clusters, N = int((n > 0).sum()), len(y)
    k_used = int(np.unique(ks).size)  # stratum effects counted, as fit_fe counts them
    ssc = clusters / (clusters - 1) * (N - 1) / (N - 1 - m - k_used)
    a = np.bincount(school, weights=resid, minlength=n_schools)
    return Parts(n=n, a=a, S1=S1, S2=S2, T=T, k=k, G=G, ssc=ssc)


def _sums(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Column sums of ``values`` (rows x c) by ``index`` (0 .. size-1): size x c."""
    out = np.zeros((size, values.shape[1]))
    for j in range(values.shape[1]):
        out[:, j] = np.bincount(index, weights=values[:, j], minlength=size)
    return out


def p_value(observed: float, draws: np.ndarray) -> float:
    """:math:`(1 + \\#\\{|t^*| \\ge |t|\\}) / (1 + R)`; ties (within :data:`TIE_RTOL`) count,
    draws that are NaN (no contrast) do not, and ``R`` counts only the finite draws."""
    d = np.abs(draws[np.isfinite(draws)])
    t = abs(observed)
    hits = int((d >= t - TIE_RTOL * max(1.0, t)).sum())
    return (1 + hits) / (1 + d.size)


def interval(
    observed: Stats, draws: Stats, *, alpha: float = 0.05, scale: float = 1.0
) -> tuple[float, float]:
    """The randomisation interval :math:`\\{\\tau_0: p(\\tau_0) > \\alpha\\}` (module
    docstring): from :math:`\\hat\\tau` (``observed.A``) outwards in steps of ``scale``
    (doubling) until the test rejects, then bisection to :math:`10^{-6}` ``scale``; an end
    the test never reaches is infinite."""
    tau = float(observed.A[0])

    def p_at(t0: float) -> float:
        return p_value(float(observed.t(t0)[0]), draws.t(t0))

    def end(sign: float) -> float:
        inside, step = tau, max(scale, 1e-12)
        outside = tau + sign * step
        while p_at(outside) > alpha:
            inside, step = outside, 2 * step
            outside = tau + sign * step
            if step > 1e6 * max(scale, 1.0):
                return sign * np.inf
        while abs(outside - inside) > 1e-6 * max(scale, 1e-12):
            mid = (inside + outside) / 2
            inside, outside = (mid, outside) if p_at(mid) > alpha else (inside, mid)
        return inside

    return end(-1.0), end(1.0)
