"""Benchmark the within regression out of core: fit_fe on a lazy cohort (DuckDB) vs in memory.

Usage::

    python benchmarks/bench_scale.py [--cohort /tmp/lbc_province] [--memory-limit 1GB]
                                     [--threads 2] [--engines pandas columns duckdb]
                                     [--controls lb_status]

The model is question Q1's within specification as a fixed-effects regression:
``sdq_total ~ contacts | student_id + term``, CRV1 by school (``contacts`` = talks + home
visits + parent contacts, missing when one of them is), with :func:`lbc_eval.fit_fe`. Each
engine runs in a fresh process, so its peak memory (the peak resident set size, ``VmHWM``) is
its own:

``pandas``
    ``read_cohort(path)`` (every column, as a notebook reads it), then ``fit_fe`` on the panel;
``columns``
    ``read_cohort(path, columns=[...])`` (only the columns the model uses), then ``fit_fe``;
``duckdb``
    ``read_cohort(path, engine="duckdb")`` with DuckDB's memory limit and threads set, then
    ``fit_fe`` on the lazy panel: one query sums the within moments by school
    (:mod:`lbc_eval.scale.within`), numpy solves them.

Printed: the machine's load average (the machine may be shared: wall-clock times move with
it), then per engine the read and fit seconds (wall clock), the rows per second of the whole,
the process's CPU seconds (every thread), its peak MiB, the ratio of its wall-clock time to
each in-memory path's, and the largest absolute difference from the in-memory ``pandas``
estimates and standard errors. Targets: DuckDB equal to the in-memory fit to 1e-8, faster
than it, and below 1.5 GB (1,536 MiB) at its peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

#: The panel columns the model reads, besides ``term``.
COLUMNS = ["student_id", "school_id", "sdq_total", "talks", "home_visits", "parent_contacts"]
CONTACTS = ["talks", "home_visits", "parent_contacts"]


def _peak_mib() -> float:
    """Peak resident memory of this process: VmHWM on Linux, ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def _child(engine: str, path: str, memory_limit: str, threads: int, controls: list[str]) -> dict:
    """One measurement (run in its own process)."""
    import warnings

    warnings.simplefilter("ignore")
    import lbc_eval

    kw = dict(outcome="sdq_total", treatment="contacts", unit="student_id", time="term",
              cluster="school_id", controls=controls)  # fmt: skip
    t0 = time.perf_counter()
    if engine == "duckdb":
        from lbc_eval.data.lazy import connect

        con = connect("duckdb", memory_limit=memory_limit, threads=threads)
        lazy = lbc_eval.read_cohort(path, engine="duckdb", connection=con)
        t = lazy.panel
        data = t.mutate(contacts=t.talks + t.home_visits + t.parent_contacts)
    else:
        cols = None if engine == "pandas" else [*COLUMNS, *controls]
        panel = lbc_eval.read_cohort(path, columns=cols).panel
        contacts = panel[CONTACTS].astype("float64").sum(axis=1, skipna=False)
        data = panel.assign(contacts=contacts)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = lbc_eval.fit_fe(data, **kw)
    fit_s = time.perf_counter() - t0
    rows = json.loads(open(os.path.join(path, "cohort.json")).read())["tables"]["panel"]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    tidy = res.tidy()
    return {
        "read_s": read_s,
        "fit_s": fit_s,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mib": _peak_mib(),
        "rows": rows,
        "nobs": res.nobs,
        "terms": tidy["term"].tolist(),
        "estimate": tidy["estimate"].tolist(),
        "std_error": tidy["std_error"].tolist(),
        "cov_type": res.cov_type,
    }


def _run(engine: str, args: argparse.Namespace) -> dict:
    cmd = [sys.executable, __file__, "--child", engine, "--cohort", args.cohort,
           "--memory-limit", args.memory_limit, "--threads", str(args.threads),
           "--controls", *args.controls]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        tail = "\n".join(res.stderr.strip().splitlines()[-5:])
        return {"error": f"exit {res.returncode}: {tail}"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table (or, with ``--child``, one measurement)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cohort", default="/tmp/lbc_province")
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB's memory_limit")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--engines", nargs="+", default=["pandas", "columns", "duckdb"],
                        choices=["pandas", "columns", "duckdb"])  # fmt: skip
    parser.add_argument("--controls", nargs="*", default=[])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.cohort, args.memory_limit, args.threads,
                                args.controls)))  # fmt: skip
        return 0

    import numpy as np

    import lbc_eval

    load = os.getloadavg()
    print(f"lbc_eval {lbc_eval.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
          f"(1 / 5 / 15 min)")  # fmt: skip
    print(f"cohort {args.cohort}; DuckDB memory_limit {args.memory_limit}, {args.threads} "
          f"threads; model sdq_total ~ contacts{''.join(' + ' + c for c in args.controls)} "
          f"| student_id + term, CRV1 by school_id")  # fmt: skip
    out = {e: _run(e, args) for e in args.engines}
    ref = out.get("pandas")
    head = (f"{'engine':<8} {'read s':>7} {'fit s':>7} {'total s':>8} {'rows/s':>10} "
            f"{'CPU s':>7} {'peak MiB':>9} {'vs pandas':>9} {'vs columns':>10} "
            f"{'max|d est|':>10} {'max|d se|':>10}")  # fmt: skip
    print(head + "\n" + "-" * len(head))
    totals = {e: r["read_s"] + r["fit_s"] for e, r in out.items() if "error" not in r}
    for e, r in out.items():
        if "error" in r:
            print(f"{e:<8} failed: {r['error']}")
            continue
        total = totals[e]
        ratios = [f"{total / totals[b]:.2f}" if b in totals else "" for b in ("pandas", "columns")]
        d_est = d_se = ""
        if ref is not None and "error" not in ref and e != "pandas":
            d_est = f"{np.max(np.abs(np.subtract(r['estimate'], ref['estimate']))):.1e}"
            d_se = f"{np.max(np.abs(np.subtract(r['std_error'], ref['std_error']))):.1e}"
        print(f"{e:<8} {r['read_s']:>7.2f} {r['fit_s']:>7.2f} {total:>8.2f} "
              f"{r['rows'] / total:>10,.0f} {r['cpu_s']:>7.1f} {r['peak_mib']:>9,.0f} "
              f"{ratios[0]:>9} {ratios[1]:>10} {d_est:>10} {d_se:>10}")  # fmt: skip
    duck = out.get("duckdb", {})
    if "error" not in duck and ref is not None and "error" not in ref:
        same = max(np.max(np.abs(np.subtract(duck[k], ref[k]))) for k in ("estimate", "std_error"))
        best = min(totals[e] for e in ("pandas", "columns") if e in totals)
        print(f"\n{duck['nobs']:,} child-terms used of {duck['rows']:,}; {duck['cov_type']}")
        print(f"targets: equal to 1e-8: {_ok(same < 1e-8)}; faster than pandas: "
              f"{_ok(totals['duckdb'] < totals['pandas'])} (than reading only the columns: "
              f"{_ok(totals['duckdb'] <= best)}); peak < 1,536 MiB: "
              f"{_ok(duck['peak_mib'] < 1536)}")  # fmt: skip
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
