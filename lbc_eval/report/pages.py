"""A notebook made ready to read: the HTML of the evidence brief and of each executed notebook.

:func:`page` reads an executed notebook into a :class:`Page` (title, body, language, whether the
data were synthetic): markdown rendered (a wrapped Chinese line joined without a space), outputs
kept (tables rebuilt by :func:`lbc_eval.report.tables.table_html`, figures as embedded PNG), code
only on request; cells tagged for the other language left out. :func:`page_html` wraps a page as
a self-contained web page (no scripts, no network; the CJK font embedded, subset to the
characters used); :func:`render_html` does both. On synthetic data (:func:`ran_on_synthetic`)
the body opens with the :data:`BANNER`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lbc_eval.data.resources import example_path
from lbc_eval.report import style
from lbc_eval.report.tables import read_table, table_html

_HIDDEN_TAGS = {"parameters", "injected-parameters", "no-brief"}

#: The banner of a brief on synthetic data: (headline, explanation) in each language.
BANNER = {
    "zh": (
        "合成数据（非真实记录）",
        "本简报的数字来自按已知真实效应模拟生成的合成队列，用于演示和检验分析方法；"
        "它们不描述任何真实的儿童或学校，不能作为工作依据。",
    ),
    "en": (
        "Synthetic data — not real records",
        "The numbers in this brief come from a simulated cohort with known true effects, made "
        "to demonstrate and check the methods; they describe no real child or school and are "
        "no basis for decisions.",
    ),
}

_CSS = """
body { font-family: 'LbcCJK', 'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif; max-width: 920px;
       margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.6; overflow-wrap: break-word; }
h1, h2, h3 { line-height: 1.3; }
h1 { font-size: 1.75em; }
.banner { background: #fff3cd; border: 2px solid #e69f00; border-left-width: 8px;
          border-radius: 4px; padding: 0.7em 1em; margin: 0 0 1.2em; }
