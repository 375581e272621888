r"""Fixed-effects regression for panels: :func:`fit_fe`.

Examples
--------
>>> import lbc_eval
>>> cohort = lbc_eval.simulate(lbc_eval.SynthSpec.preset("small", n_children=600, seed=1))
>>> p = cohort.panel.assign(contacts=cohort.panel[["talks", "home_visits"]].sum(axis=1))
>>> r = lbc_eval.fit_fe(p, outcome="sdq_total", treatment="contacts", unit="student_id",
...                     time="term", cluster="school_id", inference="crv1")  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.errors import (
    DroppedRowsWarning,
    EstimationError,
    MissingDataError,
    NoVariationError,
)
from lbc_eval.estimation.checks import Columns, check_option, fe_arguments
from lbc_eval.estimation.fe_lazy import fit_fe_lazy, lazy_table
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.inference.wild import BOOT_WEIGHTS, BootWeights
from lbc_eval.estimation.results import Result
from lbc_eval.estimation.within import Design, fit_within, recode, singletons


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(s) or (
        pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype)
    )


def regressors(
    data: pd.DataFrame, treatment: Sequence[str], controls: Sequence[str]
) -> tuple[pd.DataFrame, list[str]]:
    """Treatments (numeric) and controls (numeric, or categorical expanded to dummies).

    A categorical or text control ``c`` becomes ``c[level]`` dummies for every level but the
    first (the reference); rows where it is missing stay missing.
    """
    cols: dict[str, pd.Series] = {}
    kinds: list[str] = []
    for t in treatment:
        s = data[t]
        if not _is_numeric(s):
            raise EstimationError(
                f"treatment {t!r} is not numeric (dtype {s.dtype}); pass a number or a 0/1 "
                f"column, or put a categorical variable in controls"
            )
        cols[t] = s.astype("float64")
        kinds.append("treatment")
    for c in controls:
        s = data[c]
        if _is_numeric(s):
            cols[c] = s.astype("float64")
            kinds.append("control")
            continue
        cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
        present = [lv for lv in cat.cat.categories if (cat == lv).any()]
        miss = cat.isna()
        for lv in present[1:]:
            cols[f"{c}[{lv}]"] = (cat == lv).astype("float64").mask(miss)
            kinds.append("control")
    return pd.DataFrame(cols, index=data.index), kinds


def make_design(
    data: pd.DataFrame,
    *,
    outcome: str,
    X: pd.DataFrame,
    fixed_effects: Sequence[str],
    cluster: Sequence[str],
    weights: str | None = None,
    drop_singletons: bool = True,
) -> tuple[Design, list[str], list[str]]:
    """Arrays of a fixed-effects regression, with notes and warnings on the rows dropped.

    Rows missing the outcome, a regressor, a fixed effect, a cluster or the weight are left
    out; so are rows with ``inf``/``-inf`` in the outcome, a regressor or the weight (a note
    and a warning give the count per column, as pyfixest 0.60.0 drops and reports them) and
    singletons (rows alone in a fixed-effect level, which carry no information within it).
    Raises :class:`MissingDataError` when nothing is left.
    """
    y = check_outcome(data, outcome)
    idx, missing, notes, warns = _complete_rows(data, y, X, outcome,
                                                [*fixed_effects, *cluster], weights)  # fmt: skip
    if missing > 0.2 * len(data):
        warns.append(
            f"{missing:,} of {len(data):,} rows ({missing / len(data):.0%}) have a missing value"
        )
    idx, fe = _fixed_effect_codes(data, idx, fixed_effects, drop_singletons, notes)
    sub = data[list(dict.fromkeys([*cluster, *([weights] if weights else [])]))].iloc[idx]
    codes, labels = _cluster_codes(sub, cluster)
    design = Design(
        y=y.to_numpy()[idx],
        X=X.to_numpy(dtype="float64")[idx],
        names=tuple(X.columns),
        fe=fe,
        fe_names=tuple(fixed_effects),
        clusters=codes,
        cluster_names=tuple(cluster),
        cluster_labels=labels,
        weights=sub[weights].to_numpy(dtype="float64") if weights else None,
        rows=idx,
    )
    return design, notes, warns


def _complete_rows(
    data: pd.DataFrame,
    y: pd.Series,
    X: pd.DataFrame,
    outcome: str,
    keys: list[str],
    weights: str | None,
) -> tuple[np.ndarray, int, list[str], list[str]]:
    """Positions of the rows with every variable finite (and a positive weight), how many
    were missing, and the notes and warnings that say what was left out.

    Rows with a missing value are counted first; of the rest, rows with ``inf`` or ``-inf``
    in the outcome, a regressor or the weight are left out too, as pyfixest does (see
    :func:`_infinite_rows`).
    """
    need = pd.concat([y.rename("__y"), X, data[[*keys, *([weights] if weights else [])]]], axis=1)
    complete = need.notna().all(axis=1).to_numpy()
    if not complete.any():
        worst = need.notna().sum().idxmin()
        raise MissingDataError(
            f"no row has every variable: {worst!r} is missing wherever {outcome!r} is "
            f"observed. Drop that variable or fill it in"
        )
    notes: list[str] = []
    missing = int((~complete).sum())
    if missing:
        by = ", ".join(
            f"{c if c != '__y' else outcome} {int(v):,}" for c, v in need.isna().sum().items() if v
        )
        notes.append(f"{missing:,} of {len(data):,} rows left out for missing values ({by})")
    values = need[["__y", *X.columns, *([weights] if weights else [])]].rename(
        columns={"__y": outcome}
    )
    infinite, warns = _infinite_rows(values, complete, notes)
    idx = np.nonzero(complete & ~infinite)[0]
    if weights:
        w = data[weights].to_numpy(dtype="float64")[idx]
        if (w <= 0).any():
            raise EstimationError(
                f"weights {weights!r} must be positive; {int((w <= 0).sum()):,} rows have "
                f"zero or negative weight. Drop those rows first"
            )
    return idx, missing, notes, warns


def _infinite_rows(
    values: pd.DataFrame, complete: np.ndarray, notes: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Rows (among the ``complete`` ones) with ``inf`` or ``-inf`` in a column of ``values``.

    pyfixest 0.60.0 ``feols`` drops such rows (after those with missing values, before
    singletons) and warns "k rows with infinite values dropped from the model"; fixest drops
    them too. The kit does the same: a note and a :class:`DroppedRowsWarning` name the count
    per column. :class:`MissingDataError` when no row is left.
    """
    arr = values.to_numpy(dtype="float64")
    bad = np.isinf(arr) & complete[:, None]
    rows = bad.any(axis=1)
    if not rows.any():
        return rows, []
    counts = zip(values.columns, bad.sum(axis=0), strict=True)
    by = ", ".join(f"{c} {int(v):,}" for c, v in counts if v)
    text = f"{int(rows.sum()):,} of {len(rows):,} rows left out for infinite values ({by})"
    if rows.sum() == complete.sum():
        raise MissingDataError(
            f"every row with all variables has an infinite value ({by}): nothing to estimate. "
            f"Check how the columns were computed (a log of zero? a division by zero?)"
        )
    notes.append(text)
    return rows, [text]


