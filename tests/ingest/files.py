"""Hand-made school files for the ingest tests: valid synthetic IDs, survey rows, writers."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl

from lbc_eval.data import ids

KEY = b"ingest tests key, not a secret!!"
HEADER = [
    "序号",
    "姓名",
    "学籍号",
    "身份证号",
    "性别",
    "出生日期",
    "年级",
    "班级",
    "留守类型",
    "监护人",
    "联系电话",
    "谈心次数（次）",
    "家访次数",
    "数学成绩",
    "出勤率",
    "学期",
]


def resident_ids(
    n: int, *, start: int = 0, year: int = 2014, male: bool | None = None
) -> list[str]:
    """``n`` valid synthetic resident IDs (province 99) born on distinct days of ``year``."""
    days = np.arange(start, start + n) % 360
    birth = year * 10000 + (days // 30 + 1) * 100 + days % 30 + 1
    sex = np.arange(start, start + n) % 2 == 0 if male is None else np.full(n, male)
    return list(ids.synthetic_resident_ids(np.full(n, 100), birth, sex))


def survey_rows(n: int, *, start: int = 0, term: str = "2024-2025学年第一学期") -> list[list[Any]]:
    """Rows under :data:`HEADER`: grade 4 children born in 2014 (age 10 in autumn 2024)."""
    rows = []
    for k, rid in enumerate(resident_ids(n, start=start)):
        sex = "男" if int(rid[16]) % 2 else "女"
        birth = f"{rid[6:10]}.{int(rid[10:12])}.{int(rid[12:14])}"
        rows.append(
            [
                k + 1,
                f"测试儿童{start + k:03d}",
                "G" + rid,
                rid,
                sex,
                birth,
                "四年级",
                "四(2)班",
                "父母均外出",
                "祖辈",
                f"1390000{start + k:04d}",
                k % 4,
                "无",
                round((k % 41 - 20) / 10, 1),
                "95.5%",
                term,
            ]
        )
    return rows


def write_xlsx(
    path: Path,
    rows: list[list[Any]],
    *,
    header: list[str] | None = None,
    titles: list[str] = (),
    sheet: str = "Sheet1",
    merge_title: bool = True,
    extra_sheets: dict[str, list[list[Any]]] | None = None,
) -> Path:
    """A workbook with title rows (the first merged), a header and rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    header = HEADER if header is None else header
    for t in titles:
        ws.append([t])
    if titles and merge_title:
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
    ws.append(header)
    for r in rows:
        ws.append(r)
    for name, extra in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for r in extra:
            other.append(r)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def csv_bytes(
    rows: list[list[Any]], *, header: list[str] | None = None, titles: list[str] = ()
) -> str:
    """CSV text with title rows, a header and rows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for t in titles:
        w.writerow([t])
    w.writerow(HEADER if header is None else header)
    w.writerows(rows)
    return buf.getvalue()
