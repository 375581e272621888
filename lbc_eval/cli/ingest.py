"""``lbc-eval ingest`` and ``lbc-eval template``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lbc_eval.cli.lang import add_lang, command, lang_of, say, words
from lbc_eval.cli.synth import check_out
from lbc_eval.data.messages import msg
from lbc_eval.errors import SpecError

# --- ingest and template ------------------------------------------------------------------------


def _pairs(values: list[str] | None, option: str) -> str | dict[str, str] | None:
    """``--school FILE=ID`` (repeatable) as a mapping, or one bare ``ID`` for every file."""
    if not values:
        return None
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    out = {}
    for v in values:
        name, sep, value = v.rpartition("=")
        if not sep or not name or not value:
            raise SpecError(option, msg("cli.not_pairs", value=repr(v)))
        out[name] = value
    return out


def _ingest_key(args: argparse.Namespace, out: Path) -> bytes:
    """The key of ``lbc-eval ingest``: the synthetic seed's, a new key file's, the key file's or
    ``$LBC_EVAL_KEY``'s; refused when ``out`` holds a cohort made with another key and
    ``--new-key`` is not given (checked before a new key file is made)."""
    from lbc_eval.data.ids import synthetic_key
    from lbc_eval.ingest import KEY_ENV, create_key, load_key
    from lbc_eval.ingest.keys import check_same_key, fingerprint, previous_fingerprint

    if args.synthetic_seed is not None:
        if args.key_file or args.create_key:
            raise SpecError("--synthetic-seed", msg("cli.seed_or_key"))
        key = synthetic_key(args.synthetic_seed)
        say(args, "cli.synthetic_key", seed=args.synthetic_seed)
    else:
        if args.key_file and out.resolve() in Path(args.key_file).resolve().parents:
            raise SpecError("--key-file", msg("cli.key_in_out"))
        if args.create_key:
            if not args.key_file:
                raise SpecError("--create-key", msg("cli.create_key_file"))
            before = None if args.new_key else previous_fingerprint(out)
            if before is not None:
                raise SpecError(
                    "--create-key", msg("cli.create_key_over_cohort", out=out, fingerprint=before)
                )
            create_key(args.key_file, allow_inside_repo=args.allow_inside_repo)
            say(args, "cli.created_key", path=args.key_file)
        key = load_key(args.key_file, allow_inside_repo=args.allow_inside_repo)
        if not args.key_file:
            say(args, "cli.key_from_env", env=KEY_ENV)
    check_same_key(out, fingerprint(key), new_key=args.new_key)
    if args.new_key:
        say(args, "cli.new_key", fingerprint=fingerprint(key))
    return key


def ingest_command(args: argparse.Namespace) -> int:
    """``lbc-eval ingest``: read school files, write the cohort, quarantine, report, manifest.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``ingest`` sub-command.

    Returns
    -------
    int
        0 when every file was read and the rows add up (quarantined rows included: see the
        report); 1 when a file could not be read or the rows do not add up (the outputs are
        written all the same).
    """
    from lbc_eval.ingest import ingest
    from lbc_eval.ingest.keys import check_output
    from lbc_eval.ingest.output import claim_output
    from lbc_eval.ingest.summary import report_head

    out = Path(args.out)
    check_output(out, allow_inside_repo=args.allow_inside_repo)
    # the whole run holds --out: refused inside an input folder or while another run holds it;
    # a run killed while moving its files is put back first
    with claim_output(out, args.paths):
        check_out(out)
        key = _ingest_key(args, out)
        result = ingest(
            args.paths,
            key=key,
            school=_pairs(args.school, "--school"),
            term=_pairs(args.term, "--term"),
            student_no_header=_pairs(args.student_no_header, "--student-no-header"),
            engine=args.engine,
            on_invalid=args.on_invalid.replace("-", "_"),
            allow_synthetic_ids=not args.reject_synthetic_ids,
            progress=not args.quiet,
            lang=lang_of(args),
        )
        result.write(
            out, format=args.format, allow_inside_repo=args.allow_inside_repo, new_key=args.new_key
        )
    print("\n".join(report_head(result.manifest, lang_of(args))).rstrip())
    print()
    say(args, "cli.ingest_written", out=out, format=args.format)
    not_read = sum(f["status"] == "failed" for f in result.manifest["files"])
    if not_read or not result.adds_up:
        adds_up = words(args, "report.yes" if result.adds_up else "report.no")
        say(args, "cli.ingest_failed", err=True, files=not_read, adds_up=adds_up)
        return 1
    return 0


def template_command(args: argparse.Namespace) -> int:
    """``lbc-eval template``: write the Excel survey form schools should fill in.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``template`` sub-command.

    Returns
    -------
    int
        0 on success.
    """
    from lbc_eval.ingest import write_template

    path = write_template(args.out, school=args.school, term=args.term)
    say(args, "cli.wrote", path=path)
    return 0


# --- parser -----------------------------------------------------------------------------------


#: The options of ``lbc-eval ingest`` after its paths: flag -> argparse keywords (the help is
#: ``help.ingest.<flag>``, e.g. ``help.ingest.key_file``).
_INGEST_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("--out", dict(required=True, metavar="DIR")),
    ("--key-file", dict(metavar="PATH")),
    ("--create-key", dict(action="store_true")),
    ("--synthetic-seed", dict(type=int, metavar="N")),
    ("--new-key", dict(action="store_true")),
    ("--school", dict(action="append", metavar="FILE=ID")),
    ("--term", dict(action="append", metavar="FILE=TERM")),
    ("--student-no-header", dict(action="append", metavar="FILE=HEADER")),
    ("--engine", dict(choices=["calamine", "openpyxl"], default="calamine")),
    ("--on-invalid", dict(choices=["quarantine", "set-missing"], default="quarantine")),
    ("--format", dict(choices=["parquet", "csv"], default="parquet")),
    ("--allow-inside-repo", dict(action="store_true")),
    ("--reject-synthetic-ids", dict(action="store_true")),
    ("--quiet", dict(action="store_true")),
]


def add_parsers(sub: Any, lang: str = "zh") -> None:
    """Add ``ingest`` and ``template`` to the sub-command parsers, their help in ``lang``."""
    _add_ingest(sub, lang)
    _add_template(sub, lang)


def _add_ingest(sub: Any, lang: str) -> None:
    ingest, h = command(sub, "ingest", lang, epilog=True)
    ingest.add_argument("paths", nargs="+", metavar="FILES_OR_DIRS", help=h("paths"))
    for flag, options in _INGEST_OPTIONS:
        ingest.add_argument(flag, **options, help=h(flag[2:].replace("-", "_")))
    add_lang(ingest, lang, "ingest.lang")
    ingest.set_defaults(run=ingest_command)


def _add_template(sub: Any, lang: str) -> None:
    template, h = command(sub, "template", lang)
    template.add_argument("--out", required=True, metavar="FILE.xlsx", help=h("out"))
    template.add_argument("--school", metavar="ID", help=h("school"))
    template.add_argument("--term", metavar="TERM", help=h("term"))
    add_lang(template, lang)
    template.set_defaults(run=template_command)
