"""Helpers the notebooks call: load the cohort, print results and tables stably.

Notebooks print rather than display HTML where numbers matter, so that nbval compares the
numbers themselves; every float is rounded to a fixed number of digits.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lbc_eval.data.cohort import example_cohort, read_cohort


def load(data: str | Path | None = None) -> Any:
    """The cohort the notebooks analyse: ``data`` (a cohort folder) or the shipped example."""
    return read_cohort(Path(data)) if data else example_cohort()


def show(
    result: Any,
    *,
    truth: Any = None,
    digits: int = 3,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print a result's tidy table, rounded (stable across machines), with the truth if given.

    Notebooks print rather than display HTML so that nbval compares the numbers themselves.
    """
    import pandas as pd

    table = result.vs_truth(truth) if truth is not None and result.truth_lookup else result.tidy()
    keys = [c for c in ("group", "time", "event_time") if c in table.columns]
    cols = (
        list(columns)
        if columns
        else ["term", *keys, "estimate", "std_error", "conf_low", "conf_high", "p_value"]
    )
    if "truth" in table.columns and not columns:
        cols += ["truth", "covered"]
    table = table[[c for c in cols if c in table.columns]].copy()
    for c in table.columns:
        if pd.api.types.is_float_dtype(table[c]):
            table[c] = table[c].map(lambda v: "" if pd.isna(v) else f"{v:.{digits}f}")
    head = title or f"{result.estimator}: {result.outcome}"
    clusters = f", {result.n_clusters:,} clusters" if result.n_clusters is not None else ""
    print(f"{head}\n({result.nobs:,} obs{clusters}; {result.cov_type})")
    print(table.to_string(index=False))
    for note in (*result.notes, *result.warnings):
        print(f"note: {note}")


def rounded(frame: Any, *, digits: int = 3) -> Any:
    """A copy of ``frame`` with numbers as strings: floats rounded to ``digits``, missing
    values blank, so that printed and displayed tables are the same on every machine."""
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s):
            out[c] = s.map(
                lambda v: "" if pd.isna(v) else f"{v:.{digits}f}".replace("-0.000", "0.000")
            )
        else:
            out[c] = s.astype(object).where(s.notna(), "").map(str)
    return out


def print_table(frame: Any, *, digits: int = 3, index: bool = False) -> None:
    """Print a data frame with floats rounded to ``digits`` (stable notebook output)."""
    print(rounded(frame, digits=digits).to_string(index=index))


def display_table(frame: Any, *, digits: int = 3) -> None:
    """Display a rounded data frame (an HTML table in JupyterLab and in the brief; nbval
    compares its plain-text form, which is as stable as :func:`print_table`)."""
    import pandas as pd
    from IPython.display import display

    table = rounded(frame, digits=digits)
    with pd.option_context("display.max_colwidth", None, "display.width", 200):
        display(table.set_index(table.columns[0]))


def print_diagnostics(result: Any, *, digits: int = 3) -> None:
    """Print a result's design checks: each check, its statistic and p-value, whether it
    passed, and its message (computed from the numbers, so it reads right either way)."""
    import pandas as pd

    d = result.diagnostics
    if d.empty:
        print("design checks: none for this estimator")
        return
    print(f"design checks ({result.estimator}: {result.outcome})")
    for row in d.itertuples(index=False):
        verdict = "informs" if pd.isna(row.passed) else ("passed" if row.passed else "FAILED")
        stat = "" if pd.isna(row.statistic) else f"statistic {row.statistic:.{digits}f}"
        p = "" if pd.isna(row.p_value) else f", p = {row.p_value:.{digits}f}"
        print(f"- {row.check}: {verdict}; {stat}{p}. {row.message}")
