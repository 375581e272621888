"""Run the notebooks on a cohort and render the evidence brief.

:func:`run` executes every numbered notebook with papermill (parameters ``DATA``, ``OUT``,
``LANG``, ``SEED``), keeps the executed notebooks and writes each as a self-contained HTML page;
:func:`brief` renders the work-plan notebook without code, in Chinese or English, as a
self-contained HTML page with the CJK font embedded (subset to the characters used), so the
brief reads the same on any machine, and as a Word document beside it (``brief_LANG.docx``,
:mod:`lbc_eval.report.word`) with the same sections, tables and figures. Its title is the
notebook's first heading; on synthetic data both open with a banner saying so; tables scroll
sideways on a phone instead of squeezing their columns.

Cells tagged ``zh`` or ``en`` appear only in that language's brief; cells tagged
``parameters``, ``injected-parameters`` or ``no-brief`` never appear in a brief.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
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
    """Execute the notebooks on a cohort into ``out``, a folder that holds one language.

    Writes the executed notebooks to ``out/notebooks/NN_*.ipynb`` and a self-contained HTML
    page of each to ``out/html/NN_*.html``; tables the notebooks export (their ``OUT``
    parameter) go to ``out``. Executed notebooks of another language already in
    ``out/notebooks`` are never overwritten: the call fails and says so (``lbc-eval run``
    writes each language into its own folder, ``--out``/zh, ``--out``/en).

    Before any kernel starts, the call checks the language, the selection ``only`` (prefixes
    of the notebooks' names, e.g. ``["01", "05"]``) and that ``data`` is a cohort folder that
    :func:`~lbc_eval.data.cohort.read_cohort` accepts; each failure raises
    :class:`~lbc_eval.errors.LbcEvalError` saying what to do. Real (non-synthetic) cohorts may
    not be analysed into a folder inside a git working tree unless ``allow_inside_repo``:
    their outputs must never be committed.

    ``progress`` receives one line as each notebook starts and ends (``notebook 2/6:
    02_mentoring.ipynb done in 9.1 s``) and, every 30 s while one runs, a line saying which
    cell it is in. The kernel talks to this process over CurveZMQ-encrypted sockets (or, where
    CurveZMQ is not available, Unix sockets in a private temporary folder), never plain TCP.
    """
    import tempfile

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if lang not in labels.LANGS:
        raise LbcEvalError(
            f"unknown language {lang!r}: use zh (Chinese), en (English) or both (labels in both)"
        )
    say = _say if progress is print else progress
    todo = _select(only)
    data_path = Path(data) if data else example_path()
    meta = _check_cohort(data_path)
    out = Path(out)
    if not meta.get("synthetic", False) and inside_git_tree(out) and not allow_inside_repo:
        raise LbcEvalError(
            f"{out} is inside a git working tree and {data_path} holds real records; write the "
            f"outputs outside the repository (or pass --allow-inside-repo if you are sure)"
        )
    _check_language_folder(out, lang)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    if say:
        say(f"running {len(todo)} notebook(s) in {lang} on {data_path} into {out}")
    records = []
    with tempfile.TemporaryDirectory(prefix="lbc-kernel-") as private:
        for i, nb in enumerate(todo, 1):
            label = f"notebook {i}/{len(todo)}: {nb.name}"
            target = out / "notebooks" / nb.name
            start = time.perf_counter()
            with _Heartbeat(say, label, lang) as beat:
                if say:
                    say(f"{label} running ...")
                try:
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
                        engine_name=_watched_engine(),
                        on_cell=beat.on_cell,
                        **_kernel_options(Path(private)),
                    )
                except PapermillExecutionError as exc:
                    first = str(exc.evalue).strip().splitlines()[:1] or [""]
                    raise LbcEvalError(
                        f"{nb.name} failed in cell [{exc.exec_count}] with {exc.ename}: "
                        f"{first[0][:300]}; the notebook with the whole traceback is {target}"
                    ) from None
            html_page = out / "html" / nb.with_suffix(".html").name
            html_page.write_text(
                render_html(target, lang=lang, include_code=True), encoding="utf-8"
            )
            seconds = time.perf_counter() - start
            records.append(RunRecord(nb.name, target, html_page, seconds))
            if say:
                say(f"{label} done in {seconds:.1f} s")
    return records


_HEARTBEAT_SECONDS = 30.0


def _say(message: str) -> None:
    """Print a progress line at once (stdout may be a pipe, as under ``tee`` or CI)."""
    print(message, flush=True)


def _select(only: Sequence[str] | None) -> list[Path]:
    """The notebooks ``only`` selects (all without it); an unknown selection lists the choices."""
    available = notebooks()
    if not only:
        return available
    unknown = [o for o in only if not any(p.name.startswith(o) for p in available)]
    if unknown:
        choices = ", ".join(f"{p.name[:2]} ({p.stem})" for p in available)
        raise LbcEvalError(
            f"no notebook matches {', '.join(repr(o) for o in unknown)}; the notebooks are "
            f"{choices}: select them by number, e.g. 01 05"
        )
    return [p for p in available if any(p.name.startswith(o) for o in only)]


def _check_cohort(path: Path) -> dict[str, Any]:
    """``cohort.json`` of the cohort folder ``path``, after checking it as the notebooks will.

    Every failure says how to make or fix the folder.
    """
    from lbc_eval.data.cohort import read_cohort

    def make(folder: str) -> str:
        return (
            f"make one with `lbc-eval synth --preset small --seed 1 --out {folder}` (synthetic) "
            f"or `lbc-eval ingest SCHOOL_FILES --out {folder}` (school records; see lbc-eval "
            f"ingest --help), or leave out --data to use the shipped synthetic cohort"
        )

    if not path.exists():
        raise LbcEvalError(f"no cohort folder at {path}: {make(str(path))}")
    if path.is_file():
        if path.name == "cohort.json":
            raise LbcEvalError(f"{path} is a file: give its folder, --data {path.parent}")
        raise LbcEvalError(
            f"{path} is a file, not a cohort folder: give the folder that holds cohort.json; "
            f"{make('NEW_FOLDER')}"
        )
    if not (path / "cohort.json").is_file():
        inside = sorted(p.parent for p in path.glob("*/cohort.json"))[:3]
        if inside:
            names = " or ".join(f"--data {p}" for p in inside)
            raise LbcEvalError(f"no cohort at {path} (no cohort.json); did you mean {names}?")
        empty = not any(path.iterdir())
        raise LbcEvalError(
            f"no cohort at {path} (it holds no cohort.json): "
            f"{make(str(path) if empty else 'NEW_FOLDER')}"
        )
    try:
        read_cohort(path)
    except LbcEvalError as exc:
        raise LbcEvalError(
            f"the cohort at {path} cannot be read: {exc}. Fix or regenerate the folder (the "
            f"notebooks read it the same way)"
        ) from None
    meta: dict[str, Any] = json.loads((path / "cohort.json").read_text(encoding="utf-8"))
    return meta


def _check_language_folder(out: Path, lang: str) -> None:
    """Refuse to overwrite executed notebooks of another language in ``out/notebooks``."""
    folder = out / "notebooks"
    if not folder.is_dir():
        return
    for executed in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        try:
            found = _param(executed, "LANG")
        except Exception:  # noqa: BLE001 - an unreadable notebook is simply overwritten
            continue
        if found is not None and found != lang:
            raise LbcEvalError(
                f"{folder} holds notebooks run in {found!r} ({executed.name}); outputs of "
                f"{lang!r} would overwrite them. Give each language its own folder "
                f"(lbc-eval run --out DIR writes DIR/{lang})"
            )


def _kernel_options(private: Path) -> dict[str, Any]:
    """papermill options that keep the kernel's messages off plain TCP.

    ipykernel warns "Kernel is running over TCP without encryption" on plain TCP (any local
    process can subscribe to its output socket). With CurveZMQ (pyzmq built with libsodium,
    jupyter_client 8.10+, a kernelspec that declares it) the manager encrypts the connection;
    otherwise the kernel uses Unix sockets in ``private``, a folder only this user can open.
    On Windows, which has neither, the kernel's own log is kept to errors.
    """
    import sys

    from traitlets.config import Config

    if _curve_available():
        return {"config": Config({"KernelManager": {"transport_encryption": "required"}})}
    if sys.platform == "win32":
        return {"extra_arguments": ["--IPKernelApp.log_level=ERROR"]}
    ipc = {"transport": "ipc", "ip": str(private / "kernel")}
    return {"config": Config({"KernelManager": ipc})}


def _curve_available() -> bool:
    """True when the kernel manager can encrypt the python3 kernel's sockets with CurveZMQ."""
    try:
        import zmq
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        if "transport_encryption" not in KernelManager.class_trait_names() or not zmq.has("curve"):
            return False
        spec = KernelSpecManager().get_kernel_spec("python3")
        declared = spec.metadata.get("supported_encryption")
    except Exception:  # noqa: BLE001 - any doubt means no encryption: use the fallback
        return False
    if isinstance(declared, str):
        declared = [declared]
    return "curve" in {str(d).strip().lower() for d in declared or ()}


def _watched_engine() -> str:
    """Register (once) a papermill engine that reports each cell as it starts; its name."""
    from papermill.engines import NBClientEngine, papermill_engines

    name = "lbc_eval_watched"
    try:
        papermill_engines.get_engine(name)
        return name
    except Exception:  # noqa: BLE001 - papermill raises PapermillException when it is absent
        pass

    class WatchedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(  # type: ignore[override]
            cls, nb_man: Any, kernel_name: str, on_cell: Any = None, **kwargs: Any
        ) -> Any:
            if on_cell is not None:
                cell_start = nb_man.cell_start

                def start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                    on_cell(cell_index, nb_man.nb.cells)
                    return cell_start(cell, cell_index, **kw)

                nb_man.cell_start = start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(name, WatchedEngine)
    return name


class _Heartbeat:
    """While a notebook runs, say every ``_HEARTBEAT_SECONDS`` that it does, and in which cell."""

    def __init__(self, say: Callable[[str], None] | None, label: str, lang: str) -> None:
        import threading

        self.say, self.label, self.lang = say, label, lang
        self.start = time.perf_counter()
        self.cell: int | None = None
        self.cells: list[Any] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="lbc-heartbeat", daemon=True)

    def on_cell(self, index: int | None, cells: list[Any]) -> None:
        self.cell, self.cells = index, cells

    def __enter__(self) -> _Heartbeat:
        if self.say:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(_HEARTBEAT_SECONDS):
            elapsed = time.perf_counter() - self.start
            if self.say and not self._stop.is_set():
                self.say(f"{self.label} still running after {elapsed:.0f} s{self._where()}")

    def _where(self) -> str:
        index, cells = self.cell, self.cells
        if index is None or not cells:
            return ""
        other = {"zh", "en"} - {self.lang}
        heading = ""
        for cell in reversed(cells[: index + 1]):
            if cell.cell_type != "markdown" or set(cell.metadata.get("tags", [])) & other:
                continue
            titles = [ln for ln in cell.source.splitlines() if ln.startswith("#")]
            if titles:
                heading = titles[0].lstrip("#").strip()
                heading = f": {heading[:60]}{'...' if len(heading) > 60 else ''}"
                break
        return f" (cell {index + 1} of {len(cells)}{heading})"


