"""Messages a person reads, Chinese first and English second, from one catalogue.

Every message has a stable code and its text in both languages side by side: a
:meth:`str.format` template in Chinese and one in English with the same named fields. The
codes are grouped by who writes them:

``reason.*``, ``fix.*``
    what each reason code of ingest means, and each routine fix it counts
    (:mod:`lbc_eval.data.messages_ingest`);
``ingest.*``
    the messages of the quarantine and the warnings (:mod:`lbc_eval.data.messages_ingest`);
``key.*``, ``output.*``, ``template.*``, ``report.*``
    ingest's errors about the key and the output folder, the survey template's options, and
    ``report.txt`` (:mod:`lbc_eval.data.messages_output`);
``run.*``, ``scan.*``
    running the notebooks and the brief (progress, errors), and the output scanner's lines
    (:mod:`lbc_eval.data.messages_report`);
``cli.*``
    what ``lbc-eval`` prints, and argparse's usage errors in Chinese
    (:mod:`lbc_eval.data.messages_cli`);
``help.*``
    the ``--help`` of ``lbc-eval`` (:mod:`lbc_eval.data.messages_help`);
``note.*``
    the notes, inference descriptions and design-check messages the estimators write in
    English (:mod:`lbc_eval.data.messages_notes`): :func:`translate` reads such a sentence
    back into its code and fields and writes it in Chinese.

A message is made where the problem is found and written in a language where it is shown:
:func:`msg` gives a :class:`Text` (code and fields), ``Text.render(lang)`` the sentence;
``str(text)`` is the Chinese. A field may itself be a :class:`Text`, a :class:`Bi` (a value
that reads differently by language, such as a column's label) or a :class:`Joined` list. A
field written ``{name:label}`` is a codebook column, shown by its label in the language
(``school_id`` → 学校代码), ``{name:unit}`` one shown by what its levels are (``school_id`` →
学校: 按学校聚类); ``{name:labels}`` and ``{name:units}`` are lists of columns (``a or b``).

Examples
--------
>>> from lbc_eval.data import messages
>>> messages.text("reason.duplicate_row", "zh")
'与前面某一行完全相同（保留前一行）'
>>> messages.text("reason.duplicate_row", "en")
'an exact copy of an earlier row (the first is kept)'
>>> messages.translate("curve band: pointwise CRV1 intervals", "zh")
'曲线置信带：逐点 CRV1 区间'
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from lbc_eval.errors import SpecError

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

#: A Chinese (CJK unified) character: a message in Chinese has at least one.
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def check_lang(lang: str) -> Lang:
    """``lang`` if it is ``"zh"`` or ``"en"``; :class:`~lbc_eval.errors.SpecError` otherwise."""
    if lang not in LANGS:
        raise SpecError("lang", f"{lang!r} is not one of {', '.join(LANGS)} (中文 zh, English en)")
    return lang  # type: ignore[return-value]


def has_cjk(text: str) -> bool:
    """True when ``text`` holds a Chinese character."""
    return bool(CJK.search(text))


# --- the catalogue --------------------------------------------------------------------------------


@functools.cache
def catalogue() -> dict[str, tuple[str, str]]:
    """Every message: code -> (Chinese template, English template)."""
    from lbc_eval.data import (
        messages_cli,
        messages_help,
        messages_ingest,
        messages_notes,
        messages_output,
        messages_report,
    )

    out: dict[str, tuple[str, str]] = {}
    for prefix, table in (
        ("reason.", messages_ingest.REASONS),
        ("fix.", messages_ingest.FIXES),
        ("", messages_ingest.MESSAGES),
        ("", messages_output.MESSAGES),
        ("", messages_report.MESSAGES),
        ("", messages_cli.MESSAGES),
        ("", messages_help.MESSAGES),
        ("note.", messages_notes.NOTES),
    ):
        for code, pair in table.items():
            key = prefix + code
            if key in out:
                raise KeyError(f"message {key!r} is defined twice")
            out[key] = pair
    return out


def template(code: str, lang: str = "zh") -> str:
    """The template of message ``code`` in ``lang``.

    Raises
    ------
    KeyError
        If the catalogue has no message ``code``.
    """
    zh, en = catalogue()[code]
    return zh if check_lang(lang) == "zh" else en


# --- messages not yet written in a language -------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A message of the catalogue and its fields, written in a language only when shown.

    ``str(text)`` is the Chinese (Chinese first); :meth:`render` gives either language.
    """

    code: str
    params: tuple[tuple[str, Any], ...] = ()

    def render(self, lang: str = "zh") -> str:
        """The message in ``lang`` with its fields filled in."""
        return _Formatter(check_lang(lang)).vformat(template(self.code, lang), (), self.fields)

    @property
    def fields(self) -> dict[str, Any]:
        """The fields, as a dict."""
        return dict(self.params)

    def __str__(self) -> str:
        return self.render("zh")


