"""``--help`` and usage errors in the command's language: Chinese by default, English with
``--lang en`` (lbc_eval.cli.parser, the ``help.*`` and ``cli.usage_*`` catalogue entries)."""

from __future__ import annotations

import argparse
import re
import string

import pytest

from lbc_eval.cli import build_parser, main
from lbc_eval.cli.parser import lang_of_argv, usage_error, width, wrap
from lbc_eval.data import messages
from lbc_eval.data.messages import has_cjk, text


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Every command line ``lbc-eval [COMMAND [STEP]]`` of the parser, from the parser."""
    yield path
    for action in parser._actions:
        if isinstance(action.choices, dict):  # a sub-command's parsers
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


COMMANDS = list(_commands(build_parser("en")))
IDS = [" ".join(c) or "lbc-eval" for c in COMMANDS]

#: Three English words in a row: a sentence left in English.
ENGLISH = re.compile(r"[A-Za-z]+ [A-Za-z]+ [A-Za-z]+")
#: What stays as written in Chinese help: example command lines (up to a comment), code in
#: backticks, {choices}, option names, metavars (DIR, FILE=ID) and values, file names and codes
#: (anything with _ . / = $ ~ < > or a digit in it).
_CODE = [
    re.compile(r"(?m)^\s+(LBC_EVAL_KEY=\S+ )?lbc-eval [^#\n]*"),
    re.compile(r"`[^`]*`"),
    re.compile(r"\{[^}]*\}"),
    re.compile(r"(?<!\w)--?[a-z][a-z-]*"),
    re.compile(r"\b[A-Z][A-Z_]+(=[A-Z_]+)?\b"),
    re.compile(r"\S*[_./=$~<>\d]\S*"),
]


def _prose(help_: str) -> str:
    """The help without its usage (the first paragraph) and without code, names and values."""
    body = help_.split("\n\n", 1)[1]
    for pattern in _CODE:
        body = pattern.sub(" ", body)
    return body


def _help(capsys, argv):
    code = main(argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_help_is_chinese_by_default(capsys, command):
    out = _help(capsys, [*command, "--help"])
    assert out.startswith("用法：lbc-eval") and has_cjk(out)
    assert "选项：" in out and "显示此帮助并退出" in out
    for english in ("usage:", "options:", "positional arguments:", "show this help"):
        assert english not in out
    left = ENGLISH.findall(_prose(out))
    assert not left, f"English left in `lbc-eval {' '.join(command)} --help`: {left}"


def _parsers(parser):
    yield parser
    for action in parser._actions:
        if isinstance(action.choices, dict):
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_help_description_and_title_is_chinese():
    """Each text of each parser, one by one: a single help= left in English (even one or two
    words, which the check of three English words lets through) fails here."""
    english = []
    for parser in _parsers(build_parser("zh")):
        texts = [parser.description, parser.epilog, *(g.title for g in parser._action_groups)]
        for action in parser._actions:
            texts.append(action.help)
            texts += [a.help for a in getattr(action, "_choices_actions", ())]
        shown = [t for t in texts if t and t != argparse.SUPPRESS]
        english += [(parser.prog, t) for t in shown if not has_cjk(t)]
    assert not english


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_the_english_help_would_fail_the_chinese_check(capsys, command):
    """The check above can fail: the English help (what --help printed before) trips it."""
    out = _help(capsys, [*command, "--help", "--lang", "en"])
    assert out.startswith("usage: lbc-eval") and "show this help message and exit" in out
    assert ENGLISH.search(_prose(out)), out


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        ([], "Evaluate support for rural left-behind children: synthetic cohorts with known"),
        ([], "simulate a synthetic cohort and write it"),
        (["synth"], "random seed; the same command writes the same bytes"),
        (["synth"], "The knobs, their ranges and sources: lbc_eval.SynthSpec.knobs()"),
        (["ingest"], "treat the synthetic province code 99 as invalid"),
        (["ingest"], "language of the messages, of report.txt and of the quarantine and"),
        (["run"], "DIR/LANG/notebooks/NN_*.ipynb   the executed notebooks"),
        (["scan"], "also report synthetic IDs (province code 99)"),
        (["pilot"], "steps:\n  {assign,plan,analyse}"),
        (["pilot", "assign"], "re-randomise until every |standardised difference| <= T"),
        (["pilot", "plan"], "randomisation-inference draws"),
        (["pilot", "analyse"], "the hash published at registration"),
    ],
)
@pytest.mark.parametrize("lang", [["--lang", "en"], ["--lang=en"]], ids=["space", "equals"])
def test_help_is_english_with_lang_en(capsys, argv, said, lang):
    out = _help(capsys, [*argv, "--help", *lang])  # read before argparse acts on --help
    assert out.startswith("usage: lbc-eval") and "options:" in out
    assert said in " ".join(out.split()) or said in out
    assert "用法" not in out and "显示此帮助" not in out


def test_lang_before_help_counts_too(capsys):
    assert _help(capsys, ["synth", "--lang", "en", "-h"]).startswith("usage: lbc-eval synth")
    assert _help(capsys, ["pilot", "plan", "--lang=en", "-h"]).startswith("usage: lbc-eval")


def test_scan_runs_after_its_chinese_parse(capsys, tmp_path):
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    assert main(["scan", str(tmp_path), "--quiet"]) == 0
    assert has_cjk(capsys.readouterr().out)


# --- usage errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "zh", "en"),
    [
        (
            ["synth", "--preset", "small"],
            "lbc-eval synth：错误：缺少必需的参数：--seed、--out",
            "lbc-eval synth: error: the following arguments are required: --seed, --out",
        ),
        (
            ["synth", "--preset", "nope", "--seed", "1", "--out", "x"],
            "lbc-eval synth：错误：参数 --preset：'nope' 不是允许的取值"
            "（可选值：'small'、'county'、'province'、'national'）",
            "lbc-eval synth: error: argument --preset: invalid choice: 'nope' "
            "(choose from 'small', 'county', 'province', 'national')",
        ),
        (
            ["codebook", "--out", "x", "--bogus", "1"],
            "lbc-eval：错误：无法识别的参数：--bogus 1",
            "lbc-eval: error: unrecognized arguments: --bogus 1",
        ),
        (
            ["synth", "--preset", "small", "--out", "x", "--seed"],
            "lbc-eval synth：错误：参数 --seed：需要给出一个值",
            "lbc-eval synth: error: argument --seed: expected one argument",
        ),
        (
            ["synth", "--preset", "small", "--out", "x", "--seed", "x"],
            "lbc-eval synth：错误：参数 --seed：'x' 不是有效的整数",
            "lbc-eval synth: error: argument --seed: invalid int value: 'x'",
        ),
        (
            ["pilot", "assign", "--seed", "1", "--out", "x", "--share", "half"],
            "lbc-eval pilot assign：错误：参数 --share：'half' 不是有效的数字",
            "lbc-eval pilot assign: error: argument --share: invalid float value: 'half'",
        ),
        (
            ["scan"],
            "lbc-eval scan：错误：缺少必需的参数：paths",
            "lbc-eval scan: error: the following arguments are required: paths",
        ),
    ],
    ids=["required", "choice", "unknown-option", "one-argument", "int", "float", "scan"],
)
def test_usage_errors_are_in_the_commands_language(capsys, argv, zh, en):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("用法：lbc-eval") and err.splitlines()[-1] == zh
    assert main([*argv, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: lbc-eval") and err.splitlines()[-1] == en


def test_an_unknown_usage_error_stays_as_argparse_wrote_it():
    assert usage_error("something argparse may say one day") == "something argparse may say one day"
    assert usage_error("argument --x: something new") == "argument --x: something new"
    assert usage_error("argument --a: not allowed with argument --b") == (
        "参数 --a：不能与参数 --b 同时使用"
    )
    assert usage_error("ambiguous option: --s could match --seed, --set") == (
        "选项 --s 有歧义，可能是 --seed、--set"
    )


USAGE = sorted(c for c in messages.catalogue() if c.startswith("cli.usage_"))


@pytest.mark.parametrize("code", USAGE)
def test_each_argparse_sentence_reads_back_into_its_chinese(code):
    """The English of a ``cli.usage_*`` entry is argparse's sentence: filled with tokens, it
    is written as the entry's Chinese with the same tokens."""
    _, en = messages.catalogue()[code]
    fields = [f for _, f, _, _ in string.Formatter().parse(en) if f]
    tokens = {f: f"Q{i}Q" for i, f in enumerate(fields)}
    if code == "cli.usage_argument":
        tokens["message"] = "expected one argument"
        assert usage_error(en.format(**tokens)) == text(
            code, "zh", name="Q0Q", message=text("cli.usage_one", "zh")
        )
        return
    said = usage_error(en.format(**tokens))
    if code == "cli.usage_type":
        tokens["type"] = " Q0Q 值"
    assert said == text(code, "zh", **tokens)


