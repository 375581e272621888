"""Readers for the output scanner: each yields ``(location, text)`` pieces of one file.

Notebooks give their cells' sources and text outputs, HTML and text files their lines
(embedded base64 images removed), workbooks their sheet names and cells (``sheet!B2``;
whole-number floats as integers, so a phone number stored as a number is seen), Parquet files
the distinct values of their text and large-integer columns, Word documents (``.docx``) the
text of each paragraph and table cell, headers and footers included. An image inside a notebook or a
page, which cannot be read here, gives ``(location, None)`` so that the scan lists it as
skipped.
"""

from __future__ import annotations

import html
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEXT_SUFFIXES = frozenset(
    ".csv .tsv .txt .md .rst .json .py .html .htm .log .yaml .yml .toml .cfg .ini .tex .xml "
    ".r .sql .svg".split()
)
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})
IMAGE_SUFFIXES = frozenset(
    ".png .jpg .jpeg .gif .bmp .tif .tiff .webp .heic .heif .ico .pdf".split()
)
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]+")


def _read_text(path: Path) -> str:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def text_chunks(path: Path) -> Iterator[tuple[str, str | None]]:
    text = _read_text(path)
    if path.suffix.lower() in (".html", ".htm", ".xml", ".svg"):
        for m in _DATA_URI.finditer(text):
            yield f"line {text.count(chr(10), 0, m.start()) + 1} embedded image", None
        text = html.unescape(_DATA_URI.sub(" ", text))
    for n, line in enumerate(text.splitlines(), start=1):
        yield f"line {n}", line


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def notebook_chunks(path: Path) -> Iterator[tuple[str, str | None]]:
    nb = json.loads(_read_text(path))
    for i, cell in enumerate(nb.get("cells", []), start=1):
        yield f"cell {i} source", _joined(cell.get("source", ""))
        for j, out in enumerate(cell.get("outputs", []) or [], start=1):
            where = f"cell {i} output {j}"
            if "text" in out:
                yield where, _joined(out["text"])
            for mime, data in (out.get("data") or {}).items():
                if mime.startswith("image/") and mime != "image/svg+xml":
                    yield f"{where} {mime}", None  # pixels cannot be read here: listed
                    continue
                text = data if isinstance(data, str) else _joined(data)
                if not isinstance(data, (str, list)):
                    text = json.dumps(data, ensure_ascii=False)
                yield f"{where} {mime}", html.unescape(_DATA_URI.sub(" ", text))
            if "evalue" in out:
                yield f"{where} error", str(out.get("evalue", ""))
                yield f"{where} traceback", "\n".join(out.get("traceback", []) or [])


def _cell_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e19 else None
    return str(value)


def excel_chunks(path: Path) -> Iterator[tuple[str, str]]:
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    for i, sheet in enumerate(book.sheet_names, start=1):
        yield f"sheet {i} name", sheet
        rows = book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                text = _cell_text(value)
                if text:
                    yield f"{sheet}!{_column_letter(c)}{r}", text


def _column_letter(n: int) -> str:
    out = ""
    while n:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def parquet_chunks(path: Path) -> Iterator[tuple[str, str]]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    for name in table.column_names:
        col = table[name]
        kind = col.type
        if pa.types.is_dictionary(kind):
            col, kind = col.cast(kind.value_type), kind.value_type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            values = pc.unique(col).to_pylist()
        elif pa.types.is_integer(kind):
            values = [v for v in pc.unique(col).to_pylist() if v is not None and abs(v) >= 10**6]
        elif pa.types.is_floating(kind):
            values = [
                v
                for v in pc.unique(col).to_pylist()
                if v is not None and v == v and abs(v) >= 10**6 and float(v).is_integer()
            ]
        else:
            continue
        for v in values:
            text = _cell_text(v)
            if text:
                yield f"column {name}", text


_WORD_PART = re.compile(r"word/(document|header\d*|footer\d*|footnotes|comments)\.xml")
_WORD_PARAGRAPH = re.compile(r"<w:p[ >].*?</w:p>", re.S)
_WORD_TEXT = re.compile(r"<w:t(?: [^>]*)?>([^<]*)</w:t>")


def word_chunks(path: Path) -> Iterator[tuple[str, str | None]]:
    """The text of a Word document, one paragraph (or table cell) at a time, from its XML parts;
    embedded pictures are listed as skipped."""
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("word/media/"):
                yield f"{name} (embedded image)", None
            elif _WORD_PART.fullmatch(name):
                xml = z.read(name).decode("utf-8", errors="replace")
                for n, para in enumerate(_WORD_PARAGRAPH.findall(xml), start=1):
                    text = html.unescape("".join(_WORD_TEXT.findall(para)))
                    if text.strip():
                        yield f"{name} paragraph {n}", text
