"""Identifiers: resident-ID check characters, synthetic IDs, keyed pseudonyms."""

from __future__ import annotations

import hashlib
import hmac

import numpy as np
import pytest

from lbc_eval.data import ids

KEY = b"0123456789abcdef"  # 16 bytes, the shortest key allowed


# Worked by hand from the module docstring's rule (ISO 7064 MOD 11-2):
# weights w = 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2, r = sum(w_k d_k) mod 11,
# check character = "10X98765432"[r].
@pytest.mark.parametrize(
    ("body", "check"),
    [
        # 9 9 0 1 0 1 2 0 1 5 0 3 0 5 0 0 7 -> 63+81+0+5+0+4+4+0+6+15+0+27+0+25+0+0+14 = 244,
        # 244 mod 11 = 2 -> 'X' (a synthetic body: no real ID is written in the repository)
        ("99010120150305007", "X"),
        # 4 4 0 5 2 4 1 8 8 0 0 1 0 1 0 0 1 -> 28+36+0+25+16+16+2+8+48+0+0+9+0+5+0+0+2 = 195,
        # 195 mod 11 = 8 -> '4'
        ("44052418800101001", "4"),
        # 9 9 0 1 0 1 2 0 1 5 0 3 0 5 0 0 1 -> 63+81+0+5+0+4+4+0+6+15+0+27+0+25+0+0+2 = 232,
        # 232 mod 11 = 1 -> '0'
        ("99010120150305001", "0"),
        # all zeros -> 0, 0 mod 11 = 0 -> '1'
        ("00000000000000000", "1"),
    ],
)
def test_check_char_worked_examples(body, check):
    assert ids.check_char(body) == check
    assert ids.checksum_ok(body + check)


@pytest.mark.parametrize(
    ("resident_id", "ok"),
    [
        ("99010120150305007X", True),
        ("99010120150305007x", True),  # lower-case x
        (" 440524188001010014 ", True),  # padding
        ("440524188001010015", False),  # wrong check character
        ("44052418800101001", False),  # 17 characters
        ("4405241880010100144", False),  # 19 characters
        ("44052418800101A014", False),  # a letter in the body
    ],
)
def test_checksum_ok(resident_id, ok):
    assert ids.checksum_ok(resident_id) is ok


def test_synthetic_ids_are_unique_valid_and_encode_birth_date_and_sex():
    rng = np.random.default_rng(1)
    n = 5000
    area = rng.integers(100, 104, n)  # few areas and dates: many children share them
    birth = rng.choice([20120305, 20120306, 20131231], n)
    male = rng.random(n) < 0.5
    out = ids.synthetic_resident_ids(area, birth, male)
    assert len(set(out.tolist())) == n
    for s, a, b, m in zip(out.tolist(), area, birth, male, strict=True):
        assert len(s) == 18 and s.startswith("99") and ids.is_synthetic(s)
        assert ids.checksum_ok(s)
        assert s[2:6] == f"{a:04d}"
        assert s[6:14] == str(b)
        assert int(s[16]) % 2 == (1 if m else 0)  # odd sequence number = male


def test_synthetic_ids_refuse_too_many_children_per_area_date_and_sex():
    n = 501
    with pytest.raises(ValueError, match="more than 500 children"):
        ids.synthetic_resident_ids(np.full(n, 100), np.full(n, 20120305), np.ones(n, bool))


def test_real_looking_ids_are_not_synthetic():
    # a real province code (44), built at run time so the file holds no ID-shaped number
    assert not ids.is_synthetic("44" + "0524188001010014")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ｇ９９０１ ０１", "G990101"),  # full-width letters and digits, an inner space
        (" g990101\t", "G990101"),
        ("99010120150305007x", "99010120150305007X"),
        (990101, "990101"),
    ],
)
def test_normalise_number(raw, expected):
    assert ids.normalise_number(raw) == expected


def test_pseudonyms_are_keyed_hmac_sha256_cut_to_16_hex():
    [p] = ids.pseudonymise(["G990101"], KEY)
    assert p == hmac.new(KEY, b"G990101", hashlib.sha256).hexdigest()[:16]
    assert len(p) == 16 and all(ch in "0123456789abcdef" for ch in p)


def test_pseudonyms_are_deterministic_and_normalised():
    a = ids.pseudonymise(["G990101", "ｇ９９０１０１", " g990 101 ", "G990102"], KEY)
    assert a[0] == a[1] == a[2]
    assert a[3] != a[0]
    assert ids.pseudonymise(["G990101"], KEY) == a[:1]


def test_pseudonyms_depend_on_the_key():
    other = b"0123456789abcdeF"
    assert ids.pseudonymise(["G990101"], KEY) != ids.pseudonymise(["G990101"], other)


def test_short_keys_are_refused():
    with pytest.raises(ValueError, match="at least 16 bytes"):
        ids.pseudonymise(["G990101"], b"0123456789abcde")


def test_synthetic_key_is_per_seed_and_long_enough():
    assert ids.synthetic_key(3) == ids.synthetic_key(3)
    assert ids.synthetic_key(3) != ids.synthetic_key(4)
    assert len(ids.synthetic_key(3)) >= 16
