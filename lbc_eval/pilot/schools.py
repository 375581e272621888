"""The schools a pilot randomises, described by the cohort's own baseline term.

:func:`school_table` turns one term of a cohort into one row per school: its township and
level, how many children it has, the share of them left behind and on low income, and the
mean of each outcome. These school-level aggregates are what :func:`lbc_eval.pilot.assign`
stratifies and balances on, and what a registered plan stores (never a child's record).

Examples
--------
>>> import lbc_eval
>>> from lbc_eval.pilot import school_table
>>> table = school_table(lbc_eval.example_cohort())
>>> list(table.columns)[:4]
['school_id', 'township', 'level', 'n_children']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.data.terms import academic_year, ordered_terms
from lbc_eval.errors import EstimationError, UnknownColumnError

#: The covariates :func:`school_table` computes besides the outcomes' means.
COVARIATES = ("n_children", "lb_share", "low_income_share")


def school_table(
    data: Any,
    *,
    term: str | None = None,
    outcomes: Sequence[str] = ("sdq_total", "math"),
) -> pd.DataFrame:
    """One row per school with children in ``term``: what a pilot stratifies and balances on.

    Parameters
    ----------
    data : Cohort or DataFrame
        A cohort (its ``panel``, and ``schools`` for the level) or a panel.
    term : str, optional
        The baseline term; default the panel's last term.
    outcomes : sequence of str
        Outcomes whose school means are columns ``mean_<outcome>``.

    Returns
    -------
    DataFrame
        ``school_id, township, level, n_children, lb_share, low_income_share,
        mean_<outcome>...``, sorted by ``school_id``; ``attrs["term"]`` is the term.
        ``level`` is missing when ``data`` has no schools table. A school whose outcome is
        missing for every child has a missing mean.
    """
    panel = data.panel if hasattr(data, "panel") else data
    need = ["school_id", "township", "term", "lb_status", *outcomes]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise UnknownColumnError(f"school_table: no column(s) {', '.join(missing)} in the panel")
    bad = [o for o in outcomes if o not in OUTCOMES]
    if bad:
        raise EstimationError(f"school_table: {', '.join(bad)} not among {', '.join(OUTCOMES)}")
    terms = ordered_terms(panel["term"].dropna().unique())
    if not terms:
        raise EstimationError("school_table: the panel has no term")
    term = term or terms[-1]
    if term not in terms:
        raise EstimationError(
            f"school_table: term {term!r} is not in the panel (terms: {', '.join(terms)})"
        )
    rows = panel[panel["term"] == term]
    lb = rows["lb_status"].astype(str) != "none"
    frame = pd.DataFrame(
        {
            "school_id": rows["school_id"].astype(str),
            "township": rows["township"].astype(str),
            "lb": lb.astype(float),
            "low_income": (
                rows["low_income"].astype("boolean").astype(float)
                if "low_income" in rows
                else np.nan
            ),
            **{o: pd.to_numeric(rows[o], errors="coerce").astype(float) for o in outcomes},
        }
    )
    g = frame.groupby("school_id", sort=True)
    out = pd.DataFrame(
        {
            "township": g["township"].first(),
            "n_children": g.size().astype(int),
            "lb_share": g["lb"].mean(),
            "low_income_share": g["low_income"].mean(),
            **{f"mean_{o}": g[o].mean() for o in outcomes},
        }
    ).reset_index()
    out.insert(2, "level", _levels(data, out["school_id"], term))
    out.attrs["term"] = term
    return out


def _levels(data: Any, school_id: pd.Series, term: str) -> pd.Series:
    """Each school's level in the term's academic year, from the cohort's schools table."""
    schools = getattr(data, "schools", None)
    if schools is None or "level" not in schools or "school_id" not in schools:
        return pd.Series(pd.NA, index=school_id.index, dtype="string")
    year = int(academic_year(term)[0])
    s = schools[schools["year"] == year] if "year" in schools else schools
    levels = s.drop_duplicates("school_id").set_index("school_id")["level"].astype("string")
    return school_id.map(levels).astype("string")
