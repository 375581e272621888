r"""The lazy cohort: the cohort's Parquet files as Ibis tables, computed in an engine.

``read_cohort(path, engine="duckdb")`` (or ``"spark"``) returns a :class:`LazyCohort` instead
of a :class:`~lbc_eval.data.cohort.Cohort`: nothing is read into memory; ``.panel``,
``.schools`` and ``.destinations`` are `Ibis <https://ibis-project.org>`_ tables over the
files, and the kit's out-of-core passes (:mod:`lbc_eval.scale`) run their group-bys and sums
in the engine. DuckDB runs in-process and spills to disk past its memory limit (the default
engine for a province or the nation on one machine); Spark (the ``spark`` extra, Java 17+)
when the data outgrow one machine. The same Ibis expressions run on both.

The panel is the Hive-partitioned dataset ``panel/term=YYYY-S/*.parquet``: every Parquet file
of a term folder is read (a national cohort holds one per province), and ``term`` comes from
the folder's name, as text.

Types in the engine follow the files: identifiers, labels and categories are text (a Parquet
dictionary column is read as its values), ``int`` columns integers of their width, ``bool``
booleans, ``float`` doubles, missing values SQL ``NULL``; an optional codebook column missing
from every file is added as typed ``NULL``. :meth:`LazyCohort.collect` brings rows into memory
with the codebook's pandas dtypes (categories, ``Int16``…, ``boolean``, ``str``), the same
frames as ``read_cohort(path)``.

Validation
----------
With ``validate=True`` (default) the lazy reader checks what the Parquet footers tell, without
reading a row: ``cohort.json`` and the codebook version, the partitions against the terms it
lists, every file's columns (required present, none identifying a child) and their stored
types against the codebook, the row counts against ``cohort.json``, the truth of a synthetic
cohort. The **row-level rules** of :mod:`lbc_eval.data.checks` (ranges, levels, missing
required values, duplicate keys, pseudonyms) are **not run**: on a national cohort they would
be a full pass over every column. Run them on the cohorts that ingest and the generator write
(they are checked when written), or on a collected subset: ``lazy.collect(terms=[...])`` runs
them on what it brings into memory (unless the cohort was read with ``validate=False``).

Examples
--------
>>> import lbc_eval  # doctest: +SKIP
>>> lazy = lbc_eval.read_cohort("data/synthetic", engine="duckdb")  # doctest: +SKIP
>>> lazy.panel.count().execute()  # doctest: +SKIP
23080
>>> small = lazy.collect(terms=["2024-1"], columns=["student_id", "math"])  # doctest: +SKIP
"""

from __future__ import annotations

import itertools
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from lbc_eval.data import checks, codebook, footers
from lbc_eval.data.terms import ordered_terms
from lbc_eval.errors import CohortFormatError, SpecError

if TYPE_CHECKING:  # pragma: no cover
    import ibis.expr.types as ir

Engine = Literal["duckdb", "spark"]
#: The engines of a lazy cohort (``"pandas"`` is the in-memory reader).
ENGINES: tuple[str, ...] = ("duckdb", "spark")
_TABLES = ("schools", "destinations")
_names = itertools.count()


