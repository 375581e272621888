"""Who a row is about, and with which key: 学号 is a class roll number, wrapped student numbers,
weak keys, and a cohort never written over with another key.

Every file here is built by hand (openpyxl, or CSV text written line by line), with synthetic
resident IDs (province 99) and fake names such as 测试甲.
"""

from __future__ import annotations

import json
import os

import pytest

from lbc_eval import read_cohort
from lbc_eval.cli import main
from lbc_eval.data.ids import pseudonymise
from lbc_eval.errors import IngestKeyError
from lbc_eval.ingest import create_key, ingest, load_key
from lbc_eval.ingest.keys import MIN_DISTINCT_BYTES, fingerprint, key_problem
from tests.ingest.files import KEY, resident_ids, write_xlsx

WITH_ROLL = ["学号", "姓名", "学籍号", "乡镇", "年级", "留守类型"]
ROLL_AFTER = ["姓名", "学籍号", "乡镇", "年级", "留守类型", "学号"]
ROLL_ONLY = ["学号", "姓名", "性别", "出生年份", "乡镇", "年级", "留守类型"]
NO_ROLL = ["学籍号", "姓名", "乡镇", "年级", "留守类型"]


def _children(n: int, start: int) -> list[str]:
    """``n`` synthetic resident IDs (born 2014: grade 4 in 2024)."""
    return resident_ids(n, start=start)


def _rows(rids: list[str], header: list[str], rolls: list[int] | None = None) -> list[list]:
    """Rows under ``header``: 学号 = the roll number, 学籍号 = G + the resident ID."""
    rolls = list(range(1, len(rids) + 1)) if rolls is None else rolls
    out = []
    for k, (rid, roll) in enumerate(zip(rids, rolls, strict=True)):
        cells = {
            "学号": roll,
            "姓名": f"测试甲{k:02d}",
            "学籍号": "G" + rid,
            "身份证号": rid,
            "性别": "男" if k % 2 else "女",
            "出生年份": 2014,
            "乡镇": "T01",
            "年级": "四年级",
            "留守类型": "父母均外出",
        }
        out.append([cells[h] for h in header])
    return out


def _reasons(result, severity: str) -> dict[str, int]:
    frame = result.problems[result.problems["severity"] == severity]
    return frame["reason"].value_counts().to_dict()


def _pseudonyms(rids: list[str], key: bytes = KEY) -> list[str]:
    return pseudonymise(["G" + r for r in rids], key)


# --- 学号 is a class roll number -----------------------------------------------------------------


def test_roll_numbers_beside_student_numbers_never_link_children(tmp_path):
    s01, s02 = _children(30, 0), _children(30, 100)
    write_xlsx(tmp_path / "S01_2024-1_留守.xlsx", _rows(s01, WITH_ROLL), header=WITH_ROLL)
    write_xlsx(tmp_path / "S02_2024-1_留守.xlsx", _rows(s02, ROLL_AFTER), header=ROLL_AFTER)
    spring = _rows(s01, WITH_ROLL, rolls=list(range(30, 0, -1)))  # seats changed, same children
    write_xlsx(tmp_path / "S01_2024-2_留守.xlsx", spring, header=WITH_ROLL)

    result = ingest(tmp_path, key=KEY)

    panel = result.cohort.panel
    t = result.manifest["totals"]
    assert (t["rows_read"], t["rows_accepted"], t["rows_quarantined"]) == (90, 90, 0)
    assert result.adds_up
    assert _reasons(result, "quarantine") == {}
    assert _reasons(result, "warning") == {"roll_number_ignored": 3}  # one per file
    assert "学号" in result.warnings["message"][0] and "学籍号" in result.warnings["message"][0]
    assert panel["student_id"].nunique() == 60
    assert set(panel["student_id"]) == set(_pseudonyms(s01 + s02))
    assert (panel.groupby("student_id", observed=True)["sex"].nunique() == 1).all()
    both_terms = panel[panel["school_id"] == "S01"].groupby("student_id", observed=True).size()
    assert len(both_terms) == 30 and (both_terms == 2).all()
    first = panel.set_index(["student_id", "term"]).sort_index()
    sid = _pseudonyms(s01[:1])[0]
    assert first.loc[(sid, "2024-1"), "sex"] == first.loc[(sid, "2024-2"), "sex"]


def test_a_resident_id_wins_over_a_roll_number(tmp_path):
    header = ["学号", "姓名", "身份证号", "乡镇", "年级", "留守类型"]
    rids = _children(12, 200)
    write_xlsx(tmp_path / "S03_2024-1_留守.xlsx", _rows(rids, header), header=header)

    result = ingest(tmp_path, key=KEY)

    assert result.manifest["totals"]["rows_accepted"] == 12 and result.adds_up
    assert _reasons(result, "quarantine") == {}
    assert _reasons(result, "warning") == {"roll_number_ignored": 1}
    assert sorted(result.cohort.panel["student_id"]) == sorted(_pseudonyms(rids))
    assert result.manifest["totals"]["fixes"]["student_no_from_id"] == 12


