"""The rules a cohort folder meets when :func:`~lbc_eval.data.cohort.read_cohort` reads it.

Every rule is checked on whole columns at once (a county cohort of about 230,000 child-terms
takes a few hundredths of a second), every problem is collected before anything is raised, and
all of them are raised together as one :class:`~lbc_eval.errors.CohortValidationError`. Each
problem names the file (relative to the cohort folder) and the column, counts the rows it
concerns and gives the numbers of at most :data:`MAX_ROWS_SHOWN` of them (counted from 1 in
each file, the header not counted). No value is ever shown: a malformed ``student_id`` may be a
child's real student number.

The rules (rule codes in brackets, as in :attr:`Problem.rule`):

folder, from what ``cohort.json`` records
    the storage is ``parquet`` or ``csv`` [``storage``]; every term listed has its partition
    ``panel/term=YYYY-S/part-0.parquet`` (or one ``part-{part}.parquet`` for each of the
    ``parts`` that ``cohort.json`` lists: a national cohort's provinces)
    [``missing_partition``] and every partition is listed, named like a term and holds only
    those files [``unlisted_partition``]; the rows of
    ``panel``, ``schools`` and ``destinations`` are as many as recorded [``row_count``]; in CSV
    the panel's terms are those listed [``terms``]; a cohort recorded as synthetic has its
    ``truth.json``, one recorded as real has no ``roster.parquet`` (placeholder names and
    identity numbers belong to synthetic cohorts only) [``synthetic``].
each file
    every column the codebook marks required is there [``missing_column``]; optional columns
    may be missing (a cohort written by an older kit) and are read as all-missing; no
    identifying field of the school forms (name, resident ID, phone…) is there
    [``identifying_column``]; every codebook column holds its type: whole numbers for ``int``
    columns, numbers for ``float``, true/false (or 0/1) for ``bool``, text for identifiers,
    labels and categories [``type``].
each table (all files of the panel together)
    numbers within the codebook's range, and integers within their dtype's
    (``Int16`` holds at most 32,767) [``range``]; categories among the codebook's levels
    [``category``]; required values and key values present [``missing_value``] (the panel's
    ``township`` may be missing: ingest keeps surveys of a school without training records);
    one row per key, :data:`KEYS` [``duplicate_key``]; ``student_id`` a pseudonym as
    :func:`lbc_eval.data.ids.pseudonymise` writes it: 16 lowercase hexadecimal characters
    [``pseudonym``].
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data import codebook
from lbc_eval.data.codebook import Column
from lbc_eval.data.ids import ID_HEX_CHARS
from lbc_eval.data.terms import PATTERN as TERM_PATTERN
from lbc_eval.errors import CohortValidationError

#: The key of each table: no two rows share it, and none of its values is missing.
KEYS: dict[str, tuple[str, ...]] = {
    "panel": ("student_id", "term"),
    "schools": ("school_id", "year"),
    "destinations": ("destination_id",),
}

#: Required columns whose values may be missing (the column itself must be there).
MAY_BE_MISSING: dict[str, frozenset[str]] = {"panel": frozenset({"township"})}

#: The form of ``student_id``: :func:`lbc_eval.data.ids.pseudonymise`'s 16 hex characters.
PSEUDONYM = re.compile(f"[0-9a-f]{{{ID_HEX_CHARS}}}")

#: Row numbers given per problem, and problems listed in the message (all are in ``problems``).
MAX_ROWS_SHOWN = 5
MAX_LISTED = 25

_IDENTIFYING = frozenset(c.name for c in codebook.columns("form") if c.identifying)


@dataclass(frozen=True)
class Problem:
    """One broken rule.

    Attributes
    ----------
    file : str
        The file (or folder) relative to the cohort folder, such as
        ``panel/term=2024-1/part-0.parquet``.
    column : str or None
        The column, None for a problem of the file or folder.
    rule : str
        The rule's code (module docstring).
    detail : str
        What is wrong; never a value from the data.
    count : int or None
        Rows concerned (None for a problem of the file or folder).
    rows : tuple of int
        At most :data:`MAX_ROWS_SHOWN` of them, counted from 1 in the file (header excluded).
    """

    file: str
    column: str | None
    rule: str
    detail: str
    count: int | None = None
    rows: tuple[int, ...] = ()

    def __str__(self) -> str:
        where = self.file
        if self.column:
            where += f", column{'s' if ', ' in self.column else ''} {self.column}"
        if self.count is None:
            return f"{where}: {self.detail}"
        n = self.count
        shown = ", ".join(str(r) for r in self.rows)
        more = ", …" if n > len(self.rows) else ""
        label = "row" if len(self.rows) == 1 else "rows"
        return f"{where}: {n:,} row{'' if n == 1 else 's'} ({label} {shown}{more}): {self.detail}"


@dataclass(frozen=True)
class Segment:
    """Rows ``start`` to ``stop`` (exclusive) of a table came from ``file``."""

    file: str
    start: int
    stop: int


def raise_problems(path: Path, problems: Sequence[Problem]) -> None:
    """Raise :class:`~lbc_eval.errors.CohortValidationError` listing ``problems``, if any."""
    if not problems:
        return
    n = len(problems)
    lines = [
        f"{path}: the cohort breaks {n} rule{'' if n == 1 else 's'} of the codebook "
        f"{codebook.CODEBOOK_VERSION} (rows are counted from 1 in each file, header excluded):"
    ]
    lines += [f"  {p}" for p in problems[:MAX_LISTED]]
    if n > MAX_LISTED:
        lines.append(f"  … and {n - MAX_LISTED} more (the exception's .problems lists them all)")
    lines.append(
        "Write the cohort again with this kit (lbc-eval synth / lbc-eval ingest) or fix the "
        "files; read_cohort(path, validate=False) reads them unchecked."
    )
    raise CohortValidationError("\n".join(lines), problems)


# --- the folder --------------------------------------------------------------------------------


def check_meta(meta: Mapping[str, Any]) -> list[Problem]:
    """What ``cohort.json`` holds is well formed (the entries the checks below rely on)."""
    out = []
    storage = meta.get("storage", "parquet")
    if storage not in ("parquet", "csv"):
        out.append(Problem("cohort.json", None, "storage", "storage must be parquet or csv"))
    tables = meta.get("tables")
    if tables is not None and not (
        isinstance(tables, dict) and all(isinstance(v, int) for v in tables.values())
    ):
        out.append(
            Problem("cohort.json", None, "row_count", "'tables' must map each table to its rows")
        )
    terms = meta.get("terms")
    if terms is not None and not (
        isinstance(terms, list) and all(TERM_PATTERN.match(str(t)) for t in terms)
    ):
        out.append(Problem("cohort.json", None, "terms", "'terms' must list terms like '2024-1'"))
    parts = meta.get("parts")
    if parts is not None and not (
        isinstance(parts, list) and parts and all(_PART.fullmatch(str(p)) for p in parts)
    ):
        out.append(Problem("cohort.json", None, "parts", "'parts' must list part names like 'P01'"))
    return out


#: A part of a term's partition: ``part-{name}.parquet``.
_PART = re.compile(r"[A-Za-z0-9_]+")


def part_files(meta: Mapping[str, Any]) -> list[str]:
    """The files each term's partition holds: ``part-0.parquet``, or one per listed part."""
    parts = meta.get("parts")
    if not (isinstance(parts, list) and parts and all(_PART.fullmatch(str(p)) for p in parts)):
        parts = ["0"]
    return [f"part-{p}.parquet" for p in parts]


