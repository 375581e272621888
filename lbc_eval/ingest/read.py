"""Files -> sheets of cells: formats, encodings, sheets and merged cells.

:func:`find_inputs` expands folders; :func:`read_source` opens one file and returns its sheets
as rows of raw cells, numbered as Excel numbers them (``rows[i]`` is row ``i + 1``, column A
first, whatever the used range).

Formats are recognised by their first bytes, not by the file name alone: a zip archive is read
as xlsx, an OLE2 file as xls, anything else ending in ``.csv`` or ``.txt`` as delimited text.
Text is decoded as UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (which contains
GBK and GB2312); the delimiter is a comma, a tab or a semicolon, whichever the first lines use.
Merged ranges in workbooks are filled with their top-left value, as a reader sees them.
Headers and the kind of table are found by :mod:`lbc_eval.ingest.header`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lbc_eval.ingest.values import is_blank

Engine = Literal["calamine", "openpyxl"]
ENGINES: tuple[Engine, ...] = ("calamine", "openpyxl")

#: File name endings ingest looks at inside folders.
SUFFIXES: frozenset[str] = frozenset({".xlsx", ".xlsm", ".xls", ".csv", ".txt"})
_MAGIC = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls"}


class ReadFailure(Exception):
    """A file cannot be read; ``reason`` is a reason code, the message names no value."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass
class Sheet:
    """One sheet (or a whole CSV) as raw cells; ``rows[i]`` is row ``i + 1`` of the file."""

    name: str | None
    rows: list[list[Any]]


@dataclass
class Source:
    """One input file: its identity, and its sheets or why it could not be read."""

    path: Path
    name: str
    sha256: str
    size: int
    format: str = ""
    encoding: str | None = None
    sheets: list[Sheet] = field(default_factory=list)
    hidden_sheets: list[str] = field(default_factory=list)
    failure: ReadFailure | None = None


# --- finding and naming files -------------------------------------------------------------------


def find_inputs(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """Expand files and folders into the files to ingest, and the files ignored in folders.

    Folders are walked recursively in name order; inside them only :data:`SUFFIXES` are taken,
    and Office lock files (``~$…``) and hidden files are skipped. A file named explicitly is
    always taken (an unsupported one then gets the reason ``file_type``).
    """
    files: list[Path] = []
    ignored: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                ok = f.suffix.lower() in SUFFIXES and not f.name.startswith("~$")
                (files if ok else ignored).append(f)
        elif p.exists():
            files.append(p)
        else:
            raise FileNotFoundError(f"{p}: no such file or folder")
    seen: set[Path] = set()
    unique = [f for f in files if not (f.resolve() in seen or seen.add(f.resolve()))]  # type: ignore[func-returns-value]
    return unique, ignored


def display_names(files: list[Path]) -> dict[Path, str]:
    """Names of the files relative to their common folder (POSIX separators)."""
    if not files:
        return {}
    parents = [str(f.resolve().parent) for f in files]
    root = Path(os.path.commonpath(parents))
    return {f: f.resolve().relative_to(root).as_posix() for f in files}


# --- reading a file -----------------------------------------------------------------------------


def read_source(path: Path, name: str, *, engine: Engine = "calamine") -> Source:
    """Read one file into sheets of raw cells (or record why it cannot be read).

    Parameters
    ----------
    path : Path
    name : str
        The file's name in reports.
    engine : {"calamine", "openpyxl"}
        Workbook reader for xlsx (xls is always read by calamine).

    Returns
    -------
    Source
        ``failure`` is set (reason ``file_empty``, ``file_type``, ``file_unreadable`` or
        ``encoding_unknown``) when nothing could be read.
    """
    data = path.read_bytes()
    src = Source(path=path, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        if not data.strip():
            raise ReadFailure("file_empty", "the file is empty")
        fmt = _MAGIC.get(data[:4])
        suffix = path.suffix.lower()
        if fmt is None:
            head = data[:512].lstrip().lower()
            if head.startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
                raise ReadFailure(
                    "file_type",
                    "the file is a web page or XML, not a workbook (systems often export "
                    "HTML named .xls): open it in Excel and save it as .xlsx",
                )
            if (
                suffix not in (".csv", ".txt")
                or b"\x00" in data[:4096]
                and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            ):
                raise ReadFailure(
                    "file_type",
                    f"the file is not a workbook or CSV (ending {suffix or 'none'}); ingest "
                    "reads .xlsx, .xls and .csv",
                )
            src.format = "csv"
            text, src.encoding = _decode(data)
            src.sheets = [Sheet(None, _csv_rows(text))]
        else:
            src.format = fmt
            use = "calamine" if fmt == "xls" else engine
            src.sheets, src.hidden_sheets = (
                _read_calamine(path) if use == "calamine" else _read_openpyxl(path)
            )
        if not any(not is_blank(c) for s in src.sheets for r in s.rows for c in r):
            raise ReadFailure("file_empty", "the file holds no cell with a value")
    except ReadFailure as exc:
        src.failure, src.sheets = exc, []
    return src


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        attempts = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        attempts = ["utf-16"]
    else:
        attempts = ["utf-8", "gbk", "gb18030"]
    for enc in attempts:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ReadFailure(
        "encoding_unknown",
        "the text is neither UTF-8 nor GBK/GB18030 (nor UTF-16 with a byte-order mark); save it "
        "from Excel as 'CSV UTF-8' or as .xlsx",
    )


def _csv_rows(text: str) -> list[list[Any]]:
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _fill_merged(rows: list[list[Any]], ranges: Iterable[tuple[int, int, int, int]]) -> None:
    """Copy each merged range's top-left value into its other cells (0-based, inclusive)."""
    for r0, c0, r1, c1 in ranges:
        if r0 >= len(rows):
            continue
        top = rows[r0][c0] if c0 < len(rows[r0]) else None
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if len(row) <= c1:
                row.extend([None] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if (r, c) != (r0, c0):
                    row[c] = top


def _read_calamine(path: Path) -> tuple[list[Sheet], list[str]]:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _unreadable(exc) from None
    sheets, hidden = [], []
    try:
        for meta in wb.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue
            if str(meta.visible).rsplit(".", 1)[-1] != "Visible":
                hidden.append(meta.name)
                continue
            ws = wb.get_sheet_by_name(meta.name)
            rows = [list(r) for r in ws.to_python(skip_empty_area=False)]
            merged = ws.merged_cell_ranges or []
            _fill_merged(rows, [(a[0], a[1], b[0], b[1]) for a, b in merged])
            sheets.append(Sheet(meta.name, rows))
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        wb.close()
    return sheets, hidden


def _read_openpyxl(path: Path) -> tuple[list[Sheet], list[str]]:
    """xlsx through openpyxl's read-only mode (no merged ranges there: they are not filled)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable(exc) from None
    sheets, hidden = [], []
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                hidden.append(ws.title)
                continue
            rows = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
            sheets.append(Sheet(ws.title, rows))
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        wb.close()
    return sheets, hidden


def _unreadable(exc: Exception) -> ReadFailure:
    kind = type(exc).__name__
    hint = (
        "it is protected by a password: remove the password in Excel and save again"
        if "Password" in kind
        else "it may be damaged, truncated or not really a workbook: open it in Excel and "
        "save it again as .xlsx"
    )
    return ReadFailure("file_unreadable", f"the workbook cannot be opened ({kind}); {hint}")
