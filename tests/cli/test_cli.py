"""The command line: synth and codebook, clear errors with exit status 2, python -m lbc_eval."""

from __future__ import annotations

import filecmp
import subprocess
import sys

import nbformat
import pytest

from lbc_eval import __version__, read_cohort
from lbc_eval.cli import MADE_BY, main, parse_knob

SMALL = ["synth", "--preset", "small", "--seed", "5", "--set", "n_children=300", "--quiet"]


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return not mismatch and not errors and all(_same_tree(a / d, b / d) for d in cmp.common_dirs)


def test_synth_writes_a_readable_cohort_with_made_by(tmp_path, capsys):
    out = tmp_path / "c"
    assert main([*SMALL, "--out", str(out)]) == 0
    cohort = read_cohort(out)
    assert cohort.truth is not None
    assert cohort.truth["meta"]["spec"]["n_children"] == 300
    assert cohort.truth["meta"]["spec"]["seed"] == 5
    made_by = (out / MADE_BY).read_text(encoding="utf-8")
    command = (
        "lbc-eval synth --preset small --seed 5 --format parquet --set n_children=300 --out OUT"
    )
    assert command in made_by.splitlines()
    assert __version__ in made_by
    printed = capsys.readouterr().out
    assert "儿童学期数（人次）" in printed  # the summary table, labelled in Chinese
    assert str(out) in printed
    assert f"{command[:-3]}{out}" in printed  # the command, with the real folder


def test_synth_is_reproducible_from_made_by(tmp_path):
    # The README's check: the same command into another folder gives identical files,
    # made_by.txt included (it does not mention the folder).
    assert main([*SMALL, "--set", "gap_math=-0.02,-0.02,-0.15", "--out", str(tmp_path / "a")]) == 0
    line = (tmp_path / "a" / MADE_BY).read_text(encoding="utf-8").splitlines()[-1]
    argv = line.split()[1:]  # drop the program name
    argv[argv.index("OUT")] = str(tmp_path / "b")
    assert main([*argv, "--quiet"]) == 0
    assert _same_tree(tmp_path / "a", tmp_path / "b")


def test_synth_csv_and_tuple_knob(tmp_path):
    out = tmp_path / "c"
    argv = [*SMALL, "--format", "csv", "--set", "gap_math=-0.02,-0.02,-0.15", "--out", str(out)]
    assert main(argv) == 0
    assert (out / "panel.csv").exists()
    cohort = read_cohort(out)
    assert cohort.truth["meta"]["spec"]["gap_math"] == [-0.02, -0.02, -0.15]
    assert "--set gap_math=-0.02,-0.02,-0.15" in (out / MADE_BY).read_text(encoding="utf-8")