def check_partitions(folder: Path, meta: Mapping[str, Any]) -> list[Problem]:
    """Partitions on disk against the terms ``cohort.json`` lists (Parquet storage)."""
    out = []
    listed = meta.get("terms")
    listed = set(map(str, listed)) if isinstance(listed, list) else None
    panel = folder / "panel"
    files = part_files(meta)
    for d in sorted(panel.iterdir()) if panel.is_dir() else []:
        if d.name.startswith((".", "_")):  # hidden, by the Hive convention
            continue
        rel = f"panel/{d.name}"
        term = d.name.split("=", 1)[1] if d.name.startswith("term=") else ""
        if not d.is_dir() or not TERM_PATTERN.match(term):
            out.append(
                Problem(
                    rel, None, "unlisted_partition", "not a partition term=YYYY-1 or term=YYYY-2"
                )
            )
            continue
        if listed is not None and term not in listed:
            out.append(Problem(rel, None, "unlisted_partition", "a term cohort.json does not list"))
        for f in sorted(d.iterdir()):
            if f.name not in files and not f.name.startswith((".", "_")):
                detail = (
                    "not read: a partition holds one file, part-0.parquet"
                    if files == ["part-0.parquet"]
                    else "a file that cohort.json's 'parts' do not list"
                )
                out.append(Problem(f"{rel}/{f.name}", None, "unlisted_partition", detail))
    for term in sorted(listed or ()):
        for name in files:
            if not (folder / "panel" / f"term={term}" / name).is_file():
                out.append(
                    Problem(
                        f"panel/term={term}/{name}",
                        None,
                        "missing_partition",
                        "missing, though cohort.json lists the term",
                    )
                )
    return out


