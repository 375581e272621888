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
from lbc_eval.data.codebook import column
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


#: Units of the codebook, in Chinese (axis labels say what a change is measured in).
_UNITS_ZH = {
    "points": "分",
    "SD": "标准差",
    "share": "比例",
    "percentage points": "百分点",
    "times per term": "次/学期",
    "hours per term": "小时/学期",
    "yuan": "元",
}

#: Outcomes that are not codebook columns: their label (zh, en) and unit (en).
_OUTCOMES = {
    "moved": (("随父母迁居的比例（累计）", "share who have moved to live with parents"),
              "percentage points"),  # fmt: skip
}


def _words(zh: str, en: str, lang: str, *, sep: str = " ") -> str:
    """``zh``, ``en`` or both (joined by ``sep``), by ``lang``."""
    return zh if lang == "zh" else en if lang == "en" else f"{zh}{sep}{en}"


def _outcome(outcome: str) -> tuple[str, str, str, float]:
    """An outcome's label (zh, en), unit (en; '' if none) and the factor its effects are
    shown in: shares and yes/no outcomes as percentage points (x 100), others as they are."""
    if outcome in _OUTCOMES:
        (zh, en), unit = _OUTCOMES[outcome]
    else:
        zh, en = labels.label(outcome, "zh"), labels.label(outcome, "en")
        try:
            c = column(outcome)
        except Exception:  # noqa: BLE001 - a column the codebook does not know: no unit
            return zh, en, "", 1.0
        unit = "percentage points" if c.kind == "bool" else c.unit
    if unit in ("share", "percentage points"):
        return zh, en, "percentage points", 100.0
    return zh, en, unit, 1.0


def _unit(unit: str) -> tuple[str, str]:
    """The unit in parentheses, (zh, en); empty without a unit."""
    if not unit:
        return "", ""
    return f"（{_UNITS_ZH.get(unit, unit)}）", f" ({unit})"


def _footnote(ax: Any, text: str) -> None:
    """A caveat under the axes (inside the saved figure: it travels with it)."""
    ax.annotate(
        text,
        xy=(0, 0),
        xycoords="axes fraction",
        xytext=(0, -34),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
        color="#444444",
        wrap=True,
    )


def dense_limit(result: Any) -> float | None:
    """The dose up to which a dose-response curve rests on dense data: the natural spline's
    last knot, which :func:`~lbc_eval.fit_dose_response` puts at the 95th percentile of the
    doses (None for other curves)."""
    basis = result.tables.get("basis")
    if basis is None or basis.empty or (basis["spline"] != "natural").any():
        return None
    knots = pd.to_numeric(basis["knot"], errors="coerce").dropna()
    return float(knots.max()) if len(knots) else None


