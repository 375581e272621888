"""Hand-built files for the robustness tests (tests/ingest/test_robust.py).

Every file here is written with openpyxl, the csv module or zipfile — never with the kit's own
export or template — so that the tests see what other programs write. Identifiers are the
synthetic ones of :mod:`tests.ingest.files` (province 99); names are obviously fake (测试甲);
phone-like values are built when the tests run, so this file holds none.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference

from tests.ingest.files import HEADER, survey_rows

#: Column letter of each header of :data:`tests.ingest.files.HEADER` (A = 序号).
LETTER = {h: chr(65 + j) for j, h in enumerate(HEADER)}
COL = {h: j for j, h in enumerate(HEADER)}
BUREAU_SCHOOLS = ["学校", "学年", "乡镇", "学段", "教师数"]
BUREAU_DESTINATIONS = ["务工地代码", "务工地名称", "范围", "居住证入学政策实施年份"]


def survey(n: int, *, start: int = 0, **columns: list[Any]) -> list[list[Any]]:
    """``n`` rows under HEADER; ``columns`` replace a column's values (by header) row by row."""
    rows = survey_rows(n, start=start)
    for header, values in columns.items():
        for r, v in zip(rows, values, strict=True):
            r[COL[header]] = v
    return rows


def without(header: list[str], rows: list[list[Any]], *drop: str) -> tuple[list, list]:
    """The header and rows without the columns ``drop``."""
    keep = [j for j, h in enumerate(header) if h not in drop]
    return [header[j] for j in keep], [[r[j] for j in keep] for r in rows]


def workbook(
    path: Path,
    sheets: dict[str, list[list[Any]]],
    *,
    states: dict[str, str] | None = None,
    merges: dict[str, list[str]] | None = None,
    chart: bool = False,
) -> Path:
    """A workbook with one sheet per entry of ``sheets`` (rows from A1), sheet states
    (``hidden``, ``veryHidden``), merged ranges (``"A1:A2"``) and optionally a chart sheet."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        for ref in (merges or {}).get(name, []):
            ws.merge_cells(ref)
        ws.sheet_state = (states or {}).get(name, "visible")
    if chart:
        first = wb[next(iter(sheets))]
        bars = BarChart()
        bars.add_data(Reference(first, min_col=COL["谈心次数（次）"] + 1, min_row=1, max_row=4))
        wb.create_chartsheet("图表").add_chart(bars)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def patch_cells(path: Path, cells: dict[str, str], *, sheet: int = 1) -> Path:
    """Replace cells of worksheet ``sheet`` (1-based, openpyxl's order) by raw XML, to write
    what Excel writes and openpyxl cannot: a formula with its stored result, an error cell.

    ``cells`` maps a reference (``"L2"``) to the XML of the whole ``<c>`` element. The cell
    must exist (write any value there first).
    """
    member = f"xl/worksheets/sheet{sheet}.xml"
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    xml = parts[member].decode("utf-8")
    for ref, element in cells.items():
        pattern = re.compile(rf'<c r="{ref}"(?:[^>]*/>|[^>]*>.*?</c>)')
        xml, k = pattern.subn(element, xml, count=1)
        assert k == 1, f"no cell {ref} in {member}"
    parts[member] = xml.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def csv_file(
    path: Path,
    rows: list[list[Any]],
    *,
    header: list[str] | None = None,
    titles: tuple[str, ...] = (),
    encoding: str = "utf-8-sig",
    newline: str = "\r\n",
) -> Path:
    """A CSV file (BOM and CRLF by default), written with the csv module."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=newline)
    for t in titles:
        w.writerow([t])
    w.writerow(HEADER if header is None else header)
    w.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def accounts(result: Any) -> dict[str, tuple[int, int, int, int]]:
    """``file -> (read, accepted, quarantined, blank)``, asserting read = the other three."""
    files = result.files
    for f in files.itertuples(index=False):
        assert f.rows_read == f.rows_accepted + f.rows_quarantined + f.rows_blank, f.file
    return {
        f.file: (f.rows_read, f.rows_accepted, f.rows_quarantined, f.rows_blank)
        for f in files.itertuples(index=False)
    }


def found(
    result: Any, severity: str | None = None, *, but: tuple[str, ...] = ("school_no_record",)
) -> list[tuple[Any, ...]]:
    """Sorted ``(file, sheet, row, cell, column, reason)`` of the problems (of a severity), but
    those with a reason in ``but`` (by default the school's missing training record, which
    every survey gets when no bureau table is ingested with it)."""
    p = result.problems
    p = p[~p["reason"].isin(but)]
    if severity is not None:
        p = p[p["severity"] == severity]
    out = []
    for r in p.itertuples(index=False):
        row = None if pd.isna(r.row) else int(r.row)
        cell = r.cell if isinstance(r.cell, str) else None
        column = r.column if isinstance(r.column, str) else None
        sheet = r.sheet if isinstance(r.sheet, str) else None
        out.append((r.file, sheet, row, cell, column, r.reason))
    return sorted(out, key=lambda t: tuple("" if v is None else str(v) for v in t))
