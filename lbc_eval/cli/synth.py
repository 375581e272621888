"""``lbc-eval synth`` and ``lbc-eval codebook``."""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path
from typing import Any

from lbc_eval._version import __version__
from lbc_eval.errors import CohortFormatError, SpecError
from lbc_eval.synth.spec import SynthSpec

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
    check_out(out)
    messy = None
    if args.messy is not None:
        messy = out / SCHOOL_FILES if args.messy == _DEFAULT_MESSY else Path(args.messy)
        if messy.resolve() == out.resolve():
            raise SpecError(
                "--messy",
                f"{messy} is the cohort folder itself; give another "
                f"folder or none (default: {out / SCHOOL_FILES})",
            )

    from lbc_eval.synth import simulate
    from lbc_eval.synth.export import export_school_files

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
        files = export_school_files(cohort, messy, seed=args.seed, progress=not args.quiet)
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


def check_out(out: Path) -> None:
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
    from lbc_eval.data.codebook import write_codebook

    out = Path(args.out)
    paths = [*write_codebook(out)]
    knobs = out / "knobs.md"
    knobs.write_text(SynthSpec.knobs_markdown(), encoding="utf-8")
    paths.append(knobs)
    for p in paths:
        print(f"wrote {p}")
    return 0


def add_parsers(sub: Any) -> None:
    """Add ``synth`` and ``codebook`` to the sub-command parsers."""
    _add_synth(sub)
    _add_codebook(sub)


def _add_synth(sub: Any) -> None:
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


def _add_codebook(sub: Any) -> None:
    codebook = sub.add_parser(
        "codebook",
        help="write the codebook (codebook.csv, codebook.md) and the knobs page",
        description="Write the codebook as codebook.csv (UTF-8 with BOM, for Excel) and "
        "codebook.md, and the generator's knobs as knobs.md (docs/ holds the committed copies: "
        "lbc-eval codebook --out docs).",
    )
    codebook.add_argument("--out", required=True, metavar="DIR", help="folder to write to")
    codebook.set_defaults(run=codebook_command)
