"""The header row under the title rows, and what kind of table a sheet holds.

:func:`find_tables` looks in the first :data:`HEADER_SEARCH_ROWS` rows of a sheet for the row
(or pair of rows, for a two-row header without merged cells) whose cells name the most codebook
columns, at least two, through the codebook's aliases (:func:`match_header`, which tolerates
white space, full-width forms and a unit in brackets). The kind of table — a survey of children
(``panel`` and ``form`` headers), the training records (``schools``) or the destinations — is
the one whose headers match best. Below the header, rows are data rows, blank rows, footer rows
(totals, signatures, notes: a keyword such as 合计 or 填表人 and no identifier) or repeated
header rows (page breaks); formatted empty rows after the last value are not rows at all.

A sheet laid out as the national registration form 《农村留守儿童基本情况登记表》 — label
cells with the answers beside them, one child per sheet or per block — has no header row;
:func:`lbc_eval.ingest.form.tables_in` reads it with :func:`~lbc_eval.ingest.form.read_form`
before :func:`find_tables` is asked, which gives a survey
table with one data row per child (``layout="form"``, no header rows, no column positions).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from lbc_eval.data import codebook
from lbc_eval.ingest.read import Sheet
from lbc_eval.ingest.values import cell_text, is_blank, label_key

Kind = Literal["survey", "schools", "destinations"]
#: How many rows from the top of a sheet are searched for the header.
HEADER_SEARCH_ROWS = 30
#: The codebook tables whose headers identify each kind of table.
KIND_TABLES: dict[Kind, tuple[codebook.Table, ...]] = {
    "survey": ("panel", "form"),
    "schools": ("schools",),
    "destinations": ("destinations",),
}
#: Headers that are known but carry nothing to ingest (row numbers, remarks).
IGNORED_HEADERS: frozenset[str] = frozenset({"序号", "编号", "no", "no.", "#", "备注"})
#: Form fields read from the survey besides the panel's columns; the other identifying
#: fields (names, phones, addresses) are never taken out of the sheet.
KEPT_FORM_FIELDS: tuple[str, ...] = ("resident_id", "birth_date")
_FOOTER_WORDS = tuple(
    "合计 总计 小计 填表人 填报人 审核人 制表人 负责人 签字 签名 盖章 校长 注： 注: 说明".split()
)


@dataclass
class Table:
    """A table found in a sheet: where its header is, what its columns are, and its rows.

    Attributes
    ----------
    kind : {"survey", "schools", "destinations"}
    header_rows : tuple of int
        File rows (1-based) of the header (two for a two-row header).
    columns : dict
        Canonical name -> 0-based column position, for the columns ingest reads.
    headers : dict
        Canonical name -> the header as written.
    unknown : list of (cell, header)
        Headers the codebook does not know (their cells are not read).
    duplicates : list of (cell, header, name)
        Further columns for a name already taken by an earlier column (not read).
    titles : list of str
        Text of the title rows above the header (used to find the school and term).
    data, blank, footer, repeated : list
        ``(file row, cells)`` of data rows; numbers of blank rows, of footer rows (totals,
        signatures, notes) and of repeated header rows.
    layout : {"table", "form"}
        ``"form"`` for the registration form's key–value layout (:mod:`lbc_eval.ingest.form`):
        a data row is one child's block (its file row the block's first row), ``columns``
        positions are None (an answer's cells differ from child to child) and ``headers`` are
        the form's labels.
    """

    kind: Kind
    sheet: str | None
    header_rows: tuple[int, ...]
    columns: dict[str, int | None]
    headers: dict[str, str]
    unknown: list[tuple[str, str]]
    duplicates: list[tuple[str, str, str]]
    titles: list[str]
    data: list[tuple[int, list[Any]]]
    blank: list[int]
    footer: list[int]
    repeated: list[int]
    layout: Literal["table", "form"] = "table"


# --- finding the header -----------------------------------------------------------------------


@functools.cache
def _header_index(kind: Kind) -> dict[str, str]:
    """Normalised header -> column, as :func:`lbc_eval.data.codebook.match_header` matches it."""
    index: dict[str, str] = {}
    for table in KIND_TABLES[kind]:
        for c in codebook.columns(table):
            for a in (c.name, c.label_zh, *c.aliases):
                index.setdefault(codebook.normalise_header(a), c.name)
    return index


@functools.lru_cache(maxsize=65536)
def _normalised(text: str) -> str:
    return codebook.normalise_header(text)


def match_header(text: str, kind: Kind) -> str | None:
    """The codebook column a header cell names for a kind of table."""
    return _header_index(kind).get(_normalised(text))


def _row_matches(row: list[Any]) -> dict[Kind, dict[int, str]]:
    out: dict[Kind, dict[int, str]] = {kind: {} for kind in KIND_TABLES}
    for j, cell in enumerate(row):
        if isinstance(cell, str) and 0 < len(cell) < 40:
            key = _normalised(cell)
            for kind in KIND_TABLES:
                hit = _header_index(kind).get(key)
                if hit is not None:
                    out[kind][j] = hit
    return out


def find_tables(sheet: Sheet) -> list[Table]:
    """The table in a sheet (a list of one), or an empty list when no header is found.

    Rows are searched from the top; the search stops :data:`HEADER_SEARCH_ROWS` rows down, or
    five rows below the first row that names two codebook columns. (A sheet with the
    registration form's layout is read by :func:`lbc_eval.ingest.form.tables_in` before this
    is asked: its label rows would pass for a header.)
    """
    rows = sheet.rows
    best: tuple[int, int, Kind, tuple[int, ...], dict[int, str]] | None = None
    per_row: list[dict[Kind, dict[int, str]]] = []
    first: int | None = None
    for i in range(min(len(rows), HEADER_SEARCH_ROWS)):
        if first is not None and i > first + 5:
            break
        per_row.append(_row_matches(rows[i]))
        if first is None and any(len(set(m.values())) >= 2 for m in per_row[-1].values()):
            first = i
    for h in range(len(per_row)):
        for kind in KIND_TABLES:
            m = per_row[h][kind]
            blocks: list[tuple[tuple[int, ...], dict[int, str]]] = [((h,), m)]
            below = per_row[h + 1][kind] if h + 1 < len(per_row) else {}
            if len(set(below.values()) - set(m.values())) >= 2:  # a two-row header
                blocks.append(((h, h + 1), {**m, **below}))
            for block, cols in blocks:
                score = len(set(cols.values()))
                if len(block) == 2 and score < len(set(m.values())) + 2:
                    continue
                if score >= 2 and (best is None or (score, -len(block)) > (best[0], -len(best[3]))):
                    best = (score, h, kind, block, cols)
    if best is None:
        return []
    _, _, kind, block, cols = best
    return [_table(sheet, kind, block, cols)]


def _table(sheet: Sheet, kind: Kind, block: tuple[int, ...], cols: dict[int, str]) -> Table:
    rows = sheet.rows
    keep = set(codebook.names("panel" if kind == "survey" else kind))
    if kind == "survey":
        keep |= set(KEPT_FORM_FIELDS)
    identifying = {c.name for c in codebook.columns("form")}
    columns: dict[str, int] = {}
    headers: dict[str, str] = {}
    duplicates: list[tuple[str, str, str]] = []
    header_cells = [
        rows[block[-1]][j] if j < len(rows[block[-1]]) else None
        for j in range(max((len(rows[b]) for b in block), default=0))
    ]
    last = _row_matches(rows[block[-1]])[kind]
    for j in sorted(cols):
        name = cols[j]
        written = str(rows[block[-1] if j in last else block[0]][j])
        if name in columns:
            if name not in identifying:
                duplicates.append((cell_ref(block[-1] + 1, j), written.strip(), name))
            continue
        if name in keep or name in identifying:
            columns[name] = j
            headers[name] = written.strip()
    unknown = []
    for j, cell in enumerate(header_cells):
        if j in cols or is_blank(cell):
            continue
        above = [rows[b][j] for b in block[:-1] if j < len(rows[b])]
        text, _ = cell_text(cell)
        if label_key(text) in IGNORED_HEADERS or any(
            label_key(cell_text(a)[0]) in IGNORED_HEADERS for a in above
        ):
            continue
        unknown.append((cell_ref(block[-1] + 1, j), text))
    titles = [" ".join(cell_text(c)[0] for c in r if not is_blank(c)) for r in rows[: block[0]]]
    read = {k: v for k, v in columns.items() if k not in identifying or k in KEPT_FORM_FIELDS}
    ids = [
        columns[k]
        for k in ("student_id", "resident_id", "school_id", "year", "destination_id")
        if k in columns
    ]
    header_keys = {
        j: label_key(cell_text(header_cells[j])[0])
        for j in read.values()
        if j < len(header_cells) and not is_blank(header_cells[j])
    }
    data, blank, footer, repeated = [], [], [], []
    for i in range(block[-1] + 1, used_rows(rows)):
        row = rows[i]
        if all(is_blank(c) for c in row):
            blank.append(i + 1)
        elif _is_repeated_header(row, header_keys):
            repeated.append(i + 1)
        elif _is_footer(row, ids):
            footer.append(i + 1)
        else:
            data.append((i + 1, [row[j] if j < len(row) else None for j in read.values()]))
    return Table(
        kind=kind,
        sheet=sheet.name,
        header_rows=tuple(b + 1 for b in block),
        columns={k: v for k, v in read.items()},
        headers={k: headers[k] for k in read},
        unknown=unknown,
        duplicates=duplicates,
        titles=[t for t in titles if t],
        data=data,
        blank=blank,
        footer=footer,
        repeated=repeated,
    )


def _is_repeated_header(row: list[Any], header_keys: dict[int, str]) -> bool:
    if not header_keys:
        return False
    j, key = next(iter(header_keys.items()))  # cheap test first: most rows fail it
    if j >= len(row) or not isinstance(row[j], str) or label_key(row[j]) != key:
        return False
    same = sum(
        1
        for j, key in header_keys.items()
        if j < len(row) and label_key(cell_text(row[j])[0]) == key
    )
    return bool(header_keys) and same * 2 >= len(header_keys)


def _is_footer(row: list[Any], id_columns: list[int]) -> bool:
    if any(j < len(row) and not is_blank(row[j]) for j in id_columns):
        return False
    texts = [cell_text(c)[0] for c in row if isinstance(c, str) and c.strip()]
    return any(w in t for t in texts for w in _FOOTER_WORDS)


def used_rows(rows: list[list[Any]]) -> int:
    """Number of rows up to the last one with a value (formatted empty rows below it are not
    rows anyone wrote, and are not counted)."""
    for i in range(len(rows) - 1, -1, -1):
        if not all(is_blank(c) for c in rows[i]):
            return i + 1
    return 0


def cell_ref(row: int, col: int) -> str:
    """Excel's name of a cell: ``cell_ref(3, 0) == "A3"`` (row 1-based, column 0-based)."""
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"
