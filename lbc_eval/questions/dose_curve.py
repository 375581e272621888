r"""The dose-response's pieces: the dose pairs (with the lead dose and the leave-one-out
supply), their checks, spline bases, bins, the curve and the synthetic truth's curve.

Used by :func:`lbc_eval.questions.mentoring.fit_dose_response`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.errors import MergeError
from scipy import stats

from lbc_eval.data.terms import term_index
from lbc_eval.errors import EstimationError, NoVariationError, SpecError
from lbc_eval.estimation.within import WithinFit


def natural_spline(x: np.ndarray, knots: Sequence[float]) -> np.ndarray:
    r"""Natural cubic spline basis without intercept (Hastie, Tibshirani & Friedman, eq. 5.4).

    With knots :math:`\xi_1 < \dots < \xi_K`: :math:`N_1(x) = x` and
    :math:`N_{k+1}(x) = d_k(x) - d_{K-1}(x)`, :math:`d_k(x) = \frac{(x-\xi_k)_+^3 -
    (x-\xi_K)_+^3}{\xi_K - \xi_k}`, :math:`k = 1..K-2`: cubic between the knots, linear
    beyond the boundary knots. Returns an (n, K-1) array; every column is 0 at :math:`x = 0`
    when :math:`\xi_1 \ge 0`.
    """
    x = np.asarray(x, dtype=float)
    k = np.asarray(knots, dtype=float)
    last = k[-1]

    def d(j: int) -> np.ndarray:
        return (np.maximum(x - k[j], 0) ** 3 - np.maximum(x - last, 0) ** 3) / (last - k[j])

    cols = [x] + [d(j) - d(len(k) - 2) for j in range(len(k) - 2)]
    return np.column_stack(cols)


def saturation(x: np.ndarray, scale: float) -> np.ndarray:
    """The saturation basis :math:`1 - e^{-x/c_0}` (one column)."""
    return (1 - np.exp(-np.asarray(x, dtype=float) / scale))[:, None]


def bin_labels(bins: Sequence[int]) -> list[str]:
    """``(0, 1, 3, 6)`` -> ``["0", "1-2", "3-5", "6+"]`` (integer doses)."""
    out = []
    for lo, hi in zip(bins, [*bins[1:], None], strict=True):
        out.append(f"{lo}+" if hi is None else (f"{lo}" if hi == lo + 1 else f"{lo}-{hi - 1}"))
    return out


def smooth_basis(
    spline: str,
    df: int,
    scale: float | None,
    c: np.ndarray,
    fit_b: WithinFit,
    c_all: np.ndarray,
    n_ctrl: int,
) -> tuple[Any, list[float], float | None]:
    """The basis function, its knots, and the saturation scale (profiled when None).

    The profile reuses the binned fit's rows and demeaned controls: the within residual sum
    of squares of each candidate :math:`c_0` on a grid, all candidates demeaned at once.
    """
    if spline == "natural":
        if df < 1:
            raise SpecError("df", f"the spline needs at least one basis function, got {df}")
        hi = float(np.quantile(c, 0.95))
        inner = (
            np.quantile(c[(c > 0) & (c < hi)], np.linspace(0, 1, df + 1)[1:-1]) if df > 1 else []
        )
        knots = sorted({0.0, *map(float, inner), hi})
        if len(knots) < 2 or hi <= 0:
            raise EstimationError("the dose is zero almost everywhere: no curve to fit")
        return (lambda x: natural_spline(x, knots)), knots, None
    if scale is not None:
        if scale <= 0:
            raise SpecError("scale", f"must be positive, got {scale}")
        return (lambda x: saturation(x, scale)), [scale], scale
    grid = np.geomspace(0.5, 30, 40)
    dose = c_all[fit_b.design.rows]
    cand = fit_b.project(np.column_stack([saturation(dose, s0)[:, 0] for s0 in grid]))
    Zd = fit_b.Xd[:, fit_b.Xd.shape[1] - n_ctrl :]
    ssr = []
    for j in range(grid.size):
        A = np.column_stack([cand[:, j], Zd])
        beta, *_ = np.linalg.lstsq(A, fit_b.yd, rcond=None)
        r = fit_b.yd - A @ beta
        ssr.append(float(r @ r))
    best = float(grid[int(np.argmin(ssr))])
    return (lambda x: saturation(x, best)), [], best


def curve_table(fit: WithinFit, basis: Any, k: int, c: np.ndarray, alpha: float) -> pd.DataFrame:
    r"""The smooth curve :math:`\hat f(c) - \hat f(0)` on the doses 0..max(15, q99), with
    pointwise CRV1 :math:`t(G-1)` intervals: :math:`se = \sqrt{b'Vb}`, :math:`b = B(c) - B(0)`."""
    grid = np.arange(0, int(max(15, np.quantile(c, 0.99))) + 1, dtype=float)
    B = np.zeros((grid.size, len(fit.names)))
    B[:, :k] = basis(grid) - basis(np.zeros(1))
    est = B @ fit.coef
    se = np.sqrt(np.einsum("ij,jk,ik->i", B, fit.vcov, B))
    crit = stats.t.ppf(1 - alpha / 2, fit.df_t)
    return pd.DataFrame(
        {
            "dose": grid,
            "estimate": est,
            "std_error": se,
            "conf_low": est - crit * se,
            "conf_high": est + crit * se,
        }
    )


def dose_pairs(
    panel: pd.DataFrame,
    *,
    outcome: str,
    treatment: Sequence[str],
    lag: int,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str],
    sample: str,
) -> pd.DataFrame:
    """One row per child-term ``t`` (enrolled again at ``t + lag``): dose at ``t``, cluster at
    ``t``, outcome and controls at ``t + lag``; only mentored child-terms when ``sample`` is
    ``"paired"``.

    Two more columns serve the checks of :mod:`lbc_eval.questions.mentoring_checks`:
    ``dose_lead``, the same child's dose in the outcome term ``t + lag`` (the lead), and
    ``supply``, the leave-one-out mean dose of the *other* mentored children of the same
    cluster in term ``t`` (NaN when the child is the only one there); without a
    ``mentor_role`` column every child-term counts as mentored.
    """
    tv = panel[time]
    t = tv.to_numpy(dtype="int64") if pd.api.types.is_integer_dtype(tv) else term_index(tv)
    dose = panel[list(treatment)].astype("float64").sum(axis=1, skipna=False).to_numpy()
    if "mentor_role" in panel.columns:
        paired = (panel["mentor_role"].astype("string") != "none").fillna(False).to_numpy()
    else:
        paired = np.ones(len(panel), dtype=bool)
    # the pairs are matched on integer keys (child code, term) and the text columns taken for
    # the matched rows only: on a province's millions of child-terms, text keys are slow
    cl_codes = pd.factorize(panel[cluster], use_na_sentinel=False)[0]
    supply = leave_one_out(pd.Series(cl_codes), pd.Series(t), pd.Series(dose).where(paired))
    codes = pd.factorize(panel[unit], use_na_sentinel=False)[0].astype("int64")
    lo = int(t.min()) if len(t) else 0
    key = codes * (int(t.max()) - lo + lag + 1 if len(t) else 1) + (t - lo)
    order = np.argsort(key, kind="stable")
    ranked = key[order]
    if (ranked[1:] == ranked[:-1]).any():
        raise MergeError(
            "Merge keys are not unique in either left or right dataset; not a one-to-one merge"
        )
    left = np.flatnonzero(paired) if sample == "paired" else np.arange(len(panel))
    want = key[left] + lag  # the same child's key lag terms later, in the rows' order
    at = np.minimum(np.searchsorted(ranked, want), max(len(ranked) - 1, 0))
    hit = ranked[at] == want if len(ranked) else np.zeros(0, dtype=bool)
    i, j = left[hit], order[at[hit]]
    now = pd.DataFrame(
        {"u": panel[unit].iloc[i].to_numpy(), "t": t[i], "dose": dose[i],
         time: tv.iloc[i].to_numpy()}
    )  # fmt: skip
    now["cl"] = panel[cluster].iloc[i].to_numpy()
    now["supply"] = supply[i]
    y = pd.to_numeric(panel[outcome].iloc[j], errors="coerce").astype("float64").to_numpy()
    nxt = pd.DataFrame({f"{outcome}[t+{lag}]": y})
    for c in controls:
        nxt[c] = panel[c].iloc[j].to_numpy()
    nxt["dose_lead"] = dose[j]
    pairs = now.join(nxt, suffixes=("_x", "_y"))
    return pairs.rename(columns={"u": unit, "cl": cluster}).dropna(subset=["dose"])


def leave_one_out(group: pd.Series, t: pd.Series, x: pd.Series) -> np.ndarray:
    """Mean of ``x`` over the other rows of the same ``group`` and ``t`` that have it (a row
    whose own ``x`` is missing gets the mean of all of them); NaN when no other row has it."""
    key = pd.MultiIndex.from_arrays([group.to_numpy(), t.to_numpy()])
    v = x.to_numpy(dtype="float64")
    frame = pd.DataFrame({"v": v, "n": ~np.isnan(v)}, index=key)
    sums = frame.groupby(level=[0, 1], dropna=False).transform("sum")
    own = np.nan_to_num(v)
    n_other = sums["n"].to_numpy(dtype="float64") - (~np.isnan(v))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums["v"].to_numpy() - own) / n_other
    return np.where(n_other > 0, out, np.nan)


def check_bins(bins: Sequence[int], lag: int) -> list[int]:
    """The bins' left edges as ints; :class:`SpecError` unless they start at 0 and increase
    (and ``lag`` is at least 1)."""
    if lag < 1:
        raise SpecError("lag", f"must be at least 1 term, got {lag}")
    edges = [int(b) for b in bins]
    if not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise SpecError("bins", f"left edges must start at 0 and increase, got {list(bins)}")
    return edges


def check_pairs(pairs: pd.DataFrame, *, lag: int, sample: str, dose_cols: list[str]) -> None:
    """Refuse pairs that cannot identify a dose-response: none, negative or constant doses."""
    if pairs.empty:
        raise EstimationError(
            f"no child is observed in two terms {lag} apart"
            + (" after a mentored term" if sample == "paired" else "")
            + "; the dose-response needs a panel"
        )
    if (pairs["dose"] < 0).any():
        raise EstimationError(
            f"the dose is negative in {int((pairs['dose'] < 0).sum()):,} child-terms; contacts "
            f"are counts: fix those values (or the columns summed: {', '.join(dose_cols)})"
        )
    if pairs["dose"].nunique() < 2:
        raise NoVariationError(
            f"the dose takes the single value {pairs['dose'].iloc[0]:g} in all "
            f"{len(pairs):,} child-terms: there is nothing to compare"
        )


def true_curve(truth: Mapping[str, Any], outcome: str) -> pd.DataFrame | None:
    """The synthetic truth's dose-response of ``outcome``: ``dose, effect`` (None if absent)."""
    dr = (truth or {}).get("dose_response", {}).get(outcome)
    if dr is None:
        return None
    return pd.DataFrame({"dose": np.asarray(dr["grid"], float), "effect": dr["curve"]})


def truth_lookup(outcome: str, doses_in_bin: Mapping[str, np.ndarray]) -> Any:
    """Truth of each row: the AME for ``ame``/``ame_naive``; for a bin, the mean true curve
    over the estimation sample's doses in it (minus the reference bin's)."""

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        dr = truth.get("dose_response", {}).get(outcome)
        if dr is None:
            return [np.nan] * len(tidy)
        grid, curve = np.asarray(dr["grid"], float), np.asarray(dr["curve"], float)
        ref = next(iter(doses_in_bin.values()))
        base = float(np.interp(ref, grid, curve).mean()) if ref.size else 0.0
        out = []
        for term in tidy["term"]:
            if term in ("ame", "ame_within", "ame_naive"):
                out.append(float(dr["ame"]))
            elif term in doses_in_bin and doses_in_bin[term].size:
                out.append(float(np.interp(doses_in_bin[term], grid, curve).mean()) - base)
            else:
                out.append(np.nan)
        return out

    return lookup
