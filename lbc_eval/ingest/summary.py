"""``report.txt``: the short human-readable report of an ingest, in Chinese or English.

:func:`report_text` writes the row accounting of the run and of each file, and the counts of
quarantined rows, problems, warnings and fixes by reason, each reason code with what it means
(:mod:`lbc_eval.data.messages`, ``reason.<code>`` and ``fix.<code>``). :func:`report_head` is
the part ``lbc-eval ingest`` prints.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from lbc_eval.data.messages import catalogue, check_lang, text


def _status(status: str, lang: str) -> str:
    """A file's status (``read``, ``failed``, ``no table``, ``duplicate of X``) in ``lang``."""
    if status.startswith("duplicate of "):
        return text("report.status_duplicate", lang, file=status.removeprefix("duplicate of "))
    code = "report.status_" + status.replace(" ", "_")
    return text(code, lang) if code in catalogue() else status


def _meaning(prefix: str, code: str, lang: str) -> str:
    key = f"{prefix}.{code}"
    return text(key, lang) if key in catalogue() else ""


def report_head(manifest: dict[str, Any], lang: str = "zh") -> list[str]:
    """The lines on the whole run: inputs, the accounting, the cohort, rows not read."""
    check_lang(lang)
    t = manifest["totals"]
    not_read = sum(f["status"] == "failed" for f in manifest["files"])
    hidden = sum(f.get("rows_hidden", 0) for f in manifest["files"])
    adds_up = t["adds_up"] and not not_read
    terms = t["terms"]
    span = (
        text("report.span", lang, first=terms[0], last=terms[-1], terms=len(terms))
        if terms
        else text("report.no_terms", lang)
    )
    yes_no = text("report.yes" if adds_up else "report.no", lang)
    lines = [
        text(
            "report.title",
            lang,
            kit=manifest["kit_version"],
            codebook=manifest["codebook_version"],
            fingerprint=manifest["key_fingerprint"],
        ),
        "",
        text(
            "report.inputs",
            lang,
            files=t["files"],
            failed=t["files_failed"],
            rows=f"{t['rows_read']:,}",
        ),
        text(
            "report.sum",
            lang,
            accepted=f"{t['rows_accepted']:,}",
            quarantined=f"{t['rows_quarantined']:,}",
            blank=f"{t['rows_blank']:,}",
            adds_up=yes_no,
        ),
        text("report.not_read", lang, files=not_read)
        + (text("report.not_read_tail", lang) if not_read else ""),
        text(
            "report.cohort",
            lang,
            panel=f"{t['panel_rows']:,}",
            children=f"{t['children']:,}",
            span=span,
            schools=f"{t['schools_rows']:,}",
            destinations=f"{t['destinations_rows']:,}",
        ),
    ]
    if t["rows_skipped"]:
        lines.append(text("report.skipped", lang, rows=f"{t['rows_skipped']:,}"))
    if hidden:
        lines.append(text("report.hidden", lang, rows=f"{hidden:,}"))
    return lines


def report_text(manifest: dict[str, Any], report: pd.DataFrame, lang: str = "zh") -> str:
    """The short human-readable report, in ``lang`` (``"zh"`` or ``"en"``).

    A file that could not be read at all (status ``failed``: empty, not a workbook, damaged,
    unknown encoding) is counted under "files not read", and the run then does NOT add up even
    though no row of it was lost: its rows were never counted. Reason codes stay as they are,
    each followed by what it means in ``lang``.
    """
    lines = report_head(manifest, lang)
    t = manifest["totals"]
    for title, counts, prefix in (
        ("report.quarantined_rows", t["quarantined_rows_by_reason"], "reason"),
        ("report.quarantine_problems", t["quarantine_by_reason"], "reason"),
        ("report.warnings", t["warnings_by_reason"], "reason"),
        ("report.fixes", t["fixes"], "fix"),
    ):
        if counts:
            lines += ["", text(title, lang)]
            lines += [
                f"  {k:<24} {v:>9,}  {_meaning(prefix, k, lang)}".rstrip()
                for k, v in counts.items()
            ]
    files = manifest["files"]
    odd = [f for f in files if f["status"] != "read" or not f["adds_up"] or f["rows_quarantined"]]
    lines += ["", text("report.files", lang)]
    if not odd:
        lines.append("  " + text("report.none", lang))
    for f in odd:
        lines.append(
            f"  {f['file']}: {f['rows_read']} / {f['rows_accepted']} / {f['rows_quarantined']} / "
            f"{f['rows_blank']}  {_status(str(f['status']), lang)}"
            + ("" if f["adds_up"] else text("report.not_adding_up", lang))
        )
    lines += ["", text("report.footer", lang)]
    return "\n".join(lines) + "\n"
