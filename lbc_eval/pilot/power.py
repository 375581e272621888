"""Pilot power: minimum detectable effects, power and sample sizes for randomised pilots.

Three designs, as in PowerUp! (Dong & Maynard 2013) and Bloom (2005, 2006):

``"individual"``
    children randomised one by one (PowerUp! model 1.0, IRA);
``"cluster2"``
    schools randomised, children in schools (model 3.1, CRA2_2r);
``"cluster3"``
    townships randomised, children in schools in townships (model 3.2, CRA3_3r).

Effects are in standard deviations of the outcome (SD units, "effect sizes"). By default
(``method="powerup"``) the three answers are PowerUp!'s, as PowerUpR 1.1.0 computes them: the
MDE is Bloom's multiplier times the standard error, power is the noncentral-t power, and a
solved sample size is the one at which the MDE equals the effect. ICCs and
covariate R² for a design can be estimated from a cohort with
:func:`lbc_eval.pilot.icc.icc_from_cohort`, and MDE curves drawn with
:func:`lbc_eval.pilot.icc.mde_curve` and :func:`lbc_eval.pilot.icc.plot_mde`.

Examples
--------
>>> from lbc_eval.pilot.power import mde, power, solve
>>> round(float(mde(n_clusters=20, cluster_size=15, icc=0.17)), 3)  # PowerUpR cross-check
0.629
>>> round(float(power(effect=0.629, n_clusters=20, cluster_size=15, icc=0.17)), 2)
0.8
>>> solve(effect=0.25, power=0.8, cluster_size=40, icc=0.2).value   # schools needed
113
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from scipy import optimize

from lbc_eval.errors import SpecError
from lbc_eval.pilot.design import (
    DESIGNS,
    METHODS,
    SIZES,
    Design,
    Method,
    check,
    degrees_of_freedom,
    inputs_of,
    mde_of,
    multiplier,
    power_of,
    se_of,
    standard_error,
)

__all__ = [
    "DESIGNS",
    "METHODS",
    "PowerResult",
    "mde",
    "multiplier",
    "power",
    "solve",
    "standard_error",
]


@dataclass(frozen=True)
class PowerResult:
    """One answer of :func:`mde`, :func:`power` or :func:`solve`; ``float(result)`` is the answer.

    Attributes
    ----------
    quantity : str
        What was computed: ``"mde"``, ``"power"`` or the name of a sample size.
    value : float or int
        The answer. Sample sizes are rounded up to the smallest whole number that reaches the
        target; ``exact`` keeps the unrounded solution.
    design : str
    df : float
        Degrees of freedom of the impact test (at ``value`` for a solved sample size).
    standard_error : float
        Standard error of the impact estimate in SD units.
    multiplier : float
        Bloom's multiplier ``M`` (MDE = M x standard error under the multiplier method).
    method : str
    exact : float
    inputs : mapping
        Every design parameter, the solved one included.
    """

    quantity: str
    value: float
    design: str
    df: float
    standard_error: float
    multiplier: float
    method: str
    exact: float
    inputs: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def to_frame(self) -> pd.DataFrame:
        """One tidy row: the quantity, its value, df, standard error and every input."""
        row = {
            "quantity": self.quantity,
            "value": float(self.value),
            "design": self.design,
            "df": self.df,
            "standard_error": self.standard_error,
            "multiplier": self.multiplier,
            "method": self.method,
        }
        row.update({k: v for k, v in self.inputs.items() if k not in row})
        return pd.DataFrame([row])

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in self.inputs.items() if v is not None)
        return (
            f"{self.quantity} = {_fmt(self.value)} ({self.design}; df={_fmt(self.df)}, "
            f"SE={self.standard_error:.4f}, M={self.multiplier:.3f}, {self.method})\n  {shown}"
        )


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _result(p: dict[str, Any], quantity: str, value: float, exact: float) -> PowerResult:
    se, df = se_of(p), degrees_of_freedom(p)
    m = multiplier(df, alpha=p["alpha"], power=p["power"] or 0.8, two_sided=p["two_sided"])
    return PowerResult(
        quantity=quantity,
        value=value,
        design=p["design"],
        df=df,
        standard_error=se,
        multiplier=m,
        method=p["method"],
        exact=exact,
        inputs=inputs_of(p),
    )


_DOC_PARAMS = """
    design : {"individual", "cluster2", "cluster3"}, optional
        Inferred when left out: individual if ``n_individuals`` is given, three-level if
        ``schools_per_cluster`` or ``icc_top`` is, otherwise two-level.
    n_individuals : int
        Children randomised (individual design).
    n_clusters : int
        Randomised clusters: schools (``cluster2``) or townships (``cluster3``).
    schools_per_cluster : float
        Schools per township (``cluster3``; the harmonic mean if they differ).
    cluster_size : float
        Children per school (the harmonic mean if schools differ).
    icc : float
        Share of outcome variance between schools (within townships for ``cluster3``).
    icc_top : float
        Share of outcome variance between townships (``cluster3``).
    treat_share : float
        Share of randomised units assigned to the programme.
    r2_individual, r2_cluster, r2_top : float
        Share of the child-, school- and township-level variance explained by covariates
        (e.g. last term's score).
    n_covariates : int, optional
        Covariates at the randomised level; each costs one degree of freedom. Default: 1 if
        the R² at that level is positive, else 0.
    alpha : float
        Significance level.
    two_sided : bool
    method : {"powerup", "noncentral", "multiplier"}
        ``"powerup"`` (default): as PowerUp! (Dong & Maynard 2013) and PowerUpR 1.1.0
        (``mdes.*``, ``power.*``, ``mrss.*``): MDE = M x SE with Bloom's central-t multiplier
        M; power from the noncentral t; a solved sample size makes the MDE equal the effect.
        The two are not exact inverses: at the MDE the noncentral power is 0.791 rather than
        0.80 with 4 degrees of freedom, 0.7993 with 10, 0.8002 with 28.
        ``"noncentral"``: the noncentral t throughout (Hedges & Rhoads 2009; statsmodels'
        ``solve_power``): the MDE is the effect whose noncentral power is ``power``. Its MDE
        exceeds PowerUp!'s by 0.29 SE with 2 degrees of freedom, 0.044 SE with 4 (0.017 SD
        for 6 schools of 20 children, ICC .2), 0.003 SE with 10, and is below it by less
        than 0.001 SE from 18 on.
        ``"multiplier"``: Bloom's closed form throughout: MDE = M x SE and its exact inverse,
        power :math:`T_\\nu(\\lambda - c)`.
