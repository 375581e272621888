"""Messages of the pilot loop that a bureau reads: Chinese first, English second."""

from __future__ import annotations

from lbc_eval.data.messages import Pair


def bilingual(zh: str, en: str) -> Pair:
    """An error message in Chinese, then English, on two lines (a ``str``); the command line
    shows the one of its ``--lang`` (:class:`lbc_eval.data.messages.Pair`)."""
    return Pair(zh, en)
