r"""The randomisation procedure of a school pilot, as a pure function of a design and a stream.

A :class:`Design` fixes everything the procedure needs: the schools, their strata (after the
merge rule of :func:`merge_strata`), the treated share, the covariates balance is checked on
and, for re-randomisation, the threshold. :func:`draw` makes the one assignment of the pilot;
:func:`draws` makes many from the same procedure, for randomisation inference. Both call
:meth:`Design.candidates`, so the pilot's assignment and the draws that test it come from one
distribution.

The procedure
-------------
Within each stratum :math:`k` of :math:`n_k` schools, :math:`m_k = \lfloor n_k p \rfloor + B_k`
schools are treated, :math:`B_k \sim \mathrm{Bernoulli}(n_k p - \lfloor n_k p \rfloor)`, chosen
uniformly at random: every school is treated with probability exactly :math:`p`.

Balance is the standardised difference of each covariate :math:`x_j`,

.. math:: d_j(Z) = \frac{\bar x_{j,T}(Z) - \bar x_{j,C}(Z)}{s_j},

with :math:`s_j` the SD of :math:`x_j` over all the design's schools (it does not depend on
the draw, so :math:`d_j` is a function of the assignment :math:`Z` alone; :math:`d_j = 0`
when :math:`s_j = 0`). With a threshold :math:`a`, candidates are drawn until one has
:math:`\max_j |d_j(Z)| \le a` (re-randomisation, Morgan & Rubin 2012); the assignment is then
uniform over the acceptable set, and inference must draw from that set too (:func:`draws`).
Candidates are drawn in batches of :data:`BATCH` from the stream; ``tried`` counts them up to
and including the accepted one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from lbc_eval.errors import SpecError

#: Candidate assignments drawn at a time.
BATCH = 256
#: Streams of the pilot's assignment, of its randomisation inference and of the check of how
#: many assignments the procedure can make: SeedSequence spawn keys ``(PILOT_KEY, stream)``.
ASSIGN_STREAM, RI_STREAM, SUPPORT_STREAM = 0, 1, 2
#: The pilot's streams live apart from the generator's (``(0,)``, ``(1, t)``, ``(2,)``,
#: ``(3,)`` of :func:`lbc_eval.synth.dgp.rng_for`): a synthetic county and its pilot drawn from
#: the same seed must not share random numbers, or the assignment would depend on the county.
PILOT_KEY = 1015
#: Draws the support check looks at (:func:`support`).
SUPPORT_DRAWS = 200


def stream(seed: int, key: int) -> np.random.Generator:
    """The generator of ``seed``'s pilot stream ``key`` (:data:`ASSIGN_STREAM`,
    :data:`RI_STREAM`, :data:`SUPPORT_STREAM`): ``SeedSequence(seed, spawn_key=(PILOT_KEY,
    key))``."""
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(PILOT_KEY, key)))


def min_stratum_size(treat_share: float) -> int:
    r"""The fewest schools a stratum needs: :math:`\max(2, \lceil 1/\min(p, 1-p) \rceil)`.

    With :math:`n_k \ge 1/p` and :math:`n_k \ge 1/(1-p)`, :math:`\lfloor n_k p \rfloor \ge 1`
    and :math:`n_k - \lceil n_k p \rceil \ge 1`: every stratum has a treated and a control
    school whatever the rounding.
    """
    return max(2, math.ceil(1 / min(treat_share, 1 - treat_share) - 1e-9))


def merge_strata(labels: pd.Series, min_size: int) -> tuple[pd.Series, dict[str, str]]:
    """Merge strata of fewer than ``min_size`` schools (the documented rule).

    While some stratum has fewer than ``min_size`` schools, the smallest such stratum (ties:
    the first label in sorted order) is merged with the smallest other stratum (ties: the
    first in sorted order); the merged stratum is labelled by its parts joined with ``+``
    (``T03+T05``). Returns the merged label of every school and the map from each original
    label that changed to its merged label.
    """
    groups: dict[str, list[str]] = {}
    for lab in sorted(set(labels.astype(str))):
        groups[lab] = [lab]
    size = labels.astype(str).value_counts().to_dict()
    while True:
        small = sorted((size[k], k) for k in groups if size[k] < min_size)
        if not small or len(groups) == 1:
            break
        _, k = small[0]
        _, into = sorted((size[j], j) for j in groups if j != k)[0]
        parts = sorted(groups.pop(k) + groups.pop(into))
        new = "+".join(parts)
        groups[new] = parts
        size[new] = size.pop(k) + size.pop(into)
    mapping = {orig: merged for merged, parts in groups.items() for orig in parts}
    merged = labels.astype(str).map(mapping)
    return merged, {k: v for k, v in mapping.items() if k != v}


@dataclass(frozen=True, eq=False)
class Design:
    """What the randomisation procedure needs, and nothing about children.

    Attributes
    ----------
    schools : tuple of str
        School ids, in the order of every assignment vector.
    strata : tuple of str
        Each school's stratum (merged).
    treat_share : float
    covariates : tuple of str
        The balance covariates, columns of ``X``.
    X : ndarray, shape (schools, covariates)
    threshold : float or None
        Re-randomise until :math:`\\max_j |d_j| \\le` ``threshold``; None: no constraint.
    max_draws : int
        Candidates tried before the pilot's draw gives up.
    """

    schools: tuple[str, ...]
    strata: tuple[str, ...]
    treat_share: float
    covariates: tuple[str, ...] = ()
    X: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    threshold: float | None = None
    max_draws: int = 100_000

    def __post_init__(self) -> None:
        keys, codes = np.unique(np.asarray(self.strata), return_inverse=True)
        size = np.bincount(codes, minlength=len(keys))
        object.__setattr__(self, "_codes", codes)
        object.__setattr__(self, "_size", size)
        # each school's stratum's first position in the order (stratum, key)
        object.__setattr__(self, "_start", np.r_[0, np.cumsum(size)[:-1]][codes])
        X = np.asarray(self.X, dtype=float).reshape(len(self.schools), len(self.covariates))
        sd = X.std(axis=0, ddof=1) if len(self.schools) > 1 else np.zeros(X.shape[1])
        object.__setattr__(self, "X", X)
        object.__setattr__(self, "sd", np.where(sd > 0, sd, np.inf))

    @property
    def n_schools(self) -> int:
        return len(self.schools)

    def candidates(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` assignments from the stratified procedure, unconstrained: shape (n, schools),
        True = treated."""
        codes, size, start = self._codes, self._size, self._start  # type: ignore[attr-defined]
        u = rng.random((n, self.n_schools))
        v = rng.random((n, size.size))
        exact = size * self.treat_share
        base = np.floor(exact + 1e-12)
        m = base + (v < exact - base)  # (n, strata): treated per stratum
        # rank of each school's key within its stratum: sort by (stratum, key) in one pass
        order = np.argsort(codes + u, axis=1, kind="stable")
        pos = np.empty_like(order)
        np.put_along_axis(pos, order, np.arange(self.n_schools)[None, :], axis=1)
        return (pos - start) < m[:, codes]

    def differences(self, z: np.ndarray) -> np.ndarray:
        """Standardised differences :math:`d_j` of every assignment (rows of ``z``): shape
        (assignments, covariates)."""
        Z = np.atleast_2d(z).astype(float)
        n_t = Z.sum(axis=1, keepdims=True)
        mean_t = Z @ self.X / np.maximum(n_t, 1)
        mean_c = (1 - Z) @ self.X / np.maximum(self.n_schools - n_t, 1)
        return (mean_t - mean_c) / self.sd  # type: ignore[attr-defined]

    def imbalance(self, z: np.ndarray) -> np.ndarray:
        """:math:`\\max_j |d_j|` of every assignment (0 without covariates)."""
        d = self.differences(z)
        return np.abs(d).max(axis=1) if d.shape[1] else np.zeros(d.shape[0])

    def acceptable(self, z: np.ndarray) -> np.ndarray:
        """Which assignments meet the threshold (all of them without one)."""
        if self.threshold is None:
            return np.ones(np.atleast_2d(z).shape[0], dtype=bool)
        return self.imbalance(z) <= self.threshold + 1e-12


