"""How an estimator's rows get their uncertainty: CRV1, or the wild bootstrap when clusters are few.

Every estimator of the kit reports linear combinations :math:`R'\\beta` of within fits (a
coefficient, a contrast, an average marginal effect). :func:`linear_rows` turns them into tidy
rows with one rule: CRV1 standard errors with :math:`t(G-1)` p-values and intervals when there
are :data:`FEW_CLUSTERS` clusters or more; below that a
:class:`~lbc_eval.errors.FewClustersWarning` and, by default, the restricted wild cluster
bootstrap for p-values and intervals (``std_error`` stays CRV1). The choice is written in the
result's ``cov_type`` and notes.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import EstimationError, FewClustersWarning
from lbc_eval.estimation.inference.wild import BootTest, BootWeights, wcr_test
from lbc_eval.estimation.results import TermTest, tidy_frame
from lbc_eval.estimation.within import WithinFit

Inference = Literal["auto", "crv1", "wild"]
#: Fewer clusters than this and CRV1 t-tests over-reject (MacKinnon, Nielsen & Webb 2023).
FEW_CLUSTERS = 50


@dataclass(frozen=True)
class BootOptions:
    """Settings of the wild cluster bootstrap."""

    reps: int = 9999
    boot_weights: BootWeights = "auto"
    seed: int | None = 0


@dataclass
class Rows:
    """Tidy rows with how their uncertainty was computed."""

    table: pd.DataFrame
    cov_type: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    tests: dict[str, TermTest] = field(default_factory=dict)


def resolve(inference: Inference, fit: WithinFit) -> tuple[str, list[str], list[str]]:
    """``"wild"``, ``"crv1"`` or ``"hc1"`` for this fit, with notes and warning messages."""
    d = fit.design
    n_dims = len(d.cluster_names)
    if n_dims == 0:
        if inference == "wild":
            raise EstimationError("inference='wild' needs a cluster variable: pass cluster=...")
        return "hc1", ["heteroskedasticity-robust (HC1) standard errors, no clustering"], []
    G = int(fit.n_clusters or 0)
    names = " and ".join(d.cluster_names)
    if inference == "wild" and n_dims == 2:
        raise EstimationError(
            "the wild bootstrap here clusters one way; with two-way clustering use "
            "inference='crv1', or lbc_eval.wild_bootstrap(result, cluster=...) for one dimension"
        )
    few = G < FEW_CLUSTERS
    notes: list[str] = []
    warns: list[str] = []
    method = "crv1"
    if inference == "wild" or (inference == "auto" and few and n_dims == 1):
        method = "wild"
    if few:
        what = (
            "p-values and intervals come from the wild cluster bootstrap (WCR); std_error is CRV1"
            if method == "wild"
            else "CRV1 p-values and intervals may be too small; consider inference='wild'"
        )
        warns.append(
            f"only {G} clusters ({names}); cluster-robust t-tests need about {FEW_CLUSTERS}: {what}"
        )
    if method == "crv1":
        notes.append(f"CRV1 standard errors by {names}; t({G - 1}) p-values and intervals")
    return method, notes, warns


def linear_rows(
    hyps: Mapping[str, tuple[WithinFit, np.ndarray]],
    *,
    fit: WithinFit,
    inference: Inference,
    boot: BootOptions,
    alpha: float,
    outcome: str,
    wild_terms: set[str] | None = None,
) -> Rows:
    """Tidy rows for linear combinations ``R`` of within fits, inference chosen by ``fit``.

    ``wild_terms`` limits the bootstrap to some rows (the others keep CRV1, said in notes).
    """
    method, notes, warns = resolve(inference, fit)
    for w in warns:
        warnings.warn(w, FewClustersWarning, stacklevel=3)
    terms, est, se, dfs = [], [], [], []
    for term, (f, R) in hyps.items():
        terms.append(term)
        est.append(float(R @ f.coef))
        se.append(float(np.sqrt(R @ f.vcov @ R)))
        dfs.append(f.df_t)
    df = min(dfs) if dfs else None
    table = tidy_frame(terms, est, se, outcome=outcome, alpha=alpha, df=df)
    bad = [t for t, v in zip(terms, se, strict=True) if not np.isfinite(v)]
    if bad:
        notes.append(
            f"no standard error for {', '.join(bad)}: the two-way cluster variance is not "
            f"positive there (Cameron-Gelbach-Miller's estimator can fail); cluster one way"
        )
    plain = {t: TermTest(f, R) for t, (f, R) in hyps.items()}
    if method == "hc1":
        return Rows(table, "HC1", notes, warns, plain)
    G = int(fit.n_clusters or 0)
    names = " and ".join(fit.design.cluster_names)
    kind = "CRV1" if len(fit.design.cluster_names) == 1 else "CRV1 two-way"
    if method == "crv1":
        return Rows(table, f"{kind} by {names}", notes, warns, plain)
    boots: dict[str, BootTest] = {}
    for i, (term, (f, R)) in enumerate(hyps.items()):
        if wild_terms is not None and term not in wild_terms:
            continue
        bt = wcr_test(
            f, R, reps=boot.reps, boot_weights=boot.boot_weights, seed=boot.seed, alpha=alpha
        )
        boots[term] = bt
        table.loc[i, ["p_value", "conf_low", "conf_high"]] = [bt.p_value, bt.conf_low, bt.conf_high]
    if not boots:
        return Rows(table, f"{kind} by {names}", notes, warns, plain)
    first = next(iter(boots.values()))
    cov = f"{first.describe()}; std_error CRV1"
    notes.append(
        f"{G} clusters: p-values and {1 - alpha:.0%} intervals by the restricted wild cluster "
        f"bootstrap ({first.boot_weights}, {first.reps:,} draws"
        f"{', all sign vectors' if first.full_enumeration else ''}, seed {boot.seed}), "
        f"intervals by test inversion; std_error and statistic are CRV1"
    )
    if wild_terms is not None and set(hyps) - set(boots):
        notes.append(
            f"rows {', '.join(t for t in hyps if t not in boots)} keep CRV1 t({G - 1}) inference"
        )
    tests = {t: TermTest(f, R, boots.get(t)) for t, (f, R) in hyps.items()}
    return Rows(table, cov, notes, warns, tests)
