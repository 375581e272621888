"""The kit's look, from one place: a CJK font the project installs, colours, bilingual labels.

Chinese labels must render on a fresh machine, so no system font is assumed: the Noto Sans CJK
SC font comes with the ``mplfonts`` package (a dependency of the kit) and is registered with
matplotlib by :func:`use`. Plot functions call :func:`use` themselves; importing this module
does nothing.

Labels in both languages live in :mod:`lbc_eval.data.labels`.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

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

#: Resolution of every figure the kit draws (dots per inch): print quality. A 7 in figure,
#: cropped to about 6.2 in by the notebook's tight bounding box, still has more than 200 dpi
#: when the Word brief sets it at the full text width of an A4 page (17 cm, 6.7 in).
PRINT_DPI = 240


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
            "figure.dpi": PRINT_DPI,
            "savefig.dpi": PRINT_DPI,
            "legend.frameon": False,
        }
    )
    return family


def at_print_dpi(fig: object) -> object:
    """Raise ``fig``'s resolution to :data:`PRINT_DPI` when it is lower; returns ``fig``.

    Jupyter's inline backend saves a figure at the figure's own dpi, so a figure made before
    :func:`use` (``plt.subplots()`` in a notebook, then a plot function on its axes) would
    otherwise reach the brief at the screen's 100 dpi.
    """
    if getattr(fig, "dpi", PRINT_DPI) < PRINT_DPI:
        fig.set_dpi(PRINT_DPI)  # type: ignore[attr-defined]
    return fig


def new_axes(ax: object = None) -> object:
    """``ax`` if given (its figure raised to print resolution), else a new figure's axes, with
    the style applied."""
    use()
    if ax is not None:
        at_print_dpi(ax.figure)  # type: ignore[attr-defined]
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax
