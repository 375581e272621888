"""The problems :mod:`lbc_eval.synth.export` plants in the school files, as schools make them:
resident IDs and student numbers with a wrong check character or a dropped digit (never one of
the leading ``99``), zeros written ``无`` or ``-``, numbers in full-width digits and stray
spaces in text cells (exact duplicate rows are planted by the file writer).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lbc_eval.data.ids import CHECK_CHARS

#: The kinds of planted problems, as the manifest names them.
PROBLEMS = ("duplicate_rows", "invalid_ids", "zero_text_cells", "fullwidth_cells",
            "stray_spaces")
#: Count columns (a zero may be written as text) and text columns (may get a stray space).
COUNTS = ("talks", "home_visits", "activities", "parent_contacts", "counseling",
          "tutoring_hours", "scholarship_yuan", "hotline_calls")
TEXT = ("name", "guardian_name", "address", "destination_id", "lb_status", "guardian",
        "mentor_role")
FULLWIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
STRAY_SPACE_RATE = 0.01


def corrupt(ids: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A wrong check character or a dropped digit (never one of the leading ``99``)."""
    drop = rng.random(len(ids)) < 0.5
    pos, shift = rng.integers(2, 17, len(ids)), rng.integers(1, 11, len(ids))
    out = []
    for s, d, p, k in zip(ids, drop, pos, shift, strict=True):  # the few corrupted cells only
        pre, body = ("G", s[1:]) if s.startswith("G") else ("", s)
        body = body[:p] + body[p + 1:] if d else \
            body[:17] + CHECK_CHARS[(CHECK_CHARS.index(body[17]) + k) % 11]
        out.append(pre + body)
    return np.array(out, dtype=object)


def mess(values: dict[str, np.ndarray], rng: np.random.Generator, rates: dict[str, float],
          numbers: tuple[str, ...]) -> dict[str, dict[str, np.ndarray]]:
    """Plant the cell problems in place; return each kind's mask per column."""
    n = len(values["seq"])
    kinds: dict[str, dict[str, np.ndarray]] = {k: {} for k in PROBLEMS[1:]}
    for c, v in values.items():
        u, zero = rng.random(n), np.zeros(n, dtype=bool)
        if c in ("student_no", "resident_id"):
            m = kinds["invalid_ids"][c] = u < rates["invalid_id_rate"]
            v[m] = corrupt(v[m], rng)
        if c in COUNTS:
            zero = kinds["zero_text_cells"][c] = (v == 0) & (u < rates["zero_text_rate"])
            v[zero] = rng.choice(np.array(["无", "-"], dtype=object), int(zero.sum()))
        if c in numbers:
            m = (v != None) & ~zero & (rng.random(n) < rates["fullwidth_rate"])  # noqa: E711
            kinds["fullwidth_cells"][c] = m
            v[m] = pd.Series(v[m], dtype=object).astype(str).str.translate(FULLWIDTH)
        if c in TEXT:
            m = kinds["stray_spaces"][c] = (v != None) & (u < STRAY_SPACE_RATE)  # noqa: E711
            v[m] = np.where(rng.random(int(m.sum())) < 0.5, " " + v[m], v[m] + " ")
    return kinds
