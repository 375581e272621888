"""Reference values for the 2x2 DiD estimators of lbc_eval/estimation/did/drdid.py.

Generated with the Python ports of R's DRDID 1.2.3: ``drdid`` 1.1.7 (PyPI) and ``moderndid``
0.2.0 (PyPI), in a separate environment (neither is a dependency of the kit)::

    python -m venv /tmp/refenv && /tmp/refenv/bin/pip install drdid==1.1.7 moderndid==0.2.0
    /tmp/refenv/bin/python tests/reference/drdid/generate.py

It writes, next to this file:

* ``panel.csv`` (300 units: y0, y1, d, x1, x2, w) and ``rc.csv`` (400 rows: y, post, d, x1, x2,
  w), two seeded datasets; x1 is continuous, x2 binary, the weights positive and unequal, and
  a few comparison units have a propensity score of 0.995 or more, so DRDID's trimming acts;
* ``results.csv``: ATT and analytic SE (``sd(inf) * sqrt(n - 1) / n``, DRDID's) of each of the
  six estimators, with and without weights, with (intercept, x1, x2) and without (intercept
  only) covariates, and the package that produced them;
* ``panel_inf.csv`` and ``rc_inf.csv``: the full influence functions, one column per case.

Which package: both ports agree with the R source of DRDID 1.2.3 on five estimators, and with
each other to ~1e-13, so ``drdid`` is used for those. For ``drdid_rc`` ``drdid`` 1.1.7 subtracts
the pre-period outcome-regression estimation effects (``inf_treat_or = post - pre``, same for
``inf_cont_or``) where DRDID 1.2.3 adds them (``inf.treat.or.post + inf.treat.or.pre``);
``moderndid`` 0.2.0 follows R there, so ``drdid_rc`` comes from ``moderndid``. The script
prints the differences between the two packages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from drdid.drdid import drdid_panel, drdid_rc
from drdid.ipwd_did import std_ipw_did_panel, std_ipw_did_rc
from drdid.reg_did import reg_did_panel, reg_did_rc
from moderndid.drdid.estimators.drdid_panel import drdid_panel as md_drdid_panel
from moderndid.drdid.estimators.drdid_rc import drdid_rc as md_drdid_rc
from moderndid.drdid.estimators.reg_did_panel import reg_did_panel as md_reg_did_panel
from moderndid.drdid.estimators.reg_did_rc import reg_did_rc as md_reg_did_rc
from moderndid.drdid.estimators.std_ipw_did_panel import std_ipw_did_panel as md_ipw_panel
from moderndid.drdid.estimators.std_ipw_did_rc import std_ipw_did_rc as md_ipw_rc
from scipy.special import expit

HERE = Path(__file__).parent
FMT = "%.17g"
ESTIMATORS = {  # (design, method) -> (drdid 1.1.7, moderndid 0.2.0, reference)
    ("panel", "reg"): (reg_did_panel, md_reg_did_panel, "drdid"),
    ("panel", "ipw"): (std_ipw_did_panel, md_ipw_panel, "drdid"),
    ("panel", "dr"): (drdid_panel, md_drdid_panel, "drdid"),
    ("rc", "reg"): (reg_did_rc, md_reg_did_rc, "drdid"),
    ("rc", "ipw"): (std_ipw_did_rc, md_ipw_rc, "drdid"),
    ("rc", "dr"): (drdid_rc, md_drdid_rc, "moderndid"),
}


def _units(seed: int, n: int, flips: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Covariates, a steep logit treatment (some comparison units left with p >= 0.995 after
    turning the ``flips``-th largest x1 into comparison units) and unequal weights."""
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = (rng.random(n) < 0.4).astype(float)
    d = (rng.random(n) < expit(-0.6 + 3.0 * x1 - 0.5 * x2)).astype(float)
    d[np.argsort(x1)[::-1][list(flips)]] = 0.0
    w = rng.uniform(0.5, 2.5, size=n)
    return {"rng": rng, "x1": x1, "x2": x2, "d": d, "w": w}


def panel_data(seed: int = 2, n: int = 300) -> dict[str, np.ndarray]:
    u = _units(seed, n, (3, 8))
    rng, x1, x2, d = u.pop("rng"), u["x1"], u["x2"], u["d"]
    y0 = 1 + x1 + 0.5 * x2 + rng.normal(size=n)
    y1 = y0 + 0.5 + 0.3 * x1 - 0.2 * x2 + d * (1.0 + 0.5 * x1) + rng.normal(size=n)
    return {"y0": y0, "y1": y1, **u}


