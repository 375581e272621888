"""The output scanner: find identifying values in files before they are shared.

``lbc-eval scan PATH...`` (:func:`lbc_eval.cli.report.scan_command`) and :func:`scan` look for

``resident_id``
    18-character resident ID numbers with a real province code, a real birth date and the
    right check character (GB 11643-1999), however they are grouped (``220102 20150307 1234``,
    ``2201-0220-1503-0712-34``). Synthetic IDs (province 99) are skipped unless
    ``include_synthetic``;
``student_number``
    national student numbers: ``G`` or ``L`` followed by an ID number with a real province
    code and birth date (the check character is not required);
``phone``
    Chinese mobile numbers (``1[3-9]`` + 9 digits, optional ``+86`` / ``0086``) and landlines
    with an area code (``010``, ``02x``, ``0xxx`` + a 7-8 digit local number), written whole or
    in groups joined by spaces, ``-``, ``.``, ``/`` or brackets (``1xx.xxxx.xxxx``,
    ``(0xxx) xxxx xxxx``); a decimal number (one ``.``) is never read as one;
``name``
    the names of a supplied list (e.g. the roster's names), matched as text;

in Jupyter notebooks (sources and outputs: text, HTML, tracebacks), HTML, CSV/TSV and other
text files, Excel workbooks (xlsx/xlsm/xls: cells and sheet names) and Parquet files
(directories are walked), and in the names of the files and folders scanned. Text is
NFKC-normalised first, so full-width digits are caught. A finding never carries the value
itself: only a mask (``11****************``), the file and the place in it (a file or sheet
name that holds a finding is shown masked too). Findings stay machine-readable (``path:
place: kind mask``); the other lines are the catalogue's ``scan.*`` messages, Chinese first.

What the scanner does not look into is listed (:attr:`ScanReport.skipped`): files of other
kinds in folders (images, PDFs, Word files …), binary files, files larger than ``max_bytes``,
images inside notebooks and HTML pages (pixels are not read), and the tool folders it does not
walk (``.git``, ``.venv``, caches). A file that cannot be read is an error (it cannot be
cleared).

Values that look like IDs but are public examples (the GB 11643 standard's own) are ignored;
more can be allowed through a file of ``sha256:<hex>`` lines (hashes, so that the allow list
itself holds no ID).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from lbc_eval.data.ids import PROVINCE_CODES, SYNTHETIC_PROVINCE, check_char, parse_birth_date
from lbc_eval.data.messages import COMMA, Text, join, msg, text
from lbc_eval.publish.readers import (
    EXCEL_SUFFIXES,
    IMAGE_SUFFIXES,
    TEXT_SUFFIXES,
    excel_chunks,
    notebook_chunks,
    parquet_chunks,
    text_chunks,
    word_chunks,
)

KINDS: tuple[str, ...] = ("resident_id", "student_number", "phone", "name")
SKIP_DIRS = frozenset(
    {".git", ".venv", "venv", "__pycache__", "node_modules", ".ipynb_checkpoints",
     ".pytest_cache", ".ruff_cache", ".mypy_cache", "build", "dist"}
)  # fmt: skip
#: Files larger than this are listed as skipped, not read (``max_bytes`` of :func:`scan`).
MAX_BYTES = 512 * 2**20

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
# Digits in groups joined by one or two separators (space - . and brackets), an X at the end;
# not in a path or URL (/), a sum (+) or a longer word.
_GROUPED = re.compile(
    r"(?<![0-9A-Za-z./+])[+(]?\d+(?:[ \-.()]{1,2}\d+)+(?:[ \-]?[Xx])?(?![0-9A-Za-z/+])"
)
_GROUP_SPLIT = re.compile(r"[ \-+()]+")
_MOBILE_DIGITS = re.compile(r"(?:0086|86)?(1[3-9]\d{9})")
_LANDLINE_DIGITS = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))([2-8]\d{6,7})")


@dataclass(frozen=True)
class Finding:
    """One identifying value found: where, what kind, and a mask of it (never the value)."""

    path: str
    location: str
    kind: str
    masked: str

    def line(self) -> str:
        """The finding as one machine-readable line: ``path: place: kind mask``."""
        return f"{self.path}: {self.location}: {self.kind} {self.masked}"


@dataclass
class ScanReport:
    """What :func:`scan` found.

    Attributes
    ----------
    findings : list of Finding
    files : int
        Files scanned.
    errors : list of (path, Text)
        Files that could not be read (a file that cannot be read cannot be cleared), and why
        (a catalogue message: ``why.code``, ``why.render(lang)``).
    skipped : list of (path, Text)
        What was not looked into, and why: files of other kinds, binary and too large files,
        images inside notebooks and pages, tool folders (see the module docstring).
    """

    findings: list[Finding] = field(default_factory=list)
    files: int = 0
    errors: list[tuple[str, Text]] = field(default_factory=list)
    skipped: list[tuple[str, Text]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found and every file could be read (skipped ones aside)."""
        return not self.findings and not self.errors

    def to_frame(self) -> pd.DataFrame:
        """The findings as a tidy frame: ``path, location, kind, masked``."""
        return pd.DataFrame(
            [vars(f) for f in self.findings], columns=["path", "location", "kind", "masked"]
        )

    def summary(self, lang: str = "zh") -> str:
        """One line in ``lang``: files scanned, findings by kind, unreadable and skipped files."""
        counts = {k: sum(f.kind == k for f in self.findings) for k in KINDS}
        found = [
            msg("scan.count", count=n, kind=msg(f"scan.kind_{k}")) for k, n in counts.items() if n
        ]
        fields = {
            "found": msg("scan.found", counts=join(found, COMMA))
            if found
            else msg("scan.found_nothing"),
            "errors": msg("scan.errors", count=len(self.errors)) if self.errors else "",
            "skipped": msg("scan.skipped", count=len(self.skipped)) if self.skipped else "",
        }
        return text("scan.summary", lang, files=self.files, **fields)


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


