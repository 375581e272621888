"""The output scanner: find identifying values in files before they are shared.

``lbc-eval scan PATH...`` (see :func:`main`) and :func:`scan` look for

``resident_id``
    18-character resident ID numbers with a real province code, a real birth date and the
    right check character (GB 11643-1999). Synthetic IDs (province 99) are skipped unless
    ``include_synthetic``;
``student_number``
    national student numbers: ``G`` or ``L`` followed by an ID number with a real province
    code and birth date (the check character is not required);
``phone``
    Chinese mobile numbers (``1[3-9]`` + 9 digits, optional ``+86``, spaces or hyphens) and
    landlines with an area code (``010``, ``02x``, ``0xxx`` + a 7-8 digit local number);
``name``
    the names of a supplied list (e.g. the roster's names), matched as text;

in Jupyter notebooks (sources and outputs: text, HTML, tracebacks), HTML, CSV/TSV and other
text files, Excel workbooks (xlsx/xlsm/xls) and Parquet files (directories are walked). Text is
NFKC-normalised first, so full-width digits are caught. A finding never carries the value
itself: only a mask (``11****************``), the file and the place in it.

Values that look like IDs but are public examples (the GB 11643 standard's own) are ignored;
more can be allowed through a file of ``sha256:<hex>`` lines (hashes, so that the allow list
itself holds no ID).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lbc_eval.data.ids import PROVINCE_CODES, SYNTHETIC_PROVINCE, check_char, parse_birth_date
from lbc_eval.publish.readers import (
    EXCEL_SUFFIXES,
    TEXT_SUFFIXES,
    excel_chunks,
    notebook_chunks,
    parquet_chunks,
    text_chunks,
)

KINDS: tuple[str, ...] = ("resident_id", "student_number", "phone", "name")
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "__pycache__", "node_modules", ".ipynb_checkpoints",
     ".pytest_cache", ".ruff_cache", ".mypy_cache", "build", "dist"}
)  # fmt: skip

# The worked examples of GB 11643-1999 itself (public, no person): sha256 of the normalised ID.
_PUBLIC_EXAMPLES = frozenset(
    {hashlib.sha256(v.encode()).hexdigest() for v in ("".join(("110105", "19491231", "002", "X")),)}
)

_B = r"(?<![0-9A-Za-z.])"  # not inside a longer number, word or decimal
_E = r"(?![0-9A-Za-z])"
_ID = re.compile(_B + r"(\d{6})[ -]?(\d{8})[ -]?(\d{3}[0-9Xx])" + _E)
_STUDENT = re.compile(r"(?<![0-9A-Za-z])([GLgl])(\d{17}[0-9Xx])" + _E)
_MOBILE = re.compile(_B + r"(?:(?:\+|00)?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})" + _E)
_LANDLINE = re.compile(
    r"(?<![0-9A-Za-z.])(?:\(|（)?(0(?:10|2\d|[3-9]\d{2}))(?:\)|）)?[ -]?([2-8]\d{6,7})" + _E
)


@dataclass(frozen=True)
class Finding:
    """One identifying value found: where, what kind, and a mask of it (never the value)."""

    path: str
    location: str
    kind: str
    masked: str


@dataclass
class ScanReport:
    """What :func:`scan` found.

    Attributes
    ----------
    findings : list of Finding
    files : int
        Files scanned.
    errors : list of (path, message)
        Files that could not be read (a file that cannot be read cannot be cleared).
    """

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found and every file could be read."""
        return not self.findings and not self.errors

    def to_frame(self) -> pd.DataFrame:
        """The findings as a tidy frame: ``path, location, kind, masked``."""
        return pd.DataFrame(
            [vars(f) for f in self.findings], columns=["path", "location", "kind", "masked"]
        )

    def summary(self) -> str:
        """One line: files scanned, findings by kind, unreadable files."""
        counts = {k: sum(f.kind == k for f in self.findings) for k in KINDS}
        found = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "nothing"
        errors = f"; {len(self.errors)} file(s) could not be read" if self.errors else ""
        return f"scanned {self.files} file(s): found {found}{errors}"


# --- detection ------------------------------------------------------------------------------------


def _mask(value: str, keep: int) -> str:
    return value[:keep] + "*" * max(0, len(value) - keep)


def _real_id(s: str, include_synthetic: bool, *, checksum: bool = True) -> bool:
    province = s[:2]
    if province not in PROVINCE_CODES and not (
        include_synthetic and province == SYNTHETIC_PROVINCE
    ):
        return False
    if parse_birth_date(s) is None:
        return False
    if checksum and check_char(s[:17]) != s[17]:
        return False
    return hashlib.sha256(s.encode()).hexdigest() not in _PUBLIC_EXAMPLES