#: The brief's formats: a self-contained web page and a Word document.
FORMATS = ("html", "docx")


def brief(
    out: str | Path,
    *,
    lang: str = "zh",
    data: str | Path | None = None,
    seed: int = 0,
    formats: Sequence[str] = FORMATS,
    synthetic: bool | None = None,
    progress: Callable[[str], None] | None = print,
) -> Path:
    """Render the work-plan notebook as the evidence brief ``out/brief_{lang}.html`` and, beside
    it, ``out/brief_{lang}.docx``; returns the first of ``formats`` written (the HTML's path by
    default).

    Both show the same sections, tables and figures (built from one :class:`Page`): the HTML
    self-contained (font embedded, tables that scroll sideways on a phone), the Word file for
    bureaus to edit and forward (:func:`lbc_eval.report.word.write_docx`). On synthetic data
    (``synthetic`` None: :func:`ran_on_synthetic` decides) both open with the banner
    "合成数据（非真实记录）" / "Synthetic data — not real records".

    Uses ``out/notebooks/05_work_plan.ipynb`` when :func:`run` has made it in the same language,
    else executes the work-plan notebook first.
    """
    labels.check_lang(lang)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise LbcEvalError(
            f"unknown brief format(s) {', '.join(map(repr, unknown)) or '(none given)'}: "
            f"choose from {', '.join(FORMATS)}"
        )
    out = Path(out)
    executed = out / "notebooks" / WORK_PLAN
    if not executed.exists() or _param(executed, "LANG") != lang:
        run(data, out, lang=lang, seed=seed, only=[WORK_PLAN[:2]], progress=progress)
    return write_brief(executed, out, lang=lang, formats=formats, synthetic=synthetic)[0]


