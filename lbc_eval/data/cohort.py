"""The cohort: the three tables every notebook reads, with (on synthetic data) the truth.

On disk a cohort is a folder::

    cohort.json                     what is inside, kit and codebook versions
    panel/term=2024-1/part-0.parquet  one partition per term (Hive layout, term not repeated)
    schools.parquet
    destinations.parquet
    truth.json                      synthetic cohorts only
    roster.parquet                  synthetic cohorts only: placeholder identifiers for the
                                    messy export (province code 99, names like 学生00017)

``format="csv"`` writes ``panel.csv``, ``schools.csv`` and ``destinations.csv`` instead.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lbc_eval._version import __version__
from lbc_eval.data.codebook import CODEBOOK_VERSION, conform
from lbc_eval.data.resources import example_path
from lbc_eval.data.terms import ordered_terms, term_index
from lbc_eval.errors import CohortFormatError

Format = Literal["parquet", "csv"]
_TABLES = ("schools", "destinations")


@dataclass
class Cohort:
    """Cohort tables in codebook form.

    Attributes
    ----------
    panel : DataFrame
        One row per child per term.
    schools : DataFrame
        One row per school per year.
    destinations : DataFrame
        One row per parents' work destination.
    truth : dict or None
        The estimands' true values (synthetic cohorts), see :mod:`lbc_eval.synth`.
    roster : DataFrame or None
        Synthetic placeholder identifiers keyed by ``student_id``; never present for real data.
    """

    panel: pd.DataFrame
    schools: pd.DataFrame
    destinations: pd.DataFrame
    truth: dict[str, Any] | None = None
    roster: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def terms(self) -> list[str]:
        """Terms in the panel, in time order."""
        return ordered_terms(self.panel["term"].dropna().unique())

    def summary(self) -> pd.DataFrame:
        """Headline counts of the cohort, one row per figure (``figure``, ``value``)."""
        p = self.panel
        lb = p["lb_status"] != "none"
        paired = p["mentor_role"] != "none"
        contacts = (
            p["talks"].astype(float)
            + p["home_visits"].astype(float)
            + p["parent_contacts"].astype(float)
        )
        rows: list[tuple[str, object]] = [
            ("children", p["student_id"].nunique()),
            ("child-terms", len(p)),
            ("terms", f"{self.terms[0]} .. {self.terms[-1]} ({len(self.terms)})" if len(p) else ""),
            ("schools", self.schools["school_id"].nunique()),
            ("townships", p["township"].nunique()),
            (
                "destinations (adopting the policy)",
                f"{len(self.destinations)} ({int(self.destinations['policy_year'].notna().sum())})",
            ),
            ("left-behind share of child-terms", round(float(lb.mean()), 3)),
            ("both parents away, share", round(float((p["lb_status"] == "both").mean()), 3)),
            ("paired share of left-behind child-terms", round(float(paired[lb].mean()), 3)),
            ("mean contacts per paired child-term", round(float(contacts[paired].mean()), 2)),
            (
                "missing math / SDQ share",
                f"{p['math'].isna().mean():.3f} / {p['sdq_total'].isna().mean():.3f}",
            ),
        ]
        exits = p["exit_reason"].value_counts().sort_index()
        for reason, k in exits.items():
            rows.append((f"exits: {reason}", int(k)))
        return pd.DataFrame(rows, columns=["figure", "value"]).astype({"value": str})

    def write(self, path: str | Path, *, format: Format = "parquet") -> Path:
        """Write the cohort to the folder ``path`` (created; a previous cohort there is replaced).

        The same cohort gives the same bytes: Parquet with zstd compression, no timestamps.
        """
        if format not in ("parquet", "csv"):
            raise CohortFormatError(f"format must be 'parquet' or 'csv', not {format!r}")
        path = Path(path)
        _prepare(path)
        tables = {
            "panel": len(self.panel),
            "schools": len(self.schools),
            "destinations": len(self.destinations),
        }
        if format == "parquet":
            table = pa.Table.from_pandas(self.panel, preserve_index=False)
            for term in self.terms:
                part = table.filter(pc.equal(table["term"], term)).drop_columns("term")
                d = path / "panel" / f"term={term}"
                d.mkdir(parents=True)
                pq.write_table(part, d / "part-0.parquet", **_PARQUET)
            for name in _TABLES:
                _write_parquet(getattr(self, name), path / f"{name}.parquet")
            if self.roster is not None:
                _write_parquet(self.roster, path / "roster.parquet")
        else:
            for name in ("panel", *_TABLES):
                getattr(self, name).to_csv(path / f"{name}.csv", index=False, lineterminator="\n")
        if self.truth is not None:
            (path / "truth.json").write_text(
                json.dumps(self.truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        meta = {
            "format": "lbc_eval cohort",
            "storage": format,
            "kit_version": __version__,
            "codebook_version": CODEBOOK_VERSION,
            "tables": tables,
            "terms": self.terms,
            "synthetic": self.truth is not None,
        }
        (path / "cohort.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
        return path

    def __repr__(self) -> str:
        kind = "synthetic" if self.truth is not None else "real"
        terms = self.terms
        span = f"{terms[0]}..{terms[-1]}" if terms else "no terms"
        return (
            f"<Cohort ({kind}): {self.panel['student_id'].nunique():,} children, "
            f"{len(self.panel):,} child-terms, {span}, {len(self.schools):,} school-years, "
            f"{len(self.destinations)} destinations>"
        )

    def _repr_html_(self) -> str:
        head = repr(self).replace("<", "&lt;").replace(">", "&gt;")
        return f"<p>{head}</p>" + self.summary().to_html(index=False)


def _prepare(path: Path) -> None:
    if path.exists():
        if not path.is_dir():
            raise CohortFormatError(f"{path} exists and is not a folder")
        if any(path.iterdir()) and not (path / "cohort.json").exists():
            raise CohortFormatError(
                f"{path} is not empty and holds no cohort; choose an empty or new folder"
            )
        for name in ("panel",):
            if (path / name).exists():
                shutil.rmtree(path / name)
        for f in path.glob("*.parquet"):
            f.unlink()
        for f in path.glob("*.csv"):
            f.unlink()
        for f in ("truth.json", "cohort.json"):
            (path / f).unlink(missing_ok=True)
    path.mkdir(parents=True, exist_ok=True)


_PARQUET = {"compression": "zstd", "compression_level": 3}


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, **_PARQUET)


def _read_parquet(path: Path, columns: list[str] | None) -> pd.DataFrame:
    cols = None
    if columns is not None:
        have = set(pq.read_schema(path).names)
        cols = [c for c in columns if c in have]
    return pq.read_table(path, columns=cols).to_pandas()


def read_cohort(
    path: str | Path, *, columns: list[str] | None = None, terms: list[str] | None = None
) -> Cohort:
    """Read a cohort folder written by :meth:`Cohort.write` (or by ``lbc-eval synth``/``ingest``).

    Parameters
    ----------
    path : str or Path
        The folder.
    columns : list of str, optional
        Read only these panel columns (plus ``term``): columnar reads for province-scale data.
    terms : list of str, optional
        Read only these terms' partitions.
    """
    path = Path(path)
    meta_path = path / "cohort.json"
    if not meta_path.exists():
        raise CohortFormatError(
            f"{path} holds no cohort.json; make one with `lbc-eval synth --out {path}` or "
            f"`lbc-eval ingest ... --out {path}`"
        )
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    major = str(meta.get("codebook_version", "0")).split(".")[0]
    if major != CODEBOOK_VERSION.split(".")[0]:
        raise CohortFormatError(
            f"{path} was written with codebook {meta.get('codebook_version')}, this kit reads "
            f"{CODEBOOK_VERSION}; regenerate it with this version"
        )
    if meta.get("storage") == "csv":
        panel = pd.read_csv(
            path / "panel.csv",
            usecols=columns and [*columns, "term"],
            dtype={"student_id": str, "term": str},
        )
        if terms is not None:
            panel = panel[panel["term"].isin(terms)]
        schools = pd.read_csv(path / "schools.csv")
        dest = pd.read_csv(path / "destinations.csv")
    else:
        parts = sorted(
            (path / "panel").glob("term=*"),
            key=lambda d: int(term_index(d.name.split("=", 1)[1])[0]),
        )
        frames = []
        for d in parts:
            term = d.name.split("=", 1)[1]
            if terms is not None and term not in terms:
                continue
            f = _read_parquet(d / "part-0.parquet", columns)
            f.insert(0, "term", pd.array([term] * len(f), dtype=pd.StringDtype(na_value=np.nan)))
            frames.append(f)
        if not frames:
            raise CohortFormatError(f"{path}/panel holds no partition for the terms asked for")
        panel = pd.concat(frames, ignore_index=True)
        schools = _read_parquet(path / "schools.parquet", None)
        dest = _read_parquet(path / "destinations.parquet", None)
    if columns is None:
        panel = conform(panel, "panel")
    schools = conform(schools, "schools")
    dest = conform(dest, "destinations")
    truth = None
    if (path / "truth.json").exists():
        truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    roster = (
        _read_parquet(path / "roster.parquet", None) if (path / "roster.parquet").exists() else None
    )
    return Cohort(panel=panel, schools=schools, destinations=dest, truth=truth, roster=roster)


def example_cohort() -> Cohort:
    """The synthetic cohort shipped with the kit (``small`` preset, seed 2026, with its truth).

    The same bytes as ``data/synthetic`` in the project; installed with the package, so it
    works from any folder.

    Examples
    --------
    >>> import lbc_eval
    >>> lbc_eval.example_cohort().truth["meta"]["seed"]
    2026
    """
    return read_cohort(example_path())
