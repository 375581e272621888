"""Multilevel models at province scale: fit them on a seeded random sample of whole schools.

The kit's variance splits and ICCs (:func:`lbc_eval.fit_training`'s multilevel model,
:func:`lbc_eval.pilot.icc.icc_from_cohort`) are REML fits of statsmodels' ``MixedLM``, whose
cost grows with the children and the schools: about half a minute for a county's 25,000
children in a term on one core, hours for a province's million. Above :data:`MAX_CHILDREN`
children they are fitted on a random sample of whole schools (:func:`sample_clusters`): the
schools in a seeded random order, taken until they hold :data:`MAX_CHILDREN` children. Whole
schools keep every level's variance estimable (each school keeps all its classes and
children), and a random sample of schools estimates the same variance components as all of
them, with the precision of some hundred schools, ample for planning a pilot. A cohort at or
below the threshold (any county) is fitted on every child, as before; the result's notes say
when a sample was used and how large it was.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

#: Children (rows) above which a multilevel model is fitted on a random sample of schools.
MAX_CHILDREN = 50_000
#: Seed of that sample (numpy ``default_rng``), so every run draws the same schools.
SAMPLE_SEED = 2026


def sample_clusters(
    frame: pd.DataFrame,
    cluster: str,
    *,
    max_rows: int | None | Literal["auto"] = "auto",
    seed: int = SAMPLE_SEED,
) -> tuple[pd.DataFrame, str]:
    """``frame`` itself (and an empty note) when it has at most ``max_rows`` rows (``"auto"``:
    :data:`MAX_CHILDREN`; None: no limit); else the rows of whole clusters in a seeded random
    order, taken until they hold ``max_rows`` rows, and a note saying so.

    The clusters (sorted labels) are permuted by ``numpy.random.default_rng(seed)``; the
    first ``k`` are kept, ``k`` the fewest whose rows reach ``max_rows``. Rows keep their order.
    """
    if max_rows == "auto":
        max_rows = MAX_CHILDREN
    if max_rows is None or len(frame) <= max_rows:
        return frame, ""
    sizes = frame.groupby(cluster, sort=True, observed=True).size()
    order = np.random.default_rng(seed).permutation(len(sizes))
    reach = np.cumsum(sizes.to_numpy()[order])
    k = min(int(np.searchsorted(reach, max_rows)) + 1, len(sizes))
    keep = sizes.index[order[:k]]
    out = frame[frame[cluster].isin(keep)]
    note = (
        f"multilevel model fitted on a random sample of {k:,} of {len(sizes):,} schools "
        f"({cluster}): {len(out):,} of {len(frame):,} children, seed {seed}; above "
        f"{max_rows:,} children a fit on every child would take hours"
    )
    return out, note
