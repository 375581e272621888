"""The evidence brief in both formats, rendered from the committed (executed) work-plan notebook.

No kernel runs here: :func:`write_brief` renders an executed notebook, and the committed
``notebooks/05_work_plan.ipynb`` has its outputs (run on the shipped synthetic cohort).
"""

from __future__ import annotations

import base64
import io
import json
import re

import lxml.html
import nbformat
import pytest
from docx import Document
from docx.oxml.ns import qn
from PIL import Image

from lbc_eval.errors import LbcEvalError
from lbc_eval.report import word
from lbc_eval.report.brief import WORK_PLAN, brief, write_brief
from lbc_eval.report.pages import BANNER, page, ran_on_synthetic
from lbc_eval.report.run import NOTEBOOK_DIR
from lbc_eval.report.tables import is_number, read_table

NOTEBOOK = NOTEBOOK_DIR / WORK_PLAN
ZH_BANNER = "合成数据（非真实记录）"
EN_BANNER = "Synthetic data — not real records"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief")
    html_path, docx_path = write_brief(NOTEBOOK, out, lang="zh")
    markup = html_path.read_text(encoding="utf-8")
    return markup, lxml.html.document_fromstring(markup), Document(str(docx_path)), docx_path


def _headings_html(tree):
    return [" ".join(h.text_content().split()) for h in tree.iter("h1", "h2", "h3", "h4")]


def _headings_docx(doc):
    return [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]


def _zh_title():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "markdown" and "zh" in c.metadata.tags)
    return first.source.splitlines()[0].lstrip("# ").strip()


def test_both_formats_are_written_beside_each_other(rendered):
    *_, docx_path = rendered
    assert docx_path.name == "brief_zh.docx"
    assert (docx_path.parent / "brief_zh.html").is_file()


def test_the_page_title_is_the_briefs_title(rendered):
    markup, tree, doc, _ = rendered
    assert tree.findtext(".//title") == _zh_title()
    assert "05_work_plan" not in tree.findtext(".//title")
    assert doc.core_properties.title == _zh_title()
    assert '<meta name="viewport" content="width=device-width' in markup


def test_the_same_sections_in_both_formats(rendered):
    _, tree, doc, _ = rendered
    html_heads = _headings_html(tree)
    assert len(html_heads) >= 3 and html_heads[0] == _zh_title()
    assert _headings_docx(doc) == html_heads


def test_the_same_tables_and_figures_in_both_formats(rendered):
    _, tree, doc, _ = rendered
    tables = tree.findall(".//table")
    images = tree.findall(".//img")
    assert len(tables) >= 1 and len(images) >= 1
    assert len(doc.tables) == len(tables)
    assert len(doc.inline_shapes) == len(images)
    first = read_table(tables[0])
    cells = {c.text for row in doc.tables[0].rows for c in row.cells}
    assert set(first.head) <= cells and {v for r in first.rows for v in r} <= cells


def test_word_tables_have_a_header_row_repeated_on_each_page(rendered):
    _, _, doc, _ = rendered
    for table in doc.tables:
        first = table.rows[0]._tr
        assert first.trPr is not None and first.trPr.find(qn("w:tblHeader")) is not None
        assert all(run.bold for c in table.rows[0].cells for p in c.paragraphs for run in p.runs)


def test_pictures_are_at_print_resolution(rendered):
    _, _, doc, _ = rendered
    for shape in doc.inline_shapes:
        blob = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
        image = doc.part.related_parts[blob].image
        inches = shape.width / 914400
        assert image.px_width / inches >= word.MIN_DPI - 0.5
        assert inches <= (21.0 - 4.0) / 2.54 + 1e-6  # never wider than the text


def test_the_html_figures_keep_every_pixel(rendered):
    _, tree, _, _ = rendered
    for img in tree.iter("img"):
        data = base64.b64decode(img.get("src").split(",", 1)[1])
        with Image.open(io.BytesIO(data)) as im:
            assert im.size[0] >= 1000  # what the notebook saved, not a screen-size copy


def test_the_synthetic_banner_comes_first(rendered):
    _, tree, doc, _ = rendered
    body = tree.find(".//body")
    first = next(el for el in body if isinstance(el.tag, str))
    assert "banner" in first.get("class") and first.text_content().startswith(ZH_BANNER)
    assert doc.paragraphs[0].text.startswith(ZH_BANNER)
    shading = doc.paragraphs[0]._p.pPr.find(qn("w:shd"))
    assert shading is not None and shading.get(qn("w:fill"))


