"""The cohort tables of a simulated county, in the codebook's dtypes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from lbc_eval.data.codebook import conform
from lbc_eval.synth.dgp import BOTH, EXITS, GUARDIANS, LB_LEVELS, NONE, ROLES
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.world import World

STR = pd.StringDtype(na_value=np.nan)


def _str(labels: np.ndarray, codes: np.ndarray) -> pd.Series:
    """Strings ``labels[codes]`` (code -1 = missing) as the codebook's string dtype."""
    return pd.Series(pd.array(labels, dtype=STR).take(codes, allow_fill=True))


def _numbered(prefix: str, numbers: np.ndarray, width: int, suffix: str = "") -> pd.Series:
    """``prefix + zero-padded number + suffix`` for every number, vectorised in Arrow."""
    digits = pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width=width, padding="0")
    return pd.Series(pd.array(pc.binary_join_element_wise(prefix, digits, suffix, ""), dtype=STR))


def _cat(levels: list[str], codes: np.ndarray) -> pd.Series:
    return pd.Series(pd.Categorical.from_codes(codes, categories=levels))


def _int(values: np.ndarray, bits: int, missing: np.ndarray | None = None) -> pd.Series:
    mask = np.zeros(values.size, bool) if missing is None else missing
    arr = pd.arrays.IntegerArray(values.astype(f"int{bits}"), mask)
    return pd.Series(arr)


def term_frame(
    spec: SynthSpec,
    w: World,
    t: int,
    idx: np.ndarray,
    grade: np.ndarray,
    lb: np.ndarray,
    hh: np.ndarray,
    school: np.ndarray,
    class_k: np.ndarray,
    role: np.ndarray,
    talks: np.ndarray,
    home: np.ndarray,
    acts: np.ndarray,
    par: np.ndarray,
    n_couns: np.ndarray,
    hours: np.ndarray,
    scholarship: np.ndarray,
    hotline: np.ndarray,
    moves: np.ndarray,
    exit_code: np.ndarray,
    y_rec: dict[str, np.ndarray],
    miss: dict[str, np.ndarray],
    junior: np.ndarray,
) -> pd.DataFrame:
    """The panel rows of term ``t`` for the enrolled children ``idx``, in codebook dtypes."""
    s = school[idx]
    n_cohorts = w.class_effect.shape[1]
    kmax = w.class_effect.shape[2]
    ckey = (s * n_cohorts + (w.cohort[idx] - w.cohort0)) * kmax + class_k[idx]
    uniq, inv = np.unique(ckey, return_inverse=True)
    c_school, rest = np.divmod(uniq, n_cohorts * kmax)
    c_cohort, c_k = np.divmod(rest, kmax)
    class_labels = np.array(
        [
            f"{w.school_codes[a]}-{b + w.cohort0}-{c + 1:02d}"
            for a, b, c in zip(c_school, c_cohort, c_k, strict=True)
        ]
    )
    guardian = np.where(lb == BOTH, w.guardian_both, 0)
    dest = np.where(hh != NONE, w.destination, -1)
    term = spec.terms[t]
    cols: dict[str, pd.Series] = {
        "student_id": pd.Series(w.student_id.take(idx)),
        "school_id": _str(w.school_codes, s),
        "class_id": _str(class_labels, inv.astype(np.int64)),
        "township": _str(w.township_codes, w.school_township[s]),
        "term": pd.Series(pd.array([term] * idx.size, dtype=pd.StringDtype(na_value=np.nan))),
        "grade": _int(grade[idx], 8),
        "sex": _cat(["male", "female"], np.where(w.male[idx], 0, 1)),
        "birth_year": _int(w.birth_year[idx], 16),
        "boarding": pd.Series(pd.array(w.boarder[idx] & junior[idx], dtype="boolean")),
        "lb_status": _cat(LB_LEVELS, lb[idx].astype(np.int8)),
        "guardian": _cat(GUARDIANS, guardian[idx].astype(np.int8)),
        "destination_id": _str(w.dest_codes, dest[idx]),
        "low_income": pd.Series(pd.array(w.low_income[idx], dtype="boolean")),
        "mentor_role": _cat(ROLES, role[idx].astype(np.int8)),
        "talks": _int(talks[idx], 16),
        "home_visits": _int(home[idx], 16),
        "activities": _int(acts[idx], 16),
        "parent_contacts": _int(par[idx], 16),
        "counseling": _int(n_couns[idx], 16),
        "tutoring_hours": pd.Series(hours[idx]),
        "scholarship_yuan": _int(scholarship[idx], 32),
        "hotline_calls": _int(hotline[idx], 16),
        "moved_to_parents": pd.Series(pd.array(moves[idx], dtype="boolean")),
        "exit_reason": _cat(EXITS, exit_code[idx].astype(np.int8)),
        "math": pd.Series(np.where(miss["math"][idx], np.nan, y_rec["math"][idx])),
        "chinese": pd.Series(np.where(miss["chinese"][idx], np.nan, y_rec["chinese"][idx])),
        "sdq_total": _int(y_rec["sdq_total"][idx], 8, miss["sdq_total"][idx]),
        "attendance": pd.Series(
            np.where(miss["attendance"][idx], np.nan, y_rec["attendance"][idx])
        ),
    }
    return conform(pd.DataFrame(cols), "panel")