def test_a_survey_with_only_roll_numbers_is_quarantined(tmp_path):
    roll_only = _rows(_children(30, 300), ROLL_ONLY)
    write_xlsx(tmp_path / "S04_2024-1_留守.xlsx", roll_only, header=ROLL_ONLY)
    rids = _children(5, 400)
    write_xlsx(tmp_path / "S05_2024-1_留守.xlsx", _rows(rids, WITH_ROLL), header=WITH_ROLL)

    result = ingest(tmp_path, key=KEY)

    files = result.files.set_index("file")
    s04 = files.loc["S04_2024-1_留守.xlsx"]
    assert (s04["rows_read"], s04["rows_accepted"], s04["rows_quarantined"]) == (30, 0, 30)
    assert files.loc["S05_2024-1_留守.xlsx", "rows_accepted"] == 5 and result.adds_up
    assert _reasons(result, "quarantine") == {"roll_number_only": 30}
    assert _reasons(result, "warning") == {"roll_number_ignored": 2}
    only = result.quarantine
    assert set(only["file"]) == {"S04_2024-1_留守.xlsx"} and set(only["column"]) == {"student_id"}
    message = only["message"][0]
    assert "班内学号" in message and "学籍号" in message and "student_no_header" in message
    english = ingest(tmp_path, key=KEY, lang="en").quarantine["message"][0]
    assert "class roll number" in english and "student_no_header" in english
    assert sorted(result.cohort.panel["student_id"]) == sorted(_pseudonyms(rids))


def test_an_explicit_mapping_reads_a_files_roll_number_as_its_student_number(tmp_path):
    own = [f"L2024{k:04d}" for k in range(8)]  # a school's own student numbers under 学号
    rows = _rows(_children(8, 500), ROLL_ONLY)
    for row, number in zip(rows, own, strict=True):
        row[0] = number
    write_xlsx(tmp_path / "S06_2024-1_留守.xlsx", rows, header=ROLL_ONLY)
    rids = _children(6, 600)
    write_xlsx(tmp_path / "S07_2024-1_留守.xlsx", _rows(rids, WITH_ROLL), header=WITH_ROLL)

    for mapping in ({"S06_2024-1_留守.xlsx": "学号"}, "学号"):  # one file, or every file
        result = ingest(tmp_path, key=KEY, student_no_header=mapping)

        t = result.manifest["totals"]
        assert (t["rows_accepted"], t["rows_quarantined"]) == (14, 0) and result.adds_up
        assert _reasons(result, "quarantine") == {}
        # S07 has a 学籍号: it still identifies its children, and its 学号 is not read
        assert _reasons(result, "warning") == {"roll_number_ignored": 1}
        expected = pseudonymise(own, KEY) + _pseudonyms(rids)
        assert sorted(result.cohort.panel["student_id"]) == sorted(expected)
        s06 = next(f for f in result.manifest["files"] if f["file"].startswith("S06"))
        assert s06["tables"][0]["columns"]["student_id"] == "学籍号（学号）"
        assert result.manifest["options"]["student_no_header"] == mapping


# --- wrapped student numbers ---------------------------------------------------------------------


