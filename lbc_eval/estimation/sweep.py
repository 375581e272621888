r"""Fixed effects swept out in closed form, when one has many levels and the others few.

Children and terms, schools and years: the kit's fixed effects are one factor with many levels
and a few with a handful. Then the within projection :math:`M_D = I - D(D'WD)^-D'W` has a closed
form. Split the dummies :math:`D = [D_f, D_s]` into the factor with the most levels
(:math:`C = D_f'WD_f`, diagonal) and the others (:math:`L` levels in all); with
:math:`N = D_f'WD_s`, :math:`M = D_s'WD_s` and the Schur complement
:math:`S = M - N'C^{-1}N` (:math:`L \times L`), the normal equations
:math:`D'WD(a, b) = D'Wz` give

.. math:: b = S^-\,(D_s'Wz - N'C^{-1}D_f'Wz), \qquad a = C^{-1}(D_f'Wz - Nb),
          \qquad M_D z = z - D_f a - D_s b,

a few passes over the rows instead of the tens of alternating projections
(:func:`lbc_eval.estimation.within.demean`) that converge to it. :math:`S^-` is the
pseudo-inverse: the dummies' collinearity (each factor's levels sum to one) is its null space,
and any generalised inverse gives the same :math:`M_D z`. :func:`Sweep.demean` checks the
normal equations of the coefficients and returns None (the caller then iterates) if they do
not hold to :data:`CHECK_RTOL`.

The same blocks give the wild cluster bootstrap's cluster-by-cluster products
:math:`P_{hg} = (x \odot 1_h)' M_D (z \odot 1_g)` (:func:`closed_form_cross`), for which the
alternating projections need one within transformation per cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

#: Most levels the smaller fixed effects may have together (S is a dense L x L matrix).
MAX_SMALL_LEVELS = 2000
#: The closed form is used when its answer meets the normal equations to this relative size.
CHECK_RTOL = 1e-8


@dataclass(frozen=True, eq=False)
class Sweep:
    """The blocks of :math:`D'WD` for fixed-effect codes ``fe`` and weights (module docstring)."""

    f: np.ndarray  # codes of the largest fixed effect
    n_f: int
    inv_c: np.ndarray  # 1 / C
    small: tuple[np.ndarray, ...]  # codes of the others, offset into 0..L-1
    n_s: int  # L
    N: sparse.csr_matrix  # n_f x L
    M: np.ndarray  # L x L
    S_pinv: np.ndarray  # L x L
    w: np.ndarray | None

    @classmethod
    def of(cls, fe: np.ndarray, weights: np.ndarray | None = None) -> Sweep | None:
        """The blocks, or None when the smaller fixed effects have more than
        :data:`MAX_SMALL_LEVELS` levels together (or there are none)."""
        if fe.shape[1] == 0 or fe.shape[0] == 0:
            return None
        sizes = [int(fe[:, j].max()) + 1 for j in range(fe.shape[1])]
        big = int(np.argmax(sizes))
        others = [j for j in range(fe.shape[1]) if j != big]
        L = sum(sizes[j] for j in others)
        if L > MAX_SMALL_LEVELS:
            return None
        f = fe[:, big]
        n_f = sizes[big]
        w = None if weights is None else np.asarray(weights, dtype=float)
        ones = np.ones(fe.shape[0]) if w is None else w
        c = np.bincount(f, weights=w, minlength=n_f)
        inv_c = np.divide(1.0, c, out=np.zeros(n_f), where=c > 0)
        offsets = np.cumsum([0, *(sizes[j] for j in others)])[:-1]
        small = tuple(fe[:, j] + off for j, off in zip(others, offsets, strict=True))
        N = sparse.csr_matrix((n_f, L))
        M = np.zeros((L, L))
        for a in small:
            N = N + sparse.csr_matrix((ones, (f, a)), shape=(n_f, L))
            for b in small:
                M += np.bincount(a * L + b, weights=w, minlength=L * L).reshape(L, L)
        if L:
            S = M - (N.T @ (sparse.diags(inv_c) @ N)).toarray()
            S_pinv = np.linalg.pinv(S, rcond=1e-10, hermitian=True)
        else:
            S_pinv = np.zeros((0, 0))
        return cls(f, n_f, inv_c, small, L, N.tocsr(), M, S_pinv, w)

    def _sums(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:math:`D_f'Wz` (n_f x k) and :math:`D_s'Wz` (L x k) of the columns of ``z``."""
        wz = z if self.w is None else z * self.w[:, None]
        big = np.column_stack(
            [np.bincount(self.f, weights=wz[:, j], minlength=self.n_f) for j in range(z.shape[1])]
        )
        rest = np.zeros((self.n_s, z.shape[1]))
        for a in self.small:
            for j in range(z.shape[1]):
                rest[:, j] += np.bincount(a, weights=wz[:, j], minlength=self.n_s)
        return big, rest

    def demean(self, z: np.ndarray) -> np.ndarray | None:
        """:math:`M_D z` for each column of ``z`` (n x k), or None when the coefficients do not
        meet the normal equations to :data:`CHECK_RTOL` of the level sums of ``z``.

        ``a`` meets the large factor's equations by construction; the small factors' ones,
        :math:`D_s'Wz - N'a - Mb = 0`, hold when :math:`S^-` inverts :math:`S` on its range
        (the check catches a pseudo-inverse that dropped a genuine direction)."""
        big, rest = self._sums(z)
        if self.n_s:
            b = self.S_pinv @ (rest - self.N.T @ (self.inv_c[:, None] * big))
            a = self.inv_c[:, None] * (big - self.N @ b)
            miss = np.abs(rest - self.N.T @ a - self.M @ b).max(axis=0)
            scale = np.maximum(np.abs(big).max(axis=0), np.abs(rest).max(axis=0))
            if (miss > CHECK_RTOL * np.maximum(scale, np.finfo(float).tiny)).any():
                return None
        else:
            a = self.inv_c[:, None] * big
        out = z - a[self.f]
        for s in self.small:
            out -= b[s]
        return out


