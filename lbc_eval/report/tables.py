"""The brief's tables, read once from HTML and written as HTML (here) and as Word.

:func:`read_table` reads an HTML ``<table>`` (pandas' markup too) into a :class:`Table` of cell
texts (booleans as 是/否 or yes/no); :func:`table_html` writes it back as a table that scrolls
sideways on a phone, and :mod:`lbc_eval.report.word` writes it as a Word table, so both formats
of the brief show the same cells.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no"), "both": ("是 yes", "否 no")}
_NUMBER = re.compile(r"^[-+\u2212]?[\d,]*\.?\d+\s*%?(\s*\[[-+\u2212\d.,\s]+\])?$")


@dataclass
class Table:
    """A table as the reader sees it: caption, one header row, body rows of cell texts.

    ``row_header``: the first column names each row (a data frame's index).
    """

    head: list[str]
    rows: list[list[str]]
    caption: str = ""
    row_header: bool = False
    notes: list[str] = field(default_factory=list)

    @property
    def n_columns(self) -> int:
        return max([len(self.head), *(len(r) for r in self.rows)], default=0)

    def numeric(self, j: int) -> bool:
        """Column ``j`` holds numbers only (blanks aside): it is right-aligned, header too."""
        values = [r[j] for r in self.rows if j < len(r) and r[j].strip()]
        return bool(values) and all(is_number(v) for v in values)

    def turned(self) -> Table:
        """The table with rows and columns swapped (the first column heads the new columns)."""
        width = self.n_columns
        head = pad(self.head, width)
        rows = [pad(r, width) for r in self.rows]
        new_head = [head[0], *(r[0] for r in rows)]
        new_rows = [[head[j], *(r[j] for r in rows)] for j in range(1, width)]
        return Table(new_head, new_rows, self.caption, row_header=True, notes=self.notes)


def pad(cells: list[str], width: int) -> list[str]:
    """``cells`` with blanks after them up to ``width``."""
    return [*cells, *[""] * (width - len(cells))]


def is_number(text: str) -> bool:
    """A cell that reads as a number (or a number with its interval): right-aligned."""
    return bool(_NUMBER.match(text.strip()))


def read_table(table: Any, lang: str = "zh") -> Table:
    """A :class:`Table` from an HTML ``<table>`` element (lxml).

    Reads pandas' markup too: the index-name row under the column names is folded into the
    header, spanned header cells repeated, stacked header rows joined with `` / ``. Cells
    ``True``/``False`` read 是/否 (yes/no in English).
    """
    yes, no = _YES_NO.get(lang, _YES_NO["zh"])

    def cells(tr: Any) -> list[tuple[str, str]]:
        out = []
        for c in tr:
            if not isinstance(c.tag, str) or c.tag not in ("th", "td"):
                continue
            text = " ".join(c.text_content().split())
            text = {"True": yes, "False": no}.get(text, text)
            out.extend([(c.tag, text)] * max(1, int(c.get("colspan", "1") or 1)))
        return out

    trs = [(tr.getparent().tag == "thead", cells(tr)) for tr in table.iter("tr")]
    head_rows = [r for in_head, r in trs if in_head]
    body_rows = [r for in_head, r in trs if not in_head]
    if not head_rows and body_rows and all(tag == "th" for tag, _ in body_rows[0]):
        head_rows, body_rows = [body_rows[0]], body_rows[1:]
    head: list[str] = []
    if head_rows:
        last = [t for _, t in head_rows[-1]]
        if len(head_rows) > 1 and last[0] and not any(last[1:]):
            head_rows = head_rows[:-1]  # pandas: the index's name, alone under the columns
        else:
            last = []
        width = max(len(r) for r in head_rows)
        for j in range(width):
            parts: list[str] = []
            for r in head_rows:
                text = r[j][1] if j < len(r) else ""
                if text and text not in parts:
                    parts.append(text)
            head.append(" / ".join(parts))
        if last and head:
            head[0] = last[0]
    caption = table.find("caption")
    rows = [[t for _, t in r] for r in body_rows if r]
    # a row header: pandas' index (<th> cells), or a first column of names (措施, 学校代码 ...)
    named = len(head) > 1 and bool(rows) and all(r[0] and not is_number(r[0]) for r in rows)
    return Table(
        head=head,
        rows=rows,
        caption="" if caption is None else " ".join(caption.text_content().split()),
        row_header=named or any(r and r[0][0] == "th" for r in body_rows),
    )


def table_html(table: Any) -> str:
    """A :class:`Table` as HTML: in a wrapper that scrolls sideways
    (``overflow-x: auto``) on a narrow screen, with cells that keep a readable width, numbers
    right-aligned and the row names' column fixed while scrolling."""
    esc = html.escape
    label = f' aria-label="{esc(table.caption)}"' if table.caption else ""
    rows = [f'<div class="table-wrap" role="region" tabindex="0"{label}><table>']
    if table.caption:
        rows.append(f"<caption>{esc(table.caption)}</caption>")
    if table.head:
        heads = []
        for j, h in enumerate(table.head):
            kinds = ["lead"] if j == 0 and table.row_header else []
            kinds += ["num"] if table.numeric(j) else []
            cls = f' class="{" ".join(kinds)}"' if kinds else ""
            heads.append(f'<th scope="col"{cls}>{esc(h)}</th>')
        rows.append(f"<thead><tr>{''.join(heads)}</tr></thead>")
    rows.append("<tbody>")
    for r in table.rows:
        cells = []
        for j, value in enumerate(r):
            if j == 0 and table.row_header:
                cells.append(f'<th scope="row" class="lead">{esc(value)}</th>')
                continue
            kind = "num" if is_number(value) else "long" if len(value) > 24 else ""
            cls = f' class="{kind}"' if kind else ""
            cells.append(f"<td{cls}>{esc(value)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    rows.append("</tbody></table></div>")
    return "".join(rows)