# --- the catalogue's help texts -----------------------------------------------------------------

HELP = sorted(c for c in messages.catalogue() if c.startswith("help."))
_PERCENT = re.compile(r"%\(\w+\)[sdr]|%%|%")


@pytest.mark.parametrize("code", HELP)
def test_help_texts_keep_argparses_placeholders(code):
    zh, en = messages.catalogue()[code]
    assert sorted(_PERCENT.findall(zh)) == sorted(_PERCENT.findall(en)), code
    assert "%" not in _PERCENT.sub("", zh.replace("%%", "")), code


#: The fields of help texts, as the commands fill them in.
HELP_FIELDS = {"made_by": "made_by.txt", "school_files": "school_files"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_help_text_is_shown(lang):
    """Every ``help.*`` entry is shown by some ``--help`` (none is left over)."""
    flat = "".join("".join(p.format_help() for p in _parsers(build_parser(lang))).split())
    left = [c for c in HELP if "".join(text(c, lang, **HELP_FIELDS).split()) not in flat]
    assert not left


# --- the pre-scan and the wrapping ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "lang"),
    [
        ([], "zh"),
        (["synth", "--help"], "zh"),
        (["synth", "--help", "--lang", "en"], "en"),
        (["--lang=en", "pilot", "assign", "-h"], "en"),
        (["run", "--lang", "both", "-h"], "zh"),
        (["run", "--lang", "en", "--lang", "fr"], "en"),
        (["synth", "--lang", "en", "--lang", "zh"], "zh"),
        (["scan", "--", "--lang", "en"], "zh"),
        (["synth", "--lang"], "zh"),
    ],
)
def test_the_language_is_read_before_parsing(argv, lang):
    assert lang_of_argv(argv) == lang


def test_chinese_is_wrapped_by_columns_and_not_before_closing_punctuation():
    paragraph = "队列规模：small（3,000 名儿童）、county（30,000）、province（1,000,000）" * 3
    lines = wrap(paragraph, 30)
    assert "".join(lines).replace(" ", "") == paragraph.replace(" ", "")
    assert all(width(line) <= 32 for line in lines)  # a closing mark may hang over
    assert not [line for line in lines if line[0] in "，。；：、）"]
    assert not [line for line in lines if line[-1] in "（“"]


@pytest.mark.parametrize("code", [c for c in HELP if "\n" in messages.catalogue()[c][0]])
def test_chinese_lines_kept_as_written_fit_an_80_column_terminal(code):
    """Descriptions and epilogs argparse does not wrap: each line of prose within 78 columns
    (example command lines are as long as the English ones)."""
    zh = text(code, "zh", **HELP_FIELDS)
    assert not [line for line in zh.splitlines() if width(line) > 78 and "lbc-eval" not in line]
