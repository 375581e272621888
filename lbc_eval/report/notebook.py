"""Helpers the notebooks call: load the cohort, show results and tables stably, in Chinese first.

Every table a notebook shows goes through :func:`display_table` (or :func:`show` for an
estimate): columns are named by their codebook or kit label in the notebook's language
(:mod:`lbc_eval.data.labels`: ``sdq_total`` → ``SDQ困难总分``, ``n_recipients`` → ``获助人数``),
values of categories by their labels, booleans read 是/否 (yes/no), there is no index and no
index-name header row, floats are rounded to a fixed number of digits and suppressed cells
show ``x``. The table is displayed as HTML (JupyterLab, the HTML pages and the brief) with a
plain-text form that nbval compares, so the numbers stay the contract.

Columns that count children say so in their header (``人数``, ``（人）``, ``children``:
:func:`counts_children`); the test of the executed notebooks
(``tests/report/test_notebook_outputs.py``) finds them that way and fails on any count from 1
to ``K - 1``.

``lang`` is the notebooks' ``LANG`` parameter: ``"zh"`` (default), ``"en"`` or ``"both"``.
The estimators write their notes, inference descriptions and design-check messages in English;
:func:`show` and :func:`print_diagnostics` show them in ``lang`` through the kit's catalogue
(:func:`said`, :func:`lbc_eval.data.messages.translate`).
"""

from __future__ import annotations

import html
import inspect
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from lbc_eval.data import codebook, labels, messages
from lbc_eval.data.cohort import example_cohort, read_cohort
from lbc_eval.data.resources import example_path
from lbc_eval.publish.suppression import Suppressed, suppress

#: The kit's minimum publishable count of children (the default ``k`` of
#: :func:`lbc_eval.publish.suppression.suppress`).
K: int = int(inspect.signature(suppress).parameters["k"].default)

_YES_NO = {"zh": ("是", "否"), "en": ("yes", "no"), "both": ("是 yes", "否 no")}
_CHILDREN_UNIT = {"zh": "（人）", "en": " (children)"}

#: A header that counts children: 人数 / 儿童数 / 人次 / （人）, or children, pupils,
#: recipients, "number of", a bare ``n`` or ``n_...`` ...
CHILD_COUNT = re.compile(
    r"人数|儿童数|学生数|人次|[（(]人[)）]|\bchildren\b|\bchild-terms\b|\bpupils\b|\brecipients\b"
    r"|\bnumber of\b|\bcount\b|^n$|^n_",
    re.IGNORECASE,
)
#: ... unless it is a share, a rate, a mean, a figure per something, or in 10,000s.
NOT_A_COUNT = re.compile(
    r"比例|比率|率|平均|人均|每|万人|\bshare\b|\brate\b|\bmean\b|\bper\b|10,000s|\bratio\b",
    re.IGNORECASE,
)


def counts_children(header: object) -> bool:
    """Whether a column (or row) header says that its numbers count children.

    The rule of the small-cell check: the header matches :data:`CHILD_COUNT` (``人数``,
    ``儿童数``, ``人次``, ``（人）``, ``children``, ``pupils``, ``recipients``, ``number of``,
    ``count``, ``n``, ``n_…``) and not :data:`NOT_A_COUNT` (shares, rates, means, per-child
    figures, counts in 10,000s).
    """
    text = str(header).strip()
    return bool(CHILD_COUNT.search(text)) and not NOT_A_COUNT.search(text)