def connect(
    engine: Engine = "duckdb",
    *,
    memory_limit: str | int | None = None,
    threads: int | None = None,
    session: Any = None,
) -> Any:
    """An Ibis backend for lazy cohorts: DuckDB in-process, or Spark.

    Parameters
    ----------
    engine : {"duckdb", "spark"}
    memory_limit : str or int, optional
        DuckDB's ``memory_limit`` (``"1GB"``; an int is bytes): past it DuckDB spills to a
        temporary folder (under the system's temporary directory, never the working one).
        For Spark, the local session's ``spark.driver.memory``.
    threads : int, optional
        Threads of DuckDB, or cores of the local Spark session (default: all).
    session : pyspark.sql.SparkSession, optional
        An existing Spark session (a cluster's); without it a local one is started
        (``local[threads]``, no web UI, partition types not inferred so that ``term`` stays
        text).

    Returns
    -------
    ibis.BaseBackend
    """
    import ibis

    if engine == "duckdb":
        config: dict[str, Any] = {
            "temp_directory": os.path.join(tempfile.gettempdir(), f"lbc_eval_duckdb_{os.getpid()}")
        }
        if memory_limit is not None:
            config["memory_limit"] = _memory(memory_limit)
        if threads is not None:
            config["threads"] = int(threads)
        return ibis.duckdb.connect(**config)
    if engine == "spark":
        if session is None:
            session = _spark_session(memory_limit, threads)
        return ibis.pyspark.connect(session)
    raise SpecError("engine", f"got {engine!r}; allowed: 'pandas', 'duckdb', 'spark'")


def _memory(limit: str | int) -> str:
    return f"{int(limit) // 2**20}MB" if isinstance(limit, int | np.integer) else str(limit)


