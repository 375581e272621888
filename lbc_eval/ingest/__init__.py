"""Real records in: school workbooks -> pseudonymised cohort tables, a quarantine and a manifest.

:func:`ingest` reads the files schools hand in (one survey per school and term, as xlsx, xls
or CSV) and the bureau's tables (training records -> ``schools``, work destinations ->
``destinations``), and returns an :class:`IngestResult`: the :class:`~lbc_eval.Cohort`, every
problem found (with file, sheet, row, cell, column, a stable reason code and a message, values
masked where they could identify a child), the counts per file and reason, and a manifest.
Every input row ends in the cohort or in the quarantine, and the counts say so per file.

The stages, one module each:

``read``
    files, formats (by their first bytes), encodings, sheets, merged cells;
``header``
    the header row under the title rows, the kind of table, data / blank / footer rows;
``form``
    the national registration form 《农村留守儿童基本情况登记表》: label cells, ticked answers,
    one child per sheet or block -> one survey row each;
``files``
    one file from bytes to validated parts, its school and term, its row accounting;
``values``, ``terms``
    cells as schools write them -> codebook values (numbers, labels; grades, terms, dates);
``identity``
    student numbers and resident IDs -> keyed pseudonyms (and sex, birth year); 学号, a class
    roll number, is never one;
``validate``, ``messages``
    every rule, every problem collected in one pass, and what the messages say;
``link``
    terms stacked into one panel, the bureau's tables joined, duplicates settled;
``problems``
    the reason codes (table there and in ``docs/ingest.md``) and masking;
``keys``
    the key file, its strength and permissions, the refusal to write inside a git working tree
    or over a cohort made with another key;
``output``, ``summary``
    the report, the manifest and the files written by :meth:`IngestResult.write`;
    ``report.txt`` in words;
``template``
    the Excel survey form schools should fill in.

The package itself is callable: ``lbc_eval.ingest(paths, key=...)`` is :func:`ingest`.

Messages (of the quarantine, the warnings, ``report.txt`` and the errors) are in Chinese by
default and in English with ``lang="en"``; reason codes, columns and file names stay as they
are. The words are in the kit's catalogue, :mod:`lbc_eval.data.messages`.

Examples
--------
>>> import tempfile, lbc_eval
>>> from lbc_eval.data.ids import synthetic_key
>>> c = lbc_eval.simulate(lbc_eval.SynthSpec.preset("small", seed=3, n_children=200))
>>> folder = tempfile.mkdtemp()
>>> from lbc_eval.synth.export import export_school_files
>>> _ = export_school_files(c, folder, seed=3)
>>> result = ingest(folder, key=synthetic_key(3))
>>> result.adds_up
True
"""

from __future__ import annotations

import logging
import os
import sys
import time
import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lbc_eval.data.messages import check_lang, msg, text
from lbc_eval.errors import IngestError, SpecError
from lbc_eval.ingest.files import _lookup, read_file
from lbc_eval.ingest.header import HEADER_SEARCH_ROWS
from lbc_eval.ingest.identity import flag_roll_numbers, map_student_no
from lbc_eval.ingest.keys import (
    KEY_ENV,
    check_output,
    check_same_key,
    create_key,
    fingerprint,
    load_key,
)
from lbc_eval.ingest.link import link
from lbc_eval.ingest.output import build_manifest, build_report, write_outputs
from lbc_eval.ingest.problems import REASONS, Problems
from lbc_eval.ingest.read import ENGINES, Engine, display_names, find_inputs, read_source
from lbc_eval.ingest.summary import report_text
from lbc_eval.ingest.validate import OnInvalid, Options