def _fixed_effect_codes(
    data: pd.DataFrame,
    idx: np.ndarray,
    fixed_effects: Sequence[str],
    drop_singletons: bool,
    notes: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """Consecutive integer codes of the fixed effects on rows ``idx``, singletons left out
    (``notes`` gets a line for each kind of row or level lost)."""
    if not fixed_effects:
        return idx, np.zeros((len(idx), 1), dtype=np.int64)
    full = [pd.factorize(data[f])[0] for f in fixed_effects]  # order does not matter here
    fe = recode(np.column_stack([c[idx] for c in full]).astype(np.int64))
    if drop_singletons:
        drop = singletons(fe)
        if drop.any():
            notes.append(
                f"{int(drop.sum()):,} singleton rows left out (alone in a level of "
                f"{' or '.join(fixed_effects)}; they carry no within variation)"
            )
            idx, fe = idx[~drop], recode(fe[~drop])
    if len(idx) == 0:
        raise MissingDataError(
            f"every usable row is a singleton of {' or '.join(fixed_effects)}: no "
            f"{fixed_effects[0]} is observed twice"
        )
    lost = int(full[0].max()) + 1 - (int(fe[:, 0].max()) + 1)
    if lost:
        notes.append(
            f"{lost:,} {fixed_effects[0]} levels have no usable row (all missing or singletons)"
        )
    return idx, fe


def _cluster_codes(
    sub: pd.DataFrame, cluster: Sequence[str]
) -> tuple[np.ndarray, tuple[np.ndarray, ...]]:
    """Integer codes (one column per clustering variable) and the labels behind them."""
    codes, labels = [], []
    for c in cluster:
        code, lab = pd.factorize(sub[c], sort=True)
        codes.append(code)
        labels.append(np.asarray(lab))
        if len(lab) < 2:
            raise NoVariationError(
                f"cluster variable {c!r} has a single value in the {len(sub):,} rows used: "
                f"cluster-robust inference needs at least two clusters (and about 50 for CRV1, "
                f"or the wild cluster bootstrap below that). Cluster by a finer unit, or pass "
                f"cluster=None for heteroskedasticity-robust errors"
            )
    if not codes:
        return np.zeros((len(sub), 0), dtype=np.int64), ()
    return np.column_stack(codes).astype(np.int64), tuple(labels)


def check_outcome(data: pd.DataFrame, outcome: str) -> pd.Series:
    """The outcome as floats; :class:`MissingDataError` when it is missing in every row."""
    y = pd.to_numeric(data[outcome], errors="coerce").astype("float64")
    if y.isna().all():
        raise MissingDataError(
            f"outcome {outcome!r} is missing in all {len(data):,} rows: nothing to estimate. "
            f"Check the column (was it read with the right header?) or choose another outcome"
        )
    return y


def check_treatment_varies(X: pd.DataFrame, names: Sequence[str]) -> None:
    """:class:`NoVariationError` when a treatment takes one value in every row."""
    for t in names:
        vals = X[t].dropna().unique()
        if len(vals) <= 1:
            seen = f"the single value {vals[0]:g}" if len(vals) else "no value at all"
            raise NoVariationError(
                f"treatment {t!r} takes {seen} in every row: there is nothing to compare. "
                f"Check the column, or estimate on data where it varies"
            )


def fit_fe(
    data: pd.DataFrame | Any,
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
    r"""Linear regression with unit and time fixed effects, cluster-robust by default.

    Parameters
    ----------
    data : DataFrame, Ibis table or LazyCohort
        One row per unit and period (e.g. the cohort ``panel``). An Ibis table (a
        :class:`~lbc_eval.data.lazy.LazyCohort`'s ``panel``, or the cohort itself) is fitted
        out of core, in its engine: the same result to rounding, from per-cluster moments
        (:mod:`lbc_eval.estimation.fe_lazy`; one fixed effect swept out, the others as
        dummies, so at most one of them may have many levels).
    outcome : str
    treatment : str or list of str
        Numeric regressors whose effects are reported first.
    unit, time : str, optional
        Fixed effects to absorb (e.g. ``"student_id"``, ``"term"``).
    cluster : str or list of two str, optional
        Cluster variable(s); default ``unit`` (as fixest), or heteroskedasticity-robust HC1
        when there is no unit either. Two names give two-way clustering.
    controls : str or list of str
        Further regressors; categorical ones become dummies (first level the reference).
    fixed_effects : str or list of str
        Further fixed effects to absorb.
    weights : str, optional
        Column of positive analytic weights (weighted least squares).
    inference : {"auto", "crv1", "wild"}
        ``"auto"``: CRV1 with :math:`t(G-1)` when there are 50 or more clusters, the wild
        cluster bootstrap below that (with a :class:`~lbc_eval.errors.FewClustersWarning`).
    alpha : float
        1 - confidence level.
    reps : int
        Wild bootstrap draws.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        The bootstrap weight distribution (``"auto"``: Rademacher from 12 clusters, Webb
        below); see :func:`lbc_eval.wild_bootstrap`.
    seed : int or None
        Seed of the bootstrap draws.
    drop_singletons : bool
        Leave out rows alone in a fixed-effect level (default, as reghdfe and pyfixest).

    Returns
    -------
    Result
        One row per treatment and control; ``raw`` is the
        :class:`~lbc_eval.estimation.within.WithinFit` and ``tests`` the fit behind each row
        (with its bootstrap test, if any).

    Notes
    -----
    .. math:: y_{it} = \alpha_i + \lambda_t + x_{it}'\beta + \varepsilon_{it}

    estimated by OLS after sweeping out :math:`\alpha_i, \lambda_t` (alternating projections,
    no dummy matrices). CRV1 covariance with fixest's small-sample factor
    :math:`\frac{G}{G-1}\frac{N-1}{N-K}`; two-way clustering as Cameron, Gelbach & Miller
    (2011). Point estimates and standard errors equal ``pyfixest.feols`` with the same
    fixed effects and ``vcov={"CRV1": cluster}``. The wild cluster bootstrap (WCR, null
    imposed) gives p-values and confidence intervals by test inversion; ``std_error`` stays
    CRV1.

    The alternating projections stop on a criterion relative to each column's scale (see
    :func:`lbc_eval.estimation.within.demean`), so the fit does not depend on the units:
    multiplying the outcome by :math:`c` multiplies estimates and standard errors by
    :math:`c`, multiplying a regressor by :math:`c` divides its estimate and standard error
    by :math:`c`, and an outcome in the tens of millions converges.

    Rows with ``inf`` or ``-inf`` in the outcome, a regressor or the weights are left out,
    as pyfixest 0.60.0 ``feols`` does ("k rows with infinite values dropped from the
    model"; fixest drops them too): the result's ``notes`` give the count per column, after
    the rows with missing values, and a :class:`~lbc_eval.errors.DroppedRowsWarning` is
    raised. Singletons are then looked for among the rows left.

    Examples
    --------
    >>> import lbc_eval  # doctest: +SKIP
    >>> c = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
    >>> lbc_eval.fit_fe(c.panel, outcome="math", treatment="tutoring_hours",
    ...                 unit="student_id", time="term", cluster="school_id")  # doctest: +SKIP
    """
    if lazy_table(data) is not None:  # an Ibis table or a lazy cohort: moments in the engine
        return fit_fe_lazy(data, outcome=outcome, treatment=treatment, unit=unit, time=time,
                           cluster=cluster, controls=controls, fixed_effects=fixed_effects,
                           weights=weights, inference=inference, alpha=alpha, reps=reps,
                           boot_weights=boot_weights, seed=seed,
                           drop_singletons=drop_singletons)  # fmt: skip
    treatments, ctrl, fes, clusters = fe_arguments(
        data, outcome=outcome, treatment=treatment, unit=unit, time=time,
        fixed_effects=fixed_effects, cluster=cluster, controls=controls, weights=weights,
        inference=inference,
    )
    check_option("boot_weights", boot_weights, ("auto", *BOOT_WEIGHTS))
    X, kinds = regressors(data, treatments, ctrl)
    check_outcome(data, outcome)
    check_treatment_varies(X.loc[data[outcome].notna()], treatments)
    design, notes, warns = make_design(
        data,
        outcome=outcome,
        X=X,
        fixed_effects=fes,
        cluster=clusters,
        weights=weights,
        drop_singletons=drop_singletons,
    )
    fit = fit_within(design, kinds=kinds)
    for w in warns:
        warnings.warn(w, DroppedRowsWarning, stacklevel=2)
    hyps = {name: np.eye(len(design.names))[j] for j, name in enumerate(design.names)}
    rows = linear_rows(
        {name: (fit, R) for name, R in hyps.items()},
        fit=fit,
        inference=inference,
        boot=BootOptions(reps=reps, boot_weights=boot_weights, seed=seed),
        alpha=alpha,
        outcome=outcome,
        wild_terms=set(treatments),
    )
    formula = f"{outcome} ~ {' + '.join(design.names)}" + (f" | {' + '.join(fes)}" if fes else "")
    return Result(
        estimator="fe",
        table=rows.table,
        outcome=outcome,
        nobs=design.nobs,
        cov_type=rows.cov_type,
        formula=formula,
        n_clusters=fit.n_clusters,
        alpha=alpha,
        notes=(*notes, *rows.notes),
        warnings=(*warns, *rows.warnings),
        raw=fit,
        tests=rows.tests,
    )
