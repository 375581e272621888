"""The checks a lazy read makes without reading a row: what the Parquet footers tell.

:func:`problems` checks ``cohort.json`` and the codebook version (:func:`lbc_eval.data.
checks.check_meta`), the partitions against the terms and parts it lists
(:func:`~lbc_eval.data.checks.check_partitions`), every file's columns (required ones
present, none identifying a child) and their stored types against the codebook, the row
counts against ``cohort.json`` (from the footers) and the truth of a synthetic cohort. The
row-level rules of :mod:`lbc_eval.data.checks` are not run (see :mod:`lbc_eval.data.lazy`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lbc_eval.data import checks, codebook
from lbc_eval.data.codebook import CODEBOOK_VERSION
from lbc_eval.data.terms import PATTERN as TERM_PATTERN
from lbc_eval.data.terms import ordered_terms
from lbc_eval.errors import CohortFormatError


def partitions(path: Path, meta: dict[str, Any]) -> dict[str, list[Path]]:
    """The panel's Parquet files by term, terms in time order: in each folder
    ``term=YYYY-S`` the files ``cohort.json`` lists (``part-0.parquet``, or one per part of a
    national cohort, :func:`lbc_eval.data.checks.part_files`) that are there, sorted by name;
    malformed folder names left out."""
    names = checks.part_files(meta)
    found: dict[str, list[Path]] = {}
    for d in (path / "panel").glob("term=*"):
        term = d.name.split("=", 1)[1]
        files = sorted(d / f for f in names if (d / f).is_file())
        if TERM_PATTERN.match(term) and files:
            found[term] = files
    return {t: found[t] for t in ordered_terms(found)}


def problems(
    path: Path, meta: dict[str, Any], parts: dict[str, list[Path]], *, partial: bool
) -> list[checks.Problem]:
    """The rules a lazy read checks without reading a row (module docstring): ``cohort.json``,
    partitions, columns and stored types of every file, row counts, the synthetic truth."""
    problems = checks.check_meta(meta) + checks.check_partitions(path, meta)
    found = partitions(path, meta)
    per_term = []
    for term, files in found.items() if not partial else parts.items():
        n = 0
        for f in files:
            rel = f.relative_to(path).as_posix()
            schema, rows = _footer(path, rel)
            n += rows
            problems += _schema_file(schema, "panel", rel, extra=("term",))
        per_term.append((term, n))
    counts: dict[str, tuple[str, int, list[tuple[str, int]]]] = {}
    if not partial:
        total = sum(k for _, k in per_term)
        names = checks.part_files(meta)  # the in-memory reader's words
        pattern = f"panel/term=*/{names[0] if len(names) == 1 else 'part-*.parquet'}"
        counts["panel"] = (pattern, total, per_term)
    for name in ("schools", "destinations"):
        schema, rows = _footer(path, f"{name}.parquet")
        problems += _schema_file(schema, name, f"{name}.parquet")
        counts[name] = (f"{name}.parquet", rows, [])
    problems += checks.check_counts(meta, counts)
    problems += checks.check_synthetic(path, meta)
    return problems


def _footer(path: Path, rel: str) -> tuple[pa.Schema, int]:
    try:
        f = pq.ParquetFile(path / rel)
        return f.schema_arrow, f.metadata.num_rows
    except FileNotFoundError:
        raise CohortFormatError(f"{path}: {rel} is missing") from None
    except (OSError, pa.ArrowException) as e:
        raise CohortFormatError(f"{path}: {rel} is not a readable Parquet file") from e


def _schema_file(
    schema: pa.Schema, table: str, rel: str, extra: Sequence[str] = ()
) -> list[checks.Problem]:
    """Required columns present, no identifying column, stored types against the codebook.

    A type is decided from the Arrow type alone: text for identifiers, labels and categories
    (a dictionary of text too), integers for ``int``, integers or floats for ``float``,
    booleans for ``bool``; an all-NULL column passes. (Floats holding whole numbers in an
    ``int`` column, which the in-memory reader accepts after looking at the values, are
    reported here: the values are not read.)
    """
    names = [*schema.names, *extra]
    empty = pd.DataFrame(columns=names)
    problems = [p for p in checks.check_file(empty, table, rel, names) if p.rule != "type"]
    want = {"int": "whole numbers", "float": "numbers", "bool": "true/false", "id": "text",
            "str": "text", "category": "text (one of its levels)"}  # fmt: skip
    for c in codebook.columns(table):  # type: ignore[arg-type]
        if c.name not in schema.names:
            continue
        t = schema.field(c.name).type
        if pa.types.is_dictionary(t):
            t = t.value_type
        ok = pa.types.is_null(t) or {
            "int": pa.types.is_integer(t),
            "float": pa.types.is_integer(t) or pa.types.is_floating(t),
            "bool": pa.types.is_boolean(t),
        }.get(c.kind, pa.types.is_string(t) or pa.types.is_large_string(t))
        if not ok:
            detail = f"the column is stored as {_plain(t)}, the codebook expects {want[c.kind]}"
            problems.append(checks.Problem(rel, c.name, "type", detail))
    return problems


def _plain(t: pa.DataType) -> str:
    """An Arrow type in words: ``text``, ``whole numbers (int16)``, ``numbers (double)``..."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_integer(t):
        return f"whole numbers ({t})"
    if pa.types.is_floating(t):
        return f"numbers ({t})"
    if pa.types.is_boolean(t):
        return "true/false"
    return str(t)


def read_meta(path: Path) -> dict[str, Any]:
    """``cohort.json`` of the folder; :class:`CohortFormatError` when absent, unreadable or of
    another codebook major version."""
    meta_path = path / "cohort.json"
    if not meta_path.exists():
        raise CohortFormatError(
            f"{path} holds no cohort.json; make one with `lbc-eval synth --out {path}` or "
            f"`lbc-eval ingest ... --out {path}`"
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as e:
        raise CohortFormatError(f"{meta_path} is not valid JSON ({e.__class__.__name__})") from e
    if not isinstance(meta, dict):
        raise CohortFormatError(f"{meta_path} does not hold a JSON object")
    major = str(meta.get("codebook_version", "0")).split(".")[0]
    if major != CODEBOOK_VERSION.split(".")[0]:
        raise CohortFormatError(
            f"{path} was written with codebook {meta.get('codebook_version')}, this kit reads "
            f"{CODEBOOK_VERSION}; regenerate it with this version"
        )
    return meta