__all__ = [
    "KEY_ENV",
    "REASONS",
    "IngestResult",
    "create_key",
    "ingest",
    "load_key",
    "write_template",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """What :func:`ingest` returns.

    Attributes
    ----------
    cohort : Cohort
        ``panel``, ``schools`` and ``destinations`` in codebook form (no truth, no roster).
    problems : DataFrame
        Every listed problem: ``file, sheet, row, cell, column, header, value, reason,
        severity, message`` (``value`` masked where it could identify a child; ``message`` in
        ``lang``). File-level problems have no row.
    report : DataFrame
        Counts per ``file, severity, reason, column`` (fixes included).
    manifest : dict
        Inputs (SHA-256, rows read, accepted, quarantined), versions, options, key
        fingerprint and time (see :func:`lbc_eval.ingest.output.build_manifest`).
    lang : {"zh", "en"}
        The language of the messages, of :meth:`summary` and of the files :meth:`write`
        writes.
    """

    cohort: Any
    problems: pd.DataFrame
    report: pd.DataFrame
    manifest: dict[str, Any]
    lang: str = "zh"

    @property
    def quarantine(self) -> pd.DataFrame:
        """The problems that kept rows (or whole files) out of the cohort."""
        return self.problems[self.problems["severity"] == "quarantine"].reset_index(drop=True)

    @property
    def warnings(self) -> pd.DataFrame:
        """The problems of rows that were kept."""
        return self.problems[self.problems["severity"] == "warning"].reset_index(drop=True)

    @property
    def files(self) -> pd.DataFrame:
        """Rows read, blank, accepted, quarantined and skipped per input file."""
        cols = [
            "file",
            "status",
            "rows_read",
            "rows_blank",
            "rows_accepted",
            "rows_quarantined",
            "rows_skipped",
            "adds_up",
        ]
        return pd.DataFrame([{k: f[k] for k in cols} for f in self.manifest["files"]], columns=cols)

    @property
    def adds_up(self) -> bool:
        """True when every file's rows read = blank + accepted + quarantined."""
        return bool(self.manifest["totals"]["adds_up"])

    def summary(self) -> str:
        """The human-readable report (as written to ``report.txt``), in :attr:`lang`."""
        return report_text(self.manifest, self.report, self.lang)

    def write(
        self,
        out: str | os.PathLike[str],
        *,
        format: str = "parquet",
        allow_inside_repo: bool = False,
        new_key: bool = False,
    ) -> Path:
        """Write the cohort, ``quarantine.csv``, ``warnings.csv``, ``report.csv``,
        ``report.txt`` and ``manifest.json`` into the folder ``out``.

        ``out`` may hold the cohort of an earlier ingest made with the same key (its
        ``manifest.json`` records the key's fingerprint); ``new_key=True`` says that writing
        over one made with another key is intended (every child then has a new pseudonym).

        Raises
        ------
        InsideRepositoryError
            If ``out`` is inside a git working tree and ``allow_inside_repo`` is False.
        IngestKeyError
            If ``out`` holds a cohort ingested with another key and ``new_key`` is False
            (:func:`lbc_eval.ingest.keys.check_same_key`); nothing is written.
        """
        check_output(out, allow_inside_repo=allow_inside_repo)
        check_same_key(out, self.manifest["key_fingerprint"], new_key=new_key)
        return write_outputs(self, Path(out), format=format)

    def raise_if_quarantined(self) -> None:
        """Raise :class:`~lbc_eval.errors.IngestError` if any row was quarantined (counts only)."""
        q = self.quarantine
        if len(q):
            counts = q["reason"].value_counts().sort_index()
            text = ", ".join(f"{r} {k}" for r, k in counts.items())
            rows = self.manifest["totals"]["rows_quarantined"]
            raise IngestError(msg("ingest.quarantined", rows=rows, counts=text))

    def __repr__(self) -> str:
        t = self.manifest["totals"]
        return (
            f"<IngestResult: {t['files']} files, {t['rows_read']:,} rows read -> "
            f"{t['rows_accepted']:,} accepted, {t['rows_quarantined']:,} quarantined, "
            f"{t['rows_blank']:,} blank; adds up: {'yes' if t['adds_up'] else 'NO'}>"
        )


def ingest(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    key: bytes,
    school: str | Mapping[str, str] | None = None,
    term: str | Mapping[str, str] | None = None,
    student_no_header: str | Mapping[str, str] | None = None,
    engine: Engine = "calamine",
    on_invalid: OnInvalid = "quarantine",
    allow_synthetic_ids: bool = True,
    progress: bool = False,
    lang: str = "zh",
) -> IngestResult:
    """Ingest school workbooks and the bureau's tables into a pseudonymised cohort.

    Parameters
    ----------
    paths : path or list of paths
        Files and folders (walked recursively for .xlsx, .xlsm, .xls, .csv, .txt).
    key : bytes
        The secret pseudonymisation key (:func:`load_key`, which refuses weak keys, or
        :func:`create_key`); at least 16 bytes here. ``student_id = HMAC-SHA-256(key, student
        number)``, 16 hex characters. :meth:`IngestResult.write` refuses an output folder
        holding a cohort made with another key.
    school : str or mapping, optional
        The school of surveys without a 学校 column: one id for every file, or a mapping from
        file (name, path as given, or name in reports) to id. Without it the school comes from
        the file name ``{school}_{term}_….xlsx`` (the part before the first ``_`` when a term
        ``YYYY-1``/``YYYY-2`` follows), else from a title row ``填报单位：X`` (``S01学校`` gives
        ``S01`` when the rest is a code of letters and digits).
    term : str or mapping, optional
        Likewise the term (``2024-1``) of surveys without a 学期 column; without it the term
        comes from the file name, else the title rows (``2024-2025学年第一学期``).
    student_no_header : str or mapping, optional
        A header to read as the student number (学籍号), for every file or as a mapping from
        file to header, in sheets that have no 学籍号 or 身份证号 column. Only for a file whose
        学号 (or other column) really is each child's own number: 学号 is otherwise a class
        roll number (1, 2, 3 … within a class), never read, and a survey with no other
        identifier is quarantined (``roll_number_only``).
    engine : {"calamine", "openpyxl"}
        Reader for xlsx. calamine is several times faster; openpyxl's read-only mode does not
        see merged cells. xls is always read by calamine.
    on_invalid : {"quarantine", "set_missing"}
        An unreadable or out-of-range value in an optional column quarantines the row
        (default), or is set missing with a warning.
    allow_synthetic_ids : bool
        Accept resident IDs with the synthetic province code 99 (the kit's synthetic data).
    progress : bool
        Show a progress bar over the files.
    lang : {"zh", "en"}
        The language of the messages in ``problems``, of the report and of the files written
        (Chinese by default).

    Returns
    -------
    IngestResult

    Raises
    ------
    IngestError
        If no file is found. Problems of files and rows never raise: they are in the result.
    SpecError
        If an option is not one of its allowed values.
    """
    if engine not in ENGINES:
        raise SpecError("engine", f"must be one of {', '.join(ENGINES)}, not {engine!r}")
    if on_invalid not in ("quarantine", "set_missing"):
        raise SpecError("on_invalid", f"must be 'quarantine' or 'set_missing', not {on_invalid!r}")
    if not isinstance(key, bytes | bytearray) or len(key) < 16:
        raise SpecError("key", "must be at least 16 bytes (see lbc_eval.ingest.load_key)")
    check_lang(lang)
    started = time.time()
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    files, ignored = find_inputs(paths)
    if not files:
        raise IngestError(msg("ingest.no_files"))
    names = display_names(files)
    opts = Options(key=bytes(key), on_invalid=on_invalid, allow_synthetic_ids=allow_synthetic_ids)
    problems = Problems()
    parts: list[Any] = []
    stats = _read_all(
        files,
        names,
        problems,
        opts,
        parts,
        engine,
        text("ingest.progress", lang) if progress else None,
        school=school,
        term=term,
        student_no_header=student_no_header,
    )
    tables = link(parts, problems)
    report = build_report(problems)
    from lbc_eval.data.cohort import Cohort

    cohort = Cohort(
        panel=tables["panel"].drop(columns=["_file", "_sheet", "_row"]),
        schools=tables["schools"].drop(columns=["_file", "_sheet", "_row"]),
        destinations=tables["destinations"].drop(columns=["_file", "_sheet", "_row"]),
    )
    frame = problems.frame(lang)
    manifest = build_manifest(
        stats,
        tables,
        frame,
        problems,
        ignored=[names.get(p, p.name) for p in ignored],
        options={
            "engine": engine,
            "on_invalid": on_invalid,
            "allow_synthetic_ids": allow_synthetic_ids,
            "school": school,
            "term": term,
            "student_no_header": student_no_header,
        },
        key_fingerprint=fingerprint(bytes(key)),
        started=started,
    )
    return IngestResult(cohort=cohort, problems=frame, report=report, manifest=manifest, lang=lang)


def _read_all(
    files: list[Path],
    names: dict[Path, str],
    problems: Problems,
    opts: Options,
    parts: list[Any],
    engine: Engine,
    progress: str | None,
    *,
    school: Any,
    term: Any,
    student_no_header: Any,
) -> list[dict[str, Any]]:
    """Read, check and validate every file (the parts go to ``parts``); their manifest entries.
    ``progress``: the label of a progress bar over the files (None: no bar)."""
    stats = []
    seen: dict[str, str] = {}
    iterator: Iterable[Path] = files
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(files, desc=progress, unit="file")
    for path in iterator:
        src = read_source(path, names[path], engine=engine)
        header = _lookup(student_no_header, src)
        if header is not None:
            map_student_no(src.sheets, header, HEADER_SEARCH_ROWS)
        first = len(problems.records)
        stat = read_file(src, seen, problems, opts, parts, school, term)
        flag_roll_numbers(stat, problems.records[first:])
        stats.append(stat)
        log.info("%s: %d rows read", src.name, stat["rows_read"])
    return stats


def write_template(path: str | os.PathLike[str], **options: Any) -> Path:
    """Write the Excel survey form (see :func:`lbc_eval.ingest.template.write_template`)."""
    from lbc_eval.ingest.template import write_template as _write

    return _write(path, **options)


class _CallableModule(types.ModuleType):
    """Makes ``lbc_eval.ingest(paths, key=...)`` call :func:`ingest` (the package stays a
    package: ``lbc_eval.ingest.load_key`` and the stage modules are reached as usual)."""

    def __call__(self, *args: Any, **kwargs: Any) -> IngestResult:
        return ingest(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
