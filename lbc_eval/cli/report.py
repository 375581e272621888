"""``lbc-eval run``, ``lbc-eval brief`` and ``lbc-eval scan``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lbc_eval.cli.lang import add_lang, command, helps, lang_of, say, words
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


def add_parsers(sub: Any, lang: str = "zh") -> None:
    """Add ``run``, ``brief`` and ``scan`` to the sub-command parsers, their help in ``lang``."""
    common = _common(lang)
    _add_run(sub, common, lang)
    _add_brief(sub, common, lang)
    _add_scan(sub, lang)


def _common(lang: str) -> argparse.ArgumentParser:
    """The options ``run`` and ``brief`` share."""
    h = helps("report", lang)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", metavar="DIR", default=None, help=h("data"))
    common.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    common.add_argument("--lang", choices=["zh", "en", "both"], default="zh", help=h("lang"))
    common.add_argument("--seed", type=int, default=0, help=h("seed"))
    return common


def _add_run(sub: Any, common: argparse.ArgumentParser, lang: str) -> None:
    run, h = command(sub, "run", lang, epilog=True, parents=[common])
    run.add_argument("--notebooks", nargs="+", metavar="NN", help=h("notebooks"))
    run.add_argument("--no-brief", action="store_true", help=h("no_brief"))
    run.add_argument("--allow-inside-repo", action="store_true", help=h("allow_inside_repo"))
    run.set_defaults(run=run_command)


def _add_brief(sub: Any, common: argparse.ArgumentParser, lang: str) -> None:
    brief, h = command(sub, "brief", lang, parents=[common])
    brief.set_defaults(run=brief_command)


def _add_scan(sub: Any, lang: str) -> None:
    """``scan``: :func:`scan_command`."""
    from lbc_eval.publish.scan import MAX_BYTES

    scan, h = command(sub, "scan", lang, raw=False)
    scan.add_argument("paths", nargs="+", help=h("paths"))
    scan.add_argument("--names", type=Path, help=h("names"))
    scan.add_argument("--include-synthetic", action="store_true", help=h("include_synthetic"))
    scan.add_argument("--allow", type=Path, help=h("allow"))
    scan.add_argument("--max-mb", type=int, default=MAX_BYTES // 2**20, help=h("max_mb"))
    scan.add_argument("--quiet", action="store_true", help=h("quiet"))
    add_lang(scan, lang)
    scan.set_defaults(run=scan_command)


def scan_command(args: argparse.Namespace) -> int:
    """``lbc-eval scan PATH... [--names FILE] [--include-synthetic] [--allow FILE]``:
    :func:`lbc_eval.publish.scan.scan`.

    Prints each finding (file, place, kind, masked value), what was skipped, and a summary in
    ``--lang`` (the findings themselves are language-free). Exit status 0 when nothing was
    found, 1 when something was, 2 when a file could not be read or the arguments are wrong
    (skipped files do not change it: they are listed).
    """
    from lbc_eval.publish.scan import scan

    lang = lang_of(args)
    try:
        names = _lines(args.names) if args.names else []
        allow = _lines(args.allow) if args.allow else []
    except OSError as err:
        print(words(args, "scan.cannot_read", path=err.filename, reason=err.strerror),
              file=sys.stderr)  # fmt: skip
        return 2
    report = scan(args.paths, names=names, include_synthetic=args.include_synthetic,
                  allow=allow, max_bytes=args.max_mb * 2**20)  # fmt: skip
    if not args.quiet:
        for f in report.findings:
            print(f.line())
        for path, why in report.skipped:
            print(words(args, "scan.skipped_line", path=path, why=why))
        for path, why in report.errors:
            print(words(args, "scan.error_line", path=path, why=why), file=sys.stderr)
    print(report.summary(lang))
    if report.errors:
        return 2
    return 1 if report.findings else 0


def _lines(path: Path) -> list[str]:
    """The non-blank lines of a UTF-8 file (a BOM allowed), stripped."""
    return [
        line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()
    ]
