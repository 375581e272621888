"""What ingest tells and writes: the counts, the manifest, the report, the output folder.

The output folder of :meth:`~lbc_eval.ingest.IngestResult.write` holds::

    cohort.json, panel/, schools.parquet, destinations.parquet   the cohort (Cohort.write)
    quarantine.csv    one row per problem that kept a row (or file) out of the cohort
    warnings.csv      one row per problem of a row that was kept
    report.csv        counts per file, severity, reason and column (fixes included)
    report.txt        the same, short and human-readable, with the row accounting per file
                      (:mod:`lbc_eval.ingest.summary`; in the run's language)
    manifest.json     inputs (SHA-256, rows read, accepted, quarantined), versions, options,
                      the key's fingerprint (never the key) and the time of the run
    .lbc_eval_outputs what the kit wrote there: the only entries a later run replaces

CSV files are UTF-8 with a byte-order mark so that Excel shows the Chinese. The same inputs and
key give the same bytes in every file except the ``run`` entry of the manifest.

What is written is safe to keep and to share (rules in ``docs/ingest.md``, *Outputs*):

- file, folder and sheet names that could name a child are shown as ``file-<n>`` /
  ``sheet-<k>`` in every file (:func:`output_names`); the result in memory keeps them;
- text cells of CSV files that a spreadsheet would run as a formula get a leading ``'``
  (:func:`neutralise`);
- files are 600 and folders 700 whatever the umask;
- everything is written into a private folder beside ``out`` and moved into place when
  complete, under a lock (:func:`output_lock`), replacing only what the kit wrote before
  (:data:`OUTPUTS_LIST`); a run killed while moving files is undone by the next
  (:func:`recover_output`); an output folder inside an input folder is refused
  (:func:`check_not_in_inputs`, :func:`claim_output`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import glob
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from lbc_eval._version import __version__
from lbc_eval.data import codebook
from lbc_eval.data.messages import msg
from lbc_eval.data.terms import ordered_terms
from lbc_eval.errors import IngestError
from lbc_eval.ingest.problems import COLUMNS, Problems, mask_name
from lbc_eval.ingest.summary import report_text

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
        # a file not read at all (status "failed") has no rows counted: the run does not add up
        "adds_up": all(f["adds_up"] for f in files) and not any(
            f["status"] == "failed" for f in files
        ),
        "files_not_read": sum(f["status"] == "failed" for f in files),
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


def write_outputs(
    result: Any,
    out: str | os.PathLike[str],
    *,
    format: str = "parquet",
    inputs: Iterable[str | os.PathLike[str]] | None = None,
) -> Path:
    """Write the cohort and the ingest files into ``out`` (see the module docstring).

    Everything is written into a private folder beside ``out`` first and moved into place only
    when complete, under the lock of ``out``; only what the kit wrote before is replaced.

    Raises
    ------
    IngestError
        If another run holds the lock, ``out`` is inside one of ``inputs`` (the folders read),
        ``out`` is not a folder, or it holds a file of an output's name that the kit did not
        write. Nothing is written then.
    """
    out = Path(out)
    if inputs is not None:
        check_not_in_inputs(out, inputs)
    real = out.resolve()
    if real.exists() and not real.is_dir():
        raise IngestError(msg("output.not_a_folder", out=out))
    with output_lock(real):
        recover_output(real)
        stage = _private_dir(_side(real, f"new-{os.getpid()}"))
        try:
            _write_stage(result, stage, format)
            _commit(stage, real)
        finally:
            _remove(stage)
    return out


def _write_stage(result: Any, stage: Path, format: str) -> None:
    """Every output file, names masked and CSV cells neutralised, into the folder ``stage``."""
    names = output_names(result.manifest)
    manifest = masked_manifest(result.manifest, names)
    report = result.report.assign(file=[names.file(f) for f in result.report["file"]])
    problems = masked_problems(result.problems, names)
    cohort = result.cohort if format == "parquet" else _safe_cohort(result.cohort)
    cohort.write(stage, format=format)
    for name, severity in (("quarantine.csv", "quarantine"), ("warnings.csv", "warning")):
        sub = problems[problems["severity"] == severity][list(COLUMNS)]
        _write_private(stage / name, csv_bytes(sub))
    _write_private(stage / "report.csv", csv_bytes(report))
    lang = getattr(result, "lang", "zh")
    _write_private(stage / "report.txt", report_text(manifest, report, lang).encode("utf-8"))
    text = json.dumps(manifest, ensure_ascii=False, indent=1, default=str)
    _write_private(stage / MANIFEST, (text + "\n").encode("utf-8"))
    written = sorted([p.name for p in stage.iterdir()] + [OUTPUTS_LIST])
    listing = {"format": "lbc_eval outputs", "outputs": written}
    _write_private(stage / OUTPUTS_LIST, (json.dumps(listing, indent=1) + "\n").encode("utf-8"))
    _private_tree(stage)


# --- file and sheet names in the outputs --------------------------------------------------------


class OutputNames:
    """File and sheet names as the written outputs show them (see :func:`output_names`)."""

    def __init__(self, files: dict[str, str], sheets: dict[tuple[str, str], str]) -> None:
        self.files, self.sheets = files, sheets
        subs: dict[str, str] = {}
        for name, shown in files.items():
            if shown != name:
                subs[name] = shown
                subs.setdefault(name.rsplit("/", 1)[-1], shown.rsplit("/", 1)[-1])
        for (_, sheet), shown in sheets.items():
            if shown != sheet:
                subs.setdefault(sheet, shown)
        self._subs = {k: v for k, v in subs.items() if k and k != v}
        alternatives = sorted(self._subs, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives))) if alternatives else None

    def file(self, name: Any) -> Any:
        """How the file ``name`` (as in the manifest) is shown."""
        if not isinstance(name, str):
            return name
        return self.files.get(name) or self.text(mask_name(name, "file"))

    def sheet(self, file: Any, name: Any) -> Any:
        """How the sheet ``name`` of ``file`` is shown."""
        if not isinstance(name, str):
            return name
        return self.sheets.get((file, name)) or self.text(mask_name(name, "sheet"))

    def text(self, text: Any) -> Any:
        """Free text (a message, a status) with every hidden file or sheet name replaced."""
        if not isinstance(text, str) or self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self._subs[m.group(0)], text)


def output_names(manifest: dict[str, Any]) -> OutputNames:
    """How each input file and sheet is named in the written outputs.

    A name that could identify a child (:func:`~lbc_eval.ingest.problems.mask_name`: a run of
    Chinese characters that may be a person's name, seven or more digits) has that part
    replaced by ``file-<n>`` (``n``: the file's place in the manifest's list of files, then of
    ignored files) or ``sheet-<k>`` (``k``: the sheet's place in the file's list of sheets,
    hidden ones last); the school and term tokens and the extension stay. Other names are shown
    as they are.
    """
    files: dict[str, str] = {}
    sheets: dict[tuple[str, str], str] = {}
    entries = manifest.get("files", [])
    for i, f in enumerate(entries, start=1):
        name = str(f["file"])
        files[name] = mask_name(name, f"file-{i}")
        listed = [*f.get("sheets", []), *f.get("hidden_sheets", [])]
        for k, sheet in enumerate(s for s in listed if isinstance(s, str)):
            sheets.setdefault((name, sheet), mask_name(sheet, f"sheet-{k + 1}"))
    for j, name in enumerate(manifest.get("ignored_files", []), start=len(entries) + 1):
        files.setdefault(str(name), mask_name(str(name), f"file-{j}"))
    return OutputNames(files, sheets)


def masked_manifest(manifest: dict[str, Any], names: OutputNames) -> dict[str, Any]:
    """A copy of the manifest with file and sheet names shown as ``names`` says, everywhere."""
    out = json.loads(json.dumps(manifest, default=str))
    for f in out.get("files", []):
        file = f["file"]
        f["file"] = names.file(file)
        for key in ("sheets", "hidden_sheets"):
            if isinstance(f.get(key), list):
                f[key] = [names.sheet(file, s) for s in f[key]]
        for t in f.get("tables", []):
            if isinstance(t, dict):
                t["sheet"] = names.sheet(file, t.get("sheet"))
    out["ignored_files"] = [names.file(n) for n in out.get("ignored_files", [])]
    for key, value in (out.get("options") or {}).items():
        if isinstance(value, dict):  # school= / term= mappings keyed by file
            out["options"][key] = {mask_name(names.text(k), "file"): v for k, v in value.items()}
    return _walk(out, names.text)


def _walk(obj: Any, fn: Any) -> Any:
    if isinstance(obj, dict):
        return {fn(k): _walk(v, fn) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_walk(v, fn) for v in obj]
    return fn(obj)


def masked_problems(problems: pd.DataFrame, names: OutputNames) -> pd.DataFrame:
    """The problem table with file and sheet names shown as ``names`` says (messages too)."""
    out = problems.copy()
    files = problems["file"].tolist()
    out["sheet"] = pd.Series(
        [names.sheet(f, s) for f, s in zip(files, problems["sheet"], strict=True)],
        index=problems.index,
        dtype=object,
    )
    out["file"] = pd.Series([names.file(f) for f in files], index=problems.index, dtype=object)
    for col in ("header", "value", "message"):
        out[col] = pd.Series([names.text(v) for v in problems[col]], index=problems.index)
    return out


# --- CSV cells a spreadsheet must not run -------------------------------------------------------

#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), with
#: their full-width forms.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as text instead of running it as a formula.

    A text cell whose first character (after spaces) is ``= + - @``, a tab or a carriage return
    (or a full-width ``＝ ＋ － ＠``) gets a leading ``'`` (the OWASP rule): ``=HYPERLINK(…)``,
    ``+1+1``, ``-2+3`` and ``@SUM(…)`` are shown as written, not run. A number stays a number,
    written as text or not (``-3``, ``+1.5``, ``-1e3``), and so do a lone ``-`` or ``+``; cells
    that are not text are never changed.

    Examples
    --------
    >>> [neutralise(v) for v in ("=1+1", "-2+3", "@SUM(A1)", "\\tx", "-3", "-", 95.5, "S01")]
    ["'=1+1", "'-2+3", "'@SUM(A1)", "'\\tx", '-3', '-', 95.5, 'S01']
    """
    if not isinstance(value, str):
        return value
    head = value.lstrip(" ")
    plain = value.strip()
    if not head.startswith(FORMULA_STARTS) or plain in ("-", "+") or _PLAIN_NUMBER.fullmatch(plain):
        return value
    return "'" + value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and header neutralised (:func:`neutralise`), for CSV."""
    out = frame.copy()
    for col in out.columns:
        out[col] = _safe_column(out[col])
    out.columns = [neutralise(c) for c in out.columns]
    return out


_FORMULA_HEAD = "^ *[" + re.escape("".join(FORMULA_STARTS)) + "]"


def _safe_column(s: pd.Series) -> pd.Series:
    if isinstance(s.dtype, pd.CategoricalDtype):
        if all(neutralise(c) == c for c in s.cat.categories):
            return s
        s = s.astype(object)
    if isinstance(s.dtype, pd.StringDtype):  # vectorised: province-scale panels
        hit = s.str.contains(_FORMULA_HEAD, regex=True, na=False).astype(bool)
    elif pd.api.types.is_object_dtype(s.dtype):
        hit = s.map(lambda v: isinstance(v, str) and neutralise(v) != v).astype(bool)
    else:
        return s
    if not hit.any():
        return s
    out = s.copy()
    out[hit] = s[hit].map(neutralise)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as the kit's CSV files are written: UTF-8 with BOM, ``\\n``, cells neutralised."""
    return safe_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def _safe_cohort(cohort: Any) -> Any:
    tables = {k: safe_frame(getattr(cohort, k)) for k in ("panel", "schools", "destinations")}
    return dataclasses.replace(cohort, **tables)


# --- the output folder: inputs, lock, private files, replacing in one step ----------------------

#: The list, in the output folder, of what the kit wrote there (the only files it replaces).
OUTPUTS_LIST = ".lbc_eval_outputs"
# What kits that kept no list wrote (taken as theirs only beside a cohort.json or manifest.json).
_LEGACY = (
    "cohort.json", "panel", "schools.parquet", "destinations.parquet", "roster.parquet",
    "truth.json", "panel.csv", "schools.csv", "destinations.csv", "quarantine.csv",
    "warnings.csv", "report.csv", "report.txt", MANIFEST,
)  # fmt: skip


def _side(out: Path, what: str) -> Path:
    """A hidden path beside ``out`` (so on its file system): lock, journal, staging, backup."""
    return out.parent / f".{out.name}.lbc_eval-{what}"


def check_not_in_inputs(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]
) -> None:
    """Refuse an output folder that is (or is inside) a folder read as input.

    The next ingest of that folder would read the cohort and the quarantine as school files.

    Raises
    ------
    IngestError
    """
    target = Path(out).expanduser().resolve()
    for p in inputs:
        src = Path(p).expanduser().resolve()
        if target == src or (src.is_dir() and src in target.parents):
            raise IngestError(msg("output.in_inputs", out=out, inputs=p))