@dataclass(frozen=True)
class Bi:
    """A value that reads differently by language (a column's label, a yes or no)."""

    zh: str
    en: str

    def render(self, lang: str = "zh") -> str:
        return self.zh if check_lang(lang) == "zh" else self.en

    def __str__(self) -> str:
        return self.zh


class Pair(str):
    """A message written in both languages at once: as a ``str`` the Chinese, then the English,
    on two lines (what a library user sees); :meth:`render` gives one of them (what the
    command line shows in its ``--lang``)."""

    zh: str
    en: str

    def __new__(cls, zh: str, en: str) -> Pair:
        obj = super().__new__(cls, f"{zh}\n{en}")
        obj.zh, obj.en = zh, en
        return obj

    def __reduce__(self) -> tuple[Any, tuple[str, str]]:
        return (Pair, (self.zh, self.en))

    def render(self, lang: str = "zh") -> str:
        return self.zh if check_lang(lang) == "zh" else self.en


@dataclass(frozen=True)
class Joined:
    """Parts (texts, values) joined by ``sep`` (a :class:`Bi` for 、 and ``, ``)."""

    parts: tuple[Any, ...]
    sep: Any = ""

    def render(self, lang: str = "zh") -> str:
        return render(self.sep, lang).join(render(p, lang) for p in self.parts)

    def __str__(self) -> str:
        return self.render("zh")


def msg(code: str, **params: Any) -> Text:
    """The message ``code`` with its fields, to be written later (:class:`Text`)."""
    if code not in catalogue():
        raise KeyError(f"no message {code!r} in the catalogue (lbc_eval.data.messages)")
    return Text(code, tuple(params.items()))


def text(code: str, lang: str = "zh", /, **params: Any) -> str:
    """The message ``code`` in ``lang`` with ``params`` filled in."""
    return msg(code, **params).render(lang)


def join(parts: Iterable[Any], sep: Any = "") -> Joined:
    """``parts`` joined by ``sep`` in the language they are shown in (:class:`Joined`)."""
    return Joined(tuple(parts), sep)


#: Separators of lists, by language.
OR = Bi("或", " or ")
COMMA = Bi("、", ", ")
SEMICOLON = Bi("；", "; ")


def render(value: Any, lang: str = "zh") -> str:
    """``value`` as shown in ``lang``: a :class:`Text`, :class:`Bi` or :class:`Joined` in
    that language, anything else as ``str``."""
    if isinstance(value, Text | Bi | Joined | Pair):
        return value.render(lang)
    return str(value)


# --- writing fields -------------------------------------------------------------------------------

_LIST_SEP = re.compile(r"( or | and |, | \+ )")
_SEP_ZH = {" or ": "或", " and ": "和", ", ": "、", " + ": " + "}
_NAMED = re.compile(r"([a-z][a-z_]*)(\[t[+-]\d+\])?(\s.*)?", re.S)
#: What one level of a column is, for fields written ``{name:unit}`` (a cluster, a fixed
#: effect): 按学校聚类 rather than 按学校代码聚类.
UNITS: dict[str, tuple[str, str]] = {
    "student_id": ("儿童", "child"),
    "school_id": ("学校", "school"),
    "class_id": ("班级", "class"),
    "destination_id": ("务工地", "destination"),
    "township": ("乡镇", "township"),
    "term": ("学期", "term"),
    "year": ("年份", "year"),
}


