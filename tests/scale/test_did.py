"""fit_did and fit_policy on a lazy table (DuckDB) against R ``did`` and the in-memory path.

Every configuration of ``tests/reference/did/configs.json`` without covariates or weights on a
panel (28, mpdta and a second panel: never / not-yet controls, varying / universal base,
anticipation 0-2, clusters by state, late cohorts, no never-treated unit, unbalanced panels) is
read lazily by DuckDB from its CSV file and fitted out of core: estimates must match R
``did``'s (the moderndid reference of ``tests/estimation/did/test_reference.py``) to 1e-8 and
analytic standard errors to 1e-6 (relative); against the DataFrame fit every estimate and
standard error (ATT(g,t), simple, dynamic, group, calendar) must agree to 1e-8, with the same
notes, warnings and tables. Question Q3 (``fit_policy``) on a lazy cohort must give the
in-memory result to 1e-8, inference by destination (bootstrap, few-cluster rescaling,
randomisation pre-test) included. PySpark: ``tests/scale/test_spark.py``.
"""

from __future__ import annotations

import json
import warnings
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lbc_eval
from lbc_eval.data.lazy import connect
from lbc_eval.data.resources import example_path
from lbc_eval.errors import DroppedRowsWarning, EstimationError, OutOfCoreError
from lbc_eval.estimation.did import fit_did
from lbc_eval.estimation.inference.multiplier import cluster_sum
from lbc_eval.questions.enrolment import fit_policy, policy_panel
from lbc_eval.questions.enrolment_lazy import policy_panel_lazy
from lbc_eval.scale.did import panel_moments, to_pandas
from tests.conftest import cohort_for

ROOT = Path(__file__).resolve().parents[2]
REF = ROOT / "tests" / "reference" / "did"
CONFIGS: dict = json.loads((REF / "configs.json").read_text())
RESULTS = pd.read_csv(REF / "results.csv", dtype={"key": str})
LAZY = sorted(
    k for k, c in CONFIGS.items()
    if not c["kit"]["controls"] and not c["kit"]["weights"] and c["kit"]["panel"]
)  # fmt: skip
KINDS = ("simple", "dynamic", "group", "calendar")
COLS = ["estimate", "std_error"]
CON = connect("duckdb", threads=1)


@cache
def _table(path: str):
    return CON.read_csv(str(ROOT / path))


def _run(data, kit: dict) -> tuple:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_did(data, **kit)
    kept = [str(w.message) for w in caught if issubclass(w.category, UserWarning)
            and not issubclass(w.category, DeprecationWarning)]  # fmt: skip
    return res, kept


@cache
def _fits(config: str) -> tuple:
    c = CONFIGS[config]
    memory = _run(pd.read_csv(ROOT / c["dataset"]), c["kit"])
    lazy = _run(_table(c["dataset"]), c["kit"])
    return memory, lazy


def _tables(res) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # calendar's window, groups without post cells
        out = {"attgt": res.tidy()}
        for kind in KINDS:
            try:
                out[kind] = res.aggregate(kind).tidy()
            except EstimationError:
                continue
    return out


def test_every_configuration_without_covariates_is_covered():
    assert len(LAZY) == 28
    kits = [CONFIGS[k]["kit"] for k in LAZY]
    assert {(k["control"], k["base_period"], k["anticipation"] > 0) for k in kits} == {
        (c, b, a) for c in ("never", "not_yet") for b in ("varying", "universal")
        for a in (False, True)
    }  # fmt: skip
    assert any(k["cluster"] for k in kits) and any(k["allow_unbalanced_panel"] for k in kits)


def _window(row: pd.Series) -> dict:
    return {k: (int(row[k]) if k == "balance_e" else float(row[k]))
            for k in ("min_e", "max_e", "balance_e") if pd.notna(row[k])}  # fmt: skip


def _keyed(res, table: str, window: dict) -> pd.DataFrame:
    """Our rows keyed as the reference's (group / event time / period / overall)."""
    if table == "attgt":
        t = res.tidy()
        key = t["group"].astype(int).astype(str) + "/" + t["time"].astype(float).astype(str)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # calendar: the window is ignored, with a warning
            t = res.aggregate(table, **window).tidy()
        col = {"simple": "event_time", "dynamic": "event_time", "group": "group",
               "calendar": "time"}[table]  # fmt: skip
        key = pd.Series(["overall" if term == "overall" else str(int(float(k)))
                         for term, k in zip(t["term"], t[col], strict=True)])  # fmt: skip
    return pd.DataFrame({"key": key.to_numpy(), "est_kit": t["estimate"].to_numpy(),
                         "se_kit": t["std_error"].to_numpy()})  # fmt: skip


@pytest.mark.parametrize("config", LAZY)
def test_lazy_matches_r_did(config):
    """Every table of the reference (ATT(g,t), each aggregation with its window options)."""
    (_, _), (lazy, _) = _fits(config)
    ref = RESULTS[RESULTS["config"] == config].copy()
    ref["key"] = np.where(
        ref["table"] == "attgt",
        ref["key"] + "/" + ref["time"].astype(float).astype(str),
        ref["key"],
    )
    groups = ref.groupby(["table", "min_e", "max_e", "balance_e"], dropna=False, sort=False)
    assert groups.ngroups >= 4 and "attgt" in set(ref["table"])
    for (table, *_), r in groups:
        ours = _keyed(lazy, table, _window(r.iloc[0]))
        both = r.merge(ours, on="key", how="outer", indicator=True)
        assert (both["_merge"] == "both").all(), (table, both[both["_merge"] != "both"])
        np.testing.assert_allclose(both["est_kit"], both["estimate"], rtol=1e-8, atol=1e-10)
        assert (both["se_kit"].isna() == both["se"].isna()).all()
        np.testing.assert_allclose(both["se_kit"], both["se"], rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("config", LAZY)
def test_lazy_equals_in_memory(config):
    (memory, w_memory), (lazy, w_lazy) = _fits(config)
    a, b = _tables(memory), _tables(lazy)
    assert a.keys() == b.keys()
    for kind in a:
        assert a[kind]["term"].tolist() == b[kind]["term"].tolist(), kind
        np.testing.assert_allclose(b[kind][COLS], a[kind][COLS], rtol=0, atol=1e-8, err_msg=kind)
    assert lazy.notes == memory.notes
    assert w_lazy == w_memory
    assert (lazy.nobs, lazy.n_clusters, lazy.cov_type) == (
        memory.nobs, memory.n_clusters, memory.cov_type)  # fmt: skip
    pd.testing.assert_frame_equal(lazy.tables["cells"], memory.tables["cells"], check_dtype=False)
    pd.testing.assert_frame_equal(lazy.tables["groups"], memory.tables["groups"],
                                  check_dtype=False)  # fmt: skip
    if memory.pretest():
        assert lazy.pretest() == pytest.approx(memory.pretest(), rel=1e-8)


def test_cluster_sums_and_factor_are_those_of_the_unit_influence_functions():
    """The lazy fit's rows: the clusters' sums of the in-memory influence functions (clusters
    in the same order), or a factor L with L'L = Psi'Psi (units as clusters)."""
    (memory, _), (lazy, _) = _fits("mp_cl_nev_dr_var_nox")
    sums = cluster_sum(memory.inf, memory.cluster_codes)
    np.testing.assert_allclose(lazy.inf, sums, rtol=0, atol=1e-9 * np.abs(sums).max())
    (memory, _), (lazy, _) = _fits("mp_unb_nev_dr_var_nox")
    gram = memory.inf.T @ memory.inf
    np.testing.assert_allclose(lazy.inf.T @ lazy.inf, gram, rtol=0, atol=1e-9 * np.abs(gram).max())
    assert lazy.inf.shape[0] < memory.inf.shape[0]  # a few rows per pattern, not per unit


@pytest.mark.parametrize("small_cluster", [False, True])
@pytest.mark.parametrize("pretest", ["sup_t", "average"])
def test_bootstrap_over_clusters_draws_the_same(small_cluster, pretest):
    kit = dict(CONFIGS["mp_cl_nev_dr_var_nox"]["kit"], reps=199, boot_weights="webb",
               small_cluster=small_cluster, pretest=pretest)  # fmt: skip
    memory, _ = _run(pd.read_csv(REF / "mpdta_state.csv"), kit)
    lazy, _ = _run(_table("tests/reference/did/mpdta_state.csv"), kit)
    for kind, t in _tables(memory).items():
        np.testing.assert_allclose(_tables(lazy)[kind][COLS], t[COLS], rtol=0, atol=1e-8)
    assert lazy.critical_value == pytest.approx(memory.critical_value, rel=1e-10)
    assert lazy.pretest() == pytest.approx(memory.pretest(), rel=1e-8)
    assert lazy.cov_type == memory.cov_type and "webb" in lazy.cov_type


def test_unbalanced_panel_drops_incomplete_units_with_the_same_warning():
    data = _table("tests/reference/did/mpdta_unbalanced.csv")
    kit = {"outcome": "lemp", "unit": "countyreal", "time": "year", "group": "first.treat"}
    with pytest.warns(DroppedRowsWarning, match=r"^115 of 500 units miss some period and were"):
        res = fit_did(data, **kit)
    assert res.nobs == 385
    with warnings.catch_warnings():
        warnings.simplefilter("error", DroppedRowsWarning)
        kept = fit_did(data, **kit, allow_unbalanced_panel=True)
    assert kept.nobs == 500 and "repeated-cross-section" in " ".join(kept.notes)


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"controls": ["lpop"]}, "covariates"),
        ({"weights": "lpop"}, "sampling weights"),
        ({"panel": False}, "repeated cross sections"),
        ({"reps": 99}, "cluster=<a column above the unit>"),
    ],
)
def test_refuses_what_needs_every_unit(option, match):
    kit = dict(CONFIGS["mp_nev_reg_var_nox"]["kit"], **option)
    with pytest.raises(OutOfCoreError, match=match) as err:
        fit_did(_table("lbc_eval/data/reference/mpdta.csv"), **kit)
    assert "collect" in str(err.value) or "reps=0" in str(err.value)