def prepare_output(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()
) -> None:
    """Check ``out`` before a run (see :func:`claim_output`) and let it go again."""
    with claim_output(out, inputs):
        pass


@contextlib.contextmanager
def claim_output(
    out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]] = ()
) -> Iterator[Path]:
    """Hold ``out`` for a whole run: refuse it inside an input folder or while another run
    holds it, put the previous output back if a run was killed while moving its files into
    place, and keep the lock until the block ends (:func:`write_outputs` inside the block, in
    the same thread, uses it).

    Raises
    ------
    IngestError
    """
    check_not_in_inputs(out, inputs)
    real = Path(out).resolve()
    with output_lock(real):
        recover_output(real)
        yield real


#: Locks this process holds: (output folder, thread) -> lock file.
_HELD: dict[tuple[str, int], Path] = {}


@contextlib.contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold the lock of the output folder ``out`` for the block.

    The lock is an exclusive ``flock`` on ``.NAME.lbc_eval-lock`` beside ``out`` (mode 600,
    holding the pid and host of the run, removed after it). The operating system drops the lock
    of a run that dies, so a lock file left behind is stale and simply taken over. A thread
    that holds the lock already may take it again (the block then runs under the outer one).

    Raises
    ------
    IngestError
        If another run (or thread) holds the lock; its pid and host are named.
    """
    key = (str(out), threading.get_ident())
    if key in _HELD:
        yield _HELD[key]
        return
    path = _side(out, "lock")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd = _acquire(path, out)
    _HELD[key] = path
    try:
        yield path
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):
            os.unlink(path)
        os.close(fd)


def _acquire(path: Path, out: Path) -> int:
    try:
        import fcntl
    except ImportError:  # not POSIX: a lock file made exclusively (a stale one is named)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise IngestError(msg("output.lock_left", out=out, lock=path)) from None
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        return fd
    for _ in range(50):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
            os.close(fd)
            raise IngestError(msg("output.locked", holder=holder, out=out, lock=path)) from None
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False  # the holder removed it as we opened it: take the new one
        if same:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
            return fd
        os.close(fd)
    raise IngestError(msg("output.lock_failed", out=out, lock=path))


def recover_output(out: Path) -> bool:
    """Undo a run killed while moving its files into ``out`` (the previous output comes back)
    and remove what killed runs left beside ``out``. Call it holding :func:`output_lock`.

    Returns True when an interrupted replacement was undone.
    """
    journal = _side(out, "commit.json")
    undone = journal.is_file()
    if undone:
        _rollback(out, json.loads(journal.read_text(encoding="utf-8")))
    prefix = glob.escape(f".{out.name}.lbc_eval-")
    for what in ("new-*", "old-*", "commit.json.tmp"):
        for p in out.parent.glob(prefix + what):
            _remove(p)
    return undone


def _commit(stage: Path, out: Path) -> None:
    """Move the files of ``stage`` into ``out``; the previous output comes back on any failure.

    A new ``out`` is the renamed ``stage`` (one step). Otherwise a journal beside ``out``
    records what is moved; the previous outputs go to a backup folder (files stay in place,
    linked, until replaced), the new ones move in, ``manifest.json`` last; then the journal
    goes. A run killed in between leaves the journal, and the next run puts the previous
    output back (:func:`recover_output`).
    """
    new = sorted((p.name for p in stage.iterdir()), key=lambda n: (n == MANIFEST, n))
    if not out.exists():
        os.replace(stage, out)
        _fsync_dir(out.parent)
        return
    old = _kit_entries(out)
    foreign = [n for n in new if _exists(out / n) and n not in old]
    if foreign:
        names = ", ".join(foreign)
        raise IngestError(msg("output.foreign", out=out, names=names, listing=OUTPUTS_LIST))
    backup = _private_dir(_side(out, f"old-{os.getpid()}"))
    journal = {"stage": stage.name, "backup": backup.name, "new": new, "old": old}
    _write_journal(_side(out, "commit.json"), journal)
    try:
        _swap(stage, out, backup, new, old)
        _side(out, "commit.json").unlink()
    except BaseException:
        _rollback(out, journal)
        raise
    _fsync_dir(out.parent)
    os.chmod(out, 0o700)
    _remove(backup)


def _swap(stage: Path, out: Path, backup: Path, new: list[str], old: list[str]) -> None:
    for name in old:
        src = out / name
        if name in new and src.is_file() and not src.is_symlink():
            _link_or_copy(src, backup / name)  # replaced in one step below
        else:
            os.replace(src, backup / name)
    for name in new:
        os.replace(stage / name, out / name)
    _fsync_dir(out)


def _rollback(out: Path, journal: dict[str, Any]) -> None:
    """Put the previous output back from the journal's backup (safe to repeat)."""
    stage, backup = out.parent / journal["stage"], out.parent / journal["backup"]
    for name in journal["new"]:
        if not _exists(stage / name) and _exists(out / name):
            _remove(out / name)  # moved in: take it out again
    for name in journal["old"]:
        if _exists(backup / name):
            os.replace(backup / name, out / name)
    _side(out, "commit.json").unlink(missing_ok=True)
    _remove(stage)
    _remove(backup)
    _fsync_dir(out)


