"""The event-study figure: Callaway-Sant'Anna with its band, TWFE beside it, truth overlaid."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import style
from ..results import Result


def plot_event_study(
    result: Result,
    *,
    twfe: Result | None = None,
    truth: Mapping[str, Any] | None = None,
    lang: str = "both",
    ax: Any = None,
) -> Any:
    """Event-time effects with their intervals; pre-periods grey, post-periods coloured.

    Parameters
    ----------
    result : Result
        A dynamic aggregation (``fit_policy(...).aggregate("dynamic")`` or
        ``fit_did(...).aggregate("dynamic")``): rows with an ``event_time``.
    twfe : Result, optional
        The two-way fixed-effects event study, drawn beside it (shifted right) for contrast.
    truth : dict, optional
        A synthetic cohort's truth: the true event-time effects are drawn as a line.
    lang : {"zh", "en", "both"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = style.new_axes(ax)
    t = result.tidy().dropna(subset=["event_time"])
    e = t["event_time"].to_numpy(float)
    pre = e < 0
    shift = 0.15 if twfe is not None else 0.0
    for mask, color, key in (
        (pre, style.COLORS["pre"], "pre"),
        (~pre, style.COLORS["estimate"], "post"),
    ):
        ax.errorbar(
            e[mask] - shift,
            t["estimate"].to_numpy()[mask],
            yerr=[
                (t["estimate"] - t["conf_low"]).to_numpy()[mask],
                (t["conf_high"] - t["estimate"]).to_numpy()[mask],
            ],
            fmt="o",
            color=color,
            capsize=3,
            label=f"{style.label('cs', lang)} · {style.label(key, lang)}",
        )
    if twfe is not None:
        w = twfe.tidy().dropna(subset=["event_time"])
        ax.errorbar(
            w["event_time"].to_numpy(float) + shift,
            w["estimate"],
            yerr=[w["estimate"] - w["conf_low"], w["conf_high"] - w["estimate"]],
            fmt="s",
            color=style.COLORS["contrast"],
            capsize=3,
            alpha=0.8,
            label=style.label("twfe", lang),
        )
    if truth is not None and result.truth_lookup is not None:
        true = np.asarray(result.truth_lookup(truth, t), dtype=float)
        ax.plot(e, true, "-", color=style.COLORS["truth"], lw=1.2, label=style.label("truth", lang))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls=":")
    ax.set_xlabel(style.label("event_time", lang))
    ax.set_ylabel(style.label(result.outcome, lang))
    ax.legend(loc="upper left", fontsize=8)
    return ax
