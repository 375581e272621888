r""":func:`lbc_eval.fit_fe` on a lazy table (a :class:`~lbc_eval.data.lazy.LazyCohort`'s panel).

The same model, rules and result as the in-memory path (:mod:`lbc_eval.estimation.fe`), with
the rows left in the engine: one aggregate pass counts what is missing or infinite (the notes),
one pass sums the within moments by cluster (:mod:`lbc_eval.scale.within`), and
:mod:`lbc_eval.estimation.moments` solves them (with tens of thousands of clusters, as when
clustering by the child, the sums are one group and a third pass sums CRV1's meat). Equal to
the in-memory fit to rounding: the fixed effect with most levels (the ``unit``) is swept out
by its means, the others are dummies, solved exactly; the in-memory path sweeps them out in
closed form or by alternating projections to a relative tolerance of :math:`10^{-10}`. The
wild cluster bootstrap runs from the per-cluster sums (see
:func:`lbc_eval.estimation.moments.wild_pieces`).

Data types: a numeric or boolean treatment or control is cast to a double; a text or
categorical control becomes dummies for the levels present, in the codebook's order for a
codebook category (the order of the in-memory categorical), sorted otherwise. ``NULL`` and
``NaN`` are missing, as pandas' ``NaN`` and ``NA`` are.

What it cannot do, and says so (:class:`~lbc_eval.errors.OutOfCoreError`): two
high-dimensional fixed effects (child and school: the small one must have at most
:data:`~lbc_eval.scale.within.MAX_DUMMIES` levels), heteroskedasticity-robust errors without a
cluster (they need every row's residual), and the wild bootstrap with weights when the absorbed
effect cuts across the clusters, or with more than
:data:`~lbc_eval.estimation.moments.MAX_WILD_CLUSTERS` clusters.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from lbc_eval.data import codebook
from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    MissingDataError,
    NoVariationError,
    OutOfCoreError,
)
from lbc_eval.estimation.checks import Columns, check_option, fe_arguments
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.inference.wild import BOOT_WEIGHTS, BootWeights
from lbc_eval.estimation.moments import MomentFit, fit_moments
from lbc_eval.estimation.results import Result
from lbc_eval.scale import within as sw

_COLLECT = (
    "collect the rows you need into memory (LazyCohort.collect(terms=..., columns=...), or "
    "filter the Ibis table and lazy.to_frame) and fit there"
)


def lazy_table(data: Any) -> Any:
    """The Ibis table of ``data`` (an Ibis table, or a lazy cohort's panel), else None."""
    if sw.is_lazy(data):
        return data
    panel = getattr(data, "panel", None)
    return panel if sw.is_lazy(panel) else None


def regressors(
    table: Any, treatment: Sequence[str], controls: Sequence[str]
) -> tuple[dict[str, Any], list[str]]:
    """Treatments (numeric) and controls (numeric, or categorical as dummies) as Ibis
    expressions, named as :func:`lbc_eval.estimation.fe.regressors` names them.

    A categorical control's levels are those present in the table, in the codebook's order
    (the order of the in-memory categorical) or, for a column the codebook does not know as
    a category, sorted; every level but the first gets a dummy, NULL where the control is.
    """
    cols: dict[str, Any] = {}
    kinds: list[str] = []
    for t in treatment:
        typ = table[t].type()
        if not (typ.is_numeric() or typ.is_boolean()):
            raise EstimationError(
                f"treatment {t!r} is not numeric (type {typ}); pass a number or a 0/1 "
                f"column, or put a categorical variable in controls"
            )
        cols[t] = sw.as_float(table[t])
        kinds.append("treatment")
    for c in controls:
        typ = table[c].type()
        if typ.is_numeric() or typ.is_boolean():
            cols[c] = sw.as_float(table[c])
            kinds.append("control")
            continue
        present = sw.distinct(table, c)
        known = [c_.levels for c_ in codebook.columns("panel") if c_.name == c and c_.levels]
        if known:
            order = list(known[0])
            present = [lv for lv in order if lv in present]
        for lv in present[1:]:
            cols[f"{c}[{lv}]"] = (table[c] == lv).cast("float64")
            kinds.append("control")
    return cols, kinds


def lazy_design(
    table: Any,
    *,
    outcome: str,
    X: dict[str, Any],
    fixed_effects: Sequence[str],
    cluster: Sequence[str],
    weights: str | None = None,
    drop_singletons: bool = True,
    treatments: Sequence[str] = (),
    absorb: str | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[sw.Moments, list[str], list[str]]:
    """The moments of a fixed-effects regression, with the notes and warnings of the rows
    dropped, as :func:`lbc_eval.estimation.fe.make_design` words them.

    Also the checks :func:`lbc_eval.fit_fe` makes first (outcome present somewhere,
    ``treatments`` varying where the outcome is present), from the same pass. ``absorb`` is
    the fixed effect to sweep out (default: the one with most levels, by an approximate
    count); the others become dummies. ``extra``: more sums over the rows used, per cluster
    (:attr:`~lbc_eval.scale.within.Moments.extra`).
    """
    if not cluster:
        raise OutOfCoreError(
            "heteroskedasticity-robust (HC1) errors without a cluster variable need every "
            "row's residual, which a lazy table does not bring into memory: pass cluster=... "
            f"(e.g. the unit), or {_COLLECT}"
        )
    absorbed, dummies = _split_effects(table, fixed_effects, absorb)
    spec = sw.Spec(table=table, y=table[outcome], X=X, absorbed=absorbed, dummies=dummies,
                   clusters=tuple(cluster), weights=weights, extra=extra or {})  # fmt: skip
    m = sw.moments(spec, report=[*fixed_effects, *cluster], drop_singletons=drop_singletons)
    prof = m.profile
    total = prof["rows"]
    if prof["y_present"] == 0:
        raise MissingDataError(
            f"outcome {outcome!r} is missing in all {total:,} rows: nothing to estimate. "
            f"Check the column (was it read with the right header?) or choose another outcome"
        )
    for t in treatments:
        lo, hi, n = prof["slopes"][list(X).index(t)]
        if n == 0 or lo == hi:
            seen = f"the single value {lo:g}" if n else "no value at all"
            raise NoVariationError(
                f"treatment {t!r} takes {seen} in every row: there is nothing to compare. "
                f"Check the column, or estimate on data where it varies"
            )
    notes, warns = _row_notes(prof, outcome, total)
    usable = prof["complete"] - prof["any_infinite"]
    if fixed_effects and drop_singletons and m.nobs < usable:
        notes.append(
            f"{usable - m.nobs:,} singleton rows left out (alone in a level of "
            f"{' or '.join(fixed_effects)}; they carry no within variation)"
        )
    if m.nobs == 0:
        raise MissingDataError(
            f"every usable row is a singleton of {' or '.join(fixed_effects)}: no "
            f"{fixed_effects[0]} is observed twice"
        )
    if fixed_effects:
        first = fixed_effects[0]
        every = prof["levels_all"] if first == absorbed else len(dict(dummies)[first])
        lost = every - _levels_used(m, first)
        if lost:
            notes.append(
                f"{lost:,} {fixed_effects[0]} levels have no usable row (all missing or singletons)"
            )
    for c in cluster if m.by_cluster else ():  # else thousands of clusters (scale.within)
        if m.labels[c].nunique() < 2:
            raise NoVariationError(
                f"cluster variable {c!r} has a single value in the {m.nobs:,} rows used: "
                f"cluster-robust inference needs at least two clusters (and about 50 for "
                f"CRV1, or the wild cluster bootstrap below that). Cluster by a finer unit"
            )
    return m, notes, warns


def _split_effects(
    table: Any, fixed_effects: Sequence[str], absorb: str | None = None
) -> tuple[str | None, tuple[tuple[str, tuple[Any, ...]], ...]]:
    """The fixed effect to sweep out (``absorb``, or the one with most levels) and the others
    as dummies, each with its levels."""
    fes = list(dict.fromkeys(fixed_effects))
    if not fes:
        return None, ()
    if len(fes) == 1:
        return fes[0], ()
    if absorb not in fes:
        sizes = table.aggregate(**{f"n{j}": table[f].approx_nunique() for j, f in enumerate(fes)})
        n = sizes.to_pyarrow().to_pylist()[0]
        absorb = fes[int(np.argmax([int(n[f"n{j}"]) for j in range(len(fes))]))]
    small = [f for f in fes if f != absorb]
    levels = {f: tuple(sw.distinct(table, f)) for f in small}
    if sum(len(v) for v in levels.values()) > sw.MAX_DUMMIES:
        raise OutOfCoreError(
            f"fixed effects {', '.join(fes)}: on a lazy table one is swept out ({absorb}) and "
            f"the others become dummies, at most {sw.MAX_DUMMIES} in all; "
            f"{', '.join(small)} have {sum(len(v) for v in levels.values()):,} levels. Two "
            f"high-dimensional fixed effects need alternating projections over the rows: "
            f"{_COLLECT}"
        )
    return absorb, tuple(levels.items())


def _row_notes(prof: dict[str, Any], outcome: str, total: int) -> tuple[list[str], list[str]]:
    """Notes and warnings on rows missing or infinite (``fe._complete_rows``'s words)."""
    notes: list[str] = []
    warns: list[str] = []
    if prof["complete"] == 0:
        present = [(name, total - k) for name, k in prof["missing"]]
        worst = min(present, key=lambda p: p[1])[0]
        raise MissingDataError(
            f"no row has every variable: {worst!r} is missing wherever {outcome!r} is "
            f"observed. Drop that variable or fill it in"
        )
    missing = total - prof["complete"]
    if missing:
        by = ", ".join(f"{c if c != '__y' else outcome} {v:,}" for c, v in prof["missing"] if v)
        notes.append(f"{missing:,} of {total:,} rows left out for missing values ({by})")
    if prof["any_infinite"]:
        by = ", ".join(f"{c if c != '__y' else outcome} {v:,}" for c, v in prof["infinite"] if v)
        text = f"{prof['any_infinite']:,} of {total:,} rows left out for infinite values ({by})"
        if prof["any_infinite"] == prof["complete"]:
            raise MissingDataError(
                f"every row with all variables has an infinite value ({by}): nothing to "
                f"estimate. Check how the columns were computed (a log of zero? a division by "
                f"zero?)"
            )
        notes.append(text)
        warns.append(text)
    if prof["nonpositive"]:
        w = [c for c, _ in prof["missing"]][-1]
        raise EstimationError(
            f"weights {w!r} must be positive; {prof['nonpositive']:,} rows have zero or "
            f"negative weight. Drop those rows first"
        )
    if missing > 0.2 * total:
        warns.append(f"{missing:,} of {total:,} rows ({missing / total:.0%}) have a missing value")
    return notes, warns


def _levels_used(m: sw.Moments, fe: str) -> int:
    if fe == m.absorbed:
        return int(round(float(m.units.sum())))
    j = m.n_slopes
    counts = m.raw[:, m.n_slopes :].sum(axis=0)
    for f, levels in m.dummies:
        if f == fe:
            return int((counts[j - m.n_slopes : j - m.n_slopes + len(levels)] > 0.5).sum())
        j += len(levels)
    return 0  # pragma: no cover


def constant_within(m: sw.Moments, fe_names: Sequence[str]) -> Any:
    """For rank errors: the first fixed effect within whose every level slope ``j`` is
    constant (to :math:`10^{-12}\\max|x|`), by a query over the complete rows."""

    def where(j: int) -> str:
        spec = m.spec
        t = spec.table.filter(spec.complete())
        x = sw.as_float(list(spec.X.values())[j])
        top = t.aggregate(a=x.abs().max()).to_pyarrow().to_pylist()[0]["a"] or 0.0
        for f in fe_names:
            spread = t.group_by(f).aggregate(s=x.max() - x.min())
            worst = spread.aggregate(m=spread.s.max()).to_pyarrow().to_pylist()[0]["m"] or 0.0
            if worst <= 1e-12 * top:
                return f
        return ""

    return where


def fit_fe_lazy(
    data: Any,
    *,
    outcome: str,
    treatment: Columns,
    unit: str | None = None,
    time: str | None = None,
    cluster: Columns | None = None,
    controls: Columns = (),
    fixed_effects: Columns = (),
    weights: str | None = None,
    inference: Inference = "auto",
    alpha: float = 0.05,
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
    drop_singletons: bool = True,
) -> Result:
    """:func:`lbc_eval.fit_fe` on an Ibis table (module docstring); same arguments, same
    :class:`~lbc_eval.estimation.results.Result` (``raw`` a
    :class:`~lbc_eval.estimation.moments.MomentFit`)."""
    table = lazy_table(data)
    treatments, ctrl, fes, clusters = fe_arguments(
        table, outcome=outcome, treatment=treatment, unit=unit, time=time,
        fixed_effects=fixed_effects, cluster=cluster, controls=controls, weights=weights,
        inference=inference,
    )
    check_option("boot_weights", boot_weights, ("auto", *BOOT_WEIGHTS))
    X, kinds = regressors(table, treatments, ctrl)
    m, notes, warns = lazy_design(
        table, outcome=outcome, X=X, fixed_effects=fes, cluster=clusters, weights=weights,
        drop_singletons=drop_singletons, treatments=treatments, absorb=unit,
    )  # fmt: skip
    fit = fit_moments(m, fe_names=fes, kinds=kinds, constant_within=constant_within(m, fes))
    for w in warns:
        warnings.warn(w, DroppedRowsWarning, stacklevel=3)
    return finish(fit, outcome=outcome, fes=fes, treatments=treatments, notes=notes,
                  warns=warns, inference=inference, alpha=alpha,
                  boot=BootOptions(reps=reps, boot_weights=boot_weights, seed=seed))  # fmt: skip


def finish(
    fit: MomentFit,
    *,
    outcome: str,
    fes: Sequence[str],
    treatments: Sequence[str],
    notes: Sequence[str],
    warns: Sequence[str],
    inference: Inference,
    alpha: float,
    boot: BootOptions,
) -> Result:
    """The ``Result`` of :func:`lbc_eval.fit_fe` from a fit (the in-memory path's last steps)."""
    names = fit.design.names
    hyps = {name: (fit, np.eye(len(names))[j]) for j, name in enumerate(names)}
    rows = linear_rows(
        hyps,  # type: ignore[arg-type]
        fit=fit,  # type: ignore[arg-type]
        inference=inference,
        boot=boot,
        alpha=alpha,
        outcome=outcome,
        wild_terms=set(treatments),
    )
    formula = f"{outcome} ~ {' + '.join(names)}" + (f" | {' + '.join(fes)}" if fes else "")
    return Result(
        estimator="fe",
        table=rows.table,
        outcome=outcome,
        nobs=fit.design.nobs,
        cov_type=rows.cov_type,
        formula=formula,
        n_clusters=fit.n_clusters,
        alpha=alpha,
        notes=(*notes, *rows.notes),
        warnings=(*warns, *rows.warnings),
        raw=fit,
        tests=rows.tests,
    )
