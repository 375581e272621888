"""fit_did against R ``did`` 2.5 semantics, every option, on mpdta and a second staggered panel.

The reference numbers were produced by ``tests/reference/did/generate.py`` (moderndid 0.2.0,
patched where it departs from R ``did``'s source, cross-checked against csdid 0.4.3; see
``tests/reference/did/README.md``). Point estimates must agree to 1e-8 and analytic standard
errors to 1e-6 (relative), ATT(g,t) and every aggregation (simple, dynamic with its window
options, group, calendar).
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbc_eval.estimation.did import fit_did

ROOT = Path(__file__).resolve().parents[3]
REF = ROOT / "tests" / "reference" / "did"
CONFIGS: dict = json.loads((REF / "configs.json").read_text())
RESULTS = pd.read_csv(REF / "results.csv", dtype={"key": str})


@cache
def _data(path: str) -> pd.DataFrame:
    return pd.read_csv(ROOT / path)


@cache
def _fit(config: str):
    c = CONFIGS[config]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit_did(_data(c["dataset"]), **c["kit"])


def _window(row: pd.Series) -> dict:
    out = {}
    for k in ("min_e", "max_e", "balance_e"):
        if pd.notna(row[k]):
            out[k] = int(row[k]) if k == "balance_e" else float(row[k])
    return out


def _ours(config: str, table: str, opts: dict) -> pd.DataFrame:
    """Our table keyed as the reference: key (group / event time / period / overall)."""
    r = _fit(config)
    if table == "attgt":
        t = r.tidy()
        key = t["group"].astype(int).astype(str)
        return pd.DataFrame(
            {"key": key, "time": t["time"].astype(float), "estimate": t["estimate"],
             "se": t["std_error"]}  # fmt: skip
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # calendar: the window is ignored, with a warning
        t = r.aggregate(table, **opts).tidy()
    col = {"simple": "event_time", "dynamic": "event_time", "group": "group", "calendar": "time"}
    key = [
        "overall" if term == "overall" else str(int(float(k)))
        for term, k in zip(t["term"], t[col[table]], strict=True)
    ]
    return pd.DataFrame({"key": key, "time": np.nan, "estimate": t["estimate"],
                         "se": t["std_error"]})  # fmt: skip


CASES = [
    (config, table, json.dumps(_window(g.iloc[0])))
    for (config, table, *_), g in RESULTS.groupby(
        ["config", "table", "min_e", "max_e", "balance_e"], dropna=False, sort=False
    )
]


@pytest.mark.parametrize(("config", "table", "window"), CASES)
def test_matches_r_did(config, table, window):
    opts = json.loads(window)
    ref = RESULTS[(RESULTS["config"] == config) & (RESULTS["table"] == table)]
    for k in ("min_e", "max_e", "balance_e"):
        ref = ref[ref[k] == opts[k]] if k in opts else ref[ref[k].isna()]
    ours = _ours(config, table, opts)
    keys = ["key", "time"] if table == "attgt" else ["key"]
    ref = ref.assign(time=ref["time"].astype(float))
    both = ref.merge(ours, on=keys, how="outer", suffixes=("_r", "_kit"), indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", keys]
    np.testing.assert_allclose(both["estimate_kit"], both["estimate_r"], rtol=1e-8, atol=1e-10)
    # analytic standard errors to 1e-6; NA (reference cells, e = -1) on both sides
    assert (both["se_kit"].isna() == both["se_r"].isna()).all()
    np.testing.assert_allclose(both["se_kit"], both["se_r"], rtol=1e-6, equal_nan=True)


def test_every_configuration_is_compared():
    assert set(RESULTS["config"]) == set(CONFIGS)
    assert len(CASES) >= 300


def test_panel_with_known_effect_is_recovered():
    """The second panel's truth (ATT(g,t) = 0.5 + 0.25 e) lies within 4 SE of every
    post-treatment cell of the doubly robust fit with the covariate (never-treated controls)."""
    truth = pd.read_csv(REF / "panel2_truth.csv")
    config = next(
        k for k, c in CONFIGS.items()
        if c["dataset"].endswith("panel2.csv") and c["kit"]["method"] == "dr"
        and c["kit"]["controls"] and c["kit"]["control"] == "never"
        and not c["kit"]["weights"] and not c["kit"]["cluster"]
    )  # fmt: skip
    t = _fit(config).tidy()
    post = t[t["time"] >= t["group"]].merge(truth, on=["group", "time"])
    assert len(post) >= 6
    z = (post["estimate"] - post[truth.columns[-1]]) / post["std_error"]
    assert (z.abs() < 4).all(), post
