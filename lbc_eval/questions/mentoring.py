r"""Question Q1: does more mentoring help, and where does it stop paying off?

:func:`fit_dose_response` relates a term's mentoring contacts to the next term's outcome
within children (child and term fixed effects), as binned doses and as a smooth curve, with the
average marginal effect of one more contact, and the naive cross-section beside it. The
curve's bases and bins are in :mod:`lbc_eval.questions.dose_curve`.

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> cohort = lbc_eval.read_cohort("data/synthetic")  # doctest: +SKIP
>>> r = lbc_eval.fit_dose_response(cohort, outcome="sdq_total")  # doctest: +SKIP
>>> r.vs_truth(cohort.truth)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import CONTACT_COLUMNS
from lbc_eval.data.cohort import Cohort
from lbc_eval.estimation.checks import as_list, check_columns, check_option
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import BootOptions, Inference, linear_rows
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.results import Result
from lbc_eval.estimation.within import WithinFit, fit_within
from lbc_eval.questions.dose_curve import (
    bin_labels,
    check_bins,
    check_pairs,
    curve_table,
    dose_pairs,
    natural_spline,
    saturation,
    smooth_basis,
)
from lbc_eval.questions.inputs import panel_of

__all__ = [
    "DEFAULT_BINS",
    "dose_pairs",
    "fit_dose_response",
    "natural_spline",
    "saturation",
    "true_curve",
]

Spline = Literal["natural", "saturation"]
DEFAULT_BINS = (0, 1, 3, 6)


def fit_dose_response(
    data: Cohort | pd.DataFrame,
    *,
    outcome: str,
    treatment: str | Sequence[str] = "contacts",
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
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> Result:
    r"""Dose–response of next term's outcome on this term's mentoring contacts, within children.

    Parameters
    ----------
    data : Cohort or DataFrame
        The cohort, or its panel (one row per child per term).
    outcome : str
        E.g. ``"sdq_total"``, ``"attendance"``, ``"math"``.
    treatment : "contacts" or column name(s)
        The dose: ``"contacts"`` is ``talks + home_visits + parent_contacts``; a list is summed.
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
    df : int
        Basis functions of the natural spline.
    scale : float, optional
        The saturation curve's :math:`c_0` (None: chosen by least squares).
    inference : {"auto", "crv1", "wild"}
        As :func:`lbc_eval.fit_fe`; with fewer than 50 clusters the bootstrap gives the
        p-values and intervals of every row.
    alpha : float
        1 - confidence level.
    reps : int
        Wild bootstrap draws.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        The bootstrap weight distribution.
    seed : int or None
        Seed of the bootstrap.

    Returns
    -------
    Result
        Rows ``dose[1-2]``, ``dose[3-5]``, ``dose[6+]`` (binned, against 0), ``ame`` (one more
        contact, smooth curve) and ``ame_naive`` (cross-section). ``tables["curve"]`` holds
        the smooth curve :math:`\hat f(c) - \hat f(0)` with pointwise CRV1 :math:`t(G-1)`
        bands, ``tables["bins"]`` the bins' doses and counts, ``tables["basis"]`` the knots or
        saturation scale; ``vs_truth`` compares with the synthetic truth's dose-response.

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
    panel = panel_of(data)
    check_option("spline", spline, ("natural", "saturation"))
    check_option("sample", sample, ("paired", "all"))
    dose_cols = list(CONTACT_COLUMNS) if treatment == "contacts" else as_list(treatment)
    ctrl = as_list(controls)
    roles = {"outcome": outcome, "treatment": dose_cols, "unit": unit, "time": time}
    roles |= {"cluster": cluster, "control": ctrl}
    check_columns(panel, roles | ({"mentor_role": "mentor_role"} if sample == "paired" else {}))
    edges = check_bins(bins, lag)
    pairs = dose_pairs(
        panel,
        outcome=outcome,
        treatment=dose_cols,
        lag=lag,
        unit=unit,
        time=time,
        cluster=cluster,
        controls=ctrl,
        sample=sample,
    )
    check_pairs(pairs, lag=lag, sample=sample, dose_cols=dose_cols)
    fits = DoseFits.fit(pairs, edges, f"{outcome}[t+{lag}]", unit, time, cluster, ctrl,
                        spline=spline, df=df, scale=scale)  # fmt: skip
    rows = linear_rows(
        fits.hypotheses(),
        fit=fits.binned,
        inference=inference,
        boot=BootOptions(reps=reps, boot_weights=boot_weights, seed=seed),
        alpha=alpha,
        outcome=outcome,
    )
    comparable = sorted(dose_cols) == sorted(CONTACT_COLUMNS) and lag == 1 and sample == "paired"
    notes = fits.describe(outcome, dose_cols, lag, sample, ctrl, spline, comparable)
    return Result(
        estimator="dose_response",
        table=rows.table,
        outcome=outcome,
        nobs=fits.binned.design.nobs,
        cov_type=rows.cov_type,
        formula=f"{outcome}[t+{lag}] ~ f(dose[t]) + {' + '.join(ctrl) or '0'} | {unit} + {time}",
        n_clusters=fits.binned.n_clusters,
        alpha=alpha,
        notes=(*notes, *rows.notes),
        warnings=tuple(rows.warnings),
        raw={"binned": fits.binned, "smooth": fits.smooth, "naive": fits.naive},
        tables={
            "curve": curve_table(fits.smooth, fits.basis, fits.k, fits.dose, alpha),
            "bins": fits.bin_table(),
            "basis": fits.basis_table(spline),
        },
        tests=rows.tests,
        truth_lookup=_truth_lookup(outcome, fits.doses_in_bin()) if comparable else None,
    )


