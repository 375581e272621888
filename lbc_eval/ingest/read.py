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

Hidden sheets (``hidden`` or ``veryHidden``) are read into :attr:`Source.hidden`, apart from the
visible ones: ingest does not take their rows into the cohort but reports each of them
(:mod:`lbc_eval.ingest.files`). Chart sheets hold no cells and are passed over.

Formula and error cells of an xlsx are found in the sheet's XML whichever engine reads it (both
give a blank for a formula saved without its result, and calamine also for an error): a
formula without a stored result becomes ``Unreadable("formula_no_value")``, an error cell
(``#DIV/0!``, ``#N/A`` …) ``Unreadable("cell_error", "#DIV/0!")``
(:class:`~lbc_eval.ingest.values.Unreadable`). A CSV cell longer than the csv module's limit is
read whole; a CSV the csv module cannot parse is ``file_unreadable``.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import posixpath
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

from lbc_eval.data.messages import Bi, Text, msg
from lbc_eval.ingest.values import Unreadable, is_blank

Engine = Literal["calamine", "openpyxl"]
ENGINES: tuple[Engine, ...] = ("calamine", "openpyxl")

#: File name endings ingest looks at inside folders.
SUFFIXES: frozenset[str] = frozenset({".xlsx", ".xlsm", ".xls", ".csv", ".txt"})
_MAGIC = {b"PK\x03\x04": "xlsx", b"\xd0\xcf\x11\xe0": "xls"}


class ReadFailure(Exception):
    """A file cannot be read; ``reason`` is a reason code, ``text`` the message (a
    :class:`~lbc_eval.data.messages.Text`, Chinese as ``str``), which names no value."""

    def __init__(self, reason: str, text: Text) -> None:
        self.reason = reason
        self.text = text
        super().__init__(text)


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
    hidden: list[Sheet] = field(default_factory=list)
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
            raise FileNotFoundError(msg("ingest.no_such_path", path=p))
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
    try:
        data = path.read_bytes()
    except OSError as exc:
        src = Source(path=path, name=name, sha256="", size=0)
        src.failure = ReadFailure(
            "file_unreadable", msg("ingest.cannot_open", kind=type(exc).__name__)
        )
        return src
    src = Source(path=path, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        if not data.strip():
            raise ReadFailure("file_empty", msg("ingest.file_empty"))
        fmt = _MAGIC.get(data[:4])
        if fmt is None:
            src.format = "csv"
            text, src.encoding = _decode(_text_bytes(data, path.suffix.lower()))
            src.sheets = [Sheet(None, _csv_rows(text))]
        else:
            src.format = fmt
            use = "calamine" if fmt == "xls" else engine
            sheets = _read_calamine(path) if use == "calamine" else _read_openpyxl(path)
            if fmt == "xlsx":
                _mark_formulas(path, sheets)
            src.sheets = [s for s, hidden in sheets if not hidden]
            src.hidden = [s for s, hidden in sheets if hidden]
            src.hidden_sheets = [str(s.name) for s in src.hidden]
        every = [*src.sheets, *src.hidden]
        if not any(not is_blank(c) for s in every for r in s.rows for c in r):
            raise ReadFailure("file_empty", msg("ingest.file_no_value"))
    except ReadFailure as exc:
        src.failure, src.sheets, src.hidden = exc, [], []
    except Exception as exc:  # a reader's own failure on a malformed file: never a crash
        src.failure, src.sheets, src.hidden = _unreadable(exc), [], []
    return src


def _text_bytes(data: bytes, suffix: str) -> bytes:
    """The bytes of a delimited text file, or ReadFailure ``file_type`` when they are not."""
    head = data[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
        raise ReadFailure("file_type", msg("ingest.web_page"))
    if (
        suffix not in (".csv", ".txt")
        or b"\x00" in data[:4096]
        and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        shown = Bi(suffix or "无", suffix or "none")
        raise ReadFailure("file_type", msg("ingest.not_a_table", suffix=shown))
    return data


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
    raise ReadFailure("encoding_unknown", msg("ingest.encoding_unknown"))


def _csv_rows(text: str) -> list[list[Any]]:
    sample = "\n".join(text.splitlines()[:50])
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))  # a cell may be as long as the file
    try:
        return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise ReadFailure(
            "file_unreadable", msg("ingest.csv_unreadable", kind=exc.__class__.__name__)
        ) from None
    finally:
        csv.field_size_limit(limit)


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


def _read_calamine(path: Path) -> list[tuple[Sheet, bool]]:
    """Every worksheet through calamine, with merged ranges filled: ``(sheet, hidden)``."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise _unreadable(exc) from None
    sheets = []
    try:
        for meta in wb.sheets_metadata:
            if str(meta.typ).rsplit(".", 1)[-1] != "WorkSheet":
                continue  # chart, dialog and macro sheets hold no cells
            ws = wb.get_sheet_by_name(meta.name)
            rows = [list(r) for r in ws.to_python(skip_empty_area=False)]
            merged = ws.merged_cell_ranges or []
            _fill_merged(rows, [(a[0], a[1], b[0], b[1]) for a, b in merged])
            hidden = str(meta.visible).rsplit(".", 1)[-1] != "Visible"
            sheets.append((Sheet(meta.name, rows), hidden))
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        wb.close()
    return sheets


def _read_openpyxl(path: Path) -> list[tuple[Sheet, bool]]:
    """xlsx through openpyxl's read-only mode (no merged ranges there: they are not filled)."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise _unreadable(exc) from None
    sheets = []
    try:
        for ws in wb.worksheets:
            rows = [list(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]
            sheets.append((Sheet(ws.title, rows), ws.sheet_state != "visible"))
    except Exception as exc:
        raise _unreadable(exc) from None
    finally:
        wb.close()
    return sheets


# --- formula and error cells of an xlsx ---------------------------------------------------------

_HAS_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]|\bt=[\"']e[\"']")
_REF = re.compile(r"([A-Z]+)(\d+)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> the zip member holding its XML (through the workbook's relationships)."""
    book = ElementTree.fromstring(z.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    parts = {}
    for el in book.iter():
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
        if _local(el.tag) == "sheet" and rid in targets:
            target = targets[rid]
            member = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            parts[str(el.get("name"))] = posixpath.normpath(member)
    return parts


def _mark_formulas(path: Path, sheets: list[tuple[Sheet, bool]]) -> None:
    """Put :class:`Unreadable` markers where a formula has no stored result or a cell holds an
    error (module docstring). A workbook whose XML cannot be parsed here is left as read."""
    try:
        with zipfile.ZipFile(path) as z:
            parts = _sheet_parts(z)
            for sheet, _ in sheets:
                member = parts.get(str(sheet.name))
                if member is None or member not in z.namelist():
                    continue
                data = z.read(member)
                if _HAS_FORMULA.search(data):
                    for (r, c), mark in _unreadable_cells(data).items():
                        _put(sheet.rows, r, c, mark)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError):
        return


def _unreadable_cells(data: bytes) -> dict[tuple[int, int], Unreadable]:
    """(row, column), 0-based -> marker, for the formula and error cells of one sheet's XML."""
    found: dict[tuple[int, int], Unreadable] = {}
    row, col = -1, -1
    for event, el in ElementTree.iterparse(io.BytesIO(data), events=("start", "end")):
        tag = _local(el.tag)
        if event == "start":
            if tag == "row":
                row = int(el.get("r", row + 2)) - 1
                col = -1
            elif tag == "c":
                m = _REF.fullmatch(el.get("r") or "")
                col = _column_index(m.group(1)) if m else col + 1
                row = int(m.group(2)) - 1 if m else row
            continue
        if tag != "c":
            continue
        kind = el.get("t", "n")
        children = {_local(ch.tag): ch for ch in el}
        cached = children.get("v")
        text = cached.text if cached is not None and cached.text else ""
        if kind == "e":
            found[(row, col)] = Unreadable("cell_error", text or "#ERROR")
        elif "f" in children and not text and kind not in ("str", "inlineStr"):
            found[(row, col)] = Unreadable("formula_no_value")
        el.clear()
    return found


def _column_index(letters: str) -> int:
    k = 0
    for ch in letters:
        k = k * 26 + ord(ch) - 64
    return k - 1


def _put(rows: list[list[Any]], r: int, c: int, mark: Unreadable) -> None:
    if r < 0 or c < 0:
        return
    while len(rows) <= r:
        rows.append([])
    if len(rows[r]) <= c:
        rows[r].extend([None] * (c + 1 - len(rows[r])))
    rows[r][c] = mark


def _unreadable(exc: Exception) -> ReadFailure:
    kind = type(exc).__name__
    code = "ingest.workbook_password" if "Password" in kind else "ingest.workbook_damaged"
    return ReadFailure("file_unreadable", msg(code, kind=kind))
