r"""Checks of Q1's within-child dose-response: the supply instrument, the lead placebo and the
comparison of the two estimates. Used by :func:`lbc_eval.questions.mentoring.fit_dose_response`.

Why: the within estimate assumes *no feedback* — a child's contacts in term :math:`t` do not
respond to how that child is doing in :math:`t` beyond what the child effect absorbs. If mentors
visit more in a child's bad term, :math:`C_{it}` is correlated with the term's shock
:math:`\varepsilon_{it}`; the within transformation puts :math:`-\varepsilon_{it}/T_i` into the
demeaned error of the pair whose dose is :math:`C_{it}` (the child's mean outcome contains
:math:`Y_{it}`, the outcome of the pair before), so the slope is pulled towards "more contacts,
fewer difficulties" even when contacts do nothing (a Nickell-type bias, of order :math:`1/T`).

Lead placebo (Wooldridge 2010, §10.7.1, the test of strict exogeneity). Add the dose of the
outcome term, :math:`C_{i,t+1}`, to the within model of pair :math:`t`:

.. math:: Y_{i,t+1} = \alpha_i + \lambda_t + f(C_{it}) + \delta C_{i,t+1} + Z_{i,t+1}'\gamma
          + \varepsilon_{i,t+1}.

Contacts act on the *next* term's outcome, so without feedback :math:`C_{i,t+1}` (need is in
:math:`\alpha_i`, the supply shock is exogenous) is unrelated to :math:`\varepsilon_{i,t+1}` and
:math:`\delta = 0`. With feedback :math:`C_{i,t+1}` responds to :math:`\varepsilon_{i,t+1}`
itself, the error of the same row, so :math:`\delta` picks it up at full strength: this version
is far more sensitive than regressing the change :math:`Y_{it} - Y_{i,t-1}` on
:math:`C_{i,t+1}` (whose shocks :math:`\varepsilon_{it}, \varepsilon_{i,t-1}` are independent of
:math:`C_{i,t+1}` when shocks are not persistent, as in the generator). It also rejects when
contacts affect the *same* term's outcome; either way the lag-1 within estimate is then not the
effect it claims to be.

Supply instrument. :math:`S_{st}`: the mean dose of the *other* mentored children of the
child's school in term :math:`t` (leave-one-out). Volunteer supply moves it and the child's own
dose together; another child's bad term does not move this child's outcome, so 2SLS with the
same fixed effects and controls does not need the no-feedback assumption (it needs supply to
be unrelated to the school-term's outcome shocks beyond the term effects).

Two IV fits. The *linear* 2SLS slope (dose on supply) is a supply-weighted average of the
curve's slopes around each child's usual dose; with a concave curve it is not the AME over the
sample's doses (on the default synthetic cohorts it is about half of it, -0.06 against -0.13
SDQ points). So the reported IV AME is that of the *same smooth curve* as the within fit,
its basis instrumented by the basis of the supply-predicted dose (:func:`fit_curve_iv`); the
two are the same estimator when the curve is linear. The linear slope's first stage gives the
instrument's strength.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from lbc_eval.errors import EstimationError
from lbc_eval.estimation.fe import make_design, regressors
from lbc_eval.estimation.inference.rule import FEW_CLUSTERS, BootOptions, Inference, resolve
from lbc_eval.estimation.inference.wild import wcr_test
from lbc_eval.estimation.iv import IVFit, fit_iv
from lbc_eval.estimation.results import diagnostics_frame, tidy_frame
from lbc_eval.estimation.within import WithinFit, cluster_sums, fit_within

#: First-stage F below this: a weak instrument (Staiger & Stock 1997).
WEAK_F = 10.0


@dataclass(frozen=True)
class Setup:
    """What the checks need of the dose-response's set-up."""

    pairs: pd.DataFrame
    y_name: str
    unit: str
    time: str
    cluster: str
    ctrl: list[str]


def fit_supply_iv(d: Setup) -> tuple[IVFit, list[str]]:
    """2SLS of the next-term outcome on the dose, the dose instrumented by ``supply``, child
    and term effects, the controls; CRV1 by the cluster."""
    Z, _ = regressors(d.pairs, [], d.ctrl)
    X = pd.concat([d.pairs[["dose"]], Z, d.pairs[["supply"]]], axis=1)
    design, notes, _ = make_design(d.pairs, outcome=d.y_name, X=X,
                                   fixed_effects=[d.unit, d.time], cluster=[d.cluster])  # fmt: skip
    return fit_iv(design, endogenous=["dose"], instruments=["supply"]), notes


