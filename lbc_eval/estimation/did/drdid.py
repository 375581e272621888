r"""The 2x2 difference-in-differences estimators of Sant'Anna & Zhao (2020), as R's DRDID does.

R's ``did`` (2.5.1, ``compute.att_gt.R``) estimates every ATT(g,t) with one of DRDID's 2x2
estimators: ``est_method = "reg"`` calls ``reg_did_panel`` / ``reg_did_rc``, ``"ipw"`` calls
``std_ipw_did_panel`` / ``std_ipw_did_rc`` and ``"dr"`` calls ``drdid_panel`` / ``drdid_rc``
(the locally efficient one), always with the sampling weights ``i.weights`` and the default
``trim.level = 0.995``. :func:`att_panel` and :func:`att_rc` compute the same ATT and the same
per-observation influence function ``att.inf.func`` as DRDID 1.2.3 (files ``reg_did_panel.R``,
``std_ipw_did_panel.R``, ``drdid_panel.R``, ``reg_did_rc.R``, ``std_ipw_did_rc.R``,
``drdid_rc.R``); ``did`` then rescales it by :math:`n / n_{gt}`, which is left to the caller.

Notation
--------
:math:`n` observations (units with panel data, rows with repeated cross sections), treatment
indicator :math:`D`, post-period indicator :math:`T` (cross sections), covariates :math:`X` with
the intercept (intercept only when none are given), weights normalised to mean one,
:math:`w = \tilde w / \bar{\tilde w}`, and :math:`\mathbb{E}_n` the sample mean. Then:

* outcome regressions: :math:`\mu_{d,t}(X) = X'\hat\beta_{d,t}`, weighted least squares of the
  outcome (of :math:`\Delta Y` with panel data) on :math:`X` among the observations with
  :math:`D = d` (and :math:`T = t`), with weights :math:`w`; the influence function of
  :math:`\hat\beta` is :math:`w_i 1_i (Y_i - X_i'\hat\beta) X_i' \hat G^{-1}` with
  :math:`\hat G = \mathbb{E}_n[w 1 X X']`. DRDID stops when
  :math:`\operatorname{rcond}(\hat G) < \epsilon_{\mathrm{mach}}` ("The regression design
  matrix is singular"); so does this module, with :class:`~lbc_eval.errors.EstimationError`;
* propensity score: weighted logit :math:`\hat p(X) = \Lambda(X'\hat\gamma)` (maximum
  likelihood with weights :math:`w`, ``fastglm`` binomial in DRDID), capped at
  :math:`1 - 10^{-6}`; comparison observations with :math:`\hat p \ge 0.995` get weight zero
  (trimming); the influence function of :math:`\hat\gamma` is
  :math:`w_i (D_i - \hat p_i) X_i' \, n (X' \operatorname{diag}(w \hat p (1 - \hat p)) X)^{-1}`;
* Hajek means: for weights :math:`v`, :math:`\hat m_v(Z) = \mathbb{E}_n[v Z] / \mathbb{E}_n[v]`
  with leading influence term :math:`v_i (Z_i - \hat m_v(Z)) / \mathbb{E}_n[v]`; to each the
  estimators add the estimation effect of :math:`\hat\beta` and :math:`\hat\gamma` (the
  derivative of the estimator times their influence functions), exactly as DRDID writes it.

The analytic standard error is :func:`drdid_se`. Reference: Sant'Anna, P. H. C. and Zhao, J.
(2020), "Doubly robust difference-in-differences estimators", *Journal of Econometrics* 219(1),
101-122; DRDID 1.2.3 (R). ``tests/estimation/did/test_drdid.py`` checks every estimator against
the Python ports ``drdid`` 1.1.7 and ``moderndid`` 0.2.0 (``tests/reference/drdid/``).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.special import expit

from lbc_eval.errors import EstimationError, LbcEvalWarning

TRIM_LEVEL = 0.995  # DRDID's default trim.level: comparison units with p >= 0.995 are dropped
PS_CAP = 1 - 1e-6  # DRDID: ps.fit <- pmin(ps.fit, 1 - 1e-6)
METHODS = ("reg", "ipw", "dr")

Linear = Callable[[np.ndarray], np.ndarray]  # m -> influence function of a nuisance times m


def att_panel(
    dy: np.ndarray,
    d: np.ndarray,
    x: np.ndarray | None = None,
    w: np.ndarray | None = None,
    method: str = "dr",
) -> tuple[float, np.ndarray]:
    r"""ATT and its influence function with panel data (DRDID's ``*_did_panel``).

    With :math:`\Delta Y = Y_1 - Y_0`, treated weights :math:`w_1 = \tau_i w D` and comparison
    weights :math:`w_0 = \tau_i w \hat p (1 - D) / (1 - \hat p)` (:math:`\tau_i` the trimming
    indicator):

    * ``reg`` (``reg_did_panel.R``, eq. 2.2):
      :math:`\hat\tau = \hat m_{wD}(\Delta Y - \mu_{0,\Delta}(X))`;
    * ``ipw`` (``std_ipw_did_panel.R``, Abadie's IPW with weights normalised
      to sum to one):
      :math:`\hat\tau = \hat m_{w_1}(\Delta Y) - \hat m_{w_0}(\Delta Y)`;
    * ``dr`` (``drdid_panel.R``, eq. 3.1): :math:`\hat\tau = \hat m_{w_1}(\Delta Y -
      \mu_{0,\Delta}(X)) - \hat m_{w_0}(\Delta Y - \mu_{0,\Delta}(X))`.

    ``dy``, ``d`` (0/1) and ``w`` (``None`` = equal weights) have one value per unit; ``x`` is
    the n x k covariate matrix *with* its intercept column, or ``None`` for intercept only.
    Returns the ATT and DRDID's ``att.inf.func`` (one value per unit).
    """
    dy = _finite(dy, "dy")
    n = dy.size
    d, x, w = _inputs(d, x, w, n, method)
    out, lin_or = np.zeros(n), None
    if method != "ipw":
        out, lin_or = _ols(x, dy, w * (1 - d), "of the comparison units")
    if method == "reg":
        w1 = w * d
        a1, i1 = _hajek(w1, dy, "treated units")
        a0, i0 = _hajek(w1, out, "treated units")
        return a1 - a0, i1 - i0 - lin_or(x.T @ w1 / n) / w1.mean()
    ps, keep, lin_ps = _pscore(x, d, w)
    w1 = keep * w * d
    w0 = keep * w * ps * (1 - d) / (1 - ps)
    r = dy - out
    a1, i1 = _hajek(w1, r, "treated units")
    a0, i0 = _hajek(w0, r, "comparison units left after trimming")
    i0 = i0 + lin_ps(x.T @ (w0 * (r - a0)) / n) / w0.mean()
    if method == "dr":
        i1 = i1 - lin_or(x.T @ w1 / n) / w1.mean()
        i0 = i0 - lin_or(x.T @ w0 / n) / w0.mean()
    return a1 - a0, i1 - i0


def att_rc(
    y: np.ndarray,
    post: np.ndarray,
    d: np.ndarray,
    x: np.ndarray | None = None,
    w: np.ndarray | None = None,
    method: str = "dr",
) -> tuple[float, np.ndarray]:
    r"""ATT and its influence function with repeated cross sections (DRDID's ``*_did_rc``).

    One row per observation: outcome ``y``, ``post`` (0/1), ``d`` (0/1), ``x`` (n x k with the
    intercept column, or ``None``) and ``w`` (``None`` = equal weights). With
    :math:`w_{1,t} = \tau_i w D 1\{T = t\}` and
    :math:`w_{0,t} = \tau_i w \hat p (1 - D) 1\{T = t\} / (1 - \hat p)`:

    * ``reg`` (``reg_did_rc.R``, eq. 2.2): :math:`\hat\tau = \hat m_{w_{1,1}}(Y) -
      \hat m_{w_{1,0}}(Y) - \hat m_{wD}(\mu_{0,1}(X) - \mu_{0,0}(X))`;
    * ``ipw`` (``std_ipw_did_rc.R``, normalised weights): :math:`\hat\tau = \sum_{t} (2t - 1)
      [\hat m_{w_{1,t}}(Y) - \hat m_{w_{0,t}}(Y)]`;
    * ``dr`` (``drdid_rc.R``, the locally efficient :math:`\hat\tau^{dr,rc}_2` of eq. 3.4): the
      ``ipw`` form applied to :math:`Y - \mu_{0,T}(X)` plus
      :math:`\sum_t (2t - 1)[\hat m_{\tau w D}(\mu_{1,t} - \mu_{0,t}) -
      \hat m_{w_{1,t}}(\mu_{1,t} - \mu_{0,t})]`.

    Returns the ATT and DRDID's ``att.inf.func`` (one value per row).
    """
    y = _finite(y, "y")
    n = y.size
    d, x, w = _inputs(d, x, w, n, method)
    post = np.asarray(post, float)
    if post.shape != (n,) or not np.isin(post, (0.0, 1.0)).all():
        raise EstimationError(f"post must hold 0 or 1 for each of the {n} rows")
    if method == "reg":
        return _reg_rc(y, post, d, x, w)
    fits = {}
    if method == "dr":
        for g, t in ((0, 0), (0, 1), (1, 0), (1, 1)):
            what = f"of the {('comparison', 'treated')[g]} units, {('pre', 'post')[t]}-period"
            fits[g, t] = _ols(x, y, w * (d == g) * (post == t), what)
    ps, keep, lin_ps = _pscore(x, d, w)
    odds = ps / (1 - ps)
    w1 = {t: keep * w * d * (post == t) for t in (0, 1)}
    w0 = {t: keep * w * odds * (1 - d) * (post == t) for t in (0, 1)}
    r = y - np.where(post == 1, fits[0, 1][0], fits[0, 0][0]) if fits else y  # Y - mu_{0,T}
    att, inf, m2 = 0.0, np.zeros(n), np.zeros(x.shape[1])
    for t, s in ((1, 1.0), (0, -1.0)):
        a1, i1 = _hajek(w1[t], r, f"treated units in period {t}")
        a0, i0 = _hajek(w0[t], r, f"comparison units in period {t} left after trimming")
        att, inf = att + s * (a1 - a0), inf + s * (i1 - i0)
        m2 = m2 + s * (x.T @ (w0[t] * (r - a0)) / n) / w0[t].mean()
    inf = inf - lin_ps(m2)
    if fits:
        a_eff, i_eff = _dr_rc_terms(x, keep * w * d, w1, w0, fits)
        att, inf = att + a_eff, inf + i_eff
    return att, inf


def drdid_se(inf: np.ndarray) -> float:
    r"""DRDID's analytic standard error, ``sd(inf) * sqrt(n - 1) / n``
    :math:`= \sqrt{\sum_i (\psi_i - \bar\psi)^2} / n`."""
    inf = np.asarray(inf, float)
    return float(np.std(inf, ddof=1) * np.sqrt(inf.size - 1) / inf.size)


# --- the pieces ----------------------------------------------------------------------------------


def _reg_rc(
    y: np.ndarray, post: np.ndarray, d: np.ndarray, x: np.ndarray, w: np.ndarray
) -> tuple[float, np.ndarray]:
    """``reg_did_rc.R``: the outcome-regression estimator with repeated cross sections."""
    n = y.size
    out0, lin0 = _ols(x, y, w * (1 - d) * (1 - post), "of the comparison units, pre-period")
    out1, lin1 = _ols(x, y, w * (1 - d) * post, "of the comparison units, post-period")
    a_post, i_post = _hajek(w * d * post, y, "treated units in period 1")
    a_pre, i_pre = _hajek(w * d * (1 - post), y, "treated units in period 0")
    a_c, i_c = _hajek(w * d, out1 - out0, "treated units")
    m1 = x.T @ (w * d) / n
    i_c = i_c + (lin1(m1) - lin0(m1)) / (w * d).mean()
    return (a_post - a_pre) - a_c, (i_post - i_pre) - i_c


def _dr_rc_terms(
    x: np.ndarray,
    wd: np.ndarray,
    w1: dict[int, np.ndarray],
    w0: dict[int, np.ndarray],
    fits: dict[tuple[int, int], tuple[np.ndarray, Linear]],
) -> tuple[float, np.ndarray]:
    r"""``drdid_rc.R``'s additions to the ``ipw`` form on :math:`Y - \mu_{0,T}(X)`.

    The efficiency terms (``inf.eff``, ``inf.or``) and the estimation effect of the comparison
    regressions through the Hajek means (``inf.treat.or - inf.cont.or``). DRDID 1.2.3 adds the
    pre-period part of the latter with the same sign as the post-period part
    (``inf.treat.or <- inf.treat.or.post + inf.treat.or.pre``, likewise ``inf.cont.or``); this
    is kept, so that the result is DRDID's. (The derivative of the estimator has the opposite
    sign there; the two differ by :math:`2\,\psi_{\beta_{0,0}}'(\hat m_{w_{0,0}}(X) -
    \hat m_{w_{1,0}}(X))`, zero without covariates and asymptotically negligible when the
    propensity score balances :math:`X`.)
    """
    n = wd.size
    att, inf = 0.0, np.zeros(n)
    for t, s in ((1, 1.0), (0, -1.0)):
        diff = fits[1, t][0] - fits[0, t][0]
        a_d, i_d = _hajek(wd, diff, "treated units")
        a_dt, i_dt = _hajek(w1[t], diff, f"treated units in period {t}")
        att, inf = att + s * (a_d - a_dt), inf + s * (i_d - i_dt)
        mom = x.T @ wd / n / wd.mean() - x.T @ w1[t] / n / w1[t].mean()
        or_mean = x.T @ w0[t] / n / w0[t].mean() - x.T @ w1[t] / n / w1[t].mean()
        inf = inf + fits[0, t][1](or_mean - s * mom) + s * fits[1, t][1](mom)
    return att, inf


def _ols(x: np.ndarray, y: np.ndarray, wsub: np.ndarray, what: str) -> tuple[np.ndarray, Linear]:
    r"""Weighted least squares of ``y`` on ``x`` with weights ``wsub`` (zero outside the subset).

    Returns the fitted values on every row and :math:`m \mapsto \psi_\beta m`, with
    :math:`\psi_{\beta,i} = w_i (y_i - x_i'\hat\beta) x_i' \hat G^{-1}`,
    :math:`\hat G = x' \operatorname{diag}(w) x / n` (DRDID's ``asy.lin.rep.ols``).
    """
    n = y.size
    gram = (x * wsub[:, None]).T @ x / n
    _check_rcond(
        gram,
        f"The regression design matrix {what} is singular (rcond < machine epsilon): some "
        f"covariates are collinear or do not vary among these observations, or there are "
        f"none. Remove or recode those covariates",
    )
    root = np.sqrt(wsub)
    beta = np.linalg.lstsq(x * root[:, None], y * root, rcond=None)[0]
    fitted = x @ beta
    resid_x = (wsub * (y - fitted))[:, None] * x
    return fitted, lambda m: resid_x @ np.linalg.solve(gram, m)


def _pscore(
    x: np.ndarray, d: np.ndarray, w: np.ndarray, max_iter: int = 100
) -> tuple[np.ndarray, np.ndarray, Linear]:
    r"""Weighted logit of ``d`` on ``x`` by Newton-Raphson (the MLE ``fastglm`` finds).

    Returns :math:`\hat p` capped at :math:`1 - 10^{-6}`, the trimming indicator (treated, or
    :math:`\hat p < 0.995`) and :math:`m \mapsto \psi_\gamma m` with
    :math:`\psi_{\gamma,i} = w_i (D_i - \hat p_i) X_i' \, n (X' \operatorname{diag}(w \hat p
    (1 - \hat p)) X)^{-1}` on the capped :math:`\hat p`, as DRDID's ``asy.lin.rep.ps``.
    """
    n, k = x.shape
    message = (
        "The propensity-score design matrix is singular: some covariates are collinear or "
        "constant. Remove or recode those covariates"
    )
    _check_rcond((x * (w / 4)[:, None]).T @ x, message)
    beta = np.zeros(k)
    for _ in range(max_iter):
        p = expit(x @ beta)
        info = (x * (w * p * (1 - p))[:, None]).T @ x
        try:
            step = np.linalg.solve(info, x.T @ (w * (d - p)))
        except np.linalg.LinAlgError as e:
            raise EstimationError(
                f"{message} (or they separate treated and comparison units)"
            ) from e
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-10 * (1 + np.max(np.abs(beta))):
            break
    else:
        warnings.warn(
            f"the propensity score (logit) did not converge in {max_iter} iterations; the "
            f"treated and comparison units may be (nearly) separated by the covariates",
            LbcEvalWarning,
            stacklevel=3,
        )
    ps = np.minimum(expit(x @ beta), PS_CAP)
    keep = (d == 1) | (ps < TRIM_LEVEL)
    info = (x * (w * ps * (1 - ps))[:, None]).T @ x
    _check_rcond(info, message)
    factor = cho_factor(info)
    score = (w * (d - ps))[:, None] * x
    return ps, keep.astype(float), lambda m: score @ (n * cho_solve(factor, m))


def _hajek(v: np.ndarray, z: np.ndarray, what: str) -> tuple[float, np.ndarray]:
    r"""The weighted mean :math:`\hat m = \mathbb{E}_n[v z] / \mathbb{E}_n[v]` and its leading
    influence term :math:`v_i (z_i - \hat m) / \mathbb{E}_n[v]`."""
    mass = v.mean()
    if not mass > 0:
        raise EstimationError(f"no {what} with positive weight; the ATT is not identified")
    m = float((v * z).mean() / mass)
    return m, v * (z - m) / mass


def _check_rcond(a: np.ndarray, message: str) -> None:
    """Raise unless the reciprocal 1-norm condition number of ``a`` is at least machine eps
    (DRDID's ``base::rcond(XpX) < .Machine$double.eps`` test)."""
    with np.errstate(all="ignore"):
        try:
            rcond = 1 / np.linalg.cond(a, 1)
        except np.linalg.LinAlgError:
            rcond = 0.0
    if not (np.isfinite(rcond) and rcond >= np.finfo(float).eps):
        raise EstimationError(message)


def _finite(v: np.ndarray, name: str) -> np.ndarray:
    v = np.asarray(v, float)
    if v.ndim != 1 or not np.isfinite(v).all():
        raise EstimationError(f"{name} must be a vector of finite numbers")
    return v


def _inputs(
    d: np.ndarray, x: np.ndarray | None, w: np.ndarray | None, n: int, method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Checked ``d``, the design (intercept only for ``None``) and the weights over their mean
    (DRDID: ``i.weights <- i.weights / mean(i.weights)``)."""
    if method not in METHODS:
        raise EstimationError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    d = np.asarray(d, float)
    if d.shape != (n,) or not np.isin(d, (0.0, 1.0)).all():
        raise EstimationError(f"d must hold 0 or 1 for each of the {n} observations")
    x = np.ones((n, 1)) if x is None else np.asarray(x, float)
    if x.ndim != 2 or x.shape[0] != n or not np.isfinite(x).all():
        raise EstimationError(f"x must be a finite {n} x k matrix (with the intercept column)")
    w = np.ones(n) if w is None else np.asarray(w, float)
    if w.shape != (n,) or not np.isfinite(w).all() or (w < 0).any() or not w.sum() > 0:
        raise EstimationError(f"w must hold {n} finite, non-negative weights, not all zero")
    return d, x, w / w.mean()
