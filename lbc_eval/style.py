"""The kit's look, from one place: a CJK font the project installs, colours, bilingual labels.

Chinese labels must render on a fresh machine, so no system font is assumed: the Noto Sans CJK
SC font comes with the ``mplfonts`` package (a dependency of the kit) and is registered with
matplotlib by :func:`use`. Plot functions call :func:`use` themselves; importing this module
does nothing.

Examples
--------
>>> from lbc_eval import style
>>> style.label("talks", "zh"), style.label("talks", "en"), style.label("talks", "both")
('谈心次数', 'Heart-to-heart talks', '谈心次数 Heart-to-heart talks')
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Literal

Lang = Literal["zh", "en", "both"]
LANGS: tuple[str, ...] = ("zh", "en", "both")

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_FAMILY = "Noto Sans CJK SC"

#: Colours (Okabe-Ito, safe for colour-blind readers): estimate, contrast, truth, band, grey.
COLORS = {
    "estimate": "#0072B2",
    "contrast": "#D55E00",
    "truth": "#000000",
    "pre": "#999999",
    "accent": "#009E73",
    "warning": "#E69F00",
}

#: Labels that are not codebook columns, in both languages.
_TEXT: dict[str, tuple[str, str]] = {
    "contacts": ("每学期帮扶次数", "Mentoring contacts per term"),
    "dose_response": ("帮扶次数与下学期结果", "Contacts and next-term outcome"),
    "effect": ("效应", "Effect"),
    "event_time": ("政策实施后学期数", "Terms since the policy"),
    "moved": ("随父母迁居（累计）", "Moved to live with parents (cumulative)"),
    "truth": ("真实值（合成数据）", "True value (synthetic data)"),
    "cs": ("Callaway–Sant'Anna 估计", "Callaway–Sant'Anna estimate"),
    "twfe": ("双向固定效应（有偏）", "Two-way fixed effects (biased)"),
    "pre": ("政策前", "Before the policy"),
    "post": ("政策后", "After the policy"),
    "trained_share": ("受训教师比例", "Trained-teacher share"),
    "share": ("比例", "Share"),
    "children": ("儿童数", "Children"),
    "township": ("乡镇", "Township"),
    "year": ("年份", "Year"),
    "count_10k": ("人数（万人）", "Children (10,000s)"),
    "left_behind_children": ("农村留守儿童", "Rural left-behind children"),
    "migrant_children": ("进城务工人员随迁子女", "Migrant children"),
    "ci": ("95% 置信区间", "95% confidence interval"),
}


def check_lang(lang: str) -> Lang:
    """Validate a language option (``zh``, ``en`` or ``both``)."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r}; choose one of {', '.join(LANGS)}")
    return lang  # type: ignore[return-value]


def label(key: str, lang: str = "both") -> str:
    """The label of a codebook column or a known key, in ``lang`` (``both``: Chinese English)."""
    check_lang(lang)
    if key in _TEXT:
        zh, en = _TEXT[key]
    else:
        from .schema import column

        try:
            c = column(key)
        except Exception:  # noqa: BLE001 - unknown keys are shown as they are
            return key
        zh, en = c.label_zh, c.label_en
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"


def font_path() -> Path:
    """Path of the CJK font the kit uses (shipped by the ``mplfonts`` package)."""
    path = Path(str(resources.files("mplfonts") / "fonts" / FONT_FILE))
    if not path.exists():
        raise FileNotFoundError(
            f"{FONT_FILE} not found in the mplfonts package; reinstall the kit's dependencies "
            f"(bash scripts/setup.sh)"
        )
    return path


@functools.cache
def use() -> str:
    """Register the CJK font and set the kit's matplotlib defaults; returns the font family."""
    import matplotlib as mpl
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(font_path()))
    family = font_manager.FontProperties(fname=str(font_path())).get_name()
    mpl.rcParams.update(
        {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.figsize": (7.0, 4.2),
            "figure.dpi": 100,
            "savefig.dpi": 150,
            "legend.frameon": False,
        }
    )
    return family


def new_axes(ax: object = None) -> object:
    """``ax`` if given, else a new figure's axes, with the style applied."""
    use()
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax
