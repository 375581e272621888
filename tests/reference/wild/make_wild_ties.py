"""Reference numbers for the wild bootstrap's full-enumeration ties (tests/.../test_wild.py).

Run with the wildboottest package (0.3.2) installed, from the project folder:

    python tests/reference/wild/make_wild_ties.py

It writes ``wild_ties.csv`` beside itself: for each design (G = 12 or 13 school clusters, so
that 2^G < 9,999 draws and wildboottest enumerates all 2^G Rademacher sign vectors) the
WCR11 test of beta_x = 0 in y ~ x + z + unit and period dummies, clustered by school:

- ``statistic``: wildboottest's t statistic (``get_tstat``);
- ``p_wildboottest``: its p-value as it returns it, ``mean(|t| < |t*|)``;
- ``n_beyond``: draws with |t*| > |t| + 1e-10 max(1, |t|), i.e. ties never counted;
- ``n_ties``: draws within 1e-10 max(1, |t|) of |t| (the two constant sign vectors).

wildboottest computes ``t_stat`` from its CRV1 vcov and ``t_boot`` by the fast algebra, so
whether its strict ``<`` counts the two tied draws is floating-point noise:
``p_wildboottest * 2^G`` is ``n_beyond`` or ``n_beyond + 2``. fwildclusterboot 0.14.3 and
WildBootTests.jl 1.0.2 compute the observed t by the same arithmetic as the draws, so the ties
are exact and the strict comparison never counts them: their p-value is ``n_beyond / 2^G``.

The data are ``toy`` below, the generator of tests/estimation/inference/test_wild.py (``_toy``)
plus ``effect * x`` added to y; numpy's default_rng streams are stable across versions.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

#: (G, seed, effect): G school clusters; effect is added as effect * x to y.
CASES = [(12, 1, 0.0), (12, 3, 0.0), (12, 6, 0.0), (12, 2, 0.2), (12, 5, 0.22), (12, 4, 0.1),
         (12, 4, 0.25), (13, 1, 0.0), (13, 3, 0.0), (13, 7, 0.0), (13, 2, 0.25), (13, 5, 0.15),
         (13, 5, 0.25)]  # fmt: skip
TIE_RTOL = 1e-10


def toy(seed: int, G: int, T: int = 5, per: int = 6, effect: float = 0.0) -> pd.DataFrame:
    """Units in schools over periods; a fifth of the units change school late (so the unit
    effects are not nested in the clusters) and period effects cut across every cluster."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(G * per), T)
    t = np.tile(np.arange(T), G * per)
    school = unit // per
    school = np.where((unit % 5 == 0) & (t >= 3), (school + 1) % G, school)
    x = rng.normal(size=unit.size) + 0.3 * rng.normal(size=G)[school]
    z = rng.normal(size=unit.size)
    y = 0.5 * z + rng.normal(size=G * per)[unit] + 0.2 * t + rng.normal(size=G)[school]
    y = y + rng.normal(size=unit.size)
    w = 0.5 + rng.uniform(size=unit.size)
    y = y + effect * x
    return pd.DataFrame(dict(y=y, x=x, z=z, unit=unit, t=t, school=school, w=w))


def reference_row(G: int, seed: int, effect: float) -> dict:
    from wildboottest.wildboottest import WildboottestCL

    df = toy(seed, G, effect=effect)
    units = np.eye(df["unit"].nunique())[df["unit"]]
    periods = np.eye(df["t"].nunique())[df["t"]][:, 1:]
    X = np.column_stack([df["x"], df["z"], units, periods])
    R = np.zeros(X.shape[1])
    R[0] = 1.0
    boot = WildboottestCL(X=X, Y=df["y"].to_numpy(), cluster=df["school"].to_numpy(), R=R,
                          B=9999, seed=0, parallel=False)  # fmt: skip
    boot.get_scores(bootstrap_type="11", impose_null=True)
    boot.get_weights(weights_type="rademacher")
    assert boot.full_enumeration and boot.B == 2**G
    boot.get_numer()
    boot.get_denom()
    boot.get_tboot()
    boot.get_vcov()
    boot.get_tstat()
    boot.get_pvalue(pval_type="two-tailed")
    t = abs(float(np.ravel(boot.t_stat)[0]))
    tb = np.abs(np.ravel(boot.t_boot))
    eps = TIE_RTOL * max(1.0, t)
    return {
        "G": G,
        "seed": seed,
        "effect": effect,
        "draws": int(boot.B),
        "statistic": repr(float(np.ravel(boot.t_stat)[0])),
        "p_wildboottest": repr(float(boot.pvalue)),
        "n_beyond": int(np.sum(tb > t + eps)),
        "n_ties": int(np.sum(np.abs(tb - t) <= eps)),
    }


def main() -> None:
    from importlib.metadata import version

    rows = [reference_row(*case) for case in CASES]
    out = Path(__file__).with_name("wild_ties.csv")
    with out.open("w", newline="") as f:
        f.write(f"# wildboottest {version('wildboottest')}, numpy {np.__version__}; "
                "written by make_wild_ties.py\n")  # fmt: skip
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(out.read_text())


if __name__ == "__main__":
    main()