def load(data: str | Path | None = None, *, columns: Sequence[str] | None = None) -> Any:
    """The cohort the notebooks analyse: ``data`` (a cohort folder) or the shipped example.

    ``columns``: read only these panel columns (and ``term``), with their codebook dtypes and
    order, as a full read gives them (an optional column the files lack is all missing): a
    notebook that needs a dozen of the panel's columns holds a province in much less memory.
    """
    import pandas as pd

    if columns is None:
        return read_cohort(Path(data)) if data else example_cohort()
    cohort = read_cohort(Path(data) if data else example_path(), columns=list(columns))
    panel = cohort.panel
    out = {}
    for c in codebook.columns("panel"):
        if c.name in panel.columns:
            s = panel[c.name]
            out[c.name] = s if s.dtype == c.dtype else s.astype(c.dtype)  # type: ignore[arg-type]
        elif c.name in columns:  # an optional column the files lack: all missing, as read whole
            blank = pd.array([pd.NA] * len(panel), dtype=c.dtype)  # type: ignore[call-overload]
            out[c.name] = pd.Series(blank, index=panel.index)
    extra = [k for k in panel.columns if k not in out]
    cohort.panel = pd.concat([pd.DataFrame(out, index=panel.index), panel[extra]], axis=1)
    return cohort


#: How :func:`progress` begins its lines, by language (``lbc-eval run`` looks for them).
PROGRESS = {"zh": "进行中：", "en": "running: "}


def progress(lang: str = "zh") -> Callable[[object], None]:
    """A ``progress`` callback for a notebook's long steps: prints ``进行中：LINE``
    (``running: LINE``) at once, so that a reader, and ``lbc-eval run`` while it waits, can
    see which step a notebook is in. The lines hold no times, so stored outputs stay the same
    from run to run. Pass it to the kit's long functions
    (:func:`lbc_eval.questions.workplan.evidence`) or call it before a step."""
    labels.check_lang(lang)

    def say(line: object) -> None:
        zh, en = messages.render(line, "zh"), messages.render(line, "en")
        print(text(lang, PROGRESS["zh"] + zh, PROGRESS["en"] + en), flush=True)

    return say


def text(lang: str, zh: str, en: str) -> str:
    """``zh`` or ``en`` by ``lang``; ``both``: the Chinese, then the English."""
    labels.check_lang(lang)
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh}\n{en}" if "\n" in zh or "\n" in en else f"{zh} / {en}"


def said(sentence: str, lang: str = "zh") -> str:
    """An estimator's English sentence (a note, a warning, a ``cov_type``, a design check's
    message) in ``lang``: Chinese from the catalogue (:func:`lbc_eval.data.messages.translate`;
    a sentence it does not know stays in English), the English as it is, or both."""
    labels.check_lang(lang)
    sentence = str(sentence)
    if lang == "en":
        return sentence
    zh = messages.translate(sentence, "zh")
    return zh if lang == "zh" or zh == sentence else text(lang, zh, sentence)


def yes_no(value: Any, lang: str = "zh") -> str:
    """是/否 (yes/no) for a boolean; blank for a missing value."""
    import pandas as pd

    labels.check_lang(lang)
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    yes, no = _YES_NO[lang]
    return yes if bool(value) else no


def describe(cohort: Any, lang: str = "zh") -> str:
    """One line on the cohort (what ``print(cohort)`` says), in ``lang``."""
    panel = cohort.panel
    kind = cohort.truth is not None
    terms = cohort.terms
    n_children = panel["student_id"].nunique()
    span_zh = f"{terms[0]} 至 {terms[-1]}" if terms else "无学期"
    span_en = f"{terms[0]}..{terms[-1]}" if terms else "no terms"
    zh = (
        f"{'合成数据' if kind else '真实数据'}：{n_children:,} 名儿童，{len(panel):,} 个儿童学期"
        f"（{span_zh}），{len(cohort.schools):,} 个学校学年，{len(cohort.destinations)} 个务工地。"
    )
    en = (
        f"{'Synthetic' if kind else 'Real'} cohort: {n_children:,} children, {len(panel):,} "
        f"child-terms ({span_en}), {len(cohort.schools):,} school-years, "
        f"{len(cohort.destinations)} destinations."
    )
    return text(lang, zh, en)


def _number(v: float, digits: int) -> str:
    out = f"{v:.{digits}f}"
    return out[1:] if re.fullmatch(r"-0\.?0*", out) else out


def rounded(frame: Any, *, digits: int = 3) -> Any:
    """A copy of ``frame`` with numbers as strings: floats rounded to ``digits``, missing
    values blank, so that printed and displayed tables are the same on every machine."""
    import pandas as pd

    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s):
            out[c] = s.map(lambda v: "" if pd.isna(v) else _number(v, digits))
        else:
            out[c] = s.astype(object).where(s.notna(), "").map(str)
    return out


def _is_boolean(s: Any) -> bool:
    import numpy as np
    import pandas as pd

    if pd.api.types.is_bool_dtype(s):
        return True
    if s.dtype != object:
        return False
    values = s.dropna()
    return len(values) > 0 and all(isinstance(v, (bool, np.bool_)) for v in values)


def _mask_of(frame: Any) -> Any:
    """Where an audit frame's cells were suppressed (its ``attrs["suppression"]`` record)."""
    import pandas as pd

    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    record = frame.attrs.get("suppression")
    if isinstance(record, pd.DataFrame) and not record.empty:
        for row, col in zip(record["row"], record["column"], strict=True):
            if row in mask.index and col in mask.columns:
                mask.loc[row, col] = True
    return mask


def header(
    key: Any, lang: str = "zh", *, children: bool = False, levels: str | None = None
) -> str:
    """The displayed header of a column: its codebook or kit label, or (``levels``) the label of
    a category level of that codebook column; a column counting children says so."""
    if lang == "both":
        zh, en = (header(key, x, children=children, levels=levels) for x in ("zh", "en"))
        return f"{zh} {en}"
    key_text = str(key)
    if levels is not None and labels.value_label(levels, key_text, "zh") != key_text:
        out = labels.value_label(levels, key_text, lang)
    else:
        out = labels.label(key_text, lang)
    if children and not counts_children(out):
        out += _CHILDREN_UNIT[lang]
    return out


def labelled(
    frame: Any,
    lang: str = "zh",
    *,
    digits: int = 3,
    children: Iterable[Any] = (),
    levels: str | None = None,
    mark: str = "x",
) -> Any:
    """``frame`` ready to show: strings, labelled headers and values, 是/否, no index.

    Parameters
    ----------
    frame : DataFrame or Suppressed
        A table. The suppressed cells of an audit frame (``attrs["suppression"]``) or of a
        :class:`~lbc_eval.publish.suppression.Suppressed` table show ``mark``. A named index
        becomes the first column(s), an unnamed one is dropped; the columns' name is dropped.
    lang : {"zh", "en", "both"}
    digits : int
        Floats are rounded to this many decimals.
    children : iterable
        Columns that count children and whose label does not say so (the header gets
        ``（人）`` / ``(children)``). For a ``Suppressed`` table, every column of its table.
    levels : str, optional
        A codebook category column whose levels are the frame's columns (a cross-tabulation
        of ``lb_status`` or ``exit_reason``): they are headed by the levels' labels.
    """
    import pandas as pd

    labels.check_lang(lang)
    if isinstance(frame, Suppressed):
        children = [*frame.table.columns, *children]
        table, mask = frame.table.copy(), frame.mask.copy()
    else:
        table, mask = frame.copy(), _mask_of(frame)
    children = {str(c) for c in children}
    if any(n is not None for n in table.index.names):
        names = [n if n is not None else f"level_{i}" for i, n in enumerate(table.index.names)]
        table.index.names = names
        mask.index.names = names
        table = table.reset_index()
        mask = mask.reset_index()
        for n in names:
            mask[n] = False
    else:
        table = table.reset_index(drop=True)
        mask = mask.reset_index(drop=True)
    table.columns.name = None
    out = pd.DataFrame(index=table.index)
    for c in table.columns:
        s = table[c]
        if _is_boolean(s):
            col = s.astype(object).map(lambda v: yes_no(v, lang))
        elif pd.api.types.is_float_dtype(s):
            col = s.map(lambda v: "" if pd.isna(v) else _number(v, digits))
        elif pd.api.types.is_numeric_dtype(s):
            col = s.astype(object).map(lambda v: "" if pd.isna(v) else str(v))
        else:
            col = s.astype(object).map(
                lambda v, c=c: "" if v is None or v is pd.NA or v != v
                else labels.value_label(str(c), v, lang)
            )
        out[c] = col.where(~mask[c].astype(bool), mark)
    out.columns = [
        header(c, lang, children=str(c) in children, levels=levels) for c in table.columns
    ]
    return out


