"""The command line, ``lbc-eval``: each command is one call into the library.

``lbc-eval synth``
    :func:`lbc_eval.simulate` a synthetic cohort, :meth:`~lbc_eval.Cohort.write` it, and
    optionally :func:`~lbc_eval.synth.export.export_school_files` the messy school files.
``lbc-eval codebook``
    :func:`lbc_eval.data.codebook.write_codebook` (and the knobs page of the generator).
``lbc-eval ingest``
    :func:`lbc_eval.ingest.ingest` the school files, :meth:`~lbc_eval.ingest.IngestResult.write`.
``lbc-eval template``
    :func:`lbc_eval.ingest.write_template`: the survey form for schools.
``lbc-eval run``
    :func:`lbc_eval.report.brief.run`: execute the notebooks on a cohort (executed notebooks, HTML)
    into ``--out``/LANG, one folder per language, then the brief.
``lbc-eval brief``
    :func:`lbc_eval.report.brief.brief`: the evidence brief (HTML without code, Chinese or English),
    ``--out``/LANG/brief_LANG.html.
``lbc-eval scan``
    :func:`lbc_eval.publish.scan.scan`: look for identifying values in files before they are shared.
``lbc-eval pilot assign | plan | analyse``
    :func:`lbc_eval.pilot.assign`, :func:`lbc_eval.pilot.plan`, :func:`lbc_eval.pilot.analyse`:
    randomise next year's pilot, register its analysis, analyse it as registered.

Every command takes ``--lang zh`` (the default) or ``--lang en``: the language of what it
prints and of the files it writes in words (:mod:`lbc_eval.cli.lang`). ``--help`` is in the
language of the command line too: Chinese, or English when it holds ``--lang en``
(:mod:`lbc_eval.cli.parser`). Errors the kit raises on purpose
(:class:`~lbc_eval.errors.LbcEvalError`) are printed as ``lbc-eval：错误：<message>``
(``lbc-eval: error: <message>`` with ``--lang en``) with exit status 2, like usage errors;
there is no traceback. Usage errors are argparse's, written in Chinese where the catalogue
knows the sentence (English with ``--lang en``).
Importing this module reads no file and imports none of the heavy modules: the commands import
what they need.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from lbc_eval._version import __version__
from lbc_eval.cli import ingest, pilot, report, synth
from lbc_eval.cli.lang import error_text, helps, lang_of
from lbc_eval.cli.parser import Parser, lang_of_argv
from lbc_eval.cli.synth import MADE_BY, parse_knob
from lbc_eval.data.messages import text
from lbc_eval.errors import LbcEvalError

PROG = "lbc-eval"
__all__ = ["MADE_BY", "PROG", "build_parser", "main", "parse_knob"]


def build_parser(lang: str = "zh") -> argparse.ArgumentParser:
    """The argument parser of ``lbc-eval`` and its sub-commands, its help in ``lang``.

    Parameters
    ----------
    lang : {"zh", "en"}
        The language of ``--help`` and of the usage errors (:mod:`lbc_eval.cli.parser`).

    Returns
    -------
    argparse.ArgumentParser
    """
    h = helps("", lang)
    parser = Parser.of(lang)(prog=PROG, description=h("description"))
    parser.add_argument(
        "--version", action="version", version=f"{PROG} {__version__}", help=h("version")
    )
    sub = parser.add_subparsers(
        title=h("commands"),
        dest="command",
        required=True,
        metavar="{synth,codebook,ingest,template,run,brief,scan,pilot}",
    )

    synth.add_parsers(sub, lang)
    ingest.add_parsers(sub, lang)
    report.add_parsers(sub, lang)
    pilot.add_parsers(sub, lang)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``lbc-eval`` with ``argv`` (default: the process's arguments).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after the program name.

    Returns
    -------
    int
        The exit status: 0 on success, 2 on a usage error or an error of the kit (printed as
        ``lbc-eval：错误：...`` on stderr, ``lbc-eval: error: ...`` with ``--lang en``), 1 when
        the operating system refuses a file, 130 when interrupted.

    Examples
    --------
    >>> main(["codebook", "--out", "docs"])  # doctest: +SKIP
    0
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    lang = lang_of_argv(argv)  # before parsing: argparse prints --help as soon as it sees it
    parser = build_parser(lang)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    lang = lang_of(args)
    try:
        return int(args.run(args))
    except LbcEvalError as exc:
        message = error_text(exc, lang)
        print(text("cli.error", lang, prog=PROG, message=message), file=sys.stderr)
        return 2
    except OSError as exc:
        message = error_text(exc, lang)
        print(text("cli.error", lang, prog=PROG, message=message), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(text("cli.interrupted", lang, prog=PROG), file=sys.stderr)
        return 130