def plot_dose_response(
    result: Any,
    *,
    truth: Mapping[str, Any] | None = None,
    bins: bool = True,
    upto: float | str | None = "dense",
    lang: str = "both",
    ax: Any = None,
) -> Any:
    """One finding: how the next term's outcome changes with this term's contacts.

    The smooth curve (change relative to zero contacts, in the outcome's unit) with its band,
    the binned estimates with their intervals, and the truth; titled, with the unit on the
    y-axis. The curve stops where the data thin out (``upto``), and a note under the axes
    says so.

    Parameters
    ----------
    result : Result
        From :func:`lbc_eval.fit_dose_response` (reads ``tables["curve"]``,
        ``tables["bins"]``, ``tables["basis"]`` and the ``dose[...]`` rows of ``tidy()``).
    truth : dict, optional
        A synthetic cohort's ``truth``: its dose-response curve of the outcome
        (:func:`lbc_eval.questions.dose_curve.true_curve`) is drawn as a dashed line.
    bins : bool
        Draw the binned estimates at each bin's mean dose, with their intervals.
    upto : "dense", float or None
        Draw the curve, its band and the truth up to this dose: ``"dense"`` (default) the
        95th percentile of the doses (:func:`dense_limit`; a natural spline beyond it is a
        straight line fitted to a few children, which can turn anywhere); None the whole
        grid.
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
    limit = dense_limit(result) if upto == "dense" else upto
    if limit is not None:
        curve = curve[curve["dose"] <= float(limit) + 1e-9]
    ax.fill_between(
        curve["dose"],
        curve["conf_low"],
        curve["conf_high"],
        color=style.COLORS["estimate"],
        alpha=0.2,
        linewidth=0,
        label=f"{1 - result.alpha:.0%} " + _words("置信带", "band", lang),
    )
    ax.plot(
        curve["dose"],
        curve["estimate"],
        color=style.COLORS["estimate"],
        lw=2,
        label=_words("估计曲线", "Estimated curve", lang),
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
            label=_words(
                f"分组估计（{1 - result.alpha:.0%} 置信区间）",
                f"bins ({1 - result.alpha:.0%} interval)",
                lang,
            ),
        )
    true = None if truth is None else dose_curve.true_curve(truth, result.outcome)
    if true is not None:
        if limit is not None:
            true = true[true["dose"] <= float(limit) + 1e-9]
        ax.plot(
            true["dose"],
            true["effect"],
            color=style.COLORS["truth"],
            ls="--",
            lw=1.5,
            label=labels.label("truth", lang),
            gid="truth",
        )
    zh, en, unit, _ = _outcome(result.outcome)
    u_zh, u_en = _unit(unit)
    if limit is not None:
        _footnote(
            ax,
            _words(
                f"曲线只画到每学期 {limit:g} 次（已结对学期帮扶次数的第 95 百分位数）；"
                f"更多次数的学期太少，曲线在那里不可靠。",
                f"The curve stops at {limit:g} contacts, the 95th percentile of mentored "
                f"terms; beyond it too few terms to trust its shape.",
                lang,
                sep="\n",
            ),
        )
    return finish(
        ax,
        title=_words(f"帮扶次数与下学期{zh}", f"Mentoring contacts and next-term {en}", lang,
                     sep="\n"),  # fmt: skip
        xlabel=labels.label("contacts", lang),
        ylabel=_words(
            f"与零次帮扶相比，下学期{zh}的变化{u_zh}",
            f"Change in next-term {en}\nvs. zero contacts{u_en}",
            lang,
            sep="\n",
        ),
    )


def plot_event_study(
    result: Any,
    *,
    twfe: Any = None,
    truth: Mapping[str, Any] | None = None,
    lang: str = "both",
    ax: Any = None,
) -> Any:
    """One finding: the policy's effect by terms since it began, with intervals; titled, the
    unit on the y-axis (shares in percentage points); pre-periods grey, post-periods coloured.

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
    labels.check_lang(lang)
    ax = style.new_axes(ax)
    zh, en, unit, scale = _outcome(result.outcome)
    t = result.tidy().dropna(subset=["event_time"])
    e = t["event_time"].to_numpy(float)
    est = t["estimate"].to_numpy(float) * scale
    low = t["conf_low"].to_numpy(float) * scale
    high = t["conf_high"].to_numpy(float) * scale
    pre = e < 0
    shift = 0.15 if twfe is not None else 0.0
    level = f"{1 - result.alpha:.0%}"
    for mask, color, key in (
        (pre, style.COLORS["pre"], "pre"),
        (~pre, style.COLORS["estimate"], "post"),
    ):
        ax.errorbar(
            e[mask] - shift,
            est[mask],
            yerr=[(est - low)[mask], (high - est)[mask]],
            fmt="o",
            color=color,
            capsize=3,
            label=f"{labels.label('cs', lang)} · {labels.label(key, lang)}",
        )
    if twfe is not None:
        w = twfe.tidy().dropna(subset=["event_time"])
        w_est = w["estimate"].to_numpy(float) * scale
        ax.errorbar(
            w["event_time"].to_numpy(float) + shift,
            w_est,
            yerr=[w_est - w["conf_low"].to_numpy(float) * scale,
                  w["conf_high"].to_numpy(float) * scale - w_est],  # fmt: skip
            fmt="s",
            color=style.COLORS["contrast"],
            capsize=3,
            alpha=0.8,
            label=labels.label("twfe", lang),
        )
    if truth is not None and result.truth_lookup is not None:
        true = np.asarray(result.truth_lookup(truth, t), dtype=float) * scale
        ax.plot(e, true, "-", color=style.COLORS["truth"], lw=1.2,
                label=labels.label("truth", lang), gid="truth")  # fmt: skip
    ax.axhline(0, color="black", lw=0.8)
    ax.axvline(-0.5, color="black", lw=0.8, ls=":")
    u_zh, u_en = _unit(unit)
    ax.set_title(
        _words(f"政策对{zh}的效应", f"Policy effect on the {en}", lang, sep="\n"),
        loc="left",
        fontsize=11,
    )
    ax.set_xlabel(labels.label("event_time", lang))
    ax.set_ylabel(_words(f"{zh}的变化{u_zh}", f"Change in the {en}\n{u_en.strip()}", lang,
                         sep="\n"))  # fmt: skip
    ax.legend(loc="upper left", fontsize=8)
    _footnote(
        ax,
        _words(
            f"点：估计值；竖线：{level} 置信区间。政策前（灰色）应接近零。",
            f"Points: estimates; bars: {level} confidence intervals. Before the policy (grey) "
            f"they should be near zero.",
            lang,
            sep="\n",
        ),
    )
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
    style.at_print_dpi(ax.figure)
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
    style.at_print_dpi(ax.figure)
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
    lang: str = "both",
    ax: Any = None,
) -> Any:
    """Share of left-behind children paired, over ``x`` (default the first key), one line per
    ``group`` (default the second key, if any); ``target`` draws the bureau's goal. Axis labels
    and the target's legend entry are in ``lang`` (``"zh"``, ``"en"`` or ``"both"``)."""
    labels.check_lang(lang)
    ax = _axes(ax)
    keys = _keys(frame, ["n_left_behind"])
    x = x or keys[0]
    group = group if group is not None else (keys[1] if len(keys) > 1 and keys[1] != x else None)
    groups = frame.groupby(group, sort=True) if group else [(None, frame)]
    for name, part in groups:
        ax.plot(part[x].astype(str), _float(part["share_paired"]), marker="o", label=name)
    if target is not None:
        ax.axhline(target, linestyle="--", color="grey", linewidth=1,
                   label=_words("目标", "target", lang))  # fmt: skip
    ax.set_ylim(0, 1.05)
    ax.set_xlabel(labels.label(x, lang))
    ax.set_ylabel(_words("已结对的留守儿童比例", "share of left-behind children paired", lang))
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