def write_brief(
    executed: str | Path,
    out: str | Path,
    *,
    lang: str = "zh",
    formats: Sequence[str] = FORMATS,
    synthetic: bool | None = None,
) -> list[Path]:
    """Write an executed work-plan notebook as ``out/brief_{lang}.html`` / ``.docx`` (those of
    ``formats``, in that order) without running anything; returns the paths written."""
    from lbc_eval.report.word import write_docx

    brief_page = page(executed, lang=lang, include_code=False, synthetic=synthetic)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out / f"brief_{lang}.{fmt}"
        if fmt == "html":
            target.write_text(page_html(brief_page), encoding="utf-8")
        elif fmt == "docx":
            write_docx(brief_page.body, target, title=brief_page.title, lang=lang)
        else:
            raise LbcEvalError(f"unknown brief format {fmt!r}: choose from {', '.join(FORMATS)}")
        written.append(target)
    return written


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
_CJK_BREAK = re.compile(r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])\n[ \t]*"
                        r"(?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f])")


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

    from lbc_eval.report.word import read_table

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


def table_html(table: Any) -> str:
    """A :class:`~lbc_eval.report.word.Table` as HTML: in a wrapper that scrolls sideways
    (``overflow-x: auto``) on a narrow screen, with cells that keep a readable width, numbers
    right-aligned and the row names' column fixed while scrolling."""
    from lbc_eval.report.word import is_number

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
