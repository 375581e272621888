"""All of the kit's figures: each takes a result or a tidy frame and ``ax=None``, returns the axes.

Estimators (dose-response, event study), audits (coverage, contacts, access, scholarships),
pilot sizes (MDE curves) and the national context.

The look (CJK font, colours, bilingual labels) comes from :mod:`lbc_eval.report.style`; no function
here calls ``show()`` or ``savefig()``, and pyplot is imported only when a figure is drawn, so
importing the package stays light.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data import labels
from lbc_eval.questions import dose_curve, overview
from lbc_eval.report import style


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
        From :func:`lbc_eval.fit_dose_response` (reads ``tables["curve"]``,
        ``tables["bins"]`` and the ``dose[...]`` rows of ``tidy()``).
    truth : dict, optional
        A synthetic cohort's ``truth``: its dose-response curve of the outcome
        (:func:`lbc_eval.questions.dose_curve.true_curve`) is drawn as a dashed line.
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
    labels.check_lang(lang)
    ax = style.new_axes(ax)
    curve = result.tables["curve"]
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
        label=labels.label("effect", lang),
        gid="estimate",
    )
    if bins and "bins" in result.tables:
        tidy = result.tidy().set_index("term")
        b = result.tables["bins"].iloc[1:]
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
    true = None if truth is None else dose_curve.true_curve(truth, result.outcome)
    if true is not None:
        ax.plot(
            true["dose"],
            true["effect"],
            color=style.COLORS["truth"],
            ls="--",
            lw=1.5,
            label=labels.label("truth", lang),
            gid="truth",
        )
    return finish(
        ax,
        title=labels.label("dose_response", lang),
        xlabel=labels.label("contacts", lang),
        ylabel=labels.label(result.outcome, lang),
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
            label=f"{labels.label('cs', lang)} · {labels.label(key, lang)}",
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
            label=labels.label("twfe", lang),
        )
    if truth is not None and result.truth_lookup is not None:
        true = np.asarray(result.truth_lookup(truth, t), dtype=float)
        ax.plot(e, true, "-", color=style.COLORS["truth"], lw=1.2,
                label=labels.label("truth", lang))
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls=":")
    ax.set_xlabel(labels.label("event_time", lang))
    ax.set_ylabel(labels.label(result.outcome, lang))
    ax.legend(loc="upper left", fontsize=8)
    return ax


def plot_national(*, lang: str = "both", ax: Any = None) -> Any:
    """National counts of left-behind and migrant children in compulsory education.

    Only the Ministry of Education enrolment series, all levels; years without an exact
    published figure stay gaps (markers only where a figure exists, no line across a gap).
    """
    ax = style.new_axes(ax)
    d = overview.national_counts()
    d = d[(d["definition"] == "moe_enrolled_compulsory") & (d["level"] == "all")]
    colors = {"left_behind_children": style.COLORS["estimate"],
              "migrant_children": style.COLORS["contrast"]}
    for series, part in d.groupby("series"):
        part = part.sort_values("year")
        years = part["year"].to_numpy()
        # break the line where a year is missing, so a gap is never drawn over
        full = pd.Series(part["count_10k"].to_numpy(), index=years).reindex(
            range(years.min(), years.max() + 1))
        ax.plot(full.index, full.to_numpy(), "-o", color=colors[series],
                label=labels.label(str(series), lang))
    ax.set_xlabel(labels.label("year", lang))
    ax.set_ylabel(labels.label("count_10k", lang))
    ax.legend()
    return ax


def plot_mde(
    frame: pd.DataFrame,
    *,
    x: str | None = None,
    effects: Mapping[str, float] | None = None,
    ax: Any = None,
) -> Any:
    """Plot an :func:`mde_curve` frame: MDE against the varied argument, with effect lines.

    ``effects`` maps labels to plausible effects (e.g. ``{"tutoring (REAP RCTs)": 0.13}``),
    drawn as dashed horizontal lines: where the curve drops below one is the pilot size that
    can detect it. Returns the axes; never shows or saves.
    """
    import matplotlib.pyplot as plt

    style.use()

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    x = x or str(frame.columns[0])
    ax.plot(frame[x], frame["mde"], marker="o", label="minimum detectable effect")
    for label, value in (effects or {}).items():
        ax.axhline(value, linestyle="--", linewidth=1, color="grey")
        ax.annotate(
            label, (frame[x].iloc[-1], value), ha="right", va="bottom", fontsize=8, color="grey"
        )
    ax.set_xlabel(x.replace("_", " "))
    ax.set_ylabel("MDE (SD)")
    ax.set_ylim(bottom=0)
    return ax


# audits (lbc_eval.publish.audit frames; suppressed cells are skipped)


def _axes(ax: Any, size: tuple[float, float] = (7, 4)) -> Any:
    import matplotlib.pyplot as plt

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