def test_units_as_clusters_refuse_a_bootstrap_in_aggregate():
    (_, _), (lazy, _) = _fits("mp_nev_reg_var_nox")
    assert lazy.aggregate("simple").tidy()["std_error"].notna().all()
    with pytest.raises(OutOfCoreError, match="bootstrap over units"):
        lazy.aggregate("simple", reps=99)


def test_data_errors_are_raised_as_in_memory():
    frame = pd.read_csv(REF / "mpdta_state.csv")
    twice = pd.concat([frame, frame.iloc[:1]])
    moved = frame.assign(state=np.where(frame["year"] == 2007, 0, frame["state"]))
    kit = {"outcome": "lemp", "unit": "countyreal", "time": "year", "group": "first.treat"}
    for bad, extra, match in (
        (twice, {}, "appear twice in one 'year'"),
        (moved, {"cluster": "state"}, "'state' varies within 500 unit"),
    ):
        with pytest.raises(EstimationError, match=match):
            fit_did(bad, **kit, **extra)
        with pytest.raises(EstimationError, match=match):
            fit_did(_memtable(bad), **kit, **extra)


def _memtable(frame: pd.DataFrame):
    import ibis

    return ibis.memtable(frame)


def test_moments_count_units_and_sum_outcomes_by_pattern():
    """Brute force: the patterns of a small unbalanced panel against pandas group-bys."""
    rng = np.random.default_rng(3)
    n, periods = 60, np.arange(1, 6)
    frame = pd.DataFrame({"unit": np.repeat(np.arange(n), periods.size),
                          "time": np.tile(periods, n)})  # fmt: skip
    frame["g"] = np.repeat(rng.choice([0, 3, 4], n), periods.size)
    frame["c"] = frame["unit"] % 7
    frame["y"] = rng.normal(10, 2, len(frame))
    frame = frame.sample(frac=0.85, random_state=1)
    m = panel_moments(_memtable(frame), unit="unit", time="time", group="g", outcome="y",
                      cluster="c")  # fmt: skip
    mask = frame.groupby("unit")["time"].agg(lambda t: int(sum(2 ** (t - 1))))
    per_unit = frame.groupby("unit")[["g", "c"]].first().assign(mask=mask)
    expect = per_unit.groupby(["c", "g", "mask"]).size().sort_index()
    got = m.patterns.assign(g=m.patterns["group"].replace(np.inf, 0).astype(int))
    got = got.groupby(["cluster", "g", "mask"])["units"].sum().sort_index()
    assert got.to_numpy().tolist() == expect.to_numpy().tolist()
    assert got.index.tolist() == expect.index.tolist()
    frame = frame.assign(mask=frame["unit"].map(mask))
    sums = frame.pivot_table(index=["c", "g", "mask"], columns="time", values="y", aggfunc="sum")
    centre = frame.groupby("time")["y"].mean().to_numpy()
    for k in range(periods.size):
        want = (sums[k + 1] - centre[k] * frame.pivot_table(
            index=["c", "g", "mask"], columns="time", values="y", aggfunc="count")[k + 1]
        ).fillna(0.0).sort_index()  # fmt: skip
        p = m.patterns.assign(g=m.patterns["group"].replace(np.inf, 0).astype(int))
        have = p.groupby(["cluster", "g", "mask"])[f"y{k}"].sum().sort_index()
        np.testing.assert_allclose(have.to_numpy(), want.to_numpy(), atol=1e-9)