def _spark_session(memory_limit: str | int | None, threads: int | None) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover - the spark extra is installed in the test suite
        raise CohortFormatError(
            "engine='spark' needs PySpark and Java 17+: pip install 'lbc_eval[spark]'"
        ) from None
    builder = (
        SparkSession.builder.master(f"local[{threads or '*'}]")
        .appName("lbc_eval")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if memory_limit is not None:
        builder = builder.config("spark.driver.memory", _memory(memory_limit).replace("B", ""))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def engine_of(con: Any) -> str:
    """``"duckdb"`` or ``"spark"``: the engine behind an Ibis backend."""
    name = getattr(con, "name", "")
    return "spark" if name == "pyspark" else str(name)


@dataclass(frozen=True, eq=False)
class LazyCohort:
    """A cohort whose tables stay on disk, as Ibis tables computed by an engine.

    Attributes
    ----------
    panel : ibis Table
        One row per child per term (``term`` from the partition folders).
    schools, destinations : ibis Table
    truth : dict or None
        The synthetic truth (``truth.json``), read into memory: it is small.
    terms : list of str
        The panel's terms read, in time order.
    engine : {"duckdb", "spark"}
    path : Path
        The cohort folder.
    validated : bool
        Whether the footers were checked (row-level rules are never run lazily; see the
        module docstring).
    connection : ibis backend
        The backend the tables live in (``connect``).
    """

    panel: ir.Table
    schools: ir.Table
    destinations: ir.Table
    truth: dict[str, Any] | None
    terms: list[str]
    engine: str
    path: Path
    validated: bool = True
    connection: Any = field(default=None, repr=False)
    _make: Callable[..., Any] | None = field(default=None, repr=False)

    def collect(
        self,
        columns: Sequence[str] | None = None,
        terms: Sequence[str] | None = None,
        *,
        validate: bool | None = None,
    ) -> Any:
        """The panel's rows (only ``columns``, plus ``term``; only ``terms``) in memory.

        Returns a :class:`~lbc_eval.data.cohort.Cohort` with the codebook's dtypes, the rows
        in time order of their terms (and, on DuckDB, in file order within a term: the same
        frame as ``read_cohort(path, columns=..., terms=...)``; Spark gives no order within a
        term). Use it to run what cannot run out of core on a subset; a subset of schools
        or children can be taken first with Ibis, ``lazy.panel.filter(...)``, and
        :func:`to_frame`. ``validate`` (default: as the cohort was read, ``read_cohort``'s
        ``validate``) runs the row-level rules of :mod:`lbc_eval.data.checks` on what was
        collected (rows counted from 1 within each term's collected rows) and raises every
        problem found.
        """
        unknown = [t for t in terms or () if t not in self.terms]
        if unknown:
            raise SpecError("terms", f"{unknown} not in this cohort's terms {self.terms}")
        table = self.panel
        if terms is not None:
            table = table.filter(table["term"].isin(list(terms)))
        if columns is not None:
            missing = [c for c in columns if c not in table.columns]
            if missing:
                raise SpecError("columns", f"not in the panel: {', '.join(missing)}")
            keep = [c for c in table.columns if c in columns and c != "term"]
            table = table.select("term", *keep)
        panel = to_frame(table, "panel", whole=columns is None)
        if self.validated if validate is None else validate:
            bounds = np.flatnonzero(panel["term"].ne(panel["term"].shift()).to_numpy())
            ends = [*bounds[1:], len(panel)]
            segments = [checks.Segment(f"panel/term={panel['term'].iat[a]}", int(a), int(b))
                        for a, b in zip(bounds, ends, strict=True)]  # fmt: skip
            checks.raise_problems(self.path, checks.check_table(panel, "panel", segments))
        roster = None
        if (self.path / "roster.parquet").exists():
            roster = pq.read_table(self.path / "roster.parquet").to_pandas()
        if self._make is None:  # pragma: no cover - read_cohort always hands it over
            raise CohortFormatError("this LazyCohort was not made by read_cohort")
        return self._make(
            panel=panel,
            schools=to_frame(self.schools, "schools"),
            destinations=to_frame(self.destinations, "destinations"),
            truth=self.truth,
            roster=roster,
        )

    def __repr__(self) -> str:
        kind = "synthetic" if self.truth is not None else "real"
        span = f"{self.terms[0]}..{self.terms[-1]}" if self.terms else "no terms"
        return (
            f"<LazyCohort ({kind}, {self.engine}): {span}, {len(self.terms)} terms, "
            f"{len(self.panel.columns)} panel columns, {self.path}>"
        )


def to_frame(table: ir.Table, name: str = "panel", *, whole: bool = False) -> pd.DataFrame:
    """Execute an Ibis table into pandas with the codebook's dtypes (rows in term order).

    Codebook columns take their codebook dtype (categories with the codebook's levels,
    nullable integers, ``boolean``, ``str``); other columns keep Arrow's conversion.
    ``whole``: the table holds every codebook column, which are then put in canonical order
    (as :func:`~lbc_eval.data.codebook.conform` does).
    """
    frame = table.to_pyarrow().to_pandas()
    for c in codebook.columns(name):  # type: ignore[arg-type]
        if c.name in frame.columns and frame[c.name].dtype != c.dtype:
            frame[c.name] = frame[c.name].astype(c.dtype)  # type: ignore[call-overload]
    if whole:
        frame = codebook.conform(frame, name)  # type: ignore[arg-type]
    if name == "panel" and "term" in frame.columns and len(frame):
        order = {t: i for i, t in enumerate(ordered_terms(frame["term"].dropna().unique()))}
        key = frame["term"].map(order).to_numpy(dtype="float64", na_value=np.inf)
        frame = frame.iloc[np.argsort(key, kind="stable")].reset_index(drop=True)
    return frame


def term_index_expr(term: ir.StringValue) -> ir.IntegerValue:
    """The absolute term index ``2 * year + semester - 1`` of a ``YYYY-S`` text column, in the
    engine (:func:`lbc_eval.data.terms.term_index` in memory)."""
    year = term.substr(0, 4).cast("int64")
    return 2 * year + term.substr(5, 1).cast("int64") - 1


# --- reading ------------------------------------------------------------------------------------


def open_cohort(
    path: str | Path,
    engine: Engine,
    *,
    columns: Sequence[str] | None = None,
    terms: Sequence[str] | None = None,
    validate: bool = True,
    connection: Any = None,
    make: Callable[..., Any] | None = None,
) -> LazyCohort:
    """The lazy reader behind ``read_cohort(path, engine=...)`` (see the module docstring).

    ``connection`` is an Ibis backend from :func:`connect` (default: a new one for
    ``engine``); ``make`` builds the in-memory cohort of :meth:`LazyCohort.collect`.
    """
    if engine not in ENGINES:
        raise SpecError("engine", f"got {engine!r}; allowed: 'pandas', 'duckdb', 'spark'")
    path = Path(path)
    meta = footers.read_meta(path)
    if meta.get("storage") == "csv":
        raise CohortFormatError(
            f"{path} is stored as CSV; a lazy cohort reads Parquet. Read it with "
            f"engine='pandas', or write it again with Cohort.write(path) (Parquet)"
        )
    parts = footers.partitions(path, meta)
    if terms is not None:
        unknown = [t for t in terms if t not in parts]
        if unknown:
            raise CohortFormatError(f"{path}/panel holds no partition for {', '.join(unknown)}")
        parts = {t: f for t, f in parts.items() if t in terms}
    problems = footers.problems(path, meta, parts, partial=terms is not None) if validate else []
    checks.raise_problems(path, problems)
    if not parts:
        raise CohortFormatError(f"{path}/panel holds no partition for the terms asked for")
    con = connect(engine) if connection is None else connection
    kind = engine_of(con)
    if kind != engine:
        raise SpecError("connection", f"is a {kind} backend, not {engine}")
    panel = _read_panel(con, kind, path, parts)
    if columns is not None:
        missing = [c for c in columns if c not in panel.columns]
        if missing:
            raise SpecError("columns", f"not in the panel: {', '.join(missing)}")
        panel = panel.select(*dict.fromkeys(["term", *columns]))
    tables = {name: _read_table(con, kind, path / f"{name}.parquet", name) for name in _TABLES}
    truth = None
    if (path / "truth.json").exists():
        truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    return LazyCohort(
        panel=panel,
        schools=tables["schools"],
        destinations=tables["destinations"],
        truth=truth,
        terms=list(parts),
        engine=kind,
        path=path,
        validated=validate,
        connection=con,
        _make=make,
    )


def _read_panel(con: Any, kind: str, path: Path, parts: dict[str, list[Path]]) -> ir.Table:
    """The panel's files as one table with ``term`` from the folder names (text)."""
    name = f"lbc_panel_{next(_names)}"
    if kind == "duckdb":
        files = [str(f) for fs in parts.values() for f in fs]
        table = con.read_parquet(files, table_name=name, hive_partitioning=True,
                                 hive_types_autocast=False, union_by_name=True)  # fmt: skip
    else:
        session = con._session
        dirs = [str(path / "panel" / f"term={t}") for t in parts]
        # basePath as an option: PySpark 4's parquet(**options) drops it, and term with it
        frame = session.read.option("basePath", str(path / "panel")).parquet(*dirs)
        frame.createOrReplaceTempView(name)
        table = con.table(name)
    return _complete(table.mutate(term=table["term"].cast("string")), "panel")


def _read_table(con: Any, kind: str, file: Path, name: str) -> ir.Table:
    if not file.is_file():
        raise CohortFormatError(f"{file.parent}: {file.name} is missing")
    view = f"lbc_{name}_{next(_names)}"
    if kind == "duckdb":
        table = con.read_parquet(str(file), table_name=view)
    else:
        con._session.read.parquet(str(file)).createOrReplaceTempView(view)
        table = con.table(view)
    return _complete(table, name)


_IBIS_TYPES = {"id": "string", "str": "string", "category": "string", "float": "float64",
               "bool": "boolean"}  # fmt: skip


def _complete(table: ir.Table, name: str) -> ir.Table:
    """Optional codebook columns missing from the files added as typed NULLs."""
    import ibis

    add = {}
    for c in codebook.columns(name):  # type: ignore[arg-type]
        if c.name not in table.columns:
            kind = _IBIS_TYPES.get(c.kind, f"int{c.bits}")
            add[c.name] = ibis.null().cast(kind)
    return table.mutate(**add) if add else table
