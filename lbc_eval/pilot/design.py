"""Designs of a randomised pilot: the standard-error formulas, degrees of freedom, Bloom's
multiplier, the power of the t test, and the checks on a design's arguments.

:mod:`lbc_eval.pilot.power` is the front end (``mde``, ``power``, ``solve``); this module holds the
formulas it evaluates (Bloom 2005; Dong & Maynard 2013, PowerUp!; Hedges & Rhoads 2009).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal, get_args

import numpy as np
from scipy import optimize, stats

from lbc_eval.errors import SpecError

Design = Literal["individual", "cluster2", "cluster3"]
#: How MDE, power and sample sizes are computed; see the ``method`` argument of
#: :func:`lbc_eval.pilot.power.mde`.
Method = Literal["powerup", "noncentral", "multiplier"]
DESIGNS: tuple[str, ...] = get_args(Design)
METHODS: tuple[str, ...] = get_args(Method)

#: The sample sizes each design needs, outermost first.
SIZES: dict[str, tuple[str, ...]] = {
    "individual": ("n_individuals",),
    "cluster2": ("n_clusters", "cluster_size"),
    "cluster3": ("n_clusters", "schools_per_cluster", "cluster_size"),
}
_RANDOMISED_R2 = {"individual": "r2_individual", "cluster2": "r2_cluster", "cluster3": "r2_top"}


# --- the formulas ---------------------------------------------------------------------------


def multiplier(
    df: float | None, *, alpha: float = 0.05, power: float = 0.8, two_sided: bool = True
) -> float:
    """Bloom's minimum-detectable-effect multiplier.

    Notes
    -----
    :math:`M = t_{1-\\alpha/2,\\,\\nu} + t_{\\pi,\\,\\nu}` for a two-sided test
    (:math:`t_{1-\\alpha,\\nu}` one-sided) at power :math:`\\pi` with :math:`\\nu` degrees
    of freedom; the normal quantiles when ``df`` is None or infinite (Bloom 1995: 2.49 for a
    one-sided 5% test at 80% power, 2.80 two-sided).
    """
    dist = stats.norm if df is None or not np.isfinite(df) else stats.t(df)
    crit = dist.ppf(1 - alpha / 2 if two_sided else 1 - alpha)
    return float(crit + dist.ppf(power))


def standard_error(
    *,
    design: Design,
    n_individuals: float | None = None,
    n_clusters: float | None = None,
    schools_per_cluster: float | None = None,
    cluster_size: float | None = None,
    icc: float = 0.0,
    icc_top: float = 0.0,
    treat_share: float = 0.5,
    r2_individual: float = 0.0,
    r2_cluster: float = 0.0,
    r2_top: float = 0.0,
) -> float:
    """Standard error of the impact estimate in SD units (Dong & Maynard 2013).

    Notes
    -----
    With :math:`P` the treated share and :math:`R^2_l` the share of level-:math:`l`
    variance explained by covariates,

    - individual (N children): :math:`\\sqrt{(1-R^2_1)/(P(1-P)N)}`;
    - two-level (J schools of n children, school ICC :math:`\\rho`):
      :math:`\\sqrt{\\rho(1-R^2_2)/(P(1-P)J) + (1-\\rho)(1-R^2_1)/(P(1-P)Jn)}`;
    - three-level (K townships of J schools of n children, ICCs :math:`\\rho_3` township,
      :math:`\\rho_2` school): :math:`\\sqrt{\\rho_3(1-R^2_3)/(P(1-P)K) +
      \\rho_2(1-R^2_2)/(P(1-P)KJ) + (1-\\rho_2-\\rho_3)(1-R^2_1)/(P(1-P)KJn)}`.
    """
    pq = treat_share * (1 - treat_share)
    if design == "individual":
        return math.sqrt((1 - r2_individual) / (pq * n_individuals))  # type: ignore[operator]
    if design == "cluster2":
        J, n = n_clusters, cluster_size
        return math.sqrt(
            icc * (1 - r2_cluster) / (pq * J)  # type: ignore[operator]
            + (1 - icc) * (1 - r2_individual) / (pq * J * n)  # type: ignore[operator]
        )
    K, J, n = n_clusters, schools_per_cluster, cluster_size
    return math.sqrt(
        icc_top * (1 - r2_top) / (pq * K)  # type: ignore[operator]
        + icc * (1 - r2_cluster) / (pq * K * J)  # type: ignore[operator]
        + (1 - icc - icc_top) * (1 - r2_individual) / (pq * K * J * n)  # type: ignore[operator]
    )


def degrees_of_freedom(p: dict[str, Any]) -> float:
    """Degrees of freedom: randomised units - covariates at that level - 2."""
    units = p["n_individuals"] if p["design"] == "individual" else p["n_clusters"]
    return float(units - p["n_covariates"] - 2)


def power_of(effect: float, se: float, df: float, p: Mapping[str, Any]) -> float:
    r"""Power to detect a true effect ``effect`` with standard error ``se`` and ``df``.

    Notes
    -----
    With :math:`\lambda = |\delta| / SE` and :math:`c = t_{1-\alpha/2,\nu}`
    (:math:`t_{1-\alpha,\nu}` one-sided), ``"powerup"`` and ``"noncentral"`` give
    :math:`1 - T_{\nu,\lambda}(c) + T_{\nu,\lambda}(-c)` (noncentral t; one-sided: drop
    the last term), PowerUpR 1.1.0 ``.power.fun`` (R/utils.R); the last term is computed as
    :math:`1 - T_{\nu,-\lambda}(c)`, which stays finite where SciPy's lower tail of the
    noncentral t returns NaN (:math:`\lambda \gtrsim 7`). ``"multiplier"`` gives
    :math:`T_\nu(\lambda - c)`, the exact inverse of MDE = M x SE. Normal distributions
    replace the t when ``df`` is infinite.
    """
    alpha, two_sided = p["alpha"], p["two_sided"]
    lam = abs(effect) / se
    finite = bool(np.isfinite(df))
    dist = stats.t(df) if finite else stats.norm
    crit = float(dist.ppf(1 - alpha / 2 if two_sided else 1 - alpha))
    if p["method"] == "multiplier":
        return float(dist.cdf(lam - crit))
    if finite:
        upper, lower = stats.nct.sf(crit, df, lam), stats.nct.sf(crit, df, -lam)
    else:
        upper, lower = stats.norm.sf(crit - lam), stats.norm.sf(crit + lam)
    return float(upper + (lower if two_sided else 0.0))


def mde_of(se: float, df: float, p: Mapping[str, Any]) -> float:
    r"""Minimum detectable effect for standard error ``se`` and ``df`` degrees of freedom.

    Notes
    -----
    ``"powerup"`` and ``"multiplier"``: :math:`M_\nu \times SE` with
    :math:`M_\nu = t_{1-\alpha/2,\nu} + t_{\pi,\nu}` (:func:`multiplier`; PowerUpR
    1.1.0 ``.mdes.fun``, R/utils.R). ``"noncentral"``: the effect at which
    :func:`power_of` equals :math:`\pi`, found by Brent's method around :math:`M_\nu SE`.
    """
    m = multiplier(df, alpha=p["alpha"], power=p["power"], two_sided=p["two_sided"])
    if p["method"] != "noncentral":
        return m * se
    f = lambda e: power_of(e, se, df, p) - p["power"]  # noqa: E731
    lo, hi = max(m * se * 0.5, 1e-12), m * se * 1.5
    while f(lo) > 0:
        lo /= 2
    while f(hi) < 0:
        hi *= 2
    return float(optimize.brentq(f, lo, hi, xtol=1e-12, rtol=1e-12))



# --- arguments --------------------------------------------------------------------------------


def check(kw: dict[str, Any], *, unknown: str | None = None) -> dict[str, Any]:
    """Check the arguments, infer the design, fill ``n_covariates``; returns a plain dict."""
    p = dict(kw)
    method = p["method"]
    if method not in METHODS:
        raise SpecError("method", f"{method!r} is not one of {', '.join(METHODS)}")
    design = p["design"]
    if design is None:
        if p["n_individuals"] is not None or unknown == "n_individuals":
            design = "individual"
        elif (
            p["schools_per_cluster"] is not None
            or unknown == "schools_per_cluster"
            or p["icc_top"] > 0
        ):
            design = "cluster3"
        else:
            design = "cluster2"
    if design not in DESIGNS:
        raise SpecError("design", f"{design!r} is not one of {', '.join(DESIGNS)}")
    p["design"] = design
    for name in ("alpha", "treat_share"):
        if not 0 < p[name] < 1:
            raise SpecError(name, f"must be strictly between 0 and 1, not {p[name]}")
    if p["power"] is not None and not 0 < p["power"] < 1:
        raise SpecError("power", f"must be strictly between 0 and 1, not {p['power']}")
    for name in ("icc", "icc_top", "r2_individual", "r2_cluster", "r2_top"):
        if not 0 <= p[name] < 1:
            raise SpecError(name, f"must be in [0, 1), not {p[name]}")
    if p["icc"] + p["icc_top"] >= 1:
        raise SpecError("icc", "icc + icc_top must be below 1 (children must vary too)")
    sizes = SIZES[design]
    for name in ("n_individuals", "n_clusters", "schools_per_cluster", "cluster_size"):
        if name not in sizes and p[name] is not None:
            raise SpecError(name, f"does not apply to the {design} design (it uses {sizes})")
        if name in sizes and name != unknown:
            if p[name] is None:
                raise SpecError(
                    name, f"the {design} design needs {', '.join(sizes)}; {name} is missing"
                )
            if p[name] <= 0:
                raise SpecError(name, f"must be positive, not {p[name]}")
    if design == "individual" and p["icc"] + p["icc_top"] > 0:
        raise SpecError("icc", "an individually randomised design has no ICC; leave it at 0")
    if design == "cluster2" and p["icc_top"] > 0:
        raise SpecError("icc_top", "the cluster2 design has no third level; use design='cluster3'")
    if p["n_covariates"] is None:
        p["n_covariates"] = int(p[_RANDOMISED_R2[design]] > 0)
    if p["n_covariates"] < 0:
        raise SpecError("n_covariates", f"must be 0 or more, not {p['n_covariates']}")
    if unknown not in sizes and degrees_of_freedom(p) <= 0:
        raise SpecError(
            sizes[0],
            f"leaves {degrees_of_freedom(p):g} degrees of freedom (randomised units - "
            f"covariates - 2); randomise more units",
        )
    return p


def se_of(p: dict[str, Any]) -> float:
    keys = (
        "n_individuals n_clusters schools_per_cluster cluster_size icc icc_top treat_share "
        "r2_individual r2_cluster r2_top"
    ).split()
    return standard_error(design=p["design"], **{k: p[k] for k in keys})


def inputs_of(p: dict[str, Any]) -> dict[str, Any]:
    sizes = SIZES[p["design"]]
    out = {k: p[k] for k in sizes}
    keep = ["treat_share", "r2_individual", "n_covariates", "alpha", "two_sided", "power"]
    if p["design"] != "individual":
        keep[1:1] = ["icc", "r2_cluster"]
    if p["design"] == "cluster3":
        keep[1:1] = ["icc_top", "r2_top"]
    out.update({k: p[k] for k in keep})
    if p.get("effect") is not None:
        out["effect"] = p["effect"]
    return out
