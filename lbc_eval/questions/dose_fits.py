r"""The three within fits of Q1's dose-response (:class:`DoseFits`), used by
:func:`lbc_eval.questions.mentoring.fit_dose_response`: the binned doses, the smooth curve
(bases in :mod:`lbc_eval.questions.dose_curve`) and the naive cross-section, with the rows
they report as linear combinations :math:`R'\beta` and the tables and notes built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.within import WithinFit, fit_within
from lbc_eval.questions.dose_curve import bin_labels, smooth_basis


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
        return describe(
            outcome, dose_cols, lag, sample, ctrl, spline, comparable, knots=self.knots,
            scale=self.scale, n_pairs=len(self.dose), naive_nobs=self.naive.design.nobs,
            notes=self.notes,
        )  # fmt: skip


def describe(
    outcome: str,
    dose_cols: list[str],
    lag: int,
    sample: str,
    ctrl: list[str],
    spline: str,
    comparable: bool,
    *,
    knots: list[float],
    scale: float | None,
    n_pairs: int,
    naive_nobs: int,
    notes: list[str],
) -> list[str]:
    """The dose-response result's notes (:meth:`DoseFits.describe`; a lazy cohort's fits too)."""
    how = (
        f"natural cubic spline, knots {', '.join(f'{k:g}' for k in knots)}"
        if spline == "natural"
        else f"saturation 1 - exp(-c/{scale:.3g})"
        + ("" if knots else " (c0 chosen by least squares; intervals conditional on it)")
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
        f"smooth curve: {how}; AME over {n_pairs:,} child-terms enrolled at t+{lag}",
        f"naive: pooled cross-section with term effects only ({naive_nobs:,} obs)",
        "curve band: pointwise CRV1 intervals",
        *scope,
        *notes,
    ]