def suppression_note(result: Suppressed | Any, lang: str = "zh") -> str:
    """One sentence under a suppressed table: how many of its cells are hidden and why (never
    a value). For an audit frame, only the cells of the rows and columns it still has."""
    import pandas as pd

    if isinstance(result, Suppressed):
        record, k = result.record, result.k
    else:
        record = result.attrs.get("suppression", pd.DataFrame(columns=["row", "column", "reason"]))
        record = record[record["row"].isin(result.index) & record["column"].isin(result.columns)]
        k = K
    primary = int((record["reason"] == "primary").sum())
    other = int((record["reason"] != "primary").sum())
    if primary + other == 0:
        return text(
            lang, f"没有少于 {k} 名儿童的单元格。", f"No cell counts fewer than {k} children."
        )
    details = record["detail"] if "detail" in record else pd.Series(dtype=str)
    all_but = bool(details.astype(str).str.contains("all but").any())
    zh_but = f"或只差不到 {k} 名即为全部" if all_but else ""
    en_but = f", or all but fewer than {k}," if all_but else ""
    return text(
        lang,
        f"x：已隐藏（{primary} 个单元格少于 {k} 名儿童{zh_but}，"
        f"另有 {other} 个单元格一并隐藏，以免从合计中推算出来）。",
        f"x: suppressed ({primary} cell(s) counting fewer than {k} children{en_but} and "
        f"{other} more so that they cannot be recovered from totals).",
    )


def _plain(table: Any) -> str:
    import pandas as pd

    with pd.option_context(
        "display.unicode.east_asian_width", True, "display.max_colwidth", None,
        "display.width", 250, "display.max_rows", None, "display.max_columns", None,
    ):  # fmt: skip
        return table.to_string(index=False)


def table_html(table: Any, *, caption: str | None = None, note: str | None = None) -> str:
    """The HTML of a labelled table (no index; an optional caption and note)."""
    markup = table.to_html(index=False, border=0, classes="lbc-table", escape=True)
    if caption:
        markup = markup.replace(">", f">\n  <caption>{html.escape(caption)}</caption>", 1)
    if note:
        markup += f'\n<p class="note">{html.escape(note)}</p>'
    return markup


def display_table(
    frame: Any,
    lang: str = "zh",
    *,
    digits: int = 3,
    children: Iterable[Any] = (),
    levels: str | None = None,
    caption: str | None = None,
    note: str | None = None,
) -> None:
    """Display a table the way every notebook shows one (see :func:`labelled`).

    An HTML table (JupyterLab, the HTML pages, the brief) with a plain-text form that nbval
    compares: no index, labelled headers in ``lang``, 是/否, rounded floats, ``x`` for
    suppressed cells and, for a suppressed table, a note saying how many cells are hidden.
    """
    from IPython.display import display

    table = labelled(frame, lang, digits=digits, children=children, levels=levels)
    suppressed = isinstance(frame, Suppressed) or bool(_mask_of(frame).to_numpy().any())
    if note is None and suppressed:
        note = suppression_note(frame, lang)
    plain = _plain(table)
    if caption:
        plain = f"{caption}\n{plain}"
    if note:
        plain = f"{plain}\n{note}"
    display({"text/html": table_html(table, caption=caption, note=note), "text/plain": plain},
            raw=True)  # fmt: skip


