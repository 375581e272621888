"""``lbc-eval run``, ``lbc-eval brief`` and ``lbc-eval scan``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lbc_eval.cli.lang import lang_of, say, words
from lbc_eval.data.messages import msg
from lbc_eval.errors import LbcEvalError


def _scan_outputs(paths: list[Path], args: argparse.Namespace | None = None) -> None:
    """Refuse to finish when an output holds something that identifies a child (each finding,
    masked, and each unreadable file are listed first)."""
    from lbc_eval.publish.scan import scan

    report = scan(paths)
    if report.errors or not report.ok:
        for f in report.findings:
            print(f.line(), file=sys.stderr)
        for path, why in report.errors:
            print(words(args, "scan.error_line", path=path, why=why), file=sys.stderr)
        print(report.summary(lang_of(args)), file=sys.stderr)
        raise LbcEvalError(msg("cli.unsafe_outputs"))
    say(args, "cli.scanned", files=report.files)


def run_command(args: argparse.Namespace) -> int:
    """``lbc-eval run``: execute the notebooks into ``--out``/LANG, then the brief, then scan."""
    from lbc_eval.report.brief import brief, run

    out = _language_folder(args)
    records = run(
        args.data,
        out,
        lang=args.lang,
        seed=args.seed,
        only=args.notebooks,
        allow_inside_repo=args.allow_inside_repo,
    )
    path = None
    if not args.no_brief:
        say(args, "cli.brief_rendering", lang=args.lang)
        path = brief(out, lang=args.lang, data=args.data, seed=args.seed)
    _scan_outputs([out], args)
    total = sum(r.seconds for r in records)
    say(args, "cli.ran", notebooks=len(records), seconds=f"{total:.1f}", out=out)
    for r in records:
        seconds = words(args, "cli.seconds", seconds=f"{r.seconds:6.1f}")
        print(f"  {r.notebook:<28} {seconds}  {r.html}")
    if path is not None:
        _print_brief(path, args)
    return 0


def _print_brief(path: Path, args: argparse.Namespace | None = None) -> None:
    """The brief's HTML path and, beside it, its Word file."""
    say(args, "cli.brief", path=path)
    word = Path(path).with_suffix(".docx")
    if word.exists():
        say(args, "cli.brief_word", path=word)


def brief_command(args: argparse.Namespace) -> int:
    """``lbc-eval brief``: render the work-plan notebook of ``--out``/LANG as the brief, scan it."""
    from lbc_eval.report.brief import _check_cohort, brief

    if args.data:
        _check_cohort(Path(args.data))
    out = _language_folder(args)
    path = brief(out, lang=args.lang, data=args.data, seed=args.seed)
    _scan_outputs([out], args)
    _print_brief(path, args)
    return 0


def _language_folder(args: argparse.Namespace) -> Path:
    """``--out``/LANG: each language's notebooks, pages and brief have their own folder."""
    return Path(args.out) / args.lang


def scan_command(args: argparse.Namespace) -> int:
    """``lbc-eval scan`` without arguments: the scanner's usage (main() hands it the rest)."""
    from lbc_eval.publish.scan import main as scan_main

    return scan_main([])


def add_parsers(sub: Any) -> None:
    """Add ``run``, ``brief`` and ``scan`` to the sub-command parsers."""
    common = _common()
    _add_run(sub, common)
    _add_brief(sub, common)
    _add_scan(sub)


def _common() -> argparse.ArgumentParser:
    """The options ``run`` and ``brief`` share."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data",
        metavar="DIR",
        default=None,
        help="cohort folder (default: the shipped synthetic cohort)",
    )
    common.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="output folder; each language is written to its own subfolder, DIR/zh or DIR/en",
    )
    common.add_argument(
        "--lang",
        choices=["zh", "en", "both"],
        default="zh",
        help="language of labels, of the brief and of the messages (default: zh; with both, "
        "the messages are in Chinese)",
    )
    common.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    return common


def _add_run(sub: Any, common: argparse.ArgumentParser) -> None:
    run = sub.add_parser(
        "run",
        parents=[common],
        help="execute the notebooks on a cohort and write the brief",
        description="Execute every numbered notebook on a cohort with papermill, write the\n"
        "executed notebooks and a self-contained HTML page of each, render the evidence brief,\n"
        "and scan everything written for values that could identify a child.",
        epilog="outputs (one folder per language, so Chinese and English never overwrite each "
        "other):\n"
        "  DIR/LANG/notebooks/NN_*.ipynb   the executed notebooks\n"
        "  DIR/LANG/html/NN_*.html         each as a self-contained HTML page\n"
        "  DIR/LANG/brief_LANG.html        the evidence brief (unless --no-brief)\n"
        "  DIR/LANG/*.csv                  tables the notebooks export\n"
        "A line is printed as each notebook starts and ends, and every 30 s while one runs.\n"
        "\n"
        "examples:\n"
        "  lbc-eval run --out out/run                # shipped synthetic cohort, into out/run/zh\n"
        "  lbc-eval run --out out/run --lang en --notebooks 05     # English brief, out/run/en\n"
        "  lbc-eval run --data ~/lbc/cohort --out ~/lbc/run --lang en\n"
        "Outputs of real cohorts must be written outside the repository.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NN",
        help="only the notebooks whose names start with these (e.g. 01 04); an unknown one is "
        "an error that lists the notebooks",
    )
    run.add_argument("--no-brief", action="store_true", help="do not render the brief")
    run.add_argument(
        "--allow-inside-repo",
        action="store_true",
        help="allow a real cohort's outputs inside a git working tree",
    )
    run.set_defaults(run=run_command)


def _add_brief(sub: Any, common: argparse.ArgumentParser) -> None:
    brief = sub.add_parser(
        "brief",
        parents=[common],
        help="render the evidence brief (HTML, no code)",
        description="Render the work-plan notebook as a self-contained HTML brief without code\n"
        "(fonts embedded, no network), in Chinese or English, as DIR/LANG/brief_LANG.html;\n"
        "runs the notebook into DIR/LANG first if that folder does not hold it yet.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    brief.set_defaults(run=brief_command)


def _add_scan(sub: Any) -> None:
    scan = sub.add_parser(
        "scan",
        help="find IDs, phone numbers, student numbers and names in files",
        description="Scan notebooks, HTML, CSV, Excel and Parquet files for resident IDs,\n"
        "student numbers, phone numbers and listed names; exit 1 when any is found.\n"
        "lbc-eval scan --help lists its options.",
    )
    scan.set_defaults(run=scan_command)