def _name_label(text: str, lang: str, spec: str) -> str:
    """A column name (perhaps with ``[t+1]`` and a count after it) by its label."""
    from lbc_eval.data import labels

    m = _NAMED.fullmatch(text.strip())
    if m is None:
        return text
    name, lag, rest = m.group(1), m.group(2) or "", m.group(3) or ""
    if spec == "unit" and name in UNITS:
        shown = UNITS[name][0 if lang == "zh" else 1]
    else:
        shown = labels.label(name, lang)
    return shown + lag + rest


class _Formatter(string.Formatter):
    """``str.format`` with the kit's fields: texts in the language; ``:label`` and ``:unit``
    (a column by its label, or by what one of its levels is), ``:labels`` and ``:units`` (a
    list of columns joined by ``or``, ``and``, ``,`` or ``+``)."""

    def __init__(self, lang: str) -> None:
        super().__init__()
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, Text | Bi | Joined):
            value = value.render(self.lang)
        if format_spec in ("label", "unit"):
            return _name_label(str(value), self.lang, format_spec)
        if format_spec in ("labels", "units"):
            spec = format_spec[:-1]
            parts = _LIST_SEP.split(str(value))
            return "".join(
                (_SEP_ZH[p] if self.lang == "zh" else p)
                if i % 2
                else _name_label(p, self.lang, spec)
                for i, p in enumerate(parts)
            )
        return super().format_field(value, format_spec)


# --- English sentences of the estimators, read back -----------------------------------------------


def template_pattern(en: str) -> tuple[re.Pattern[str], int]:
    """An English template as a pattern that reads its fields back (a field written twice must
    match the same text both times), and how many characters of literal text it has."""
    parts, seen, literal = [], set(), 0
    for text_, field, _spec, _conv in string.Formatter().parse(en):
        parts.append(re.escape(text_))
        literal += len(text_)
        if field is None:
            continue
        parts.append(f"(?P={field})" if field in seen else f"(?P<{field}>.+?)")
        seen.add(field)
    return re.compile("".join(parts), re.S), literal


@functools.cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The notes' English templates as patterns, the most specific (most literal text) first."""
    from lbc_eval.data import messages_notes

    found = []
    for code, (_, en) in messages_notes.NOTES.items():
        pattern, literal = template_pattern(en)
        found.append((literal, "note." + code, pattern))
    found.sort(key=lambda t: -t[0])
    return tuple((code, pattern) for _, code, pattern in found)


def parse(sentence: str) -> tuple[str, dict[str, str]] | None:
    """The code and fields of an English sentence an estimator writes (a note, an inference
    description, a design check's message), or None when the catalogue has no such sentence."""
    for code, pattern in _patterns():
        m = pattern.fullmatch(sentence)
        if m is not None:
            return code, m.groupdict()
    return None


def translate(sentence: str, lang: str = "zh") -> str:
    """An estimator's English ``sentence`` in ``lang``.

    The sentence is read back into its code and fields (:func:`parse`); fields that are such
    sentences themselves are translated too. A sentence the catalogue does not know, and every
    sentence in English, comes back as it is.
    """
    if check_lang(lang) == "en" or has_cjk(sentence):
        return sentence
    found = parse(sentence)
    if found is None:
        return sentence
    code, fields = found
    return text(code, lang, **{k: translate(v, lang) for k, v in fields.items()})


def untranslated(sentences: Iterable[str]) -> list[str]:
    """The sentences :func:`translate` leaves in English (for tests and checks)."""
    return [s for s in sentences if not has_cjk(translate(s, "zh"))]


def fields_of(code: str) -> dict[str, set[str]]:
    """The named fields of message ``code`` in each language: ``{"zh": ..., "en": ...}``."""
    zh, en = catalogue()[code]
    return {
        lang: {f for _, f, _, _ in string.Formatter().parse(t) if f}
        for lang, t in (("zh", zh), ("en", en))
    }
