"""Messages of the pilot loop that a bureau reads: Chinese first, English second."""

from __future__ import annotations


def bilingual(zh: str, en: str) -> str:
    """An error message in Chinese, then English, on two lines."""
    return f"{zh}\n{en}"
