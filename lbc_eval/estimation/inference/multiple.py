r"""Several outcomes tested at once: Holm and Romano–Wolf adjusted p-values.

A notebook that tests the dose response on SDQ, attendance, math and Chinese makes four tests;
reporting the smallest p-value as if it were the only one overstates the evidence. Holm's
step-down keeps the family-wise error rate under any dependence; Romano–Wolf's step-down uses
the joint bootstrap distribution of the t statistics (the same cluster weights for every
outcome), so it is less conservative when outcomes are correlated.

Examples
--------
>>> holm([0.01, 0.04, 0.03, 0.005]).round(3).tolist()
[0.03, 0.06, 0.06, 0.02]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.checks import check_option
from lbc_eval.estimation.inference.wild import BootWeights, beyond, draw_weights, wcr_test
from lbc_eval.estimation.results import Result

Method = Literal["holm", "romano-wolf"]


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    r"""Holm's step-down adjusted p-values.

    Notes
    -----
    With :math:`p_{(1)} \le \dots \le p_{(S)}`:
    :math:`\tilde p_{(j)} = \min\{1, \max_{k \le j} (S - k + 1)\, p_{(k)}\}` (Holm 1979);
    equals ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1 or np.isnan(p).any() or ((p < 0) | (p > 1)).any():
        raise EstimationError("p-values must be a flat list of numbers between 0 and 1")
    S = p.size
    order = np.argsort(p, kind="stable")
    stepped = np.minimum(1.0, np.maximum.accumulate((S - np.arange(S)) * p[order]))
    out = np.empty(S)
    out[order] = stepped
    return out


def romano_wolf(
    statistics: Sequence[float] | np.ndarray, t_boot: np.ndarray, *, plus_one: bool = True
) -> np.ndarray:
    r"""Romano–Wolf step-down adjusted p-values from bootstrap t statistics.

    Parameters
    ----------
    statistics : array, shape (S,)
        Observed t statistics.
    t_boot : array, shape (B, S)
        Bootstrap t statistics under the null (e.g. restricted wild bootstrap draws that
        share their cluster weights across hypotheses).
    plus_one : bool
        ``True`` (default): :math:`p_{(j)} = (\#\{b: m^*_{b,j} \ge |t_{(j)}|\} + 1)/(B + 1)`,
        as wildrwolf 0.7.0 (``get_rwolf_pval``) and pyfixest 0.60 (``rwolf``): never below
        :math:`1/(B+1)`. ``False``: :math:`\#\{b: m^*_{b,j} > |t_{(j)}|\}/B`, which for one
        hypothesis is the bootstrap's own p-value (:func:`~lbc_eval.wild_bootstrap`), floored
        at :math:`1/B`, the smallest p-value B draws can support, so it is never 0 either.

    Notes
    -----
    Order the hypotheses by :math:`|t_{(1)}| \ge \dots \ge |t_{(S)}|` and let
    :math:`m^*_{b,j} = \max_{k \ge j} |t^*_{b,(k)}|`; :math:`p_{(j)}` counts the draws with
    :math:`m^*_{b,j}` beyond :math:`|t_{(j)}|` as above, and the adjusted p-values are
    :math:`\tilde p_{(j)} = \min\{1, \max_{k \le j} p_{(k)}\}` (Romano & Wolf 2005, 2016;
    Clarke, Romano & Wolf 2020). Draws within :data:`~lbc_eval.estimation.inference.wild.TIE_RTOL`
    :math:`\cdot\max(1,|t_{(j)}|)` of :math:`|t_{(j)}|` are ties, resolved as the references
    resolve them (:func:`~lbc_eval.estimation.inference.wild.beyond`): counted by ``>=``, never
    by ``>``. With all :math:`2^G` Rademacher sign vectors the two constant ones give
    :math:`m^*_{b,j} = |t_{(j)}|` exactly, so they always count with ``plus_one`` and never
    without, whatever the rounding.
    """
    t = np.abs(np.asarray(statistics, dtype=float))
    tb = np.abs(np.asarray(t_boot, dtype=float))
    if tb.ndim != 2 or tb.shape[1] != t.size:
        raise EstimationError(
            f"t_boot must be draws x hypotheses ({t.size} columns), got shape {tb.shape}"
        )
    order = np.argsort(-t, kind="stable")
    # max over the hypotheses still in play at each step: a reversed running maximum
    tail_max = np.maximum.accumulate(tb[:, order][:, ::-1], axis=1)[:, ::-1]
    B = tb.shape[0]
    count = beyond(tail_max, t[order], ties=plus_one).sum(axis=0)
    p = (count + 1) / (B + 1) if plus_one else np.maximum(count, 1) / B
    stepped = np.minimum(1.0, np.maximum.accumulate(p))
    out = np.empty(t.size)
    out[order] = stepped
    return out