def check_counts(
    meta: Mapping[str, Any], counts: Mapping[str, tuple[str, int, Sequence[tuple[str, int]]]]
) -> list[Problem]:
    """Rows per table against ``cohort.json``'s ``tables``.

    ``counts`` maps a table to (its file, or a pattern for several; rows; rows per file where
    there are several, each file named by what sets it apart, such as the term).
    """
    tables = meta.get("tables")
    if not isinstance(tables, dict):
        return []
    out = []
    for table, (file, n, parts) in counts.items():
        want = tables.get(table)
        if not isinstance(want, int) or want == n:
            continue
        detail = f"{n:,} rows, but cohort.json records {want:,} ({n - want:+,})"
        if parts:
            detail = f"{n:,} rows in {len(parts)} files, but cohort.json records {want:,} "
            detail += f"({n - want:+,}); rows per term: " + ", ".join(
                f"{f} {k:,}" for f, k in parts
            )
        out.append(Problem(file, None, "row_count", detail))
    return out


def check_terms(meta: Mapping[str, Any], term: pd.Series, file: str) -> list[Problem]:
    """CSV storage: every row's term is a term, and the panel's terms are those listed."""
    seg = [Segment(file, 0, len(term))]
    codes, uniques = pd.factorize(term)
    labels = [str(u) for u in uniques]
    # one entry per distinct label, and a last one for missing terms (code -1: not flagged
    # here, check_table reports them as missing values)
    form = np.array([bool(TERM_PATTERN.match(u)) for u in labels] + [True])
    out = _located(~form[codes], seg, "term", "terms", "not a term like 2024-1 or 2024-2")
    listed = meta.get("terms")
    if not isinstance(listed, list):
        return out
    listed = [str(x) for x in listed]
    unlisted = np.array(
        [bool(f) and u not in listed for u, f in zip(labels, form, strict=False)] + [False]
    )
    out += _located(unlisted[codes], seg, "term", "terms", "a term cohort.json does not list")
    gone = [x for x in listed if x not in set(labels)]
    if gone:
        out.append(
            Problem(file, "term", "terms", f"no row of {', '.join(gone)}, which cohort.json lists")
        )
    return out


def check_partition_term(term: pd.Series, expected: str, file: str) -> list[Problem]:
    """A partition that also stores ``term`` as a column holds only its own term."""
    bad = (term.astype(object) != expected).to_numpy()
    detail = f"another term than the partition's ({expected})"
    return _located(bad, [Segment(file, 0, len(term))], "term", "terms", detail)


def check_synthetic(folder: Path, meta: Mapping[str, Any]) -> list[Problem]:
    """A synthetic cohort has its truth; a real one has no placeholder roster."""
    flag = meta.get("synthetic")
    if flag is True and not (folder / "truth.json").is_file():
        return [
            Problem("truth.json", None, "synthetic", "missing, though cohort.json says synthetic")
        ]
    if flag is False and (folder / "roster.parquet").exists():
        return [
            Problem(
                "roster.parquet",
                None,
                "synthetic",
                "present in a cohort cohort.json says is real: names and identity numbers "
                "never belong in a cohort folder",
            )
        ]
    return []


