"""The language of what ``lbc-eval`` prints: ``--lang zh`` (the default) or ``--lang en``.

Every command takes ``--lang``; errors, progress and summary lines are written from the kit's
catalogue (:mod:`lbc_eval.data.messages`, codes ``cli.*``), and so are the kit's own errors
raised below (:class:`~lbc_eval.data.messages.Text` messages). ``run`` and ``brief`` also take
``both`` (the notebooks and the brief in both languages); their lines are then in Chinese. The
``--help`` texts are catalogue entries too (codes ``help.*``, :func:`help_text`), in the language
the command line asks for (:mod:`lbc_eval.cli.parser`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping
from typing import Any

from lbc_eval.data.messages import Bi, Joined, Pair, Text, render, text, translate
from lbc_eval.errors import LbcEvalError, SpecError

#: The languages of the commands' messages, the default first.
LANGS: tuple[str, ...] = ("zh", "en")


def help_text(code: str, lang: str, **params: Any) -> str:
    """The help text ``help.<code>`` in ``lang`` (argparse's ``%(default)s`` kept as it is)."""
    return text(f"help.{code}", lang, **params)


def helps(command: str, lang: str) -> Callable[..., str]:
    """``h(option, **params)``: the help text ``help.<command>.<option>`` in ``lang``;
    ``h()`` is ``help.<command>``, what the list of commands says of it (``command`` empty:
    ``help.<option>``, the texts of ``lbc-eval`` itself)."""

    def h(option: str = "", /, **params: Any) -> str:
        return help_text(".".join(part for part in (command, option) if part), lang, **params)

    return h


def command(
    sub: Any,
    name: str,
    lang: str,
    key: str | None = None,
    *,
    raw: bool = True,
    epilog: bool = False,
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> tuple[argparse.ArgumentParser, Callable[..., str]]:
    """The sub-command ``name`` of ``sub`` with its help and description (``help.<key>`` and
    ``help.<key>.description``, filled with ``params``; ``epilog``: ``help.<key>.epilog``) in
    ``lang``, the description's lines kept as written (``raw``), and :func:`helps` of ``key``
    (default ``name``) for its options; ``kwargs`` go to ``add_parser``."""
    h = helps(key or name, lang)
    if raw:
        kwargs["formatter_class"] = argparse.RawDescriptionHelpFormatter
    if epilog:
        kwargs["epilog"] = h("epilog")
    parser = sub.add_parser(name, help=h(), description=h("description", **(params or {})),
                            **kwargs)  # fmt: skip
    return parser, h


def add_lang(parser: argparse.ArgumentParser, lang: str, code: str = "lang") -> None:
    """Add ``--lang {zh,en}`` (default ``zh``) to a command's parser, its help ``help.<code>``
    (what it sets) in ``lang``."""
    parser.add_argument(
        "--lang",
        choices=list(LANGS),
        default=LANGS[0],
        help=help_text(code, lang),
    )


def lang_of(args: argparse.Namespace | None) -> str:
    """The language of the messages of a command (``both`` and no ``--lang``: Chinese)."""
    lang = getattr(args, "lang", None)
    return lang if lang in LANGS else LANGS[0]


def say(args: argparse.Namespace | None, code: str, *, err: bool = False, **params: Any) -> None:
    """Print message ``code`` in the command's language (on stderr with ``err``)."""
    print(text(code, lang_of(args), **params), file=sys.stderr if err else sys.stdout, flush=True)


def words(args: argparse.Namespace | None, code: str, **params: Any) -> str:
    """Message ``code`` in the command's language."""
    return text(code, lang_of(args), **params)


def error_text(exc: BaseException, lang: str) -> str:
    """An error's message in ``lang``: the kit's catalogue messages in that language; an
    English sentence of the kit's functions (a :class:`~lbc_eval.errors.SpecError`'s message,
    or another error of the kit) read back and written in ``lang``
    (:func:`lbc_eval.data.messages.translate`); any other message as it is."""
    shown = (Text, Bi, Joined, Pair)
    if isinstance(exc, SpecError):
        message = getattr(exc, "message", None)
        if isinstance(message, shown):
            return f"{exc.field}{'：' if lang == 'zh' else ': '}{render(message, lang)}"
        said = translate(message, lang) if isinstance(message, str) and lang != "en" else None
        if said is not None and said != message:  # read back: in the catalogue's Chinese
            return f"{exc.field}：{said}"
    if len(exc.args) == 1 and isinstance(exc.args[0], shown):
        return render(exc.args[0], lang)
    if isinstance(exc, LbcEvalError) and not isinstance(exc, SpecError) and lang != "en":
        return translate(str(exc), lang)
    return str(exc)
