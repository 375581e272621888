"""Plots of the audits in :mod:`lbc_eval.audit`.

Each takes the tidy frame its audit returns (suppressed or not: missing cells are skipped)
and ``ax=None``, draws on the axes, and returns them; none shows or saves a figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def _axes(ax: Any, size: tuple[float, float] = (7, 4)) -> Any:
    import matplotlib.pyplot as plt

    from . import style

    style.use()  # the kit's font and look (CJK labels render on any machine)
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _float(s: pd.Series) -> np.ndarray:
    return (
        pd.to_numeric(s, errors="coerce").astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    )


def _keys(frame: pd.DataFrame, value_columns: Sequence[str]) -> list[str]:
    first = min(frame.columns.get_loc(c) for c in value_columns if c in frame.columns)
    return [str(c) for c in frame.columns[:first]]


def plot_coverage(
    frame: pd.DataFrame,
    *,
    x: str | None = None,
    group: str | None = None,
    target: float | None = None,
    ax: Any = None,
) -> Any:
    """Share of left-behind children paired, over ``x`` (default the first key), one line per
    ``group`` (default the second key, if any); ``target`` draws the bureau's goal."""
    ax = _axes(ax)
    keys = _keys(frame, ["n_left_behind"])
    x = x or keys[0]
    group = group if group is not None else (keys[1] if len(keys) > 1 and keys[1] != x else None)
    groups = frame.groupby(group, sort=True) if group else [(None, frame)]
    for name, part in groups:
        ax.plot(part[x].astype(str), _float(part["share_paired"]), marker="o", label=name)
    if target is not None:
        ax.axhline(target, linestyle="--", color="grey", linewidth=1, label="target")
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(x)
    ax.set_ylabel("share of left-behind children paired")
    if group or target is not None:
        ax.legend(fontsize=8)
    return ax


def plot_contacts(frame: pd.DataFrame, *, x: str | None = None, ax: Any = None) -> Any:
    """Mean contacts per paired child over ``x``, one line per contact type, with the
    expected number (when given) as a dashed line of the same colour."""
    ax = _axes(ax)
    keys = [k for k in _keys(frame, ["n_paired"]) if k != "contact"]
    x = x or keys[0]
    for contact, part in frame.groupby("contact", sort=False):
        part = part.groupby(x, sort=True).agg(mean=("mean", "mean"), expected=("expected", "max"))
        (line,) = ax.plot(part.index.astype(str), _float(part["mean"]), marker="o", label=contact)
        expected = _float(part["expected"])
        if np.isfinite(expected).any():
            ax.axhline(np.nanmax(expected), linestyle="--", linewidth=1, color=line.get_color())
    ax.set_xlabel(x)
    ax.set_ylabel("contacts per paired child (dashed: expected)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def plot_access(frame: pd.DataFrame, *, x: str | None = None, ax: Any = None) -> Any:
    """Share receiving counselling and tutoring over ``x``: solid lines for left-behind
    children, dashed for the others."""
    ax = _axes(ax)
    keys = [k for k in _keys(frame, ["n_children"]) if k not in ("service", "group")]
    x = x or keys[0]
    colours: dict[str, Any] = {}
    for (service, group), part in frame.groupby(["service", "group"], sort=True):
        part = part.groupby(x, sort=True)["share_receiving"].mean()
        style = "-" if group == "left_behind" else "--"
        (line,) = ax.plot(
            part.index.astype(str),
            _float(part),
            style,
            marker="o",
            color=colours.get(service),
            label=f"{service}: {group.replace('_', '-')}",
        )
        colours.setdefault(service, line.get_color())
    ax.set_xlabel(x)
    ax.set_ylabel("share receiving")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return ax


def plot_scholarships(
    frame: pd.DataFrame,
    *,
    x: str | None = None,
    rule: float = 0.30,
    ax: Any = None,
) -> Any:
    """Share of scholarships to left-behind children per school (``x``, default the first key),
    one marker per year (or other second key); the rule as a dashed line, shortfalls in red."""
    ax = _axes(ax, (8, 4))
    keys = _keys(frame, ["n_pupils"])
    x = x or keys[0]
    other = [k for k in keys if k != x]
    labels = sorted(frame[x].astype(str).unique())
    pos = {label: i for i, label in enumerate(labels)}
    groups = frame.groupby(other[0], sort=True) if other else [(None, frame)]
    n = max(1, len(groups) if other else 1)
    for g, (name, part) in enumerate(groups):
        xs = np.array([pos[v] for v in part[x].astype(str)]) + (g - (n - 1) / 2) * 0.8 / n
        share = _float(part["share_lb"])
        short = share < rule - 1e-12
        ax.scatter(xs, share, label=name, zorder=3)
        ax.scatter(xs[short], share[short], facecolors="none", edgecolors="red", s=120, zorder=4)
    ax.axhline(rule, linestyle="--", color="grey", linewidth=1, label=f"rule ({rule:.0%})")
    ax.set_xticks(range(len(labels)), labels, rotation=90 if len(labels) > 15 else 0)
    ax.set_xlabel(x)
    ax.set_ylabel("share to left-behind children")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=8, ncol=2)
    return ax
