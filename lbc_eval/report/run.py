"""Run the notebooks on a cohort: papermill, the kernel's transport, progress as they run.

:func:`run` executes every numbered notebook with papermill (parameters ``DATA``, ``OUT``,
``LANG``, ``SEED``) into a folder that holds one language, keeps the executed notebooks and
writes each as a self-contained HTML page (:func:`lbc_eval.report.pages.render_html`). Before any
kernel starts it checks the language, the selection of notebooks and the cohort folder
(:func:`_check_cohort`), and refuses to write real records' outputs inside a git working tree.
While a notebook runs, a heartbeat says every 30 s which cell it is in; the kernel talks to this
process over CurveZMQ-encrypted sockets, or Unix sockets in a private folder, never plain TCP.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lbc_eval.data import labels
from lbc_eval.data.messages import COMMA, OR, SEMICOLON, Bi, Joined, Text, join, msg, text
from lbc_eval.data.resources import example_path
from lbc_eval.errors import LbcEvalError
from lbc_eval.report.notebook import PROGRESS
from lbc_eval.report.pages import render_html

NOTEBOOK_DIR = Path(str(resources.files("lbc_eval") / "notebooks"))
#: The language of a run as its progress lines name it.
LANG_NAMES = {"zh": Bi("中文", "zh"), "en": Bi("英文", "en"), "both": Bi("中英双语", "both")}


def notebooks(folder: Path = NOTEBOOK_DIR) -> list[Path]:
    """The numbered notebooks, in order."""
    found = sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb"))
    if not found:
        raise LbcEvalError(msg("run.no_notebooks", folder=folder))
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

    ``progress`` receives one line as each notebook starts and ends (``笔记本 2/6：
    02_mentoring.ipynb 已完成，用时 9.1 秒``; ``notebook 2/6: 02_mentoring.ipynb done in 9.1 s``
    with ``lang="en"``) and, every 30 s while one runs, a line saying which cell it is in: in
    Chinese unless ``lang`` is ``"en"`` (the catalogue's ``run.*`` messages,
    :mod:`lbc_eval.data.messages_report`); the errors are catalogue messages too, which
    ``lbc-eval`` writes in its ``--lang``. The kernel talks to this process over
    CurveZMQ-encrypted sockets (or, where CurveZMQ is not available, Unix sockets in a private
    temporary folder), never plain TCP.
    """
    import tempfile

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    if lang not in labels.LANGS:
        raise LbcEvalError(msg("run.unknown_lang", lang=repr(lang)))
    words = "en" if lang == "en" else "zh"  # the language of the progress lines
    say = _say if progress is print else progress
    todo = _select(only)
    data_path = Path(data) if data else example_path()
    meta = _check_cohort(data_path)
    out = Path(out)
    if not meta.get("synthetic", False) and inside_git_tree(out) and not allow_inside_repo:
        raise LbcEvalError(msg("run.inside_repo", out=out, data=data_path))
    _check_language_folder(out, lang)
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    (out / "html").mkdir(parents=True, exist_ok=True)
    if say:
        named = LANG_NAMES[lang]
        say(text("run.start", words, count=len(todo), lang=named, data=data_path, out=out))
    records = []
    with tempfile.TemporaryDirectory(prefix="lbc-kernel-") as private:
        for i, nb in enumerate(todo, 1):
            label = msg("run.notebook", index=i, total=len(todo), name=nb.name)
            target = out / "notebooks" / nb.name
            start = time.perf_counter()
            with _Heartbeat(say, label, lang) as beat:
                if say:
                    say(text("run.running", words, notebook=label))
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
                        msg(
                            "run.cell_failed",
                            name=nb.name,
                            cell=exc.exec_count,
                            error=exc.ename,
                            message=first[0][:300],
                            target=target,
                        )
                    ) from None
            html_page = out / "html" / nb.with_suffix(".html").name
            html_page.write_text(
                render_html(target, lang=lang, include_code=True), encoding="utf-8"
            )
            seconds = time.perf_counter() - start
            records.append(RunRecord(nb.name, target, html_page, seconds))
            if say:
                say(text("run.done", words, notebook=label, seconds=f"{seconds:.1f}"))
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
        choices = join(
            (Bi(f"{p.name[:2]}（{p.stem}）", f"{p.name[:2]} ({p.stem})") for p in available), COMMA
        )
        asked = join((repr(o) for o in unknown), COMMA)
        raise LbcEvalError(msg("run.no_match", unknown=asked, choices=choices))
    return [p for p in available if any(p.name.startswith(o) for o in only)]