def _chains(run: str) -> Iterator[list[str]]:
    """The groups of a run of grouped digits that may form one number: groups of two or more
    characters (a single digit, as in ``9 9 0 1``, breaks the chain, and so does a decimal)."""
    chain: list[str] = []
    for word in _GROUP_SPLIT.split(run):
        parts = word.split(".")
        decimal = len(parts) == 2 and all(parts)  # 0.139…: a decimal number, never an identifier
        for part in [] if decimal else [p for p in parts if p]:
            if len(part) < 2 and part not in "Xx":
                yield chain
                chain = []
            else:
                chain.append(part)
        if decimal:
            yield chain
            chain = []
    yield chain


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
        for kind, masked, _ in self._matches(text):
            yield kind, masked

    def redact(self, text: str) -> str:
        """``text`` with every identifying value replaced by its mask (for paths and places)."""
        spans = sorted({span: masked for _, masked, span in self._matches(text)}.items())
        if not spans:
            return text
        norm, out, at = unicodedata.normalize("NFKC", text), [], 0
        for (start, end), masked in spans:
            if start >= at:
                out += [norm[at:start], masked]
                at = end
        return "".join([*out, norm[at:]])

    def _matches(self, text: str) -> Iterator[tuple[str, str, tuple[int, int]]]:
        if not text:
            return
        text = unicodedata.normalize("NFKC", text)
        seen: set[str] = set()
        for m in _STUDENT.finditer(text):
            s = m.group(2).upper()
            if _real_id(s, self.include_synthetic, checksum=False) and not self._allowed(s):
                seen.add(s)
                yield "student_number", m.group(1).upper() + _mask(s, 2), m.span()
        for m in _ID.finditer(text):
            s = "".join(m.groups()).upper()
            if _real_id(s, self.include_synthetic) and not self._allowed(s):
                seen.add(s)
                yield "resident_id", _mask(s, 2), m.span()
        for m in _MOBILE.finditer(text):
            s = "".join(m.groups())
            if not self._allowed(s):
                seen.add(s)
                yield "phone", _mask(s, 3), m.span()
        for m in _LANDLINE.finditer(text):
            s = "".join(m.groups())
            if not self._allowed(s):
                seen.add(s)
                yield "phone", _mask(s, len(m.group(1))), m.span()
        yield from self._grouped(text, seen)
        if self._names is not None:
            for m in self._names.finditer(text):
                name = m.group(0)
                yield "name", name[0] + "*" * (len(name) - 1), m.span()

    def _grouped(self, text: str, seen: set[str]) -> Iterator[tuple[str, str, tuple[int, int]]]:
        """IDs and phones written in groups the patterns above do not cover."""
        for m in _GROUPED.finditer(text):
            for chain in _chains(m.group(0)):
                for i in range(len(chain)):
                    for j in range(i + 2, min(len(chain), i + 5) + 1):
                        s = "".join(chain[i:j]).upper()
                        if len(s) > 18:
                            break
                        found = self._number(s)
                        if found is not None and found[1] not in seen:
                            seen.add(found[1])
                            yield found[0], found[2], m.span()

    def _number(self, s: str) -> tuple[str, str, str] | None:
        """(kind, value, mask) when the digits ``s`` are a resident ID or a phone number."""
        if len(s) == 18 and s[:17].isdigit() and _real_id(s, self.include_synthetic):
            return None if self._allowed(s) else ("resident_id", s, _mask(s, 2))
        mobile = _MOBILE_DIGITS.fullmatch(s)
        if mobile:
            v = mobile.group(1)
            return None if self._allowed(v) else ("phone", v, _mask(v, 3))
        land = _LANDLINE_DIGITS.fullmatch(s)
        if land:
            return None if self._allowed(s) else ("phone", s, _mask(s, len(land.group(1))))
        return None


