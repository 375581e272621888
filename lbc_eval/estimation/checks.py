"""The argument checks every estimator and question function shares: named errors, close matches."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lbc_eval.errors import EstimationError, SpecError, UnknownColumnError

Columns = str | Sequence[str]


def as_list(x: Columns | None) -> list[str]:
    """``None`` -> [], ``"a"`` -> ["a"], a sequence -> a list."""
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def check_option(name: str, value: Any, allowed: Sequence[Any]) -> None:
    """Raise :class:`SpecError` listing the allowed values when ``value`` is not one of them."""
    if value not in allowed:
        raise SpecError(name, f"got {value!r}; allowed: {', '.join(map(repr, allowed))}")


def check_columns(data: pd.DataFrame, roles: Mapping[str, Columns | None]) -> None:
    """Raise :class:`UnknownColumnError` for the first column named in ``roles`` not in data."""
    if not isinstance(data, pd.DataFrame):
        raise EstimationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    for role, cols in roles.items():
        for c in as_list(cols):
            if c not in data.columns:
                close = difflib.get_close_matches(str(c), [str(x) for x in data.columns], n=3)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise UnknownColumnError(
                    f"{role} column {c!r} is not in the data ({data.shape[1]} columns: "
                    f"{', '.join(map(str, list(data.columns)[:12]))}"
                    f"{', ...' if data.shape[1] > 12 else ''}){hint}"
                )
