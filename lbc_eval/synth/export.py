"""Write a synthetic cohort the way schools hand it in: messy Excel and CSV files.

:func:`export_school_files` writes, into one folder::

    S01_2021-1_留守儿童情况.xlsx   one survey per school and term (names sort by school, term):
    S01_2021-2_留守儿童情况.csv    left-behind status, mentoring log and scores, one row per
    ...                           enrolled child, left behind or not
    教师培训情况.xlsx              the bureau's training records (the schools table)
    务工地政策.xlsx                parents' work destinations and their enrolment-policy year
    export_manifest.json          every file's layout and every planted problem

A survey has one or two title rows (the first merged across the columns in xlsx) above the
header. Each school heads each column with the codebook's label or an alias, at times with a
unit (``（次）``), spaces or full-width letters, and writes values its own way: codebook labels,
``是``/``否``, birth dates as ``2012.3.5``, ``2012-03-05``, ``2012/3/5``, ``2012年3月5日``, an
Excel serial or a date cell, grade ``3`` or ``三年级``, class ``1``, ``1班`` or ``三(1)班`` (the
number in ``class_id = {school_id}-{year - grade + 1}-{number:02d}``), attendance ``0.957`` or
``95.7%``, term ``2024-2025学年第一学期``, destinations by name, missing values blank. About
``csv_share`` of the schools hand in CSV (half GBK, the rest UTF-8 with or without BOM); some
workbooks have a ``说明`` sheet before or after the data.

Planted problems: exact duplicate rows, resident IDs and student numbers with a wrong check
character or a dropped digit (still province ``99``), zeros written ``无`` or ``-``, numbers in
full-width digits, stray spaces in text cells. The manifest lists them per file by row (1-based,
as Excel and editors count) and column name, never by value: ``duplicate_rows`` as
``[row, row it copies]``, the other kinds as ``{column: [rows]}``. Per file it also gives
``file, kind, school_id, term, format, encoding, sheet, sheets, title_rows, header_row,
data_rows, children, columns`` (``[name, header as written]`` in file order) and ``styles``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import json
import multiprocessing
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lbc_eval._version import __version__
from lbc_eval.data import codebook
from lbc_eval.data.terms import term_index
from lbc_eval.errors import SchemaError, SpecError
from lbc_eval.synth.mess import COUNTS, FULLWIDTH, PROBLEMS, mess
from lbc_eval.synth.workbooks import NO, YES, table_file, write_csv, write_xlsx

if TYPE_CHECKING:
    from lbc_eval.data.cohort import Cohort

_CN = "〇一二三四五六七八九"
_SEMESTER = {"1": "第一学期", "2": "第二学期"}
_UNIT_ZH = {"times per term": "（次）", "hours per term": "（小时）", "yuan": "（元）",
            "points": "（分）"}
_SURVEY = "留守儿童情况"
_MANIFEST = "export_manifest.json"

#: The survey form's columns in file order (form fields and panel columns). ``seq`` is 序号,
#: ``student_no`` is headed with an alias of ``student_id``, ``destination_id`` holds the name.
FORM_COLUMNS = (
    "seq", "name", "student_no", "resident_id", "sex", "birth_date", "grade", "class_id",
    "lb_status", "guardian", "guardian_name", "phone", "address", "destination_id",
    "low_income", "boarding", "mentor_role", "talks", "home_visits", "activities",
    "parent_contacts", "counseling", "tutoring_hours", "scholarship_yuan", "hotline_calls",
    "moved_to_parents", "exit_reason", "math", "chinese", "sdq_total", "attendance", "term",
)
_NUMBERS = (*COUNTS, "grade", "math", "chinese", "sdq_total", "attendance")
_BIRTH_STYLES = ("dot", "dash", "slash", "zh", "serial", "date")  # the last two: xlsx only


@dataclass(frozen=True)
class _Style:
    """How one school fills in its forms (drawn once per school)."""

    headers: dict[str, str]
    encoding: str | None  # None = xlsx
    birth: str
    grade_zh: bool
    class_style: int
    percent: bool
    sheet: str
    notes: int  # 0 none, 1 after the data sheet, 2 before it


def export_school_files(
    cohort: Cohort, path: str | Path, *, seed: int = 0, csv_share: float = 0.25,
    title_rows: tuple[int, ...] = (1, 2), duplicate_rate: float = 0.005,
    invalid_id_rate: float = 0.003, fullwidth_rate: float = 0.05, zero_text_rate: float = 0.3,
    resident_id_share: float = 0.7, workers: int = 1, progress: bool = False,
) -> list[Path]:
    """Write a synthetic cohort as the messy files schools hand in to the bureau.

    Parameters
    ----------
    cohort : Cohort
        A synthetic cohort; it must carry the placeholder ``roster``.
    path : str or Path
        Folder to write to (created; files of the same names are replaced).
    seed : int
        Seeds every choice of layout and mess: the same cohort and seed give the same files.
    csv_share : float
        Share of schools that hand in CSV instead of xlsx (half of them GBK-encoded).
    title_rows : tuple of int
        Numbers of title rows above the header (0-3); each file draws one.
    duplicate_rate, invalid_id_rate, fullwidth_rate, zero_text_rate : float
        Probability that a row is duplicated exactly, that a resident ID or student number is
        corrupted, that a number is written in full-width digits and that a zero count is
        written ``无`` or ``-``.
    resident_id_share : float
        Share of schools whose form has a resident-ID column.
    workers : int
        Processes writing survey files in parallel (openpyxl writes about 100,000 cells a
        second per process). Above 1, scripts must guard their entry point with
        ``if __name__ == "__main__":``. The files do not depend on it.
    progress : bool
        Show a progress bar over the survey files.

    Returns
    -------
    list of Path
        The files written, the manifest ``export_manifest.json`` (see the module) last.

    Raises
    ------
    SchemaError
        If the cohort has no synthetic roster (real cohorts are never exported).
    SpecError
        If an option is out of range.

    Examples
    --------
    >>> import tempfile, lbc_eval
    >>> c = lbc_eval.simulate(lbc_eval.SynthSpec.preset("small", n_children=200))
    >>> files = export_school_files(c, tempfile.mkdtemp(), seed=1)
    >>> files[-1].name
    'export_manifest.json'
    """
    if cohort.roster is None:
        raise SchemaError("this cohort has no synthetic roster: only synthetic cohorts can be "
                          "exported as school files")
    rates = {"csv_share": csv_share, "duplicate_rate": duplicate_rate,
             "invalid_id_rate": invalid_id_rate, "fullwidth_rate": fullwidth_rate,
             "zero_text_rate": zero_text_rate, "resident_id_share": resident_id_share}
    title_rows = _check_options(rates, title_rows, workers)
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    form = _form_frame(cohort)
    schools = sorted(form["school_id"].unique())
    styles = _styles(schools, seed, csv_share, resident_id_share)
    groups = form.groupby(["school_id", "term"], sort=True).indices
    jobs = [(form.iloc[idx], out, school, term, styles[school], seed, rates, title_rows)
            for (school, term), idx in groups.items()]
    entries = _run(jobs, int(workers), progress)
    entries += _bureau_files(cohort, out, seed)
    _write_manifest(out, entries, seed, {**rates, "title_rows": list(title_rows)})
    return [out / e["file"] for e in entries] + [out / _MANIFEST]


def _check_options(
    rates: dict[str, float], title_rows: tuple[int, ...], workers: int
) -> tuple[int, ...]:
    """Check the options (rates in [0, 1], title rows 0-3, at least one worker)."""
    for name, value in rates.items():
        if not 0 <= value <= 1:
            raise SpecError(name, f"must lie in [0, 1], got {value!r}")
    title_rows = tuple(int(k) for k in title_rows)
    if not title_rows or any(k not in (0, 1, 2, 3) for k in title_rows):
        raise SpecError("title_rows", f"must be a non-empty tuple of 0-3, got {title_rows!r}")
    if int(workers) < 1:
        raise SpecError("workers", f"must be at least 1, got {workers!r}")
    return title_rows


def _bureau_files(cohort: Cohort, out: Path, seed: int) -> list[dict[str, Any]]:
    """Write the bureau's training and destination tables; return their manifest entries."""
    rng = np.random.default_rng([seed, 3])
    header = [_pick_header(c, rng, "schools") for c in codebook.names("schools")]
    years = f"{cohort.schools['year'].min()}-{cohort.schools['year'].max()}学年度"
    training = table_file(cohort.schools, out, "教师培训情况.xlsx", "教师培训", "training",
                           "schools", [f"教师培训情况统计表（{years}）"], header)
    header = [c.label_zh for c in codebook.columns("destinations")]
    destinations = table_file(cohort.destinations, out, "务工地政策.xlsx", "务工地",
                               "destinations", "destinations", [], header)
    return [training, destinations]


