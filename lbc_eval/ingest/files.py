"""One input file, from bytes to validated parts, with its row accounting.

:func:`read_file` reads a file (:mod:`~lbc_eval.ingest.read`), finds its tables
(:mod:`~lbc_eval.ingest.header`), records file-level problems (unreadable, no header, unknown
columns, footer rows, a file seen before), settles each survey's school and term, validates the
tables (:mod:`~lbc_eval.ingest.validate`), and returns the file's entry of the manifest with
``rows_read`` (every row from the header down to the last value, or every row when no header
is found) and ``rows_blank``.

The school of a survey without a 学校 column comes from, in order: ``school=`` in the call
(one id, or a mapping from file to id); the file name ``{school}_{term}_….xlsx`` (the part
before the first ``_`` when a term such as ``2024-1`` follows); a title row ``填报单位：X``
(``S01学校`` gives ``S01`` when the rest is a code of letters and digits). The term likewise:
``term=``, the file name, a term named anywhere in the file name or a title row
(``2024-2025学年第一学期``). A 学校 or 学期 cell, where filled in, takes precedence.

Hidden sheets are not read into the cohort (a hidden sheet is most often a copy, a scratch sheet
or the lists of a form's drop-downs), but none passes unseen: a hidden sheet that holds a table
gets the warning ``sheet_hidden`` (with the number of its data rows), one without a table the
warning ``sheet_skipped``, and their non-blank rows are counted in ``rows_hidden`` (apart from
``rows_read``, like ``rows_skipped``). Unhide a sheet in Excel to have it read.

A file that cannot be read at all (``file_empty``, ``file_type``, ``file_unreadable``,
``encoding_unknown``) has ``status`` ``"failed"`` and no rows: the report counts it among the
files not read and says the run does not add up.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lbc_eval.data.messages import Bi, msg
from lbc_eval.ingest.form import tables_in
from lbc_eval.ingest.header import used_rows
from lbc_eval.ingest.messages import KIND_TABLE, column_name
from lbc_eval.ingest.problems import Problems, looks_identifying
from lbc_eval.ingest.read import Source
from lbc_eval.ingest.terms import find_term
from lbc_eval.ingest.validate import Options, validate_table
from lbc_eval.ingest.values import is_blank

_FILE_PATTERN = re.compile(r"^(?P<school>[^_\s]+)_(?P<term>\d{4}-[12])(?:_|$)")
_FILLED_BY = re.compile(r"填报单位\s*[:：]\s*(\S+)")


def read_file(
    src: Source,
    seen: dict[str, str],
    problems: Problems,
    opts: Options,
    parts: list[Any],
    school: Any,
    term: Any,
) -> dict[str, Any]:
    stat: dict[str, Any] = {
        "file": src.name,
        "sha256": src.sha256,
        "bytes": src.size,
        "format": src.format,
        "encoding": src.encoding,
        "sheets": [s.name for s in src.sheets if s.name is not None],
        "hidden_sheets": src.hidden_sheets,
        "tables": [],
        "status": "read",
        "rows_read": 0,
        "rows_blank": 0,
        "rows_skipped": 0,
        "rows_hidden": 0,
    }
    if src.failure is not None:
        problems.add(src.failure.reason, src.failure.text, file=src.name)
        stat["status"] = "failed"
        return stat
    duplicate_of = seen.get(src.sha256)
    seen.setdefault(src.sha256, src.name)
    _hidden_sheets(src, stat, problems)
    found = [(sheet, tables_in(sheet)) for sheet in src.sheets]
    if not any(tables for _, tables in found):
        _no_table(src, stat, problems)
        return stat
    for sheet, tables in found:
        if not tables:
            k = sum(1 for r in sheet.rows if not all(is_blank(c) for c in r))
            stat["rows_skipped"] += k
            problems.add(
                "sheet_skipped",
                msg("ingest.sheet_skipped", rows=k),
                file=src.name,
                sheet=sheet.name,
            )
            continue
        for table in tables:
            stat["rows_read"] += (
                len(table.data) + len(table.blank) + len(table.footer) + len(table.repeated)
            )
            stat["rows_blank"] += len(table.blank)
            stat["tables"].append(_describe(table))
            _table_problems(table, src.name, problems)
            if duplicate_of is not None:
                for r, _ in table.data:
                    problems.add(
                        "duplicate_file",
                        msg("ingest.duplicate_file", file=duplicate_of),
                        file=src.name,
                        sheet=table.sheet,
                        row=r,
                    )
                continue
            defaults = _defaults(src, table, school, term) if table.kind == "survey" else {}
            parts.append(validate_table(table, src.name, problems, opts, **defaults))
    if duplicate_of is not None:
        stat["status"] = f"duplicate of {duplicate_of}"
    return stat


def _no_table(src: Source, stat: dict[str, Any], problems: Problems) -> None:
    """A file without a table: every non-blank row read is quarantined (``header_not_found``)."""
    stat["status"] = "no table"
    for sheet in src.sheets:
        for i, row in enumerate(sheet.rows[: used_rows(sheet.rows)]):
            if all(is_blank(c) for c in row):
                stat["rows_blank"] += 1
            else:
                problems.add(
                    "header_not_found",
                    msg("ingest.header_not_found"),
                    file=src.name,
                    sheet=sheet.name,
                    row=i + 1,
                )
            stat["rows_read"] += 1


def _hidden_sheets(src: Source, stat: dict[str, Any], problems: Problems) -> None:
    """Report every hidden sheet and count its non-blank rows as hidden (module docstring)."""
    for sheet in src.hidden:
        k = sum(1 for r in sheet.rows if not all(is_blank(c) for c in r))
        stat["rows_hidden"] += k
        tables = tables_in(sheet)
        if tables:
            n = len(tables[0].data)
            problems.add(
                "sheet_hidden",
                msg("ingest.sheet_hidden", rows=n),
                file=src.name,
                sheet=sheet.name,
            )
        else:
            problems.add(
                "sheet_skipped",
                msg("ingest.hidden_sheet_skipped", rows=k),
                file=src.name,
                sheet=sheet.name,
            )


def _table_problems(table: Any, file: str, problems: Problems) -> None:
    for cell, header in table.unknown:
        shown = "<masked>" if looks_identifying(header) else header
        problems.add(
            "unknown_column",
            msg("ingest.unknown_column"),
            file=file,
            sheet=table.sheet,
            cell=cell,
            header=shown,
        )
    for cell, header, name in table.duplicates:
        problems.add(
            "duplicate_column",
            msg("ingest.duplicate_column", name=_named(name, table.kind)),
            file=file,
            sheet=table.sheet,
            cell=cell,
            column=name,
            header=header,
        )
    for r in table.footer:
        problems.add(
            "footer_row",
            msg("ingest.footer_row"),
            file=file,
            sheet=table.sheet,
            row=r,
        )
    for r in table.repeated:
        problems.add(
            "repeated_header",
            msg("ingest.repeated_header"),
            file=file,
            sheet=table.sheet,
            row=r,
        )


def _named(name: str, kind: str) -> Bi:
    return column_name(name, KIND_TABLE.get(kind, "panel"))


def _describe(table: Any) -> dict[str, Any]:
    return {
        "sheet": table.sheet,
        "kind": table.kind,
        "header_rows": list(table.header_rows),
        "data_rows": len(table.data),
        "columns": table.headers,
        "unknown_columns": ["<masked>" if looks_identifying(h) else h for _, h in table.unknown],
    }


def _lookup(option: Any, src: Source) -> str | None:
    if option is None or isinstance(option, str):
        return option
    for k in (src.name, src.path.name, str(src.path), str(src.path.resolve())):
        if k in option:
            return str(option[k])
    resolved = src.path.resolve()
    for k, v in option.items():
        if Path(k).resolve() == resolved:
            return str(v)
    return None


def _defaults(src: Source, table: Any, school: Any, term: Any) -> dict[str, str | None]:
    """The survey's school and term from the call, the file name or the title rows."""
    stem = src.path.stem
    m = _FILE_PATTERN.match(stem)
    found_school = _lookup(school, src) or (m.group("school") if m else None)
    if found_school is None:
        for title in table.titles:
            t = _FILLED_BY.search(title)
            if t:
                name = t.group(1)
                code = name[:-2] if name.endswith("学校") else name
                found_school = code if re.fullmatch(r"[A-Za-z0-9\-]+", code) else name
                break
    found_term = _lookup(term, src) or (m.group("term") if m else None) or find_term(stem)
    if found_term is None:
        found_term = next((t for t in map(find_term, table.titles) if t), None)
    return {"school": found_school, "term": found_term}
