"""The codebook: every column of the cohort tables, in one place.

Synthetic and real cohorts share this schema exactly, so every notebook runs on either.
Each :class:`Column` carries the canonical snake_case name used everywhere in the kit, the
Chinese and English labels, the header *aliases* schools really write (translated once, at
ingest), the dtype, unit, allowed values (with their Chinese spellings) or range, and whether
the column is required. The definitions live in the data file ``codebook.toml`` beside this
module (readable Chinese, one entry per column, reviewed as plain text); this module reads it
once and keeps the API.

Four tables are described:

``panel``
    one row per child per term (term ``2024-1`` = autumn 2024, ``2024-2`` = spring 2025);
``schools``
    one row per school per academic year;
``destinations``
    one row per parents' work destination, with the year its residence-permit-based
    enrolment took effect (missing = never);
``form``
    identifying fields that appear on school forms but never enter the cohort: they are
    read at ingest only to derive the pseudonymous ``student_id`` (and sex and birth year),
    then dropped.

Examples
--------
>>> from lbc_eval.data import codebook
>>> codebook.column("talks").label_zh
'谈心次数'
>>> codebook.match_header("学籍号")
'student_id'
"""

from __future__ import annotations

import functools
import re
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from lbc_eval.errors import SchemaError

Table = Literal["panel", "schools", "destinations", "form"]
Kind = Literal["id", "str", "category", "int", "float", "bool"]
TABLES: tuple[Table, ...] = ("panel", "schools", "destinations", "form")

#: The mentoring contacts that make up the dose of question Q1 (``talks + home_visits +
#: parent_contacts``); collective activities are counted separately.
CONTACT_COLUMNS: tuple[str, ...] = ("talks", "home_visits", "parent_contacts")

#: Outcomes of the panel, in the order notebooks report them.
OUTCOMES: tuple[str, ...] = ("math", "chinese", "sdq_total", "attendance")


@dataclass(frozen=True)
class Column:
    """One codebook entry.

    Attributes
    ----------
    name : str
        Canonical snake_case name.
    table : {"panel", "schools", "destinations", "form"}
    kind : {"id", "str", "category", "int", "float", "bool"}
        ``id`` and ``str`` are strings (identifiers / free labels), ``category`` takes one
        of ``levels``, ``int`` is a nullable integer of ``bits`` bits.
    label_zh, label_en : str
        Labels for tables and plots.
    unit : str
        Unit of measurement ('' if none).
    required : bool
        A table without this column is invalid.
    aliases : tuple of str
        Headers schools write for this column (Chinese first); matched after
        :func:`normalise_header`.
    levels : dict
        For categories: canonical value -> accepted spellings (the first is the Chinese label).
    lower, upper : float or None
        Allowed range (inclusive) for numbers.
    bits : int
        Width of integer columns.
    description : str
        What the column means and how it is measured.
    identifying : bool
        True for fields that identify a child; they never leave ingest.
    """

    name: str
    table: Table
    kind: Kind
    label_zh: str
    label_en: str
    unit: str = ""
    required: bool = False
    aliases: tuple[str, ...] = ()
    levels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lower: float | None = None
    upper: float | None = None
    bits: int = 16
    description: str = ""
    identifying: bool = False

    @property
    def dtype(self) -> object:
        """The pandas dtype of the column in a cohort table."""
        if self.kind in ("id", "str"):
            return pd.StringDtype(na_value=np.nan)
        if self.kind == "category":
            return pd.CategoricalDtype(list(self.levels), ordered=False)
        if self.kind == "int":
            return f"Int{self.bits}"
        if self.kind == "float":
            return "float64"
        return "boolean"

    @property
    def allowed(self) -> str:
        """Human-readable allowed values or range."""
        if self.levels:
            return "; ".join(f"{k} ({v[0]})" for k, v in self.levels.items())
        if self.lower is not None or self.upper is not None:
            lo = "" if self.lower is None else _num(self.lower)
            hi = "" if self.upper is None else _num(self.upper)
            return f"[{lo}, {hi}]"
        return ""


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


# --- the data file --------------------------------------------------------------------------

#: The column definitions, beside this module (and in a wheel): one ``[[table]]`` entry per
#: column, in canonical order, with the fields of :class:`Column`.
DATA_FILE = "codebook.toml"


def _column(table: Table, entry: dict[str, Any]) -> Column:
    """A :class:`Column` from one ``[[table]]`` entry of the data file (lists become tuples)."""
    kw = dict(entry)
    kw["aliases"] = tuple(kw.get("aliases", ()))
    kw["levels"] = {k: tuple(v) for k, v in kw.get("levels", {}).items()}
    return Column(table=table, **kw)


