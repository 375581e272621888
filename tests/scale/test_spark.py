"""The out-of-core estimators on PySpark (local mode) give DuckDB's numbers.

A national synthetic cohort of two provinces (so each term's partition holds two files, as at
national size) and the published ``mpdta`` panel are written to Parquet and read by the kit's
lazy reader twice: into DuckDB and into a local Spark session (``local[2]``, 4 shuffle
partitions, 1 GB driver, no web UI, Spark's log at errors only; one session for the module,
stopped after). The same estimators then run in each engine: ``fit_fe`` with CRV1 by school,
``fit_did``'s ATT(g,t) and its simple, dynamic and group aggregations without covariates,
question Q3's ``fit_policy``, and the coverage audit. Every estimate and standard error must
agree to 1e-8: both engines compute the same sums in floating point, and only their order
differs.

Needs Java 17+ and PySpark (the ``spark`` extra). Without them the module is skipped, except
when the environment variable ``CI`` is set: CI must run it (``.ci/run`` installs Java), so
there it fails with the reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import warnings

import numpy as np
import pandas as pd
import pytest

import lbc_eval
from lbc_eval.data.lazy import connect
from lbc_eval.data.resources import reference_path
from lbc_eval.estimation.did import fit_did
from lbc_eval.synth import write_national

pytestmark = pytest.mark.spark

TOL = 1e-8
COLS = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %p %c{1}: %m%n
logger.shell.name = org.apache.spark.api.python.PythonGatewayServer
logger.shell.level = error
"""


def _java_problem() -> str | None:
    """Why Spark cannot run here, or None."""
    java = shutil.which("java")
    if java is None:
        return "no java on PATH (Spark needs Java 17 or newer)"
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    major = int(found.group(1)) if found else 0
    if major == 1 and found and found.group(2):
        major = int(found.group(2))
    if major < 17:
        return f"java {major or '?'} found; Spark 4 needs Java 17 or newer"
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return "PySpark is not installed (pip install 'lbc_eval[spark]')"
    return None


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    problem = _java_problem()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{problem}: CI must run the Spark tests (.ci/run installs "
                        "openjdk-17-jre-headless)")  # fmt: skip
        pytest.skip(problem)
    from pyspark.sql import SparkSession

    tmp = tmp_path_factory.mktemp("spark")
    # Spark's log at errors only from the JVM's start: log4j2.properties in SPARK_CONF_DIR
    # (PySpark's gateway logger too, or Spark announces that it set the level to WARN)
    (tmp / "log4j2.properties").write_text(LOG4J, encoding="utf-8")
    before = os.environ.get("SPARK_CONF_DIR")
    os.environ["SPARK_CONF_DIR"] = str(tmp)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("lbc_eval tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(tmp / "warehouse"))
        .getOrCreate()
    )
    if before is None:
        del os.environ["SPARK_CONF_DIR"]
    else:
        os.environ["SPARK_CONF_DIR"] = before
    session.sparkContext.setLogLevel("ERROR")
    # a session another module started is reused by getOrCreate: set what can still be set
    session.conf.set("spark.sql.shuffle.partitions", "4")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    spec = lbc_eval.SynthSpec.preset("small", n_children=600, n_provinces=2, seed=8)
    return write_national(spec, tmp_path_factory.mktemp("national") / "cohort")


@pytest.fixture(scope="module")
def engines(spark, folder):
    """The cohort read lazily by each engine: {"duckdb": LazyCohort, "spark": LazyCohort}."""
    return {
        "duckdb": lbc_eval.read_cohort(folder, engine="duckdb",
                                       connection=connect("duckdb", threads=2)),
        "spark": lbc_eval.read_cohort(folder, engine="spark",
                                      connection=connect("spark", session=spark)),
    }  # fmt: skip


def _same(a: pd.DataFrame, b: pd.DataFrame, cols: list[str] = COLS) -> None:
    assert a["term"].tolist() == b["term"].tolist()
    np.testing.assert_allclose(
        b[cols].to_numpy(float), a[cols].to_numpy(float), rtol=0, atol=TOL, equal_nan=True
    )


def test_both_engines_read_the_same_rows(engines, folder):
    memory = lbc_eval.read_cohort(folder, columns=["student_id"])
    want = memory.panel.groupby("term").size()
    for name, lazy in engines.items():
        p = lazy.panel
        got = p.group_by("term").aggregate(n=p.count()).execute().set_index("term")["n"]
        assert got.sort_index().tolist() == want.sort_index().tolist(), name
        assert lazy.terms == memory.terms
        assert int(lazy.destinations.count().execute()) == 2 * 10


def test_fit_fe_is_the_same_on_spark(engines):
    """Child and term fixed effects, CRV1 by school."""
    args = {"outcome": "sdq_total", "treatment": ["talks", "home_visits"], "unit": "student_id",
            "time": "term", "cluster": "school_id", "inference": "crv1"}  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        duck = lbc_eval.fit_fe(engines["duckdb"].panel, **args)
        spark = lbc_eval.fit_fe(engines["spark"].panel, **args)
    _same(duck.tidy(), spark.tidy())
    assert (spark.nobs, spark.n_clusters, spark.cov_type) == (
        duck.nobs, duck.n_clusters, duck.cov_type
    )  # fmt: skip
    assert duck.tidy()["std_error"].gt(0).all()


def _aggregations(res) -> dict[str, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"attgt": res.tidy(), **{k: res.aggregate(k).tidy() for k in
                                        ("simple", "dynamic", "group")}}  # fmt: skip


def test_fit_did_aggregations_are_the_same_on_spark(spark, tmp_path):
    """mpdta (500 counties, 2003-2007), never-treated and not-yet-treated comparisons."""
    frame = pd.read_csv(reference_path("mpdta.csv")).rename(columns={"first.treat": "group"})
    frame.to_parquet(tmp_path / "mpdta.parquet", index=False)
    duck = connect("duckdb", threads=2).read_parquet(str(tmp_path / "mpdta.parquet"))
    sp = connect("spark", session=spark).read_parquet(str(tmp_path / "mpdta.parquet"))
    for control in ("never", "not_yet"):
        kit = {"outcome": "lemp", "unit": "countyreal", "time": "year", "group": "group",
               "control": control}  # fmt: skip
        a, b = _aggregations(fit_did(duck, **kit)), _aggregations(fit_did(sp, **kit))
        for kind in a:
            _same(a[kind], b[kind])
    # and against the DataFrame: the engines compute what the in-memory path computes
    memory = _aggregations(fit_did(frame, **kit))
    _same(memory["simple"], a["simple"])


def test_fit_policy_is_the_same_on_spark(engines):
    res = {k: lbc_eval.fit_policy(v, outcome="moved", reps=0) for k, v in engines.items()}
    a, b = _aggregations(res["duckdb"]), _aggregations(res["spark"])
    for kind in a:
        _same(a[kind], b[kind])
    assert res["spark"].n_clusters == res["duckdb"].n_clusters
    assert res["spark"].n_clusters > 10  # destinations of both provinces


def test_coverage_audit_is_the_same_on_spark(engines, folder):
    """The coverage audit by term, grouped in each engine: the in-memory frame exactly."""
    from lbc_eval.publish import audit

    memory = audit.coverage(lbc_eval.read_cohort(folder).panel, by="term")
    for name, lazy in engines.items():
        got = audit.coverage(lazy.panel, by="term")
        pd.testing.assert_frame_equal(got, memory, check_dtype=False, obj=name)
