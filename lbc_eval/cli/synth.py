"""``lbc-eval synth`` and ``lbc-eval codebook``."""

from __future__ import annotations

import argparse
import shlex
import time
from pathlib import Path
from typing import Any

from lbc_eval._version import __version__
from lbc_eval.cli.lang import add_lang, command, lang_of, say, words
from lbc_eval.data.messages import OR, join, msg
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
        raise SpecError("--set", msg("cli.knob_form", text=repr(text)))
    knobs = {k["name"]: k for k in SynthSpec.knobs()}
    if name == "seed":
        raise SpecError("seed", msg("cli.seed_in_set"))
    if name not in knobs:
        import difflib

        close = difflib.get_close_matches(name, [k for k in knobs if k != "seed"], n=4, cutoff=0.6)
        hint = (
            msg("cli.unknown_knob_close", close=join(close, OR))
            if close
            else msg("cli.unknown_knob", knobs=", ".join(k for k in knobs if k != "seed"))
        )
        raise SpecError(name, hint)
    default = knobs[name]["default"]
    if isinstance(default, tuple):
        parts = raw.split(",")
        if len(parts) != len(default):
            example = f"{name}={','.join(str(v) for v in default)}"
            raise SpecError(
                name,
                msg(
                    "cli.knob_values",
                    raw=repr(raw),
                    count=len(parts),
                    wanted=len(default),
                    example=example,
                ),
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
        raise SpecError(name, msg("cli.not_a_number", raw=repr(raw))) from None
    if whole:
        if not value.is_integer():
            raise SpecError(name, msg("cli.not_whole", raw=repr(raw)))
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
                "--messy", msg("cli.messy_is_out", messy=messy, default=out / SCHOOL_FILES)
            )

    if spec.n_provinces > 1:
        return _national(args, spec, knobs, out, messy)

    from lbc_eval.synth import simulate
    from lbc_eval.synth.export import export_school_files

    t0 = time.perf_counter()
    cohort = simulate(spec, progress=not args.quiet)
    t1 = time.perf_counter()
    cohort.write(out, format=args.format)
    command = synth_command_line(args, knobs)
    (out / MADE_BY).write_text(_made_by(args, knobs), encoding="utf-8")
    t2 = time.perf_counter()
    files: list[Path] = []
    if messy is not None:
        files = export_school_files(cohort, messy, seed=args.seed, progress=not args.quiet)
    t3 = time.perf_counter()

    _print_summary(cohort, args)
    print()
    say(args, "cli.synth_cohort", out=out, format=args.format)
    if messy is not None:
        say(args, "cli.synth_files", folder=messy, files=len(files))
    elif (out / SCHOOL_FILES).exists():
        say(args, "cli.synth_stale", folder=out / SCHOOL_FILES)
    more = "" if messy is None else words(args, "cli.synth_took_files", seconds=f"{t3 - t2:.1f}")
    say(
        args,
        "cli.synth_took",
        total=f"{t3 - t0:.1f}",
        simulate=f"{t1 - t0:.1f}",
        write=f"{t2 - t1:.1f}",
        files=more,
    )
    say(args, "cli.synth_reproduce", command=command)
    return 0


def _print_summary(cohort: Any, args: argparse.Namespace) -> None:
    """The cohort's summary table, each figure by its label in the command's language."""
    from lbc_eval.data.labels import value_label

    summary = cohort.summary()
    lang = lang_of(args)
    shown = [
        f"{words(args, 'cli.exits')}{value_label('exit_reason', f[7:], lang)}"
        if f.startswith("exits: ")
        else value_label("figure", f, lang)
        for f in summary["figure"]
    ]
    width = max(_width(f) for f in shown)
    for figure, value in zip(shown, summary["value"], strict=True):
        print(f"{figure}{' ' * (width - _width(figure))}  {value}")