# --- one file -------------------------------------------------------------------------------------


def check_file(
    frame: pd.DataFrame, table: str, file: str, names: Sequence[str] | None = None
) -> list[Problem]:
    """Columns present and their types, for one file's rows (``frame``, as read).

    ``names`` are all the file's columns when only some were read (``read_cohort(columns=…)``).
    """
    names = list(frame.columns) if names is None else list(names)
    out = []
    have = set(names)
    missing = [c.name for c in codebook.columns(table) if c.required and c.name not in have]
    for name in missing:
        out.append(Problem(file, name, "missing_column", "missing; the codebook requires it"))
    for name in names:
        if name in _IDENTIFYING:
            out.append(
                Problem(
                    file,
                    name,
                    "identifying_column",
                    "identifies a child and never belongs in a cohort (ingest drops it)",
                )
            )
    seg = [Segment(file, 0, len(frame))]
    for c in codebook.columns(table):
        if c.name in frame.columns:
            bad, detail = _type_problem(frame[c.name], c)
            if bad is not None:
                out += _located(bad, seg, c.name, "type", detail)
    return out


def _type_problem(s: pd.Series, c: Column) -> tuple[np.ndarray | None, str]:
    """Rows of ``s`` that do not hold ``c``'s type (None if all do), and what is wrong.

    Decided from the dtype where it can be (no pass over the data for a well-typed column);
    the values are looked at only for floats in an integer column, numbers in a boolean one
    and Python objects (CSV columns with blanks).
    """
    dtype = s.dtype
    is_bool = pd.api.types.is_bool_dtype(dtype)
    is_num = not is_bool and pd.api.types.is_numeric_dtype(dtype)
    is_obj = dtype is np.dtype(object)
    is_cat = isinstance(dtype, pd.CategoricalDtype)
    if c.kind in ("id", "str", "category"):
        if is_cat:
            cats = dtype.categories
            if pd.api.types.infer_dtype(cats, skipna=True) in ("string", "empty"):
                return None, ""
        elif not (is_bool or is_num or is_obj):
            return None, ""  # a string dtype
    elif c.kind == "bool" and is_bool:
        return None, ""
    elif c.kind == "float" and is_num:
        return None, ""
    elif c.kind == "int" and is_num and not pd.api.types.is_float_dtype(dtype):
        return None, ""
    present = s.notna().to_numpy()
    if not present.any():
        return None, ""
    want = {
        "int": f"whole numbers ({c.dtype})",
        "float": "numbers",
        "bool": "true/false",
        "id": "text",
        "str": "text",
        "category": "one of its levels",
    }[c.kind]
    stored = f"the column is stored as {dtype}, the codebook expects {want}"
    if c.kind in ("int", "float"):
        if is_bool:
            return present, f"true/false values: {stored}"
        if is_num:  # floats in an integer column
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            bad = present & ~(np.isfinite(v) & (v == np.floor(v)))
            return (bad if bad.any() else None), f"not whole numbers: {stored}"
        num = pd.to_numeric(s.astype(object), errors="coerce").to_numpy(
            dtype="float64", na_value=np.nan
        )
        bad = present & np.isnan(num)
        if bad.any():
            return bad, f"not numbers: {stored}"
        return present, f"numbers as text: {stored}"
    if c.kind == "bool":
        if is_num:
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            bad = present & ~np.isin(v, (0.0, 1.0))
            return (bad if bad.any() else None), f"not true/false or 0/1: {stored}"
        if is_obj:
            ok = s.map(lambda x: isinstance(x, bool | np.bool_)).to_numpy(dtype=bool)
            bad = present & ~ok
            return (bad if bad.any() else None), f"not true/false: {stored}"
        return present, f"text: {stored}"
    if is_obj:
        bad = present & ~s.map(lambda x: isinstance(x, str)).to_numpy(dtype=bool)
        return (bad if bad.any() else None), f"not text: {stored}"
    return present, f"numbers or true/false values: {stored}"


# --- one table ------------------------------------------------------------------------------------


