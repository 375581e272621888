"""Linking: stack the terms into one panel, join the bureau's tables, settle duplicates.

:func:`link` takes the validated :class:`~lbc_eval.ingest.validate.Part` of every table and
returns the three cohort tables:

- ``schools`` and ``destinations`` stack the bureau's files; a row repeated exactly is kept
  once (``duplicate_row`` for the copies), rows that disagree on one school and year (one
  destination) are all quarantined (``duplicate_key``);
- the survey rows of all files and terms stack into ``panel``. Each child has one
  ``student_id`` in every term and school (the pseudonym depends on the student number
  only), so a child who changes school keeps it. One row per child and term: exact copies are
  kept once, disagreeing rows are all quarantined;
- free text typed into a survey never reaches the cohort as typed. A ``township`` must be one
  of the schools table's townships (matched with white space, case and full-width forms
  ignored, and stored as the table spells it); without a schools table it must be a township's
  code (``T01``) or name (``…镇``, ``…乡``, ``…街道``). Anything else (``幸福村 …``) is set
  missing with the warning ``free_text_unmatched`` (the school itself is checked by
  :mod:`lbc_eval.ingest.validate`);
- a survey's ``township``, when blank, missing or set missing, comes from the school's
  training records (fix ``township_from_schools``); a surveyed school without them gets
  ``school_no_record``;
- destinations written by code or by name (``省内城市C``) become their ``destination_id``
  through the destinations table; one it does not list — or, without a destinations table,
  anything but a code such as ``D03`` — is set missing (``destination_unknown``);
- raw marks (see :mod:`lbc_eval.ingest.validate`) are standardised within grade and term over
  the children with raw marks: ``z = (x - mean) / sd`` (population SD), rounded to 3 decimals.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import numpy as np
import pandas as pd

from lbc_eval.data import codebook
from lbc_eval.data.messages import SEMICOLON, join, msg
from lbc_eval.data.terms import term_index
from lbc_eval.ingest.problems import Problems
from lbc_eval.ingest.validate import Part
from lbc_eval.ingest.values import is_code, is_township, label_key

_KEYS: dict[str, list[str]] = {
    "panel": ["student_id", "term"],
    "schools": ["school_id", "year"],
    "destinations": ["destination_id"],
}
_INTERNAL = ["_file", "_sheet", "_row"]


def link(parts: list[Part], problems: Problems) -> dict[str, pd.DataFrame]:
    """The cohort tables from the validated parts (rules in the module docstring).

    Returns
    -------
    dict
        ``panel``, ``schools``, ``destinations`` in codebook form, each with the internal
        columns ``_file, _sheet, _row`` still attached (the caller counts rows per file from
        them and drops them).
    """
    out = {}
    for kind, table in (("schools", "schools"), ("destinations", "destinations")):
        frame = _stack([p for p in parts if p.kind == kind], table)
        out[table] = _dedupe(frame, table, problems)
    panel = _stack([p for p in parts if p.kind == "survey"], "panel", raw_scores=True)
    panel = _dedupe(panel, "panel", problems)
    panel = _township(panel, out["schools"], problems)
    panel = _destinations(panel, out["destinations"], problems)
    panel = _standardise(panel, problems)
    order = np.lexsort(
        [_sort_key(panel[c]) for c in ("student_id", "class_id", "school_id")]
        + [term_index(panel["term"]) if len(panel) else np.empty(0, np.int64)]
    )
    out["panel"] = panel.iloc[order].drop(columns=["_raw_math", "_raw_chinese"])
    out["schools"] = out["schools"].sort_values(["school_id", "year"], kind="stable")
    out["destinations"] = out["destinations"].sort_values("destination_id", kind="stable")
    return {k: v.reset_index(drop=True) for k, v in out.items()}


def _sort_key(s: pd.Series) -> np.ndarray:
    """Text to sort by, missing values first (a blank class beside filled ones, a file without
    a 班级 column beside files with one)."""
    return np.array(["" if pd.isna(v) else str(v) for v in s], dtype=object)


def _stack(parts: list[Part], table: codebook.Table, *, raw_scores: bool = False) -> pd.DataFrame:
    frames = []
    for p in parts:
        f = p.frame[~p.frame["_bad"]].drop(columns="_bad")
        if raw_scores:
            for c in ("math", "chinese"):
                f[f"_raw_{c}"] = c in p.raw_scores
        frames.append(f)
    names = codebook.names(table)
    extra = _INTERNAL + (["_raw_math", "_raw_chinese"] if raw_scores else [])
    if not frames:
        return codebook.conform(pd.DataFrame(columns=[*names, *extra]), table)
    frame = pd.concat(frames, ignore_index=True)
    for c in names:
        if c not in frame.columns:
            frame[c] = None
    frame = frame[[*names, *extra]]
    typed = {}
    for c in codebook.columns(table):
        s = frame[c.name]
        if c.kind in ("int", "float"):
            s = pd.to_numeric(s.astype(object), errors="coerce")
        elif c.kind == "bool":
            s = s.astype(object).where(s.notna(), None)
        typed[c.name] = s
    frame = pd.DataFrame({**typed, **{c: frame[c] for c in extra}}, index=frame.index)
    return codebook.conform(frame, table)


def _dedupe(frame: pd.DataFrame, table: codebook.Table, problems: Problems) -> pd.DataFrame:
    key = _KEYS[table]
    values = [c for c in codebook.names(table) if c not in key]
    dup = frame.duplicated(key, keep=False).to_numpy()
    if not dup.any():
        return frame
    sub = frame[dup]
    group = sub.groupby(key + values, dropna=False, sort=False).ngroup().to_numpy()
    first = pd.Series(sub.index).groupby(group).transform("first").to_numpy()
    copies = sub.index.to_numpy() != first
    drop = set(sub.index[copies])
    child = "student_id" if table == "panel" else None
    for i, f in zip(sub.index[copies], first[copies], strict=True):
        kept = frame.loc[f]
        where = msg("ingest.file_row", file=kept["_file"], row=kept["_row"])
        said = msg("ingest.duplicate_row", where=where)
        _record(problems, frame.loc[i], "duplicate_row", said, child)
    rest = sub[~copies]
    clash = rest[rest.duplicated(key, keep=False)]
    what = msg(f"ingest.key_{table}")
    for _, grp in clash.groupby(key, sort=False):
        rows = [
            msg("ingest.file_row", file=r["_file"], row=r["_row"])
            for _, r in grp.head(6).iterrows()
        ]
        more = msg("ingest.more_rows", rows=len(grp) - 6) if len(grp) > 6 else ""
        said = msg(
            "ingest.duplicate_key", what=what, rows=len(grp), where=join(rows, SEMICOLON), more=more
        )
        for i, r in grp.iterrows():
            _record(problems, r, "duplicate_key", said, child)
            drop.add(i)
    return frame.drop(index=list(drop))


def _record(
    problems: Problems,
    row: pd.Series,
    reason: str,
    text: object,
    child: str | None,
    column: str | None = None,
    value: object = None,
    severity: str | None = None,
) -> None:
    problems.add(
        reason,
        text,
        file=str(row["_file"]),
        sheet=row["_sheet"] if pd.notna(row["_sheet"]) else None,
        row=int(row["_row"]),
        column=column,
        value=value,
        severity=severity,  # type: ignore[arg-type]
        child=str(row[child]) if child else None,
    )


def _township(panel: pd.DataFrame, schools: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    panel = _township_words(panel, schools, problems)
    known = (
        schools.dropna(subset=["township"])
        .groupby("school_id")["township"]
        .agg(lambda s: s.value_counts().index[0])
    )
    lacking = panel["township"].isna()
    filled = panel["school_id"].map(known)
    fill = lacking & filled.notna()
    if fill.any():
        panel.loc[fill, "township"] = filled[fill]
        for file, k in panel.loc[fill, "_file"].value_counts().sort_index().items():
            problems.count_fixes(str(file), "township", Counter({"township_from_schools": k}))
    have = set(schools["school_id"].dropna())
    no_record = ~panel["school_id"].isin(have) & (bool(have) | panel["township"].isna())
    seen = panel.loc[no_record, ["_file", "school_id"]].drop_duplicates()
    for file, school in seen.itertuples(index=False):
        township = msg(
            "ingest.township_unknown"
            if panel.loc[(panel["_file"] == file) & (panel["school_id"] == school), "township"]
            .isna()
            .any()
            else "ingest.township_from_survey"
        )
        problems.add(
            "school_no_record",
            msg("ingest.school_no_record", school=school, township=township),
            file=str(file),
            column="school_id",
            value=school,
        )
    return panel


def _township_words(panel: pd.DataFrame, schools: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    """Townships typed in surveys matched to the schools table (or, without one, to the form
    of a township's code or name); the others set missing (module docstring)."""
    written = panel["township"]
    if not written.notna().any():
        return panel
    known = {label_key(str(t)): str(t) for t in schools["township"].dropna().unique()}
    if known:
        mapped = _each(written, lambda v: known.get(label_key(v)))
        why = msg("ingest.township_not_listed")
    else:
        mapped = _each(written, lambda v: v if is_township(v) else None)
        why = msg("ingest.township_not_a_name")
    return _matched(panel, "township", mapped, "free_text_unmatched", why, problems)


def _matched(
    panel: pd.DataFrame,
    column: str,
    mapped: pd.Series,
    reason: str,
    why: object,
    problems: Problems,
) -> pd.DataFrame:
    """``column`` replaced by its ``mapped`` values; each value typed but not matched is
    recorded under ``reason`` and set missing (never kept as typed)."""
    written = panel[column]
    unmatched = written.notna() & mapped.isna()
    for _, r in panel[unmatched].iterrows():
        _record(problems, r, reason, why, "student_id", column=column, value=r[column])
    panel[column] = mapped.astype(object).where(~unmatched, None).astype(written.dtype)
    return panel


def _each(written: pd.Series, match: Callable[[str], str | None]) -> pd.Series:
    """``match`` applied once per distinct written value (missing stays missing)."""
    found = {v: match(str(v)) for v in written.dropna().unique()}
    return pd.Series([found.get(v) for v in written], index=written.index, dtype=object)


def _destinations(panel: pd.DataFrame, dest: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    written = panel["destination_id"]
    if not written.notna().any():
        return panel
    lookup = {label_key(str(i)): str(i) for i in dest["destination_id"].dropna()}
    for i, name in zip(dest["destination_id"], dest["destination_name"], strict=True):
        if pd.notna(name) and pd.notna(i):
            lookup.setdefault(label_key(str(name)), str(i))
    if lookup:
        mapped = _each(written, lambda v: lookup.get(label_key(v)))
        why = msg("ingest.destination_not_listed")
    else:
        mapped = _each(written, lambda v: v if is_code(v) else None)
        why = msg("ingest.destination_not_a_code")
    return _matched(panel, "destination_id", mapped, "destination_unknown", why, problems)


def _standardise(panel: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    for c in ("math", "chinese"):
        raw = panel[f"_raw_{c}"].to_numpy(bool) & panel[c].notna().to_numpy()
        if not raw.any():
            continue
        sub = panel.loc[raw, [c, "grade", "term"]]
        grp = sub.groupby(["grade", "term"], observed=True)[c]
        z = (sub[c] - grp.transform("mean")) / grp.transform(lambda s: s.std(ddof=0))
        z = z.where(np.isfinite(z)).round(3)
        panel.loc[raw, c] = z
        for file, k in panel.loc[raw, "_file"].value_counts().sort_index().items():
            problems.count_fixes(str(file), c, Counter({"score_standardised": k}))
        lost = panel.index[raw][z.isna().to_numpy()]
        for i in lost:
            _record(
                problems,
                panel.loc[i],
                "score_unstandardised",
                msg("ingest.score_unstandardised"),
                "student_id",
                column=c,
            )
    return panel
