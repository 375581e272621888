"""fit_fe on a lazy table (DuckDB) gives the in-memory result.

Both paths run on the same rows: the shipped cohort (read lazily and in memory), and small
panels built to be awkward (missing and infinite values, an unbalanced panel, singleton
children and a term with a single row, children who change school, a school with a single
child, weights, two-way clustering). Coefficients, standard errors, statistics and intervals
must agree to 1e-8: the lazy path solves the same normal equations exactly (one fixed effect
swept out by its means, the term as dummies), the in-memory one sweeps both out by alternating
projections to a relative tolerance of 1e-10; what the result says about dropped rows must be
the same words.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import lbc_eval
from lbc_eval.data import codebook
from lbc_eval.data.lazy import connect
from lbc_eval.errors import (
    MissingDataError,
    NoVariationError,
    OutOfCoreError,
    UnknownColumnError,
)

TOL = 1e-8
COLS = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]


@pytest.fixture(scope="module")
def con():
    return connect("duckdb", threads=1)


@pytest.fixture(scope="module")
def shipped(con):
    lazy = lbc_eval.read_cohort(lbc_eval.data.resources.example_path(), engine="duckdb",
                                connection=con)  # fmt: skip
    panel = lbc_eval.example_cohort().panel
    contacts = panel[["talks", "home_visits", "parent_contacts"]].astype(float)
    panel = panel.assign(contacts=contacts.sum(axis=1, skipna=False))
    t = lazy.panel
    return panel, t.mutate(contacts=t.talks + t.home_visits + t.parent_contacts)


def fit_both(frame, table, **kw):
    """The in-memory and the lazy fit, with the warnings each raised."""
    with warnings.catch_warnings(record=True) as wa:
        warnings.simplefilter("always")
        a = lbc_eval.fit_fe(frame, **kw)
    with warnings.catch_warnings(record=True) as wb:
        warnings.simplefilter("always")
        b = lbc_eval.fit_fe(table, **kw)
    return a, b, [str(w.message) for w in wa], [str(w.message) for w in wb]


def assert_same(a, b):
    ta, tb = a.tidy(), b.tidy()
    assert ta["term"].tolist() == tb["term"].tolist()
    np.testing.assert_allclose(tb[COLS].to_numpy(), ta[COLS].to_numpy(), rtol=0, atol=TOL)
    assert (a.nobs, a.n_clusters, a.cov_type, a.formula) == (b.nobs, b.n_clusters, b.cov_type,
                                                             b.formula)  # fmt: skip
    assert a.notes == b.notes
    assert a.warnings == b.warnings
    assert (a.raw.df_k, a.raw.df_t, a.raw.nested) == (b.raw.df_k, b.raw.df_t, b.raw.nested)
    assert abs(a.raw.ssc - b.raw.ssc) < 1e-12


# --- the shipped cohort --------------------------------------------------------------------------


def test_shipped_cohort_crv1(shipped):
    panel, table = shipped
    kw = dict(outcome="sdq_total", treatment="contacts", unit="student_id", time="term",
              cluster="school_id", controls="lb_status", inference="crv1")  # fmt: skip
    a, b, wa, wb = fit_both(panel, table, **kw)
    assert_same(a, b)
    assert wa == wb
    assert b.raw.vcov_type == "CRV1" and b.raw.moments.nobs == a.nobs


def test_shipped_cohort_wild_bootstrap(shipped):
    """12 schools: the default inference is the wild cluster bootstrap, from the sums; children
    who change school make the absorbed effect cut across the clusters (the mover pairs)."""
    panel, table = shipped
    kw = dict(outcome="math", treatment="tutoring_hours", unit="student_id", time="term",
              cluster="school_id", reps=999)  # fmt: skip
    a, b, wa, wb = fit_both(panel, table, **kw)
    assert "wild cluster bootstrap" in b.cov_type
    assert_same(a, b)
    assert wa == wb and any("only 12 clusters" in w for w in wb)
    ra, rb = lbc_eval.wild_bootstrap(a, null=0.1), lbc_eval.wild_bootstrap(b, null=0.1)
    assert ra.p_value == rb.p_value
    assert abs(ra.conf_low - rb.conf_low) < TOL and abs(ra.conf_high - rb.conf_high) < TOL


def test_lazy_cohort_itself_is_accepted(con):
    lazy = lbc_eval.read_cohort(lbc_eval.data.resources.example_path(), engine="duckdb",
                                connection=con)  # fmt: skip
    panel = lbc_eval.example_cohort().panel
    kw = dict(outcome="attendance", treatment="counseling", unit="school_id", time="term",
              cluster="township", inference="crv1")  # fmt: skip
    assert_same(lbc_eval.fit_fe(panel, **kw), lbc_eval.fit_fe(lazy, **kw))


# --- awkward panels ------------------------------------------------------------------------------


def awkward(seed: int = 1) -> pd.DataFrame:
    """An unbalanced panel with every feature the dropped-row rules deal with."""
    rng = np.random.default_rng(seed)
    terms = [f"{2020 + k // 2}-{k % 2 + 1}" for k in range(6)]
    rows = []
    for u in range(240):
        k = rng.integers(1, 7)  # 1 to 6 terms: some children are singletons
        school = rng.integers(0, 12)
        for j, term in enumerate(sorted(rng.choice(terms, k, replace=False))):
            if j and rng.random() < 0.15:  # some change school
                school = rng.integers(0, 12)
            rows.append((f"{u:016x}", f"S{school:02d}", term))
    rows.append((f"{999:016x}", "S99", terms[0]))  # a school with a single child...
    rows.append((f"{999:016x}", "S99", terms[1]))
    rows.append((f"{7:016x}", "S03", "2029-1"))  # ... and a term with a single row
    f = pd.DataFrame(rows, columns=["student_id", "school_id", "term"])
    n = len(f)
    alpha = pd.Series(rng.normal(0, 1, 1000)).iloc[f["student_id"].map(lambda s: int(s, 16))]
    f["x"] = rng.normal(0, 1, n) + alpha.to_numpy()
    f["dose"] = pd.array(rng.integers(0, 8, n), dtype="Int16")
    lb = rng.choice(list(codebook.column("lb_status").levels), n)
    f["lb_status"] = pd.Categorical(lb, categories=list(codebook.column("lb_status").levels))
    f["y"] = 0.5 * f["x"] + 0.2 * f["dose"].astype(float) + alpha.to_numpy() + rng.normal(0, 1, n)
    f["w"] = rng.uniform(0.5, 2.0, n)
    f.loc[rng.choice(n, 25, replace=False), "y"] = np.nan
    f.loc[rng.choice(n, 15, replace=False), "dose"] = pd.NA
    f.loc[rng.choice(n, 10, replace=False), "lb_status"] = np.nan
    complete = f.index[f[["y", "dose", "lb_status"]].notna().all(axis=1)]
    f.loc[rng.choice(complete, 3, replace=False), "x"] = np.inf
    f["township"] = "T" + (f["school_id"].str[1:].astype(int) % 4).astype(str)
    return f


def table_of(con, frame: pd.DataFrame, name: str):
    """``frame`` as a table of the DuckDB backend ``con`` (an Arrow view: NaN becomes NULL)."""
    con.con.register(name, pa.Table.from_pandas(frame, preserve_index=False))
    return con.table(name)


@pytest.fixture(scope="module")
def odd(con):
    frame = awkward()
    return frame, table_of(con, frame, "awkward")


CASES = {
    "child and term effects": dict(unit="student_id", time="term", cluster="school_id"),
    "weights": dict(unit="student_id", time="term", cluster="school_id", weights="w"),
    "keep singletons": dict(unit="student_id", time="term", cluster="school_id",
                            drop_singletons=False),
    "two-way clusters": dict(unit="student_id", time="term", cluster=["school_id", "term"]),
    "clustered by child (nested)": dict(unit="student_id", time="term"),
    "school effects, by township (nested)": dict(unit="school_id", time="term",
                                                 cluster="township"),
    "term effects only": dict(time="term", cluster="school_id"),
    "no fixed effects": dict(cluster="school_id"),
    "fixed_effects argument": dict(fixed_effects=["term", "student_id"], cluster="school_id"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(CASES))
def test_awkward_panel(odd, case):
    frame, table = odd
    kw = dict(outcome="y", treatment=["x", "dose"], controls="lb_status", inference="crv1")
    a, b, wa, wb = fit_both(frame, table, **kw, **CASES[case])
    assert_same(a, b)
    assert wa == wb
    assert any("infinite values (x 3)" in n for n in b.notes)
    assert any("missing values (y " in n for n in b.notes)


def test_awkward_panel_wild(odd):
    frame, table = odd
    kw = dict(outcome="y", treatment="x", unit="student_id", time="term", cluster="school_id",
              reps=499, boot_weights="webb", seed=3)  # fmt: skip
    a, b, _, _ = fit_both(frame, table, **kw)
    assert "wild" in b.cov_type
    assert_same(a, b)


def test_singletons_found_again_after_a_lone_term(odd):
    """The term with one row is a singleton; dropping it leaves its child with one row, a
    singleton too: both are counted, as the in-memory path counts them."""
    frame, table = odd
    kw = dict(outcome="y", treatment="x", unit="student_id", time="term", cluster="school_id",
              inference="crv1")  # fmt: skip
    a, b, _, _ = fit_both(frame, table, **kw)
    assert "2029-1" not in b.raw.moments.labels.to_numpy()
    assert [n for n in b.notes if "singleton" in n] == [n for n in a.notes if "singleton" in n]


# --- what it refuses -----------------------------------------------------------------------------


def test_errors_say_what_to_do(odd):
    frame, table = odd
    with pytest.raises(OutOfCoreError, match="alternating projections"):
        lbc_eval.fit_fe(table, outcome="y", treatment="x", unit="student_id",
                        fixed_effects="x", cluster="school_id")  # fmt: skip
    with pytest.raises(OutOfCoreError, match="cluster"):
        lbc_eval.fit_fe(table, outcome="y", treatment="x", time="term")
    with pytest.raises(UnknownColumnError, match="did you mean 'dose'"):
        lbc_eval.fit_fe(table, outcome="y", treatment="dosee", unit="student_id")
    const = table.mutate(one=1.0)
    with pytest.raises(NoVariationError, match="takes the single value 1"):
        lbc_eval.fit_fe(const, outcome="y", treatment="one", unit="student_id")
    kw = dict(outcome="y", treatment=["x", "s"], unit="school_id", cluster="township")
    with pytest.raises(NoVariationError) as in_memory:
        lbc_eval.fit_fe(frame.assign(s=frame["school_id"].str[1:].astype(int)), **kw)
    with pytest.raises(NoVariationError) as lazy:
        lbc_eval.fit_fe(table.mutate(s=table.school_id.substr(1).cast("int64")), **kw)
    assert str(lazy.value) == str(in_memory.value)
    assert "constant within every school_id" in str(lazy.value)
    with pytest.raises(MissingDataError, match="missing in all"):
        lbc_eval.fit_fe(table.mutate(yy=table.y * float("nan")), outcome="yy", treatment="x",
                        unit="student_id")  # fmt: skip


@pytest.mark.parametrize("case", ["clustered by child (nested)", "two-way clusters", "weights"])
def test_many_clusters_meat_in_the_engine(odd, monkeypatch, case):
    """Past MANY_CLUSTERS clusters the sums come back as one group and CRV1's meat is summed
    in the engine: the same result (here with the threshold lowered to 10)."""
    from lbc_eval.scale import within as sw

    frame, table = odd
    kw = dict(outcome="y", treatment=["x", "dose"], controls="lb_status", inference="crv1")
    monkeypatch.setattr(sw, "MANY_CLUSTERS", 10)
    a, b, wa, wb = fit_both(frame, table, **kw, **CASES[case])
    assert not b.raw.moments.by_cluster and len(b.raw.moments.n) == 1
    assert_same(a, b)
    assert wa == wb
