"""Benchmark question Q3 out of core: fit_policy on a lazy cohort (DuckDB) vs in memory (pandas).

Usage::

    python benchmarks/bench_scale_did.py [--cohort /tmp/lbc_province] [--outcome moved]
                                         [--engines pandas duckdb] [--memory-limit 1GB]

Each engine runs in a fresh process (peak memory is its own, the peak resident set size):
``pandas`` reads the cohort's needed columns into memory (``read_cohort(path, columns=...)``)
and fits; ``duckdb`` opens it lazily (``read_cohort(path, engine="duckdb")``) and fits in the
engine (:mod:`lbc_eval.questions.enrolment_lazy`). Both run ``fit_policy`` with its defaults
(the province cohort's 40 destinations are few: bootstrap over destinations with 999 Webb
draws, few-cluster rescaling, randomisation pre-test) and its simple aggregation (the CS simple
ATT). Printed: read and fit seconds (wall clock), panel rows per second of the whole, the
process's CPU seconds (every thread), peak MiB, the ratio of wall-clock times to the in-memory
path, and the largest absolute difference from it over every ATT(g,t) and the
simple ATT (estimates and standard errors). Target: DuckDB faster than pandas, peak below
1.5 GB. The machine's load average is printed first: on a shared machine the wall-clock times
move with it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

#: The panel columns question Q3 reads (policy_panel), besides ``term``.
COLUMNS = ["student_id", "school_id", "destination_id", "grade", "lb_status",
           "moved_to_parents", "exit_reason"]  # fmt: skip


def _child(engine: str, path: str, outcome: str, memory_limit: str | None) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    import lbc_eval
    from lbc_eval.questions.enrolment import fit_policy

    t0 = time.perf_counter()
    if engine == "pandas":
        cols = COLUMNS + ([] if outcome == "moved" else [outcome])
        data = lbc_eval.read_cohort(path, columns=cols)
        rows = len(data.panel)
    else:
        from lbc_eval.data.lazy import connect

        con = connect(engine, memory_limit=memory_limit)
        data = lbc_eval.read_cohort(path, engine=engine, connection=con)
        rows = 0
    read_s = time.perf_counter() - t0
    if not rows:  # outside the timing (DuckDB answers from the Parquet footers)
        rows = int(data.panel.count().execute())
    t0 = time.perf_counter()
    res = fit_policy(data, outcome=outcome)
    simple = res.aggregate("simple").tidy()
    fit_s = time.perf_counter() - t0
    table = res.tidy()
    return {
        "engine": engine,
        "rows": rows,
        "units": res.nobs,
        "clusters": res.n_clusters,
        "cells": len(table),
        "read_s": read_s,
        "fit_s": fit_s,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        "estimate": [*table["estimate"], *simple["estimate"]],
        "std_error": [*table["std_error"], *simple["std_error"]],
        "simple": [float(simple["estimate"].iloc[0]), float(simple["std_error"].iloc[0])],
        "cov_type": res.cov_type,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cohort", default="/tmp/lbc_province")
    ap.add_argument("--outcome", default="moved")
    ap.add_argument("--engines", nargs="+", default=["pandas", "duckdb"])
    ap.add_argument("--memory-limit", default=None, help="DuckDB's memory_limit, e.g. 1GB")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        out = _child(args.child, args.cohort, args.outcome, args.memory_limit)
        print(json.dumps(out))
        return 0
    load = os.getloadavg()
    print(f"cohort {args.cohort}, outcome {args.outcome}; load average {load[0]:.1f} "
          f"{load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    results = {}
    for engine in args.engines:
        cmd = [sys.executable, __file__, "--child", engine, "--cohort", args.cohort,
               "--outcome", args.outcome]  # fmt: skip
        if args.memory_limit:
            cmd += ["--memory-limit", args.memory_limit]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        results[engine] = json.loads(proc.stdout.strip().splitlines()[-1])
    base = results.get("pandas")
    print(f"{'engine':>8} {'rows':>11} {'units':>9} {'cells':>6} {'read s':>7} {'fit s':>7} "
          f"{'rows/s':>11} {'cpu s':>6} {'peak MiB':>9} {'ratio':>6} {'max |diff|':>11}  "
          "simple ATT (SE)")  # fmt: skip
    for engine, r in results.items():
        total = r["read_s"] + r["fit_s"]
        ratio = diff = ""
        if base is not None and engine != "pandas":
            ratio = f"{(base['read_s'] + base['fit_s']) / total:.1f}x"
            pairs = [*zip(r["estimate"], base["estimate"], strict=True),
                     *zip(r["std_error"], base["std_error"], strict=True)]  # fmt: skip
            diff = f"{max(abs(a - b) for a, b in pairs if a == a and b == b):.1e}"
        print(f"{engine:>8} {r['rows']:>11,} {r['units']:>9,} {r['cells']:>6} "
              f"{r['read_s']:>7.2f} {r['fit_s']:>7.2f} {r['rows'] / total:>11,.0f} "
              f"{r['cpu_s']:>6.1f} {r['peak_mib']:>9.0f} {ratio:>6} {diff:>11}  "
              f"{r['simple'][0]:.4f} ({r['simple'][1]:.4f})")  # fmt: skip
    lazy = results.get("duckdb")
    if base is not None and lazy is not None:
        faster = lazy["read_s"] + lazy["fit_s"] < base["read_s"] + base["fit_s"]
        print(
            f"target: DuckDB faster than pandas: {'ok' if faster else 'MISSED'}; "
            f"peak < 1.5 GB: {'ok' if lazy['peak_mib'] < 1536 else 'MISSED'}"
        )
        print(f"inference: {lazy['cov_type']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
