r"""Question Q1's dose-response on a lazy cohort: the within method, fitted in the engine.

:func:`lbc_eval.fit_dose_response` calls :func:`fit_dose_response_lazy` when ``data`` is a
:class:`~lbc_eval.data.lazy.LazyCohort` (or its panel). The same pairs, fits, rows and tables
as in memory (:mod:`lbc_eval.questions.mentoring`), to rounding:

- the dose-outcome pairs are a join of the panel with itself in the engine (child, term index
  and term index + lag), the dose the sum of the contact columns (missing when one is);
- the bins are ``CASE`` expressions of the dose, the natural spline's basis the same
  truncated cubics as :func:`~lbc_eval.questions.dose_curve.natural_spline`, as expressions,
  with its knots at quantiles of the doses computed exactly from their value counts (numpy's
  default, linear, definition: see :func:`quantile`), the saturation basis
  :math:`1 - e^{-c/c_0}` likewise;
- each within fit (binned, smooth, naive, and the lead placebo) is one pass of
  :mod:`lbc_eval.scale.within` (child effects swept out, terms as dummies) finished by
  :mod:`lbc_eval.estimation.moments`; the AME's :math:`\bar\Delta` and the curve's range come
  from the value counts, the bins' table and the truth lookup from the value counts of the
  doses the binned fit used;
- inference follows the kit's rule (the wild cluster bootstrap from the sums when schools are
  few).

What does not run out of core, and what to do (:class:`~lbc_eval.errors.OutOfCoreError`):
``method="supply_iv"`` and the two supply-IV checks (``first_stage``, ``iv_vs_within``: their
rows say so), which need the first stage's fitted dose for every row; the saturation curve
without ``scale`` (its scale is profiled over the rows). Run them on a collected subset,
``fit_dose_response(lazy.collect(terms=[...]), ...)``, or pass ``scale``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import CONTACT_COLUMNS
from lbc_eval.data.lazy import term_index_expr
from lbc_eval.errors import EstimationError, NoVariationError, OutOfCoreError, SpecError
from lbc_eval.estimation.checks import as_list, check_columns, check_option
from lbc_eval.estimation.fe_lazy import lazy_design, lazy_table, regressors
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.moments import MomentFit, fit_moments
from lbc_eval.estimation.results import Result, diagnostics_frame
from lbc_eval.questions.dose_curve import (
    bin_labels,
    check_bins,
    curve_table,
    natural_spline,
    saturation,
)
from lbc_eval.questions.dose_fits import describe
from lbc_eval.questions.mentoring_checks import lead_result

_COLLECT = (
    "run it on a collected subset, fit_dose_response(lazy.collect(terms=[...]), ...), which "
    "fits in memory"
)


def quantile(values: np.ndarray, counts: np.ndarray, q: Sequence[float] | float) -> np.ndarray:
    r"""``numpy.quantile`` (linear method) of the data with ``values`` repeated ``counts``
    times, without repeating them: the order statistics :math:`x_{(\lfloor h \rfloor)}` and
    :math:`x_{(\lfloor h \rfloor + 1)}`, :math:`h = (N - 1)q`, found from the cumulative
    counts, then numpy's own interpolation between the two (so the knots are the in-memory
    path's to the last bit)."""
    order = np.argsort(values, kind="stable")
    v = np.asarray(values, dtype=float)[order]
    cum = np.cumsum(np.asarray(counts, dtype=np.int64)[order])
    n = int(cum[-1])
    out = []
    for p in np.atleast_1d(np.asarray(q, dtype=float)):
        h = (n - 1) * p
        i = int(np.floor(h))
        lo = v[np.searchsorted(cum, i, side="right")]
        hi = v[np.searchsorted(cum, min(i + 1, n - 1), side="right")]
        out.append(float(np.quantile(np.array([lo, hi]), h - i)))
    return np.asarray(out)


