"""A randomised pilot as an object: which school is in which arm, and how it was drawn.

:class:`Assignment` is what :func:`lbc_eval.pilot.assign` returns: the arms, the balance
table, the school table the procedure used and everything needed to draw again from the same
procedure; :meth:`Assignment.write` and :meth:`Assignment.read` keep it in a folder
(``assignment.json``, with ``assignment.csv`` and ``balance.csv`` beside it for people).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.errors import SpecError
from lbc_eval.pilot.randomise import Design
from lbc_eval.pilot.text import bilingual

#: The files :meth:`Assignment.write` writes.
FILES = {"json": "assignment.json", "table": "assignment.csv", "balance": "balance.csv"}


@dataclass(frozen=True, eq=False)
class Assignment:
    """A randomised pilot: which school is in which arm, and how it was drawn.

    Attributes
    ----------
    table : DataFrame
        ``school_id, stratum, arm`` (``stratum`` after merging), one row per school.
    balance : DataFrame
        ``covariate, mean_control, mean_treatment, sd, std_diff``: the arms' means, the SD
        over all schools and the standardised difference (module
        :mod:`lbc_eval.pilot.randomise`).
    schools : DataFrame
        The school table assigned (school-level aggregates only).
    seed : int
    treat_share : float
    arms : tuple of str
        (control, treatment).
    strata_column : str or None
    merged : dict
        Original stratum -> merged stratum, for the strata that were merged.
    min_stratum_size : int
    rerandomize : dict or None
        ``threshold``, ``max_draws``, ``tried`` (candidates up to the accepted one) and
        ``accepted_draw`` (its position in the stream, 1-based).
    power : dict or None
        The design's MDE and every input it rests on (when ICCs were given).
    baseline_term : str or None
    notes : tuple of str
    support : dict or None
        How many distinct assignments the procedure makes
        (:func:`~lbc_eval.pilot.randomise.support`): too few, and randomisation inference
        cannot reject (a warning says so).
    """

    table: pd.DataFrame
    balance: pd.DataFrame
    schools: pd.DataFrame
    seed: int
    treat_share: float
    arms: tuple[str, str]
    strata_column: str | None
    covariates: tuple[str, ...]
    merged: Mapping[str, str] = field(default_factory=dict)
    min_stratum_size: int = 2
    rerandomize: Mapping[str, Any] | None = None
    power: Mapping[str, Any] | None = None
    baseline_term: str | None = None
    notes: tuple[str, ...] = ()
    support: Mapping[str, Any] | None = None

    def design(self) -> Design:
        """The procedure that drew this assignment (:class:`~lbc_eval.pilot.randomise.Design`)."""
        s = self.schools.set_index("school_id").loc[list(self.table["school_id"])]
        re = self.rerandomize or {}
        return Design(
            schools=tuple(self.table["school_id"]),
            strata=tuple(self.table["stratum"]),
            treat_share=self.treat_share,
            covariates=self.covariates,
            X=s[list(self.covariates)].to_numpy(dtype=float),
            threshold=re.get("threshold"),
            max_draws=int(re.get("max_draws", 100_000)),
        )

    @property
    def treated(self) -> list[str]:
        """The schools of the treatment arm."""
        return list(self.table.loc[self.table["arm"] == self.arms[1], "school_id"])

    def to_dict(self) -> dict[str, Any]:
        """Everything, as plain JSON values (school-level only)."""
        return {
            "seed": self.seed,
            "treat_share": self.treat_share,
            "arms": list(self.arms),
            "strata_column": self.strata_column,
            "covariates": list(self.covariates),
            "merged": dict(self.merged),
            "min_stratum_size": self.min_stratum_size,
            "rerandomize": dict(self.rerandomize) if self.rerandomize else None,
            "power": dict(self.power) if self.power else None,
            "baseline_term": self.baseline_term,
            "notes": list(self.notes),
            "support": dict(self.support) if self.support else None,
            "assignment": _records(self.table),
            "schools": _records(self.schools),
            "balance": _records(self.balance),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Assignment:
        """Inverse of :meth:`to_dict`."""
        schools = pd.DataFrame(d["schools"])
        return cls(
            table=pd.DataFrame(d["assignment"])[["school_id", "stratum", "arm"]],
            balance=pd.DataFrame(d["balance"]),
            schools=schools,
            seed=int(d["seed"]),
            treat_share=float(d["treat_share"]),
            arms=tuple(d["arms"]),  # type: ignore[arg-type]
            strata_column=d.get("strata_column"),
            covariates=tuple(d.get("covariates", ())),
            merged=dict(d.get("merged") or {}),
            min_stratum_size=int(d.get("min_stratum_size", 2)),
            rerandomize=d.get("rerandomize"),
            power=d.get("power"),
            baseline_term=d.get("baseline_term"),
            notes=tuple(d.get("notes", ())),
            support=d.get("support"),
        )

    def write(self, folder: str | Path) -> Path:
        """Write ``assignment.json`` (everything), ``assignment.csv`` and ``balance.csv`` into
        ``folder``; returns the JSON's path."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / FILES["json"]
        path.write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=1, allow_nan=False) + "\n",
            encoding="utf-8",
        )
        self.table.to_csv(folder / FILES["table"], index=False)
        self.balance.to_csv(folder / FILES["balance"], index=False)
        return path

    @classmethod
    def read(cls, path: str | Path) -> Assignment:
        """Read what :meth:`write` wrote (the folder or its ``assignment.json``)."""
        path = Path(path)
        if path.is_dir():
            path = path / FILES["json"]
        if not path.exists():
            raise SpecError(
                "assignment",
                bilingual(f"找不到 {path}：请先运行 lbc-eval pilot assign",
                          f"no {path}: run lbc-eval pilot assign first"),
            )  # fmt: skip
        return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))

    def __repr__(self) -> str:
        counts = self.table["arm"].value_counts()
        arms = ", ".join(f"{a} {int(counts.get(a, 0))}" for a in self.arms)
        re = self.rerandomize
        extra = (f"; re-randomised to max |d| <= {re['threshold']:g} ({re['tried']} tried)"
                 if re else "")  # fmt: skip
        worst = self.balance["std_diff"].abs().max() if len(self.balance) else float("nan")
        return (
            f"Assignment: {len(self.table)} schools in {self.table['stratum'].nunique()} strata "
            f"({arms}); seed {self.seed}{extra}; max |std diff| {worst:.3f}"
        )


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts (NaN -> None, numpy scalars -> Python)."""
    out = []
    for row in frame.to_dict("records"):
        out.append({k: _plain(v) for k, v in row.items()})
    return out


def _plain(v: Any) -> Any:
    if v is None or v is pd.NA:
        return None
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v