"""


def mde(
    *,
    design: Design | None = None,
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
    n_covariates: int | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = True,
    method: Method = "powerup",
) -> PowerResult:
    """Minimum detectable effect (SD units) of a design at the given power.

    Parameters
    ----------
    power : float
        Probability of a significant result when the true effect equals the MDE.
    {params}
    Returns
    -------
    PowerResult
        ``float(result)`` is the MDE.

    Notes
    -----
    :math:`\\text{{MDE}} = M_{{\\nu}} \\times SE` with Bloom's multiplier
    :math:`M_\\nu = t_{{1-\\alpha/2,\\nu}} + t_{{\\pi,\\nu}}` (:func:`multiplier`; central
    t quantiles), the standard error of :func:`standard_error`, and :math:`\\nu` = randomised
    units - covariates - 2 (Bloom 2005; Dong & Maynard 2013): PowerUpR 1.1.0 ``mdes.ira``,
    ``mdes.cra2``, ``mdes.cra3`` with ``g`` = ``n_covariates``. With ``method="noncentral"``
    the MDE is the effect at which the noncentral-t power equals ``power`` (:func:`mde_of`).
    """
    p = check(dict(locals(), effect=None))
    value = mde_of(se_of(p), degrees_of_freedom(p), p)
    return _result(p, "mde", value, value)


def power(
    *,
    effect: float,
    design: Design | None = None,
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
    n_covariates: int | None = None,
    alpha: float = 0.05,
    two_sided: bool = True,
    method: Method = "powerup",
) -> PowerResult:
    """Power of a design to detect a true effect of ``effect`` SD.

    Parameters
    ----------
    effect : float
        True effect in SD units.
    {params}
    Returns
    -------
    PowerResult
        ``float(result)`` is the power.

    Notes
    -----
    With :math:`\\lambda = |\\delta| / SE` and critical value :math:`c = t_{{1-\\alpha/2,\\nu}}`,
    power is :math:`1 - T_{{\\nu,\\lambda}}(c) + T_{{\\nu,\\lambda}}(-c)` (noncentral t
    :math:`T_{{\\nu,\\lambda}}`; one-sided: drop the last term) under the ``"powerup"`` and
    ``"noncentral"`` methods, as PowerUpR 1.1.0 ``power.*``; :math:`T_\\nu(\\lambda - c)`
    under ``"multiplier"`` (:func:`power_of`).
    """
    p = check(dict(locals(), power=None))
    value = power_of(effect, se_of(p), degrees_of_freedom(p), p)
    return _result(p, "power", value, value)


def solve(
    *,
    effect: float | None = None,
    power: float | None = 0.8,
    design: Design | None = None,
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
    n_covariates: int | None = None,
    alpha: float = 0.05,
    two_sided: bool = True,
    method: Method = "powerup",
    max_size: float = 1e7,
) -> PowerResult:
    """Solve for whichever of effect, power or one sample size is left out (set to None).

    Like statsmodels' ``solve_power``: exactly one of ``effect``, ``power`` and the design's
    sample sizes must be None. A solved sample size is rounded up to the smallest whole number
    that reaches the target (``result.exact`` keeps the unrounded root).

    Parameters
    ----------
    effect : float or None
        True effect to detect, SD units.
    power : float or None
    {params}
    max_size : float
        Largest sample size searched.

    Raises
    ------
    SpecError
        When not exactly one quantity is missing, or the target cannot be reached by adding
        units at that level (e.g. more children per school cannot beat the school-level
        variance: the message gives the floor).

    Notes
    -----
    A sample size :math:`x` solves :math:`\\text{{MDE}}(x) = |\\delta|` under ``"powerup"`` and
    ``"multiplier"`` (the fixed point PowerUpR 1.1.0 ``mrss.*`` iterates to, here by Brent's
    method to 1e-10 rather than PowerUpR's tolerance of 0.1), and
    :math:`\\text{{power}}(x) = \\pi` under ``"noncentral"``. PowerUpR then rounds to the
    nearest whole number, which can fall one below the size that reaches the target; here it
    is rounded up.
    """
    kw = dict(locals())
    max_size = kw.pop("max_size")
    design_guess = _guess_design(kw)
    missing = [k for k in ("effect", "power", *SIZES[design_guess]) if kw[k] is None]
    if len(missing) != 1:
        raise SpecError(
            "solve",
            f"exactly one of effect, power, {', '.join(SIZES[design_guess])} must be None "
            f"(the {design_guess} design); missing: {', '.join(missing) or 'none'}",
        )
    unknown = missing[0]
    p = check(dict(kw, design=design_guess), unknown=unknown)
    if unknown == "effect":
        value = mde_of(se_of(p), degrees_of_freedom(p), p)
        return _result(p, "mde", value, value)
    if unknown == "power":
        value = power_of(p["effect"], se_of(p), degrees_of_freedom(p), p)
        return _result(p, "power", value, value)
    if p["effect"] == 0:
        raise SpecError("effect", "an effect of 0 cannot be detected; give a positive effect")
    exact = _solve_size(p, unknown, max_size)
    value = math.ceil(exact - 1e-9)
    return _result(dict(p, **{unknown: value}), unknown, value, exact)


def _solve_size(p: dict[str, Any], unknown: str, max_size: float) -> float:
    """The unrounded sample size ``unknown`` at which the design just reaches the target."""
    floor = 2.0 + p["n_covariates"] if unknown in ("n_clusters", "n_individuals") else 0.0

    def gap(x: float) -> float:  # > 0 when x is large enough
        q = dict(p, **{unknown: x})
        se, df = se_of(q), degrees_of_freedom(q)
        if p["method"] == "noncentral":
            return power_of(p["effect"], se, df, q) - p["power"]
        return abs(p["effect"]) - mde_of(se, df, q)

    lo = floor + 1.0  # at least one degree of freedom
    hi = lo * 2
    while gap(hi) < 0:
        if hi >= max_size:
            best = mde(**{**_public(p), unknown: max_size, "power": p["power"]})
            raise SpecError(
                unknown,
                f"even {max_size:g} {unknown} give an MDE of {float(best):.3f} SD, above the "
                f"effect {p['effect']} SD; add units at another level instead",
            )
        hi = min(hi * 2, max_size)
    return float(optimize.brentq(gap, lo, hi, xtol=1e-10)) if gap(lo) < 0 else lo


def _guess_design(kw: dict[str, Any]) -> str:
    if kw["design"] is not None:
        if kw["design"] not in DESIGNS:
            raise SpecError("design", f"{kw['design']!r} is not one of {', '.join(DESIGNS)}")
        return kw["design"]
    if kw["n_individuals"] is not None:
        return "individual"
    if kw["schools_per_cluster"] is not None or kw["icc_top"] > 0:
        return "cluster3"
    if kw["n_clusters"] is None and kw["cluster_size"] is None and kw["icc"] == 0:
        return "individual"
    return "cluster2"


def _public(p: dict[str, Any]) -> dict[str, Any]:
    drop = {"effect", "power"}
    return {k: v for k, v in p.items() if k not in drop}


for _f in (mde, power, solve):
    _f.__doc__ = (
        (_f.__doc__ or "")
        .replace("{params}", _DOC_PARAMS.strip() + "\n")
        .replace("{{", "{")
        .replace("}}", "}")
    )