def fit_curve_iv(d: Setup, basis: Callable[[np.ndarray], np.ndarray], names: list[str]) -> IVFit:
    r"""2SLS of the smooth curve: the basis :math:`B(C_{it})` (columns ``names``) instrumented
    by :math:`B(\hat C_{it})`, with :math:`\hat C_{it} = \hat\alpha_i + \hat\lambda_t +
    \hat\pi S_{st} + Z'\hat\gamma` (clipped at 0) the linear first stage's fitted dose.
    Only :math:`S_{st}` moves :math:`\hat C` within a child, so the instruments are functions of
    the supply (and of the child's level); with a linear basis this is the linear 2SLS."""
    Z, _ = regressors(d.pairs, [], d.ctrl)
    X1 = pd.concat([d.pairs[["supply"]], Z], axis=1)
    d1, _, _ = make_design(d.pairs, outcome="dose", X=X1, fixed_effects=[d.unit, d.time],
                           cluster=[d.cluster])  # fmt: skip
    first = fit_within(d1, kinds=["instrument"] + ["control"] * Z.shape[1])
    chat = np.full(len(d.pairs), np.nan)
    chat[d1.rows] = np.maximum(d1.y - first.resid, 0.0)
    B = basis(d.pairs["dose"].to_numpy())
    G = np.full_like(B, np.nan)
    ok = ~np.isnan(chat)
    G[ok] = basis(chat[ok])
    inst = [f"{n}(hat)" for n in names]
    X = pd.concat([pd.DataFrame(B, index=d.pairs.index, columns=names), Z,
                   pd.DataFrame(G, index=d.pairs.index, columns=inst)], axis=1)  # fmt: skip
    design, _, _ = make_design(d.pairs, outcome=d.y_name, X=X, fixed_effects=[d.unit, d.time],
                               cluster=[d.cluster])  # fmt: skip
    return fit_iv(design, endogenous=names, instruments=inst)


def fit_lead(d: Setup, basis: Callable[[np.ndarray], np.ndarray]) -> WithinFit:
    """The within model of the smooth curve with ``dose_lead`` (the outcome term's dose)
    added; its coefficient is the lead placebo."""
    Z, _ = regressors(d.pairs, [], d.ctrl)
    B = basis(d.pairs["dose"].to_numpy())
    names = [f"f{j + 1}" for j in range(B.shape[1])]
    X = pd.concat([pd.DataFrame(B, index=d.pairs.index, columns=names),
                   d.pairs[["dose_lead"]], Z], axis=1)  # fmt: skip
    design, _, _ = make_design(d.pairs, outcome=d.y_name, X=X, fixed_effects=[d.unit, d.time],
                               cluster=[d.cluster])  # fmt: skip
    kinds = ["treatment"] * (B.shape[1] + 1) + ["control"] * Z.shape[1]
    return fit_within(design, kinds=kinds)


def lead_row(
    d: Setup,
    basis: Callable[[np.ndarray], np.ndarray],
    *,
    inference: Inference,
    boot: BootOptions,
    alpha: float,
) -> dict:
    """The ``lead_placebo`` diagnostics row: t of the lead's coefficient, its p-value by the
    kit's rule (wild cluster bootstrap with few clusters, else CRV1 t(G-1))."""
    try:
        fit = fit_lead(d, basis)
    except EstimationError as e:
        return _na("lead_placebo", f"the lead check could not be computed: {e}")
    return lead_result(fit, inference=inference, boot=boot, alpha=alpha)


