"""The building blocks of the data-generating process shared by the world and the terms:
the codes of the states, the link functions, measurement, the dose-response curve and the
random streams. The equations are in :mod:`lbc_eval.synth`.
"""

from __future__ import annotations

import numpy as np

from lbc_eval.synth.spec import SynthSpec

NONE, FATHER, MOTHER, BOTH = 0, 1, 2, 3
LEVEL_PRIMARY, LEVEL_JUNIOR = 0, 1


def logistic(x: np.ndarray | float) -> np.ndarray:
    """1 / (1 + exp(-x))."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p: float) -> float:
    """log(p / (1 - p)), clipped away from 0 and 1."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))


DOSE_GRID = np.arange(0, 16)
SDQ_MEAN, SDQ_SD = 12.3, 6.0
ATT_MEAN, ATT_SD = 0.95, 0.03
LB_LEVELS = ["none", "father", "mother", "both"]
GUARDIANS = ["parents", "grandparents", "relatives", "other"]
ROLES = ["none", "cadre", "teacher", "volunteer"]
EXITS = ["graduated", "moved_with_parents", "transferred_out", "dropped_out"]


def measure(outcome: str, z: np.ndarray) -> np.ndarray:
    """Latent SD-unit value -> recorded value (rounding and clipping for SDQ, attendance)."""
    if outcome == "sdq_total":
        return np.clip(np.round(SDQ_MEAN + SDQ_SD * z), 0, 40)
    if outcome == "attendance":
        return np.clip(np.round(ATT_MEAN + ATT_SD * z, 3), 0, 1)
    return np.round(z, 3)


def dose_effect(spec: SynthSpec, outcome: str, contacts: np.ndarray | float) -> np.ndarray:
    """f_Y(c) = b_Y (1 - exp(-c / c0)) in SD units of outcome Y."""
    b = {
        "math": spec.dose_max_math,
        "chinese": spec.dose_max_chinese,
        "sdq_total": spec.dose_max_sdq,
        "attendance": spec.dose_max_attendance,
    }[outcome]
    return b * (1.0 - np.exp(-np.asarray(contacts, dtype=float) / spec.dose_scale))


def rng_for(seed: int, *stream: int) -> np.random.Generator:
    """An independent generator for ``(seed, *stream)`` (NumPy SeedSequence spawn keys)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=stream))


WORLD_STREAM = 0  # rng_for(seed, 0): the world; rng_for(seed, 1, t): term t
DEST_SHOCK_STREAM = 2  # rng_for(seed, 2): destination x year moving-hazard shocks u_jy
