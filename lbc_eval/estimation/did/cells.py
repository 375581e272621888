"""Group-time cells: each ATT(g,t) with its influence function, as R ``did`` computes them.

Each cell is a 2x2 comparison of group g with its comparison units between the base period
b and t, estimated by :mod:`~lbc_eval.estimation.did.drdid` (the panel estimator on a
balanced panel; the repeated-cross-section estimator on :class:`~.panel.Rows`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.did.drdid import att_panel, att_rc
from lbc_eval.estimation.did.panel import Panel
from lbc_eval.estimation.did.spec import DidSpec


@dataclass(frozen=True)
class Cells:
    group: np.ndarray  # period value of each cell's group
    time: np.ndarray
    att: np.ndarray
    inf: np.ndarray  # n x cells
    n_treated: np.ndarray
    n_control: np.ndarray
    post: np.ndarray


#: One cell: (g, t, att, n_treated, n_control, post).
CellRow = tuple[float, float, float, int, int, bool]


def estimate_cells(p: Panel, spec: DidSpec) -> tuple[Cells, list[str]]:
    """Every ATT(g,t), group by group and period by period (see :func:`one_cell`).

    With the ``varying`` base period the first period has no cell (no period before it);
    with ``universal`` every period has one, the base period's being the zero reference.
    """
    T = len(p.periods)
    groups = p.glist if p.glist is not None else np.unique(p.group[np.isfinite(p.group)])
    notes: list[str] = []
    rows = []
    infs = []
    first_t = 0 if spec.base_period == "universal" else 1
    for g in groups:
        for ti in range(first_t, T):
            row, inf, note = one_cell(p, g, ti, spec)
            rows.append(row)
            infs.append(inf)
            if note:
                notes.append(note)
    arr = list(zip(*rows, strict=True))
    cells = Cells(
        group=np.array(arr[0], float),
        time=np.array(arr[1], float),
        att=np.array(arr[2], float),
        n_treated=np.array(arr[3]),
        n_control=np.array(arr[4]),
        post=np.array(arr[5], bool),
        inf=np.column_stack(infs),
    )
    return cells, notes


def base_index(p: Panel, g: float, ti: int, spec: DidSpec) -> int:
    """Index of the base period :math:`b` of ATT(g, t): :math:`g - 1 - \\delta` for post
    periods (and every period with the universal base), else :math:`t - 1`."""
    step = p.periods[1] - p.periods[0]
    if g <= p.periods[ti] or spec.base_period == "universal":
        return int(np.flatnonzero(p.periods + spec.anticipation * step < g)[-1])
    return ti - 1


def comparison_units(p: Panel, g: float, ti: int, bi: int, spec: DidSpec) -> np.ndarray:
    """Never-treated units, or (``not_yet``) also the units first treated after
    :math:`\\max(t, b) + \\delta` other than group ``g``."""
    never = ~np.isfinite(p.group)
    if spec.control == "never":
        return never
    step = p.periods[1] - p.periods[0]
    later = max(p.periods[ti], p.periods[bi]) + spec.anticipation * step
    return never | ((p.group > later) & (p.group != g))


def one_cell(p: Panel, g: float, ti: int, spec: DidSpec) -> tuple[CellRow, np.ndarray, str]:
    """ATT(g, t) for period index ``ti``: ``(g, t, att, n_treated, n_control, post)``, its
    influence function over all n units (scaled by :math:`n / n_{gt}`, zero outside the
    cell's sample), and a note when the cell cannot be estimated.

    On a balanced panel the covariates and weights are those of the earlier of the cell's two
    periods, :math:`\\min(t, b)` (``did``: the base period for post-treatment cells, t itself
    for pre-treatment cells with the universal base).
    """
    t = p.periods[ti]
    post = bool(g <= t)
    treated = p.group == g
    bi = base_index(p, g, ti, spec)
    if bi == ti:  # universal base period: the reference cell
        return (g, t, 0.0, int(treated.sum()), 0, False), np.zeros(p.n), ""
    ctrl = comparison_units(p, g, ti, bi, spec)
    if p.rows is not None:
        return _rows_cell(p, g, ti, bi, treated, ctrl, spec)
    sample = treated | ctrl
    d = treated[sample]
    n_t, n_c = int(d.sum()), int((~d).sum())
    if n_t == 0 or n_c == 0:
        return _missing(g, t, n_t, n_c, post, p.n)
    assert p.y is not None and p.w is not None
    early = min(ti, bi)
    x = None if p.x is None else p.x[sample, early, :]
    dy = p.y[sample, ti] - p.y[sample, bi]
    try:
        att, inf_s = att_panel(dy, d, _with_intercept(x, len(dy)), p.w[sample, early], spec.method)
    except EstimationError as err:  # did: the cell is NA, with a warning
        return _missing(g, t, n_t, n_c, post, p.n, str(err))
    full = np.zeros(p.n)
    full[sample] = inf_s * p.n / int(sample.sum())
    return (g, t, att, n_t, n_c, post), full, ""


def _with_intercept(x: np.ndarray | None, n: int) -> np.ndarray:
    return np.ones((n, 1)) if x is None else np.column_stack([np.ones(n), x])


def _missing(
    g: float, t: float, n_t: int, n_c: int, post: bool, n: int, why: str = ""
) -> tuple[CellRow, np.ndarray, str]:
    note = f"ATT({g:g},{t:g}) not estimable: " + (
        why or f"{n_t} treated and {n_c} control units"
    )
    warnings.warn(note, stacklevel=5)
    return (g, t, np.nan, n_t, n_c, post), np.zeros(n), note


def _rows_cell(
    p: Panel,
    g: float,
    ti: int,
    bi: int,
    treated: np.ndarray,
    ctrl: np.ndarray,
    spec: DidSpec,
) -> tuple[CellRow, np.ndarray, str]:
    """The repeated-cross-section estimator of one cell: the observations of groups g and
    comparison in periods t and b; the influence function (times :math:`n / n_{obs}`) is
    summed by unit, as ``did`` does for repeated cross sections and unbalanced panels."""
    r = p.rows
    assert r is not None
    t = p.periods[ti]
    post_cell = bool(g <= t)
    keep = (treated | ctrl)[r.unit] & ((r.tix == ti) | (r.tix == bi))
    unit = r.unit[keep]
    d = treated[unit]
    after = r.tix[keep] == ti
    counts = [int(np.sum(d & after)), int(np.sum(d & ~after))]
    counts += [int(np.sum(~d & after)), int(np.sum(~d & ~after))]
    if min(counts) == 0:
        n_t = len(np.unique(unit[d]))
        n_c = len(np.unique(unit[~d]))
        return _missing(g, t, n_t, n_c, post_cell, p.n)
    x = None if r.x is None else r.x[keep]
    xs = _with_intercept(x, len(d))
    try:
        att, inf_s = att_rc(r.y[keep], after, d, xs, r.w[keep], spec.method)
    except EstimationError as err:  # did: the cell is NA, with a warning
        return _missing(g, t, counts[0], counts[2], post_cell, p.n, str(err))
    full = np.bincount(unit, weights=inf_s * p.n / int(keep.sum()), minlength=p.n)
    n_t, n_c = len(np.unique(unit[d])), len(np.unique(unit[~d]))
    return (g, t, att, n_t, n_c, post_cell), full, ""
