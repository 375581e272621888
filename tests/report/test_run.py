"""lbc_eval.report.brief.run: checks before any kernel starts, one language per folder,
progress lines, and a kernel that never talks plain TCP."""

from __future__ import annotations

import json
import time

import nbformat
import pytest

from lbc_eval.errors import LbcEvalError
from lbc_eval.report import brief as brief_module
from lbc_eval.report.brief import NOTEBOOK_DIR, WORK_PLAN, run

TCP_WARNING = "Kernel is running over TCP"


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
    monkeypatch.setattr(brief_module, "_font_face", lambda text: "")


@pytest.fixture
def fake_papermill(monkeypatch):
    import papermill

    execute = fake_execute()
    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return execute


def test_an_unknown_selection_lists_the_notebooks(tmp_path, fake_papermill):
    with pytest.raises(LbcEvalError) as info:
        run(None, tmp_path / "out", only=["09"], progress=None)
    message = str(info.value)
    assert "no notebook matches '09'" in message
    assert "01 (01_overview)" in message and "05 (05_work_plan)" in message
    assert not fake_papermill.calls and not (tmp_path / "out").exists()


def test_an_unknown_language_says_which_there_are(tmp_path, fake_papermill):
    with pytest.raises(LbcEvalError, match=r"unknown language 'fr': use zh .*, en .* or both"):
        run(None, tmp_path / "out", lang="fr", progress=None)
    assert not fake_papermill.calls


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p / "missing", "no cohort folder at {p}/missing: make one with `lbc-eval synth"),
        (lambda p: p, "no cohort at {p} (it holds no cohort.json): make one with"),
        (lambda p: _file(p / "notes.txt", "x"), "is a file, not a cohort folder"),
        (lambda p: _file(p / "cohort.json", "{}"), "is a file: give its folder, --data {p}"),
        (lambda p: _file(p / "c" / "cohort.json", "{").parent.parent, "did you mean --data {p}/c?"),
        (lambda p: _file(p / "cohort.json", "{").parent, "cannot be read: "),
    ],
    ids=["missing", "empty", "a-file", "cohort-json", "the-parent", "unreadable"],
)
def test_a_wrong_data_folder_says_what_to_do(tmp_path, fake_papermill, make, expected):
    data = tmp_path / "data"
    data.mkdir()
    with pytest.raises(LbcEvalError) as info:
        run(make(data), tmp_path / "out", progress=None)
    assert expected.format(p=data) in str(info.value)
    assert "Errno" not in str(info.value)
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
    with pytest.raises(LbcEvalError, match="holds notebooks run in 'zh'.*its own folder"):
        run(None, out, lang="en", only=["05"], progress=None)
    with pytest.raises(LbcEvalError, match="holds notebooks run in 'zh'"):
        brief_module.brief(out, lang="en", progress=None)  # would re-run 05 in English
    assert executed.read_bytes() == before
    assert len(fake_papermill.calls) == 1
    run(None, out, lang="zh", only=["05"], progress=None)  # the same language: run again
    assert len(fake_papermill.calls) == 2


def test_progress_names_each_notebook_and_beats_while_it_runs(tmp_path, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute(delay=0.5))
    monkeypatch.setattr(brief_module, "_HEARTBEAT_SECONDS", 0.1)
    lines: list[str] = []
    records = run(None, tmp_path / "out", lang="en", only=["01", "05"], progress=lines.append)
    assert [r.notebook for r in records] == ["01_overview.ipynb", WORK_PLAN]
    assert lines[0].startswith("running 2 notebook(s) in en on ")
    assert "notebook 1/2: 01_overview.ipynb running ..." in lines
    beats = [ln for ln in lines if ln.startswith("notebook 2/2: 05_work_plan.ipynb still running")]
    assert beats and "(cell 2 of " in beats[0]
    done = [ln for ln in lines if " done in " in ln]
    assert [d.split(" done")[0] for d in done] == [
        "notebook 1/2: 01_overview.ipynb",
        "notebook 2/2: 05_work_plan.ipynb",
    ]
    assert lines[-1] == done[-1]  # the heartbeat stops with its notebook


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
    if curve and not brief_module._curve_available():
        pytest.skip("CurveZMQ is not available here")
    monkeypatch.setattr(brief_module, "_curve_available", lambda: curve)
    monkeypatch.setattr(brief_module, "notebooks", lambda: [tiny_notebook(tmp_path)])
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
    monkeypatch.setattr(brief_module, "notebooks", lambda: [tiny_notebook(tmp_path, code)])
    lines: list[str] = []
    with pytest.raises(LbcEvalError) as info:
        run(None, tmp_path / "out", progress=lines.append)
    executed = tmp_path / "out" / "notebooks" / "01_tiny.ipynb"
    assert str(info.value) == (
        "01_tiny.ipynb failed in cell [3] with ValueError: the panel has no term 2024-1; the "
        f"notebook with the whole traceback is {executed}"
    )
    assert "ValueError" in executed.read_text(encoding="utf-8")
    assert lines[-1] == "notebook 1/1: 01_tiny.ipynb running ..."
