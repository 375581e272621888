r"""Randomisation inference on pre-trends of a staggered adoption across clusters.

:func:`randomisation_pretest` permutes the clusters' adoption terms to test the
group-averaged pre-treatment effect when the clusters that adopt are few (question Q3 uses it
through :func:`lbc_eval.questions.enrolment.fit_policy`, the clusters being destinations).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def randomisation_pretest(
    panel: pd.DataFrame,
    outcome: str,
    *,
    draws: int = 999,
    seed: int | None = 0,
    unit: str = "student_id",
    time: str = "period",
    group: str = "group",
    cluster: str = "destination_id",
) -> tuple[float, float, int]:
    r"""Randomisation inference over the clusters' adoption terms for the pre-trends.

    ``panel`` has one row per ``unit`` and ``time`` (a consecutive index), the unit's
    adoption ``group`` (its first exposed ``time``; 0 = never adopts) and its ``cluster`` (the
    level adoption varies at: the first row's cluster of each unit counts).

    The statistic is the group-averaged pre-treatment effect: for each adoption group g, the
    mean over its pre-treatment terms t < g of the short-difference ATT(g,t) (units of the
    group observed in t - 1 and t against the never-adopting clusters' units; a ``varying``
    base period and never-treated comparison), then the groups weighted by their units. Its
    null distribution comes from permuting the clusters' adoption terms (never included)
    ``draws`` times: under parallel trends and adoption terms that could have fallen on any
    cluster, the statistic is as likely under every permutation. It uses the cluster, the
    level the policy varies at, as the unit of randomisation, so cluster-term shocks cannot
    make it over-reject, however few the clusters (bootstrap and clustered tests of the cells
    need more than two clusters per adoption term).

    Returns
    -------
    statistic, p_value, permutations
        The observed statistic, the share of permutations with one at least as far from zero
        (counting the observed one), and the number of permutations.
    """
    wide = panel.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    periods = wide.columns.to_numpy(float)
    dy = wide.diff(axis=1).to_numpy(float)[:, 1:]
    later = periods[1:]
    first = panel.groupby(unit)[[cluster, group]].first().reindex(wide.index)
    codes, _ = pd.factorize(first[cluster])
    n_dest = int(codes.max()) + 1
    obs = np.isfinite(dy)
    sums = np.zeros((n_dest, later.size))
    counts = np.zeros((n_dest, later.size))
    np.add.at(sums, codes, np.where(obs, dy, 0.0))
    np.add.at(counts, codes, obs.astype(float))
    size = np.bincount(codes, minlength=n_dest).astype(float)
    dest_group = np.zeros(n_dest)
    dest_group[codes] = first[group].to_numpy(float)
    return randomisation_test(sums, counts, size, dest_group, later, draws=draws, seed=seed)


def randomisation_test(
    sums: np.ndarray,
    counts: np.ndarray,
    size: np.ndarray,
    group: np.ndarray,
    later: np.ndarray,
    *,
    draws: int = 999,
    seed: int | None = 0,
) -> tuple[float, float, int]:
    """:func:`randomisation_pretest` from its moments: per cluster and period ``later[k]``,
    the sum and count of the units' changes since the period before (units observed in both;
    C x len(later)), each cluster's units (``size``) and adoption ``group`` (0 = never). A
    lazy panel gets them from :func:`lbc_eval.scale.did.consecutive_changes`."""
    dest_group = np.asarray(group, float)

    def statistic(dg: np.ndarray) -> float:
        never = dg == 0
        with np.errstate(invalid="ignore", divide="ignore"):
            ctrl = sums[never].sum(0) / counts[never].sum(0)
            vals, weights = [], []
            for g in np.unique(dg[dg > 0]):
                pre = later < g
                if not pre.any():
                    continue
                m = dg == g
                diff = sums[m][:, pre].sum(0) / counts[m][:, pre].sum(0) - ctrl[pre]
                if np.isfinite(diff).any():
                    vals.append(float(np.nanmean(diff)))
                    weights.append(size[m].sum())
        return float(np.average(vals, weights=weights)) if vals else np.nan

    observed = statistic(dest_group)
    rng = np.random.default_rng(seed)
    null = np.array([statistic(rng.permutation(dest_group)) for _ in range(draws)])
    null = null[np.isfinite(null)]
    p = float((1 + np.sum(np.abs(null) >= abs(observed) - 1e-12)) / (1 + null.size))
    return observed, p, int(null.size)
