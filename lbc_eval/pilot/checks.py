"""What the registered analysis checks before and beside its estimates: the analysis frame,
every deviation of the data (and of the spec) from the plan, and attrition by arm.

:func:`follow_up_frame` builds the children of the follow-up term in the registered schools
with their registered arm and stratum and their baseline outcomes, and says what it found
(schools missing or extra, outcomes missing, the baseline SDs). :func:`deviation_rows` turns
that, the spec's hashes and the arms delivered into the deviation report, one row per check
of :data:`lbc_eval.pilot.document.DEVIATIONS`. :func:`attrition` applies the registered
attrition rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from lbc_eval.data.terms import ordered_terms
from lbc_eval.errors import EstimationError
from lbc_eval.pilot.document import DEVIATIONS
from lbc_eval.pilot.register import PilotSpec
from lbc_eval.pilot.text import bilingual

#: Children in this grade at baseline leave compulsory school; they are not attrition.
LAST_GRADE = 9


def follow_up_frame(panel: pd.DataFrame, spec: PilotSpec) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The analysis rows and what was found.

    Returns the follow-up term's children in registered schools with ``school_id``,
    ``stratum``, ``treated`` (0/1, the registered arm), each family outcome and
    ``baseline_<outcome>``; and a dict with ``missing_schools``, ``extra_schools``,
    ``outcomes`` (those present), ``missing_outcomes``, ``baseline`` (the baseline term is in
    the data) and ``sd`` (each outcome's SD over the baseline term's children in the
    registered schools).
    """
    c = spec.content
    follow, base = c["terms"]["follow_up"], c["terms"]["baseline"]
    if "term" not in panel or "school_id" not in panel:
        raise EstimationError("the panel needs term and school_id columns")
    terms = ordered_terms(panel["term"].dropna().unique())
    if follow not in terms:
        raise EstimationError(
            bilingual(f"登记的随访学期 {follow} 不在数据中（数据的学期：{', '.join(terms)}）",
                      f"the registered follow-up term {follow} is not in the data (its terms: "
                      f"{', '.join(terms)}); analyse the pilot year's cohort"),
        )  # fmt: skip
    arms = spec.arms()
    strata = {s["school_id"]: s["stratum"] for s in c["randomisation"]["schools"]}
    treated_arm = c["randomisation"]["arms"][1]
    family = spec.family
    term = panel["term"]
    cols = [c for c in ("student_id", "school_id", *family) if c in panel]
    rows = panel.loc[term == follow, cols]
    school = rows["school_id"].astype(str)
    seen = set(school)
    present = [o for o in family if o in rows and rows[o].notna().any()]
    keep = school.isin(set(arms))
    frame = pd.DataFrame({"school_id": school[keep]})
    if "student_id" in rows:
        frame["student_id"] = rows.loc[keep, "student_id"].astype(str)
    frame["stratum"] = frame["school_id"].map(strata)
    frame["treated"] = (frame["school_id"].map(arms) == treated_arm).astype(float)
    for o in present:
        frame[o] = pd.to_numeric(rows.loc[keep, o], errors="coerce").astype(float)
    has_base = base in terms and "student_id" in panel
    sd: dict[str, float] = {}
    if has_base:
        b = panel.loc[term == base, cols]
        b = b[b["school_id"].astype(str).isin(set(arms))].drop_duplicates("student_id")
        b = b.set_index(b["student_id"].astype(str))
        for o in present:
            values = pd.to_numeric(b[o], errors="coerce").astype(float)
            frame[f"baseline_{o}"] = frame["student_id"].map(values)
            sd[o] = float(values.std(ddof=1))
    for o in present:
        if f"baseline_{o}" not in frame:
            frame[f"baseline_{o}"] = np.nan
    found = {
        "missing_schools": sorted(set(arms) - seen),
        "extra_schools": sorted(seen - set(arms)),
        "outcomes": present,
        "missing_outcomes": [o for o in family if o not in present],
        "baseline": has_base,
        "sd": sd,
    }
    return frame.reset_index(drop=True), found


def _listed(items: list[str], k: int = 8) -> str:
    return ", ".join(items[:k]) + (f" … (+{len(items) - k})" if len(items) > k else "")