def test_wrapped_student_numbers_in_a_csv_link_to_the_workbook(tmp_path):
    rids = _children(4, 700)
    write_xlsx(tmp_path / "S08_2024-1_留守.xlsx", _rows(rids, NO_ROLL), header=NO_ROLL)
    lines = [
        "学籍号,身份证号,姓名,乡镇,年级,留守类型",
        f'="G{rids[0]}",="{rids[0]}",测试乙,T01,四年级,父母均外出',  # Excel's text formula
        f'"=""G{rids[1]}""",,测试丙,T01,四年级,父母均外出',  # the same, quoted by a CSV writer
        f"'G{rids[2]},'{rids[2]},测试丁,T01,四年级,父母均外出",  # a leading apostrophe
        f"\u200b G{rids[3]}\ufeff ,,测试戊,T01,四年级,父母均外出",  # zero-width and spaces
    ]
    (tmp_path / "S08_2024-2_留守.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    result = ingest(tmp_path, key=KEY)

    panel = result.cohort.panel
    assert len(panel) == 8 and result.adds_up
    assert _reasons(result, "quarantine") == {} and _reasons(result, "warning") == {}
    assert panel["student_id"].nunique() == 4
    assert set(panel["student_id"]) == set(_pseudonyms(rids))
    assert (panel.groupby("student_id", observed=True)["term"].nunique() == 2).all()
    assert result.manifest["totals"]["fixes"]["id_unwrapped"] == 6  # 4 numbers, 2 resident IDs


# --- keys ----------------------------------------------------------------------------------------

_WEAK = {
    "31 bytes": os.urandom(31),
    "16 bytes": os.urandom(16),
    "all zero": bytes(32),
    "one byte repeated": bytes.fromhex("ab" * 32),
    "15 values": bytes(range(15)) * 2 + bytes(2),
    "counting run": bytes(range(32)),
    "block twice": os.urandom(16) * 2,
}


@pytest.mark.parametrize("name", list(_WEAK))
def test_weak_keys_are_refused(name, tmp_path):
    key = _WEAK[name]
    path = tmp_path / "weak.key"
    path.write_text(key.hex() + "\n")
    os.chmod(path, 0o600)
    assert key_problem(key) is not None
    with pytest.raises(IngestKeyError, match="密钥太弱") as info:
        load_key(path)
    assert info.value.args[0].code == "key.weak"
    assert key.hex() not in str(info.value) and key.hex() not in info.value.args[0].render("en")
    with pytest.raises(IngestKeyError, match="环境变量 LBC_EVAL_KEY中的密钥太弱"):
        load_key(env={"LBC_EVAL_KEY": key.hex()})


def test_new_keys_are_32_random_bytes_that_pass_the_rule(tmp_path):
    keys = [create_key(tmp_path / f"k{i}.key") for i in range(20)]
    assert all(len(k) == 32 and key_problem(k) is None for k in keys)
    assert len(set(keys)) == 20
    assert all(len(set(k)) >= MIN_DISTINCT_BYTES for k in keys)
    assert load_key(tmp_path / "k0.key") == keys[0]
    assert key_problem(KEY) is not None  # the tests' readable key would not load from a file


def _small_survey(folder):
    rids = _children(20, 800)
    write_xlsx(folder / "S09_2024-1_留守.xlsx", _rows(rids, NO_ROLL), header=NO_ROLL)
    return rids


def test_a_cohort_is_never_written_over_with_another_key(tmp_path):
    _small_survey(tmp_path / "in")
    key_a, key_b = os.urandom(32), os.urandom(32)
    out = tmp_path / "cohort"
    first = ingest(tmp_path / "in", key=key_a)
    first.write(out)
    first.write(out)  # the same key: written over as before
    second = ingest(tmp_path / "in", key=key_b)
    shared = set(first.cohort.panel["student_id"]) & set(second.cohort.panel["student_id"])
    assert not shared  # what a silent change of key would do: 0 of 20 children linked

    with pytest.raises(IngestKeyError, match="--new-key") as info:
        second.write(out)

    text = str(info.value)
    assert fingerprint(key_a) in text and fingerprint(key_b) in text
    assert key_a.hex() not in text and key_b.hex() not in text
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["key_fingerprint"] == fingerprint(key_a)  # nothing was written
    second.write(out, new_key=True)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["key_fingerprint"] == fingerprint(key_b)


def test_cli_refuses_another_key_for_an_existing_cohort(tmp_path, capsys):
    rids = _small_survey(tmp_path / "in")
    secret, out = tmp_path / "secret", tmp_path / "cohort"
    argv = ["ingest", str(tmp_path / "in"), "--out", str(out), "--quiet"]
    assert main([*argv, "--key-file", str(secret / "a.key"), "--create-key"]) == 0
    key_a = load_key(secret / "a.key")
    key_b = create_key(secret / "b.key")
    capsys.readouterr()

    assert main([*argv, "--key-file", str(secret / "b.key")]) == 2
    err = capsys.readouterr().err
    assert fingerprint(key_a) in err and fingerprint(key_b) in err and "--new-key" in err
    assert key_b.hex() not in err
    assert main([*argv, "--key-file", str(secret / "c.key"), "--create-key"]) == 2
    assert fingerprint(key_a) in capsys.readouterr().err and not (secret / "c.key").exists()
    assert set(read_cohort(out).panel["student_id"]) == set(_pseudonyms(rids, key_a))

    assert main([*argv, "--key-file", str(secret / "b.key"), "--new-key"]) == 0
    assert set(read_cohort(out).panel["student_id"]) == set(_pseudonyms(rids, key_b))
    assert main([*argv, "--key-file", str(secret / "b.key")]) == 0  # the new key is now its own


def test_cli_maps_a_roll_number_header_only_when_told(tmp_path, capsys):
    rows = _rows(_children(6, 900), ROLL_ONLY)
    for k, row in enumerate(rows):
        row[0] = f"L2024{k:04d}"
    write_xlsx(tmp_path / "in" / "S10_2024-1_留守.xlsx", rows, header=ROLL_ONLY)
    argv = ["ingest", str(tmp_path / "in"), "--synthetic-seed", "1", "--quiet"]

    assert main([*argv, "--out", str(tmp_path / "a")]) == 0
    quarantine = (tmp_path / "a" / "quarantine.csv").read_text(encoding="utf-8-sig")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text(encoding="utf-8"))
    assert quarantine.count("roll_number_only") == 6
    assert (manifest["totals"]["rows_accepted"], manifest["totals"]["rows_quarantined"]) == (0, 6)
    mapped = ["--student-no-header", "S10_2024-1_留守.xlsx=学号"]
    assert main([*argv, "--out", str(tmp_path / "b"), *mapped]) == 0
    assert len(read_cohort(tmp_path / "b").panel) == 6
