"""Benchmark the staggered DiD: time and peak memory of ATT(g,t), analytic and bootstrapped.

Usage::

    python benchmarks/bench_did.py [--sizes county 1000000] [--draws 999]

Each case runs in a fresh process (peak memory is its own). ``county`` fits question Q3 on the
county preset (children left behind in the first term, 8 terms); a number N fits a synthetic
balanced panel of N units over 8 periods with three adoption groups and never-treated units.
Where the ``csdid`` package (a Python port of R ``did``) is installed, the county case is also
timed with it and the ratio printed. Target: 1,000,000 units with 999 bootstrap draws in < 60 s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def _panel(n: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    periods = np.arange(1, 9)
    g = rng.choice([0, 3, 5, 7], size=n, p=[0.4, 0.2, 0.2, 0.2])
    unit_fe = rng.standard_normal(n)
    t = np.tile(periods, n)
    gi = np.repeat(g, periods.size)
    effect = np.where((gi > 0) & (t >= gi), 0.1 * (t - gi + 1), 0.0)
    y = np.repeat(unit_fe, periods.size) + 0.05 * t + effect + rng.standard_normal(t.size)
    return pd.DataFrame({"unit": np.repeat(np.arange(n), periods.size), "time": t,
                         "group": gi, "y": y})


def _child(case: str, draws: int) -> dict:
    import warnings

    warnings.simplefilter("ignore")
    from lbc_eval.estimation.did import fit_did
    from lbc_eval.questions.enrolment import fit_policy

    out: dict = {"case": case}
    if case == "county":
        import lbc_eval

        cohort = lbc_eval.simulate(lbc_eval.SynthSpec.preset("county", seed=0))
        t0 = time.perf_counter()
        res = fit_policy(cohort, outcome="moved")
        out["analytic_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit_policy(cohort, outcome="moved", reps=draws)
        out["bootstrap_s"] = time.perf_counter() - t0
        out["units"] = res.nobs
        try:
            from lbc_eval.questions.enrolment import policy_panel

            data = policy_panel(cohort, outcome="moved")
            from csdid.att_gt import ATTgt  # type: ignore[import-not-found]

            t0 = time.perf_counter()
            ATTgt(yname="moved", gname="group", idname="student_id", tname="period",
                  data=data, control_group="nevertreated").fit(est_method="reg")
            out["csdid_s"] = time.perf_counter() - t0
        except Exception as exc:  # noqa: BLE001 - optional comparison
            out["csdid_s"] = f"not run ({type(exc).__name__})"
    else:
        n = int(case)
        data = _panel(n)
        t0 = time.perf_counter()
        res = fit_did(data, outcome="y", unit="unit", time="time", group="group")
        out["analytic_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit_did(data, outcome="y", unit="unit", time="time", group="group", reps=draws)
        out["bootstrap_s"] = time.perf_counter() - t0
        out["units"] = res.nobs
    out["cells"] = len(res.table)
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="+", default=["county", "1000000"])
    ap.add_argument("--draws", type=int, default=999)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.draws)))
        return 0
    print(f"{'case':>10} {'units':>10} {'cells':>6} {'analytic s':>11} "
          f"{'+' + str(args.draws) + ' draws s':>14} {'peak MiB':>9}  csdid s (ratio)")
    for case in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--child", case, "--draws",
                               str(args.draws)], capture_output=True, text=True, check=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        cs = r.get("csdid_s", "")
        if isinstance(cs, float):
            cs = f"{cs:.2f} ({cs / r['analytic_s']:.1f}x ours)"
        target = "  target < 60 s: " + ("ok" if r["bootstrap_s"] < 60 else "MISSED") \
            if case == "1000000" else ""
        print(f"{case:>10} {r['units']:>10,} {r['cells']:>6} {r['analytic_s']:>11.2f} "
              f"{r['bootstrap_s']:>14.2f} {r['peak_mib']:>9.0f}  {cs}{target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
