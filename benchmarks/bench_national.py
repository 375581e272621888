"""Benchmark the kit at national size: generation, then fit_fe + CRV1 and the CS simple ATT.

Usage::

    python benchmarks/bench_national.py [--out /tmp/lbc_national] [--seed 2026]
        [--provinces 4 7 14] [--province-cohort /tmp/lbc_province] [--memory-limit 4GB]
        [--threads 2] [--regenerate] [--generate-only] [--report OUT/results.json]

Every step runs in a fresh Python process, so each peak memory is that step's alone (the peak
resident set size, ``VmHWM`` of ``/proc/self/status``; not ``ru_maxrss``, which carries the
parent's peak across ``fork``):

1. **generate** ``SynthSpec.preset("national", seed=SEED)`` (14 provinces of 1,000,000
   children, about 107 million child-terms) with ``lbc_eval.synth.write_national`` into
   ``OUT/national`` (skipped when a complete cohort of that spec is there; its figures are
   kept in ``OUT/generate.json``; ``--regenerate`` makes it again);
2. **sizes**: the first 4 and 7 provinces as cohorts of their own
   (``lbc_eval.synth.national.first_provinces``: hard links, no copy), so that time can be
   read against rows;
3. **estimate** on each size, from the Parquet files with DuckDB
   (``read_cohort(path, engine="duckdb")``, ``--threads``, ``--memory-limit``):
   ``fe``: ``fit_fe`` of SDQ on the term's talks, home visits and parent contacts with child
   and term fixed effects, CRV1 by school (:data:`FE`; question Q1's within-child regression,
   contemporaneous); ``cs``: ``fit_policy(cohort, outcome="moved", reps=0)`` and its simple
   aggregation, the Callaway-Sant'Anna ATT of the enrolment policy on moving to live with
   the parents (question Q3), analytic standard errors clustered by destination;
4. **in memory**: the same two estimators on the province cohort (``--province-cohort``, 7.7
   million child-terms, generated if missing) read into pandas, against DuckDB on the same
   files: the ratio of the out-of-core path to the in-memory one.

Targets (printed beside the figures): on the national cohort, each estimator under 15 minutes
and under 6 GB of peak memory, on 2 cores and 24 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: fit_fe: SDQ on the term's talks, home visits and parent contacts, child and term fixed
#: effects, CRV1 by school (question Q1's within-child regression, contemporaneous)
FE = {
    "outcome": "sdq_total",
    "treatment": ["talks", "home_visits", "parent_contacts"],
    "unit": "student_id",
    "time": "term",
    "cluster": "school_id",
    "inference": "crv1",
}
FE_COLUMNS = ("student_id", "school_id", "talks", "home_visits", "parent_contacts", "sdq_total")
TARGET_S = 15 * 60.0
TARGET_MIB = 6 * 1000**3 / 2**20  # 6 GB
ESTIMATORS = ("fe", "cs")


def peak_mib() -> float:
    """Peak resident set size of this process, MiB (``VmHWM``)."""
    with open("/proc/self/status", encoding="ascii") as f:
        found = re.search(r"VmHWM:\s+(\d+) kB", f.read())
    return int(found.group(1)) / 1024 if found else float("nan")


def _size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "?"


# --- the steps, each run in a child process ------------------------------------------------------


def generate(out: Path, seed: int, provinces: int | None) -> dict[str, Any]:
    """Write the national cohort; return its figures."""
    from lbc_eval import SynthSpec
    from lbc_eval.synth import write_national

    overrides = {"n_provinces": provinces} if provinces else {}
    spec = SynthSpec.preset("national", seed=seed, **overrides)
    load = _load()
    t0 = time.perf_counter()
    write_national(spec, out)
    seconds = time.perf_counter() - t0
    meta = json.loads((out / "cohort.json").read_text(encoding="utf-8"))
    return {
        "step": "generate",
        "spec": spec.to_dict(),
        "child_terms": meta["tables"]["panel"],
        "seconds": seconds,
        "peak_mib": peak_mib(),
        "size_mib": _size_mib(out),
        "load_before": load,
        "load_after": _load(),
    }


def estimate(
    path: Path, estimator: str, engine: str, memory_limit: str | None, threads: int | None
) -> dict[str, Any]:
    """Run one estimator on one cohort with one engine; return its figures."""
    import warnings

    warnings.simplefilter("ignore")
    import lbc_eval
    from lbc_eval.data.lazy import connect

    load = _load()
    t0 = time.perf_counter()
    if engine == "pandas":
        columns = list(FE_COLUMNS) if estimator == "fe" else None
        cohort: Any = lbc_eval.read_cohort(path, columns=columns, validate=False)
        rows = len(cohort.panel)
    else:
        con = connect(engine, memory_limit=memory_limit, threads=threads)
        cohort = lbc_eval.read_cohort(path, engine=engine, connection=con)
        rows = int(cohort.panel.count().execute())
    read_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    if estimator == "fe":
        result = lbc_eval.fit_fe(cohort.panel, **FE)
        first = result.tidy().iloc[0]
    else:
        result = lbc_eval.fit_policy(cohort, outcome="moved", reps=0)
        first = result.aggregate("simple").tidy().iloc[0]
    fit_s = time.perf_counter() - t1
    return {
        "step": "estimate",
        "cohort": str(path),
        "estimator": estimator,
        "engine": engine,
        "rows": rows,
        "nobs": int(result.nobs),
        "n_clusters": int(result.n_clusters) if result.n_clusters is not None else None,
        "term": str(first["term"]),
        "estimate": float(first["estimate"]),
        "std_error": float(first["std_error"]),
        "read_s": read_s,
        "fit_s": fit_s,
        "seconds": read_s + fit_s,
        "peak_mib": peak_mib(),
        "load_before": load,
        "load_after": _load(),
    }


# --- the parent -------------------------------------------------------------------------------


def run_child(*args: str) -> dict[str, Any]:
    """Run one step in a fresh interpreter; return its JSON line."""
    cmd = [sys.executable, __file__, "--child", *args]
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{res.stderr[-4000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _complete(path: Path, spec: dict[str, Any]) -> bool:
    try:
        meta = json.loads((path / "cohort.json").read_text(encoding="utf-8"))
        truth = json.loads((path / "truth.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return "incomplete" not in meta and truth["meta"]["spec"] == spec


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one step) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="/tmp/lbc_national")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--national-provinces", type=int, default=None,
                        help="provinces of the national cohort (default: 14)")  # fmt: skip
    parser.add_argument("--provinces", type=int, nargs="+", default=[4, 7, 14],
                        help="sizes to estimate on, in provinces")  # fmt: skip
    parser.add_argument("--province-cohort", default="/tmp/lbc_province")
    parser.add_argument("--memory-limit", default="4GB")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--estimators", nargs="+", default=list(ESTIMATORS), choices=ESTIMATORS)
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--generate-only", action="store_true")
    parser.add_argument("--skip-in-memory", action="store_true")
    parser.add_argument("--report", metavar="JSON",
                        help="print the table of an earlier run and stop")  # fmt: skip
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.report:
        print(report(json.loads(Path(args.report).read_text(encoding="utf-8"))))
        return 0
    if args.child:
        step, *rest = args.child
        if step == "generate":
            n = int(rest[2]) if rest[2] != "-" else None
            print(json.dumps(generate(Path(rest[0]), int(rest[1]), n)))
        else:
            path, estimator, engine, limit, threads = rest
            print(json.dumps(estimate(Path(path), estimator, engine, limit, int(threads))))
        return 0

    import lbc_eval
    from lbc_eval import SynthSpec
    from lbc_eval.synth.national import first_provinces

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"lbc_eval {lbc_eval.__version__}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load {_load()}, seed {args.seed}, DuckDB threads "
        f"{args.threads}, memory limit {args.memory_limit}",
        flush=True,
    )
    overrides = {"n_provinces": args.national_provinces} if args.national_provinces else {}
    spec = SynthSpec.preset("national", seed=args.seed, **overrides)
    national = out / "national"
    record = out / "generate.json"
    if args.regenerate or not _complete(national, spec.to_dict()) or not record.exists():
        gen = run_child("generate", str(national), str(args.seed),
                        str(args.national_provinces or "-"))  # fmt: skip
        record.write_text(json.dumps(gen, indent=1) + "\n", encoding="utf-8")
    gen = json.loads(record.read_text(encoding="utf-8"))
    print(
        f"generate: {spec.n_provinces} provinces, {gen['child_terms']:,} child-terms in "
        f"{gen['seconds']:.0f} s ({gen['child_terms'] / gen['seconds']:,.0f} rows/s), peak "
        f"{gen['peak_mib']:,.0f} MiB, {gen['size_mib']:,.0f} MiB on disk (load "
        f"{gen['load_before']} before, {gen['load_after']} after)",
        flush=True,
    )
    if args.generate_only:
        return 0

    rows: list[dict[str, Any]] = []
    for n in sorted(set(args.provinces)):
        path = national if n == spec.n_provinces else out / f"first_{n}"
        if path != national and not _complete(path, spec.update(n_provinces=n).to_dict()):
            first_provinces(national, path, n)
        for estimator in args.estimators:
            r = _try(str(path), estimator, "duckdb", args.memory_limit, args.threads)
            if r is not None:
                r["provinces"] = n
                rows.append(r)
                print(_line(r), flush=True)
    if not args.skip_in_memory:
        province = Path(args.province_cohort)
        if not (province / "cohort.json").exists():
            subprocess.run(["lbc-eval", "synth", "--preset", "province", "--seed", "2026",
                            "--out", str(province), "--quiet"], check=True)  # fmt: skip
        for estimator in args.estimators:
            for engine in ("pandas", "duckdb"):
                r = _try(str(province), estimator, engine, args.memory_limit, args.threads)
                if r is not None:
                    r["provinces"] = "province"
                    rows.append(r)
                    print(_line(r), flush=True)
    (out / "results.json").write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    print()
    print(report(rows))
    return 0


def _try(path: str, estimator: str, engine: str, limit: str, threads: int) -> dict[str, Any] | None:
    """:func:`run_child`, printing a failure instead of stopping the benchmark."""
    try:
        return run_child("estimate", path, estimator, engine, limit, str(threads))
    except RuntimeError as e:
        print(f"  {estimator} {engine} {path}: FAILED\n{e}", flush=True)
        return None


def _line(r: dict[str, Any]) -> str:
    return (
        f"  {r['estimator']} {r['engine']} {r['provinces']}: {r['rows']:,} rows, "
        f"{r['seconds']:.1f} s, peak {r['peak_mib']:,.0f} MiB, estimate {r['estimate']:.5f} "
        f"({r['std_error']:.5f}), load {r['load_before']} -> {r['load_after']}"
    )


def report(rows: list[dict[str, Any]]) -> str:
    """The figures as a table, the targets and the in-memory ratios beside them."""
    head = (
        f"{'estimator':<9} {'engine':<7} {'size':>9} {'rows':>13} {'read s':>8} {'fit s':>8} "
        f"{'total s':>8} {'rows/s':>11} {'peak MiB':>9}  target"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        target = ""
        if r["engine"] == "duckdb" and r["provinces"] != "province" and r["rows"] >= 1e8:
            ok = r["seconds"] < TARGET_S and r["peak_mib"] < TARGET_MIB
            target = f"< 15 min, < 6 GB: {'ok' if ok else 'MISSED'}"
        size = f"{r['provinces']} prov" if r["provinces"] != "province" else "province"
        lines.append(
            f"{r['estimator']:<9} {r['engine']:<7} {size:>9} {r['rows']:>13,} "
            f"{r['read_s']:>8.1f} {r['fit_s']:>8.1f} {r['seconds']:>8.1f} "
            f"{r['rows'] / r['seconds']:>11,.0f} {r['peak_mib']:>9,.0f}  {target}"
        )
    lines.append("")
    for est in ESTIMATORS:
        scaled = [r for r in rows if r["estimator"] == est and r["provinces"] != "province"]
        if len(scaled) >= 2:
            a, b = scaled[0], scaled[-1]
            more, secs = b["rows"] / a["rows"], b["seconds"] / a["seconds"]
            lines.append(
                f"{est}: {more:.2f}x the rows took {secs:.2f}x the time (time per row "
                f"x{secs / more:.2f}: 1 = linear)"
            )
        mem = {
            r["engine"]: r for r in rows if r["estimator"] == est and r["provinces"] == "province"
        }
        if {"pandas", "duckdb"} <= mem.keys():
            p, d = mem["pandas"], mem["duckdb"]
            lines.append(
                f"{est} on the province cohort: DuckDB {d['seconds']:.1f} s, "
                f"{d['peak_mib']:,.0f} MiB; in memory {p['seconds']:.1f} s, "
                f"{p['peak_mib']:,.0f} MiB: time ratio {d['seconds'] / p['seconds']:.2f}, "
                f"memory ratio {d['peak_mib'] / p['peak_mib']:.2f}; estimates "
                f"{d['estimate']:.6f} and {p['estimate']:.6f}"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