def test_synth_messy_writes_school_files(tmp_path, capsys):
    pytest.importorskip("lbc_eval.synth.export")
    out = tmp_path / "c"
    argv = [
        "synth",
        "--preset",
        "small",
        "--seed",
        "5",
        "--set",
        "n_children=60",
        "--quiet",
        "--out",
        str(out),
        "--messy",
    ]
    assert main(argv) == 0
    assert (out / "school_files" / "export_manifest.json").exists()
    assert any((out / "school_files").glob("*.xlsx"))
    assert "--messy --out OUT" in (out / MADE_BY).read_text(encoding="utf-8")
    assert "学校文件：" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--preset", "town"], "argument --preset: invalid choice: 'town'"),
        (["--set", "bogus=1"], "bogus: unknown knob"),
        (["--set", "n_chldren=300"], "did you mean n_children"),
        (["--set", "school_icc=2"], r"school_icc: 2.0 is outside the allowed range [0, 0.6]"),
        (["--set", "n_children=1.5"], "n_children: '1.5' must be a whole number"),
        (["--set", "share_talks=half"], "share_talks: 'half' is not a number"),
        (["--set", "gap_math=0.1,0.2"], "gap_math: '0.1,0.2' has 2 value(s); give 3"),
        (["--set", "n_children"], "is not of the form KNOB=VALUE"),
        (["--set", "seed=3"], "give the seed with --seed"),
        (["--seed", "-1"], "seed: -1 is outside the allowed range"),
    ],
)
def test_synth_errors_exit_2_with_a_clear_message(tmp_path, capsys, argv, message):
    base = {"--preset": "small", "--seed": "5", "--out": str(tmp_path / "c")}
    for flag in ("--preset", "--seed"):
        if flag in argv:
            base.pop(flag)
    full = ["synth", *[x for kv in base.items() for x in kv], *argv, "--quiet", "--lang", "en"]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "c").exists()  # nothing was written


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--set", "bogus=1"], "lbc-eval：错误：bogus：未知参数；可用的参数有 n_children"),
        (["--set", "n_chldren=300"], "n_chldren：未知参数；是不是 n_children？"),
        (["--set", "n_children=1.5"], "n_children：'1.5' 必须是整数"),
        (["--set", "gap_math=0.1,0.2"], "gap_math：'0.1,0.2' 有 2 个值；请给出 3 个"),
        (["--set", "seed=3"], "seed：请用 --seed N 给出种子"),
    ],
)
def test_synth_errors_are_in_chinese_by_default(tmp_path, capsys, argv, message):
    full = ["synth", "--preset", "small", "--seed", "5", "--out", str(tmp_path / "c"), *argv]
    assert main(full) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_synth_prints_in_the_language_asked(tmp_path, capsys):
    assert main([*SMALL, "--out", str(tmp_path / "en"), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "child-terms" in printed and "reproduce:" in printed and "儿童" not in printed
    assert main([*SMALL, "--out", str(tmp_path / "zh")]) == 0
    printed = capsys.readouterr().out
    assert "队列：" in printed and "复现命令：" in printed and "child-terms" not in printed
    made = [(tmp_path / k / MADE_BY).read_text(encoding="utf-8") for k in ("en", "zh")]
    assert made[0].replace("/en", "") == made[1].replace("/zh", "")  # the files do not change


def test_synth_refuses_a_foreign_folder_before_simulating(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main([*SMALL, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lbc-eval：错误：") and "其中也没有队列" in err
    assert (tmp_path / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("n_children=300", ("n_children", 300)),
        ("n_children=1e3", ("n_children", 1000)),
        (" training_effect = 0.05 ", ("training_effect", 0.05)),
        ("training_effect=0", ("training_effect", 0.0)),
        ("gap_math=-0.02,-0.02,-0.15", ("gap_math", (-0.02, -0.02, -0.15))),
        ("gap_sdq=0, 0 ,0.1", ("gap_sdq", (0.0, 0.0, 0.1))),
    ],
)
def test_parse_knob(text, expected):
    name, value = parse_knob(text)
    assert (name, value) == expected
    assert type(value) is type(expected[1])


def test_codebook_writes_csv_markdown_and_knobs(tmp_path, capsys):
    assert main(["codebook", "--out", str(tmp_path / "docs")]) == 0
    for name in ("codebook.csv", "codebook.md", "knobs.md"):
        assert (tmp_path / "docs" / name).stat().st_size > 0
    assert "学籍号" in (tmp_path / "docs" / "codebook.md").read_text(encoding="utf-8")
    assert "已写入" in capsys.readouterr().out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "用法：lbc-eval" in capsys.readouterr().err
    assert main(["--lang", "en"]) == 2
    assert "usage: lbc-eval" in capsys.readouterr().err


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"lbc-eval {__version__}"


@pytest.mark.parametrize(
    ("lang", "usage"), [([], "用法：lbc-eval"), (["--lang", "en"], "usage: lbc-eval")]
)
def test_python_m_lbc_eval_help(lang, usage):
    res = subprocess.run(
        [sys.executable, "-m", "lbc_eval", "--help", *lang],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith(usage)
    assert "synth" in res.stdout and "codebook" in res.stdout


def test_importing_the_cli_imports_no_command_modules():
    code = (
        "import sys, lbc_eval.cli; "
        "print(sorted(m for m in ('tqdm', 'openpyxl', 'lbc_eval.synth.export') "
        "if m in sys.modules))"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"


# --- lbc-eval run and brief ---------------------------------------------------------------------


@pytest.fixture
def fake_papermill(monkeypatch):
    """papermill.execute_notebook that injects the parameters and executes nothing, and pages
    without the embedded font (slow to subset, and not what these tests check)."""
    import papermill
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    from lbc_eval.report import pages

    monkeypatch.setattr(pages, "_font_face", lambda text: "")

    calls = []

    def execute(input_path, output_path, *, parameters, **kwargs):
        nb = parameterize_notebook(load_notebook_node(input_path), parameters)
        nbformat.write(nb, output_path)
        calls.append((input_path, output_path, parameters["LANG"]))
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--notebooks", "09"], "no notebook matches '09'; the notebooks are 01 (01_overview),"),
        (["--notebooks", "01", "7"], "no notebook matches '7'"),
        (
            ["--data", "{tmp}/nowhere"],
            "no cohort folder at {tmp}/nowhere: make one with "
            "`lbc-eval synth --preset small --seed 1 --out {tmp}/nowhere`",
        ),
        (["--data", "{tmp}"], "no cohort at {tmp} (it holds no cohort.json)"),
        (["--lang", "fr"], "argument --lang: invalid choice: 'fr' (choose from"),
    ],
    ids=["unknown-notebook", "one-unknown", "missing-data", "not-a-cohort", "unknown-lang"],
)
@pytest.mark.parametrize("command", ["run", "brief"])
def test_run_and_brief_refuse_bad_options_with_exit_2(
    tmp_path, capsys, fake_papermill, command, argv, message
):
    if command == "brief" and argv[0] == "--notebooks":
        pytest.skip("brief has no --notebooks")
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main([command, "--out", str(tmp_path / "out"), "--lang", "en", *argv]) == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err
    assert "Traceback" not in err and "Errno" not in err
    assert not fake_papermill and not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--notebooks", "09"],
            "lbc-eval：错误：没有与 '09' 对应的笔记本；现有的笔记本是 01（01_overview）、",
        ),
        (
            ["--data", "{tmp}/nowhere"],
            "lbc-eval：错误：{tmp}/nowhere 处没有队列文件夹：可用 "
            "`lbc-eval synth --preset small --seed 1 --out {tmp}/nowhere` 生成一个（合成数据）",
        ),
        (["--data", "{tmp}", "--lang", "both"], "{tmp} 中没有队列（其中没有 cohort.json）"),
    ],
    ids=["unknown-notebook", "missing-data", "both-languages"],
)
def test_run_errors_are_in_chinese_by_default(tmp_path, capsys, fake_papermill, argv, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["run", "--out", str(tmp_path / "out"), *argv]) == 2
    err = capsys.readouterr().err
    assert message.format(tmp=tmp_path) in err and "Traceback" not in err
    assert not fake_papermill and not (tmp_path / "out").exists()


def _lang_of(executed):
    nb = nbformat.read(executed, as_version=4)
    [cell] = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    return [ln for ln in cell.source.splitlines() if ln.startswith("LANG = ")][0]


def test_each_language_has_its_own_folder(tmp_path, capsys, fake_papermill):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--lang", "zh", "--notebooks", "01", "05"]) == 0
    zh = {p: p.read_bytes() for p in (out / "zh").rglob("*") if p.is_file()}
    assert main(["brief", "--out", str(out), "--lang", "en"]) == 0  # runs 05 in English first
    assert main(["run", "--out", str(out), "--lang", "en", "--notebooks", "05"]) == 0
    assert {p: p.read_bytes() for p in (out / "zh").rglob("*") if p.is_file()} == zh
    assert main(["brief", "--out", str(out), "--lang", "zh"]) == 0  # nothing to run again
    printed = capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == ["en", "zh"]
    for lang in ("zh", "en"):
        assert _lang_of(out / lang / "notebooks" / "05_work_plan.ipynb") == f'LANG = "{lang}"'
        assert (out / lang / "html" / "05_work_plan.html").exists()
        assert (out / lang / f"brief_{lang}.html").exists()
        said = {"zh": "简报：", "en": "brief: "}[lang]
        assert f"{said}{out / lang / f'brief_{lang}.html'}" in printed
    assert (out / "zh" / "notebooks" / "01_overview.ipynb").exists()
    assert not (out / "en" / "notebooks" / "01_overview.ipynb").exists()
    assert [lang for *_, lang in fake_papermill] == ["zh", "zh", "en", "en"]


@pytest.mark.parametrize(
    ("lang", "summary"),
    [("zh", "已扫描 1 个文件：发现 1 个电话号码"), ("en", "scanned 1 file(s): found 1 phone")],
)
def test_outputs_that_identify_a_child_are_listed_masked_and_refused(
    tmp_path, capsys, lang, summary
):
    import argparse

    from lbc_eval.cli.report import _scan_outputs
    from lbc_eval.errors import LbcEvalError

    phone = "".join(("139", "4321", "8765"))  # built at run time: no literal in the source
    (tmp_path / "table.csv").write_text(f"school,contact\nS01,{phone}\n", encoding="utf-8")
    with pytest.raises(LbcEvalError) as info:
        _scan_outputs([tmp_path], argparse.Namespace(lang=lang))
    assert info.value.args[0].code == "cli.unsafe_outputs"
    err = capsys.readouterr().err
    assert err.splitlines() == [f"{tmp_path / 'table.csv'}: line 2: phone 139********", summary]
    assert phone[3:] not in err


def test_run_help_describes_the_layout(capsys):
    assert main(["run", "--help"]) == 0
    printed = capsys.readouterr().out
    assert "DIR/LANG/notebooks/NN_*.ipynb" in printed and "DIR/LANG/brief_LANG.html" in printed


def test_a_real_run_reports_progress_and_no_kernel_warning(tmp_path, capfd):
    out = tmp_path / "run"
    assert main(["run", "--out", str(out), "--lang", "en", "--notebooks", "01", "--no-brief"]) == 0
    printed = capfd.readouterr()
    assert "Kernel is running over TCP" not in printed.out + printed.err
    assert "[IPKernelApp]" not in printed.err
    assert "notebook 1/1: 01_overview.ipynb running ..." in printed.out
    assert "notebook 1/1: 01_overview.ipynb done in " in printed.out
    assert "笔记本" not in printed.out  # --lang en: the lines in English
    executed = out / "en" / "notebooks" / "01_overview.ipynb"
    assert _lang_of(executed) == 'LANG = "en"'
    outputs = [o for c in nbformat.read(executed, as_version=4).cells for o in c.get("outputs", [])]
    assert outputs and not [o for o in outputs if o.get("output_type") == "error"]
