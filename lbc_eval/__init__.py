"""lbc_eval: evaluate support for rural left-behind children (农村留守儿童) with notebooks.

Build cohort tables (synthetic ones with known truth, or real ones from school records), then
estimate how mentoring, teacher training and migrant enrolment relate to children's outcomes.
Importing the package reads no file and configures nothing.
"""

__version__ = "0.1.0"

from .cohort import Cohort, read_cohort  # noqa: E402
from .errors import (  # noqa: E402
    CohortFormatError,
    DroppedRowsWarning,
    LbcEvalError,
    LbcEvalWarning,
    SchemaError,
    SpecError,
)
from .schema import CODEBOOK_VERSION  # noqa: E402
from .spec import SynthSpec  # noqa: E402
from .synth import simulate  # noqa: E402

__all__ = [
    "CODEBOOK_VERSION",
    "Cohort",
    "CohortFormatError",
    "DroppedRowsWarning",
    "LbcEvalError",
    "LbcEvalWarning",
    "SchemaError",
    "SpecError",
    "SynthSpec",
    "__version__",
    "read_cohort",
    "simulate",
]