def _name_pattern(name: str) -> str:
    escaped = re.escape(name)
    if name.isascii():
        return rf"(?<![A-Za-z]){escaped}(?![A-Za-z])"
    return escaped


# --- the scan -------------------------------------------------------------------------------------


def _files(
    paths: Sequence[str | Path], skipped: list[tuple[str, str]]
) -> Iterator[tuple[Path, str, bool]]:
    """(file, its name as scanned, named by the caller) for every file; tool folders skipped."""
    for p in map(Path, paths):
        if not p.is_dir():
            yield p, p.name, True
            continue
        for root, dirs, files in os.walk(p):
            dirs.sort()
            for d in dirs:
                if _tool_dir(d):
                    skipped.append((os.path.join(root, d), msg("scan.tool_folder")))
                elif os.path.islink(os.path.join(root, d)):
                    skipped.append((os.path.join(root, d), msg("scan.folder_link")))
            dirs[:] = [d for d in dirs if not (_tool_dir(d) or os.path.islink(Path(root, d)))]
            for f in sorted(files):
                path = Path(root, f)
                if not path.exists():
                    skipped.append((str(path), msg("scan.dead_link")))
                    continue
                yield path, path.relative_to(p).as_posix(), False


def _tool_dir(name: str) -> bool:
    return name in SKIP_DIRS or name.endswith(".egg-info")


def _reader(path: Path):  # noqa: ANN202
    suffix = path.suffix.lower()
    if suffix == ".ipynb":
        return notebook_chunks
    if suffix in EXCEL_SUFFIXES:
        return excel_chunks
    if suffix == ".parquet":
        return parquet_chunks
    if suffix == ".docx":
        return word_chunks
    if suffix in TEXT_SUFFIXES:
        return text_chunks
    return None


def _why_skipped(path: Path, named: bool, max_bytes: int):  # noqa: ANN202
    """(reader, None) for a file to read, (None, why) for one to skip."""
    reader = _reader(path)
    if reader is None and not named:
        image = path.suffix.lower() in IMAGE_SUFFIXES
        return None, msg("scan.image" if image else "scan.other_kind")
    size = path.stat().st_size
    if size > max_bytes:
        return None, msg("scan.too_large", limit=max_bytes // 2**20, size=size // 2**20)
    if reader is None:
        with path.open("rb") as fh:
            if b"\x00" in fh.read(8192):
                return None, msg("scan.binary")
        reader = text_chunks
    return reader, None


def scan(
    paths: Sequence[str | Path] | str | Path,
    *,
    names: Iterable[str] = (),
    include_synthetic: bool = False,
    allow: Iterable[str] = (),
    max_bytes: int = MAX_BYTES,
) -> ScanReport:
    """Scan files and folders for resident IDs, student numbers, phone numbers and names.

    Parameters
    ----------
    paths : path or sequence of paths
        Files (any of the supported kinds; others are read as text unless binary) and folders
        (walked; ``.git``, ``.venv`` and caches are not, files of other kinds are skipped).
    names : iterable of str
        Names to look for (in the files and in their names).
    include_synthetic : bool
        Also report synthetic IDs (province code 99).
    allow : iterable of str
        ``sha256:<hex>`` digests of values to ignore.
    max_bytes : int
        Files larger than this are skipped (listed), not read.

    Returns
    -------
    ScanReport
        ``report.ok`` is False when anything was found or a file could not be read; what was
        not looked into is in ``report.skipped``.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    detector = Detector(names=names, include_synthetic=include_synthetic, allow=allow)
    report = ScanReport()
    for path, name, named in _files(paths, report.skipped):
        shown = detector.redact(str(path))
        if not path.exists():
            report.errors.append((shown, msg("scan.missing")))
            continue
        for kind, masked in detector.find(name):
            report.findings.append(Finding(shown, "file name", kind, masked))
        reader, why = _why_skipped(path, named, max_bytes)
        if reader is None:
            report.skipped.append((shown, why))
            continue
        report.files += 1
        _scan_file(path, shown, reader, detector, report)
    report.skipped = [(detector.redact(p), why) for p, why in report.skipped]
    return report


def _scan_file(path: Path, shown: str, reader, detector: Detector, report: ScanReport) -> None:  # noqa: ANN001
    images = 0
    try:
        for location, text in reader(path):
            if text is None:
                images += 1
                continue
            for kind, masked in detector.find(text):
                report.findings.append(Finding(shown, detector.redact(location), kind, masked))
    except Exception as err:  # noqa: BLE001  (any unreadable file is reported, not fatal)
        report.errors.append((shown, msg("scan.unreadable", error=type(err).__name__)))
    if images:
        report.skipped.append((shown, msg("scan.images_inside", images=images)))