class Detector:
    """Finds identifying values in a string; see the module docstring for the rules.

    Parameters
    ----------
    names : iterable of str
        Names to look for (at least two characters each; shorter ones are ignored).
    include_synthetic : bool
        Also report IDs and student numbers with the synthetic province code 99.
    allow : iterable of str
        ``sha256:<hex>`` digests of normalised values to ignore.
    """

    def __init__(
        self,
        *,
        names: Iterable[str] = (),
        include_synthetic: bool = False,
        allow: Iterable[str] = (),
    ) -> None:
        self.include_synthetic = include_synthetic
        self.allow = {a.split(":", 1)[1].strip().lower() for a in allow if a.startswith("sha256:")}
        clean = sorted(
            {unicodedata.normalize("NFKC", n).strip() for n in names} - {""}, key=len, reverse=True
        )
        self.names = [n for n in clean if len(n) >= 2]
        self._names = (
            re.compile("|".join(_name_pattern(n) for n in self.names)) if self.names else None
        )

    def _allowed(self, value: str) -> bool:
        return hashlib.sha256(value.encode()).hexdigest() in self.allow

    def find(self, text: str) -> Iterator[tuple[str, str]]:
        """(kind, masked value) for every identifying value in ``text``."""
        if not text:
            return
        text = unicodedata.normalize("NFKC", text)
        for m in _STUDENT.finditer(text):
            s = m.group(2).upper()
            if _real_id(s, self.include_synthetic, checksum=False) and not self._allowed(s):
                yield "student_number", m.group(1).upper() + _mask(s, 2)
        for m in _ID.finditer(text):
            s = "".join(m.groups()).upper()
            if _real_id(s, self.include_synthetic) and not self._allowed(s):
                yield "resident_id", _mask(s, 2)
        for m in _MOBILE.finditer(text):
            s = "".join(m.groups())
            if not self._allowed(s):
                yield "phone", _mask(s, 3)
        for m in _LANDLINE.finditer(text):
            s = "".join(m.groups())
            if not self._allowed(s):
                yield "phone", _mask(s, len(m.group(1)))
        if self._names is not None:
            for m in self._names.finditer(text):
                name = m.group(0)
                yield "name", name[0] + "*" * (len(name) - 1)


def _name_pattern(name: str) -> str:
    escaped = re.escape(name)
    if name.isascii():
        return rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
    return escaped


# --- the scan -------------------------------------------------------------------------------------


def _files(paths: Sequence[str | Path]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel[:-1]):
                    continue
                if f.is_file() and _reader(f) is not None:
                    yield f
        else:
            yield p


def _reader(path: Path):  # noqa: ANN202
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return notebook_chunks
    if suffix in EXCEL_SUFFIXES:
        return excel_chunks
    if suffix == ".parquet":
        return parquet_chunks
    if suffix in TEXT_SUFFIXES:
        return text_chunks
    return None


def scan(
    paths: Sequence[str | Path] | str | Path,
    *,
    names: Iterable[str] = (),
    include_synthetic: bool = False,
    allow: Iterable[str] = (),
) -> ScanReport:
    """Scan files and folders for resident IDs, student numbers, phone numbers and names.

    Parameters
    ----------
    paths : path or sequence of paths
        Files (any of the supported kinds; others are read as text) and folders (walked;
        ``.git``, ``.venv``, caches and files of unsupported kinds are skipped).
    names : iterable of str
        Names to look for.
    include_synthetic : bool
        Also report synthetic IDs (province code 99).
    allow : iterable of str
        ``sha256:<hex>`` digests of values to ignore.

    Returns
    -------
    ScanReport
        ``report.ok`` is False when anything was found or a file could not be read.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    detector = Detector(names=names, include_synthetic=include_synthetic, allow=allow)
    report = ScanReport()
    for path in _files(paths):
        if not path.exists():
            report.errors.append((str(path), "no such file or folder"))
            continue
        reader = _reader(path) or text_chunks
        report.files += 1
        try:
            for location, text in reader(path):
                for kind, masked in detector.find(text):
                    report.findings.append(Finding(str(path), location, kind, masked))
        except Exception as err:  # noqa: BLE001  (any unreadable file is reported, not fatal)
            report.errors.append((str(path), f"{type(err).__name__}: could not be read"))
    return report


def main(argv: list[str] | None = None) -> int:
    """``lbc-eval scan PATH... [--names FILE] [--include-synthetic] [--allow FILE]``.

    Prints each finding (file, place, kind, masked value) and a summary. Exit status 0 when
    nothing was found, 1 when something was, 2 when a file could not be read or the arguments
    are wrong.
    """
    parser = argparse.ArgumentParser(
        prog="lbc-eval scan",
        description="Find resident IDs, student numbers, phone numbers and listed names in "
        "notebooks, HTML, CSV, Excel and Parquet files before they are shared.",
    )
    parser.add_argument("paths", nargs="+", help="files or folders to scan")
    parser.add_argument("--names", type=Path, help="a UTF-8 file of names, one a line")
    parser.add_argument(
        "--include-synthetic",
        action="store_true",
        help="also report synthetic IDs (province code 99)",
    )
    parser.add_argument(
        "--allow", type=Path, help="a file of sha256:<hex> digests of values to ignore"
    )
    parser.add_argument("--quiet", action="store_true", help="print the summary only")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        names = _lines(args.names) if args.names else []
        allow = _lines(args.allow) if args.allow else []
    except OSError as err:
        print(f"lbc-eval scan: cannot read {err.filename}: {err.strerror}", file=sys.stderr)
        return 2
    report = scan(args.paths, names=names, include_synthetic=args.include_synthetic, allow=allow)
    if not args.quiet:
        for f in report.findings:
            print(f"{f.path}: {f.location}: {f.kind} {f.masked}")
        for path, message in report.errors:
            print(f"{path}: {message}", file=sys.stderr)
    print(report.summary())
    if report.errors:
        return 2
    return 1 if report.findings else 0


def _lines(path: Path) -> list[str]:
    return [
        line.strip() for line in path.read_text(encoding="utf-8-sig").splitlines() if line.strip()
    ]
