"""The files of :mod:`lbc_eval.synth.export`: reproducible xlsx workbooks (fixed time stamps,
so the same rows give the same bytes), CSV files in a school's encoding and the bureau's
tables written with the codebook's labels.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from lbc_eval.data import codebook
from lbc_eval.synth.mess import PROBLEMS

FIXED_TIME = dt.datetime(2025, 1, 1)
YES, NO = "是", "否"


class FixedZip(zipfile.ZipFile):
    """A zip archive whose entries carry a fixed time stamp: same workbook, same bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kw: Any) -> None:
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, FIXED_TIME.timetuple()[:6])
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kw)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kw: Any) -> None:
        self.writestr(arcname or str(filename), Path(filename).read_bytes())


def _notes(wb: Workbook) -> None:
    ws = wb.create_sheet("说明")
    ws.append(["填表说明"])
    for i, c in enumerate(("lb_status", "guardian", "mentor_role", "exit_reason"), 1):
        labels = "、".join(codebook.level_labels(c).values())
        ws.append([f"{i}. {codebook.column(c).label_zh}：{labels}"])
    ws.append([f"5. 是否类项目填写“{YES}”或“{NO}”；次数为本学期累计次数。"])


def write_xlsx(path: Path, titles: list[str], header: list[str], rows: list[list[Any]],
                sheet: str, notes: int) -> list[str]:
    """Write one workbook with openpyxl (write-only, fixed times); return its sheet names."""
    wb = Workbook(write_only=True)
    if notes == 2:
        _notes(wb)
    ws = wb.create_sheet(sheet)
    if titles:
        ws.merged_cells.add(f"A1:{get_column_letter(len(header))}1")
    for row in ([t] for t in titles):
        ws.append(row)
    ws.append(header)
    for row in rows:
        ws.append(row)
    if notes == 1:
        _notes(wb)
    wb.properties.creator = wb.properties.lastModifiedBy = "lbc_eval"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    with FixedZip(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).write_data()  # not wb.save(), which stamps the current time
    return [w.title for w in wb.worksheets]


def write_csv(path: Path, titles: list[str], header: list[str], rows: list[list[Any]],
               encoding: str) -> None:
    """Write one CSV file in ``encoding`` (CRLF line ends, as Excel writes them)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerows([t] + [""] * (len(header) - 1) for t in titles)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))


def table_file(frame: pd.DataFrame, out: Path, name: str, sheet: str, kind: str,
                table: codebook.Table, titles: list[str], header: list[str]) -> dict[str, Any]:
    """Write a bureau table with codebook labels (blank = missing); return its manifest entry."""
    cols = []
    for c in codebook.columns(table):
        s = frame[c.name].astype(object)
        if c.kind == "category":
            s = s.map(codebook.level_labels(c.name, table))
        elif c.kind == "bool":
            s = s.map({True: YES, False: NO})
        cols.append(s.where(s.notna(), None).to_numpy(object))
    sheets = write_xlsx(out / name, titles, header, np.column_stack(cols).tolist(), sheet, 0)
    return {"file": name, "kind": kind, "school_id": None, "term": None, "format": "xlsx",
            "encoding": None, "sheet": sheets[0], "sheets": sheets, "title_rows": len(titles),
            "header_row": len(titles) + 1, "data_rows": len(frame), "children": None,
            "columns": [list(x) for x in zip(codebook.names(table), header, strict=True)],
            "styles": {}, "problems": {k: [] if k == "duplicate_rows" else {} for k in PROBLEMS}}
