r"""Every ATT(g,t) and the cluster sums of its influence function, from a lazy panel's patterns.

The patterns come from :func:`lbc_eval.scale.did.panel_moments` (one pass in the engine); once
``did``'s data rules have been applied to them (:mod:`lbc_eval.estimation.did.lazy`) they form a
:class:`Design`, and :func:`cell_moments` computes the cells here, in memory, on a few thousand
rows at most.

Notes
-----
Balanced panel (``did``'s panel estimator). For the cell :math:`(g,t)` with base period
:math:`b`, the :math:`n_1` treated units (:math:`D_i = 1`) and :math:`n_0` comparison units,
:math:`\Delta Y_i = Y_{it} - Y_{ib}`:

.. math:: \widehat{ATT}(g,t) = \overline{\Delta Y}_1 - \overline{\Delta Y}_0, \qquad
          \psi_i = n\Big[\frac{D_i(\Delta Y_i - \overline{\Delta Y}_1)}{n_1}
          - \frac{(1 - D_i)(\Delta Y_i - \overline{\Delta Y}_0)}{n_0}\Big]

on the cell's units (zero elsewhere; :math:`n` is every unit: ``did``'s :math:`n / n_{gt}`
scaling). Unbalanced panel (``allow_unbalanced_panel``: the repeated-cross-section estimator on
the units observed in t or b, influence summed by unit), with :math:`N_{d\tau}` and
:math:`\bar Y_{d\tau}` the observations and mean of side :math:`d` in period
:math:`\tau \in \{t, b\}`:

.. math:: \widehat{ATT} = (\bar Y_{1t} - \bar Y_{1b}) - (\bar Y_{0t} - \bar Y_{0b}), \qquad
          \psi_i = n \sum_{d,\tau} s_{d\tau}\, 1\{i \in d \text{ observed in } \tau\}
          \frac{Y_{i\tau} - \bar Y_{d\tau}}{N_{d\tau}},

:math:`s_{1t} = s_{0b} = 1`, :math:`s_{1b} = s_{0t} = -1`. Without covariates ``reg``, ``ipw``
and ``dr`` give these same numbers (the propensity score is the treated share; ``ipw`` and
``dr`` lose every comparison unit to DRDID's trimming once it reaches 0.995).

Both are :math:`\psi_i = n(a_{p0} + \sum_\tau a_{p\tau} Y_{i\tau})` with coefficients constant
within the unit's pattern :math:`p`, so with :math:`N_p` its units, :math:`S_{p\tau}` the sums
of their outcomes and :math:`M_p` the cross-products of :math:`z_i = (1, Y_{i\tau})_\tau`,

.. math:: \sum_{i \in c} \psi_i = n \sum_{p \in c} \Big(a_{p0} N_p
          + \sum_\tau a_{p\tau} S_{p\tau}\Big), \qquad
          \sum_{i \in p} \psi_{ik} \psi_{il} = n^2 a_{pk}' M_p a_{pl}:

the cluster sums give the analytic clustered variance :math:`\sum_c (\sum_{i \in c}
\psi_i)^2 / n^2` and the multiplier bootstrap over clusters (one weight per cluster, as the
in-memory path draws them); with the units as clusters, rows :math:`L_p = \Lambda_p^{1/2}
Q_p' A_p` (:math:`M_p = Q_p \Lambda_p Q_p'`) stack into :math:`L` with :math:`L'L =
\Psi'\Psi`, enough for analytic standard errors and the Wald pre-test, not for a bootstrap over
units. Outcomes are centred at each period's mean (the first, per-period query of
:func:`~lbc_eval.scale.did.panel_moments`) before they are summed, so the sums of squares do not
cancel. The few-cluster rescaling (``small_cluster``)
multiplies each side's cluster sums by :math:`1/\sqrt{1 - h_c}`, :math:`h_c` the cluster's
share of the side's units in the cell (the in-memory path counts the units whose influence
function is not zero: the same, unless a unit's change equals its side's mean exactly).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: DRDID's trim level: with ipw/dr a treated share this high leaves no comparison unit.
TRIM_LEVEL = 0.995


@dataclass(frozen=True)
class Design:
    """The patterns of the cells' sample, after ``did``'s data rules: input of
    :func:`cell_moments` (P patterns, T periods)."""

    periods: np.ndarray  # (T,)
    group: np.ndarray  # (P,) first treated period, inf = never
    mask: np.ndarray  # (P,) bit k: observed in periods[k]
    units: np.ndarray  # (P,)
    cluster: np.ndarray | None  # (P,) codes 0..C-1 (None: the units are the clusters)
    n_clusters: int
    ysum: np.ndarray  # (P, T) sums of centred outcomes
    cross: np.ndarray | None  # (P, T, T) sums of products (units as clusters)
    glist: np.ndarray  # the groups with ATT(g,t)
    balanced: bool

    @property
    def n(self) -> int:
        """Units: the rows of every influence function."""
        return int(self.units.sum())

    def observed(self, k: int) -> np.ndarray:
        """Patterns observed in period index ``k``."""
        return ((self.mask >> k) & 1).astype(bool)


@dataclass(frozen=True)
class CellMoments:
    """Every ATT(g,t) of a :class:`Design`: ``scores`` has one column per cell, and rows that
    are the clusters' sums of its influence function (or a square-root factor of their
    cross-products when the units are the clusters)."""

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    n_treated: np.ndarray
    n_control: np.ndarray
    post: np.ndarray
    scores: np.ndarray
    notes: list[str]


def cell_moments(
    d: Design,
    *,
    control: str,
    base_period: str,
    anticipation: int,
    method: str,
    small_cluster: bool = False,
) -> CellMoments:
    """Every ATT(g,t) and its influence function's cluster sums (see the module's Notes).

    Cells follow :func:`~lbc_eval.estimation.did.cells.estimate_cells`: each group of
    ``d.glist`` in every period (but the first with the ``varying`` base), the ``universal``
    base period's cell a zero reference; a cell without treated or comparison units is NaN,
    with a warning and a note.
    """
    T = d.periods.size
    rows, coefs, sides, notes = [], [], [], []
    for g in d.glist:
        for ti in range(0 if base_period == "universal" else 1, T):
            row, coef, side, note = _cell(d, float(g), ti, control, base_period, anticipation,
                                          method)  # fmt: skip
            rows.append(row)
            coefs.append(coef)
            sides.append(side)
            if note:
                warnings.warn(note, stacklevel=3)
                notes.append(note)
    A = np.stack(coefs, axis=2)  # P x (1 + T) x cells
    if d.cluster is None:
        scores = factor_rows(d, A)
    else:
        Z = np.column_stack([d.units, d.ysum])  # P x (1 + T)
        contrib = np.einsum("pf,pfk->pk", Z, A)
        if small_cluster:
            contrib = _cr2(d, contrib, sides)
        scores = np.zeros((d.n_clusters, contrib.shape[1]))
        np.add.at(scores, d.cluster, contrib)
    cols = list(zip(*rows, strict=True))
    return CellMoments(
        group=np.array(cols[0], float),
        time=np.array(cols[1], float),
        att=np.array(cols[2], float),
        n_treated=np.array(cols[3]),
        n_control=np.array(cols[4]),
        post=np.array(cols[5], bool),
        scores=scores,
        notes=notes,
    )


def _base_index(periods: np.ndarray, g: float, ti: int, universal: bool, delta: int) -> int:
    step = periods[1] - periods[0]
    if g <= periods[ti] or universal:
        return int(np.flatnonzero(periods + delta * step < g)[-1])
    return ti - 1


def _cell(
    d: Design, g: float, ti: int, control: str, base_period: str, delta: int, method: str
) -> tuple[tuple, np.ndarray, tuple[np.ndarray, np.ndarray] | None, str]:
    """One cell: ``(g, t, att, n_treated, n_control, post)``, its coefficients (P x (1 + T),
    times n), its treated and comparison patterns, and a note when it cannot be estimated."""
    P, T = d.group.size, d.periods.size
    t = float(d.periods[ti])
    post = bool(g <= t)
    treated = d.group == g
    coef = np.zeros((P, 1 + T))
    bi = _base_index(d.periods, g, ti, base_period == "universal", delta)
    if bi == ti:  # the universal base period's zero reference
        return (g, t, 0.0, int(d.units[treated].sum()), 0, False), coef, None, ""
    ctrl = ~np.isfinite(d.group)
    if control == "not_yet":
        step = d.periods[1] - d.periods[0]
        later = max(t, d.periods[bi]) + delta * step
        ctrl = ctrl | ((d.group > later) & (d.group != g))
    if d.balanced:
        parts = [(treated, ti, 1.0), (treated, bi, -1.0), (ctrl, ti, -1.0), (ctrl, bi, 1.0)]
        in_t, in_c = treated, ctrl
    else:
        o_t, o_b = d.observed(ti), d.observed(bi)
        parts = [(treated & o_t, ti, 1.0), (treated & o_b, bi, -1.0),
                 (ctrl & o_t, ti, -1.0), (ctrl & o_b, bi, 1.0)]  # fmt: skip
        in_t, in_c = treated & (o_t | o_b), ctrl & (o_t | o_b)
    n_t, n_c = int(d.units[in_t].sum()), int(d.units[in_c].sum())
    counts = [int(d.units[sel].sum()) for sel, _, _ in parts]
    if min(counts) == 0:
        return _missing(g, t, n_t, n_c, post, coef, f"{n_t} treated and {n_c} control units")
    if method != "reg" and (counts[0] + counts[1]) / sum(counts) >= TRIM_LEVEL:
        what = "comparison units" if d.balanced else "comparison units in period 1"
        why = f"no {what} left after trimming with positive weight; the ATT is not identified"
        if not d.balanced:
            n_t, n_c = counts[0], counts[2]
        return _missing(g, t, n_t, n_c, post, coef, why)
    att = 0.0
    for (sel, k, sign), N in zip(parts, counts, strict=True):
        mean = d.ysum[sel, k].sum() / N
        att += sign * mean
        coef[sel, 0] -= sign * mean / N
        coef[sel, 1 + k] += sign / N
    return (g, t, att, n_t, n_c, post), coef * d.n, (in_t, in_c), ""


def _missing(
    g: float, t: float, n_t: int, n_c: int, post: bool, coef: np.ndarray, why: str
) -> tuple[tuple, np.ndarray, None, str]:
    return (g, t, np.nan, n_t, n_c, post), coef, None, f"ATT({g:g},{t:g}) not estimable: {why}"


def _cr2(
    d: Design, contrib: np.ndarray, sides: list[tuple[np.ndarray, np.ndarray] | None]
) -> np.ndarray:
    """Scale each side's patterns by :math:`1/\\sqrt{1 - h_c}`, :math:`h_c` the cluster's share
    of the side's units (sides with a single cluster are left as they are)."""
    assert d.cluster is not None
    out = contrib.copy()
    for k, side in enumerate(sides):
        if side is None:
            continue
        for sel in side:
            counts = np.bincount(d.cluster[sel], weights=d.units[sel], minlength=d.n_clusters)
            if np.sum(counts > 0) > 1:
                h = counts / counts.sum()
                out[sel, k] *= 1 / np.sqrt(1 - h[d.cluster[sel]])
    return out


