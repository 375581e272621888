"""Display labels in Chinese and English, from one place: codebook columns and the kit's own keys.

Examples
--------
>>> from lbc_eval.data import labels
>>> labels.label("talks", "zh"), labels.label("talks", "en"), labels.label("talks", "both")
('谈心次数', 'Heart-to-heart talks', '谈心次数 Heart-to-heart talks')
"""

from __future__ import annotations

from typing import Literal

from lbc_eval.data.codebook import column

Lang = Literal["zh", "en", "both"]
LANGS: tuple[str, ...] = ("zh", "en", "both")

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
        try:
            c = column(key)
        except Exception:  # noqa: BLE001 - unknown keys are shown as they are
            return key
        zh, en = c.label_zh, c.label_en
    return zh if lang == "zh" else en if lang == "en" else f"{zh} {en}"