def pairs_table(
    table: Any,
    *,
    outcome: str,
    treatment: Sequence[str],
    lag: int,
    unit: str,
    time: str,
    cluster: str,
    controls: Sequence[str],
    sample: str,
) -> Any:
    """The dose-outcome pairs of :func:`~lbc_eval.questions.dose_curve.dose_pairs`, in the
    engine: ``unit``, ``time`` and ``cluster`` at the dose term, ``dose``, the outcome
    ``f"{outcome}[t+{lag}]"``, the controls and ``dose_lead`` at the outcome term (no
    ``supply``: the supply IV is not run out of core)."""
    t = table
    dose = sum((t[c].cast("float64") for c in treatment[1:]), t[treatment[0]].cast("float64"))
    ti = term_index_expr(t[time])
    paired = (t["mentor_role"] != "none").fill_null(False) if "mentor_role" in t.columns else None
    now = t.select(__u=t[unit], __t=ti, dose=dose, **{time: t[time], cluster: t[cluster]},
                   **({"__p": paired} if paired is not None else {}))  # fmt: skip
    if sample == "paired" and paired is not None:
        now = now.filter(now["__p"])
    y_t = f"{outcome}[t+{lag}]"
    nxt = t.select(__v=t[unit], __s=ti - lag, **{y_t: t[outcome].cast("float64")},
                   **{c: t[c] for c in controls}, dose_lead=dose)  # fmt: skip
    pairs = now.join(nxt, [now["__u"] == nxt["__v"], now["__t"] == nxt["__s"]])
    pairs = pairs.filter(pairs["dose"].notnull() & ~pairs["dose"].isnan())
    keep = [unit, time, cluster, "dose", y_t, *controls, "dose_lead"]
    return pairs.rename(**{unit: "__u"}).select(*dict.fromkeys(keep))


def dose_counts(pairs: Any, y_t: str) -> pd.DataFrame:
    """``dose, n, n_y``: the pairs per dose, and those with the outcome observed."""
    y = pairs[y_t]
    seen = (y.notnull() & ~y.isnan()).cast("int64")
    out = pairs.group_by("dose").aggregate(n=pairs.count(), n_y=seen.sum())
    return out.to_pyarrow().to_pandas().sort_values("dose", ignore_index=True)


def _check(counts: pd.DataFrame, *, lag: int, sample: str, dose_cols: list[str]) -> None:
    """:func:`~lbc_eval.questions.dose_curve.check_pairs` from the value counts."""
    total = int(counts["n"].sum())
    if total == 0:
        raise EstimationError(
            f"no child is observed in two terms {lag} apart"
            + (" after a mentored term" if sample == "paired" else "")
            + "; the dose-response needs a panel"
        )
    neg = int(counts.loc[counts["dose"] < 0, "n"].sum())
    if neg:
        raise EstimationError(
            f"the dose is negative in {neg:,} child-terms; contacts are counts: fix those "
            f"values (or the columns summed: {', '.join(dose_cols)})"
        )
    if len(counts) < 2:
        raise NoVariationError(
            f"the dose takes the single value {counts['dose'].iat[0]:g} in all {total:,} "
            f"child-terms: there is nothing to compare"
        )