def lead_result(fit: WithinFit, *, inference: Inference, boot: BootOptions, alpha: float) -> dict:
    """The ``lead_placebo`` row from the lead model's fit (in memory, or a lazy cohort's
    :class:`~lbc_eval.estimation.moments.MomentFit`)."""
    R = np.zeros(len(fit.names))
    R[fit.index("dose_lead")] = 1.0
    est, se = float(R @ fit.coef), float(np.sqrt(R @ fit.vcov @ R))
    t = est / se
    method, _, _ = resolve(inference, fit)
    if method == "wild":
        p = wcr_test(fit, R, reps=boot.reps, boot_weights=boot.boot_weights, seed=boot.seed,
                     alpha=alpha, ci=False).p_value  # fmt: skip
        how = "wild cluster bootstrap"
    else:
        p = float(2 * stats.t.sf(abs(t), fit.df_t))
        how = f"{fit.vcov_type} t({fit.df_t:g})"
    ok = bool(p >= alpha)
    msg = (
        f"next term's contacts do not predict this pair's outcome (coefficient {est:.3g} per "
        f"contact, p = {p:.3f}, {how}): no sign that contacts respond to children's bad terms"
        if ok
        else f"next term's contacts predict this pair's outcome (coefficient {est:.3g} per "
        f"contact, t = {t:.2f}, p = {p:.3g}, {how}): contacts respond to children's bad terms "
        f"(or act within the same term), so the within estimate is biased; prefer "
        f"method='supply_iv' or treat the within estimate as not credible"
    )
    return {"check": "lead_placebo", "statistic": t, "df": fit.df_t, "p_value": p,
            "passed": ok, "message": msg}  # fmt: skip


def first_stage_row(iv: IVFit, curve: IVFit) -> dict:
    """The ``first_stage`` row: the cluster-robust F of the supply instrument in the linear
    first stage (dose on supply); the message adds the curve's first-stage Fs (each basis
    column on all the instruments), and the row fails if any is below 10."""
    f, p = float(iv.first_stage_f[0]), float(iv.first_stage_p[0])
    fc = float(np.min(curve.first_stage_f))
    ok = bool(f >= WEAK_F and fc >= WEAK_F)
    msg = (
        f"school-term supply moves children's contacts strongly (first-stage F = {f:.1f}, "
        f"cluster-robust; the curve's first stages at least {fc:.1f}; threshold {WEAK_F:g})"
        if ok
        else f"school-term supply barely moves children's contacts (first-stage F = {f:.1f}, "
        f"the curve's first stages down to {fc:.1f}; threshold {WEAK_F:g}): the supply-IV "
        f"estimate is weak-instrument biased towards the within one and its interval is "
        f"unreliable"
    )
    return {"check": "first_stage", "statistic": f, "df": iv.df_t, "p_value": p,
            "passed": ok, "message": msg}  # fmt: skip


def _cluster_totals(codes: np.ndarray, labels: np.ndarray, psi: np.ndarray) -> pd.Series:
    return pd.Series(cluster_sums(codes, psi, len(labels))[:, 0], index=labels)


def contrast_row(
    within: WithinFit, delta: np.ndarray, iv: IVFit, *, alpha: float
) -> tuple[dict, float, float]:
    r"""The ``iv_vs_within`` row, and the difference with its standard error.

    :math:`\hat D = \bar\Delta'(\hat\beta_W - \hat\beta_{IV})`, the within AME minus the
    curve-IV AME (same basis, same :math:`\bar\Delta`). Each estimate is a sum of per-row
    influences, :math:`\psi^W_i = \bar\Delta'(\ddot X'\ddot X)^{-1}\ddot x_i\hat u_i` and
    :math:`\psi^{IV}_i = \bar\Delta'(\hat X'\hat X)^{-1}\hat x_i\hat u_i`; summed by school (the
    two fits may keep different rows, so schools are matched by label) and scaled by each
    fit's small-sample factor,
    :math:`\widehat{Var}(\hat D) = \sum_g (\sqrt{c_W}\Psi^W_g - \sqrt{c_{IV}}\Psi^{IV}_g)^2`,
    which gives each fit's own CRV1 variance on the diagonal and their covariance from the
    shared schools. :math:`t(G-1)` reference.
    """
    dw = within.design
    psi_w = (within.Xd * within.resid[:, None]) @ (within.bread @ delta)
    tw = _cluster_totals(dw.clusters[:, 0], dw.cluster_labels[0], psi_w) * np.sqrt(within.ssc)
    di = iv.design
    ti = _cluster_totals(di.clusters[:, 0], di.cluster_labels[0], iv.influence(delta))
    ti = ti * np.sqrt(iv.ssc)
    diff_g = tw.sub(ti, fill_value=0.0)
    G = len(diff_g)
    D = float(delta @ within.coef - delta @ iv.coef)
    se = float(np.sqrt((diff_g**2).sum()))
    z = D / se
    p = float(2 * stats.t.sf(abs(z), G - 1))
    crit = float(stats.t.ppf(1 - alpha / 2, G - 1))
    ok = bool(abs(z) < crit)
    msg = (
        f"the within and supply-IV estimates agree within their uncertainty (difference "
        f"{D:.3g}, SE {se:.3g})"
        if ok
        else f"the within estimate differs from the supply-IV estimate by {D:.3g} (SE {se:.3g},"
        f" t = {z:.2f}): something other than supply moves contacts within children (e.g. "
        f"mentors responding to bad terms); the within estimate is not credible, prefer "
        f"method='supply_iv'"
    )
    row = {"check": "iv_vs_within", "statistic": z, "df": float(G - 1), "p_value": p,
           "passed": ok, "message": msg}  # fmt: skip
    return row, D, se


