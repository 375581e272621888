"""What a question function accepts as ``data``: a :class:`~lbc_eval.data.cohort.Cohort`, or
(where the panel alone suffices) the panel DataFrame."""

from __future__ import annotations

from typing import Any

import pandas as pd

from lbc_eval.data.cohort import Cohort
from lbc_eval.errors import EstimationError


def panel_of(data: Cohort | pd.DataFrame) -> pd.DataFrame:
    """The child-by-term panel of ``data``: a Cohort's ``panel``, or the frame itself."""
    if isinstance(data, Cohort):
        return data.panel
    if isinstance(data, pd.DataFrame):
        return data
    raise EstimationError(
        f"data must be a Cohort or its panel DataFrame, got {type(data).__name__}"
    )


def cohort_of(data: Any, *, needs: str) -> Cohort:
    """``data`` itself when it is a Cohort; otherwise an error saying which tables are needed."""
    if isinstance(data, Cohort):
        return data
    raise EstimationError(
        f"data must be a Cohort (read_cohort or simulate): this analysis needs its {needs}, "
        f"not only the panel; got {type(data).__name__}"
    )