def check_table(
    frame: pd.DataFrame, table: str, segments: Sequence[Segment], skip: Collection[str] = ()
) -> list[Problem]:
    """Ranges, levels, required values, keys and pseudonyms of a table read from ``segments``.

    Columns in ``skip`` (a type problem was found in one of their files) are not looked at.
    """
    out: list[Problem] = []
    may_miss = MAY_BE_MISSING.get(table, frozenset())
    keys = KEYS.get(table, ())
    for c in codebook.columns(table):
        if c.name not in frame.columns or c.name in skip:
            continue
        s = frame[c.name]
        if c.kind in ("int", "float"):
            lo, hi = _bounds(c)
            v = s.to_numpy(dtype="float64", na_value=np.nan)
            bad = (v < lo) | (v > hi) | np.isinf(v)
            out += _located(bad, segments, c.name, "range", f"outside [{_n(lo)}, {_n(hi)}]")
        elif c.kind == "category":
            levels = list(c.levels)
            if isinstance(s.dtype, pd.CategoricalDtype):
                extra = [x for x in s.dtype.categories if x not in c.levels]
                bad = s.isin(extra).to_numpy() if extra else None
            else:
                bad = (s.notna() & ~s.isin(levels)).to_numpy()
            if bad is not None:
                detail = f"not among its levels {', '.join(levels)}"
                out += _located(bad, segments, c.name, "category", detail)
        if (c.required and c.name not in may_miss) or c.name in keys:
            detail = "missing; every row needs a value"
            out += _located(s.isna().to_numpy(), segments, c.name, "missing_value", detail)
    factors: dict[str, tuple[np.ndarray, pd.Index]] = {}

    def factor(name: str) -> tuple[np.ndarray, pd.Index]:
        if name not in factors:
            factors[name] = pd.factorize(frame[name])
        return factors[name]

    if table == "panel" and "student_id" in frame.columns and "student_id" not in skip:
        codes, uniques = factor("student_id")
        ok = pd.Series(uniques, dtype="str").str.fullmatch(PSEUDONYM.pattern).to_numpy(bool)
        if not ok.all():
            bad = (codes >= 0) & ~ok[np.maximum(codes, 0)]
            detail = (
                f"not a pseudonym ({ID_HEX_CHARS} lowercase hex characters, as ingest and the "
                "generator write them)"
            )
            out += _located(bad, segments, "student_id", "pseudonym", detail)
    if keys and all(k in frame.columns and k not in skip for k in keys):
        combined = np.zeros(len(frame), dtype=np.int64)
        complete = np.ones(len(frame), dtype=bool)
        for k in keys:
            codes, uniques = factor(k)
            complete &= codes >= 0
            combined = combined * (len(uniques) + 1) + (codes + 1)
        dup = pd.Series(combined).duplicated(keep=False).to_numpy() & complete
        name = keys[0] if len(keys) == 1 else f"({', '.join(keys)})"
        detail = f"the same {name} as another row"
        out += _located(dup, segments, ", ".join(keys), "duplicate_key", detail)
    return out


def _bounds(c: Column) -> tuple[float, float]:
    lo = -np.inf if c.lower is None else float(c.lower)
    hi = np.inf if c.upper is None else float(c.upper)
    if c.kind == "int":
        info = np.iinfo(f"int{c.bits}")
        lo, hi = max(lo, float(info.min)), min(hi, float(info.max))
    return lo, hi


def _n(x: float) -> str:
    if np.isinf(x):
        return ""
    return str(int(x)) if float(x).is_integer() else str(x)


def _located(
    mask: np.ndarray | None, segments: Sequence[Segment], column: str, rule: str, detail: str
) -> list[Problem]:
    """One :class:`Problem` per file holding rows where ``mask`` is true."""
    if mask is None:
        return []
    idx = np.flatnonzero(mask)
    if not idx.size:
        return []
    starts = np.fromiter((s.start for s in segments), np.int64, len(segments))
    which = np.searchsorted(starts, idx, side="right") - 1
    out = []
    for k in np.unique(which):
        rows = idx[which == k] - starts[k] + 1
        shown = tuple(int(r) for r in rows[:MAX_ROWS_SHOWN])
        out.append(Problem(segments[k].file, column, rule, detail, int(rows.size), shown))
    return out