def _width(text: str) -> int:
    """Columns a text takes in a terminal (Chinese characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _made_by(args: argparse.Namespace, knobs: dict[str, Any]) -> str:
    return (
        f"# lbc_eval {__version__} made this folder with the command below; run it with OUT set\n"
        f"# to a new folder to get the same files (`diff -r` shows no difference).\n"
        f"{synth_command_line(args, knobs, out=OUT_PLACEHOLDER)}\n"
    )


def _national(
    args: argparse.Namespace,
    spec: SynthSpec,
    knobs: dict[str, Any],
    out: Path,
    messy: Path | None,
) -> int:
    """``lbc-eval synth`` of a national spec: provinces streamed to disk, then a summary from
    ``cohort.json`` and ``truth.json`` (the panel is never in memory)."""
    if args.format != "parquet":
        raise SpecError(
            "--format", "a national cohort is written as Parquet only (partitioned by term "
            "and province); leave out --format or give --format parquet"
        )  # fmt: skip
    if messy is not None:
        raise SpecError(
            "--messy", "school files are written from a county or province cohort, not a "
            "national one; run lbc-eval synth --preset province --messy"
        )  # fmt: skip
    import json

    from lbc_eval.synth import write_national

    t0 = time.perf_counter()
    write_national(spec, out, progress=not args.quiet)
    (out / MADE_BY).write_text(_made_by(args, knobs), encoding="utf-8")
    took = time.perf_counter() - t0
    meta = json.loads((out / "cohort.json").read_text(encoding="utf-8"))
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    parts = truth["provinces"]
    rows = [
        ("provinces", f"{len(parts)} ({parts[0]['province']} .. {parts[-1]['province']})"),
        ("children", f"{sum(p['children'] for p in parts):,}"),
        ("child-terms", f"{meta['tables']['panel']:,}"),
        ("terms", f"{meta['terms'][0]} .. {meta['terms'][-1]} ({len(meta['terms'])})"),
        ("school-years", f"{meta['tables']['schools']:,}"),
        ("destinations", f"{meta['tables']['destinations']:,}"),
    ]
    width = max(len(k) for k, _ in rows)
    for figure, value in rows:
        print(f"{figure:<{width}}  {value}")
    print()
    print(f"cohort:       {out} (parquet, one file per term and province)")
    print(f"took {took:.1f} s ({meta['tables']['panel'] / took:,.0f} child-terms/s)")
    print(f"reproduce:    {synth_command_line(args, knobs)}")
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
        raise CohortFormatError(msg("cli.out_not_folder", out=out))
    if out.is_dir() and any(out.iterdir()) and not (out / "cohort.json").exists():
        raise CohortFormatError(msg("cli.out_not_cohort", out=out))


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
        say(args, "cli.wrote", path=p)
    return 0


def add_parsers(sub: Any, lang: str = "zh") -> None:
    """Add ``synth`` and ``codebook`` to the sub-command parsers, their help in ``lang``."""
    _add_synth(sub, lang)
    _add_codebook(sub, lang)


def _add_synth(sub: Any, lang: str) -> None:
    synth, h = command(sub, "synth", lang, epilog=True, params={"made_by": MADE_BY})
    synth.add_argument("--preset", required=True, choices=list(SynthSpec.PRESETS), help=h("preset"))
    synth.add_argument("--seed", required=True, type=int, metavar="N", help=h("seed"))
    synth.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    synth.add_argument("--format", choices=["parquet", "csv"], default="parquet", help=h("format"))
    synth.add_argument(
        "--messy",
        nargs="?",
        const=_DEFAULT_MESSY,
        default=None,
        metavar="DIR",
        help=h("messy", school_files=SCHOOL_FILES),
    )
    synth.add_argument("--set", action="append", metavar="KNOB=VALUE", help=h("set"))
    synth.add_argument("--quiet", action="store_true", help=h("quiet"))
    add_lang(synth, lang)
    synth.set_defaults(run=synth_command)


def _add_codebook(sub: Any, lang: str) -> None:
    codebook, h = command(sub, "codebook", lang, raw=False)
    codebook.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    add_lang(codebook, lang)
    codebook.set_defaults(run=codebook_command)
