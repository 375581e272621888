"""Benchmark the synthetic generator: time, rows/s, peak memory and output size per preset.

Usage::

    python benchmarks/bench_synth.py [--presets county province] [--seed 0] [--repeat 1]

Each preset runs in a fresh Python process (so peak memory is that preset's alone):
``lbc_eval.simulate`` then ``Cohort.write`` (Parquet, partitioned by term, into a scratch
folder that is removed afterwards). The child reports its peak resident set size from
``resource.getrusage``. For the ``county`` preset the child also writes the same panel with
pandas' own ``DataFrame.to_parquet`` (one file, unpartitioned, pandas' defaults) so that the
kit's writer is compared with the library it builds on.

Targets (printed beside the figures): county under 3 s in all; province under 90 s and under
6 GiB of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: preset -> (seconds for simulate + write, peak memory in MiB or None)
TARGETS: dict[str, tuple[float, float | None]] = {
    "county": (3.0, None),
    "province": (90.0, 6 * 1024.0),
}
BASELINE_PRESETS = ("county",)


def _peak_rss_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def _size_mib(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files) / 1024**2


def measure(preset: str, seed: int, out: Path) -> dict[str, Any]:
    """Simulate and write one preset in this process; return the figures.

    Parameters
    ----------
    preset : str
        A preset of :class:`lbc_eval.SynthSpec`.
    seed : int
        The spec's seed.
    out : Path
        Scratch folder for the cohort (and the pandas baseline).

    Returns
    -------
    dict
        ``children, child_terms, simulate_s, write_s, peak_rss_mib, size_mib`` and, for the
        baseline presets, ``pandas_write_s`` and ``pandas_size_mib``.
    """
    import lbc_eval

    spec = lbc_eval.SynthSpec.preset(preset, seed=seed)
    t0 = time.perf_counter()
    cohort = lbc_eval.simulate(spec)
    t1 = time.perf_counter()
    cohort.write(out / "cohort")
    t2 = time.perf_counter()
    figures: dict[str, Any] = {
        "preset": preset,
        "children": int(cohort.panel["student_id"].nunique()),
        "child_terms": len(cohort.panel),
        "simulate_s": t1 - t0,
        "write_s": t2 - t1,
        "peak_rss_mib": _peak_rss_mib(),  # before the baseline, which would add to it
        "size_mib": _size_mib(out / "cohort"),
        "panel_size_mib": _size_mib(out / "cohort" / "panel"),
    }
    if preset in BASELINE_PRESETS:
        for key, options in (
            ("pandas", {}),
            ("pandas_zstd9", {"compression": "zstd", "compression_level": 9}),
        ):
            target = out / f"{key}.parquet"
            t3 = time.perf_counter()
            cohort.panel.to_parquet(target, index=False, **options)
            figures[f"{key}_write_s"] = time.perf_counter() - t3
            figures[f"{key}_size_mib"] = _size_mib(target)
    return figures


def run_child(preset: str, seed: int) -> dict[str, Any]:
    """Run :func:`measure` for ``preset`` in a fresh Python process."""
    scratch = Path(tempfile.mkdtemp(prefix=f"bench_{preset}_"))
    try:
        res = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                preset,
                "--seed",
                str(seed),
                "--scratch",
                str(scratch),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if res.returncode != 0:
        raise RuntimeError(f"the {preset} run failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report(rows: list[dict[str, Any]]) -> str:
    """The results as a plain-text table with the targets beside them."""
    head = (
        f"{'preset':<9} {'children':>10} {'child-terms':>12} {'simulate s':>10} "
        f"{'write s':>8} {'total s':>8} {'rows/s':>10} {'peak MiB':>9} {'size MiB':>9}  "
        "target"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        total = r["simulate_s"] + r["write_s"]
        target = ""
        if r["preset"] in TARGETS:
            secs, mib = TARGETS[r["preset"]]
            target = f"< {secs:g} s: {_verdict(total < secs)}"
            if mib is not None:
                target += f"; < {mib / 1024:g} GiB: {_verdict(r['peak_rss_mib'] < mib)}"
        lines.append(
            f"{r['preset']:<9} {r['children']:>10,} {r['child_terms']:>12,} "
            f"{r['simulate_s']:>10.2f} {r['write_s']:>8.2f} {total:>8.2f} "
            f"{r['child_terms'] / total:>10,.0f} {r['peak_rss_mib']:>9,.0f} "
            f"{r['size_mib']:>9,.1f}  {target}"
        )
    for r in rows:
        if "pandas_write_s" not in r:
            continue
        lines += [
            "",
            f"{r['preset']}: writing the same panel, against pandas' own DataFrame.to_parquet "
            "(pyarrow engine, one file, no partitions):",
            f"  {'writer':<52} {'seconds':>8} {'MiB':>7} {'kit time / this':>16}",
            f"  {'Cohort.write (by term, plus the other tables)':<52} "
            f"{r['write_s']:>8.2f} {r['panel_size_mib']:>7.1f} {1.0:>16.2f}",
        ]
        for key, label in (
            ("pandas", "DataFrame.to_parquet, pandas' defaults (snappy)"),
            ("pandas_zstd9", "DataFrame.to_parquet, zstd level 9"),
        ):
            lines.append(
                f"  {label:<52} {r[f'{key}_write_s']:>8.2f} {r[f'{key}_size_mib']:>7.1f} "
                f"{r['write_s'] / r[f'{key}_write_s']:>16.2f}"
            )
        lines.append(
            "  (MiB: the panel's files only; Cohort.write's time includes the roster, "
            "schools, destinations and truth.json)"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, with ``--child``, one measurement) and print the table.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments.

    Returns
    -------
    int
        0 on success.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--presets",
        nargs="+",
        default=["county", "province"],
        choices=["small", "county", "province"],
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per preset, each in a fresh process; the fastest is shown",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--scratch", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(measure(args.child, args.seed, Path(args.scratch))))
        return 0

    import pandas as pd
    import pyarrow as pa

    import lbc_eval

    print(
        f"lbc_eval {lbc_eval.__version__}, pandas {pd.__version__}, pyarrow {pa.__version__}, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, seed {args.seed}"
    )
    rows = []
    for preset in args.presets:
        runs = [run_child(preset, args.seed) for _ in range(max(1, args.repeat))]
        best = min(runs, key=lambda r: r["simulate_s"] + r["write_s"])
        best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
        rows.append(best)
        print(f"  {preset}: done", file=sys.stderr, flush=True)
    print(report(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