def test_tables_scroll_sideways_on_a_phone(rendered):
    markup, tree, _, _ = rendered
    for table in tree.iter("table"):
        wrapper = table.getparent()
        assert wrapper.tag == "div" and "table-wrap" in wrapper.get("class")
    css = " ".join(markup.split("<style>", 1)[1].split("</style>", 1)[0].split())
    assert re.search(r"\.table-wrap \{[^}]*overflow-x: auto", css)
    assert re.search(r"th, td \{[^}]*min-width", css)  # no one-character-per-line columns


def test_booleans_read_yes_or_no(rendered):
    _, tree, doc, _ = rendered
    html_cells = {" ".join(c.text_content().split()) for c in tree.iter("td", "th")}
    word_cells = {c.text for t in doc.tables for row in t.rows for c in row.cells}
    assert not {"True", "False"} & (html_cells | word_cells)


def test_east_asian_text_has_a_chinese_font(rendered):
    _, _, doc, _ = rendered
    fonts = doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == word.EAST_ASIA_FONT
    assert fonts.get(qn("w:eastAsiaTheme")) is None
    for name in ("Normal", "Heading 1", "Heading 2"):
        rfonts = doc.styles[name].element.find(".//" + qn("w:rFonts"))
        assert rfonts is None or rfonts.get(qn("w:eastAsiaTheme")) is None


def test_no_banner_when_the_data_are_real(tmp_path):
    real = page(NOTEBOOK, lang="zh", synthetic=False)
    assert not real.synthetic and ZH_BANNER not in real.body
    target = word.write_docx(real.body, tmp_path / "real.docx", title=real.title)
    doc = Document(str(target))
    assert doc.paragraphs[0].text == real.title
    assert all(ZH_BANNER not in p.text for p in doc.paragraphs)


def _run_on(tmp_path, meta: dict | None, truth: bool = False):
    """The committed notebook as papermill would leave it after a run on a cohort folder."""
    folder = tmp_path / "cohort"
    folder.mkdir(parents=True)
    if meta is not None:
        (folder / "cohort.json").write_text(json.dumps(meta), encoding="utf-8")
    if truth:
        (folder / "truth.json").write_text("{}", encoding="utf-8")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    injected = nbformat.v4.new_code_cell(
        f'# Parameters\nDATA = {str(folder)!r}\nLANG = "zh"\n',
        metadata={"tags": ["injected-parameters"]},
    )
    nb.cells.insert(at + 1, injected)
    path = tmp_path / WORK_PLAN
    nbformat.write(nb, path)
    return path


def test_the_cohort_the_notebook_ran_on_decides(tmp_path):
    assert ran_on_synthetic(NOTEBOOK)  # DATA = None: the shipped synthetic cohort
    real = _run_on(tmp_path / "real", {"format": "lbc_eval cohort", "synthetic": False})
    assert not ran_on_synthetic(real)
    assert ZH_BANNER not in page(real, lang="zh").body
    fake = _run_on(tmp_path / "fake", {"format": "lbc_eval cohort", "synthetic": True})
    assert ZH_BANNER in page(fake, lang="zh").body
    # an older cohort.json without the flag: the truth file tells
    assert ran_on_synthetic(_run_on(tmp_path / "old", {"format": "lbc_eval cohort"}, True))
    assert not ran_on_synthetic(_run_on(tmp_path / "old_real", {"format": "lbc_eval cohort"}))


def test_the_banner_in_english(tmp_path):
    p = page(NOTEBOOK, lang="en")
    assert p.body.startswith('<div class="banner"') and EN_BANNER in p.body
    assert p.title.startswith("Care for left-behind children")
    doc = Document(str(word.write_docx(p.body, tmp_path / "en.docx", title=p.title, lang="en")))
    assert doc.paragraphs[0].text.startswith(EN_BANNER)
    assert BANNER["en"][1] in doc.paragraphs[0].text


def test_brief_refuses_an_unknown_format(tmp_path):
    with pytest.raises(LbcEvalError, match="pdf"):
        brief(tmp_path, lang="zh", formats=("html", "pdf"))


def test_read_table_folds_pandas_index_header():
    markup = (
        "<table><thead><tr><th></th><th>n</th><th>ok</th></tr>"
        "<tr><th>school</th><th></th><th></th></tr></thead>"
        "<tbody><tr><th>S01</th><td>12</td><td>False</td></tr>"
        "<tr><th>S02</th><td>3.5 [1.0, 6.0]</td><td>True</td></tr></tbody></table>"
    )
    table = read_table(lxml.html.fragment_fromstring(markup), "en")
    assert table.head == ["school", "n", "ok"]
    assert table.rows == [["S01", "12", "no"], ["S02", "3.5 [1.0, 6.0]", "yes"]]
    assert table.row_header and is_number("3.5 [1.0, 6.0]") and not is_number("S01")
    turned = table.turned()
    assert turned.head == ["school", "S01", "S02"] and turned.rows[1] == ["ok", "no", "yes"]
