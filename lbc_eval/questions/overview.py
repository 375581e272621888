"""Who the left-behind children are, the quality of the records, and the national context.

Tidy tables for the overview notebook (counts are of children, so they go through
:func:`lbc_eval.suppress.suppress` before they are published from real data) and the
national series from the kit's reference ``national_counts.csv`` (sources in its README).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.resources import reference_path


def _term(data: Any, term: str | None) -> pd.DataFrame:
    p = data.panel
    term = term or data.terms[-1]
    if term not in data.terms:
        raise ValueError(f"term {term!r} is not in the panel; it has {', '.join(data.terms)}")
    return p[p["term"] == term]


def lb_profile(data: Any, *, by: str = "township", term: str | None = None) -> pd.DataFrame:
    """Children by ``by`` (township, grade, guardian, sex ...) and left-behind status in a term.

    Returns one row per level of ``by`` with the counts of children who are ``none``,
    ``father``, ``mother`` and ``both`` (parents away), the total, and the left-behind share.
    """
    p = _term(data, term)
    if by not in p.columns:
        raise KeyError(f"{by!r} is not a panel column")
    table = pd.crosstab(p[by].astype(str), p["lb_status"].astype(str))
    table = table.reindex(columns=["none", "father", "mother", "both"], fill_value=0)
    table["total"] = table.sum(axis=1)
    table["lb_share"] = 1 - table["none"] / table["total"]
    table.index.name = by
    return table.reset_index()


def data_quality(data: Any) -> pd.DataFrame:
    """Per outcome and term: rows, missing values and their share."""
    p = data.panel
    rows = []
    for term, part in p.groupby("term", sort=False):
        for col in OUTCOMES:
            miss = int(part[col].isna().sum())
            rows.append(
                {
                    "term": term,
                    "outcome": col,
                    "rows": len(part),
                    "missing": miss,
                    "missing_share": miss / len(part) if len(part) else np.nan,
                }
            )
    return pd.DataFrame(rows)


def exits(data: Any) -> pd.DataFrame:
    """Children leaving the county's records, by term and reason."""
    p = data.panel.dropna(subset=["exit_reason"])
    table = pd.crosstab(p["term"], p["exit_reason"].astype(str))
    return table.reindex(data.terms, fill_value=0).reset_index()


def national_counts() -> pd.DataFrame:
    """The national series with their sources (one row per year, series, definition, level)."""
    return pd.read_csv(reference_path("national_counts.csv"))
