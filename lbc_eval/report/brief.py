"""Run the notebooks on a cohort and render the evidence brief.

:func:`run` executes every numbered notebook with papermill (parameters ``DATA``, ``OUT``,
``LANG``, ``SEED``), keeps the executed notebooks and writes each as a self-contained HTML page;
:func:`brief` renders the work-plan notebook without code, in Chinese or English, with the CJK
font embedded (subset to the characters used), so the brief reads the same on any machine.

Cells tagged ``zh`` or ``en`` appear only in that language's brief; cells tagged
``parameters``, ``injected-parameters`` or ``no-brief`` never appear in a brief.
"""

from __future__ import annotations

import base64
import html
import io
import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lbc_eval.data import labels
from lbc_eval.data.resources import example_path
from lbc_eval.errors import LbcEvalError
from lbc_eval.report import style

NOTEBOOK_DIR = Path(str(resources.files("lbc_eval") / "notebooks"))
WORK_PLAN = "05_work_plan.ipynb"
_HIDDEN_TAGS = {"parameters", "injected-parameters", "no-brief"}


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks, in order."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise LbcEvalError(f"no numbered notebooks in {folder}")
    return found


def inside_git_tree(path: Path) -> bool:
    """True when ``path`` (or its nearest existing parent) is inside a git working tree."""
    p = path.resolve()
    while not p.exists():
        p = p.parent
    try:
        out = subprocess.run(
            ["git", "-C", str(p), "rev-parse", "--is-inside-work-tree"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == "true"


@dataclass(frozen=True)
class RunRecord:
    """One executed notebook: its files and how long it took."""

    notebook: str
    executed: Path
    html: Path
    seconds: float


def run(
    data: str | Path | None,
    out: str | Path,
    *,
    lang: str = "zh",
    seed: int = 0,
    only: Sequence[str] | None = None,
    allow_inside_repo: bool = False,
    progress: Callable[[str], None] | None = print,
) -> list[RunRecord]:
    """Execute the notebooks on a cohort and write ``out/notebooks/*.ipynb`` and ``out/html``.

    Real (non-synthetic) cohorts may not be analysed into a folder inside a git working tree
    unless ``allow_inside_repo``: their outputs must never be committed.
    """
    import papermill as pm

    labels.check_lang(lang)
    data_path = Path(data) if data else example_path()
    out = Path(out)
    meta = json.loads((data_path / "cohort.json").read_text(encoding="utf-8"))
    if not meta.get("synthetic", False) and inside_git_tree(out) and not allow_inside_repo:
        raise LbcEvalError(
            f"{out} is inside a git working tree and {data_path} holds real records; write the "
            f"outputs outside the repository (or pass --allow-inside-repo if you are sure)"
        )
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    records = []
    todo = [p for p in notebooks() if not only or any(p.name.startswith(o) for o in only)]
    for i, nb in enumerate(todo, 1):
        if progress:
            progress(f"[{i}/{len(todo)}] {nb.name} ...")
        start = time.perf_counter()
        target = out / "notebooks" / nb.name
        pm.execute_notebook(
            str(nb),
            str(target),
            cwd=str(NOTEBOOK_DIR),
            kernel_name="python3",
            parameters={
                "DATA": str(data_path.resolve()),
                "OUT": str(out.resolve()),
                "LANG": lang,
                "SEED": seed,
            },
            progress_bar=False,
            log_output=False,
        )
        page = out / "html" / nb.with_suffix(".html").name
        page.write_text(render_html(target, lang=lang, include_code=True), encoding="utf-8")
        seconds = time.perf_counter() - start
        records.append(RunRecord(nb.name, target, page, seconds))
        if progress:
            progress(f"[{i}/{len(todo)}] {nb.name} done in {seconds:.1f} s")
    return records


def brief(
    out: str | Path,
    *,
    lang: str = "zh",
    data: str | Path | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = print,
) -> Path:
    """Render the work-plan notebook as the evidence brief ``out/brief_{lang}.html``.

    Uses ``out/notebooks/05_work_plan.ipynb`` when :func:`run` has made it in the same language,
    else executes the work-plan notebook first.
    """
    labels.check_lang(lang)
    out = Path(out)
    executed = out / "notebooks" / WORK_PLAN
    if not executed.exists() or _param(executed, "LANG") != lang:
        run(data, out, lang=lang, seed=seed, only=[WORK_PLAN[:2]], progress=progress)
    target = out / f"brief_{lang}.html"
    target.write_text(render_html(executed, lang=lang, include_code=False), encoding="utf-8")
    return target


def _param(nb_path: Path, name: str) -> Any:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.startswith(f"{name} = "):
                    return json.loads(line.split(" = ", 1)[1].replace("'", '"'))
    return None


# --- HTML ---------------------------------------------------------------------------------------


_CSS = """
body { font-family: 'LbcCJK', 'Noto Sans CJK SC', sans-serif; max-width: 920px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.6; }
h1, h2, h3 { line-height: 1.3; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; }
img { max-width: 100%; }
pre { background: #f7f7f7; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
pre.code { border-left: 3px solid #0072B2; }
.note { color: #555; font-size: 0.9em; }
"""


def render_html(nb_path: str | Path, *, lang: str = "zh", include_code: bool = False) -> str:
    """A self-contained HTML page of an executed notebook (no scripts, no network).

    Markdown cells are rendered, outputs kept (tables, figures as embedded PNG, text); code is
    shown only with ``include_code``. Cells tagged for the other language are left out, and so
    are parameter cells when code is hidden. The CJK font is embedded, subset to the text used.
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
            parts.append(_no_anchors(markdown2html_mistune(cell.source)))
            continue
        if cell.cell_type != "code" or (not include_code and tags & _HIDDEN_TAGS):
            continue
        if include_code and cell.source.strip():
            parts.append(f'<pre class="code">{html.escape(cell.source)}</pre>')
        for output in cell.get("outputs", []):
            parts.append(_output_html(output))
    body = "\n".join(p for p in parts if p)
    title = html.escape(Path(nb_path).stem)
    font = _font_face(_visible_text(body) + title)
    return (
        f'<!DOCTYPE html>\n<html lang="{"en" if lang == "en" else "zh"}"><head>'
        f'<meta charset="utf-8"><title>{title}</title><style>{font}{_CSS}</style></head>'
        f"<body>\n{body}\n</body></html>\n"
    )


def _no_anchors(markup: str) -> str:
    import re

    return re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", markup)


def _output_html(output: Any) -> str:
    if output.get("output_type") == "stream":
        if output.get("name") == "stderr":
            return ""
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    if "image/png" in data:
        return f'<p><img alt="figure" src="data:image/png;base64,{data["image/png"]}"></p>'
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/markdown" in data:
        from nbconvert.filters.markdown_mistune import markdown2html_mistune

        return _no_anchors(markdown2html_mistune("".join(data["text/markdown"])))
    if "text/plain" in data:
        text = "".join(data["text/plain"])
        if text.startswith("<Figure size"):
            return ""
        return f"<pre>{html.escape(text)}</pre>"
    return ""


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
