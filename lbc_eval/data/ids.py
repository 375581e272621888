"""Identifiers: resident-ID checksums, synthetic numbers, and keyed pseudonyms.

The 18-character resident ID (GB 11643-1999) is a 6-digit address code, an 8-digit birth date
``YYYYMMDD``, a 3-digit sequence (odd = male) and a check character: with weights
``w = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)``, the remainder
``r = sum(w_k * d_k) mod 11`` maps to ``"10X98765432"[r]`` (ISO 7064 MOD 11-2).

Synthetic IDs use the address prefix ``99``, which no region has, so they can never be
mistaken for a real person's; :func:`is_synthetic` tells them apart.

A child's pseudonymous ``student_id`` is ``HMAC-SHA-256(key, normalised number)`` cut to 16
hex characters (64 bits: at a million children the chance of any collision is below 1e-7).
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterable

import numpy as np

WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
CHECK_CHARS = "10X98765432"
SYNTHETIC_PROVINCE = "99"
ID_HEX_CHARS = 16


_WEIGHTS = tuple(int(w) for w in WEIGHTS)


def check_char(body17: str) -> str:
    """The check character of the first 17 digits of a resident ID."""
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def checksum_ok(resident_id: str) -> bool:
    """True when an 18-character resident ID has 17 digits and the right check character."""
    s = resident_id.strip().upper()
    body = s[:17]
    return len(s) == 18 and body.isascii() and body.isdigit() and check_char(body) == s[17]


def is_synthetic(resident_id: str) -> bool:
    """True for IDs whose address code starts with the synthetic province ``99``."""
    return resident_id.strip().startswith(SYNTHETIC_PROVINCE)


def synthetic_resident_ids(
    area: np.ndarray, birth_yyyymmdd: np.ndarray, male: np.ndarray
) -> np.ndarray:
    """Vectorised synthetic resident IDs ``99AAAA YYYYMMDD SSS C``.

    Parameters
    ----------
    area : int array, values 0-9999
        The 4 digits after ``99`` (the synthetic prefecture and county).
    birth_yyyymmdd : int array
        Birth dates as integers such as 20120305.
    male : bool array
        Decides the parity of the sequence number (odd = male).

    Returns
    -------
    numpy array of str
        Unique per child as long as fewer than 500 children of one sex share an area and a
        birth date.
    """
    area = np.asarray(area, dtype=np.int64)
    birth = np.asarray(birth_yyyymmdd, dtype=np.int64)
    male = np.asarray(male, dtype=bool)
    n = area.size
    # rank within (area, birth date, sex) gives distinct sequence numbers
    key = (area * 100_000_000 + birth) * 2 + male
    order = np.argsort(key, kind="stable")
    sk = key[order]
    start = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1]
    run = np.repeat(start, np.diff(np.r_[start, n]))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - run
    if n and rank.max() >= 500:
        raise ValueError("more than 500 children of one sex share an area and birth date")
    seq = 2 * rank + np.where(male, 1, 2)
    body = 99 * 10**15 + area * 10**11 + birth * 10**3 + seq  # 17 digits
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = np.array(list(CHECK_CHARS))[(digits @ WEIGHTS) % 11]
    return np.char.add(body.astype("U17"), check)


def normalise_number(value: object) -> str:
    """Normalise a student number or resident ID before hashing.

    NFKC (full-width to ASCII), white space removed, upper case, so that ``ｇ99…`` and
    ``G99… `` give the same pseudonym.
    """
    s = unicodedata.normalize("NFKC", str(value))
    return "".join(s.split()).upper()


def pseudonymise(values: Iterable[object], key: bytes, *, normalise: bool = True) -> list[str]:
    """Keyed pseudonyms: ``HMAC-SHA-256(key, normalise_number(v))`` as 16 hex characters.

    The same number gives the same pseudonym in every file and term; without the key the
    number cannot be recovered or confirmed. ``normalise=False`` skips
    :func:`normalise_number` for values already in normal form (the generator's own).
    """
    if len(key) < 16:
        raise ValueError("the pseudonymisation key must be at least 16 bytes")
    digest = hmac.digest
    return [
        digest(key, (normalise_number(v) if normalise else str(v)).encode("utf-8"), "sha256").hex()[
            :ID_HEX_CHARS
        ]
        for v in values
    ]


def synthetic_key(seed: int) -> bytes:
    """The public key that synthetic cohorts of ``seed`` are pseudonymised with.

    Synthetic data protect nobody, so their key is derived from the seed and may be printed;
    ingesting a messy export with it gives back the generator's ``student_id`` values.
    Real data must use a secret key held outside the repository.
    """
    return hashlib.sha256(f"lbc_eval synthetic cohort {int(seed)}".encode()).digest()


#: The province-level address codes in use (GB/T 2260); 99 is none of them.
PROVINCE_CODES: frozenset[str] = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 "
    "64 65 71 81 82".split()
)


def resident_id_problem(value: object, *, allow_synthetic: bool = True) -> str | None:
    """Why a resident ID is invalid, as a stable reason code, or None if it is valid.

    Codes: ``id_length`` (not 18 characters after normalising), ``id_format`` (17 digits and a
    digit or X expected), ``id_province`` (no such province; ``99`` is accepted when
    ``allow_synthetic``), ``id_birth_date`` (not a real date between 1900 and 2099),
    ``id_checksum`` (wrong check character). The value itself is never part of the answer.
    """
    s = normalise_number(value)
    if len(s) != 18:
        return "id_length"
    body = s[:17]
    if not (body.isascii() and body.isdigit()) or s[17] not in "0123456789X":
        return "id_format"
    if s[:2] not in PROVINCE_CODES and not (allow_synthetic and s[:2] == SYNTHETIC_PROVINCE):
        return "id_province"
    if parse_birth_date(s) is None:
        return "id_birth_date"
    if check_char(body) != s[17]:
        return "id_checksum"
    return None


def parse_birth_date(resident_id: str) -> tuple[int, int, int] | None:
    """(year, month, day) encoded in positions 7-14 of a resident ID, or None if not a date."""
    import datetime

    s = normalise_number(resident_id)
    try:
        d = datetime.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return None
    return (d.year, d.month, d.day) if 1900 <= d.year <= 2099 else None


def sex_from_resident_id(resident_id: str) -> str:
    """``"male"`` when the sequence digit (17th character) is odd, else ``"female"``."""
    return "male" if int(normalise_number(resident_id)[16]) % 2 else "female"
