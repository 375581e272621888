"""lbc_eval.report.run.run: checks before any kernel starts, one language per folder,
progress lines (Chinese first, English with lang="en"), and a kernel that never talks plain
TCP."""

from __future__ import annotations

import json
import re
import time

import nbformat
import pytest

from lbc_eval.data.messages import has_cjk
from lbc_eval.errors import LbcEvalError
from lbc_eval.report import pages as pages_module
from lbc_eval.report import run as run_module
from lbc_eval.report.brief import WORK_PLAN, brief
from lbc_eval.report.run import NOTEBOOK_DIR, run

TCP_WARNING = "Kernel is running over TCP"


def said(info, code):
    """The error's catalogue message, after checking its code: (Chinese, English)."""
    message = info.value.args[0]
    assert message.code == code
    assert str(info.value) == message.render("zh")  # Chinese first
    return message.render("zh"), message.render("en")


def fake_execute(delay: float = 0.0):
    """A stand-in for papermill.execute_notebook: parameters injected, nothing executed."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    calls = []

    def execute(input_path, output_path, *, parameters, on_cell=None, **kwargs):
        nb = parameterize_notebook(load_notebook_node(input_path), parameters)
        if on_cell is not None:
            on_cell(1, nb.cells)
        time.sleep(delay)
        nbformat.write(nb, output_path)
        calls.append((input_path, output_path, parameters, kwargs))
        return nb

    execute.calls = calls
    return execute


@pytest.fixture(autouse=True)
def no_font(monkeypatch):
    """Pages without the embedded font: slow to subset, and not what these tests check."""
    monkeypatch.setattr(pages_module, "_font_face", lambda text: "")


@pytest.fixture
def fake_papermill(monkeypatch):
    import papermill

    execute = fake_execute()
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return execute


def test_an_unknown_selection_lists_the_notebooks(tmp_path, fake_papermill):
    with pytest.raises(LbcEvalError) as info:
        run(None, tmp_path / "out", only=["09"], progress=None)
    zh, en = said(info, "run.no_match")
    assert "no notebook matches '09'" in en
    assert "01 (01_overview)" in en and "05 (05_work_plan)" in en
    assert zh.startswith("没有与 '09' 对应的笔记本；现有的笔记本是 01（01_overview）、")
    assert "05（05_work_plan）" in zh
    assert not fake_papermill.calls and not (tmp_path / "out").exists()


def test_an_unknown_language_says_which_there_are(tmp_path, fake_papermill):
    with pytest.raises(LbcEvalError) as info:
        run(None, tmp_path / "out", lang="fr", progress=None)
    zh, en = said(info, "run.unknown_lang")
    assert re.match(r"unknown language 'fr': use zh .*, en .* or both", en)
    assert zh.startswith("未知语言 'fr'：请用 zh（中文）、en（英文）或 both")
    assert not fake_papermill.calls


@pytest.mark.parametrize(
    ("make", "code", "expected", "chinese"),
    [
        (
            lambda p: p / "missing",
            "run.no_folder",
            "no cohort folder at {p}/missing: make one with `lbc-eval synth",
            "{p}/missing 处没有队列文件夹：可用 `lbc-eval synth",
        ),
        (
            lambda p: p,
            "run.no_cohort",
            "no cohort at {p} (it holds no cohort.json): make one with",
            "{p} 中没有队列（其中没有 cohort.json）：可用",
        ),
        (
            lambda p: _file(p / "notes.txt", "x"),
            "run.a_file",
            "is a file, not a cohort folder",
            "是文件，不是队列文件夹",
        ),
        (
            lambda p: _file(p / "cohort.json", "{}"),
            "run.cohort_json",
            "is a file: give its folder, --data {p}",
            "是一个文件：请给出它所在的文件夹，--data {p}",
        ),
        (
            lambda p: _file(p / "c" / "cohort.json", "{").parent.parent,
            "run.cohort_inside",
            "did you mean --data {p}/c?",
            "是不是 --data {p}/c？",
        ),
        (
            lambda p: _file(p / "cohort.json", "{").parent,
            "run.unreadable",
            "cannot be read: ",
            "中的队列无法读取：",
        ),
    ],
    ids=["missing", "empty", "a-file", "cohort-json", "the-parent", "unreadable"],
)
def test_a_wrong_data_folder_says_what_to_do(
    tmp_path, fake_papermill, make, code, expected, chinese
):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(LbcEvalError) as info:
        run(make(data), tmp_path / "out", progress=None)
    zh, en = said(info, code)
    assert expected.format(p=data) in en and chinese.format(p=data) in zh
    assert "Errno" not in zh + en
    assert not fake_papermill.calls and not (tmp_path / "out").exists()


def _file(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_folder_of_one_language_is_not_overwritten_by_another(tmp_path, fake_papermill):
    out = tmp_path / "out"
    run(None, out, lang="zh", only=["05"], progress=None)
    executed = out / "notebooks" / WORK_PLAN
    before = executed.read_bytes()
    with pytest.raises(LbcEvalError) as info:
        run(None, out, lang="en", only=["05"], progress=None)
    zh, en = said(info, "run.other_language")
    assert re.search("holds notebooks run in 'zh'.*its own folder", en)
    assert "中有以 'zh' 运行的笔记本（05_work_plan.ipynb）" in zh and "单独的文件夹" in zh
    with pytest.raises(LbcEvalError) as info:
        brief(out, lang="en", progress=None)  # would re-run 05 in English
    assert "holds notebooks run in 'zh'" in said(info, "run.other_language")[1]
    assert executed.read_bytes() == before
    assert len(fake_papermill.calls) == 1
    run(None, out, lang="zh", only=["05"], progress=None)  # the same language: run again
    assert len(fake_papermill.calls) == 2


#: The progress lines by language: the start, a notebook, running, the beat, its cell, done.
PROGRESS = {
    "en": (
        "running 2 notebook(s) in en on ",
        "notebook {i}/2: {name}",
        "{nb} running ...",
        "{nb} still running after ",
        " (cell 2 of ",
        "{nb} done in ",
    ),
    "zh": (
        "正在运行 2 个笔记本（中文），数据：",
        "笔记本 {i}/2：{name}",
        "{nb} 正在运行……",
        "{nb} 仍在运行，已用时 ",
        "（第 2 个单元格，共 ",
        "{nb} 已完成，用时 ",
    ),
}


@pytest.mark.parametrize("lang", ["en", "zh", "both"])
def test_progress_names_each_notebook_and_beats_while_it_runs(tmp_path, monkeypatch, lang):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute(delay=0.5))
    monkeypatch.setattr(run_module, "_HEARTBEAT_SECONDS", 0.1)
    lines: list[str] = []
    records = run(None, tmp_path / "out", lang=lang, only=["01", "05"], progress=lines.append)
    assert [r.notebook for r in records] == ["01_overview.ipynb", WORK_PLAN]
    start, notebook, running, beat, cell, finished = PROGRESS["en" if lang == "en" else "zh"]
    if lang == "both":  # the lines in Chinese, naming the language
        start = start.replace("（中文）", "（中英双语）")
    assert lines[0].startswith(start)
    first = notebook.format(i=1, name="01_overview.ipynb")
    second = notebook.format(i=2, name=WORK_PLAN)
    assert running.format(nb=first) in lines
    beats = [ln for ln in lines if ln.startswith(beat.format(nb=second))]
    assert beats and cell in beats[0]
    ends = [finished.format(nb=first), finished.format(nb=second)]
    done = [ln for ln in lines if ln.startswith(tuple(ends))]
    assert [d[: len(e)] for d, e in zip(done, ends, strict=True)] == ends
    assert lines[-1] == done[-1]  # the heartbeat stops with its notebook
    assert all(has_cjk(ln) == (lang != "en") for ln in lines)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_heartbeat_repeats_the_running_cells_last_progress_line_and_nothing_else(lang):
    import contextlib
    import io

    from lbc_eval.data.messages import render
    from lbc_eval.report.notebook import progress

    said: list[str] = []
    say = progress(lang)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        say("wild bootstrap, 999 draws")
        say("Callaway-Sant'Anna")
    cells = [
        nbformat.v4.new_markdown_cell("# Q1"),
        nbformat.v4.new_code_cell("fit()"),
    ]
    cells[1].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="school S-17: 12 children\n"),
        nbformat.v4.new_output("stream", name="stdout", text=buffer.getvalue()),
        nbformat.v4.new_output("stream", name="stdout", text="an ordinary line\n"),
    ]
    beat = run_module._Heartbeat(said.append, "nb", lang)
    beat.on_cell(1, cells)
    step = render(beat._step(), lang)
    assert step.endswith("Callaway-Sant'Anna")
    assert "wild bootstrap" not in step and "S-17" not in step and "ordinary" not in step
    beat.on_cell(0, cells)  # a cell that printed no progress line adds nothing
    assert beat._step() == ""


def tiny_notebook(folder, code="print('language', LANG)"):
    """A numbered notebook with the kit's parameters that imports nothing heavy."""
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('DATA = None\nOUT = None\nLANG = "zh"\nSEED = 0')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        nbformat.v4.new_markdown_cell("# Tiny"),
        params,
        nbformat.v4.new_code_cell(code),
    ]
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Py"}
    path = folder / "01_tiny.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize("curve", [True, False], ids=["curve", "ipc-fallback"])
