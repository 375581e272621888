"""One exception hierarchy and the typed warnings of the kit.

Every error says what was seen, what was expected and what to do; none echoes a child's
name or identity number.
"""

from __future__ import annotations

from collections.abc import Iterable


class LbcEvalError(Exception):
    """Base class of every error the kit raises on purpose."""


class SpecError(LbcEvalError, ValueError):
    """A generator spec (or another option) is outside its allowed range.

    Parameters
    ----------
    field : str
        The name of the offending field.
    message : str or object
        What was seen and what is allowed: text, or a message of the catalogue
        (:class:`lbc_eval.data.messages.Text`, shown in Chinese; the command line writes it in
        its ``--lang``).
    """

    def __init__(self, field: str, message: object) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class SchemaError(LbcEvalError, ValueError):
    """A table does not match the codebook (unknown table, missing required column, bad dtype)."""


class CohortFormatError(LbcEvalError, OSError):
    """A cohort folder on disk is incomplete or was written by an incompatible codebook."""


class CohortValidationError(CohortFormatError, SchemaError):
    """A cohort folder's files break the codebook's rules (see :mod:`lbc_eval.data.checks`).

    ``problems`` lists every one: file, column, rule, count of rows and a few row numbers,
    never a value. ``read_cohort(path, validate=False)`` reads the files unchecked.
    """

    def __init__(self, message: str, problems: Iterable[object] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


class LbcEvalWarning(UserWarning):
    """Base class of the kit's warnings."""


class DroppedRowsWarning(LbcEvalWarning):
    """Rows were left out of a computation; the message says how many and why."""


class EstimationError(LbcEvalError, ValueError):
    """An estimator cannot run on the data it was given; the message says what to change."""


class UnknownColumnError(EstimationError, KeyError):
    """A column named in the call is not in the data."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class NoVariationError(EstimationError):
    """A treatment, outcome or cluster variable does not vary where it must."""


class CollinearityError(EstimationError):
    """Regressors are perfectly collinear (after absorbing fixed effects)."""


class MissingDataError(EstimationError):
    """No usable rows: the outcome (or another needed column) is missing everywhere it counts."""


class OutOfCoreError(EstimationError, NotImplementedError):
    """An analysis cannot run on a lazy (out-of-core) cohort as asked.

    The message says what to do instead: collect a subset into memory
    (``LazyCohort.collect(terms=..., columns=...)``), or choose an option that runs in the
    engine (for instance ``inference="crv1"``).
    """


class FewClustersWarning(LbcEvalWarning):
    """Fewer clusters than cluster-robust standard errors need; the result says what was done."""


class IngestError(LbcEvalError):
    """An input file cannot be read at all (not a row-level problem, which goes to quarantine)."""


class IngestKeyError(IngestError):
    """The pseudonymisation key is missing, malformed, or kept where it could leak.

    The message names the key file or environment variable and what to do; it never shows the
    key.
    """


class InsideRepositoryError(IngestError):
    """Ingest outputs (or a key) would be written inside a git working tree.

    Real records must stay outside the repository; pass ``allow_inside_repo=True``
    (``--allow-inside-repo``) only for synthetic data.
    """
