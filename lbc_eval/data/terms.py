r"""Terms, in one place: label <-> index <-> academic year <-> semester.

A term is labelled ``YYYY-S``: ``2024-1`` is the autumn semester of academic year 2024 (autumn
2024), ``2024-2`` its spring semester (spring 2025). Its absolute index is

.. math:: k = 2 \cdot \text{year} + \text{semester} - 1,

so consecutive terms have consecutive indices (``2024-2`` is 4049, ``2025-1`` is 4050), the
academic year is :math:`\lfloor k / 2 \rfloor` and the semester :math:`k \bmod 2 + 1`. Every
module that orders terms, steps from one to the next or groups them into years calls this one.

Examples
--------
>>> from lbc_eval.data.terms import academic_year, ordered_terms, semester, term_index, term_label
>>> int(term_index("2024-2")[0]), term_label(4050)
(4049, '2025-1')
>>> academic_year(["2024-1", "2024-2", "2025-1"]).tolist(), semester("2024-2").tolist()
([2024, 2024, 2025], [2])
>>> ordered_terms(["2025-1", "2024-2"])
['2024-2', '2025-1']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from lbc_eval.errors import SchemaError

#: The label's form: a four-digit academic year, a dash, the semester (1 autumn, 2 spring).
PATTERN = re.compile(r"^(\d{4})-([12])$")

Terms = pd.Series | Iterable[str] | str


def make_term(year: int, semester: int) -> str:
    """``make_term(2024, 1) == '2024-1'`` (autumn 2024); semester 2 is the following spring."""
    return f"{int(year)}-{int(semester)}"


def term_label(index: float) -> str:
    """The label of an absolute index, inverse of :func:`term_index`: ``4048`` -> ``'2024-1'``."""
    k = int(index)
    return make_term(k // 2, k % 2 + 1)


def _parse(term: Terms) -> np.ndarray:
    values = [term] if isinstance(term, str) else list(term)
    out = np.empty(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        m = PATTERN.match(str(v))
        if not m:
            raise SchemaError(f"term {v!r} is not of the form 'YYYY-1' or 'YYYY-2'")
        out[i] = 2 * int(m.group(1)) + int(m.group(2)) - 1
    return out


def term_index(term: Terms, origin: str | None = None) -> np.ndarray:
    """Consecutive integer index of terms, ``2 * year + semester - 1``, minus ``origin``'s.

    With ``origin`` None the index is absolute; give the panel's first term to start at 0.
    A column with many rows is parsed once per distinct label.
    """
    if isinstance(term, pd.Series) and len(term) > 64:
        codes, uniques = pd.factorize(term)
        if (codes < 0).any():
            raise SchemaError("a term is missing; every row needs a term like '2024-1'")
        out = _parse(uniques)[codes]
    else:
        out = _parse(term)
    if origin is not None:
        out = out - _parse(origin)[0]
    return out


def academic_year(term: Terms) -> np.ndarray:
    """The academic year of each term (``2024`` for ``2024-1`` and ``2024-2``)."""
    return index_year(term_index(term))


def semester(term: Terms) -> np.ndarray:
    """The semester of each term: 1 autumn, 2 spring."""
    return term_index(term) % 2 + 1


def index_year(index: int | np.ndarray) -> np.ndarray:
    """The academic year of absolute term indices (``4049`` -> ``2024``)."""
    return np.asarray(index, dtype=np.int64) // 2


def year_start(year: int | np.ndarray | pd.Series) -> np.ndarray:
    """The index of the autumn term that opens each academic year (``2 * year``)."""
    return 2 * np.asarray(year, dtype=np.int64)


def ordered_terms(labels: Iterable[str]) -> list[str]:
    """The distinct labels in time order."""
    distinct = sorted({str(t) for t in labels})
    return [distinct[i] for i in np.argsort(_parse(distinct), kind="stable")]
