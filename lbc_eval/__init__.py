"""lbc_eval: evaluate support for rural left-behind children (农村留守儿童) with notebooks.

Build cohort tables (synthetic ones with known truth, or real ones from school records), then
estimate how mentoring, teacher training and migrant enrolment relate to children's outcomes.
Importing the package reads no file, configures nothing and defers the heavy imports (pandas,
pyarrow) until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from .errors import (
    CohortFormatError,
    CollinearityError,
    DroppedRowsWarning,
    EstimationError,
    FewClustersWarning,
    LbcEvalError,
    LbcEvalWarning,
    MissingDataError,
    NoVariationError,
    SchemaError,
    SpecError,
    UnknownColumnError,
)
from .spec import SynthSpec

__version__ = "0.1.0"

_LAZY = {
    "CODEBOOK_VERSION": "schema",
    "Cohort": "cohort",
    "read_cohort": "cohort",
    "simulate": "synth",
    "mde": "pilot",
    "power": "pilot",
    "solve": "pilot",
    "icc_from_cohort": "pilot_icc",
    "suppress": "suppression",
    "suppress_rows": "suppression",
    "Result": "results",
    "compare": "results",
    "fit_fe": "fe",
    "fit_dose_response": "dose",
    "fit_training": "training",
    "wild_bootstrap": "bootstrap",
    "adjust_pvalues": "multiple",
    "holm": "multiple",
    "romano_wolf": "multiple",
    "plot_dose_response": "plots",
    "plot_event_study": "plots",
    "fit_did": "did",
    "fit_policy": "did",
    "fit_policy_twfe": "did",
    "fit_twfe_event_study": "did",
}

__all__ = [
    "CODEBOOK_VERSION",
    "Cohort",
    "CohortFormatError",
    "CollinearityError",
    "DroppedRowsWarning",
    "EstimationError",
    "FewClustersWarning",
    "LbcEvalError",
    "LbcEvalWarning",
    "MissingDataError",
    "NoVariationError",
    "Result",
    "SchemaError",
    "SpecError",
    "SynthSpec",
    "UnknownColumnError",
    "__version__",
    "adjust_pvalues",
    "compare",
    "fit_did",
    "fit_dose_response",
    "fit_fe",
    "fit_policy",
    "fit_policy_twfe",
    "fit_twfe_event_study",
    "fit_training",
    "holm",
    "ingest",
    "plot_dose_response",
    "plot_event_study",
    "romano_wolf",
    "wild_bootstrap",
    "icc_from_cohort",
    "mde",
    "power",
    "read_cohort",
    "simulate",
    "solve",
    "suppress",
    "suppress_rows",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    if name == "ingest":  # the ingest package; it is callable: lbc_eval.ingest(paths, key=...)
        return importlib.import_module(".ingest", __name__)
    raise AttributeError(f"module 'lbc_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
