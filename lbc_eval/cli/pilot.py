"""``lbc-eval pilot assign | plan | analyse``: next year's pilot, from randomisation to analysis.

``assign``
    :func:`lbc_eval.pilot.school_table` of the cohort's baseline term,
    :func:`lbc_eval.icc_from_cohort` of the outcome (for the MDE) and
    :func:`lbc_eval.pilot.assign`; writes ``assignment.json``, ``assignment.csv`` and
    ``balance.csv``.
``plan``
    :func:`lbc_eval.pilot.plan` of an assignment folder; writes ``spec.json`` (with its hash)
    and the plan in Chinese and English (``plan_zh.md/.html/.docx``, ``plan_en.*``).
``analyse``
    :func:`lbc_eval.pilot.analyse` of the pilot year's cohort against ``spec.json``; writes
    ``itt.csv``, ``attrition.csv``, ``deviations.csv`` and ``diagnostics.csv``.

What they print, and their ``--help``, is Chinese by default (``--lang en`` for English).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from lbc_eval.cli.lang import add_lang, command, lang_of, say


def _note(args: argparse.Namespace, sentence: str) -> None:
    """A note of the pilot's functions (written in English below the report layer), in the
    command's language (:func:`lbc_eval.data.messages.translate`)."""
    from lbc_eval.data.messages import translate

    say(args, "cli.pilot_note", note=translate(sentence, lang_of(args)))


def _cohort(data: str | None) -> Any:
    from lbc_eval.data.cohort import example_cohort, read_cohort

    return example_cohort() if data is None else read_cohort(data)