def _basis(
    spline: str, df: int, scale: float | None, counts: pd.DataFrame
) -> tuple[list[float], Callable[[np.ndarray], np.ndarray], Callable[[Any], list[Any]]]:
    """Knots (or the scale), the basis on numbers and the same basis as Ibis expressions."""
    if spline == "natural":
        if df < 1:
            raise SpecError("df", f"the spline needs at least one basis function, got {df}")
        seen = counts[counts["n_y"] > 0]
        v, n = seen["dose"].to_numpy(float), seen["n_y"].to_numpy()
        hi = float(quantile(v, n, 0.95)[0])
        inner_ok = (v > 0) & (v < hi)
        inner = (
            quantile(v[inner_ok], n[inner_ok], np.linspace(0, 1, df + 1)[1:-1])
            if df > 1 and inner_ok.any()
            else []
        )
        if df > 1 and not inner_ok.any():  # numpy's error on an empty selection
            np.quantile(np.zeros(0), 0.5)
        knots = sorted({0.0, *map(float, inner), hi})
        if len(knots) < 2 or hi <= 0:
            raise EstimationError("the dose is zero almost everywhere: no curve to fit")
        return knots, (lambda x: natural_spline(x, knots)), (lambda e: _spline_expr(e, knots))
    if scale is None:
        raise OutOfCoreError(
            "spline='saturation' without scale chooses c0 by least squares over every row's "
            f"demeaned basis; on a lazy cohort pass scale=..., or {_COLLECT}"
        )
    if scale <= 0:
        raise SpecError("scale", f"must be positive, got {scale}")
    return [scale], (lambda x: saturation(x, scale)), (lambda e: [1 - (-e / scale).exp()])


def _spline_expr(x: Any, knots: Sequence[float]) -> list[Any]:
    """:func:`~lbc_eval.questions.dose_curve.natural_spline`'s columns as expressions."""
    import ibis

    last = knots[-1]

    def d(j: int) -> Any:
        a = ibis.greatest(x - knots[j], 0.0)
        b = ibis.greatest(x - last, 0.0)
        return (a * a * a - b * b * b) / (last - knots[j])

    return [x] + [d(j) - d(len(knots) - 2) for j in range(len(knots) - 2)]


def _bin(dose: Any, edges: list[int], j: int) -> Any:
    ok = dose >= edges[j]
    if j + 1 < len(edges):
        ok &= dose < edges[j + 1]
    return ok.cast("float64")