def draw(design: Design, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """The pilot's assignment: the first acceptable candidate of the stream, and how many
    candidates were tried up to and including it (1 without a threshold)."""
    if design.threshold is None:
        return design.candidates(rng, 1)[0], 1
    tried, best = 0, np.inf
    while tried < design.max_draws:
        batch = design.candidates(rng, BATCH)
        ok = design.acceptable(batch)
        if ok.any():
            first = int(np.argmax(ok))
            return batch[first], tried + first + 1
        tried += BATCH
        best = min(best, float(design.imbalance(batch).min()))
    raise SpecError(
        "rerandomize",
        f"随机抽取 {tried:,} 次，没有一次满足所有协变量的标准化差异绝对值不超过 "
        f"{design.threshold:g}（最好的一次为 {best:.3f}）。请放宽阈值或减少平衡协变量。\n"
        f"none of {tried:,} draws has every |standardised difference| <= "
        f"{design.threshold:g} (the best had {best:.3f}); loosen the threshold or balance on "
        f"fewer covariates",
    )


def draws(design: Design, rng: np.random.Generator, reps: int) -> tuple[np.ndarray, int]:
    """``reps`` acceptable assignments from the procedure (for randomisation inference) and
    the candidates tried to get them: shape (reps, schools)."""
    if design.threshold is None:
        return design.candidates(rng, reps), reps
    kept: list[np.ndarray] = []
    have, tried = 0, 0
    limit = max(design.max_draws, 1000 * reps)
    while have < reps:
        if tried >= limit:
            raise SpecError(
                "rerandomize",
                f"only {have} of {reps} acceptable draws in {tried:,} candidates: the "
                f"threshold {design.threshold:g} accepts too few assignments",
            )
        batch = design.candidates(rng, max(BATCH, 2 * (reps - have)))
        tried += batch.shape[0]
        ok = batch[design.acceptable(batch)]
        kept.append(ok[: reps - have])
        have += min(len(ok), reps - have)
    return np.concatenate(kept), tried


def support(design: Design, rng: np.random.Generator, alpha: float = 0.05) -> dict[str, float]:
    """How many different assignments the procedure makes, and so the smallest randomisation
    p-value the pilot can reach.

    Draws :data:`SUPPORT_DRAWS` assignments from the procedure (:func:`draws`) and counts the
    distinct ones, :math:`K`. A two-sided randomisation p-value is at least about :math:`1/K`
    (:math:`2/K` when an assignment and its mirror give the same :math:`|\\hat\\tau|`), so
    with :math:`K < 2/\\alpha` the primary test may never reject at :math:`\\alpha`: too few
    schools, or a re-randomisation threshold so tight that few assignments pass. Returns
    ``draws``, ``distinct``, ``acceptance_rate`` (acceptable share of the candidates) and
    ``enough`` (:math:`K \\ge 2/\\alpha`).
    """
    Z, tried = draws(design, rng, SUPPORT_DRAWS)
    distinct = int(np.unique(np.packbits(Z, axis=1), axis=0).shape[0])
    return {
        "draws": int(Z.shape[0]),
        "distinct": distinct,
        "acceptance_rate": float(Z.shape[0] / tried),
        "enough": bool(distinct >= 2 / alpha),
    }
