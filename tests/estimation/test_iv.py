"""2SLS with absorbed fixed effects: pyfixest's feiv to 1e-6, first-stage F, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfixest as pf
import pytest

from lbc_eval.errors import NoVariationError
from lbc_eval.estimation.fe import make_design
from lbc_eval.estimation.iv import fit_iv


def _data(seed: int = 3, n: int = 2000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    fe1 = rng.integers(0, 150, n)
    fe2 = rng.integers(0, 8, n)
    cluster = fe1 % 20
    z = rng.normal(size=n) + 0.3 * fe2
    v = rng.normal(size=n)
    a = rng.normal(size=150)[fe1]
    x = 0.6 * z + a + v
    w = rng.normal(size=n)
    y = 0.5 * x - 0.2 * w + a + 0.1 * fe2 + 0.8 * v + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x": x, "z": z, "w": w, "fe1": fe1, "fe2": fe2, "cl": cluster})


def _fit(df: pd.DataFrame, exog: bool = True):
    cols = ["x", "w", "z"] if exog else ["x", "z"]
    design, _, _ = make_design(df, outcome="y", X=df[cols], fixed_effects=["fe1", "fe2"],
                               cluster=["cl"])  # fmt: skip
    return fit_iv(design, endogenous=["x"], instruments=["z"])


@pytest.mark.parametrize("exog", [True, False])
def test_matches_pyfixest_feiv(exog):
    df = _data()
    ours = _fit(df, exog)
    fml = "y ~ w | fe1 + fe2 | x ~ z" if exog else "y ~ 1 | fe1 + fe2 | x ~ z"
    ref = pf.feols(fml, data=df, vcov={"CRV1": "cl"})
    names = ["x", "w"] if exog else ["x"]
    assert ours.names == tuple(names)
    np.testing.assert_allclose(ours.coef, ref.coef()[names].to_numpy(), rtol=0, atol=1e-6)
    np.testing.assert_allclose(ours.se, ref.se()[names].to_numpy(), rtol=1e-6, atol=1e-8)
    assert ours.n_clusters == 20 and ours.df_t == 19


def test_first_stage_f_is_the_cluster_robust_wald_on_the_instrument():
    df = _data()
    ours = _fit(df)
    fs = pf.feols("x ~ z + w | fe1 + fe2", data=df, vcov={"CRV1": "cl"})
    t = fs.tstat()["z"]
    np.testing.assert_allclose(ours.first_stage_f[0], t**2, rtol=1e-6)
    assert ours.first_stage_f[0] > 10


def test_instrument_without_within_variation_is_refused():
    df = _data().assign(z=lambda d: d["fe1"] * 0.1)
    with pytest.raises(NoVariationError, match="instrument has no variation"):
        _fit(df)