def rc_data(seed: int = 0, n: int = 400) -> dict[str, np.ndarray]:
    u = _units(seed, n, (4, 10))
    rng, x1, x2, d = u.pop("rng"), u["x1"], u["x2"], u["d"]
    post = (rng.random(n) < 0.5).astype(float)
    y = (
        1
        + x1
        + 0.5 * x2
        + post * (0.5 + 0.3 * x1)
        + d * (0.4 + 0.2 * x1)
        + d * post * (1.5 + 0.4 * x2)
        + rng.normal(size=n)
    )
    return {"y": y, "post": post, **u}


def run(fn, design: str, data: dict[str, np.ndarray], x, w, modern: bool):
    """(att, influence function) of one package's estimator; copies, as moderndid divides the
    weights in place."""
    w = None if w is None else w.copy()
    x = None if x is None else x.copy()
    if design == "panel":
        args = (data["y1"].copy(), data["y0"].copy(), data["d"].copy())
    else:
        args = (data["y"].copy(), data["post"].copy(), data["d"].copy())
    if modern:
        res = fn(*args, covariates=x, i_weights=w, influence_func=True)
        return float(res.att), np.asarray(res.att_inf_func, float)
    att, inf = fn(*args, covariates=x, i_weights=w)
    return float(att), np.asarray(inf, float)


def save(path: Path, columns: dict[str, np.ndarray]) -> None:
    np.savetxt(
        path,
        np.column_stack(list(columns.values())),
        fmt=FMT,
        delimiter=",",
        header=",".join(columns),
        comments="",
    )


def main() -> None:
    datasets = {"panel": panel_data(), "rc": rc_data()}
    rows = ["design,method,weighted,covariates,att,se,source"]
    infs: dict[str, dict[str, np.ndarray]] = {"panel": {}, "rc": {}}
    for (design, method), (fn, md_fn, source) in ESTIMATORS.items():
        data = datasets[design]
        n = data["d"].size
        for weighted in (0, 1):
            for covariates in (0, 1):
                x = np.column_stack([np.ones(n), data["x1"], data["x2"]]) if covariates else None
                w = data["w"] if weighted else None
                a_dr, i_dr = run(fn, design, data, x, w, modern=False)
                a_md, i_md = run(md_fn, design, data, x, w, modern=True)
                att, inf = (a_dr, i_dr) if source == "drdid" else (a_md, i_md)
                se = float(np.std(inf, ddof=1) * np.sqrt(n - 1) / n)
                key = f"{method}_w{weighted}_x{covariates}"
                infs[design][key] = inf
                rows.append(f"{design},{method},{weighted},{covariates},{att!r},{se!r},{source}")
                print(
                    f"{design:5} {key:10} att={att: .10f} se={se:.10f}  drdid-moderndid: "
                    f"att {abs(a_dr - a_md):.1e}, inf {np.max(np.abs(i_dr - i_md)):.1e}"
                )
    for design, data in datasets.items():
        save(HERE / f"{design}.csv", data)
        save(HERE / f"{design}_inf.csv", infs[design])
    (HERE / "results.csv").write_text("\n".join(rows) + "\n")
    x = np.column_stack([np.ones(300), datasets["panel"]["x1"], datasets["panel"]["x2"]])
    print("trimmed comparison units (panel, rc):", trimmed(x, datasets["panel"]), end=", ")
    x = np.column_stack([np.ones(400), datasets["rc"]["x1"], datasets["rc"]["x2"]])
    print(trimmed(x, datasets["rc"]))


def trimmed(x: np.ndarray, data: dict[str, np.ndarray]) -> tuple[int, int]:
    """Comparison units with p >= 0.995, unweighted and weighted logit (statsmodels)."""
    import statsmodels.api as sm

    out = []
    for w in (np.ones(len(x)), data["w"]):
        ps = sm.GLM(data["d"], x, family=sm.families.Binomial(), freq_weights=w).fit().fittedvalues
        out.append(int(((data["d"] == 0) & (ps >= 0.995)).sum()))
    return out[0], out[1]


if __name__ == "__main__":
    main()