def test_the_kernel_never_warns_about_plain_tcp(tmp_path, monkeypatch, capfd, curve):
    if curve and not run_module._curve_available():
        pytest.skip("CurveZMQ is not available here")
    monkeypatch.setattr(run_module, "_curve_available", lambda: curve)
    monkeypatch.setattr(run_module, "notebooks", lambda: [tiny_notebook(tmp_path)])
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    [record] = run(None, out, lang="en")
    printed = capfd.readouterr()
    assert TCP_WARNING not in printed.out + printed.err
    assert "without encryption" not in printed.out + printed.err
    assert "notebook 1/1: 01_tiny.ipynb done in" in printed.out
    nb = json.loads(record.executed.read_text(encoding="utf-8"))
    texts = ["".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", [])]
    assert "language en\n" in texts  # the kernel ran, with the injected parameters
    # no kernel socket or connection file is left behind, here or in the outputs
    leftovers = [p.name for p in tmp_path.rglob("*") if "kernel" in p.name]
    assert leftovers == []


def test_run_keeps_the_notebooks_folder_as_working_directory(tmp_path, fake_papermill):
    run(None, tmp_path / "out", lang="zh", only=["01"], progress=None)
    [(_, _, parameters, kwargs)] = fake_papermill.calls
    assert kwargs["cwd"] == str(NOTEBOOK_DIR)
    assert parameters["OUT"] == str((tmp_path / "out").resolve())
    assert parameters["LANG"] == "zh"


def test_a_failing_notebook_names_its_cell_and_the_saved_traceback(tmp_path, monkeypatch):
    code = "raise ValueError('the panel has no term 2024-1')"
    monkeypatch.setattr(run_module, "notebooks", lambda: [tiny_notebook(tmp_path, code)])
    lines: list[str] = []
    with pytest.raises(LbcEvalError) as info:
        run(None, tmp_path / "out", progress=lines.append)
    executed = tmp_path / "out" / "notebooks" / "01_tiny.ipynb"
    zh, en = said(info, "run.cell_failed")
    assert en == (
        "01_tiny.ipynb failed in cell [3] with ValueError: the panel has no term 2024-1; the "
        f"notebook with the whole traceback is {executed}"
    )
    assert zh == (
        "01_tiny.ipynb 在单元格 [3] 出错（ValueError）：the panel has no term 2024-1；含完整错误"
        f"回溯的笔记本是 {executed}"
    )
    assert "ValueError" in executed.read_text(encoding="utf-8")
    assert lines[-1] == "笔记本 1/1：01_tiny.ipynb 正在运行……"  # lang="zh", the default
