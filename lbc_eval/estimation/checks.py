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


def check_columns(data: Any, roles: Mapping[str, Columns | None]) -> None:
    """Raise :class:`UnknownColumnError` for the first column named in ``roles`` not in data
    (a pandas DataFrame, or an Ibis table of a lazy cohort)."""
    if not isinstance(data, pd.DataFrame) and not _is_ibis_table(data):
        raise EstimationError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    columns = list(data.columns)
    for role, cols in roles.items():
        for c in as_list(cols):
            if c not in columns:
                close = difflib.get_close_matches(str(c), [str(x) for x in columns], n=3)
                hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
                raise UnknownColumnError(
                    f"{role} column {c!r} is not in the data ({len(columns)} columns: "
                    f"{', '.join(map(str, columns[:12]))}"
                    f"{', ...' if len(columns) > 12 else ''}){hint}"
                )


def _is_ibis_table(data: Any) -> bool:
    return type(data).__module__.startswith("ibis.") and hasattr(data, "schema")


def fe_arguments(
    data: Any,
    *,
    outcome: str,
    treatment: Columns,
    unit: Columns | None,
    time: Columns | None,
    fixed_effects: Columns | None,
    cluster: Columns | None,
    controls: Columns | None,
    weights: str | None,
    inference: str,
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The checked arguments of ``fit_fe`` (in memory or lazy): ``(treatments, controls,
    fixed effects, clusters)``; clusters default to the unit. (``boot_weights`` is checked
    by the caller, against :data:`~lbc_eval.estimation.inference.wild.BOOT_WEIGHTS`.)"""
    treatments, ctrl = as_list(treatment), as_list(controls)
    fes = [*as_list(unit), *as_list(time), *as_list(fixed_effects)]
    clusters = as_list(cluster) if cluster is not None else as_list(unit)
    check_option("inference", inference, ("auto", "crv1", "wild"))
    if not treatments:
        raise EstimationError("name at least one treatment column")
    if len(clusters) > 2:
        raise SpecError("cluster", f"at most two cluster variables, got {clusters}")
    check_columns(
        data,
        {
            "outcome": outcome,
            "treatment": treatments,
            "control": ctrl,
            "fixed-effect": fes,
            "cluster": clusters,
            "weights": weights,
        },
    )
    return treatments, ctrl, fes, clusters