def _load() -> tuple[str, dict[Table, tuple[Column, ...]]]:
    """Read :data:`DATA_FILE` once: its version and the columns of every table."""
    text = resources.files("lbc_eval.data").joinpath(DATA_FILE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    return data["version"], {t: tuple(_column(t, e) for e in data[t]) for t in TABLES}


CODEBOOK_VERSION, _ALL = _load()


def columns(table: Table = "panel") -> tuple[Column, ...]:
    """The codebook entries of ``table``, in canonical order."""
    if table not in _ALL:
        raise SchemaError(f"unknown table {table!r}; the codebook has {', '.join(TABLES)}")
    return _ALL[table]


def names(table: Table = "panel") -> list[str]:
    """Canonical column names of ``table``, in canonical order."""
    return [c.name for c in columns(table)]


def column(name: str, table: Table = "panel") -> Column:
    """The codebook entry ``name`` of ``table``."""
    for c in columns(table):
        if c.name == name:
            return c
    raise SchemaError(f"{table} has no column {name!r}; its columns are {', '.join(names(table))}")


# --- headers -------------------------------------------------------------------------------

_UNIT_SUFFIX = re.compile(r"[（(][^（）()]*[)）]$")


def normalise_header(text: object) -> str:
    """Normalise a header as schools write it, for alias matching.

    NFKC folds full-width letters, digits and brackets to ASCII; white space (also inside the
    text) and a trailing unit in brackets such as ``（次）`` or ``(小时)`` are removed, and
    Latin letters are lower-cased.
    """
    s = unicodedata.normalize("NFKC", str(text)).strip()
    s = re.sub(r"\s+", "", s)
    prev = None
    while prev != s:
        prev, s = s, _UNIT_SUFFIX.sub("", s)
    return s.lower()


@functools.cache
def _header_index(table: Table) -> dict[str, str]:
    idx: dict[str, str] = {}
    for c in columns(table):
        for a in (c.name, c.label_zh, *c.aliases):
            idx.setdefault(normalise_header(a), c.name)
    return idx


def match_header(header: object, tables: Iterable[Table] = ("panel", "form")) -> str | None:
    """The canonical column name a header stands for, or None if the codebook does not know it.

    The first table in ``tables`` that knows the header wins; identifying form fields are
    looked up after the panel so that ``学籍号`` maps to ``student_id``.
    """
    key = normalise_header(header)
    for t in tables:
        hit = _header_index(t).get(key)
        if hit is not None:
            return hit
    return None


def level_labels(name: str, table: Table = "panel") -> dict[str, str]:
    """Canonical value -> Chinese label for a category column."""
    return {k: v[0] for k, v in column(name, table).levels.items()}


# --- tables -----------------------------------------------------------------------------------


def empty(table: Table) -> pd.DataFrame:
    """An empty table of ``table`` with the codebook's columns and dtypes."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in columns(table)})  # type: ignore[call-overload]


def conform(data: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Return ``data`` with the codebook's column order and dtypes.

    Columns the codebook does not know are kept, after the codebook's. A missing required
    column raises :class:`SchemaError`; a missing optional one is added as all-missing.
    """
    missing = [c.name for c in columns(table) if c.required and c.name not in data.columns]
    if missing:
        raise SchemaError(
            f"the {table} table lacks required column(s) {', '.join(missing)}; "
            f"see the codebook (docs/codebook.md) for what each holds"
        )
    out = {}
    for c in columns(table):
        if c.name in data.columns:
            s = data[c.name]
            out[c.name] = s if s.dtype == c.dtype else s.astype(c.dtype)  # type: ignore[arg-type]
        else:
            out[c.name] = pd.Series(pd.array([pd.NA] * len(data), dtype=c.dtype), index=data.index)  # type: ignore[call-overload]
    extra = [k for k in data.columns if k not in out]
    frame = pd.DataFrame(out, index=data.index)
    if extra:
        frame = pd.concat([frame, data[extra]], axis=1)
    return frame


# --- export -------------------------------------------------------------------------------------


def codebook_frame() -> pd.DataFrame:
    """The whole codebook as one table (one row per table and column)."""
    rows = []
    for t in TABLES:
        for c in columns(t):
            rows.append(
                {
                    "table": t,
                    "name": c.name,
                    "label_zh": c.label_zh,
                    "label_en": c.label_en,
                    "dtype": str(c.dtype) if c.kind != "category" else "category",
                    "unit": c.unit,
                    "allowed": c.allowed,
                    "required": c.required,
                    "identifying": c.identifying,
                    "aliases": " | ".join(c.aliases),
                    "description": c.description,
                }
            )
    return pd.DataFrame(rows)


def codebook_markdown() -> str:
    """The codebook as a Markdown page (docs/codebook.md is this text)."""
    frame = codebook_frame()
    lines = [
        f"# Codebook (version {CODEBOOK_VERSION})",
        "",
        "Generated by `lbc-eval codebook --out docs/` from `lbc_eval/data/codebook.toml`; do not "
        "edit by hand. Canonical names are used everywhere in the kit; the aliases are the headers "
        "schools write, matched after folding full-width characters, removing white space and "
        "a trailing unit such as `（次）`.",
        "",
    ]
    intro = {
        "panel": "One row per child per term (`2024-1` = autumn 2024, `2024-2` = spring 2025).",
        "schools": "One row per school per academic year.",
        "destinations": "One row per parents' work destination.",
        "form": "Identifying fields found on school forms. Read at ingest only to derive "
        "`student_id`, `sex` and `birth_year`; never written to a cohort, log or output.",
    }
    cols = [
        "name",
        "label_zh",
        "label_en",
        "dtype",
        "unit",
        "allowed",
        "required",
        "aliases",
        "description",
    ]
    for t in TABLES:
        sub = frame[frame["table"] == t]
        lines += [
            f"## `{t}`",
            "",
            intro[t],
            "",
            "| " + " | ".join(cols) + " |",
            "|" + "---|" * len(cols),
        ]
        for _, r in sub.iterrows():
            cells = [f"`{r['name']}`" if k == "name" else str(r[k]) for k in cols]
            cells = [("yes" if x == "True" else "" if x == "False" else x) for x in cells]
            lines.append("| " + " | ".join(x.replace("|", "/") for x in cells) + " |")
        lines.append("")
    return "\n".join(lines)


def write_codebook(out: str | Path) -> tuple[Path, Path]:
    """Write ``codebook.csv`` (UTF-8 with BOM, so Excel shows the Chinese) and ``codebook.md``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out / "codebook.csv", out / "codebook.md"
    codebook_frame().to_csv(csv_path, index=False, encoding="utf-8-sig", lineterminator="\n")
    md_path.write_text(codebook_markdown(), encoding="utf-8")
    return csv_path, md_path