.banner strong { display: block; font-size: 1.3em; color: #7a4a00; }
.table-wrap { overflow-x: auto; width: fit-content; max-width: 100%; margin: 0.8em 0;
              border: 1px solid #e4e4e4; }
.table-wrap:focus { outline: 2px solid #0072B2; }
table { border-collapse: collapse; font-size: 0.9em; }
caption { caption-side: top; text-align: left; font-weight: bold; padding: 0.4em 0.6em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left;
         vertical-align: top; min-width: 4.5em; }
thead th { background: #f4f4f4; vertical-align: bottom; min-width: 5.5em; }
tbody th { background: #fafafa; min-width: 7em; }
th.lead { position: sticky; left: 0; z-index: 1; box-shadow: 1px 0 0 #ddd; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th.num { text-align: right; }
td.long { min-width: 20em; }
figure { margin: 1em 0; }
img { max-width: 100%; height: auto; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
pre.code { border-left: 3px solid #0072B2; }
.note { color: #555; font-size: 0.9em; }
@media (max-width: 600px) {
  body { margin: 1em auto; padding: 0 0.8em; }
  h1 { font-size: 1.4em; }
  table { font-size: 0.85em; }
}
"""


#: A line end between two CJK characters (full-width punctuation included): a browser shows
#: it as a space, which Chinese text does not have.
_CJK_BREAK = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])\n[ \t]*"
    r"(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])"
)


@dataclass(frozen=True)
class Page:
    """A notebook made ready to read: its title, its body (HTML: the banner, then the cells)
    and whether it was run on synthetic data. :func:`page_html` wraps it as a web page,
    :func:`lbc_eval.report.word.write_docx` writes its body as a Word document."""

    title: str
    body: str
    lang: str
    synthetic: bool


def page(
    nb_path: str | Path,
    *,
    lang: str = "zh",
    include_code: bool = False,
    synthetic: bool | None = None,
) -> Page:
    """Read an executed notebook into a :class:`Page`.

    Markdown cells are rendered, outputs kept (tables rebuilt to scroll sideways on a phone,
    booleans as 是/否 or yes/no; figures as embedded PNG; text); code only with
    ``include_code``. Cells tagged for the other language are left out, and so are parameter
    cells when code is hidden. The title is the first top-level heading (the notebook's file
    name without one). ``synthetic`` None: found from the cohort the notebook ran on
    (:func:`ran_on_synthetic`); when synthetic, the body opens with the :data:`BANNER`.
    """
    import nbformat
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    nb = nbformat.read(str(nb_path), as_version=4)
    other = {"zh", "en"} - ({"zh", "en"} if lang == "both" else {lang})
    parts: list[str] = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if tags & other:
            continue
        if cell.cell_type == "markdown":
            source = _CJK_BREAK.sub("", cell.source)  # a wrapped Chinese line reads unbroken
            parts.append(_tables(_no_anchors(markdown2html_mistune(source)), lang))
            continue
        if cell.cell_type != "code" or (not include_code and tags & _HIDDEN_TAGS):
            continue
        if include_code and cell.source.strip():
            parts.append(f'<pre class="code">{html.escape(cell.source)}</pre>')
        for output in cell.get("outputs", []):
            parts.append(_output_html(output, lang))
    body = "\n".join(p for p in parts if p)
    if synthetic is None:
        synthetic = ran_on_synthetic(nb)
    if synthetic:
        body = _banner_html(lang) + "\n" + body
    return Page(_title(body) or Path(nb_path).stem, body, lang, bool(synthetic))


def page_html(p: Page) -> str:
    """A :class:`Page` as a self-contained web page (no scripts, no network; the CJK font
    embedded, subset to the text used)."""
    title = html.escape(p.title)
    font = _font_face(_visible_text(p.body) + p.title)
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if p.lang == "en" else "zh"}"><head>'
        f'<meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{font}{_CSS}</style></head>"
        f"<body>\n{p.body}\n</body></html>\n"
    )


def render_html(
    nb_path: str | Path,
    *,
    lang: str = "zh",
    include_code: bool = False,
    synthetic: bool | None = None,
) -> str:
    """A self-contained HTML page of an executed notebook (no scripts, no network).

    See :func:`page` for what it shows (and ``synthetic``) and :func:`page_html` for the page.
    """
    return page_html(page(nb_path, lang=lang, include_code=include_code, synthetic=synthetic))


def banner_text(lang: str = "zh") -> tuple[str, str]:
    """The synthetic-data banner's headline and explanation in ``lang`` (``both``: Chinese,
    then English)."""
    if lang == "both":
        (hz, tz), (he, te) = BANNER["zh"], BANNER["en"]
        return f"{hz} {he}", f"{tz} {te}"
    return BANNER["en" if lang == "en" else "zh"]


def _banner_html(lang: str) -> str:
    head, text = banner_text(lang)
    return (
        f'<div class="banner" role="note"><strong>{html.escape(head)}</strong>'
        f"{html.escape(text)}</div>"
    )


def ran_on_synthetic(nb: Any) -> bool:
    """Whether an executed notebook (a path or a notebook node) ran on a synthetic cohort.

    The cohort is the ``DATA`` parameter (papermill's injected one, else the notebook's own;
    None is the shipped synthetic cohort): synthetic when its ``cohort.json`` says so, or,
    without that flag, when it holds a ``truth.json`` (the kit writes both from the truth).
    When the folder is gone, the notebook's printed cohort (``<Cohort (synthetic) ...>``)
    decides; with neither, the data count as real (no banner).
    """
    import nbformat

    if isinstance(nb, str | Path):
        nb = nbformat.read(str(nb), as_version=4)
    data = _parameter(nb, "DATA")
    folder = Path(data) if data else example_path()
    meta_file = folder / "cohort.json"
    if meta_file.is_file():
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        flag = meta.get("synthetic") if isinstance(meta, dict) else None
        if isinstance(flag, bool):
            return flag
        return (folder / "truth.json").is_file()
    printed = "".join(
        "".join(o.get("text", "")) if o.get("output_type") == "stream" else ""
        for cell in nb.cells
        for o in cell.get("outputs", [])
    )
    return "<Cohort (synthetic)" in printed


def _parameter(nb: Any, name: str) -> Any:
    """A notebook parameter's value: papermill's injected cell first, then the cell tagged
    ``parameters``; None when neither sets it (or it is not a literal)."""
    import ast

    for tag in ("injected-parameters", "parameters"):
        for cell in nb.cells:
            if cell.cell_type != "code" or tag not in cell.metadata.get("tags", []):
                continue
            for line in cell.source.splitlines():
                if line.startswith(f"{name} = "):
                    value = line.split(" = ", 1)[1].split("  #", 1)[0].strip()
                    try:
                        return ast.literal_eval(value)
                    except (ValueError, SyntaxError):
                        return None
    return None


def _title(body: str) -> str:
    """The text of the body's first ``<h1>`` ('' without one)."""
    import re

    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    if not match:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


def _no_anchors(markup: str) -> str:
    import re

    return re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", markup)


def _output_html(output: Any, lang: str = "zh") -> str:
    if output.get("output_type") == "stream":
        if output.get("name") == "stderr":
            return ""
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    if "image/png" in data:
        alt = "图" if lang == "zh" else "figure"
        size = output.get("metadata", {}).get("image/png", {})
        width = f' width="{int(size["width"])}"' if isinstance(size.get("width"), int) else ""
        png = "".join(data["image/png"]).replace("\n", "")
        return f'<figure><img alt="{alt}"{width} src="data:image/png;base64,{png}"></figure>'
    if "text/html" in data:
        return _tables("".join(data["text/html"]), lang)
    if "text/markdown" in data:
        from nbconvert.filters.markdown_mistune import markdown2html_mistune

        return _tables(_no_anchors(markdown2html_mistune("".join(data["text/markdown"]))), lang)
    if "text/plain" in data:
        text = "".join(data["text/plain"])
        if text.startswith("<Figure size"):
            return ""
        return f"<pre>{html.escape(text)}</pre>"
    return ""


def _tables(markup: str, lang: str) -> str:
    """``markup`` with each ``<table>`` rebuilt (:func:`table_html`) and pandas' scoped
    ``<style>`` dropped; markup without a table is returned as it is."""
    if "<table" not in markup:
        return markup
    import lxml.html

    out: list[str] = []
    for frag in lxml.html.fragments_fromstring(markup):
        if isinstance(frag, str):
            out.append(html.escape(frag))
            continue
        if frag.tag == "style":
            continue
        if frag.tag == "table":
            out.append(table_html(read_table(frag, lang)))
            continue
        for style_el in list(frag.iter("style")):
            style_el.drop_tree()
        for table in list(frag.iter("table")):
            new = lxml.html.fragment_fromstring(table_html(read_table(table, lang)))
            new.tail = table.tail
            table.getparent().replace(table, new)
        out.append(lxml.html.tostring(frag, encoding="unicode"))
    return "\n".join(out)


def _visible_text(markup: str) -> str:
    import re

    no_img = re.sub(r'src="data:[^"]+"', "", markup)
    return html.unescape(re.sub(r"<[^>]+>", " ", no_img))


def _font_face(text: str) -> str:
    """@font-face with the CJK font subset to ``text``'s characters, as a base64 data URL."""
    from fontTools import subset

    chars = set(text) | set("0123456789.,%-+()")
    if not chars:
        return ""
    options = subset.Options()
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(style.font_path()), options)
    sub = subset.Subsetter(options)
    sub.populate(text="".join(sorted(chars)))
    sub.subset(font)
    buf = io.BytesIO()
    font.save(buf)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return (
        f"@font-face {{ font-family: 'LbcCJK'; "
        f"src: url(data:font/otf;base64,{data}) format('opentype'); }}\n"
    )