def pattern_factors(d: Design) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per pattern, its observed features (0: the constant, 1 + k: period k) and
    :math:`R_p = \\Lambda^{1/2} Q'` with :math:`R_p'R_p = M_p` (the cross-products of
    :math:`(1, Y_{ik})` over its units, restricted to those features)."""
    assert d.cross is not None
    T = d.periods.size
    out = []
    for p in range(d.group.size):
        obs = [k for k in range(T) if (d.mask[p] >> k) & 1]
        M = np.zeros((1 + T, 1 + T))
        M[0, 0] = d.units[p]
        M[0, 1:] = M[1:, 0] = d.ysum[p]
        M[1:, 1:] = d.cross[p]
        feats = np.array([0, *(1 + k for k in obs)])
        w, Q = np.linalg.eigh(M[np.ix_(feats, feats)])
        out.append((feats, np.sqrt(np.clip(w, 0, None))[:, None] * Q.T))
    return out


def factor_rows(d: Design, A: np.ndarray) -> np.ndarray:
    """:math:`L` (rows x cells) with :math:`L'L = \\Psi'\\Psi` from the coefficients ``A``
    (P x (1 + T) x cells)."""
    return np.vstack([R @ A[p, feats, :] for p, (feats, R) in enumerate(pattern_factors(d))])


def row_groups(d: Design) -> pd.DataFrame:
    """Each score row's loading on each group's indicator (columns: the groups, ``inf`` =
    never): the units of the group in the cluster, or the factor rows' constant column."""
    groups = np.unique(d.group)
    col = np.searchsorted(groups, d.group)
    if d.cluster is not None:
        out = np.zeros((d.n_clusters, groups.size))
        np.add.at(out, (d.cluster, col), d.units)
    else:
        blocks = []
        for p, (_, R) in enumerate(pattern_factors(d)):
            block = np.zeros((R.shape[0], groups.size))
            block[:, col[p]] = R[:, 0]
            blocks.append(block)
        out = np.vstack(blocks)
    return pd.DataFrame(out, columns=groups)