def closed_form_cross(
    fe: np.ndarray,
    g: np.ndarray,
    G: int,
    x: np.ndarray,
    zs: tuple[np.ndarray, ...],
    weights: np.ndarray | None = None,
) -> list[np.ndarray] | None:
    r""":math:`P_{hg} = (x \odot 1_h)' M_D (z \odot 1_g)` for each ``z``, or None when
    :meth:`Sweep.of` gives no closed form.

    With :math:`A = D'(x \odot 1_h)_h` and :math:`B = D'(z \odot 1_g)_g` (sparse for the large
    factor: a child sits in one or two schools) and the generalised inverse of :math:`D'WD`
    built from :math:`C` and :math:`S^-`,

    .. math:: P = \operatorname{diag}_g\Big(\sum_{i \in g} x_i z_i\Big) - A_f'C^{-1}B_f
              - (A_f'C^{-1}N - A_s')\,S^-\,(N'C^{-1}B_f - B_s).

    With weights, :meth:`~lbc_eval.estimation.within.WithinFit.project`'s
    :math:`P_{hg} = \sum_{i \in g} z_i [\sqrt w \odot M_W((x \odot 1_h) / \sqrt w)]_i`: the
    same formula with :math:`A, B` the level sums of :math:`\sqrt w x, \sqrt w z` and the
    weighted blocks :math:`C, N, S`.
    """
    sw = Sweep.of(fe, weights)
    if sw is None:
        return None
    root = np.ones(fe.shape[0]) if weights is None else np.sqrt(weights)
    L = sw.n_s

    def level_sums(v: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
        """D_f'(v 1_g) (sparse, n_f x G) and D_s'(v 1_g) (dense, L x G), ``v`` already scaled
        by the root of the weights."""
        Bf = sparse.csr_matrix((v, (sw.f, g)), shape=(sw.n_f, G))
        Bs = np.zeros((L, G))
        for a in sw.small:
            Bs += np.bincount(a * G + g, weights=v, minlength=L * G).reshape(L, G)
        return Bf, Bs

    inv_c = sparse.diags(sw.inv_c)
    Af, As = level_sums(root * x)
    AfC = (inv_c @ Af).T.tocsr()  # A_f' C^{-1}, G x n_f
    U = (AfC @ sw.N).toarray() - As.T if L else None  # G x L
    CN = inv_c @ sw.N
    out = []
    for z in zs:
        Bf, Bs = level_sums(root * z)
        P = np.diag(np.bincount(g, weights=x * z, minlength=G))
        P -= (AfC @ Bf).toarray()
        if L:
            P -= U @ sw.S_pinv @ ((CN.T @ Bf).toarray() - Bs)
        out.append(P)
    return out
