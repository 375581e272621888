r"""Question Q1: does more mentoring help, and where does it stop paying off?

:func:`fit_dose_response` relates a term's mentoring contacts to the next term's outcome
within children (child and term fixed effects), as binned doses and as a smooth curve, with the
average marginal effect of one more contact, and the naive cross-section beside it.

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> cohort = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
>>> r = lbc_eval.fit_dose_response(cohort.panel, outcome="sdq_total")  # doctest: +SKIP
>>> r.vs_truth(cohort.truth)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.data.codebook import CONTACT_COLUMNS
from lbc_eval.data.terms import term_index
from lbc_eval.errors import EstimationError, SpecError
from lbc_eval.estimation.checks import as_list, check_columns, check_option
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.results import Result
from lbc_eval.estimation.within import WithinFit, fit_within

Spline = Literal["natural", "saturation"]
DEFAULT_BINS = (0, 1, 3, 6)


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


def dose_pairs(
    panel: pd.DataFrame,
    *,
    outcome: str,
    dose: Sequence[str],
    lag: int,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str],
    sample: str,
) -> pd.DataFrame:
    """One row per child-term ``t`` (enrolled again at ``t + lag``): dose at ``t``, cluster at
    ``t``, outcome and controls at ``t + lag``; only mentored child-terms when ``sample`` is
    ``"paired"``."""
    tv = panel[time]
    t = tv.to_numpy(dtype="int64") if pd.api.types.is_integer_dtype(tv) else term_index(tv)
    dose_v = panel[list(dose)].astype("float64").sum(axis=1, skipna=False)
    now = pd.DataFrame(
        {"u": panel[unit].to_numpy(), "t": t, "dose": dose_v.to_numpy(), time: tv.to_numpy()}
    )
    now["cl"] = panel[cluster].to_numpy()
    if sample == "paired":
        now = now[(panel["mentor_role"].astype("string") != "none").fillna(False).to_numpy()]
    nxt = pd.DataFrame({"u": panel[unit].to_numpy(), "t": t - lag})
    nxt["y"] = pd.to_numeric(panel[outcome], errors="coerce").astype("float64").to_numpy()
    nxt = nxt.rename(columns={"y": f"{outcome}[t+{lag}]"})
    for c in controls:
        nxt[c] = panel[c].to_numpy()
    pairs = now.merge(nxt, on=["u", "t"], how="inner", validate="one_to_one")
    return pairs.rename(columns={"u": unit, "cl": cluster}).dropna(subset=["dose"])


def fit_dose_response(
    panel: pd.DataFrame,
    *,
    outcome: str,
    dose: str | Sequence[str] = "contacts",
    lag: int = 1,
    bins: Sequence[int] = DEFAULT_BINS,
    spline: Spline = "natural",
    df: int = 3,
    scale: float | None = None,
    unit: str = "student_id",
    time: str = "term",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    sample: Literal["paired", "all"] = "paired",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: Literal["auto", "rademacher", "webb"] = "auto",
    seed: int | None = 0,
) -> Result:
    r"""Dose–response of next term's outcome on this term's mentoring contacts, within children.

    Parameters
    ----------
    panel : DataFrame
        The cohort panel (one row per child per term).
    outcome : str
        E.g. ``"sdq_total"``, ``"attendance"``, ``"math"``.
    dose : "contacts" or column name(s)
        ``"contacts"`` is ``talks + home_visits + parent_contacts``; a list is summed.
    lag : int
        Terms between the dose and the outcome (1: next term).
    bins : sequence of int
        Left edges of the dose bins, from 0; the first bin is the reference.
    spline : {"natural", "saturation"}
        Smooth curve: a natural cubic spline with ``df`` basis functions (knots at quantiles
        of the dose), or :math:`b(1 - e^{-c/c_0})` with :math:`c_0` = ``scale`` or, if None,
        chosen by least squares (intervals are then conditional on it).
    unit, time, cluster : str
        Child, term and cluster (school at the dose term) columns.
    controls : str or list of str
        Measured at the outcome term; default the left-behind status then.
    sample : {"paired", "all"}
        Mentored child-terms only (default), or every child-term (unpaired ones at dose 0).
    inference, alpha, reps, boot_weights, seed
        As :func:`lbc_eval.fit_fe`; with fewer than 50 clusters the bootstrap gives the
        p-values and intervals of every row.

    Returns
    -------
    Result
        Rows ``dose[1-2]``, ``dose[3-5]``, ``dose[6+]`` (binned, against 0), ``ame`` (one more
        contact, smooth curve) and ``ame_naive`` (cross-section). ``extra["curve"]`` holds the
        smooth curve :math:`\hat f(c) - \hat f(0)` with pointwise CRV1 :math:`t(G-1)` bands,
        ``extra["bins"]`` the bins' doses and counts; ``vs_truth`` compares with
        ``truth["dose_response"][outcome]``.

    Notes
    -----
    Pairs child-term :math:`t` (dose :math:`C_{it}`) with the same child at :math:`t+1`:

    .. math:: Y_{i,t+1} = \alpha_i + \lambda_t + f(C_{it}) + Z_{i,t+1}'\gamma + \varepsilon_{it}

    with :math:`f` a step function on the bins or :math:`f(c) = B(c)'\beta` (spline basis,
    :math:`B(0) = 0`). Child effects remove stable need, which mentors target; identification
    comes from within-child changes in contacts (e.g. volunteer supply). The average marginal
    effect of one more contact over the mentored child-terms enrolled next term,

    .. math:: \mathrm{AME} = \frac{1}{n}\sum_{it} f(C_{it} + 1) - f(C_{it})
              = \bar\Delta'\beta,\quad \bar\Delta = \frac{1}{n}\sum_{it} B(C_{it}+1) - B(C_{it}),

    is linear in :math:`\beta`, so its CRV1 standard error is exact (no delta-method
    approximation) and the wild bootstrap tests it directly. The naive estimate is the
    pooled slope of :math:`Y_{i,t+1}` on :math:`C_{it}` with term effects only.
    """
    check_option("spline", spline, ("natural", "saturation"))
    check_option("sample", sample, ("paired", "all"))
    dose_cols = list(CONTACT_COLUMNS) if dose == "contacts" else as_list(dose)
    ctrl = as_list(controls)
    check_columns(
        panel,
        {
            "outcome": outcome,
            "dose": dose_cols,
            "unit": unit,
            "time": time,
            "cluster": cluster,
            "control": ctrl,
            **({"mentor_role": "mentor_role"} if sample == "paired" else {}),
        },
    )
    if lag < 1:
        raise SpecError("lag", f"must be at least 1 term, got {lag}")
    edges = [int(b) for b in bins]
    if not edges or edges[0] != 0 or any(b <= a for a, b in zip(edges, edges[1:], strict=False)):
        raise SpecError("bins", f"left edges must start at 0 and increase, got {list(bins)}")
    pairs = dose_pairs(
        panel,
        outcome=outcome,
        dose=dose_cols,
        lag=lag,
        unit=unit,
        time=time,
        cluster=cluster,
        controls=ctrl,
        sample=sample,
    )
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
        from lbc_eval.errors import NoVariationError

        raise NoVariationError(
            f"the dose takes the single value {pairs['dose'].iloc[0]:g} in all "
            f"{len(pairs):,} child-terms: there is nothing to compare"
        )
    labels = bin_labels(edges)
    which = np.searchsorted(edges, pairs["dose"].to_numpy(), side="right") - 1
    bin_cols = {f"dose[{lab}]": (which == j).astype(float) for j, lab in enumerate(labels)}
    Z, _ = regressors(pairs, [], ctrl)
    y_name = f"{outcome}[t+{lag}]"
    common = dict(data=pairs, outcome=y_name, cluster=[cluster])
    fe = [unit, time]

    def within(X: pd.DataFrame, fes: list[str], kinds: list[str]) -> WithinFit:
        design, notes_, _ = make_design(X=X, fixed_effects=fes, **common)  # type: ignore[arg-type]
        all_notes.extend(n for n in notes_ if n not in all_notes)
        return fit_within(design, kinds=kinds)

    all_notes: list[str] = []
    Xb = pd.concat([pd.DataFrame(bin_cols, index=pairs.index).iloc[:, 1:], Z], axis=1)
    fit_b = within(Xb, fe, ["treatment"] * (len(labels) - 1) + ["control"] * Z.shape[1])
    c_all = pairs["dose"].to_numpy()
    c_obs = c_all[pairs[y_name].notna().to_numpy()]
    basis, knots, scale = _basis(spline, df, scale, c_obs, fit_b, c_all, Z.shape[1])
    names = [f"f{j + 1}" for j in range(basis(np.zeros(1)).shape[1])]
    Xs = pd.concat([pd.DataFrame(basis(c_all), index=pairs.index, columns=names), Z], axis=1)
    fit_s = within(Xs, fe, ["treatment"] * len(names) + ["control"] * Z.shape[1])
    Xn = pd.concat([pairs[["dose"]], Z], axis=1)
    fit_n = within(Xn, [time], ["treatment"] + ["control"] * Z.shape[1])

    k_s = len(fit_s.names)
    delta = np.zeros(k_s)
    delta[: len(names)] = (basis(c_all + 1) - basis(c_all)).mean(axis=0)
    hyps: dict[str, tuple[WithinFit, np.ndarray]] = {}
    for j, name in enumerate(fit_b.names[: len(labels) - 1]):
        hyps[name] = (fit_b, np.eye(len(fit_b.names))[j])
    hyps["ame"] = (fit_s, delta)
    hyps["ame_naive"] = (fit_n, np.eye(len(fit_n.names))[0])
    rows = linear_rows(
        hyps,
        fit=fit_b,
        inference=inference,
        boot=BootOptions(reps=reps, weights=boot_weights, seed=seed),
        alpha=alpha,
        outcome=outcome,
    )
    curve = _curve(fit_s, basis, len(names), c_all, alpha)
    used = c_all[fit_b.design.rows]
    used_which = np.searchsorted(edges, used, side="right") - 1
    bin_table = pd.DataFrame(
        {
            "bin": labels,
            "n": [int((used_which == j).sum()) for j in range(len(labels))],
            "mean_dose": [float(used[used_which == j].mean()) for j in range(len(labels))],
        }
    )
    doses_in_bin = {f"dose[{lab}]": used[used_which == j] for j, lab in enumerate(labels)}
    how = (
        f"natural cubic spline, knots {', '.join(f'{k:g}' for k in knots)}"
        if spline == "natural"
        else f"saturation 1 - exp(-c/{scale:.3g})"
        + ("" if knots else " (c0 chosen by least squares; intervals conditional on it)")
    )
    comparable = sorted(dose_cols) == sorted(CONTACT_COLUMNS) and lag == 1 and sample == "paired"
    notes = [
        f"dose: {' + '.join(dose_cols)} in term t; outcome {outcome} in term t+{lag}; "
        f"{'mentored child-terms' if sample == 'paired' else 'all child-terms'}; "
        f"child and term fixed effects; controls at t+{lag}: {', '.join(ctrl) or 'none'}",
        f"smooth curve: {how}; AME over {len(c_all):,} child-terms enrolled at t+{lag}",
        f"naive: pooled cross-section with term effects only ({fit_n.design.nobs:,} obs)",
        "curve band: pointwise CRV1 intervals",
        *(
            []
            if comparable
            else ["vs_truth: the synthetic truth is for all contacts, lag 1, mentored terms"]
        ),
        *all_notes,
        *rows.notes,
    ]
    return Result(
        estimator="dose_response",
        table=rows.table,
        outcome=outcome,
        nobs=fit_b.design.nobs,
        cov_type=rows.cov_type,
        formula=f"{outcome}[t+{lag}] ~ f(dose[t]) + {' + '.join(ctrl) or '0'} | {unit} + {time}",
        n_clusters=fit_b.n_clusters,
        alpha=alpha,
        notes=tuple(notes),
        warnings=tuple(rows.warnings),
        raw={"binned": fit_b, "smooth": fit_s, "naive": fit_n},
        extra={
            "curve": curve,
            "bins": bin_table,
            "knots": list(knots),
            "scale": scale,
            "tests": rows.tests,
            "boot": rows.boot,
        },
        truth_lookup=_truth_lookup(outcome, doses_in_bin) if comparable else None,
    )


def _basis(
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


def _curve(fit: WithinFit, basis: Any, k: int, c: np.ndarray, alpha: float) -> pd.DataFrame:
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


def _truth_lookup(outcome: str, doses_in_bin: Mapping[str, np.ndarray]) -> Any:
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
            if term in ("ame", "ame_naive"):
                out.append(float(dr["ame"]))
            elif term in doses_in_bin and doses_in_bin[term].size:
                out.append(float(np.interp(doses_in_bin[term], grid, curve).mean()) - base)
            else:
                out.append(np.nan)
        return out

    return lookup
