"""Benchmark the estimators: fixed-effects fits and the wild cluster bootstrap, against pyfixest.

Usage::

    python benchmarks/bench_estimators.py [--sizes county 1m 8m] [--draws 999 9999] [--seed 0]

Every measurement runs in a fresh Python process, so its peak memory (``ru_maxrss``) is its
own; the data are simulated once per size by another process and read from Parquet (only the
columns the models use). ``county`` is the county preset (about 230,000 child-terms, 60
schools); ``1m`` the province preset with 125,000 children (about 1 million child-terms);
``8m`` the province preset (about 8 million child-terms, 2,000 schools).

1. **Two-way fixed effects with clustered errors**: ``math ~ contacts + tutoring_hours |
   student_id + term``, CRV1 by school, with :func:`lbc_eval.fit_fe` and ``pyfixest.feols``
   (same rows, same small-sample factor: the estimates are compared).
2. **Wild cluster bootstrap** (WCR, Rademacher, 60 schools, county) of
   - the training model ``math ~ trained_share | school_id + year``, with the kit and with
     ``pyfixest``'s ``Feols.wildboottest`` (the ``wildboottest`` package, which builds dense
     dummy matrices for the fixed effects), and
   - the within-child model above, with the kit only: dense dummies for 30,000 children would
     not fit in memory (the size they would take is printed).

Targets (printed beside the figures): fit no slower than pyfixest at 1M rows; under 60 s and
8 GiB at 8M; the bootstrap with 9,999 draws and 60 clusters on the county preset under 15 s.
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

SIZES = {
    "county": ("county", {}),
    "1m": ("province", {"n_children": 125_000}),
    "8m": ("province", {}),
}
COLUMNS = ["student_id", "term", "school_id", "math", "talks", "home_visits", "parent_contacts",
           "tutoring_hours"]  # fmt: skip
FML = "math ~ contacts + tutoring_hours | student_id + term"


def _peak_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024**2 if sys.platform == "darwin" else peak / 1024


def _rss_mib() -> float:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1024**2
    except OSError:  # pragma: no cover - not Linux
        return float("nan")


def prepare(size: str, seed: int, scratch: Path) -> dict[str, Any]:
    """Simulate ``size`` and keep the columns the models use (panel and schools)."""
    import lbc_eval

    preset, overrides = SIZES[size]
    t0 = time.perf_counter()
    cohort = lbc_eval.simulate(lbc_eval.SynthSpec.preset(preset, seed=seed, **overrides))
    cohort.panel[COLUMNS].to_parquet(scratch / f"{size}_panel.parquet", index=False)
    cohort.schools[["school_id", "year", "trained_share"]].to_parquet(
        scratch / f"{size}_schools.parquet", index=False
    )
    return {
        "rows": len(cohort.panel),
        "children": int(cohort.panel["student_id"].nunique()),
        "terms": int(cohort.panel["term"].nunique()),
        "simulate_s": time.perf_counter() - t0,
    }


def _load(size: str, scratch: Path):
    import pandas as pd

    p = pd.read_parquet(scratch / f"{size}_panel.parquet")
    p["contacts"] = (p["talks"] + p["home_visits"] + p["parent_contacts"]).astype("float64")
    p["student_id"] = p["student_id"].astype("category")
    return p


def _warm_imports() -> None:
    """Import both engines before any clock starts (importing pyfixest takes seconds)."""
    import pyfixest  # noqa: F401
    from pyfixest.estimation import demean  # noqa: F401

    import lbc_eval.estimation.fe  # noqa: F401
    import lbc_eval.estimation.inference.wild  # noqa: F401


def fit_case(size: str, engine: str, scratch: Path) -> dict[str, Any]:
    """One fixed-effects fit; time of the call, RSS before it and peak RSS."""
    import warnings

    warnings.simplefilter("ignore")
    _warm_imports()
    p = _load(size, scratch)
    base = _rss_mib()
    t0 = time.perf_counter()
    if engine == "kit":
        from lbc_eval import fit_fe

        r = fit_fe(p, outcome="math", treatment=["contacts", "tutoring_hours"], unit="student_id",
                   time="term", cluster="school_id", inference="crv1")  # fmt: skip
        coef, se, n = r.tidy()["estimate"].tolist(), r.tidy()["std_error"].tolist(), r.nobs
    else:
        import pyfixest as pf

        m = pf.feols(FML, data=p, vcov={"CRV1": "school_id"})
        coef, se, n = m.coef().tolist(), m.se().tolist(), int(m._N)
    return {"seconds": time.perf_counter() - t0, "data_mib": base, "peak_mib": _peak_mib(),
            "rows": len(p), "nobs": n, "coef": coef, "se": se}  # fmt: skip


def boot_case(model: str, engine: str, draws: int, scratch: Path) -> dict[str, Any]:
    """Fit and wild-bootstrap one coefficient on the county data."""
    import warnings

    import pandas as pd

    warnings.simplefilter("ignore")
    _warm_imports()
    p = _load("county", scratch)
    # wildboottest's compiled kernels need numeric cluster ids
    p["school"] = pd.factorize(p["school_id"], sort=True)[0]
    if model == "training":
        s = pd.read_parquet(scratch / "county_schools.parquet")
        p["year"] = p["term"].str[:4].astype("int64")
        p = p.merge(s, on=["school_id", "year"], how="left")
        fml, treat, fes = (
            "math ~ trained_share | school_id + year",
            "trained_share",
            ("school_id", "year"),
        )
    else:
        fml, treat, fes = FML, "contacts", ("student_id", "term")
    base = _rss_mib()
    t0 = time.perf_counter()
    if engine == "kit":
        from lbc_eval import fit_fe, wild_bootstrap

        extra = ["tutoring_hours"] if model == "within" else []
        r = fit_fe(p, outcome="math", treatment=[treat, *extra], unit=fes[0], time=fes[1],
                   cluster="school_id", inference="crv1")  # fmt: skip
        t1 = time.perf_counter()
        bt = wild_bootstrap(r, term=treat, reps=draws, boot_weights="rademacher", seed=1)
        out = {"p_value": bt.p_value, "conf_low": bt.conf_low, "conf_high": bt.conf_high}
    else:
        import pyfixest as pf

        m = pf.feols(fml, data=p, vcov={"CRV1": "school"})
        t1 = time.perf_counter()
        res = m.wildboottest(reps=draws, param=treat, seed=1)
        out = {"p_value": float(res["Pr(>|t|)"])}
    t2 = time.perf_counter()
    n_fe = sum(int(p[f].nunique()) for f in fes)
    dense = len(p) * (n_fe + 2) * 8 / 1024**3
    return {**out, "fit_s": t1 - t0, "boot_s": t2 - t1, "data_mib": base,
            "peak_mib": _peak_mib(), "dense_gib": dense, "rows": len(p)}  # fmt: skip


def _child(args: list[str]) -> dict[str, Any]:
    res = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True,
                         text=True, check=False)  # fmt: skip
    if res.returncode != 0:
        tail = "\n".join(res.stderr.strip().splitlines()[-5:])
        return {"error": f"exit {res.returncode}: {tail}"}
    return json.loads(res.stdout.strip().splitlines()[-1])


def _ok(flag: bool) -> str:
    return "ok" if flag else "MISSED"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables (or, with ``--child``, one measurement)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", nargs="+", default=["county", "1m", "8m"], choices=list(SIZES))
    parser.add_argument("--draws", nargs="+", type=int, default=[999, 9999])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        scratch = Path(rest[-1])
        if kind == "prepare":
            out = prepare(rest[0], int(rest[1]), scratch)
        elif kind == "fit":
            out = fit_case(rest[0], rest[1], scratch)
        else:
            out = boot_case(rest[0], rest[1], int(rest[2]), scratch)
        print(json.dumps(out))
        return 0

    import numpy as np
    import pyfixest

    import lbc_eval

    print(f"lbc_eval {lbc_eval.__version__}, pyfixest {pyfixest.__version__}, Python "
          f"{platform.python_version()}, {os.cpu_count()} CPUs, seed {args.seed}")  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="bench_estimators_"))
    try:
        sizes = list(dict.fromkeys(["county", *args.sizes]))
        prep = {s: _child(["prepare", s, str(args.seed), str(scratch)]) for s in sizes}
        print("\n1. Two-way FE fit, CRV1 by school (seconds of the call; MiB of the process)")
        head = (f"{'size':<7} {'child-terms':>12} {'engine':<9} {'seconds':>8} {'data MiB':>9} "
                f"{'peak MiB':>9} {'kit/pyfixest':>12}  target")  # fmt: skip
        print(head + "\n" + "-" * len(head))
        for s in args.sizes:
            kit = _child(["fit", s, "kit", str(scratch)])
            ref = _child(["fit", s, "pyfixest", str(scratch)])
            for name, r in (("kit", kit), ("pyfixest", ref)):
                if "error" in r:
                    print(f"{s:<7} {prep[s].get('rows', 0):>12,} {name:<9} failed: {r['error']}")
                    continue
                ratio, target = "", ""
                if name == "kit" and "error" not in ref:
                    ratio = f"{kit['seconds'] / ref['seconds']:.2f}"
                    diff = np.max(np.abs(np.subtract(kit["coef"], ref["coef"])))
                    ratio += f" (|db| {diff:.0e})"
                if name == "kit" and s == "1m" and "error" not in ref:
                    target = f"no slower than pyfixest: {_ok(kit['seconds'] <= ref['seconds'])}"
                if name == "kit" and s == "8m":
                    target = (f"< 60 s: {_ok(kit['seconds'] < 60)}; < 8 GiB: "
                              f"{_ok(kit['peak_mib'] < 8 * 1024)}")  # fmt: skip
                mib = f"{r['data_mib']:>9,.0f} {r['peak_mib']:>9,.0f}"
                print(f"{s:<7} {r['rows']:>12,} {name:<9} {r['seconds']:>8.2f} {mib} "
                      f"{ratio:>12}  {target}")  # fmt: skip
        print("\n2. Wild cluster bootstrap on the county preset (60 schools, Rademacher)")
        head = (f"{'model':<30} {'draws':>6} {'engine':<9} {'fit s':>6} {'boot s':>7} "
                f"{'peak MiB':>9} {'p-value':>8} {'kit/ref':>8}  target")  # fmt: skip
        print(head + "\n" + "-" * len(head))
        for draws in args.draws:
            for model, label in (("training", "trained_share | school + year"),
                                 ("within", "contacts | student + term")):  # fmt: skip
                kit = _child(["boot", model, "kit", str(draws), str(scratch)])
                ref = (_child(["boot", model, "pyfixest", str(draws), str(scratch)])
                       if model == "training" else None)  # fmt: skip
                for name, r in (("kit", kit), ("pyfixest", ref)):
                    if r is None:
                        continue
                    if "error" in r:
                        print(f"{label:<30} {draws:>6} {name:<9} failed: {r['error']}")
                        continue
                    ratio = target = ""
                    if name == "kit" and ref is not None and "error" not in ref:
                        ratio = f"{kit['boot_s'] / ref['boot_s']:.3f}"
                    if name == "kit" and draws == 9999:
                        total = r["fit_s"] + r["boot_s"]
                        target = f"< 15 s: {_ok(total < 15)}"
                    print(f"{label:<30} {draws:>6} {name:<9} {r['fit_s']:>6.2f} "
                          f"{r['boot_s']:>7.2f} {r['peak_mib']:>9,.0f} {r['p_value']:>8.4f} "
                          f"{ratio:>8}  {target}")  # fmt: skip
        print("\nDense dummies for the within-child model (child-terms x (children + terms) x 8 "
              "bytes), what pyfixest's wildboottest would build:")  # fmt: skip
        for s, r in prep.items():
            if "error" in r:
                continue
            gib = r["rows"] * (r["children"] + r["terms"]) * 8 / 1024**3
            fits = "fits" if gib < 16 else "does not fit"
            print(f"  {s:<7} {r['rows']:>10,} x {r['children'] + r['terms']:>9,} -> "
                  f"{gib:>12,.1f} GiB ({fits} in this machine's 24 GiB)")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