def adjust_pvalues(
    results: Sequence[Result] | Mapping[str, Result],
    *,
    term: str | Sequence[str],
    method: Method = "romano-wolf",
    reps: int = 9999,
    boot_weights: BootWeights = "auto",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Adjust the p-values of ``term`` across several results (usually one per outcome).

    Parameters
    ----------
    results : list or dict of Result
        From :func:`~lbc_eval.fit_fe`, :func:`~lbc_eval.fit_dose_response` or
        :func:`~lbc_eval.fit_training`.
    term : str or list of str
        The row(s) tested in every result (e.g. ``"ame"``).
    method : {"romano-wolf", "holm"}
        Romano–Wolf re-runs the wild cluster bootstrap of every test with one shared set of
        cluster weights (their joint distribution is what it needs); Holm adjusts the
        results' own p-values.
    reps : int
        Draws of the shared bootstrap (Romano–Wolf).
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        Their weight distribution; see :func:`lbc_eval.wild_bootstrap`.
    seed : int or None
        Their seed.

    Returns
    -------
    DataFrame
        ``outcome, term, estimate, statistic, p_value, p_adjusted, method``: ``p_value`` is
        each test's own (for Romano–Wolf, from the shared draws: ``#{|t*| > |t|} / B``, which
        can be 0); Romano–Wolf's ``p_adjusted`` is ``(#{max* >= |t|} + 1) / (B + 1)`` stepped
        down, as wildrwolf and pyfixest's ``rwolf`` (:func:`romano_wolf`), never 0.
    """
    check_option("method", method, ("holm", "romano-wolf"))
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    terms = [term] if isinstance(term, str) else list(term)
    tests = [(r, t) for r in items for t in terms]
    if len(tests) < 1:
        raise EstimationError("adjust_pvalues needs at least one result")
    rows = []
    for r, t in tests:
        hit = r.table[r.table["term"] == t]
        if hit.empty:
            raise EstimationError(
                f"the {r.estimator} result for {r.outcome} has no term {t!r}; it has "
                f"{', '.join(map(str, r.table['term']))}"
            )
        h = hit.iloc[0]
        rows.append(
            {
                "outcome": r.outcome,
                "term": t,
                "estimate": float(h["estimate"]),
                "statistic": float(h["statistic"]),
                "p_value": float(h["p_value"]),
            }
        )
    out = pd.DataFrame(rows)
    if method == "holm":
        out["p_adjusted"] = holm(out["p_value"].to_numpy())
        out["method"] = "holm"
        return out
    fits = []
    for r, t in tests:
        found = r.tests.get(t)
        if found is None:
            raise EstimationError(
                f"the {r.estimator} result for {r.outcome} keeps no within fit for {t!r}; "
                f"use method='holm'"
            )
        fits.append((found.fit, found.R))
    dims = {f.design.cluster_names[0] if f.design.cluster_names else None for f, _ in fits}
    if None in dims or len(dims) != 1 or any(f.design.clusters.shape[1] != 1 for f, _ in fits):
        raise EstimationError(
            "Romano-Wolf needs every test clustered one way by the same variable; got "
            f"{sorted(map(str, dims))}"
        )
    labels = np.unique(np.concatenate([f.design.cluster_labels[0] for f, _ in fits]))
    draws = draw_weights(labels, reps, boot_weights, seed)
    boots = [wcr_test(f, R, draws=draws, ci=False) for f, R in fits]
    stat = np.array([b.statistic for b in boots])
    tb = np.column_stack([b.t_boot for b in boots])
    out["statistic"] = stat
    out["p_value"] = [b.p_value for b in boots]
    out["p_adjusted"] = romano_wolf(stat, tb)
    out["method"] = f"romano-wolf ({draws.kind}, {tb.shape[0]:,} draws)"
    return out
