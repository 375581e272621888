"""The cohort: the three tables every notebook reads, with (on synthetic data) the truth.

On disk a cohort is a folder::

    cohort.json                     what is inside, kit and codebook versions
    panel/term=2024-1/part-0.parquet  one partition per term (Hive layout, term not repeated);
                                    a national cohort has part-P01.parquet, … instead, one per
                                    province (the "parts" of cohort.json)
    schools.parquet
    destinations.parquet
    truth.json                      synthetic cohorts only
    roster.parquet                  synthetic cohorts only: placeholder identifiers for the
                                    messy export (province code 99, names like 学生00017)

``format="csv"`` writes ``panel.csv``, ``schools.csv`` and ``destinations.csv`` instead.

:func:`read_cohort` checks what it reads against the codebook and ``cohort.json`` (the rules
are in :mod:`lbc_eval.data.checks`) and raises every problem at once, naming file and column.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lbc_eval._version import __version__
from lbc_eval.data import checks, codebook, footers
from lbc_eval.data.codebook import CODEBOOK_VERSION, Table, conform
from lbc_eval.data.resources import example_path
from lbc_eval.data.terms import PATTERN as TERM_PATTERN
from lbc_eval.data.terms import ordered_terms, term_index
from lbc_eval.errors import CohortFormatError

if TYPE_CHECKING:  # pragma: no cover
    from lbc_eval.data.lazy import LazyCohort

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
    return _read_file(path.parent, path.name, columns)[0]


def _read_file(folder: Path, rel: str, columns: list[str] | None) -> tuple[pd.DataFrame, list[str]]:
    """The rows of the Parquet file ``folder/rel`` (only ``columns`` if given), all its columns."""
    try:
        f = pq.ParquetFile(folder / rel)
        names = f.schema_arrow.names
        cols = None if columns is None else [c for c in columns if c in names]
        return f.read(columns=cols, use_pandas_metadata=True).to_pandas(), names
    except FileNotFoundError:
        raise CohortFormatError(f"{folder}: {rel} is missing") from None
    except (OSError, pa.ArrowException) as e:
        raise CohortFormatError(f"{folder}: {rel} is not a readable Parquet file") from e


def _read_csv(
    path: Path, table: Table, columns: list[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    """A CSV table (identifiers, labels and categories as text) and all its column names."""
    if not path.is_file():
        raise CohortFormatError(f"{path.parent}: {path.name} is missing")
    names = pd.read_csv(path, nrows=0).columns.tolist()
    text = {c.name: str for c in codebook.columns(table) if c.kind in ("id", "str", "category")}
    cols = None if columns is None else [c for c in names if c in columns]
    return pd.read_csv(path, usecols=cols, dtype=text), names


def _conform(frame: pd.DataFrame, table: Table, strict: bool) -> pd.DataFrame:
    """:func:`~lbc_eval.data.codebook.conform`, or (unchecked reads) as near as it goes.

    Not ``strict``: a missing column (required or not) is added as all-missing, and a column
    that does not take its codebook dtype without loss (text in a number column, a value that
    is not a level) keeps the dtype it was stored with.
    """
    if strict:
        return conform(frame, table)
    out = {}
    for c in codebook.columns(table):
        if c.name not in frame.columns:
            blank = pd.array([pd.NA] * len(frame), dtype=c.dtype)  # type: ignore[call-overload]
            out[c.name] = pd.Series(blank, index=frame.index)
            continue
        s = frame[c.name]
        if s.dtype != c.dtype and not (  # a value that is not a level would become missing
            c.kind == "category" and not s.dropna().isin(list(c.levels)).all()
        ):
            try:
                cast = s.astype(c.dtype)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                cast = s
            s = cast if int(cast.isna().sum()) == int(s.isna().sum()) else s
        out[c.name] = s
    extra = [k for k in frame.columns if k not in out]
    result = pd.DataFrame(out, index=frame.index)
    return pd.concat([result, frame[extra]], axis=1) if extra else result


def _panel_partitions(path: Path, files: list[str] | None = None) -> list[tuple[str, Path]]:
    """(term, file) of the panel's files on disk, in time order (malformed names left out).

    A term's partition holds ``part-0.parquet`` (:meth:`Cohort.write`), or one file per part
    that ``cohort.json`` lists under ``parts`` (a national cohort: ``part-P01.parquet``, …,
    one per province), in the order of their names. ``files``: only these names
    (:func:`lbc_eval.data.checks.part_files`); default every ``part-*.parquet``.
    """
    found = []
    for d in (path / "panel").glob("term=*"):
        term = d.name.split("=", 1)[1]
        if TERM_PATTERN.match(term):
            found += [
                (int(term_index(term)[0]), term, f)
                for f in d.glob("part-*.parquet")
                if files is None or f.name in files
            ]
    return [(term, f) for _, term, f in sorted(found)]


@overload
def read_cohort(
    path: str | Path,
    *,
    engine: Literal["pandas"] = ...,
    columns: list[str] | None = ...,
    terms: list[str] | None = ...,
    validate: bool = ...,
    connection: Any = ...,
) -> Cohort: ...


@overload
def read_cohort(
    path: str | Path,
    *,
    engine: Literal["duckdb", "spark"],
    columns: list[str] | None = ...,
    terms: list[str] | None = ...,
    validate: bool = ...,
    connection: Any = ...,
) -> LazyCohort: ...


def read_cohort(
    path: str | Path,
    *,
    engine: Literal["pandas", "duckdb", "spark"] = "pandas",
    columns: list[str] | None = None,
    terms: list[str] | None = None,
    validate: bool = True,
    connection: Any = None,
) -> Cohort | LazyCohort:
    """Read a cohort folder written by :meth:`Cohort.write` (or by ``lbc-eval synth``/``ingest``).

    ``engine="pandas"`` (default) reads it into memory as a :class:`Cohort`; ``"duckdb"`` or
    ``"spark"`` returns a :class:`~lbc_eval.data.lazy.LazyCohort` whose tables stay on disk
    and are computed by that engine (see :mod:`lbc_eval.data.lazy`: a lazy read checks only
    what the Parquet footers tell, not the rows).

    What is read is checked against the codebook and ``cohort.json`` (the rules are listed in
    :mod:`lbc_eval.data.checks`): columns present and of their type, numbers in range,
    categories among their levels, required and key values present, one row per key
    (``student_id`` and ``term`` in the panel, ``school_id`` and ``year`` in schools,
    ``destination_id`` in destinations), ``student_id`` a pseudonym (16 lowercase hex
    characters), the partitions and row counts that ``cohort.json`` records. A missing optional
    column is fine (a cohort written by an older kit) and read as all-missing.

    Parameters
    ----------
    path : str or Path
        The folder.
    engine : {"pandas", "duckdb", "spark"}
        In memory (default), or lazy on DuckDB (embedded, out of core) or Spark.
    columns : list of str, optional
        Read only these panel columns (plus ``term``): columnar reads for province-scale data.
        Only the columns read are checked (the required ones must still be in every file).
    terms : list of str, optional
        Read only these terms' partitions (the others are only counted, from their footers).
    validate : bool
        Check the files (default). ``False`` skips the checks for speed and reads what is there:
        a missing partition is left out, a missing column is all-missing, and a column that
        does not take its codebook dtype keeps the one it was stored with.
    connection : ibis backend, optional
        Lazy engines only: the backend to read into, from :func:`lbc_eval.data.lazy.connect`
        (to set DuckDB's memory limit and threads, or to use a cluster's Spark session).

    Raises
    ------
    CohortValidationError
        Listing every problem found, each with its file, column, rule, count of rows and at
        most five row numbers (never a value). A subclass of :class:`CohortFormatError`
        and :class:`SchemaError`.
    CohortFormatError
        No ``cohort.json``, another codebook's major version, a table file missing or
        unreadable.
    """
    if engine != "pandas":
        from lbc_eval.data import lazy

        return lazy.open_cohort(path, engine, columns=columns, terms=terms, validate=validate,
                                connection=connection, make=Cohort)  # type: ignore[arg-type]  # fmt: skip
    path = Path(path)
    meta = footers.read_meta(path)
    problems: list[checks.Problem] = checks.check_meta(meta) if validate else []
    file_problems: dict[str, list[checks.Problem]] = {}
    segments: list[checks.Segment]
    if meta.get("storage") == "csv":
        panel, names = _read_csv(path / "panel.csv", "panel", columns and [*columns, "term"])
        segments = [checks.Segment("panel.csv", 0, len(panel))]
        counts = {"panel": ("panel.csv", len(panel), [])}
        if validate:
            file_problems["panel"] = checks.check_file(panel, "panel", "panel.csv", names)
            if "term" in panel.columns:
                problems += checks.check_terms(meta, panel["term"], "panel.csv")
        other = {}
        for name in _TABLES:
            frame, names = _read_csv(path / f"{name}.csv", name, None)  # type: ignore[arg-type]
            other[name] = frame
            counts[name] = (f"{name}.csv", len(frame), [])
            if validate:
                file_problems[name] = checks.check_file(frame, name, f"{name}.csv")
    else:
        if validate:
            problems += checks.check_partitions(path, meta)
        frames, segments, per_file, start = [], [], [], 0
        file_problems["panel"] = []
        files = checks.part_files(meta)
        for term, f in _panel_partitions(path, files):
            rel = f"panel/term={term}/{f.name}"
            if terms is not None and term not in terms:
                if validate:
                    per_file.append((term, pq.read_metadata(f).num_rows))
                continue
            frame, names = _read_file(path, rel, columns)
            if "term" in frame.columns:  # Hive layout: the term is the folder's, not a column
                if validate:
                    file_problems["panel"] += checks.check_partition_term(frame["term"], term, rel)
                frame = frame.drop(columns="term")
            frame.insert(
                0, "term", pd.array([term] * len(frame), dtype=pd.StringDtype(na_value=np.nan))
            )
            if validate:
                file_problems["panel"] += checks.check_file(frame, "panel", rel, [*names, "term"])
            frames.append(frame)
            segments.append(checks.Segment(rel, start, start + len(frame)))
            per_file.append((term, len(frame)))
            start += len(frame)
        if not frames:
            checks.raise_problems(path, problems)
            raise CohortFormatError(f"{path}/panel holds no partition for the terms asked for")
        panel = pd.concat(frames, ignore_index=True)
        total = sum(k for _, k in per_file)
        per_term: dict[str, int] = {}
        for term, k in per_file:
            per_term[term] = per_term.get(term, 0) + k
        pattern = f"panel/term=*/{files[0] if len(files) == 1 else 'part-*.parquet'}"
        counts = {"panel": (pattern, total, sorted(per_term.items()))}
        other = {}
        for name in _TABLES:
            frame, _ = _read_file(path, f"{name}.parquet", None)
            other[name] = frame
            counts[name] = (f"{name}.parquet", len(frame), [])
            if validate:
                file_problems[name] = checks.check_file(frame, name, f"{name}.parquet")
    if validate:
        problems += checks.check_counts(meta, counts)
        problems += checks.check_synthetic(path, meta)
        tables = {"panel": (panel, segments)}
        for name in _TABLES:
            tables[name] = (other[name], [checks.Segment(counts[name][0], 0, len(other[name]))])
        for name, (frame, segs) in tables.items():
            found = file_problems.get(name, [])
            skip = {p.column for p in found if p.rule in ("type", "missing_column") and p.column}
            problems += found
            problems += checks.check_table(frame, name, segs, skip)
        checks.raise_problems(path, problems)
    if terms is not None and meta.get("storage") == "csv":
        panel = panel[panel["term"].isin(terms)]
    if columns is None:
        panel = _conform(panel, "panel", validate)
    schools = _conform(other["schools"], "schools", validate)
    dest = _conform(other["destinations"], "destinations", validate)
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
