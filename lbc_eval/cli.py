"""The command line, ``lbc-eval``: each command is one call into the library.

``lbc-eval synth``
    :func:`lbc_eval.simulate` a synthetic cohort, :meth:`~lbc_eval.Cohort.write` it, and
    optionally :meth:`~lbc_eval.Cohort.export_school_files` the messy school files.
``lbc-eval codebook``
    :func:`lbc_eval.schema.write_codebook` (and the knobs page of the generator).
``lbc-eval ingest``
    :func:`lbc_eval.ingest.ingest` the school files, :meth:`~lbc_eval.ingest.IngestResult.write`.
``lbc-eval template``
    :func:`lbc_eval.ingest.write_template`: the survey form for schools.

Errors the kit raises on purpose (:class:`~lbc_eval.errors.LbcEvalError`) are printed as
``lbc-eval: error: <message>`` with exit status 2, like usage errors; there is no traceback.
Importing this module reads no file and imports none of the heavy modules: the commands import
what they need.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import CohortFormatError, LbcEvalError, SpecError
from .spec import SynthSpec

PROG = "lbc-eval"
#: Name of the file in a cohort folder that records the command that made it.
MADE_BY = "made_by.txt"
#: Default folder, inside the cohort folder, of ``--messy`` without a folder.
SCHOOL_FILES = "school_files"
#: Placeholder for the output folder in ``made_by.txt`` (so that the file, like the tables,
#: is the same wherever the cohort is written).
OUT_PLACEHOLDER = "OUT"

_DEFAULT_MESSY = ""  # argparse const of a bare --messy


# --- knobs ------------------------------------------------------------------------------------


def parse_knob(text: str) -> tuple[str, Any]:
    """Parse one ``--set KNOB=VALUE`` into the knob's name and a value of the knob's type.

    Parameters
    ----------
    text : str
        ``KNOB=VALUE``; a tuple knob takes comma-separated numbers, e.g.
        ``gap_math=-0.02,-0.02,-0.15``.

    Returns
    -------
    name : str
        The knob, a field of :class:`~lbc_eval.SynthSpec`.
    value : int, float or tuple of float
        An ``int`` for whole-number knobs, a ``float`` for the others, a tuple of floats of the
        default's length for tuple knobs. Ranges are checked by :class:`~lbc_eval.SynthSpec`.

    Raises
    ------
    SpecError
        If the text is not ``KNOB=VALUE``, the knob is unknown (the message lists close
        matches), ``seed`` is set this way, or the value is not a number of the right kind.

    Examples
    --------
    >>> parse_knob("n_children=300")
    ('n_children', 300)
    >>> parse_knob("gap_math=-0.02,-0.02,-0.15")
    ('gap_math', (-0.02, -0.02, -0.15))
    """
    name, sep, raw = text.partition("=")
    name, raw = name.strip(), raw.strip()
    if not sep or not name:
        raise SpecError("--set", f"{text!r} is not of the form KNOB=VALUE, e.g. n_children=300")
    knobs = {k["name"]: k for k in SynthSpec.knobs()}
    if name == "seed":
        raise SpecError("seed", "give the seed with --seed N, not with --set")
    if name not in knobs:
        import difflib

        close = difflib.get_close_matches(name, [k for k in knobs if k != "seed"], n=4, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(close)}?"
            if close
            else "the knobs are " + ", ".join(k for k in knobs if k != "seed")
        )
        raise SpecError(name, f"unknown knob; {hint}")
    default = knobs[name]["default"]
    if isinstance(default, tuple):
        parts = raw.split(",")
        if len(parts) != len(default):
            raise SpecError(
                name,
                f"{raw!r} has {len(parts)} value(s); give {len(default)} comma-separated numbers "
                f"(father, mother, both), e.g. {name}={','.join(str(v) for v in default)}",
            )
        return name, tuple(_number(name, p, whole=False) for p in parts)
    return name, _number(name, raw, whole=isinstance(default, int))


def _number(name: str, raw: str, *, whole: bool) -> int | float:
    raw = raw.strip()
    if whole:
        try:
            return int(raw)
        except ValueError:
            pass
    try:
        value = float(raw)
    except ValueError:
        raise SpecError(name, f"{raw!r} is not a number") from None
    if whole:
        if not value.is_integer():
            raise SpecError(name, f"{raw!r} must be a whole number")
        return int(value)
    return value


def _format_value(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(_format_value(v) for v in value)
    return repr(value) if isinstance(value, float) else str(value)


# --- commands ---------------------------------------------------------------------------------


def synth_command(args: argparse.Namespace) -> int:
    """``lbc-eval synth``: simulate, write, optionally export the school files, summarise.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``synth`` sub-command.

    Returns
    -------
    int
        0 on success.
    """
    knobs: dict[str, Any] = {}
    for text in args.set or ():
        name, value = parse_knob(text)
        knobs[name] = value
    spec = SynthSpec.preset(args.preset, seed=args.seed, **knobs)  # validates every knob
    out = Path(args.out)
    _check_out(out)
    messy = None
    if args.messy is not None:
        messy = out / SCHOOL_FILES if args.messy == _DEFAULT_MESSY else Path(args.messy)
        if messy.resolve() == out.resolve():
            raise SpecError(
                "--messy",
                f"{messy} is the cohort folder itself; give another "
                f"folder or none (default: {out / SCHOOL_FILES})",
            )

    from .synth import simulate

    t0 = time.perf_counter()
    cohort = simulate(spec, progress=not args.quiet)
    t1 = time.perf_counter()
    cohort.write(out, format=args.format)
    command = synth_command_line(args, knobs)
    made_by = (
        f"# lbc_eval {__version__} made this folder with the command below; run it with OUT set\n"
        f"# to a new folder to get the same files (`diff -r` shows no difference).\n"
        f"{synth_command_line(args, knobs, out=OUT_PLACEHOLDER)}\n"
    )
    (out / MADE_BY).write_text(made_by, encoding="utf-8")
    t2 = time.perf_counter()
    files: list[Path] = []
    if messy is not None:
        files = cohort.export_school_files(messy, seed=args.seed, progress=not args.quiet)
    t3 = time.perf_counter()

    summary = cohort.summary()
    width = int(summary["figure"].str.len().max())
    for figure, value in summary.itertuples(index=False):
        print(f"{figure:<{width}}  {value}")
    print()
    print(f"cohort:       {out} ({args.format})")
    if messy is not None:
        print(f"school files: {messy} ({len(files)} files)")
    elif (out / SCHOOL_FILES).exists():
        print(
            f"note: {out / SCHOOL_FILES} is left from an earlier run; it does not match this cohort"
        )
    timing = f"simulate {t1 - t0:.1f} s, write {t2 - t1:.1f} s"
    if messy is not None:
        timing += f", school files {t3 - t2:.1f} s"
    print(f"took {t3 - t0:.1f} s ({timing})")
    print(f"reproduce:    {command}")
    return 0


def synth_command_line(
    args: argparse.Namespace, knobs: dict[str, Any], *, out: str | None = None
) -> str:
    """The canonical ``lbc-eval synth`` command line that makes the same cohort.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``synth`` sub-command.
    knobs : dict
        The parsed ``--set`` knobs, in the order given (a knob set twice keeps its last value).
    out : str, optional
        Written in place of ``args.out`` (``made_by.txt`` uses a placeholder so that it does not
        depend on where the cohort was written).

    Returns
    -------
    str
        Every option explicit (``--format`` too), ``--quiet`` left out since it changes no
        output.
    """
    words = [
        "lbc-eval",
        "synth",
        "--preset",
        args.preset,
        "--seed",
        str(args.seed),
        "--format",
        args.format,
    ]
    for name, value in knobs.items():
        words += ["--set", f"{name}={_format_value(value)}"]
    if args.messy is not None:
        default = args.messy == _DEFAULT_MESSY or Path(args.messy) == Path(args.out) / SCHOOL_FILES
        words += ["--messy"] if default else ["--messy", str(args.messy)]
    quoted = " ".join(shlex.quote(w) for w in words)
    return f"{quoted} --out {out if out is not None else shlex.quote(str(args.out))}"


def _check_out(out: Path) -> None:
    """Fail before simulating (minutes at province scale) if ``write`` would refuse ``out``."""
    if out.exists() and not out.is_dir():
        raise CohortFormatError(f"{out} exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / "cohort.json").exists():
        raise CohortFormatError(
            f"{out} is not empty and holds no cohort; choose an empty or new folder"
        )


def codebook_command(args: argparse.Namespace) -> int:
    """``lbc-eval codebook``: write ``codebook.csv``, ``codebook.md`` and ``knobs.md``.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``codebook`` sub-command.

    Returns
    -------
    int
        0 on success.
    """
    from .schema import write_codebook

    out = Path(args.out)
    paths = [*write_codebook(out)]
    knobs = out / "knobs.md"
    knobs.write_text(SynthSpec.knobs_markdown(), encoding="utf-8")
    paths.append(knobs)
    for p in paths:
        print(f"wrote {p}")
    return 0


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
            raise SpecError(option, f"{v!r} is not FILE=VALUE (or one VALUE for every file)")
        out[name] = value
    return out


def ingest_command(args: argparse.Namespace) -> int:
    """``lbc-eval ingest``: read school files, write the cohort, quarantine, report, manifest.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments of the ``ingest`` sub-command.

    Returns
    -------
    int
        0 when the files were ingested (quarantined rows included: see the report).
    """
    from .ids import synthetic_key
    from .ingest import KEY_ENV, create_key, ingest, load_key
    from .ingest.keys import check_output

    out = Path(args.out)
    check_output(out, allow_inside_repo=args.allow_inside_repo)
    _check_out(out)
    if args.synthetic_seed is not None:
        if args.key_file or args.create_key:
            raise SpecError("--synthetic-seed", "give either --synthetic-seed or --key-file")
        key = synthetic_key(args.synthetic_seed)
        print(f"note: the public key of synthetic seed {args.synthetic_seed}: synthetic data only")
    else:
        if args.key_file and out.resolve() in Path(args.key_file).resolve().parents:
            raise SpecError("--key-file", "the key must not be kept inside the output folder")
        if args.create_key:
            if not args.key_file:
                raise SpecError("--create-key", "name the new key file with --key-file PATH")
            create_key(args.key_file, allow_inside_repo=args.allow_inside_repo)
            print(
                f"created key file {args.key_file} (mode 600): keep it safe and outside the "
                "repository; the same key gives the same pseudonyms next time"
            )
        key = load_key(args.key_file, allow_inside_repo=args.allow_inside_repo)
        if not args.key_file:
            print(f"using the key in ${KEY_ENV}")
    result = ingest(
        args.paths,
        key=key,
        school=_pairs(args.school, "--school"),
        term=_pairs(args.term, "--term"),
        engine=args.engine,
        on_invalid=args.on_invalid.replace("-", "_"),
        allow_synthetic_ids=not args.reject_synthetic_ids,
        progress=not args.quiet,
    )
    result.write(out, format=args.format, allow_inside_repo=args.allow_inside_repo)
    text = result.summary()
    print(text.split("\nfiles with quarantined rows")[0].rstrip())
    print()
    print(
        f"written to {out}: cohort ({args.format}), quarantine.csv, warnings.csv, report.csv, "
        "report.txt, manifest.json"
    )
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
    from .ingest import write_template

    path = write_template(args.out, school=args.school, term=args.term)
    print(f"wrote {path}")
    return 0


def _add_ingest_parsers(sub: Any) -> None:
    ingest = sub.add_parser(
        "ingest",
        help="ingest school workbooks into a pseudonymised cohort",
        description="Read the survey workbooks and CSVs schools hand in (and the bureau's\n"
        "training and destination tables), pseudonymise every child with a secret key, and\n"
        "write the cohort with quarantine.csv, warnings.csv, report.csv, report.txt and\n"
        "manifest.json. Every row read ends in the cohort or the quarantine.",
        epilog="examples:\n"
        "  lbc-eval ingest ~/records/2024 --out ~/lbc/cohort --key-file ~/lbc/key --create-key\n"
        "  lbc-eval ingest a.xlsx b.csv --out ~/lbc/c --key-file ~/lbc/key --school a.xlsx=S01\n"
        "  LBC_EVAL_KEY=... lbc-eval ingest ~/records --out ~/lbc/cohort\n"
        "  lbc-eval ingest out/s3/school_files --out /tmp/s3 --synthetic-seed 3\n"
        "Reason codes: docs/ingest.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ingest.add_argument("paths", nargs="+", metavar="FILES_OR_DIRS", help="files and folders")
    ingest.add_argument(
        "--out", required=True, metavar="DIR", help="output folder (outside any git working tree)"
    )
    ingest.add_argument(
        "--key-file", metavar="PATH", help="the secret key (hex, mode 600); else $LBC_EVAL_KEY"
    )
    ingest.add_argument(
        "--create-key",
        action="store_true",
        help="create the key file first (refuses to overwrite one)",
    )
    ingest.add_argument(
        "--synthetic-seed",
        type=int,
        metavar="N",
        help="use the public key of synthetic seed N (synthetic data only)",
    )
    ingest.add_argument(
        "--school",
        action="append",
        metavar="FILE=ID",
        help="school of a file without a 学校 column (repeatable; a bare ID applies to every file)",
    )
    ingest.add_argument(
        "--term",
        action="append",
        metavar="FILE=TERM",
        help="term (2024-1) of a file without a 学期 column (repeatable)",
    )
    ingest.add_argument(
        "--engine",
        choices=["calamine", "openpyxl"],
        default="calamine",
        help="xlsx reader (default: calamine)",
    )
    ingest.add_argument(
        "--on-invalid",
        choices=["quarantine", "set-missing"],
        default="quarantine",
        help="an unreadable optional value quarantines the row (default) or is "
        "set missing with a warning",
    )
    ingest.add_argument(
        "--format",
        choices=["parquet", "csv"],
        default="parquet",
        help="cohort table format (default: parquet)",
    )
    ingest.add_argument(
        "--allow-inside-repo",
        action="store_true",
        help="allow outputs and key inside a git working tree (synthetic data)",
    )
    ingest.add_argument(
        "--reject-synthetic-ids",
        action="store_true",
        help="treat the synthetic province code 99 as invalid",
    )
    ingest.add_argument("--quiet", action="store_true", help="no progress bar")
    ingest.set_defaults(run=ingest_command)

    template = sub.add_parser(
        "template",
        help="write the Excel survey form schools should fill in",
        description="Write the survey form: the codebook's Chinese headers, drop-down lists\n"
        "for categories, number checks for counts and an instructions sheet. Filled in as\n"
        "instructed, it ingests with no quarantined row.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    template.add_argument("--out", required=True, metavar="FILE.xlsx", help="file to write")
    template.add_argument("--school", metavar="ID", help="school code written into the form")
    template.add_argument("--term", metavar="TERM", help="term written into the form (2024-1)")
    template.set_defaults(run=template_command)


# --- parser -----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``lbc-eval`` and its sub-commands.

    Returns
    -------
    argparse.ArgumentParser
    """
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Evaluate support for rural left-behind children: synthetic cohorts with "
        "known truth, the codebook, and ingest of the records schools keep.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(
        title="commands", dest="command", required=True, metavar="{synth,codebook,ingest,template}"
    )

    synth = sub.add_parser(
        "synth",
        help="simulate a synthetic cohort and write it",
        description="Simulate a synthetic cohort with known truth (lbc_eval.simulate), write it\n"
        "to a folder (Parquet partitioned by term, or CSV), and print its summary and the\n"
        f"command that reproduces it (also saved as {MADE_BY} in the folder).",
        epilog="examples:\n"
        "  lbc-eval synth --preset county --seed 3 --out out/county3\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --set n_children=500 "
        "--set gap_math=-0.02,-0.02,-0.15\n"
        "  lbc-eval synth --preset small --seed 3 --out out/s3 --messy\n"
        "The knobs, their ranges and sources: lbc_eval.SynthSpec.knobs() or docs/knobs.md.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    synth.add_argument(
        "--preset",
        required=True,
        choices=list(SynthSpec.PRESETS),
        help="size of the county: small (3,000 children), county (30,000), province (1,000,000)",
    )
    synth.add_argument(
        "--seed",
        required=True,
        type=int,
        metavar="N",
        help="random seed; the same command writes the same bytes",
    )
    synth.add_argument(
        "--out",
        required=True,
        metavar="DIR",
        help="cohort folder (created; a cohort already there is replaced)",
    )
    synth.add_argument(
        "--format",
        choices=["parquet", "csv"],
        default="parquet",
        help="table format (default: parquet)",
    )
    synth.add_argument(
        "--messy",
        nargs="?",
        const=_DEFAULT_MESSY,
        default=None,
        metavar="DIR",
        help="also write the cohort as the messy files schools hand in "
        f"(default folder: {SCHOOL_FILES}/ in the cohort folder)",
    )
    synth.add_argument(
        "--set",
        action="append",
        metavar="KNOB=VALUE",
        help="override a knob of the generator, e.g. --set n_children=300 or "
        "--set gap_math=-0.02,-0.02,-0.15 (repeatable)",
    )
    synth.add_argument("--quiet", action="store_true", help="no progress bars")
    synth.set_defaults(run=synth_command)

    codebook = sub.add_parser(
        "codebook",
        help="write the codebook (codebook.csv, codebook.md) and the knobs page",
        description="Write the codebook as codebook.csv (UTF-8 with BOM, for Excel) and "
        "codebook.md, and the generator's knobs as knobs.md (docs/ holds the committed copies: "
        "lbc-eval codebook --out docs).",
    )
    codebook.add_argument("--out", required=True, metavar="DIR", help="folder to write to")
    codebook.set_defaults(run=codebook_command)
    _add_ingest_parsers(sub)
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
        ``lbc-eval: error: ...`` on stderr), 1 when the operating system refuses a file, 130
        when interrupted.

    Examples
    --------
    >>> main(["codebook", "--out", "docs"])  # doctest: +SKIP
    0
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors (already printed)
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.run(args))
    except LbcEvalError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
