"""The state one term hands to the next, and what each term hands back (engine -> truth)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lbc_eval.synth.world import World


@dataclass
class TermOut:
    """What one term of one world hands back."""

    frame: pd.DataFrame | None
    moved_cum: np.ndarray  # bool, n
    movedout: np.ndarray  # bool, n (exited by moving out, by the end of t)
    active: np.ndarray  # bool, n: enrolled in term t
    y: dict[str, np.ndarray]  # recorded outcomes (before missingness), n


@dataclass
class State:
    enrolled: np.ndarray  # has entered and not exited
    exited: np.ndarray
    moved: np.ndarray  # lives with parents (moved within the county or out)
    moved_cum: np.ndarray
    movedout: np.ndarray
    prev_contacts: np.ndarray
    prev_paired: np.ndarray
    prev_counsel: np.ndarray
    prev_sdq_z: np.ndarray

    @classmethod
    def start(cls, w: World) -> State:
        n = w.n
        return cls(
            enrolled=np.zeros(n, bool),
            exited=np.zeros(n, bool),
            moved=np.zeros(n, bool),
            moved_cum=np.zeros(n, bool),
            movedout=np.zeros(n, bool),
            prev_contacts=np.zeros(n),
            prev_paired=np.zeros(n, bool),
            prev_counsel=np.zeros(n, bool),
            prev_sdq_z=w.a_sdq.copy(),
        )
