"""What ingest tells and writes: the counts, the manifest, the report, the output folder.

The output folder of :meth:`~lbc_eval.ingest.IngestResult.write` holds::

    cohort.json, panel/, schools.parquet, destinations.parquet   the cohort (Cohort.write)
    quarantine.csv    one row per problem that kept a row (or file) out of the cohort
    warnings.csv      one row per problem of a row that was kept
    report.csv        counts per file, severity, reason and column (fixes included)
    report.txt        the same, short and human-readable, with the row accounting per file
    manifest.json     inputs (SHA-256, rows read, accepted, quarantined), versions, options,
                      the key's fingerprint (never the key) and the time of the run

CSV files are UTF-8 with a byte-order mark so that Excel shows the Chinese. The same inputs and
key give the same bytes in every file except the ``run`` entry of the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from lbc_eval._version import __version__
from lbc_eval.data import codebook
from lbc_eval.data.terms import ordered_terms
from lbc_eval.ingest.problems import COLUMNS, Problems

MANIFEST = "manifest.json"
_COUNT_COLUMNS = ["file", "severity", "reason", "column", "count"]


def build_report(problems: Problems) -> pd.DataFrame:
    """Counts per file, severity, reason and column: listed problems and routine fixes."""
    rows: dict[tuple[str, str, str, str], int] = {}
    for r in problems.records:
        k = (r["file"], r["severity"], r["reason"], r["column"] or "")
        rows[k] = rows.get(k, 0) + 1
    for (file, column, code), n in problems.fixes.items():
        rows[(file, "fixed", code, column)] = n
    frame = pd.DataFrame([(*k, n) for k, n in rows.items()], columns=_COUNT_COLUMNS)
    return frame.sort_values(_COUNT_COLUMNS[:4], kind="stable").reset_index(drop=True)


def build_manifest(
    stats: list[dict[str, Any]],
    tables: dict[str, pd.DataFrame],
    frame: pd.DataFrame,
    problems: Problems,
    *,
    ignored: list[str],
    options: dict[str, Any],
    key_fingerprint: str,
    started: float,
) -> dict[str, Any]:
    """The manifest: what was read, what came of each file, and with what (module docstring)."""
    accepted = pd.concat([t["_file"] for t in tables.values()]).value_counts()
    q = frame[(frame["severity"] == "quarantine") & frame["row"].notna()]
    quarantined = q.drop_duplicates(["file", "sheet", "row"])["file"].value_counts()
    files = []
    for s in stats:
        entry = dict(s)
        entry["rows_accepted"] = int(accepted.get(s["file"], 0))
        entry["rows_quarantined"] = int(quarantined.get(s["file"], 0))
        entry["adds_up"] = (
            entry["rows_read"]
            == entry["rows_blank"] + entry["rows_accepted"] + entry["rows_quarantined"]
        )
        files.append(entry)
    panel = tables["panel"]
    by = frame.groupby(["severity", "reason"]).size()
    fixes: dict[str, int] = {}
    for (_, _, code), n in sorted(problems.fixes.items()):
        fixes[code] = fixes.get(code, 0) + n

    def total(k: str) -> int:
        return int(sum(f[k] for f in files))

    totals = {
        "files": len(files),
        "files_failed": sum(f["status"] != "read" for f in files),
        "rows_read": total("rows_read"),
        "rows_blank": total("rows_blank"),
        "rows_accepted": total("rows_accepted"),
        "rows_quarantined": total("rows_quarantined"),
        "rows_skipped": total("rows_skipped"),
        "adds_up": all(f["adds_up"] for f in files),
        "panel_rows": len(panel),
        "children": int(panel["student_id"].nunique()),
        "terms": ordered_terms(panel["term"].dropna().unique()),
        "schools_rows": len(tables["schools"]),
        "destinations_rows": len(tables["destinations"]),
        "quarantine_by_reason": _counts(by, "quarantine"),
        "quarantined_rows_by_reason": q.drop_duplicates(["file", "sheet", "row"])["reason"]
        .value_counts()
        .sort_index()
        .astype(int)
        .to_dict(),
        "warnings_by_reason": _counts(by, "warning"),
        "fixes": fixes,
    }
    opts = {k: (dict(v) if isinstance(v, dict) else v) for k, v in options.items()}
    return {
        "format": "lbc_eval ingest manifest",
        "kit_version": __version__,
        "codebook_version": codebook.CODEBOOK_VERSION,
        "key_fingerprint": key_fingerprint,
        "options": opts,
        "totals": totals,
        "files": files,
        "ignored_files": ignored,
        "run": {
            "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat(timespec="seconds"),
            "seconds": round(time.time() - started, 2),
        },
    }


def _counts(by: pd.Series, severity: str) -> dict[str, int]:
    if severity not in by.index.get_level_values(0):
        return {}
    return {str(k): int(v) for k, v in by.loc[severity].sort_index().items()}


def report_text(manifest: dict[str, Any], report: pd.DataFrame) -> str:
    """The short human-readable report."""
    t = manifest["totals"]
    terms = t["terms"]
    span = f"{terms[0]} .. {terms[-1]} ({len(terms)} terms)" if terms else "no terms"
    lines = [
        f"lbc_eval ingest report (kit {manifest['kit_version']}, codebook "
        f"{manifest['codebook_version']}, key fingerprint {manifest['key_fingerprint']})",
        "",
        f"inputs:   {t['files']} files ({t['files_failed']} not read in full), "
        f"{t['rows_read']:,} rows read",
        f"          = {t['rows_accepted']:,} accepted + {t['rows_quarantined']:,} quarantined + "
        f"{t['rows_blank']:,} blank   -> adds up: {'yes' if t['adds_up'] else 'NO'}",
        f"cohort:   panel {t['panel_rows']:,} child-terms ({t['children']:,} children, {span}); "
        f"schools {t['schools_rows']:,} school-years; destinations {t['destinations_rows']:,}",
    ]
    if t["rows_skipped"]:
        lines.append(f"skipped:  {t['rows_skipped']:,} non-blank rows in sheets without a table")
    for title, counts in (
        (
            "quarantined rows by reason (a row with several, under the first)",
            t["quarantined_rows_by_reason"],
        ),
        ("quarantine problems by reason", t["quarantine_by_reason"]),
        ("warnings by reason (rows kept)", t["warnings_by_reason"]),
        ("fixes by kind (cells)", t["fixes"]),
    ):
        if counts:
            lines += ["", f"{title}:"]
            lines += [f"  {k:<24} {v:>9,}" for k, v in counts.items()]
    files = manifest["files"]
    odd = [f for f in files if f["status"] != "read" or not f["adds_up"] or f["rows_quarantined"]]
    lines += [
        "",
        "files with quarantined rows or problems (read / accepted / quarantined / blank):",
    ]
    if not odd:
        lines.append("  none")
    for f in odd:
        lines.append(
            f"  {f['file']}: {f['rows_read']} / {f['rows_accepted']} / {f['rows_quarantined']} / "
            f"{f['rows_blank']}  {f['status']}{'' if f['adds_up'] else '  DOES NOT ADD UP'}"
        )
    lines += [
        "",
        "Every problem is in quarantine.csv (rows left out) and warnings.csv (rows kept), with",
        "file, sheet, row, cell, column and reason code; the codes are explained in",
        "docs/ingest.md. Values that could identify a child are masked.",
    ]
    return "\n".join(lines) + "\n"


def write_outputs(result: Any, out: Path, *, format: str = "parquet") -> Path:
    """Write the cohort and the ingest files into ``out`` (see the module docstring)."""
    result.cohort.write(out, format=format)
    problems = result.problems
    for name, severity in (("quarantine.csv", "quarantine"), ("warnings.csv", "warning")):
        sub = problems[problems["severity"] == severity][list(COLUMNS)]
        sub.to_csv(out / name, index=False, encoding="utf-8-sig", lineterminator="\n")
    result.report.to_csv(out / "report.csv", index=False, encoding="utf-8-sig", lineterminator="\n")
    (out / "report.txt").write_text(result.summary(), encoding="utf-8")
    text = json.dumps(result.manifest, ensure_ascii=False, indent=1, default=str)
    (out / MANIFEST).write_text(text + "\n", encoding="utf-8")
    return out
