"""Benchmark ingest: one term of the county's school files, with calamine and with openpyxl.

Usage::

    python benchmarks/bench_ingest.py [--seed 1] [--term 2024-1] [--files DIR] [--repeat 1]

The parent process simulates the ``county`` preset, keeps one term, and writes that term's
messy school files (one workbook or CSV per school: about 60 files and 30,000 rows, with the
planted problems of :func:`lbc_eval.synth.export.export_school_files`) into ``--files`` (a scratch
folder by default; an existing folder of school files is reused). Then, each in a fresh Python
process so that peak memory is its own:

- ``ingest calamine`` / ``ingest openpyxl``: :func:`lbc_eval.ingest.ingest` over all files
  with each xlsx reader (CSV files are read the same way in both);
- ``read_excel calamine`` / ``read_excel openpyxl``: only ``pandas.read_excel(sheet_name=None,
  header=None)`` over the xlsx files, the libraries alone.

It prints seconds, files/s, rows/s and peak resident memory per run, and the openpyxl /
calamine time ratios. Target: a county term in under 10 s with calamine.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_S = 10.0
RUNS = ("ingest calamine", "ingest openpyxl", "read_excel calamine", "read_excel openpyxl")


def _peak_rss_mib() -> float:
    """Peak resident memory of this process: VmHWM on Linux (ru_maxrss there would carry the
    parent's peak across fork and exec), ru_maxrss elsewhere."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def make_files(folder: Path, seed: int, term: str) -> None:
    """Write one term of the county preset's messy school files into ``folder``."""
    import lbc_eval
    from lbc_eval.data.cohort import Cohort
    from lbc_eval.synth.export import export_school_files

    cohort = lbc_eval.simulate(lbc_eval.SynthSpec.preset("county", seed=seed))
    panel = cohort.panel[cohort.panel["term"] == term]
    if panel.empty:
        raise SystemExit(f"the county cohort has no term {term}; terms: {cohort.terms}")
    one = Cohort(
        panel.reset_index(drop=True),
        cohort.schools,
        cohort.destinations,
        truth=cohort.truth,
        roster=cohort.roster,
    )
    export_school_files(one, folder, seed=seed, workers=4)


def measure(run: str, folder: Path, seed: int) -> dict[str, Any]:
    """One run in this process; returns seconds, files, rows and peak memory."""
    t0 = time.perf_counter()
    if run.startswith("ingest"):
        from lbc_eval.data.ids import synthetic_key
        from lbc_eval.ingest import ingest

        result = ingest(folder, key=synthetic_key(seed), engine=run.split()[1])
        seconds = time.perf_counter() - t0
        totals = result.manifest["totals"]
        files, rows = totals["files"], totals["rows_read"]
        extra = {
            "accepted": totals["rows_accepted"],
            "quarantined": totals["rows_quarantined"],
            "adds_up": totals["adds_up"],
        }
    else:
        import pandas as pd

        paths = sorted(folder.glob("*.xlsx"))
        rows = 0
        for p in paths:
            sheets = pd.read_excel(p, sheet_name=None, header=None, engine=run.split()[1])
            rows += sum(len(s) for s in sheets.values())
        seconds = time.perf_counter() - t0
        files, extra = len(paths), {}
    return {
        "run": run,
        "seconds": seconds,
        "files": files,
        "rows": rows,
        "peak_rss_mib": _peak_rss_mib(),
        **extra,
    }


def run_child(run: str, folder: Path, seed: int) -> dict[str, Any]:
    """:func:`measure` in a fresh Python process."""
    res = subprocess.run(
        [sys.executable, __file__, "--child", run, "--files", str(folder), "--seed", str(seed)],
        capture_output=True,
        text=True,
        check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(f"{run} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def report(rows: list[dict[str, Any]]) -> str:
    """The figures as a plain-text table, with the ratios and the target."""
    head = (
        f"{'run':<22} {'files':>6} {'rows':>8} {'seconds':>8} {'files/s':>8} "
        f"{'rows/s':>9} {'peak MiB':>9}"
    )
    lines = [head, "-" * len(head)]
    by = {r["run"]: r for r in rows}
    for r in rows:
        lines.append(
            f"{r['run']:<22} {r['files']:>6} {r['rows']:>8,} {r['seconds']:>8.2f} "
            f"{r['files'] / r['seconds']:>8.1f} {r['rows'] / r['seconds']:>9,.0f} "
            f"{r['peak_rss_mib']:>9,.0f}"
        )
    cal = by["ingest calamine"]
    ratio_ingest = by["ingest openpyxl"]["seconds"] / cal["seconds"]
    ratio_read = by["read_excel openpyxl"]["seconds"] / by["read_excel calamine"]["seconds"]
    lines += [
        "",
        f"ingest with calamine: {cal['rows']:,} rows read -> {cal['accepted']:,} accepted + "
        f"{cal['quarantined']:,} quarantined (adds up: {cal['adds_up']}); target < {TARGET_S:g} s: "
        f"{'ok' if cal['seconds'] < TARGET_S else 'MISSED'}",
        f"openpyxl / calamine time: ingest {ratio_ingest:.1f}x, read_excel alone {ratio_read:.1f}x",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--term", default="2024-1")
    parser.add_argument("--files", metavar="DIR", help="folder of school files (made if empty)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (best kept)")
    parser.add_argument("--child", choices=RUNS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, Path(args.files), args.seed)))
        return 0
    scratch = None
    folder = Path(args.files) if args.files else Path(tempfile.mkdtemp(prefix="bench_ingest_"))
    if not args.files:
        scratch = folder
    try:
        if not any(folder.glob("*_留守儿童情况.*")):
            t0 = time.perf_counter()
            make_files(folder, args.seed, args.term)
            print(
                f"wrote the county's {args.term} school files in {time.perf_counter() - t0:.0f} s"
            )
        rows = []
        for run in RUNS:
            best = min(
                (run_child(run, folder, args.seed) for _ in range(args.repeat)),
                key=lambda r: r["seconds"],
            )
            rows.append(best)
        print(report(rows))
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