def _write_manifest(
    out: Path, entries: list[dict[str, Any]], seed: int, options: dict[str, Any]
) -> None:
    """Write ``export_manifest.json``: the options, the problem totals and a line per file."""
    totals = {k: sum(len(v) if k == "duplicate_rows" else sum(map(len, v.values()))
                     for v in (e["problems"][k] for e in entries)) for k in PROBLEMS}
    head = {"format": "lbc_eval school files", "kit_version": __version__,
            "codebook_version": codebook.CODEBOOK_VERSION, "synthetic": True, "seed": int(seed),
            "options": options, "totals": totals}
    lines = ",\n  ".join(json.dumps(e, ensure_ascii=False) for e in entries)  # a file per line
    text = json.dumps(head, ensure_ascii=False, indent=1)[:-2]
    text += f',\n "files": [\n  {lines}\n ]\n}}\n'
    (out / _MANIFEST).write_text(text, encoding="utf-8")


def _run(jobs: list[tuple[Any, ...]], workers: int, progress: bool) -> list[dict[str, Any]]:
    if not jobs:
        return []
    with contextlib.ExitStack() as stack:
        results: Any
        if workers > 1 and len(jobs) > 1:
            pool = stack.enter_context(ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn")))
            results = pool.map(_survey_file, *zip(*jobs, strict=True),
                               chunksize=max(1, len(jobs) // (8 * workers)))
        else:
            results = map(_survey_file, *zip(*jobs, strict=True))
        if progress:
            from tqdm.auto import tqdm

            results = tqdm(results, total=len(jobs), desc="writing school files", unit="file")
        return list(results)


# --- what each school writes ------------------------------------------------------------------


def _crc(text: str) -> int:
    return zlib.crc32(text.encode("utf-8"))


@functools.cache
def _header_options(name: str, table: codebook.Table) -> tuple[tuple[str, ...], str]:
    """The Chinese headers of the codebook that map back to a column, and its unit."""
    if name == "seq":
        return ("序号",), ""
    tables: tuple[codebook.Table, ...] = ("panel", "form") if table == "panel" else (table,)
    target = "student_id" if name == "student_no" else name
    col = codebook.column(target, "form" if target not in codebook.names(table) else table)
    options = col.aliases if name == "student_no" else (col.label_zh, *col.aliases)
    keep = [a for a in options if not a.isascii() and codebook.match_header(a, tables) == target]
    return tuple(dict.fromkeys(keep)), col.unit


def _pick_header(name: str, rng: np.random.Generator, table: codebook.Table = "panel") -> str:
    """One codebook header for ``name``, sometimes with a unit, spaces or full-width letters."""
    options, unit = _header_options(name, table)
    header, u = str(rng.choice(options)), rng.random()
    if u < 0.25 and unit in _UNIT_ZH and not header.endswith(("）", ")")):
        return header + _UNIT_ZH[unit]
    if u < 0.35:
        return " ".join(header) if len(header) == 2 else header + "\u3000"
    return header.translate(FULLWIDTH) if u < 0.40 else header


def _styles(schools: list[str], seed: int, csv_share: float,
            resident_id_share: float) -> dict[str, _Style]:
    perm = np.random.default_rng([seed, 0]).permutation(len(schools))
    n_csv = round(csv_share * len(schools))
    encoding = {schools[i]: "gbk" if k < (n_csv + 1) // 2 else ("utf-8-sig", "utf-8")[k % 2]
                for k, i in enumerate(perm[:n_csv])}
    styles = {}
    for school in schools:
        rng = np.random.default_rng([seed, 1, _crc(school)])
        enc = encoding.get(school)
        cols = [c for c in FORM_COLUMNS if c != "resident_id" or rng.random() < resident_id_share]
        styles[school] = _Style(
            headers={c: _pick_header(c, rng) for c in cols}, encoding=enc,
            birth=str(rng.choice(_BIRTH_STYLES if enc is None else _BIRTH_STYLES[:4])),
            grade_zh=bool(rng.random() < 0.4), class_style=int(rng.integers(3)),
            percent=bool(rng.random() < 0.4), sheet=str(rng.choice([_SURVEY, "Sheet1", "统计表"])),
            notes=int(rng.choice(3, p=[0.6, 0.2, 0.2])) if enc is None else 0)
    return styles


def _form_frame(cohort: Cohort) -> pd.DataFrame:
    """The panel joined to the roster, in the codebook's Chinese labels, sorted as on forms."""
    p = cohort.panel
    roster = cohort.roster.drop_duplicates("student_id").set_index("student_id")  # type: ignore[union-attr]
    order = roster.index.get_indexer(p["student_id"])
    if (order < 0).any():
        raise SchemaError(f"{int((order < 0).sum())} panel rows have no roster entry; export a "
                          "cohort as lbc_eval.simulate returns it")
    f = pd.DataFrame({c: roster[c].to_numpy(object)[order] for c in
                      ("name", "student_no", "resident_id", "birth_date", "guardian_name",
                       "phone", "address")}, index=p.index)
    f["roster_order"] = order
    for c in ("school_id", "township", "term"):
        f[c] = p[c].to_numpy(object)
    f["class_no"] = p["class_id"].str.rsplit("-", n=1).str[-1].astype(int).to_numpy()
    for c in ("sex", "lb_status", "guardian", "mentor_role", "exit_reason"):
        f[c] = p[c].astype(object).map(codebook.level_labels(c))
    for c in ("low_income", "boarding", "moved_to_parents"):
        f[c] = p[c].astype(object).map({True: YES, False: NO})
    dest = cohort.destinations
    f["destination_id"] = p["destination_id"].astype(object).map(
        dict(zip(dest["destination_id"], dest["destination_name"], strict=True)))
    for c in ("grade", *COUNTS, "math", "chinese", "sdq_total", "attendance"):
        s = p[c].round(1 if c == "tutoring_hours" else 3) if p[c].dtype == "float64" else p[c]
        f[c] = s.to_numpy(dtype=object, na_value=None)
    f = f.astype(object).where(f.notna(), None)
    return f.sort_values(["school_id", "term", "grade", "class_no", "roster_order"],
                         kind="stable")


def _birth_dates(iso: pd.Series, style: str) -> np.ndarray:
    d = pd.to_datetime(iso, format="%Y-%m-%d")
    y, m, day = d.dt.year.astype(str), d.dt.month.astype(str), d.dt.day.astype(str)
    out = {"dash": lambda: iso, "dot": lambda: y + "." + m + "." + day,
           "slash": lambda: y + "/" + m + "/" + day, "zh": lambda: y + "年" + m + "月" + day + "日",
           "serial": lambda: (d - pd.Timestamp("1899-12-30")).dt.days, "date": lambda: d.dt.date}
    return out[style]().to_numpy(object)


def _values(sub: pd.DataFrame, style: _Style, term: str) -> dict[str, np.ndarray]:
    """Each form column of one school and term as an object array of cell values."""
    n, year = len(sub), int(term[:4])
    grade = sub["grade"].to_numpy(object)
    cn_grade = np.array([_CN[g] + "年级" for g in range(10)], dtype=object)[grade.astype(int)]
    number = sub["class_no"].astype(str)
    classes = (number, number + "班",
               pd.Series(cn_grade, index=sub.index).str[0] + "(" + number + ")班")
    att = sub["attendance"]
    if style.percent:
        share = pd.to_numeric(att)
        att = ((100 * share).round(1).astype(str) + "%").where(share.notna(), None)
    values = {
        "seq": np.arange(1, n + 1), "grade": cn_grade if style.grade_zh else grade,
        "birth_date": _birth_dates(sub["birth_date"], style.birth),
        "class_id": classes[style.class_style], "attendance": att,
        "term": np.full(n, f"{year}-{year + 1}学年{_SEMESTER[term[-1]]}"),
    }
    out = {c: np.array(values[c] if c in values else sub[c], dtype=object)
           for c in style.headers}
    for v in out.values():
        v[pd.isna(v)] = None
    return out


def _survey_file(sub: pd.DataFrame, out: Path, school: str, term: str, style: _Style, seed: int,
                 rates: dict[str, float], title_rows: tuple[int, ...]) -> dict[str, Any]:
    """Write one school's survey of one term; return its manifest entry."""
    rng = np.random.default_rng([seed, 2, _crc(school), int(term_index(term)[0])])
    values = _values(sub, style, term)
    kinds = mess(values, rng, rates, tuple(c for c in _NUMBERS
                                            if c != "grade" or not style.grade_zh))
    n = len(sub)
    order = np.repeat(np.arange(n), 1 + (rng.random(n) < rates["duplicate_rate"]))
    n_titles = int(rng.choice(title_rows))
    first = n_titles + 2  # file row of the first data row
    year, sem = int(term[:4]), term[-1]
    fill = dt.date(year + (sem == "2"), 6 if sem == "2" else 12, 15) + dt.timedelta(
        days=int(rng.integers(0, 30)))
    titles = [f"{sub['township'].iloc[0]}乡镇 {school} 学校 {year}-{year + 1}学年"
              f"{_SEMESTER[sem]} 留守儿童情况统计表",
              f"填报单位：{school}学校    填报日期：{fill.year}年{fill.month}月{fill.day}日",
              "（本表由学校填报，请勿改动表头）"][:n_titles]
    header = list(style.headers.values())
    rows = np.column_stack(list(values.values()))[order].tolist()
    ext = "csv" if style.encoding else "xlsx"
    name = f"{school}_{term}_{_SURVEY}.{ext}"
    if style.encoding:
        write_csv(out / name, titles, header, rows, style.encoding)
        sheets = []
    else:
        sheets = write_xlsx(out / name, titles, header, rows, style.sheet, style.notes)
    dup = np.flatnonzero(order[1:] == order[:-1]) + 1  # positions of the copies
    problems: dict[str, Any] = {"duplicate_rows": [[int(first + k), int(first + k - 1)]
                                                   for k in dup]}
    for kind, masks in kinds.items():
        problems[kind] = {c: (first + np.flatnonzero(m[order])).tolist()
                          for c, m in masks.items() if m.any()}
    return {
        "file": name, "kind": "survey", "school_id": school, "term": term, "format": ext,
        "encoding": style.encoding, "sheet": sheets and style.sheet or None, "sheets": sheets,
        "title_rows": n_titles, "header_row": n_titles + 1, "data_rows": len(order),
        "children": n, "columns": [[c, h] for c, h in style.headers.items()],
        "styles": {"birth_date": style.birth, "grade": "zh" if style.grade_zh else "number",
                   "class": ("number", "number班", "grade(number)班")[style.class_style],
                   "attendance": "percent" if style.percent else "share"},
        "problems": problems,
    }
