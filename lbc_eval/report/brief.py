"""The evidence brief: the work-plan notebook as a web page and a Word document.

:func:`brief` renders the work-plan notebook without code, in Chinese or English, as a
self-contained HTML page with the CJK font embedded (subset to the characters used), so the
brief reads the same on any machine, and as a Word document beside it (``brief_LANG.docx``,
:mod:`lbc_eval.report.word`) with the same sections, tables and figures; it runs the notebook
first (:func:`lbc_eval.report.run.run`) unless an executed one of the same language is there.
Its title is the notebook's first heading; on synthetic data both open with a banner saying so;
tables scroll sideways on a phone instead of squeezing their columns (the page:
:mod:`lbc_eval.report.pages`; the tables: :mod:`lbc_eval.report.tables`).

Cells tagged ``zh`` or ``en`` appear only in that language's brief; cells tagged
``parameters``, ``injected-parameters`` or ``no-brief`` never appear in a brief.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from lbc_eval.data import labels
from lbc_eval.data.messages import join, msg
from lbc_eval.errors import LbcEvalError
from lbc_eval.report.pages import page, page_html
from lbc_eval.report.run import _check_cohort, _param, run

# run and _check_cohort: lbc_eval.cli imports them from here
__all__ = ["FORMATS", "WORK_PLAN", "brief", "write_brief", "run", "_check_cohort"]

WORK_PLAN = "05_work_plan.ipynb"


#: The brief's formats: a self-contained web page and a Word document.
FORMATS = ("html", "docx")


def brief(
    out: str | Path,
    *,
    lang: str = "zh",
    data: str | Path | None = None,
    seed: int = 0,
    formats: Sequence[str] = FORMATS,
    synthetic: bool | None = None,
    progress: Callable[[str], None] | None = print,
) -> Path:
    """Render the work-plan notebook as the evidence brief ``out/brief_{lang}.html`` and, beside
    it, ``out/brief_{lang}.docx``; returns the first of ``formats`` written (the HTML's path by
    default).

    Both show the same sections, tables and figures (built from one
    :class:`~lbc_eval.report.pages.Page`): the HTML self-contained (font embedded, tables that
    scroll sideways on a phone), the Word file for bureaus to edit and forward
    (:func:`lbc_eval.report.word.write_docx`). On synthetic data (``synthetic`` None:
    :func:`~lbc_eval.report.pages.ran_on_synthetic` decides) both open with the banner
    "合成数据（非真实记录）" / "Synthetic data — not real records".

    Uses ``out/notebooks/05_work_plan.ipynb`` when :func:`run` has made it in the same language,
    else executes the work-plan notebook first.
    """
    labels.check_lang(lang)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        formats_ = join(map(repr, unknown), ", ") if unknown else msg("run.no_format")
        raise LbcEvalError(msg("run.unknown_format", formats=formats_, choices=", ".join(FORMATS)))
    out = Path(out)
    executed = out / "notebooks" / WORK_PLAN
    if not executed.exists() or _param(executed, "LANG") != lang:
        run(data, out, lang=lang, seed=seed, only=[WORK_PLAN[:2]], progress=progress)
    return write_brief(executed, out, lang=lang, formats=formats, synthetic=synthetic)[0]


def write_brief(
    executed: str | Path,
    out: str | Path,
    *,
    lang: str = "zh",
    formats: Sequence[str] = FORMATS,
    synthetic: bool | None = None,
) -> list[Path]:
    """Write an executed work-plan notebook as ``out/brief_{lang}.html`` / ``.docx`` (those of
    ``formats``, in that order) without running anything; returns the paths written."""
    from lbc_eval.report.word import write_docx

    brief_page = page(executed, lang=lang, include_code=False, synthetic=synthetic)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for fmt in formats:
        target = out / f"brief_{lang}.{fmt}"
        if fmt == "html":
            target.write_text(page_html(brief_page), encoding="utf-8")
        elif fmt == "docx":
            write_docx(brief_page.body, target, title=brief_page.title, lang=lang)
        else:
            raise LbcEvalError(
                msg("run.unknown_format", formats=repr(fmt), choices=", ".join(FORMATS))
            )
        written.append(target)
    return written
