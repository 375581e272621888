"""The argument parser of ``lbc-eval`` in the command's language.

``--help`` is written in the language of the command line: Chinese by default, English when
it holds ``--lang en`` (:func:`lang_of_argv` reads it before the parser is built, since
argparse acts on ``-h`` as soon as it sees it). The help texts are catalogue entries
(``help.*``, :mod:`lbc_eval.data.messages_help`); in Chinese, argparse's own words are Chinese
too (用法：, 位置参数, 选项, 显示此帮助并退出; :class:`Parser`, :class:`HelpFormatter`), and so
are its usage errors (:func:`usage_error`, entries ``cli.usage_*``): an error argparse writes
that the catalogue does not know is shown as argparse wrote it. In English nothing differs
from argparse's own.
"""

from __future__ import annotations

import argparse
import functools
import re
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any, NoReturn

from lbc_eval.cli.lang import LANGS, help_text
from lbc_eval.data.messages import catalogue, template_pattern, text

#: argparse's usage prefix in Chinese.
USAGE_ZH = "用法："


def lang_of_argv(argv: Sequence[str]) -> str:
    """The language a command line asks for, read before it is parsed: ``en`` when it holds
    ``--lang en`` (or ``--lang=en``) anywhere and no ``--lang zh`` or ``--lang both`` after it
    (argparse keeps the last); else ``zh``. A value that is no language (``--lang fr``, a usage
    error) changes nothing."""
    lang = LANGS[0]
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = argv[i + 1] if arg == "--lang" and i + 1 < len(argv) else None
        if arg.startswith("--lang="):
            value = arg.partition("=")[2]
        if value in (*LANGS, "both"):
            lang = "zh" if value == "both" else value
    return lang


# --- formatting -----------------------------------------------------------------------------------


def width(s: str) -> int:
    """Columns ``s`` takes in a terminal (Chinese characters and full-width punctuation: two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)


#: What a line may not start with (closing punctuation) or end with (opening punctuation).
_NO_START = set("，。；：、）》”’！？")
_NO_END = set("（《“‘")
#: A wrapping unit: a run of spaces, a run of other non-wide characters, or one wide character.
_TOKEN = re.compile(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f“”‘’]+|.")


def wrap(paragraph: str, columns: int) -> list[str]:
    """``paragraph`` (whitespace collapsed) in lines of at most ``columns`` terminal columns:
    broken at spaces or between Chinese characters, never before closing or after opening
    full-width punctuation, a word longer than a line on its own line."""
    tokens = _TOKEN.findall(" ".join(paragraph.split()))
    lines: list[str] = []
    line = ""
    for i, tok in enumerate(tokens):
        if tok.isspace():
            if line:
                line += " "
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        need = width(tok) + (width(after) if after in _NO_START else 0)  # kept on this line
        if line and width(line) + need > columns and tok not in _NO_START:
            if len(line) > 1 and line[-1] in _NO_END:  # the opening mark goes with what follows
                tok, line = line[-1] + tok, line[:-1]
            lines.append(line.rstrip())
            line = ""
        line += tok
    if line.strip():
        lines.append(line.rstrip())
    return lines


#: A heading of the help (位置参数:, 选项:, 命令:), the colon argparse puts after it.
_HEADING = re.compile(r"(?m)^(\S[^\n]*[\u4e00-\u9fff]):$")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter in Chinese: 用法：, headings followed by a full-width colon, help
    texts wrapped by terminal columns."""

    def format_help(self) -> str:
        return _HEADING.sub("\\1：", super().format_help())

    def _format_usage(self, usage: Any, actions: Any, groups: Any, prefix: Any) -> str:
        if prefix is not None:
            return super()._format_usage(usage, actions, groups, prefix)
        # laid out behind a prefix as wide as 用法： so that wrapped lines align under it
        shown = super()._format_usage(usage, actions, groups, " " * width(USAGE_ZH))
        return USAGE_ZH + shown[width(USAGE_ZH) :]

    def _split_lines(self, text: str, width: int) -> list[str]:
        return wrap(text, width)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


class RawDescriptionHelpFormatter(argparse.RawDescriptionHelpFormatter, HelpFormatter):
    """:class:`HelpFormatter` that keeps the description's and the epilog's lines as written."""


_CHINESE_FORMATTERS: dict[type, type] = {
    argparse.HelpFormatter: HelpFormatter,
    argparse.RawDescriptionHelpFormatter: RawDescriptionHelpFormatter,
}


# --- the parser -----------------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """An argument parser whose help and usage errors are in its language (:attr:`lang`).

    ``Parser.of(lang)`` is the class of a language; the parsers of sub-commands are made of
    the same class. In English it is argparse's parser as it is.
    """

    lang: str = LANGS[0]

    @classmethod
    @functools.cache
    def of(cls, lang: str) -> type[Parser]:
        """The parser class of ``lang`` (``zh`` or ``en``)."""
        if lang not in LANGS:
            raise ValueError(f"no parser in {lang!r}")
        return type(f"Parser_{lang}", (cls,), {"lang": lang})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if self.lang == "zh":
            given = kwargs.get("formatter_class", argparse.HelpFormatter)
            kwargs["formatter_class"] = _CHINESE_FORMATTERS.get(given, given)
        super().__init__(*args, **kwargs)
        if self.lang == "zh":
            self._positionals.title = "位置参数"
            self._optionals.title = "选项"
        for action in self._actions:  # -h, --help (first, before the parents' options)
            if action.dest == "help" and "-h" in action.option_strings:
                action.help = help_text("help", self.lang)

    def error(self, message: str) -> NoReturn:
        """Print the usage and the error (in Chinese when the catalogue knows it); exit 2."""
        if self.lang == "en":
            super().error(message)
        self.print_usage(sys.stderr)
        self.exit(2, text("cli.error", "zh", prog=self.prog, message=usage_error(message)) + "\n")


# --- argparse's usage errors ----------------------------------------------------------------------


@functools.cache
def _error_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """argparse's error sentences (the English of the ``cli.usage_*`` entries) as patterns."""
    return tuple(
        (code, template_pattern(en)[0])
        for code, (_, en) in catalogue().items()
        if code.startswith("cli.usage_") and code != "cli.usage_argument"
    )


#: Fields that are lists argparse joins with ", " (written with 、 in Chinese).
_LISTS = {"names", "choices", "matches"}
#: argparse's names of the types of values, in Chinese.
_TYPES = {"int": "整数", "float": "数字"}


def usage_error(message: str) -> str:
    """An error argparse writes, in Chinese: ``argument --x: ...`` and the sentences of the
    catalogue's ``cli.usage_*`` entries (option names and values kept); any other sentence as
    argparse wrote it."""
    m = re.fullmatch(r"argument (?P<name>\S+?): (?P<rest>.+)", message, re.S)
    if m is not None:
        said = usage_error(m["rest"])
        if said == m["rest"]:  # not a sentence of the catalogue
            return message
        return text("cli.usage_argument", "zh", name=m["name"], message=said)
    for code, pattern in _error_patterns():
        found = pattern.fullmatch(message)
        if found is None:
            continue
        fields = found.groupdict()
        for name in _LISTS & fields.keys():
            fields[name] = fields[name].replace(", ", "、")
        if "type" in fields:
            fields["type"] = _TYPES.get(fields["type"], f" {fields['type']} 值")
        return text(code, "zh", **fields)
    return message