def _check_cohort(path: Path) -> dict[str, Any]:
    """``cohort.json`` of the cohort folder ``path``, after checking it as the notebooks will.

    Every failure says how to make or fix the folder (a message of the catalogue, ``run.*``).
    """
    from lbc_eval.data.cohort import read_cohort

    def make(folder: object) -> Text:
        return msg("run.make_cohort", folder=folder)

    if not path.exists():
        raise LbcEvalError(msg("run.no_folder", path=path, make=make(path)))
    if path.is_file():
        if path.name == "cohort.json":
            raise LbcEvalError(msg("run.cohort_json", path=path, folder=path.parent))
        raise LbcEvalError(msg("run.a_file", path=path, make=make("NEW_FOLDER")))
    if not (path / "cohort.json").is_file():
        inside = sorted(p.parent for p in path.glob("*/cohort.json"))[:3]
        if inside:
            names = join((f"--data {p}" for p in inside), OR)
            raise LbcEvalError(msg("run.cohort_inside", path=path, names=names))
        empty = not any(path.iterdir())
        raise LbcEvalError(
            msg("run.no_cohort", path=path, make=make(path if empty else "NEW_FOLDER"))
        )
    try:
        read_cohort(path)
    except LbcEvalError as exc:
        raise LbcEvalError(msg("run.unreadable", path=path, error=_message(exc))) from None
    finally:
        _release_memory()
    meta: dict[str, Any] = json.loads((path / "cohort.json").read_text(encoding="utf-8"))
    return meta


def _release_memory() -> None:
    """Give the checked cohort's memory back: Arrow keeps freed buffers in its pool, which on
    a province holds about 2.5 GB in this process while every notebook's kernel runs."""
    import gc

    import pyarrow as pa

    gc.collect()
    pa.default_memory_pool().release_unused()


def _message(exc: BaseException) -> object:
    """An error's message as a field of another: the catalogue's message (written in the
    language the outer one is shown in), or the error's text."""
    if len(exc.args) == 1 and isinstance(exc.args[0], Text | Bi | Joined):
        return exc.args[0]
    return str(exc)


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
                msg(
                    "run.other_language",
                    folder=folder,
                    found=repr(found),
                    name=executed.name,
                    lang=repr(lang),
                )
            )


def _kernel_options(private: Path) -> dict[str, Any]:
    """papermill options that keep the kernel's messages off plain TCP.

    ipykernel warns "Kernel is running over TCP without encryption" on plain TCP (any local
    process can subscribe to its output socket). With CurveZMQ (pyzmq built with libsodium,
    jupyter_client 8.10+, a kernelspec that declares it) the manager encrypts the connection;
    otherwise the kernel uses Unix sockets in ``private``, a folder only this user can open.
    On Windows, which has neither, only the kernel's own log is kept quiet (below).
    """
    import sys

    from traitlets.config import Config

    # The kernel's own log stays off the user's screen: a cell's error reaches the run as the
    # cell's error, a dead kernel as papermill's; what else ipykernel logs is noise, such as
    # "KeyboardInterrupt caught in kernel" when the interrupt jupyter_client sends before every
    # shutdown meets a kernel still busy on a loaded machine.
    quiet = ["--IPKernelApp.log_level=CRITICAL"]
    if _curve_available():
        manager: dict[str, Any] = {"transport_encryption": "required"}
    elif sys.platform == "win32":
        return {"extra_arguments": quiet}
    else:
        manager = {"transport": "ipc", "ip": str(private / "kernel")}
    return {"config": Config({"KernelManager": manager}), "extra_arguments": quiet}


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

    def __init__(self, say: Callable[[str], None] | None, label: Text, lang: str) -> None:
        import threading

        self.say, self.label, self.lang = say, label, lang
        self.words = "en" if lang == "en" else "zh"
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
                line = text(
                    "run.still_running",
                    self.words,
                    notebook=self.label,
                    seconds=f"{elapsed:.0f}",
                    where=join([self._where(), self._step()], ""),
                )
                self.say(line)

    def _step(self) -> Joined | str:
        """The running cell's last progress line (``进行中：…``, printed by
        :func:`lbc_eval.report.notebook.progress`), if it printed one; nothing else of its
        output is echoed."""
        index, cells = self.cell, self.cells
        if index is None or index >= len(cells):
            return ""
        lines = [
            ln.strip()
            for out in cells[index].get("outputs", [])
            if out.get("output_type") == "stream" and out.get("name") == "stdout"
            for ln in str(out.get("text", "")).splitlines()
        ]
        steps = [ln for ln in lines if ln.startswith(tuple(PROGRESS.values()))]
        if not steps:
            return ""
        step = steps[-1]
        return join(["", f"{step[:80]}{'...' if len(step) > 80 else ''}"], SEMICOLON)

    def _where(self) -> Text | str:
        index, cells = self.cell, self.cells
        if index is None or not cells:
            return ""
        other = {"zh", "en"} - {self.lang}
        for cell in reversed(cells[: index + 1]):
            if cell.cell_type != "markdown" or set(cell.metadata.get("tags", [])) & other:
                continue
            titles = [ln for ln in cell.source.splitlines() if ln.startswith("#")]
            if titles:
                heading = titles[0].lstrip("#").strip()
                title = f"{heading[:60]}{'...' if len(heading) > 60 else ''}"
                return msg("run.cell_heading", cell=index + 1, cells=len(cells), title=title)
        return msg("run.cell", cell=index + 1, cells=len(cells))


def _param(nb_path: Path, name: str) -> Any:
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            for line in cell.source.splitlines():
                if line.startswith(f"{name} = "):
                    return json.loads(line.split(" = ", 1)[1].replace("'", '"'))
    return None
