"""One exception hierarchy and the typed warnings of the kit.

Every error says what was seen, what was expected and what to do; none echoes a child's
name or identity number.
"""

from __future__ import annotations


class LbcEvalError(Exception):
    """Base class of every error the kit raises on purpose."""


class SpecError(LbcEvalError, ValueError):
    """A generator spec (or another option) is outside its allowed range.

    Parameters
    ----------
    field : str
        The name of the offending field.
    message : str
        What was seen and what is allowed.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class SchemaError(LbcEvalError, ValueError):
    """A table does not match the codebook (unknown table, missing required column, bad dtype)."""


class CohortFormatError(LbcEvalError, OSError):
    """A cohort folder on disk is incomplete or was written by an incompatible codebook."""


class LbcEvalWarning(UserWarning):
    """Base class of the kit's warnings."""


class DroppedRowsWarning(LbcEvalWarning):
    """Rows were left out of a computation; the message says how many and why."""
