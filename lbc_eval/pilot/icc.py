"""Planning a pilot from a cohort: ICCs and covariate R² estimated on the data, MDE curves.

:func:`icc_from_cohort` splits one term's outcome variance into township, school and child
parts with a multilevel model, and says how much of each part last term's score (or other
controls) explains; its :meth:`VarianceSplit.design` feeds :func:`lbc_eval.pilot.power.mde` and
:func:`lbc_eval.pilot.power.solve`. :func:`mde_curve` and :func:`plot_mde` show how the MDE falls
with the number of schools (or children) for the work plan.

Examples
--------
>>> import lbc_eval
>>> from lbc_eval.pilot.icc import icc_from_cohort
>>> from lbc_eval.pilot.power import solve
>>> split = icc_from_cohort(lbc_eval.read_cohort("data/synthetic"), outcome="math")
>>> needed = solve(effect=0.13, cluster_size=40, **split.design("cluster2"))  # doctest: +SKIP
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.terms import ordered_terms, term_index
from lbc_eval.errors import EstimationError, UnknownColumnError
from lbc_eval.estimation.multilevel import sample_clusters
from lbc_eval.pilot.power import mde


@dataclass(frozen=True)
class VarianceSplit:
    """Variance components of an outcome and the R² of covariates at each level.

    Attributes
    ----------
    outcome, term : str
    nobs, n_schools, n_townships : int
        Children, schools and townships in the fit (``n_townships`` 0 for a two-level fit).
    cluster_size : float
        Harmonic mean of children per school in the fit.
    schools_per_cluster : float
        Harmonic mean of schools per township (NaN for a two-level fit).
    icc, icc_top : float
        School (within township) and township shares of the outcome variance.
    r2_individual, r2_cluster, r2_top : float
        Share of the child-, school- and township-level variance the covariates explain.
    table : DataFrame
        One row per level: ``level, variance, variance_adjusted, share, r2``.
    controls : tuple of str
        The controls whose R² is reported (``pretest`` = last term's outcome).
    notes : tuple of str
    """

    outcome: str
    term: str
    nobs: int
    n_schools: int
    n_townships: int
    cluster_size: float
    schools_per_cluster: float
    icc: float
    icc_top: float
    r2_individual: float
    r2_cluster: float
    r2_top: float
    controls: tuple[str, ...]
    table: pd.DataFrame = field(repr=False, compare=False)
    notes: tuple[str, ...] = ()

    def design(self, design: str = "cluster2") -> dict[str, float]:
        """The ICC and R² arguments of :func:`lbc_eval.pilot.power.mde` for ``design``.

        ``"cluster2"`` folds the township variance into the school level (schools randomised,
        townships ignored), ``"cluster3"`` keeps the two apart, ``"individual"`` gives only
        the R² of the child-level covariates.
        """
        if design == "individual":
            return {"r2_individual": self.r2_individual}
        if design == "cluster2":
            between = self.icc + self.icc_top
            r2 = (
                (self.icc * self.r2_cluster + self.icc_top * self.r2_top) / between
                if between > 0
                else 0.0
            )
            return {"icc": between, "r2_cluster": r2, "r2_individual": self.r2_individual}
        if design == "cluster3":
            return {
                "icc": self.icc,
                "icc_top": self.icc_top,
                "r2_individual": self.r2_individual,
                "r2_cluster": self.r2_cluster,
                "r2_top": self.r2_top,
            }
        raise ValueError(f"design must be individual, cluster2 or cluster3, not {design!r}")

    def to_frame(self) -> pd.DataFrame:
        """The per-level table (a copy)."""
        return self.table.copy()


def icc_from_cohort(
    data: Any,
    *,
    outcome: str = "math",
    term: str | None = None,
    controls: Sequence[str] = ("pretest",),
    cluster: str = "school_id",
    township: str | None = "township",
    unit: str = "student_id",
) -> VarianceSplit:
    r"""Estimate ICCs and covariate R² at each level from one term of a cohort.

    Parameters
    ----------
    data : Cohort or DataFrame
        A cohort (its ``panel`` is used) or a panel.
    outcome : str
        The pilot's outcome column (``math``, ``chinese``, ``sdq_total``, ``attendance``).
    term : str, optional
        The term standing in for the pilot's follow-up; default the last term with the outcome.
    controls : sequence of str
        ``"pretest"`` is the outcome of the previous term for the same child (the usual
        baseline covariate of a pilot); other names are panel columns at ``term``
        (categorical ones enter as dummies). Empty for ICCs only.
    cluster, township : str
        Level-2 (the randomised cluster: schools) and level-3 identifiers; ``township=None``
        fits a two-level model.
    unit : str
        The child identifier that links a term to the previous one.

    Returns
    -------
    VarianceSplit

    Notes
    -----
    Two linear mixed models are fitted by REML with statsmodels' ``MixedLM`` on the same
    children (those with the outcome and every control): random intercepts for townships
    and for schools within townships,

    .. math:: y_{ijk} = \beta_0 + x_{ijk}'\beta + v_k + u_{jk} + e_{ijk},

    once without controls (:math:`\sigma^2_3, \sigma^2_2, \sigma^2_1`) and once with them
    (:math:`\tilde\sigma^2_l`). Then :math:`\rho_3 = \sigma^2_3 / \sigma^2`,
    :math:`\rho_2 = \sigma^2_2 / \sigma^2` with :math:`\sigma^2 = \sigma^2_1 + \sigma^2_2 +
    \sigma^2_3`, and :math:`R^2_l = 1 - \tilde\sigma^2_l / \sigma^2_l` (clipped to [0, 1);
    0 where a level has no variance), as Bloom, Richburg-Hayes & Black (2007) define them.
    With few townships (the small preset has 4) the township variance is imprecise: read the
    notes. Above :data:`~lbc_eval.estimation.multilevel.MAX_CHILDREN` children (a province)
    both models are fitted on the same seeded random sample of whole schools
    (:func:`~lbc_eval.estimation.multilevel.sample_clusters`); ``nobs``, ``n_schools`` and the
    notes say so.
    """
    panel = data.panel if hasattr(data, "panel") else data
    levels = [cluster, *([township] if township else [])]
    frame, term = _fit_frame(panel, outcome, term, tuple(controls), levels, unit)
    frame, sampled = sample_clusters(frame, cluster)
    frame = frame.reset_index(drop=True)
    rhs = _regressors(frame, controls)
    # standardise the outcome (and pretest) with the outcome's SD: ICCs and R² do not change,
    # and the optimiser copes better with variances near 1
    sd = float(frame[outcome].std()) or 1.0
    frame[outcome] = frame[outcome] / sd
    if "pretest" in frame:
        frame["pretest"] = frame["pretest"] / sd
    notes: list[str] = [sampled] if sampled else []
    null = _components(frame, f"{outcome} ~ 1", cluster, township, sd, notes)
    adjusted = (
        _components(frame, f"{outcome} ~ {' + '.join(rhs)}", cluster, township, sd, notes)
        if rhs
        else null
    )
    return _split(frame, outcome, term, tuple(controls), cluster, township, null, adjusted, notes)


def _fit_frame(
    panel: pd.DataFrame,
    outcome: str,
    term: str | None,
    controls: tuple[str, ...],
    levels: list[str],
    unit: str,
) -> tuple[pd.DataFrame, str]:
    """The children of ``term`` (default: the last with the outcome) with the outcome, every
    control (``pretest`` = the outcome of the previous term) and their levels."""
    needed = [outcome, *levels, unit, "term", *(c for c in controls if c != "pretest")]
    missing = [c for c in dict.fromkeys(needed) if c not in panel.columns]
    if missing:
        raise UnknownColumnError(f"icc_from_cohort: no column(s) {', '.join(missing)} in data")
    terms = ordered_terms(panel.loc[panel[outcome].notna(), "term"].unique())
    if not terms:
        raise EstimationError(f"icc_from_cohort: {outcome} is missing in every row")
    term = term or terms[-1]
    cols = [unit, *levels, outcome, *(c for c in controls if c != "pretest")]
    frame = panel.loc[panel["term"] == term, cols].copy()
    frame[outcome] = frame[outcome].astype(float)
    if "pretest" in controls:
        prev = int(term_index(term)[0]) - 1
        before = panel.loc[term_index(panel["term"]) == prev, [unit, outcome]]
        before = before.rename(columns={outcome: "pretest"}).astype({"pretest": float})
        frame = frame.merge(before, on=unit, how="left")
    frame = frame.dropna().reset_index(drop=True)
    if frame.empty:
        raise EstimationError(
            f"icc_from_cohort: no child in term {term} has {outcome} and all of "
            f"{', '.join(controls) or 'no controls'}; choose another term"
        )
    return frame, term


def _regressors(frame: pd.DataFrame, controls: Sequence[str]) -> list[str]:
    """The formula terms of the controls: numbers and booleans as floats (converted in
    ``frame``), other columns as dummies ``C(name)``."""
    rhs = []
    for c in controls:
        s = frame[c]
        if (
            s.dtype == bool
            or str(s.dtype) in ("boolean", "bool")
            or (pd.api.types.is_numeric_dtype(s))
        ):
            frame[c] = s.astype(float)
            rhs.append(c)
        else:
            frame[c] = s.astype(str)
            rhs.append(f"C({c})")
    return rhs


def _components(
    frame: pd.DataFrame,
    formula: str,
    cluster: str,
    township: str | None,
    sd: float,
    notes: list[str],
) -> tuple[float, float, float]:
    """REML variances (child, school, township) of ``formula``'s residual, back on the
    outcome's scale (``sd``); a convergence warning is added to ``notes``."""
    import statsmodels.formula.api as smf
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        if township:
            model = smf.mixedlm(
                formula,
                frame,
                groups=frame[township],
                re_formula="1",
                vc_formula={"school": f"0 + C({cluster})"},
            )
        else:
            model = smf.mixedlm(formula, frame, groups=frame[cluster])
        res = model.fit(reml=True)
    said = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    if said:
        notes.append(f"MixedLM ({formula}) warned: {said[-1]}")
    if township:
        top = float(np.asarray(res.cov_re)[0, 0])
        mid = float(res.vcomp[0])
    else:
        top, mid = 0.0, float(np.asarray(res.cov_re)[0, 0])
    return max(res.scale, 0.0) * sd**2, max(mid, 0.0) * sd**2, max(top, 0.0) * sd**2


def _split(
    frame: pd.DataFrame,
    outcome: str,
    term: str,
    controls: tuple[str, ...],
    cluster: str,
    township: str | None,
    null: tuple[float, float, float],
    adjusted: tuple[float, float, float],
    notes: list[str],
) -> VarianceSplit:
    r"""ICCs :math:`\rho_l = \sigma^2_l / \sigma^2`, :math:`R^2_l = 1 - \tilde\sigma^2_l /
    \sigma^2_l` (clipped to [0, 0.999]; 0 where the level has no variance) and the harmonic
    mean cluster sizes."""
    total = sum(null)

    def r2(level: int) -> float:
        if null[level] <= 1e-12 * total:
            return 0.0
        return float(np.clip(1 - adjusted[level] / null[level], 0.0, 0.999))

    n_per_school = frame.groupby(cluster).size()
    levels = ["child", "school", "township"] if township else ["child", "school"]
    table = pd.DataFrame(
        {
            "level": levels,
            "variance": list(null[: len(levels)]),
            "variance_adjusted": list(adjusted[: len(levels)]),
            "share": [v / total for v in null[: len(levels)]],
            "r2": [r2(i) for i in range(len(levels))],
        }
    )
    if township:
        per_town = frame.groupby(township)[cluster].nunique()
        spc = float(len(per_town) / np.sum(1.0 / per_town))
        if len(per_town) < 10:
            notes.append(f"only {len(per_town)} townships: the township variance is imprecise")
    else:
        spc = float("nan")
    return VarianceSplit(
        outcome=outcome,
        term=term,
        nobs=len(frame),
        n_schools=int(frame[cluster].nunique()),
        n_townships=int(frame[township].nunique()) if township else 0,
        cluster_size=float(len(n_per_school) / np.sum(1.0 / n_per_school)),
        schools_per_cluster=spc,
        icc=float(null[1] / total),
        icc_top=float(null[2] / total),
        r2_individual=r2(0),
        r2_cluster=r2(1),
        r2_top=r2(2) if township else 0.0,
        controls=controls,
        table=table,
        notes=tuple(notes),
    )


def mde_curve(*, vary: str, values: Sequence[float], **design: Any) -> pd.DataFrame:
    """MDE over a range of one design argument (a sample size, ICC, R², treat share).

    ``design`` holds the other arguments of :func:`lbc_eval.pilot.power.mde`. Returns a tidy frame:
    the varied argument, ``mde``, ``df``, ``standard_error``, then the fixed inputs; feed it
    to :func:`plot_mde`.
    """
    rows = []
    fixed: dict[str, Any] = {}
    for v in values:
        r = mde(**{**design, vary: v})
        rows.append({vary: v, "mde": r.value, "df": r.df, "standard_error": r.standard_error})
        fixed = {k: x for k, x in r.inputs.items() if k != vary}
    frame = pd.DataFrame(rows)
    for k, x in fixed.items():
        frame[k] = x
    return frame