def deviation_rows(
    spec: PilotSpec,
    found: Mapping[str, Any],
    *,
    registered_hash: str | None = None,
    delivered: Mapping[str, str] | pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The deviation report: ``table`` (``check, deviation, count, message_zh, message_en``;
    ``deviation`` NA when the check could not be made), ``diagnostics`` rows and ``notes``."""
    rows: list[dict[str, Any]] = []

    def add(check: str, deviated: bool | None, count: int, zh: str, en: str) -> None:
        head_zh, head_en = DEVIATIONS[check]
        if deviated:
            zh, en = f"{head_zh}：{zh}", f"{head_en}: {en}"
        rows.append({"check": check, "deviation": deviated, "count": count,
                     "message_zh": zh, "message_en": en})  # fmt: skip

    h = spec.hash
    if spec.stored_hash is None:
        add("spec_hash", None, 0, f"规格在本次会话中生成，哈希值 {h}",
            f"spec made in this session, hash {h}")  # fmt: skip
    else:
        stored = spec.stored_hash[:16]
        add("spec_hash", spec.edited, int(spec.edited),
            f"文件记录 {stored}…，内容为 {h[:16]}…" if spec.edited else f"哈希值一致：{h}",
            f"the file records {stored}…, its content hashes to {h[:16]}…"
            if spec.edited else f"hash matches: {h}")  # fmt: skip
    if registered_hash is None:
        add("registered_hash", None, 0, "未提供登记时公布的哈希值", "no published hash given")
    else:
        bad = registered_hash.strip().lower() != h
        add("registered_hash", bad, int(bad),
            f"公布的是 {registered_hash[:16]}…，规格为 {h[:16]}…" if bad else "与公布的哈希值一致",
            f"published {registered_hash[:16]}…, the spec is {h[:16]}…" if bad
            else "matches the published hash")  # fmt: skip
    follow, base = spec.content["terms"]["follow_up"], spec.content["terms"]["baseline"]
    add("follow_up_term", False, 0, f"随访学期 {follow} 在数据中", f"follow-up term {follow} found")
    nb = not found["baseline"]
    add("baseline_term", nb, int(nb), f"基线学期 {base} " + ("缺失" if nb else "在数据中"),
        f"baseline term {base} " + ("missing" if nb else "found"))  # fmt: skip
    for check in ("missing_schools", "extra_schools", "missing_outcomes"):
        items = list(found[check])
        add(check, bool(items), len(items), _listed(items) or "无", _listed(items) or "none")
    if delivered is None:
        add("delivered_arms", None, 0, "未提供实际实施的组别", "no delivered arms given")
    else:
        given = (dict(zip(delivered["school_id"].astype(str), delivered["arm"].astype(str),
                          strict=True)) if isinstance(delivered, pd.DataFrame)
                 else {str(k): str(v) for k, v in delivered.items()})  # fmt: skip
        arms = spec.arms()
        differ = sorted(s for s, a in given.items() if s in arms and arms[s] != a)
        add("delivered_arms", bool(differ), len(differ),
            _listed([f"{s}（分配 {arms[s]}，实施 {given[s]}）" for s in differ]) or "与分配一致",
            _listed([f"{s} (assigned {arms[s]}, delivered {given[s]})" for s in differ])
            or "as assigned")  # fmt: skip
    table = pd.DataFrame(rows)
    table["deviation"] = table["deviation"].astype("boolean")
    diagnostics = [
        {"check": r["check"], "statistic": float(r["count"]),
         "passed": pd.NA if r["deviation"] is None else not r["deviation"],
         "message": r["message_en"]}
        for r in rows
    ]  # fmt: skip
    notes = [r["message_en"] for r in rows if r["deviation"]]
    return {"table": table, "diagnostics": diagnostics, "notes": notes}


def attrition(panel: pd.DataFrame, spec: PilotSpec) -> dict[str, Any]:
    """Attrition by arm and the registered rule.

    The baseline sample is the baseline term's children in the registered schools below
    grade :data:`LAST_GRADE` (arm: their baseline school's); a child is followed when the
    primary outcome is recorded at follow-up in a registered school. Returns ``table``
    (``arm, n_baseline, n_followed, attrition``, then ``overall``) and the ``attrition``
    diagnostic: statistic = treatment minus control attrition; passed when overall attrition
    and that difference are within the registered bounds.
    """
    c = spec.content
    base, follow, o = c["terms"]["baseline"], c["terms"]["follow_up"], spec.outcome
    rule = c["attrition"]
    arms = spec.arms()
    cols = ["arm", "n_baseline", "n_followed", "attrition"]
    if "student_id" not in panel or not (panel["term"] == base).any() or o not in panel:
        why = "not computed: no baseline term, no student_id or no outcome column"
        return {"table": pd.DataFrame(columns=cols),
                "diagnostic": {"check": "attrition", "passed": pd.NA, "message": why}}  # fmt: skip
    need = [c for c in ("student_id", "school_id", "grade", o) if c in panel]
    b = panel.loc[panel["term"] == base, need]
    b = b[b["school_id"].astype(str).isin(set(arms))]
    if "grade" in b:
        b = b[pd.to_numeric(b["grade"], errors="coerce").fillna(0) < LAST_GRADE]
    f = panel.loc[panel["term"] == follow, need]
    f = f[f["school_id"].astype(str).isin(set(arms))]
    followed = set(f.loc[f[o].notna(), "student_id"].astype(str))
    sample = pd.DataFrame({"arm": b["school_id"].astype(str).map(arms),
                           "followed": b["student_id"].astype(str).isin(followed)})  # fmt: skip
    out = []
    for arm in [*c["randomisation"]["arms"], "overall"]:
        s = sample if arm == "overall" else sample[sample["arm"] == arm]
        n = len(s)
        k = int(s["followed"].sum())
        out.append({"arm": arm, "n_baseline": n, "n_followed": k,
                    "attrition": 1 - k / n if n else np.nan})  # fmt: skip
    table = pd.DataFrame(out, columns=cols)
    ctrl, trt, overall = table["attrition"].tolist()
    diff = trt - ctrl
    ok = bool(overall <= rule["max_overall"] and abs(diff) <= rule["max_differential"])
    msg = (f"attrition {overall:.1%} overall (at most {rule['max_overall']:.0%}), treatment minus "
           f"control {diff:+.1%} (at most ±{rule['max_differential']:.0%})")  # fmt: skip
    return {"table": table, "diagnostic": {"check": "attrition", "statistic": diff,
                                           "passed": ok, "message": msg}}  # fmt: skip