def _kit_entries(out: Path) -> list[str]:
    """What the kit wrote into ``out`` before (its list, or the names older kits used)."""
    listing = out / OUTPUTS_LIST
    if listing.is_file():
        try:
            names = json.loads(listing.read_text(encoding="utf-8"))["outputs"]
        except (ValueError, KeyError, TypeError) as e:
            raise IngestError(msg("output.listing_unreadable", listing=listing, out=out)) from e
        names = [n for n in names if isinstance(n, str) and n not in ("", ".", "..")]
        names = [n for n in names if Path(n).name == n]
    elif _exists(out / "cohort.json") or _exists(out / MANIFEST):
        names = list(_LEGACY)
    else:
        names = []
    return [n for n in names if _exists(out / n)]


def _write_journal(path: Path, journal: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    _write_private(tmp, json.dumps(journal).encode("utf-8"), exclusive=False)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


# --- private files --------------------------------------------------------------------------------


def _write_private(path: Path, data: bytes, *, exclusive: bool = True) -> None:
    """Write ``data`` to a new file readable by its owner only (600, whatever the umask)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, 0o600)
    try:
        os.chmod(path, 0o600)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _private_dir(path: Path) -> Path:
    if _exists(path):
        _remove(path)
    os.mkdir(path, 0o700)
    os.chmod(path, 0o700)
    return path


def _private_tree(folder: Path) -> None:
    """Folders 700 and files 600 under ``folder``, every file synced to disk."""
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(os.path.join(root, d), 0o700)
        for f in files:
            p = os.path.join(root, f)
            os.chmod(p, 0o600)
            fd = os.open(p, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    os.chmod(folder, 0o700)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exists(path: Path) -> bool:
    return path.exists() or path.is_symlink()


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif _exists(path):
        path.unlink(missing_ok=True)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)