def print_table(
    frame: Any, *, digits: int = 3, index: bool = False, lang: str | None = None
) -> None:
    """Print a data frame with floats rounded to ``digits`` (stable notebook output); with
    ``lang``, labelled as :func:`display_table` labels it."""
    if lang is None:
        print(rounded(frame, digits=digits).to_string(index=index))
    else:
        print(_plain(labelled(frame, lang, digits=digits)))


def show(
    result: Any,
    *,
    truth: Any = None,
    digits: int = 3,
    columns: Sequence[str] | None = None,
    title: str | None = None,
    lang: str = "zh",
) -> None:
    """Show a result's tidy table, rounded (stable across machines), with the truth if given:
    a heading (estimator, outcome, observations, clusters, inference), the table labelled in
    ``lang`` and the result's notes."""
    table = result.vs_truth(truth) if truth is not None and result.truth_lookup else result.tidy()
    keys = [c for c in ("group", "time", "event_time") if c in table.columns]
    cols = (
        list(columns)
        if columns
        else ["term", *keys, "estimate", "std_error", "conf_low", "conf_high", "p_value"]
    )
    if "truth" in table.columns and not columns:
        cols += ["truth", "covered"]
    table = table[[c for c in cols if c in table.columns]].rename(columns={"term": "estimate_term"})
    outcome = labels.label(result.outcome, lang)
    estimator = labels.value_label("estimator", result.estimator, lang)
    head = title or text(lang, f"{estimator}：{outcome}", f"{estimator}: {outcome}")
    n_clusters = result.n_clusters
    zh_clusters = f"，{n_clusters:,} 个聚类" if n_clusters is not None else ""
    en_clusters = f", {n_clusters:,} clusters" if n_clusters is not None else ""
    print(head)
    cov_zh = messages.translate(str(result.cov_type), "zh")
    print(
        text(
            lang,
            f"（{result.nobs:,} 个观测{zh_clusters}；{cov_zh}）",
            f"({result.nobs:,} obs{en_clusters}; {result.cov_type})",
        )
    )
    display_table(table, lang, digits=digits)
    prefix = text(lang, "注：", "note: ").replace("\n", " ")
    for note in (*result.notes, *result.warnings):
        print(f"{prefix}{said(note, lang)}")


def print_diagnostics(result: Any, *, digits: int = 3, lang: str = "zh") -> None:
    """Print a result's design checks: each check, its statistic and p-value, whether it
    passed, and its message (computed from the numbers, so it reads right either way)."""
    import pandas as pd

    d = result.diagnostics
    name = (
        f"{labels.value_label('estimator', result.estimator, 'zh')}："
        f"{labels.label(result.outcome, 'zh')}"
    )
    if d.empty:
        print(text(lang, f"设计检验（{name}）：此估计方法没有设计检验", "design checks: none "
                         "for this estimator"))  # fmt: skip
        return
    en = f"design checks ({result.estimator}: {result.outcome})"
    print(text(lang, f"设计检验（{name}）", en))
    for row in d.itertuples(index=False):
        if pd.isna(row.passed):
            verdict = text(lang, "仅供参考", "informs")
        else:
            verdict = text(lang, "通过", "passed") if row.passed else text(lang, "未通过", "FAILED")
        check = labels.value_label("check", row.check, lang)
        if lang == "en":
            stat = "" if pd.isna(row.statistic) else f"statistic {row.statistic:.{digits}f}"
            p = "" if pd.isna(row.p_value) else f", p = {row.p_value:.{digits}f}"
            print(f"- {check}: {verdict}; {stat}{p}. {row.message}")
        else:
            stat = "" if pd.isna(row.statistic) else f"统计量 {row.statistic:.{digits}f}"
            p = "" if pd.isna(row.p_value) else f"，p = {row.p_value:.{digits}f}"
            message = said(row.message, lang)
            end = "。" if lang == "zh" and messages.has_cjk(message) and message[-1] != "。" else ""
            print(f"- {check}：{verdict}；{stat}{p}。{message}{end}")
