"""Inference settings and design checks of question Q3
(:func:`lbc_eval.questions.enrolment.fit_policy`).

:class:`PolicyInference` resolves the few-cluster defaults (bootstrap over destinations, Webb
weights, small-cluster rescaling, t(G - 1) reference); :func:`policy_diagnostics` swaps the
pre-test for randomisation inference over the destinations' adoption terms
(:func:`~lbc_eval.estimation.did.randomisation.randomisation_pretest`) when destinations are
few, and adds the ``treated_destinations`` row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.estimation.did import Control
from lbc_eval.estimation.did.randomisation import randomisation_pretest
from lbc_eval.estimation.inference.wild import BootWeights
from lbc_eval.estimation.results import diagnostics_frame

#: Below this many destinations inference is a bootstrap over destinations (Webb weights).
FEW_DESTINATIONS = 50
#: Fewer adopting destinations than this and the diagnostics row ``treated_destinations`` fails.
MIN_TREATED_DESTINATIONS = 5


@dataclass(frozen=True)
class PolicyData:
    """What :func:`~lbc_eval.questions.enrolment.fit_policy` reads of its panel: the data of
    the DiD (the policy panel, or its moments read in an engine:
    :mod:`lbc_eval.questions.enrolment_lazy`), the counts the notes and checks need, and the
    randomisation pre-test ``randomise(draws, seed)`` (statistic, p-value, permutations)."""

    did_data: Any
    n_clusters: int
    n_destinations: int
    adopting: int
    randomise: Callable[[int, int | None], tuple[float, float, int]]

    @classmethod
    def of_panel(cls, panel: pd.DataFrame, outcome: str, cluster: str | None) -> PolicyData:
        """From the in-memory :func:`~lbc_eval.questions.enrolment.policy_panel`."""
        return cls(
            did_data=panel,
            n_clusters=int(panel[cluster].nunique() if cluster else panel["student_id"].nunique()),
            n_destinations=int(panel["destination_id"].nunique()),
            adopting=int(panel.loc[panel["group"] > 0, "destination_id"].nunique()),
            randomise=lambda draws, seed: randomisation_pretest(
                panel, outcome, draws=draws, seed=seed
            ),
        )


@dataclass(frozen=True)
class PolicyInference:
    """The inference settings of :func:`~lbc_eval.questions.enrolment.fit_policy`, defaults
    resolved.

    ``few``: clustering by fewer than :data:`FEW_DESTINATIONS` clusters, which turns on the
    bootstrap (999 draws), Webb weights and the small-cluster rescaling unless set."""

    n_clusters: int
    few: bool
    reps: int
    boot_weights: BootWeights
    small_cluster: bool

    @classmethod
    def resolve(
        cls,
        n_clusters: int,
        cluster: str | None,
        reps: int | None,
        boot_weights: BootWeights,
        small_cluster: bool | None,
    ) -> PolicyInference:
        """The defaults of :func:`~lbc_eval.questions.enrolment.fit_policy` given the panel's
        clusters (``n_clusters``: of ``cluster``, or children without one)."""
        few = cluster is not None and n_clusters < FEW_DESTINATIONS
        if reps is None:
            reps = 999 if few else 0
        if boot_weights == "auto" and few:
            boot_weights = "webb"
        if small_cluster is None:
            small_cluster = few
        return cls(n_clusters, few, reps, boot_weights, small_cluster)

    @property
    def randomised(self) -> bool:
        """Few clusters and a bootstrap: the pre-test is on the group-averaged effect."""
        return bool(self.few and self.reps)


def inference_note(
    data: PolicyData, cluster: str | None, control: Control, cov_type: str, inf: PolicyInference
) -> str:
    """The note naming the clusters and the methods of the intervals and the pre-test."""
    if cluster is None:
        n_dest = data.n_destinations
        return (
            f"inference clustered by child, although adoption varies across {n_dest} "
            "destinations: with destination-level shocks the intervals and tests are too narrow"
        )
    how = f"inference clustered by {cluster} ({inf.n_clusters} clusters): {cov_type}"
    if inf.randomised:
        how += (
            f"; with fewer than {FEW_DESTINATIONS} clusters every ATT(g,t) and aggregation "
            f"comes from the bootstrap over clusters, with t({inf.n_clusters - 1}) p-values "
            "and intervals at least as wide as the t ones, and the pre-test (group-averaged "
            "pre-treatment effect) from "
            + (
                "randomisation inference over the destinations' adoption terms"
                if control == "never"
                else "the bootstrap over clusters"
            )
        )
    return how


def policy_diagnostics(
    data: PolicyData,
    control: Control,
    alpha: float,
    seed: int | None,
    inf: PolicyInference,
    diagnostics: pd.DataFrame,
) -> pd.DataFrame:
    """The fit's diagnostics, the ``pretest`` row replaced by randomisation inference (few
    clusters, never-adopting comparison), then the ``treated_destinations`` row."""
    if inf.randomised and control == "never":
        stat, p, perms = data.randomise(inf.reps, seed)
        pre_row = {
            "check": "pretest",
            "statistic": stat,
            "df": 1.0,
            "p_value": p,
            "passed": p >= alpha,
            "message": f"randomisation inference ({perms} permutations of the adoption terms "
            "across destinations) on the group-averaged pre-treatment effect: "
            + (
                "not rejected" if p >= alpha else f"rejected at {alpha:g}; parallel trends in doubt"
            ),
        }
        diagnostics = diagnostics[diagnostics["check"] != "pretest"]
        diagnostics = pd.concat([diagnostics_frame([pre_row]), diagnostics], ignore_index=True)
    row = treated_destinations_row(data.n_destinations, data.adopting)
    return pd.concat([diagnostics, diagnostics_frame([row])], ignore_index=True)


def treated_destinations_row(n_dest: int, adopting: int) -> dict[str, Any]:
    """The ``treated_destinations`` row: ``adopting`` of ``n_dest`` destinations, failing below
    :data:`MIN_TREATED_DESTINATIONS`."""
    return {
        "check": "treated_destinations",
        "statistic": float(adopting),
        "df": np.nan,
        "p_value": np.nan,
        "passed": adopting >= MIN_TREATED_DESTINATIONS,
        "message": (
            f"{adopting} of {n_dest} destinations adopt within the panel"
            + (
                ""
                if adopting >= MIN_TREATED_DESTINATIONS
                else f"; fewer than {MIN_TREATED_DESTINATIONS}: the effects rest on a handful of "
                "destinations and their shocks, and the inference is fragile"
            )
        ),
    }