@dataclass(frozen=True, eq=False)
class DoseFits:
    r"""The three within fits of the dose-response and what they were built from.

    ``binned``: :math:`Y_{i,t+1}` on the bin dummies (the first bin the reference), child and
    term effects; ``smooth``: on the basis :math:`B(C_{it})`, same effects; ``naive``: on the
    dose, term effects only. All with the controls.
    """

    binned: WithinFit
    smooth: WithinFit
    naive: WithinFit
    basis: Any  # dose array -> (n, k) basis, B(0) = 0
    knots: list[float]
    scale: float | None
    k: int  # basis columns
    dose: np.ndarray  # dose of every pair
    edges: list[int]
    notes: list[str]

    @classmethod
    def fit(
        cls,
        pairs: pd.DataFrame,
        edges: list[int],
        y_name: str,
        unit: str,
        time: str,
        cluster: str,
        ctrl: list[str],
        *,
        spline: str,
        df: int,
        scale: float | None,
    ) -> DoseFits:
        """Fit the binned model, choose the smooth basis (profiling the saturation scale on
        the binned fit's rows when needed), then fit the smooth and naive models."""
        notes: list[str] = []
        Z, _ = regressors(pairs, [], ctrl)
        n_z = Z.shape[1]

        def within(X: pd.DataFrame, fes: list[str], n_treat: int) -> WithinFit:
            design, found, _ = make_design(
                pairs, outcome=y_name, X=X, fixed_effects=fes, cluster=[cluster]
            )
            notes.extend(n for n in found if n not in notes)
            return fit_within(design, kinds=["treatment"] * n_treat + ["control"] * n_z)

        labels = bin_labels(edges)
        which = np.searchsorted(edges, pairs["dose"].to_numpy(), side="right") - 1
        dummies = {f"dose[{lab}]": (which == j).astype(float) for j, lab in enumerate(labels)}
        Xb = pd.concat([pd.DataFrame(dummies, index=pairs.index).iloc[:, 1:], Z], axis=1)
        binned = within(Xb, [unit, time], len(labels) - 1)
        dose = pairs["dose"].to_numpy()
        observed = dose[pairs[y_name].notna().to_numpy()]
        basis, knots, scale = smooth_basis(spline, df, scale, observed, binned, dose, n_z)
        k = basis(np.zeros(1)).shape[1]
        names = [f"f{j + 1}" for j in range(k)]
        Xs = pd.concat([pd.DataFrame(basis(dose), index=pairs.index, columns=names), Z], axis=1)
        smooth = within(Xs, [unit, time], k)
        naive = within(pd.concat([pairs[["dose"]], Z], axis=1), [time], 1)
        return cls(binned, smooth, naive, basis, knots, scale, k, dose, edges, notes)

    def hypotheses(self) -> dict[str, tuple[WithinFit, np.ndarray]]:
        r"""The rows as :math:`R'\beta`: each bin against the first, the AME
        :math:`\bar\Delta'\beta` with :math:`\bar\Delta = \frac1n\sum B(C+1) - B(C)` over
        every pair, and the naive slope."""
        b, s, n = self.binned, self.smooth, self.naive
        delta = np.zeros(len(s.names))
        delta[: self.k] = (self.basis(self.dose + 1) - self.basis(self.dose)).mean(axis=0)
        hyps = {
            name: (b, np.eye(len(b.names))[j])
            for j, name in enumerate(b.names[: len(self.edges) - 1])
        }
        hyps["ame"] = (s, delta)
        hyps["ame_naive"] = (n, np.eye(len(n.names))[0])
        return hyps

    def _used_bins(self) -> tuple[np.ndarray, np.ndarray]:
        used = self.dose[self.binned.design.rows]
        return used, np.searchsorted(self.edges, used, side="right") - 1

    def bin_table(self) -> pd.DataFrame:
        """``bin, n, mean_dose`` over the binned fit's rows."""
        used, which = self._used_bins()
        labels = bin_labels(self.edges)
        return pd.DataFrame(
            {
                "bin": labels,
                "n": [int((which == j).sum()) for j in range(len(labels))],
                "mean_dose": [float(used[which == j].mean()) for j in range(len(labels))],
            }
        )

    def doses_in_bin(self) -> dict[str, np.ndarray]:
        """The binned fit's doses in each bin, by row name."""
        used, which = self._used_bins()
        return {f"dose[{lab}]": used[which == j] for j, lab in enumerate(bin_labels(self.edges))}

    def basis_table(self, spline: str) -> pd.DataFrame:
        """``spline, knot, scale``: one row per knot (one row with NaN knot for saturation)."""
        knots = self.knots if spline == "natural" else [np.nan]
        scale = np.nan if self.scale is None else float(self.scale)
        return pd.DataFrame({"spline": spline, "knot": [float(k) for k in knots], "scale": scale})

    def describe(
        self,
        outcome: str,
        dose_cols: list[str],
        lag: int,
        sample: str,
        ctrl: list[str],
        spline: str,
        comparable: bool,
    ) -> list[str]:
        """The result's notes: the design, the curve, the naive fit and the truth's scope."""
        how = (
            f"natural cubic spline, knots {', '.join(f'{k:g}' for k in self.knots)}"
            if spline == "natural"
            else f"saturation 1 - exp(-c/{self.scale:.3g})"
            + ("" if self.knots else " (c0 chosen by least squares; intervals conditional on it)")
        )
        scope = (
            []
            if comparable
            else ["vs_truth: the synthetic truth is for all contacts, lag 1, mentored terms"]
        )
        return [
            f"dose: {' + '.join(dose_cols)} in term t; outcome {outcome} in term t+{lag}; "
            f"{'mentored child-terms' if sample == 'paired' else 'all child-terms'}; "
            f"child and term fixed effects; controls at t+{lag}: {', '.join(ctrl) or 'none'}",
            f"smooth curve: {how}; AME over {len(self.dose):,} child-terms enrolled at t+{lag}",
            f"naive: pooled cross-section with term effects only ({self.naive.design.nobs:,} obs)",
            "curve band: pointwise CRV1 intervals",
            *scope,
            *self.notes,
        ]


def true_curve(truth: Mapping[str, Any], outcome: str) -> pd.DataFrame | None:
    """The synthetic truth's dose-response of ``outcome``: ``dose, effect`` (None if absent)."""
    dr = (truth or {}).get("dose_response", {}).get(outcome)
    if dr is None:
        return None
    return pd.DataFrame({"dose": np.asarray(dr["grid"], float), "effect": dr["curve"]})


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
