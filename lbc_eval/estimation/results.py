"""One result type for every estimator, a comparison table, and the check against the truth.

Every estimator in the kit returns a :class:`Result`. Its :meth:`Result.tidy` frame has exactly
the columns ``term, estimate, std_error, statistic, p_value, conf_low, conf_high, outcome`` in
that order, plus estimator-specific key columns after them (``group``, ``time``,
``event_time`` for staggered difference-in-differences). Display labels are kept apart from
these code-friendly names. Tests of the model rather than of one row (the pre-trend Wald test,
...) are rows of :attr:`Result.diagnostics`, whose columns are :data:`DIAGNOSTIC_COLUMNS`.

Examples
--------
>>> import pandas as pd
>>> r = Result.from_estimates(
...     estimator="example", outcome="math", terms=["x"], estimates=[0.1], std_errors=[0.05],
...     nobs=100, cov_type="iid")
>>> r.tidy()[["term", "estimate", "conf_low"]].round(3).to_dict("records")
[{'term': 'x', 'estimate': 0.1, 'conf_low': 0.002}]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.within import WithinFit

TIDY_COLUMNS: tuple[str, ...] = (
    "term",
    "estimate",
    "std_error",
    "statistic",
    "p_value",
    "conf_low",
    "conf_high",
    "outcome",
)

#: The columns of :attr:`Result.diagnostics`, in order: the check's name, its statistic, degrees
#: of freedom (NaN when none), p-value (NaN when not a test), whether the design passed it
#: (True, False, or NA when it only informs) and a plain-language message.
DIAGNOSTIC_COLUMNS: tuple[str, ...] = ("check", "statistic", "df", "p_value", "passed", "message")

#: Given the truth dict and a tidy frame, return the true value for each row (NaN if none).
TruthLookup = Callable[[Mapping[str, Any], pd.DataFrame], Sequence[float]]


def diagnostics_frame(rows: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """A diagnostics frame with exactly :data:`DIAGNOSTIC_COLUMNS` (missing cells NaN/"")."""
    frame = pd.DataFrame(list(rows), columns=list(DIAGNOSTIC_COLUMNS))
    frame = frame.astype({"check": str, "statistic": float, "df": float, "p_value": float,
                          "passed": "boolean"})  # fmt: skip
    frame["message"] = frame["message"].fillna("").astype(str)
    return frame


@dataclass(frozen=True, eq=False)
class TermTest:
    """How one tidy row was computed: it is :math:`R'\\hat\\beta` of the within regression
    ``fit`` (a ``WithinFit``); ``boot`` is the wild cluster bootstrap test (``BootTest``) that
    gave its p-value and interval, or None when CRV1/HC1 did."""

    fit: WithinFit
    R: np.ndarray
    boot: Any = None


@dataclass(frozen=True)
class Result:
    """An estimate with its uncertainty and everything needed to report it.

    Attributes
    ----------
    estimator : str
        What was estimated and how, e.g. ``"fe"``, ``"dose_response"``, ``"did"``.
    table : DataFrame
        The tidy rows (see :data:`TIDY_COLUMNS`); read it through :meth:`tidy`.
    outcome : str
    formula : str or None
        The model as a formula or a one-line spec.
    nobs : int
        Observations used.
    n_clusters : int or None
        Clusters of the covariance estimator (None when not clustered).
    cov_type : str
        How standard errors were computed (``"CRV1 by school_id"``, ``"wild bootstrap ..."``).
    alpha : float
        1 - confidence level of ``conf_low``/``conf_high``.
    notes, warnings : tuple of str
        Plain-language remarks (assumptions, dropped rows, caveats) and warnings raised.
    raw : object
        The underlying fit(s), for power users (see the table below).
    diagnostics : DataFrame
        Tests of the model as a whole, one per row, with exactly the columns
        :data:`DIAGNOSTIC_COLUMNS` = ``check, statistic, df, p_value, passed, message`` (empty
        when the estimator has none).
    tables : mapping of str to DataFrame
        Named auxiliary tables (see the table below).
    tests : mapping of str to TermTest
        For each row computed from a within fit, the fit, the combination and the bootstrap
        test behind it (:func:`lbc_eval.wild_bootstrap` and :func:`lbc_eval.adjust_pvalues`
        re-test rows from it); empty for the DiD estimators.
    truth_lookup : callable or None
        Maps a synthetic cohort's ``truth`` to the true value of each tidy row.

    Notes
    -----
    What each estimator puts where:

    ================  ============================  ================  =========================
    estimator         ``raw``                       diagnostics       ``tables``
    ================  ============================  ================  =========================
    fe                the ``WithinFit``             (none)            (none)
    dose_response     dict ``binned``, ``smooth``,  ``lead_placebo``  ``curve``, ``bins``,
                      ``naive``: ``WithinFit``;     ``first_stage``   ``basis``
                      ``iv``: the 2SLS fits         ``iv_vs_within``
    training          dict ``fe``, ``naive``,       ``schools``       ``variance``, ``icc``
                      ``lead``: ``WithinFit``;      ``lead_placebo``  (with the multilevel
                      ``multilevel``: MixedLM                         model)
    did, policy       None; for an aggregation the  ``pretest``;      ``cells``, ``groups``
                      ATT(g,t) ``DidResult`` (its   policy also       (ATT(g,t) only)
                      diagnostics carry over)
                                                    ``treated_
                                                    destinations``
    twfe event study  the pyfixest ``Feols`` fit    (none)            (none)
    ================  ============================  ================  =========================

    ``pretest``
        That every pre-treatment ATT(g,t) is zero: the Wald statistic :math:`n
        \\hat\\theta' \\hat V^{-1} \\hat\\theta` with :math:`\\chi^2_{df}` p-value
        (``fit_did``'s default), or, for the enrolment policy, the averaged pre-adoption effect
        against permutations of adoption years across destinations (its ``message`` says which).
    ``lead_placebo``
        Next period's treatment added beside this period's: it cannot have caused this period's
        outcome, so a non-zero coefficient (``passed`` False) means treatment follows the
        outcome's own movements (mentors responding to a bad term; schools that train while
        improving anyway) and the main estimate is biased.
    ``first_stage``, ``iv_vs_within``
        Strength of the school-term supply instrument (cluster-robust F, passes at 10) and the
        within-minus-IV difference of the AME with its school-clustered t.
    ``schools``, ``treated_destinations``
        How many clusters carry the estimate, and what that means for inference.
    ``curve``
        ``dose, estimate, std_error, conf_low, conf_high``: the smooth curve
        :math:`\\hat f(c) - \\hat f(0)` on a grid of doses, pointwise CRV1 :math:`t(G-1)` band.
    ``bins``
        ``bin, n, mean_dose``: each dose bin's label, child-terms and mean dose.
    ``basis``
        ``spline, knot, scale``: the smooth curve's basis (one row per knot; ``scale`` is the
        saturation :math:`c_0`, NaN for the natural spline).
    ``variance``
        ``level, variance, share``: the multilevel variance split (school, class, child).
    ``icc``
        ``level, icc, term``: intra-class correlations of two children of one school or class,
        and the term the multilevel model was fitted on.
    ``cells``
        ``group, time, reference, n_treated, n_control``: one row per ATT(g,t) (``reference``:
        the universal base period's zero cell).
    ``groups``
        ``group, units``: units per first-treated period; the never-treated have group NaN.
    """

    estimator: str
    table: pd.DataFrame
    outcome: str
    nobs: int
    cov_type: str
    formula: str | None = None
    n_clusters: int | None = None
    alpha: float = 0.05
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    raw: Any = field(default=None, repr=False, compare=False)
    diagnostics: pd.DataFrame = field(default_factory=diagnostics_frame, repr=False, compare=False)
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict, repr=False, compare=False)
    tests: Mapping[str, TermTest] = field(default_factory=dict, repr=False, compare=False)
    truth_lookup: TruthLookup | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        head = tuple(self.table.columns[: len(TIDY_COLUMNS)])
        if head != TIDY_COLUMNS:
            raise ValueError(
                f"a result table must start with the columns {', '.join(TIDY_COLUMNS)}; got "
                f"{', '.join(map(str, self.table.columns))}. Build it with tidy_frame()"
            )
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha}")
        if tuple(self.diagnostics.columns) != DIAGNOSTIC_COLUMNS:
            raise ValueError(
                f"diagnostics must have the columns {', '.join(DIAGNOSTIC_COLUMNS)}; got "
                f"{', '.join(map(str, self.diagnostics.columns))}. Build it with "
                f"diagnostics_frame()"
            )

    # --- construction -----------------------------------------------------------------------

    @classmethod
    def from_estimates(
        cls,
        *,
        estimator: str,
        outcome: str,
        terms: Iterable[str],
        estimates: Iterable[float],
        std_errors: Iterable[float],
        nobs: int,
        cov_type: str,
        alpha: float = 0.05,
        df: float | None = None,
        keys: Mapping[str, Iterable[Any]] | None = None,
        **kwargs: Any,
    ) -> Result:
        """Build a result from estimates and standard errors.

        Statistics are ``estimate / std_error``; p-values and intervals use the t distribution
        with ``df`` degrees of freedom (normal when ``df`` is None). ``keys`` adds columns
        after the standard ones (``group``, ``time``, ...).
        """
        table = tidy_frame(terms, estimates, std_errors, outcome=outcome, alpha=alpha, df=df)
        for name, values in (keys or {}).items():
            table[name] = list(values)
        return cls(
            estimator=estimator,
            table=table,
            outcome=outcome,
            nobs=int(nobs),
            cov_type=cov_type,
            alpha=alpha,
            **kwargs,
        )

    def with_table(self, table: pd.DataFrame, **changes: Any) -> Result:
        """A copy with another tidy table (and any other field changed)."""
        return replace(self, table=table, **changes)

    def without_fits(self, *, keep: Sequence[str] = ()) -> Result:
        """A copy without the fits behind it: ``raw`` is None and ``tests`` holds only the
        rows in ``keep`` (those that :func:`lbc_eval.adjust_pvalues` or
        :func:`lbc_eval.wild_bootstrap` will re-test). The table, notes, diagnostics, tables
        and truth stay. On a province every within fit holds its design and demeaned arrays,
        hundreds of megabytes: a notebook that keeps several results keeps them this way."""
        unknown = [t for t in keep if t not in self.tests]
        if unknown:
            raise EstimationError(
                f"no fit behind {', '.join(map(repr, unknown))}; this result re-tests "
                f"{', '.join(self.tests) or 'no row'}"
            )
        return replace(self, raw=None, tests={t: self.tests[t] for t in keep})

    # --- reading --------------------------------------------------------------------------------

    def tidy(self) -> pd.DataFrame:
        """The estimates: ``term, estimate, std_error, statistic, p_value, conf_low, conf_high,
        outcome`` and any key columns, one row per estimate (a copy)."""
        return self.table.copy()

    def estimate(self, term: str) -> float:
        """The point estimate of ``term``."""
        return float(self._row(term)["estimate"])

    def std_error(self, term: str) -> float:
        """The standard error of ``term``."""
        return float(self._row(term)["std_error"])

    def p_value(self, term: str) -> float:
        """The p-value of ``term`` (two-sided, against zero)."""
        return float(self._row(term)["p_value"])

    @property
    def terms(self) -> list[str]:
        """The terms of the tidy table, in order."""
        return [str(t) for t in self.table["term"]]

    def conf_int(self, term: str) -> tuple[float, float]:
        """The (1 - alpha) interval of ``term``."""
        row = self._row(term)
        return float(row["conf_low"]), float(row["conf_high"])

    def diagnostic(self, name: str) -> pd.Series:
        """The row of :attr:`diagnostics` named ``name`` (KeyError when there is none)."""
        hit = self.diagnostics[self.diagnostics["check"] == name]
        if hit.empty:
            have = ", ".join(self.diagnostics["check"]) or "none"
            raise KeyError(f"no diagnostic {name!r}; this result has {have}")
        return hit.iloc[0]

    def _row(self, term: str) -> pd.Series:
        rows = self.table[self.table["term"] == term]
        if rows.empty:
            raise KeyError(
                f"no term {term!r}; this result has {', '.join(map(str, self.table['term']))}"
            )
        return rows.iloc[0]

    def vs_truth(self, truth: Mapping[str, Any]) -> pd.DataFrame:
        """:meth:`tidy` with the synthetic truth beside each row.

        Adds ``truth``, ``error`` (estimate - truth) and ``covered`` (truth inside the
        interval; missing where the truth has no value for the row).
        """
        if self.truth_lookup is None:
            raise ValueError(
                f"the {self.estimator} result does not know which estimand of the truth it "
                f"estimates"
            )
        out = self.tidy()
        values = np.asarray(self.truth_lookup(truth, out), dtype=float)
        out["truth"] = values
        out["error"] = out["estimate"] - values
        covered = (out["conf_low"] <= values) & (values <= out["conf_high"])
        out["covered"] = pd.array(np.where(np.isnan(values), None, covered), dtype="boolean")
        return out

    # --- display ----------------------------------------------------------------------------

    def _header(self) -> str:
        clusters = f", {self.n_clusters} clusters" if self.n_clusters is not None else ""
        level = f"{100 * (1 - self.alpha):g}%"
        return (
            f"{self.estimator}: {self.outcome} ({self.nobs:,} obs{clusters}; {self.cov_type}; "
            f"{level} intervals)"
        )

    def __repr__(self) -> str:
        cols = ["term", *[c for c in self.table.columns if c not in TIDY_COLUMNS]]
        cols += ["estimate", "std_error", "p_value", "conf_low", "conf_high"]
        body = self.table[cols].to_string(index=False, float_format=lambda x: f"{x:.4f}")
        lines = [self._header(), body]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = self._header().replace("<", "&lt;")
        notes = "".join(f"<li>{n}</li>" for n in (*self.notes, *self.warnings))
        table = self.table.to_html(index=False, float_format=lambda x: f"{x:.4f}")
        return f"<p><b>{head}</b></p>{table}" + (f"<ul>{notes}</ul>" if notes else "")


def tidy_frame(
    terms: Iterable[str],
    estimates: Iterable[float],
    std_errors: Iterable[float],
    *,
    outcome: str,
    alpha: float = 0.05,
    df: float | None = None,
) -> pd.DataFrame:
    """A tidy frame with Wald statistics, two-sided p-values and (1 - alpha) intervals.

    Notes
    -----
    :math:`z = \\hat\\beta / se`, :math:`p = 2 (1 - F(|z|))` and
    :math:`\\hat\\beta \\pm F^{-1}(1 - \\alpha/2)\\, se`, with :math:`F` the standard normal
    or, given ``df``, Student's t.
    """
    est = np.asarray(list(estimates), dtype=float)
    se = np.asarray(list(std_errors), dtype=float)
    dist = stats.norm if df is None else stats.t(df)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = est / se
    crit = dist.ppf(1 - alpha / 2)
    return pd.DataFrame(
        {
            "term": list(terms),
            "estimate": est,
            "std_error": se,
            "statistic": z,
            "p_value": 2 * dist.sf(np.abs(z)),
            "conf_low": est - crit * se,
            "conf_high": est + crit * se,
            "outcome": outcome,
        }
    )


def compare(
    results: Sequence[Result] | Mapping[str, Result],
    *,
    terms: Sequence[str] | None = None,
    digits: int = 3,
    stars: bool = True,
) -> pd.DataFrame:
    """Lay several results side by side, as a regression table for a report.

    Each column is one result (named by the mapping's keys, or ``outcome (estimator)``); each
    term takes two rows, the estimate (with stars at 10/5/1%) and its standard error in
    brackets; the foot rows give observations, clusters and the covariance type.
    """
    items = (
        list(results.items())
        if isinstance(results, Mapping)
        else [(f"({i + 1}) {r.outcome}", r) for i, r in enumerate(results)]
    )
    if not items:
        raise ValueError("compare() needs at least one result")
    order: list[str] = list(terms) if terms is not None else []
    if terms is None:
        for _, r in items:
            order += [t for t in r.table["term"] if t not in order]

    def star(p: float) -> str:
        if not stars or not np.isfinite(p):
            return ""
        return "***" if p < 0.01 else "**" if p < 0.05 else "*" if p < 0.1 else ""

    rows: dict[str, list[str]] = {}
    for term in order:
        est_row, se_row = [], []
        for _, r in items:
            hit = r.table[r.table["term"] == term]
            if hit.empty:
                est_row.append("")
                se_row.append("")
            else:
                h = hit.iloc[0]
                est_row.append(f"{h['estimate']:.{digits}f}{star(h['p_value'])}")
                se_row.append(f"({h['std_error']:.{digits}f})")
        rows[term] = est_row
        rows[f"{term} "] = se_row
    rows["observations"] = [f"{r.nobs:,}" for _, r in items]
    rows["clusters"] = ["" if r.n_clusters is None else str(r.n_clusters) for _, r in items]
    rows["standard errors"] = [r.cov_type for _, r in items]
    return pd.DataFrame(rows, index=[name for name, _ in items]).T