def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate term frames column by column, freeing each term's column as it goes, so
    the panel is never held twice."""
    names = list(frames[0].columns)
    out: dict[str, pd.Series] = {}
    for name in names:
        out[name] = pd.concat([f[name] for f in frames], ignore_index=True)
        for f in frames:
            del f[name]
    return pd.DataFrame(out)


def schools_table(spec: SynthSpec, w: World, enrol: np.ndarray) -> pd.DataFrame:
    """One row per school and year; ``enrol`` is the autumn head count, schools x years."""
    n_years = spec.n_terms // 2
    S = w.n_schools
    s = np.repeat(np.arange(S), n_years)
    y = np.tile(np.arange(n_years), S)
    frame = pd.DataFrame(
        {
            "school_id": w.school_codes[s],
            "year": spec.start_year + y,
            "township": w.township_codes[w.school_township[s]],
            "level": pd.Categorical.from_codes(
                w.school_level[s], ["primary", "junior", "nine_year"]
            ),
            "enrolment": enrol[s, y],
            "teachers": w.school_teachers[s],
            "new_teachers": w.new_teachers[s, y],
            "training_person_times": w.training_person_times[s, y],
            "trained_share": w.trained_share[s, y],
            "backbone_provincial": w.backbone[s, 0],
            "backbone_municipal": w.backbone[s, 1],
            "backbone_county": w.backbone[s, 2],
            "parent_school": w.parent_school[s],
            "lb_home": w.lb_home[s],
            "tutoring_programme": w.tutoring_programme[s],
        }
    )
    return conform(frame, "schools")


def destinations_table(spec: SynthSpec, w: World) -> pd.DataFrame:
    year = w.dest_policy_year
    frame = pd.DataFrame(
        {
            "destination_id": w.dest_codes,
            "destination_name": w.dest_names,
            "scope": pd.Categorical.from_codes(
                w.dest_scope, ["in_county", "in_province", "out_of_province"]
            ),
            "policy_year": pd.array(np.where(year >= 0, year, 0), dtype="Int16"),
        }
    )
    frame.loc[year < 0, "policy_year"] = pd.NA
    return conform(frame, "destinations")


def roster(w: World) -> pd.DataFrame:
    """Synthetic identifying fields (placeholders; IDs use province 99), for the messy export."""
    width = len(str(w.n))
    i = np.arange(1, w.n + 1)
    d = w.birth_date
    return pd.DataFrame(
        {
            "student_id": w.student_id,
            "name": _numbered("学生", i, width),
            "student_no": pd.array(w.student_no, dtype=STR),
            "resident_id": pd.array(w.resident_id, dtype=STR),
            "birth_date": pd.Series(
                pd.array(
                    pc.binary_join_element_wise(
                        pa.array(d // 10_000).cast(pa.string()),
                        pc.utf8_lpad(pa.array(d // 100 % 100).cast(pa.string()), 2, "0"),
                        pc.utf8_lpad(pa.array(d % 100).cast(pa.string()), 2, "0"),
                        "-",
                    ),
                    dtype=STR,
                )
            ),
            "guardian_name": _numbered("家长", i, width),
            "phone": _numbered("100", i, 8),
            "address": _numbered("测试地址", i, width, "号"),
        }
    )


# --- truth ----------------------------------------------------------------------------------
