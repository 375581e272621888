"""Who a row is about: the identifier, its pseudonym, and what the resident ID tells.

Rules (in this order):

1. A student number (学籍号) is the identifier. The national student number of a child with a
   resident ID is ``G`` followed by the ID, so a number of that form must carry a valid ID
   (``id_*`` codes otherwise); an 18-character resident ID written in the student-number column
   is read as that number (fix ``student_no_prefixed``). Other numbers (``L…``, ``J…``, a
   school's own numbering) are taken as written.
2. Without a student number, a valid resident ID gives the number ``G`` + ID (fix
   ``student_no_from_id``), so the same child gets the same pseudonym in forms that have one,
   the other, or both.
3. A resident ID that is not the identifier and is invalid is ignored (a warning with its
   ``id_*`` code); one that is valid but differs from the student number's ID part is
   ``id_mismatch`` (one of the two belongs to someone else).
4. ``student_id = HMAC-SHA-256(key, number)`` (16 hex, :func:`lbc_eval.data.ids.pseudonymise`);
   sex and birth year are read from the valid resident ID (or the ID part of the student
   number). The numbers themselves go no further than this module.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from lbc_eval.data.ids import pseudonymise, resident_id_problem

_ID_CHARS = re.compile(r"[0-9X]+")
_BARE_ID = re.compile(r"\d{17}[\dX]")


@dataclass
class Identity:
    """The outcome of :func:`identify` for each row.

    Attributes
    ----------
    student_id : numpy object array
        Pseudonyms, ``None`` where the row has no usable identifier.
    id_sex, id_birth_year : numpy object arrays
        Sex and birth year from a valid resident ID, ``None`` where there is none.
    issues : list of (index, column, reason, severity)
        Problems found, by position in the input arrays.
    fixes : Counter
        ``student_no_from_id`` and ``student_no_prefixed`` counts.
    """

    student_id: np.ndarray
    id_sex: np.ndarray
    id_birth_year: np.ndarray
    issues: list[tuple[int, str, str, str]] = field(default_factory=list)
    fixes: Counter[str] = field(default_factory=Counter)


def identify(
    student_no: np.ndarray | None,
    resident_id: np.ndarray | None,
    n: int,
    *,
    key: bytes,
    student_no_reasons: np.ndarray | None = None,
    resident_id_reasons: np.ndarray | None = None,
    allow_synthetic: bool = True,
) -> Identity:
    """Resolve each row's identifier and pseudonymise it (rules in the module docstring).

    Parameters
    ----------
    student_no, resident_id : object arrays or None
        Normalised numbers (``None`` = blank), or None when the form has no such column.
    n : int
        Number of rows.
    key : bytes
        The pseudonymisation key.
    student_no_reasons, resident_id_reasons : object arrays, optional
        Reason codes from reading the cells (``id_precision_lost``, ``id_format``).
    allow_synthetic : bool
        Accept the synthetic province code 99.
    """
    ident = Identity(
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
        np.full(n, None, dtype=object),
    )
    numbers: list[str] = []
    where: list[int] = []
    issues, fixes = ident.issues, ident.fixes
    for i in range(n):
        sn = student_no[i] if student_no is not None else None
        rid = resident_id[i] if resident_id is not None else None
        sn_reason = student_no_reasons[i] if student_no_reasons is not None else None
        rid_reason = resident_id_reasons[i] if resident_id_reasons is not None else None
        if rid is not None or rid_reason is not None:
            rid_reason = rid_reason or resident_id_problem(rid, allow_synthetic=allow_synthetic)
        source = None
        if sn is not None or sn_reason is not None:
            body = None
            if sn_reason is None and sn.startswith("G") and _ID_CHARS.fullmatch(sn[1:]):
                body = sn[1:]
                sn_reason = resident_id_problem(body, allow_synthetic=allow_synthetic)
            elif sn_reason is None and _BARE_ID.fullmatch(sn):
                sn_reason = resident_id_problem(sn, allow_synthetic=allow_synthetic)
                if sn_reason is None:
                    body, sn = sn, "G" + sn
                    fixes["student_no_prefixed"] += 1
            if sn_reason is not None:
                issues.append((i, "student_id", sn_reason, "quarantine"))
                if rid_reason is not None:
                    issues.append((i, "resident_id", rid_reason, "quarantine"))
                continue
            if rid is not None or rid_reason is not None:
                if rid_reason is not None:
                    issues.append((i, "resident_id", rid_reason, "warning"))
                elif body is not None and body != rid:
                    issues.append((i, "resident_id", "id_mismatch", "quarantine"))
                    continue
            number = sn
            source = rid if rid_reason is None and rid is not None else body
        elif rid is not None or rid_reason is not None:
            if rid_reason is not None:
                issues.append((i, "resident_id", rid_reason, "quarantine"))
                continue
            number, source = "G" + rid, rid
            fixes["student_no_from_id"] += 1
        else:
            issues.append((i, "student_id", "missing_value", "quarantine"))
            continue
        numbers.append(number)
        where.append(i)
        if source is not None:
            ident.id_birth_year[i] = int(source[6:10])
            ident.id_sex[i] = "male" if int(source[16]) % 2 else "female"
    if where:
        ident.student_id[np.asarray(where)] = np.asarray(
            pseudonymise(numbers, key, normalise=False), dtype=object
        )
    return ident