def assign_command(args: argparse.Namespace) -> int:
    """``lbc-eval pilot assign``: randomise the cohort's schools and write the assignment."""
    import warnings

    from lbc_eval.pilot import assign, icc_from_cohort, school_table

    cohort = _cohort(args.data)
    table = school_table(cohort, term=args.term, outcomes=tuple(dict.fromkeys([args.outcome])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        split = icc_from_cohort(cohort, outcome=args.outcome, term=table.attrs["term"])
    strata = None if args.strata in ("none", "") else args.strata
    with warnings.catch_warnings(record=True) as caught:  # said below, in the command's language
        warnings.simplefilter("always")
        a = assign(
            table,
            seed=args.seed,
            strata=strata,
            treat_share=args.share,
            balance_on=args.balance_on,
            rerandomize=args.rerandomize,
            icc=split,
            max_mde=args.max_mde,
            allow_large_mde=args.allow_large_mde,
        )
    path = a.write(args.out)
    n = a.table["arm"].value_counts()
    c, t = int(n.get(a.arms[0], 0)), int(n.get(a.arms[1], 0))
    k = a.table["stratum"].nunique()
    worst = float(a.balance["std_diff"].abs().max()) if len(a.balance) else 0.0
    mde = a.power["mde"] if a.power else float("nan")
    say(args, "cli.pilot_assigned", schools=len(a.table), strata=k, control=c, treated=t,
        seed=a.seed)  # fmt: skip
    if a.rerandomize:
        r = a.rerandomize
        say(args, "cli.pilot_rerandomised", threshold=f"{r['threshold']:g}",
            tried=f"{r['tried']:,}")  # fmt: skip
    say(args, "cli.pilot_balance", worst=f"{worst:.3f}", outcome=args.outcome, mde=f"{mde:.3f}")
    for note in dict.fromkeys([*a.notes, *(str(w.message) for w in caught)]):
        _note(args, note)
    say(args, "cli.wrote", path=path)
    return 0


def plan_command(args: argparse.Namespace) -> int:
    """``lbc-eval pilot plan``: register the analysis of an assignment."""
    from lbc_eval.pilot import Assignment, icc_from_cohort, plan

    a = Assignment.read(args.assignment)
    icc = None
    if not a.power or a.power.get("outcome") != args.outcome:
        icc = icc_from_cohort(_cohort(args.data), outcome=args.outcome, term=a.baseline_term)
    spec = plan(
        a,
        outcome=args.outcome,
        effect_of_interest=args.effect,
        secondary=args.secondary or (),
        intervention=args.intervention,
        icc=icc,
        reps=args.reps,
        ri_reps=args.ri_reps,
        multiple_testing=args.method,
        out=args.out,
    )
    out = Path(args.out)
    say(args, "cli.pilot_registered", hash=spec.hash)
    p = spec.content["power"]
    say(args, "cli.pilot_power", mde=f"{p['mde']:.3f}", effect=f"{abs(args.effect):.3f}",
        power=f"{p['power_at_effect']:.0%}")  # fmt: skip
    for name in ("spec.json", "plan_zh.docx", "plan_en.docx"):
        say(args, "cli.wrote", path=out / name)
    return 0


def analyse_command(args: argparse.Namespace) -> int:
    """``lbc-eval pilot analyse``: the registered analysis of the pilot year."""
    import pandas as pd

    from lbc_eval.data.messages import COMMA, join, translate
    from lbc_eval.pilot import analyse

    delivered = pd.read_csv(args.delivered, dtype=str) if args.delivered else None
    res = analyse(_cohort(args.data), args.spec, registered_hash=args.hash, delivered=delivered)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    res.tidy().to_csv(out / "itt.csv", index=False)
    res.tables["attrition"].to_csv(out / "attrition.csv", index=False)
    res.tables["deviations"].to_csv(out / "deviations.csv", index=False)
    res.diagnostics.to_csv(out / "diagnostics.csv", index=False)
    for r in res.tidy().itertuples(index=False):
        say(args, "cli.pilot_itt", outcome=r.outcome, estimate=f"{r.estimate:.3f}",
            sd=f"{r.estimate_sd:.3f}", low=f"{r.conf_low:.3f}", high=f"{r.conf_high:.3f}",
            p=f"{r.p_value_ri:.3f}", p_adjusted=f"{r.p_adjusted:.3f}")  # fmt: skip
    att = res.diagnostic("attrition")
    message = translate(str(att["message"]), lang_of(args))
    if pd.isna(att["passed"]):
        say(args, "cli.pilot_note", note=message)
    else:
        rule = "within" if bool(att["passed"]) else "outside"
        say(args, f"cli.pilot_attrition_{rule}", message=message)
    dev = res.tables["deviations"]
    hit = dev[dev["deviation"].fillna(False).astype(bool)]
    if hit.empty:
        say(args, "cli.pilot_no_deviation")
    for r in hit.itertuples(index=False):
        say(args, "cli.pilot_deviation",
            message=r.message_en if lang_of(args) == "en" else r.message_zh)  # fmt: skip
    files = join(["itt.csv", "attrition.csv", "deviations.csv", "diagnostics.csv"], COMMA)
    say(args, "cli.pilot_wrote", out=out, files=files)
    return 0


def add_parsers(sub: Any, lang: str = "zh") -> None:
    """Add ``pilot`` and its sub-commands ``assign``, ``plan``, ``analyse``, their help in
    ``lang``."""
    pilot, h = command(sub, "pilot", lang)
    steps = pilot.add_subparsers(
        title=h("steps"), dest="step", required=True, metavar="{assign,plan,analyse}"
    )
    a, h = command(steps, "assign", lang, "pilot.assign")
    a.add_argument("--data", metavar="DIR", help=h("data"))
    a.add_argument("--seed", type=int, required=True, help=h("seed"))
    a.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    a.add_argument("--strata", default="township", help=h("strata"))
    a.add_argument("--share", type=float, default=0.5, help=h("share"))
    a.add_argument("--balance-on", nargs="+", metavar="COL", help=h("balance_on"))
    a.add_argument("--rerandomize", type=float, metavar="T", help=h("rerandomize"))
    a.add_argument("--max-mde", type=float, metavar="X", help=h("max_mde"))
    a.add_argument("--allow-large-mde", action="store_true", help=h("allow_large_mde"))
    a.add_argument("--outcome", default="sdq_total", help=h("outcome"))
    a.add_argument("--term", help=h("term"))
    add_lang(a, lang)
    a.set_defaults(run=assign_command)
    p, h = command(steps, "plan", lang, "pilot.plan")
    p.add_argument("--assignment", required=True, metavar="DIR", help=h("assignment"))
    p.add_argument("--outcome", default="sdq_total", help=h("outcome"))
    p.add_argument("--effect", type=float, required=True, help=h("effect"))
    p.add_argument("--secondary", nargs="+", metavar="OUTCOME", help=h("secondary"))
    p.add_argument("--intervention", default=None, help=h("intervention"))
    p.add_argument("--method", choices=["holm", "romano-wolf"], default="holm", help=h("method"))
    p.add_argument("--reps", type=int, default=9999, help=h("reps"))
    p.add_argument("--ri-reps", type=int, default=2000, help=h("ri_reps"))
    p.add_argument("--data", metavar="DIR", help=h("data"))
    p.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    add_lang(p, lang)
    p.set_defaults(run=plan_command)
    z, h = command(steps, "analyse", lang, "pilot.analyse")
    z.add_argument("--data", metavar="DIR", help=h("data"))
    z.add_argument("--spec", required=True, metavar="FILE", help=h("spec"))
    z.add_argument("--out", required=True, metavar="DIR", help=h("out"))
    z.add_argument("--hash", help=h("hash"))
    z.add_argument("--delivered", metavar="CSV", help=h("delivered"))
    add_lang(z, lang)
    z.set_defaults(run=analyse_command)
