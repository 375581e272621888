"""Benchmark ``lbc-eval run``: wall time and peak memory of every notebook on a cohort.

Usage::

    python benchmarks/bench_run.py /tmp/lbc_province [--lang zh] [--notebooks 02 05]
        [--out DIR] [--log FILE] [--brief] [--interval 0.5] [--from notebooks/src]

Without a cohort folder it runs on the shipped synthetic cohort. A province cohort is made
with ``lbc-eval synth --preset province --seed 2026 --format parquet --out /tmp/lbc_province``.

The command runs ``python -m lbc_eval run --data COHORT --out OUT --lang LANG --no-brief`` (with
``--brief``, the brief and the scan too) in a subprocess, exactly as a user would, into
``--out`` (default: a scratch folder, deleted afterwards). ``--from DIR`` executes the notebooks
of DIR instead (``.ipynb`` files, or the jupytext ``.py`` sources of ``notebooks/src``,
converted first), one by one with papermill and the same parameters: to time edited sources
before the ``.ipynb`` are rebuilt. A sampler polls the process tree
every ``--interval`` seconds (psutil): each notebook runs in its own Jupyter kernel, so the
kernels, in the order they appear, are the notebooks in order, and each kernel's peak resident
memory (RSS) is that notebook's. It prints, per notebook, the seconds ``lbc-eval run`` reports
for it (``done in 9.1 s``; the kernel's lifetime when no such line is found), the CPU seconds
its kernel used (user + system: on a machine shared with other jobs the wall time grows with
the load, the CPU time much less) and the kernel's peak RSS; then the whole run's wall time,
the peak RSS and CPU time of the ``lbc-eval`` process itself (it checks the cohort before any
kernel starts), the peak of the whole tree at any one moment, child-terms per second (the
panel's rows over the total time) and the load average of the machine before and after
(timings on a shared machine are pessimistic). Every line the run prints is copied, with the
seconds since the start, to ``--log`` (the heartbeat shows where time goes in a notebook).

Target (issue #14): the province cohort (about 1.3 million children, 7.7 million child-terms)
in under 15 minutes with every kernel under 8 GB, on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

TARGET_S = 15 * 60
TARGET_GB = 8.0
GB = 1e9
MB = 1e6
#: "02_mentoring.ipynb done in 123.4 s" (or 秒): a notebook's reported time has a decimal point,
#: the heartbeat's "still running after 30 s" does not.
_DONE = re.compile(r"(\d\d_\w+)\.ipynb\D.*?(\d+\.\d+)\s*(?:s\b|秒)")


@dataclass
class Kernel:
    """One kernel process seen by the sampler."""

    pid: int
    first: float
    last: float
    peak: int = 0
    cpu: float = 0.0


@dataclass
class Samples:
    """What the sampler saw: the kernels in order, the run process's and the tree's peaks."""

    kernels: dict[int, Kernel] = field(default_factory=dict)
    parent_peak: int = 0
    parent_cpu: float = 0.0
    tree_peak: int = 0


def _sample(pid: int, interval: float, stop: threading.Event, out: Samples) -> None:
    import psutil

    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        now = time.perf_counter()
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        total = 0
        for p in procs:
            try:
                rss = p.memory_info().rss
                is_kernel = p.pid != pid and "ipykernel" in " ".join(p.cmdline())
                times = p.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            total += rss
            if p.pid == pid:
                out.parent_peak = max(out.parent_peak, rss)
                out.parent_cpu = times.user + times.system
            elif is_kernel:
                k = out.kernels.setdefault(p.pid, Kernel(p.pid, now, now))
                k.last, k.peak = now, max(k.peak, rss)
                k.cpu = times.user + times.system
        out.tree_peak = max(out.tree_peak, total)
        stop.wait(interval)


NOTEBOOK_DIR = Path(str(resources.files("lbc_eval") / "notebooks"))


def _sources(folder: Path, only: list[str] | None) -> list[Path]:
    """The numbered notebooks of ``folder`` (``.ipynb``, or jupytext ``.py`` sources)."""
    found = sorted(folder.glob("[0-9][0-9]_*.ipynb")) or sorted(folder.glob("[0-9][0-9]_*.py"))
    return [p for p in found if not only or any(p.name.startswith(o) for o in only)]


def _run_from(folder: Path, data: str | None, out: Path, lang: str, only: list[str] | None):
    """``--from``: execute the notebooks of ``folder`` one by one with papermill, as ``lbc-eval
    run`` does (kernel python3, the kit's notebook folder as working directory, parameters
    DATA, OUT, LANG, SEED), printing ``NN_name.ipynb done in S s`` after each."""
    import jupytext
    import nbformat
    import papermill as pm

    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    for src in _sources(folder, only):
        nb = src
        if src.suffix == ".py":  # a jupytext source, as scripts/build_notebooks.sh converts it
            nb = out / "notebooks" / f"{src.stem}.src.ipynb"
            nbformat.write(jupytext.read(src), nb)
        name = f"{src.stem}.ipynb"
        print(f"{name} running ...", flush=True)
        t0 = time.perf_counter()
        pm.execute_notebook(
            str(nb),
            str(out / "notebooks" / name),
            cwd=str(NOTEBOOK_DIR),
            kernel_name="python3",
            parameters={"DATA": data, "OUT": str(out), "LANG": lang, "SEED": 0},
            progress_bar=False,
        )
        print(f"{name} done in {time.perf_counter() - t0:.1f} s", flush=True)


def _rows(data: str | None) -> int | None:
    if not data:
        return None
    meta = json.loads((Path(data) / "cohort.json").read_text(encoding="utf-8"))
    return int(meta["tables"]["panel"])


def _load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", help="cohort folder (default: the shipped cohort)")
    ap.add_argument("--lang", default="zh", choices=["zh", "en", "both"])
    ap.add_argument("--notebooks", nargs="+", metavar="NN", help="only these notebooks")
    ap.add_argument("--out", help="output folder (default: a scratch folder, deleted)")
    ap.add_argument("--log", help="copy the run's lines, with seconds since the start, here")
    ap.add_argument("--brief", action="store_true", help="render the brief and scan too")
    ap.add_argument("--interval", type=float, default=0.5, help="sampling interval, seconds")
    ap.add_argument("--from", dest="source", metavar="DIR",
                    help="execute these notebooks (.ipynb, or jupytext .py sources such as "
                    "notebooks/src) with papermill instead of lbc-eval run's")  # fmt: skip
    ap.add_argument("--child-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_out:
        _run_from(Path(args.source), args.data, Path(args.child_out), args.lang, args.notebooks)
        return 0

    scratch = None if args.out else tempfile.mkdtemp(prefix="bench-run-")
    out = args.out or scratch
    if args.source:
        cmd = [sys.executable, __file__, "--from", args.source, "--child-out", str(out),
               "--lang", args.lang, *([args.data] if args.data else [])]  # fmt: skip
        if args.notebooks:
            cmd += ["--notebooks", *args.notebooks]
        names = [f"{p.stem}.ipynb" for p in _sources(Path(args.source), args.notebooks)]
    else:
        cmd = [sys.executable, "-m", "lbc_eval", "run", "--out", str(out), "--lang", args.lang]
        if args.data:
            cmd += ["--data", args.data]
        if args.notebooks:
            cmd += ["--notebooks", *args.notebooks]
        if not args.brief:
            cmd.append("--no-brief")
        names = [p.name for p in _sources(NOTEBOOK_DIR, args.notebooks)]
    load_before = _load()
    print(
        f"cohort {args.data or '(shipped)'}; {len(names)} notebook(s); load average "
        f"{load_before} on {os.cpu_count()} cores"
    )
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    log = open(args.log, "w", encoding="utf-8") if args.log else None  # noqa: SIM115
    samples, stop = Samples(), threading.Event()
    reported: dict[str, float] = {}
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)  # fmt: skip
    sampler = threading.Thread(target=_sample, args=(proc.pid, args.interval, stop, samples))
    sampler.start()
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        tail = [*tail[-20:], line]
        if log:
            log.write(f"{time.perf_counter() - start:8.1f}  {line}\n")
            log.flush()
        m = _DONE.search(line)
        if m:
            reported[m.group(1)] = float(m.group(2))
    code = proc.wait()
    total = time.perf_counter() - start
    stop.set()
    sampler.join()
    if log:
        log.close()
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)
    if code != 0:
        print("\n".join(tail))
        print(f"the run failed (exit {code}); the figures below are of the notebooks it ran")

    kernels = sorted(samples.kernels.values(), key=lambda k: k.first)
    print(f"{'notebook':<28} {'seconds':>8} {'kernel CPU s':>13} {'peak kernel RSS':>16}")
    for i, name in enumerate(names):
        k = kernels[i] if i < len(kernels) else None
        secs = reported.get(name[:-6], k.last - k.first if k else float("nan"))
        cpu = f"{k.cpu:.1f}" if k else ""
        peak = f"{k.peak / GB:.2f} GB" if k else "(not seen)"
        print(f"{name:<28} {secs:>8.1f} {cpu:>13} {peak:>16}")
    rows = _rows(args.data)
    worst = max((k.peak for k in kernels), default=0) / GB
    cpu_total = samples.parent_cpu + sum(k.cpu for k in kernels)
    print(f"{'total':<28} {total:>8.1f} {cpu_total:>13.1f} {worst:>12.2f} GB (largest kernel)")
    print(
        f"{'papermill' if args.source else 'lbc-eval run'} process: peak RSS "
        f"{samples.parent_peak / MB:,.0f} MB, CPU "
        f"{samples.parent_cpu:.1f} s; whole process tree at its peak "
        f"{samples.tree_peak / GB:.2f} GB"
    )
    if rows:
        print(f"{rows:,} child-terms: {rows / total:,.0f} child-terms/s")
    print(f"load average before {load_before}, after {_load()}")
    ok = code == 0 and total < TARGET_S and worst < TARGET_GB
    print(
        f"target < {TARGET_S // 60} min and every kernel < {TARGET_GB:.0f} GB: "
        f"{'ok' if ok else 'MISSED'}"
    )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
