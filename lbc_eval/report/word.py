"""The evidence brief as a Word document (``.docx``), from the same HTML as the web page.

Bureaus edit and forward Word files, so the brief is written both ways from one source:
:func:`write_docx` turns the body of the HTML brief (:func:`lbc_eval.report.pages.page` —
headings, paragraphs, lists, tables, figures as embedded PNG, the synthetic-data banner) into a
document with

- the banner (when the data are synthetic) as the first paragraph, shaded and framed;
- headings as Word headings (the navigation pane lists the sections), paragraphs and bullets
  with their bold and italics;
- tables as Word tables with a header row that repeats on each page; a table wider than
  :data:`WIDE_TABLE` columns is turned (its rows become columns) so it fits an A4 page;
- figures as pictures at the text width, never below :data:`MIN_DPI` dots per inch (a smaller
  image is set narrower rather than stretched);
- East Asian text in :data:`EAST_ASIA_FONT` (``w:eastAsia``), which Word on Chinese Windows
  has; Latin text in the theme's font.

The HTML tables are read by :func:`lbc_eval.report.tables.read_table`, which the HTML page uses
too, so both formats show the same cells (booleans as 是/否 or yes/no).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lbc_eval.report.tables import Table, is_number, pad, read_table

#: Font of East Asian text (``w:eastAsia``): on every Chinese Windows since Vista.
EAST_ASIA_FONT = "Microsoft YaHei"
#: Font of Latin text and digits.
LATIN_FONT = "Calibri"
#: Pictures are never set wider than their pixels allow at this resolution.
MIN_DPI = 200
#: Tables with more columns than this (and more columns than rows) are turned in Word.
WIDE_TABLE = 7

_PAGE_WIDTH_CM, _PAGE_HEIGHT_CM, _MARGIN_CM = 21.0, 29.7, 2.0
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"


def write_docx(body_html: str, target: str | Path, *, title: str, lang: str = "zh") -> Path:
    """Write the brief's body (HTML) as a Word document at ``target``; returns its path.

    ``title`` goes into the document's properties (the first heading is in the body already).
    """
    import lxml.html
    from docx import Document
    from docx.shared import Cm

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(_PAGE_WIDTH_CM), Cm(_PAGE_HEIGHT_CM)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(_MARGIN_CM))
    _styles(doc, lang)
    props = doc.core_properties
    props.title = title
    props.language = "en-US" if lang == "en" else "zh-CN"
    props.author = props.last_modified_by = "lbc_eval"
    props.comments = ""
    root = lxml.html.fragment_fromstring(body_html, create_parent="div")
    _Writer(doc, lang, (_PAGE_WIDTH_CM - 2 * _MARGIN_CM) / 2.54).blocks(root)
    target = Path(target)
    doc.save(str(target))
    return target


def _styles(doc: Any, lang: str) -> None:
    """East Asian font and language in the defaults and every style that names a theme font."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    styles = doc.styles.element
    for fonts in styles.iter(qn("w:rFonts")):
        for attr in ("w:eastAsiaTheme",):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:eastAsia"), EAST_ASIA_FONT)
    for tag in styles.iter(qn("w:lang")):
        tag.set(qn("w:val"), "en-US" if lang == "en" else "zh-CN")
        tag.set(qn("w:eastAsia"), "zh-CN")
    defaults = styles.find(qn("w:docDefaults"))
    fonts = None if defaults is None else defaults.find(f".//{qn('w:rFonts')}")
    if fonts is not None:  # Latin text in a font every Word has, not the theme's
        for attr in ("w:asciiTheme", "w:hAnsiTheme"):
            fonts.attrib.pop(qn(attr), None)
        fonts.set(qn("w:ascii"), LATIN_FONT)
        fonts.set(qn("w:hAnsi"), LATIN_FONT)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), EAST_ASIA_FONT)
    normal.paragraph_format.space_after = Pt(6)


@dataclass
class _Format:
    bold: bool = False
    italic: bool = False
    mono: bool = False

    def but(self, **kw: bool) -> _Format:
        return _Format(**{**self.__dict__, **kw})


