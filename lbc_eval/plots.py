"""Figures of the estimators: each takes a result and ``ax=None`` and returns the axes.

The look (CJK font, colours, bilingual labels) comes from :mod:`lbc_eval.style`; no function
here calls ``show()`` or ``savefig()``, and pyplot is imported only when a figure is drawn, so
importing the package stays light.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from . import style


def finish(ax: Any, *, xlabel: str = "", ylabel: str = "", title: str = "") -> Any:
    """The shared finishing touches: labels, a zero line, the legend; returns ``ax``."""
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.axhline(0, color="black", lw=0.8, zorder=1)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return ax


def plot_dose_response(
    result: Any,
    *,
    truth: Mapping[str, Any] | None = None,
    bins: bool = True,
    lang: str = "both",
    ax: Any = None,
) -> Any:
    """The smooth dose–response curve with its band, the binned estimates, and the truth.

    Parameters
    ----------
    result : Result
        From :func:`lbc_eval.fit_dose_response` (reads ``extra["curve"]``, ``extra["bins"]``
        and the ``dose[...]`` rows of ``tidy()``).
    truth : dict, optional
        A synthetic cohort's ``truth``: ``dose_response[outcome]["curve"]`` is drawn as a
        dashed line.
    bins : bool
        Draw the binned estimates at each bin's mean dose, with their intervals.
    lang : {"zh", "en", "both"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
        Lines: the estimate (label ``estimate``) and, given ``truth``, the truth (``truth``);
        the band is a filled polygon; bins an error bar (``bins``).
    """
    style.check_lang(lang)
    ax = style.new_axes(ax)
    curve = result.extra["curve"]
    ax.fill_between(
        curve["dose"],
        curve["conf_low"],
        curve["conf_high"],
        color=style.COLORS["estimate"],
        alpha=0.2,
        linewidth=0,
        label=f"{1 - result.alpha:.0%} " + ("置信带" if lang == "zh" else "band"),
    )
    ax.plot(
        curve["dose"],
        curve["estimate"],
        color=style.COLORS["estimate"],
        lw=2,
        label=style.label("effect", lang),
        gid="estimate",
    )
    if bins and "bins" in result.extra:
        tidy = result.tidy().set_index("term")
        b = result.extra["bins"].iloc[1:]
        rows = tidy.loc[[f"dose[{lab}]" for lab in b["bin"]]]
        y = rows["estimate"].to_numpy()
        err = np.vstack([y - rows["conf_low"].to_numpy(), rows["conf_high"].to_numpy() - y])
        ax.errorbar(
            b["mean_dose"].to_numpy(),
            y,
            yerr=err,
            fmt="o",
            color=style.COLORS["contrast"],
            ms=5,
            capsize=3,
            label="分组 bins" if lang == "both" else ("分组" if lang == "zh" else "bins"),
        )
    if truth is not None:
        dr = truth.get("dose_response", {}).get(result.outcome)
        if dr is not None:
            ax.plot(
                dr["grid"],
                dr["curve"],
                color=style.COLORS["truth"],
                ls="--",
                lw=1.5,
                label=style.label("truth", lang),
                gid="truth",
            )
    return finish(
        ax,
        title=style.label("dose_response", lang),
        xlabel=style.label("contacts", lang),
        ylabel=style.label(result.outcome, lang),
    )


def plot_event_study(
    result: Any,
    *,
    twfe: Any = None,
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