def fit_dose_response_lazy(
    data: Any,
    *,
    outcome: str,
    methods: Sequence[str] = ("within",),
    treatment: str | Sequence[str] = "contacts",
    lag: int = 1,
    bins: Sequence[int] = (0, 1, 3, 6),
    spline: str = "natural",
    df: int = 3,
    scale: float | None = None,
    unit: str = "student_id",
    time: str = "term",
    cluster: str = "school_id",
    controls: str | Sequence[str] = ("lb_status",),
    sample: str = "paired",
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> dict[str, Result]:
    """:func:`lbc_eval.fit_dose_response` (within method) of a lazy cohort, by method (module
    docstring); the arguments are its own."""
    table = lazy_table(data)
    check_option("spline", spline, ("natural", "saturation"))
    check_option("sample", sample, ("paired", "all"))
    for m in methods:
        check_option("method", m, ("within", "supply_iv"))
    if "supply_iv" in methods:
        raise OutOfCoreError(
            "method='supply_iv' instruments the dose by the school-term supply and needs the "
            f"first stage's fitted dose for every row: not out of core; {_COLLECT}"
        )
    dose_cols = list(CONTACT_COLUMNS) if treatment == "contacts" else as_list(treatment)
    ctrl = as_list(controls)
    roles = {"outcome": outcome, "treatment": dose_cols, "unit": unit, "time": time}
    roles |= {"cluster": cluster, "control": ctrl}
    check_columns(table, roles | ({"mentor_role": "mentor_role"} if sample == "paired" else {}))
    edges = check_bins(bins, lag)
    pairs = pairs_table(table, outcome=outcome, treatment=dose_cols, lag=lag, unit=unit,
                        time=time, cluster=cluster, controls=ctrl, sample=sample)  # fmt: skip
    y_t = f"{outcome}[t+{lag}]"
    counts = dose_counts(pairs, y_t)
    _check(counts, lag=lag, sample=sample, dose_cols=dose_cols)
    Z, zkinds = regressors(pairs, [], ctrl)
    notes: list[str] = []

    def within(X: dict[str, Any], fes: list[str], n_treat: int, extra: Mapping = ()) -> MomentFit:
        m, found, _ = lazy_design(pairs, outcome=y_t, X={**X, **Z}, fixed_effects=fes,
                                  cluster=[cluster], absorb=unit if unit in fes else None,
                                  extra=dict(extra))  # fmt: skip
        notes.extend(n for n in found if n not in notes)
        kinds = ["treatment"] * n_treat + ["control"] * len(Z)
        return fit_moments(m, fe_names=fes, kinds=kinds)

    labels = bin_labels(edges)
    dose = pairs["dose"]
    Xb = {f"dose[{lab}]": _bin(dose, edges, j) for j, lab in enumerate(labels) if j}
    binned = within(Xb, [unit, time], len(labels) - 1,
                    {f"__bin{j}": _bin(dose, edges, j) for j in range(len(labels))})  # fmt: skip
    knots, basis, expr = _basis(spline, df, scale, counts)
    cols = expr(dose)
    k = len(cols)
    smooth = within({f"f{j + 1}": c for j, c in enumerate(cols)}, [unit, time], k)
    naive = within({"dose": dose}, [time], 1)
    v, n = counts["dose"].to_numpy(float), counts["n"].to_numpy()
    delta = np.zeros(len(smooth.names))
    delta[:k] = ((basis(v + 1) - basis(v)) * n[:, None]).sum(axis=0) / n.sum()
    hyps: dict[str, tuple[Any, np.ndarray]] = {
        name: (binned, np.eye(len(binned.names))[j])
        for j, name in enumerate(binned.names[: len(edges) - 1])
    }
    hyps["ame"] = (smooth, delta)
    hyps["ame_naive"] = (naive, np.eye(len(naive.names))[0])
    boot = BootOptions(reps=reps, boot_weights=boot_weights, seed=seed)
    diagnostics = _diagnostics(pairs, y_t, cols, Z, unit, time, cluster, inference, boot, alpha)
    rows = linear_rows(hyps, fit=binned, inference=inference, boot=boot, alpha=alpha,
                       outcome=outcome)  # type: ignore[arg-type]  # fmt: skip
    comparable = sorted(dose_cols) == sorted(CONTACT_COLUMNS) and lag == 1 and sample == "paired"
    lines = describe(outcome, dose_cols, lag, sample, ctrl, spline, comparable, knots=knots,
                     scale=scale if spline != "natural" else None, n_pairs=int(n.sum()),
                     naive_nobs=naive.design.nobs, notes=notes)  # fmt: skip
    why = f"not computed on a lazy cohort (the supply IV needs every row); {_COLLECT}"
    lines.append(f"supply-IV check not computed: {why}")
    used = _used_doses(binned, edges)
    tables = {
        # the curve's range is the 0.99 quantile of the doses: a one-value array gives it back
        "curve": curve_table(smooth, basis, k, np.array([quantile(v, n, 0.99)[0]]), alpha),  # type: ignore[arg-type]
        "bins": _bin_table(binned, edges),
        "basis": pd.DataFrame(
            {
                "spline": spline,
                "knot": [float(x) for x in knots] if spline == "natural" else [np.nan],
                "scale": np.nan if scale is None or spline == "natural" else float(scale),
            }
        ),  # fmt: skip
    }
    formula = f"{y_t} ~ f(dose[t]) + {' + '.join(ctrl) or '0'} | {unit} + {time}"
    result = Result(
        estimator="dose_response",
        table=rows.table,
        outcome=outcome,
        nobs=binned.design.nobs,
        cov_type=rows.cov_type,
        formula=formula,
        n_clusters=binned.n_clusters,
        alpha=alpha,
        notes=(*lines, *rows.notes),
        warnings=tuple(rows.warnings),
        raw={"binned": binned, "smooth": smooth, "naive": naive, "iv": None},
        diagnostics=diagnostics,
        tables=tables,
        tests=rows.tests,
        truth_lookup=_truth_lookup(outcome, used) if comparable else None,
    )
    return {"within": result}


def _diagnostics(
    pairs: Any, y_t: str, cols: list[Any], Z: dict[str, Any], unit: str, time: str,
    cluster: str, inference: Inference, boot: BootOptions, alpha: float,
) -> pd.DataFrame:  # fmt: skip
    """``lead_placebo`` fitted in the engine; the two supply-IV rows NA, saying why."""
    X = {**{f"f{j + 1}": c for j, c in enumerate(cols)}, "dose_lead": pairs["dose_lead"], **Z}
    try:
        m, _, _ = lazy_design(pairs, outcome=y_t, X=X, fixed_effects=[unit, time],
                              cluster=[cluster], absorb=unit)  # fmt: skip
        fit = fit_moments(m, fe_names=[unit, time],
                          kinds=["treatment"] * (len(cols) + 1) + ["control"] * len(Z))  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lead = lead_result(fit, inference=inference, boot=boot, alpha=alpha)  # type: ignore[arg-type]
    except EstimationError as e:
        lead = _na("lead_placebo", f"the lead check could not be computed: {e}")
    reason = (f"the supply-IV estimate could not be computed: not on a lazy cohort (it needs "
              f"the first stage's fitted dose for every row); {_COLLECT}")  # fmt: skip
    return diagnostics_frame([lead, _na("first_stage", reason), _na("iv_vs_within", reason)])


def _na(check: str, message: str) -> dict:
    return {"check": check, "statistic": np.nan, "df": np.nan, "p_value": np.nan,
            "passed": pd.NA, "message": message}  # fmt: skip


def _bin_table(binned: MomentFit, edges: list[int]) -> pd.DataFrame:
    """``bin, n, mean_dose`` over the binned fit's rows (from its per-cluster sums)."""
    labels = bin_labels(edges)
    ex = binned.moments.extra
    n = [int(round(ex[f"__bin{j}"].sum())) for j in range(len(labels))]
    doses = _used_doses(binned, edges)
    mean = [float(np.average(v, weights=c)) if c.sum() else np.nan for v, c in doses.values()]
    return pd.DataFrame({"bin": labels, "n": n, "mean_dose": mean})


def _used_doses(binned: MomentFit, edges: list[int]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The binned fit's doses in each bin as (values, counts), by row name: one query of the
    rows it used (cached on the fit)."""
    from lbc_eval.scale.within_rows import value_counts

    key = "used_doses"
    if key not in binned.cache:
        vc = value_counts(binned.moments, "dose")
        v, c = vc["value"].to_numpy(float), vc["n"].to_numpy()
        which = np.searchsorted(edges, v, side="right") - 1
        binned.cache[key] = {
            f"dose[{lab}]": (v[which == j], c[which == j])
            for j, lab in enumerate(bin_labels(edges))
        }
    return binned.cache[key]


def _truth_lookup(outcome: str, used: dict[str, tuple[np.ndarray, np.ndarray]]) -> Any:
    """:func:`~lbc_eval.questions.dose_curve.truth_lookup` with each bin's doses as value
    counts: the mean of the true curve over them is a weighted mean."""

    def lookup(truth: Mapping[str, Any], tidy: pd.DataFrame) -> list[float]:
        dr = truth.get("dose_response", {}).get(outcome)
        if dr is None:
            return [np.nan] * len(tidy)
        grid, curve = np.asarray(dr["grid"], float), np.asarray(dr["curve"], float)

        def mean(v: np.ndarray, c: np.ndarray) -> float:
            return float(np.average(np.interp(v, grid, curve), weights=c))

        ref = next(iter(used.values()))
        base = mean(*ref) if ref[1].sum() else 0.0
        out = []
        for term in tidy["term"]:
            if term in ("ame", "ame_within", "ame_naive"):
                out.append(float(dr["ame"]))
            elif term in used and used[term][1].sum():
                out.append(mean(*used[term]) - base)
            else:
                out.append(np.nan)
        return out

    return lookup