# --- question Q3 -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> dict[str, tuple]:
    """The shipped example and another synthetic cohort, each in memory and lazy (DuckDB)."""
    synthetic = cohort_for("small", 13)
    path = tmp_path_factory.mktemp("cohort")
    synthetic.write(path)
    example = lbc_eval.example_cohort()
    return {
        "example": (example, lbc_eval.read_cohort(example_path(), engine="duckdb")),
        "synthetic": (synthetic, lbc_eval.read_cohort(path, engine="duckdb")),
    }


@pytest.mark.parametrize("outcome", ["moved", "math"])
def test_policy_panel_in_the_engine_is_the_same(cohorts, outcome):
    cohort, lazy = cohorts["example"]
    memory = policy_panel(cohort, outcome=outcome)
    built = to_pandas(policy_panel_lazy(lazy, outcome=outcome))
    built = built.sort_values(["student_id", "period"]).reset_index(drop=True)
    assert built.columns.tolist() == memory.columns.tolist()
    assert len(built) == len(memory) and memory["imputed"].any() == (outcome == "moved")
    for col in memory.columns:
        if memory[col].dtype.kind == "f":
            np.testing.assert_array_equal(built[col].to_numpy(float), memory[col].to_numpy(float))
        else:
            assert built[col].tolist() == memory[col].tolist(), col


@pytest.mark.parametrize(
    ("which", "kw"),
    [
        ("example", ()),  # few destinations: Webb bootstrap, CR2, randomisation pre-test
        ("example", (("outcome", "math"),)),
        ("example", (("control", "not_yet"),)),  # bootstrap pre-test of the averaged effect
        ("example", (("cluster", None),)),  # children as clusters: analytic
        ("example", (("cluster", "school_id"), ("reps", 0))),
        ("synthetic", ()),
        ("synthetic", (("outcome", "sdq_total"), ("reps", 0))),
    ],
)
def test_fit_policy_on_a_lazy_cohort_is_the_same(cohorts, which, kw):
    cohort, lazy_cohort = cohorts[which]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory, lazy = fit_policy(cohort, **dict(kw)), fit_policy(lazy_cohort, **dict(kw))
    cols = ["estimate", "std_error", "p_value", "conf_low", "conf_high"]
    for a, b in [(memory, lazy)] + [(memory.aggregate(k), lazy.aggregate(k)) for k in KINDS]:
        ta, tb = a.tidy(), b.tidy()
        assert ta["term"].tolist() == tb["term"].tolist()
        np.testing.assert_allclose(tb[cols], ta[cols], rtol=0, atol=1e-8)
    assert lazy.notes == memory.notes and lazy.cov_type == memory.cov_type
    da, db = memory.diagnostics, lazy.diagnostics
    assert da["message"].tolist() == db["message"].tolist()
    np.testing.assert_allclose(db[["statistic", "p_value"]], da[["statistic", "p_value"]],
                               rtol=1e-8, atol=1e-12)  # fmt: skip
    sa, sb = memory.summary(), lazy.summary()
    np.testing.assert_allclose(sb[COLS], sa[COLS], rtol=0, atol=1e-8)
    assert (lazy.nobs, lazy.n_clusters) == (memory.nobs, memory.n_clusters)
    if which == "synthetic" and not kw:
        assert lazy.vs_truth(cohort.truth)["estimate"].notna().all()
