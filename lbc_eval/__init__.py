"""lbc_eval: evaluate support for rural left-behind children (农村留守儿童) with notebooks.

Build cohort tables (synthetic ones with known truth, or real ones from school records), then
estimate how mentoring, teacher training and migrant enrolment relate to children's outcomes.
Importing the package reads no file, configures nothing and defers the heavy imports (pandas,
pyarrow) until a name that needs them is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from lbc_eval._version import __version__
from lbc_eval.errors import (
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

#: Public names, loaded on first use: name -> module.
_LAZY = {
    "SynthSpec": "lbc_eval.synth.spec",
    "simulate": "lbc_eval.synth",
    "export_school_files": "lbc_eval.synth.export",
    "CODEBOOK_VERSION": "lbc_eval.data.codebook",
    "Cohort": "lbc_eval.data.cohort",
    "read_cohort": "lbc_eval.data.cohort",
    "LazyCohort": "lbc_eval.data.lazy",
    "connect": "lbc_eval.data.lazy",
    "example_cohort": "lbc_eval.data.cohort",
    "Result": "lbc_eval.estimation.results",
    "compare": "lbc_eval.estimation.results",
    "fit_fe": "lbc_eval.estimation.fe",
    "wild_bootstrap": "lbc_eval.estimation.inference.wild",
    "adjust_pvalues": "lbc_eval.estimation.inference.multiple",
    "holm": "lbc_eval.estimation.inference.multiple",
    "romano_wolf": "lbc_eval.estimation.inference.multiple",
    "fit_did": "lbc_eval.estimation.did",
    "fit_dose_response": "lbc_eval.questions.mentoring",
    "fit_training": "lbc_eval.questions.training",
    "fit_policy": "lbc_eval.questions.enrolment",
    "fit_policy_twfe": "lbc_eval.questions.enrolment",
    "fit_twfe_event_study": "lbc_eval.estimation.did",
    "mde": "lbc_eval.pilot.power",
    "power": "lbc_eval.pilot.power",
    "solve": "lbc_eval.pilot.power",
    "icc_from_cohort": "lbc_eval.pilot.icc",
    "suppress": "lbc_eval.publish.suppression",
    "suppress_rows": "lbc_eval.publish.suppression",
    "plot_dose_response": "lbc_eval.report.plots",
    "plot_event_study": "lbc_eval.report.plots",
}

__all__ = [
    "CODEBOOK_VERSION",
    "Cohort",
    "CohortFormatError",
    "CollinearityError",
    "DroppedRowsWarning",
    "EstimationError",
    "FewClustersWarning",
    "LazyCohort",
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
    "connect",
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
    "example_cohort",
    "export_school_files",
    "suppress",
    "suppress_rows",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    if name == "ingest":  # the ingest package; it is callable: lbc_eval.ingest(paths, key=...)
        return importlib.import_module("lbc_eval.ingest")
    raise AttributeError(f"module 'lbc_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