class _Writer:
    """Walks the HTML body and adds each block to the document."""

    def __init__(self, doc: Any, lang: str, text_width_in: float) -> None:
        self.doc, self.lang, self.width = doc, lang, text_width_in

    # blocks

    def blocks(self, el: Any) -> None:
        if el.text and el.text.strip():
            self.paragraph([(el.text, _Format())])
        for child in el:
            self.block(child)
            if child.tail and child.tail.strip():
                self.paragraph([(child.tail, _Format())])

    def block(self, el: Any) -> None:
        if not isinstance(el.tag, str):
            return  # a comment
        tag, classes = el.tag.lower(), set((el.get("class") or "").split())
        if "banner" in classes:
            self.banner(el)
        elif re.fullmatch(r"h[1-6]", tag):
            text = _clean(el.text_content())
            if text:
                self.doc.add_heading(text, level=min(int(tag[1]), 4))
        elif tag == "p" or tag == "figcaption":
            for img in el.iter("img"):
                self.picture(img)
            segments = self.segments(el)
            if "".join(t for t, _ in segments).strip():
                style = "Caption" if tag == "figcaption" else None
                p = self.paragraph(segments, style=style)
                if "note" in classes and p is not None:
                    _small(p, grey=True)
        elif tag in ("ul", "ol"):
            self.listing(el, numbered=tag == "ol", depth=1)
        elif tag == "table":
            self.table(read_table(el, self.lang))
        elif tag == "img":
            self.picture(el)
        elif tag == "pre":
            self.pre(el.text_content())
        elif tag in ("style", "script", "hr", "head", "title", "meta"):
            return
        else:  # div, figure, section, blockquote ...
            self.blocks(el)

    def banner(self, el: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Pt, RGBColor

        strong = el.find(".//strong")
        head = _clean(strong.text_content()) if strong is not None else ""
        rest = _clean(el.text_content())
        rest = rest[len(head) :].strip() if head and rest.startswith(head) else rest
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT
        if head:
            run = p.add_run(head)
            run.bold = True
            run.font.size = Pt(15)
            run.font.color.rgb = RGBColor(0x7A, 0x4A, 0x00)
        if rest:
            if head:
                p.add_run().add_break()
            p.add_run(rest).font.size = Pt(10.5)
        _shade_paragraph(p, fill="FFF3CD", border="E69F00")
        p.paragraph_format.space_after = Pt(12)

    def listing(self, el: Any, *, numbered: bool, depth: int) -> None:
        base = "List Number" if numbered else "List Bullet"
        style = base if depth == 1 else f"{base} {min(depth, 3)}"
        for li in el:
            if not isinstance(li.tag, str) or li.tag != "li":
                continue
            self.paragraph(self.segments(li, skip=("ul", "ol")), style=style)
            for sub in li:
                if isinstance(sub.tag, str) and sub.tag in ("ul", "ol"):
                    self.listing(sub, numbered=sub.tag == "ol", depth=depth + 1)

    def table(self, table: Table) -> None:
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.shared import Inches, Pt

        if table.n_columns > WIDE_TABLE and len(table.rows) < table.n_columns:
            table = table.turned()
        width = table.n_columns
        if width == 0:
            return
        if table.caption:
            self.doc.add_paragraph(table.caption, style="Caption")
        rows = ([pad(table.head, width)] if table.head else []) + [
            pad(r, width) for r in table.rows
        ]
        grid = self.doc.add_table(rows=len(rows), cols=width)
        grid.style = self.doc.styles["Table Grid"]
        grid.alignment = WD_TABLE_ALIGNMENT.CENTER
        for j, inches in enumerate(_column_widths(rows, self.width)):
            grid.columns[j].width = Inches(inches)
            for cell in grid.columns[j].cells:
                cell.width = Inches(inches)
        size = Pt(9 if width <= 6 else 8)
        numeric = [table.numeric(j) for j in range(width)]
        for i, values in enumerate(rows):
            header = bool(table.head) and i == 0
            row = grid.rows[i]
            if header:
                _repeat_header(row)
            for j, value in enumerate(values):
                cell = row.cells[j]
                p = cell.paragraphs[0]
                run = p.add_run(value)
                run.font.size = size
                if header or (j == 0 and table.row_header):
                    run.bold = True
                    _shade_cell(cell, "F2F2F2" if header else "FAFAFA")
                if (header and numeric[j]) or (not header and is_number(value)):
                    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        self.doc.add_paragraph()  # space after the table

    def picture(self, img: Any) -> None:
        from docx.enum.text import WD_ALIGN_PARAGRAPH
        from docx.oxml.ns import qn
        from docx.shared import Inches
        from PIL import Image

        src = img.get("src") or ""
        match = re.match(r"data:image/(png|jpeg);base64,(.*)", src, re.S)
        if not match:
            return
        data = base64.b64decode(match.group(2))
        with Image.open(io.BytesIO(data)) as im:
            pixels = im.size[0]
        width = min(self.width, pixels / MIN_DPI)
        p = self.doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run()
        run.add_picture(io.BytesIO(data), width=Inches(width))
        alt = img.get("alt") or ""
        for pr in run._r.iter(qn("wp:docPr")):
            pr.set("descr", alt)

    def pre(self, text: str) -> None:
        from docx.shared import Pt

        p = self.doc.add_paragraph()
        lines = text.rstrip("\n").split("\n")
        for i, line in enumerate(lines):
            run = p.add_run(line)
            run.font.name = "Consolas"
            run.font.size = Pt(8.5)
            if i < len(lines) - 1:
                run.add_break()

    # inline text

    def segments(
        self, el: Any, fmt: _Format | None = None, *, skip: Iterable[str] = ()
    ) -> list[tuple[str, _Format]]:
        fmt = fmt or _Format()
        out: list[tuple[str, _Format]] = []
        if el.text:
            out.append((el.text, fmt))
        for child in el:
            tag = child.tag.lower() if isinstance(child.tag, str) else ""
            if tag in skip or tag in ("img", "style", "script"):
                pass
            elif tag == "br":
                out.append(("\n", fmt))
            elif tag in ("strong", "b"):
                out += self.segments(child, fmt.but(bold=True))
            elif tag in ("em", "i"):
                out += self.segments(child, fmt.but(italic=True))
            elif tag == "code":
                out += self.segments(child, fmt.but(mono=True))
            elif tag:
                out += self.segments(child, fmt)
            if child.tail:
                out.append((child.tail, fmt))
        return out

    def paragraph(self, segments: list[tuple[str, _Format]], *, style: str | None = None) -> Any:
        parts = _normalise(segments)
        if not parts:
            return None
        p = self.doc.add_paragraph(style=style)
        for text, fmt in parts:
            pieces = text.split("\n")
            for k, piece in enumerate(pieces):
                run = p.add_run(piece)
                run.bold = fmt.bold or None
                run.italic = fmt.italic or None
                if fmt.mono:
                    run.font.name = "Consolas"
                if k < len(pieces) - 1:
                    run.add_break()
        return p


def _text_width(text: str) -> int:
    """Width of ``text`` in half-ems: a CJK character counts two."""
    return sum(2 if re.match(f"[{_CJK}]", ch) else 1 for ch in text)


def _column_widths(rows: list[list[str]], total: float) -> list[float]:
    """Column widths (inches) that share ``total`` by how much each column holds: the longest
    cell (a header counts half, since it may wrap), between 6 and 36 half-ems."""
    width = max(len(r) for r in rows)
    want = []
    for j in range(width):
        cells = [_text_width(r[j]) for r in rows[1:]] or [0]
        head = _text_width(rows[0][j]) / 2 if rows else 0
        want.append(min(36.0, max(6.0, head, *cells)))
    return [total * w / sum(want) for w in want]


def _clean(text: str) -> str:
    return _normalise([(text, _Format())])[0][0] if text.strip() else ""


def _normalise(segments: list[tuple[str, _Format]]) -> list[tuple[str, _Format]]:
    """HTML white space: runs of spaces and line ends as one space (none between two CJK
    characters, where a browser shows a source line end as nothing worth keeping in Word),
    trimmed at the paragraph's ends; explicit line breaks (``<br>``) kept."""
    out: list[tuple[str, _Format]] = []
    for text, fmt in segments:
        if text == "\n":
            out.append((text, fmt))
            continue
        text = re.sub(r"[ \t\r\n\f]+", " ", text)
        text = re.sub(rf"(?<=[{_CJK}]) (?=[{_CJK}])", "", text)
        if out and out[-1][1] == fmt and out[-1][0] != "\n":
            out[-1] = (out[-1][0] + text, fmt)
        else:
            out.append((text, fmt))
    while out and not out[0][0].strip(" "):
        out.pop(0)
    while out and not out[-1][0].strip(" "):
        out.pop()
    if out:
        out[0] = (out[0][0].lstrip(" "), out[0][1])
        out[-1] = (out[-1][0].rstrip(" "), out[-1][1])
    return [(t, f) for t, f in out if t]


def _small(p: Any, *, grey: bool = False) -> None:
    from docx.shared import Pt, RGBColor

    for run in p.runs:
        run.font.size = Pt(9)
        if grey:
            run.font.color.rgb = RGBColor(0x55, 0x55, 0x55)


# Elements that follow w:pBdr / w:shd in a paragraph's properties (ECMA-376 order).
_AFTER_SHD = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _shade_paragraph(p: Any, *, fill: str, border: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        b = OxmlElement(f"w:{side}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "24" if side == "left" else "12")
        b.set(qn("w:space"), "6")
        b.set(qn("w:color"), border)
        borders.append(b)
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    ppr.insert_element_before(shd, *_AFTER_SHD)
    ppr.insert_element_before(borders, "w:shd", *_AFTER_SHD)


def _shade_cell(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tcpr = cell._tc.get_or_add_tcPr()
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tcpr.insert_element_before(
        shd, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
        "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange",
    )  # fmt: skip


def _repeat_header(row: Any) -> None:
    """Mark a table row as the header that Word repeats at the top of each page."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