def iv_table(
    ivs: dict[str, IVFit], delta: np.ndarray, *, outcome: str, alpha: float, cluster: str
) -> tuple[pd.DataFrame, str, str]:
    r"""``method="supply_iv"``'s rows ``ame`` (the curve IV's :math:`\bar\Delta'\hat\beta`) and
    ``slope_iv`` (the linear IV), with CRV1 :math:`t(G-1)` inference; a note, and a warning
    message when clusters are few (empty otherwise)."""
    iv, lin = ivs["curve"], ivs["linear"]
    G = iv.n_clusters
    table = tidy_frame(
        ["ame", "slope_iv"],
        [float(delta @ iv.coef), float(lin.coef[0])],
        [float(np.sqrt(delta @ iv.vcov @ delta)), float(lin.se[0])],
        outcome=outcome,
        alpha=alpha,
        df=iv.df_t,
    )
    few = G < FEW_CLUSTERS
    note = (
        f"ame: AME of the smooth curve by 2SLS within children, its basis instrumented by the "
        f"basis of the dose predicted by the supply (the leave-one-out mean dose of the other "
        f"mentored children of the same {cluster} that term; first-stage F "
        f"{lin.first_stage_f[0]:.1f}); slope_iv: the linear 2SLS slope (a supply-weighted "
        f"average of the curve's slopes, not the AME when the curve bends); CRV1 by {cluster} "
        f"with t({G - 1}) p-values and intervals (no wild bootstrap for 2SLS)"
        + (f": with {G} clusters they may be too narrow" if few else "")
        + f"; {iv.design.nobs:,} obs"
    )
    warn = (
        f"only {G} clusters ({cluster}): the supply-IV rows use CRV1 t({G - 1}), which may "
        f"over-reject"
        if few
        else ""
    )
    return table, note, warn


def _na(check: str, message: str) -> dict:
    return {"check": check, "statistic": np.nan, "df": np.nan, "p_value": np.nan,
            "passed": pd.NA, "message": message}  # fmt: skip


def checks(
    d: Setup,
    within: WithinFit,
    delta: np.ndarray,
    basis: Callable[[np.ndarray], np.ndarray],
    k: int,
    *,
    inference: Inference,
    boot: BootOptions,
    alpha: float,
) -> tuple[pd.DataFrame, dict[str, IVFit] | None, str]:
    """The diagnostics frame (``lead_placebo``, ``first_stage``, ``iv_vs_within``), the IV
    fits (``linear``: dose on supply; ``curve``: the smooth curve, whose AME is
    ``delta @ coef``), None when they cannot be computed, and why not."""
    rows = [lead_row(d, basis, inference=inference, boot=boot, alpha=alpha)]
    names = list(within.names[:k])
    try:
        ivs = {"linear": fit_supply_iv(d)[0], "curve": fit_curve_iv(d, basis, names)}
        why = ""
    except EstimationError as e:
        ivs, why = None, str(e)
    if ivs is None:
        reason = f"the supply-IV estimate could not be computed: {why}"
        rows += [_na("first_stage", reason), _na("iv_vs_within", reason)]
    else:
        rows += [first_stage_row(ivs["linear"], ivs["curve"]),
                 contrast_row(within, delta, ivs["curve"], alpha=alpha)[0]]  # fmt: skip
    return diagnostics_frame(rows), ivs, why
