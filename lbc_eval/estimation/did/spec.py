"""Every setting of a staggered DiD in one frozen object: :class:`DidSpec`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lbc_eval.estimation.inference.wild import BOOT_WEIGHTS, BootWeights

Control = Literal["never", "not_yet"]
Method = Literal["reg", "ipw", "dr"]
BasePeriod = Literal["varying", "universal"]
Pretest = Literal["auto", "wald", "sup_t", "average"]
_CHOICES = {
    "control": ("never", "not_yet"),
    "method": ("reg", "ipw", "dr"),
    "base_period": ("varying", "universal"),
    "boot_weights": ("auto", *BOOT_WEIGHTS),
    "pretest": ("auto", "wald", "sup_t", "average"),
}


def check_choice(name: str, value: str) -> None:
    """ValueError naming the allowed values when ``value`` is not one of them."""
    if value not in _CHOICES[name]:
        raise ValueError(f"{name}={value!r}; choose one of {', '.join(_CHOICES[name])}")


@dataclass(frozen=True)
class DidSpec:
    """The settings of :func:`~lbc_eval.estimation.did.fit_did`, checked when built.

    Attributes
    ----------
    outcome, time : str
        Columns of the outcome and the (evenly spaced, numeric) period.
    unit : str or None
        Column of the unit id (None only for repeated cross sections, ``panel=False``).
    group : str
        Column of the unit's first treated period (0 or missing: never treated).
    controls : tuple of str
        Conditioning covariates (their base-period values enter).
    control : {"never", "not_yet"}
        Comparison units: never treated, or not yet treated (plus never treated).
    method : {"reg", "ipw", "dr"}
        Outcome regression, standardised IPW or doubly robust.
    base_period : {"varying", "universal"}
    anticipation : int
        Periods of anticipation.
    cluster : str or None
        Cluster variable above the unit (None: units are the clusters).
    alpha : float
        1 - confidence level.
    reps : int
        Multiplier-bootstrap draws; 0 means analytic standard errors only.
    boot_weights : {"auto", "rademacher", "webb", "normal", "mammen"}
        Multiplier weight distribution (``"auto"``: Rademacher, as ``did``).
    seed : int or None
        Seed of the bootstrap.
    allow_unbalanced_panel : bool
        Keep units that miss periods (the repeated-cross-section estimator, as ``did``).
    weights : str or None
        Column of sampling weights (``did``'s ``weightsname``).
    panel : bool
        False: repeated cross sections, each row its own unit (``did``'s ``panel=FALSE``).
    min_group_size : int
        Groups with fewer units (plus one per covariate) are reported in the warnings.
    small_cluster : bool
        Rescale each ATT(g,t)'s influence functions for the few-cluster bias of the clustered
        variance (:func:`~lbc_eval.estimation.inference.multiplier.small_cluster_adjust`)
        and refer p-values and intervals to t(G - 1), a band never narrower than that; only
        with ``cluster``.
    pretest : {"auto", "wald", "sup_t", "average"}
        The pre-test (see :func:`~lbc_eval.estimation.did.estimator.pretest`): ``wald`` (chi2,
        analytic), ``sup_t`` (bootstrap), ``average`` (bootstrap test of the group-averaged
        pre-treatment effect, for few clusters); ``auto``: ``wald`` without the bootstrap,
        ``sup_t`` with it.
    """

    outcome: str
    unit: str | None
    time: str
    group: str
    controls: tuple[str, ...] = ()
    control: Control = "never"
    method: Method = "reg"
    base_period: BasePeriod = "varying"
    anticipation: int = 0
    cluster: str | None = None
    alpha: float = 0.05
    reps: int = 0
    boot_weights: BootWeights = "auto"
    seed: int | None = 0
    allow_unbalanced_panel: bool = False
    min_group_size: int = 5
    small_cluster: bool = False
    pretest: Pretest = "auto"
    weights: str | None = None
    panel: bool = True

    def __post_init__(self) -> None:
        for name in ("control", "method", "base_period", "boot_weights", "pretest"):
            check_choice(name, getattr(self, name))
        if not 0 < self.alpha < 1:
            raise ValueError(f"alpha={self.alpha} must lie in (0, 1)")
        if self.reps < 0:
            raise ValueError(f"reps={self.reps}: bootstrap draws cannot be negative (0: none)")
        if self.anticipation < 0:
            raise ValueError(f"anticipation={self.anticipation} cannot be negative")
        if self.pretest in ("sup_t", "average") and not self.reps:
            raise ValueError(f"pretest={self.pretest!r} is a bootstrap test; it needs reps > 0")
        if self.small_cluster and not self.cluster:
            raise ValueError("small_cluster=True needs a cluster variable")
        if self.panel and not self.unit:
            raise ValueError("a panel needs its unit column (unit=None only with panel=False)")
        object.__setattr__(self, "controls", tuple(self.controls))

    @property
    def columns(self) -> list[str]:
        """Every column the estimator reads, once each."""
        cols = [self.outcome, self.unit, self.time, self.group, *self.controls]
        cols += [self.cluster, self.weights]
        return list(dict.fromkeys(c for c in cols if c))

    def formula(self) -> str:
        """The one-line description kept in the result's ``formula``."""
        x = f", x={'+'.join(self.controls)}" if self.controls else ""
        w = f", weights={self.weights}" if self.weights else ""
        rc = "" if self.panel else ", repeated cross sections"
        return (
            f"{self.outcome} ~ ATT(g,t) | control={self.control}, method={self.method}, "
            f"base={self.base_period}, anticipation={self.anticipation}{x}{w}{rc}"
        )
