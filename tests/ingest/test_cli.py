"""`lbc-eval ingest` and `lbc-eval template`, and the privacy of everything ingest writes.

The privacy test plants names, real-format resident IDs and phone numbers in input files (in
their own columns and in wrong ones) and proves that none of them, nor any roster name,
student number, resident ID, phone or address of the synthetic cohort, appears in any output
file, the printed report, an error message or a log record.
"""

from __future__ import annotations

import filecmp
import json
import logging
import os
import re

import pandas as pd
import pyarrow.parquet as pq
import pytest

from lbc_eval import read_cohort
from lbc_eval.cli import main
from lbc_eval.data import ids
from lbc_eval.data.messages import has_cjk
from lbc_eval.synth.export import export_school_files
from tests.conftest import cohort_for
from tests.ingest.files import HEADER, survey_rows, write_xlsx

SEED = 4
REAL_BODY = "110101" + "20140305" + "123"  # a real province code (Beijing), a valid check char
REAL_ID = REAL_BODY + ids.check_char(REAL_BODY)
PLANTED_NAMES = ("欧阳娜娜", "司马光明", "诸葛小亮")
PHONE = "139" + "12345678"  # built here so the repository scan finds no phone number
# An 18-character ID or an 11-digit mobile number standing alone (pseudonyms are 16 hex).
ID_LIKE = re.compile(r"(?<![0-9a-fA-F])\d{17}[\dXx](?![0-9a-fA-F])")
PHONE_LIKE = re.compile(r"(?<![0-9a-fA-F])1\d{10}(?![0-9a-fA-F])")
ENGLISH = re.compile(r"[a-z]+ [a-z]+ [a-z]+")  # three English words in a row


@pytest.fixture(scope="module")
def school_files(tmp_path_factory):
    cohort = cohort_for("small", SEED, n_children=150)
    folder = tmp_path_factory.mktemp("files")
    export_school_files(cohort, folder, seed=1)
    rows = survey_rows(4, start=500)
    rows[0][1], rows[0][3] = PLANTED_NAMES[0], REAL_ID  # name; a valid ID of another province
    rows[1][HEADER.index("监护人")] = PLANTED_NAMES[1]  # a name in a category column
    rows[2][HEADER.index("谈心次数（次）")] = PHONE  # a phone in a count column
    rows[3][2] = "G" + REAL_ID[:-1] + "0"  # a real-format student number with a slip
    write_xlsx(folder / "S01_2024-1_补报.xlsx", rows, titles=[f"填表人：{PLANTED_NAMES[2]}"])
    return cohort, folder


def _secrets(cohort):
    roster = cohort.roster
    values = {REAL_ID, REAL_BODY, PHONE, *PLANTED_NAMES}
    for c in ("name", "student_no", "resident_id", "phone", "guardian_name", "address"):
        values.update(roster[c].astype(str))
    return values


def _texts(out):
    """Every output as text: text files as written, Parquet files' string values."""
    for p in sorted(out.rglob("*")):
        if p.suffix == ".parquet":
            table = pq.read_table(p)
            yield (
                p.name,
                "\n".join(
                    str(v) for col in table.columns for v in col.to_pylist() if isinstance(v, str)
                ),
            )
        elif p.is_file():
            yield p.name, p.read_text(encoding="utf-8-sig")


def test_cli_ingest_writes_cohort_and_reveals_no_identifier(school_files, tmp_path, capsys, caplog):
    cohort, folder = school_files
    key_file, out = tmp_path / "secret" / "lbc.key", tmp_path / "cohort"
    caplog.set_level(logging.DEBUG)
    argv = ["ingest", str(folder), "--out", str(out), "--key-file", str(key_file), "--quiet"]
    assert main([*argv, "--create-key"]) == 0
    printed = capsys.readouterr()
    assert "行数相符：是" in printed.out and "quarantine.csv" in printed.out
    names = {p.name for p in out.iterdir()}
    assert {"quarantine.csv", "warnings.csv", "report.csv", "report.txt", "manifest.json",
            "cohort.json", "panel", "schools.parquet"} <= names  # fmt: skip
    assert len(read_cohort(out).panel) > 0
    key = key_file.read_text().strip()
    secrets = _secrets(cohort)
    logs = "\n".join(r.getMessage() for r in caplog.records)
    outputs = dict(_texts(out))
    outputs["stdout"], outputs["stderr"], outputs["logs"] = printed.out, printed.err, logs
    for name, text in outputs.items():
        assert key not in text, name
        assert not ID_LIKE.search(text) and not PHONE_LIKE.search(text), name
        leaked = [s for s in secrets if s and s in text]
        assert not leaked, (name, leaked[:3])
    q = (out / "quarantine.csv").read_text(encoding="utf-8-sig")
    assert "S01_2024-1_补报.xlsx" in q and "id_checksum" in q and "<masked>" in q
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["totals"]["adds_up"] and len(manifest["key_fingerprint"]) == 12


def test_cli_outputs_are_identical_on_a_second_run(school_files, tmp_path):
    _, folder = school_files
    runs = []
    for k in ("a", "b"):
        out = tmp_path / k
        argv = ["ingest", str(folder), "--out", str(out), "--synthetic-seed", str(SEED)]
        assert main([*argv, "--quiet", "--format", "csv"]) == 0
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        manifest.pop("run")
        (out / "manifest.json").write_text(json.dumps(manifest))
        runs.append(out)
    cmp = filecmp.dircmp(runs[0], runs[1])
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only
    panel = read_cohort(runs[0]).panel
    original = cohort_for("small", SEED, n_children=150).panel
    assert panel["student_id"].isin(set(original["student_id"])).mean() > 0.99


def test_cli_refusals(school_files, tmp_path, capsys, monkeypatch):
    _, folder = school_files
    monkeypatch.delenv("LBC_EVAL_KEY", raising=False)
    assert main(["ingest", str(folder), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lbc-eval：错误：没有化名密钥") and "LBC_EVAL_KEY" in err
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    argv = ["ingest", str(folder), "--out", str(repo / "out"), "--synthetic-seed", "1", "--quiet"]
    assert main(argv) == 2
    assert "git 工作区" in capsys.readouterr().err and not (repo / "out").exists()
    assert main([*argv, "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lbc-eval: error: the output folder") and "git working tree" in err
    assert main([*argv, "--allow-inside-repo"]) == 0
    monkeypatch.setenv("LBC_EVAL_KEY", os.urandom(32).hex())
    assert main(["ingest", str(folder), "--out", str(tmp_path / "env"), "--quiet"]) == 0
    assert "LBC_EVAL_KEY" in capsys.readouterr().out


def test_cli_template(tmp_path, capsys):
    assert main(["template", "--out", str(tmp_path / "form.xlsx"), "--school", "S01"]) == 0
    assert (tmp_path / "form.xlsx").exists() and "已写入" in capsys.readouterr().out
    argv = ["template", "--out", str(tmp_path / "en.xlsx"), "--lang", "en"]
    assert main(argv) == 0 and "wrote" in capsys.readouterr().out


def test_cli_ingest_writes_its_words_in_the_language_asked(school_files, tmp_path, capsys):
    """Chinese by default, English with --lang en: the messages of the quarantine and the
    warnings, report.txt and what is printed; codes, rows, columns and values stay the same."""
    _, folder = school_files
    written = {}
    for lang in ("zh", "en"):
        out = tmp_path / lang
        argv = ["ingest", str(folder), "--out", str(out), "--synthetic-seed", str(SEED)]
        assert main([*argv, "--quiet", "--lang", lang]) == 0
        printed = capsys.readouterr().out
        q = pd.read_csv(out / "quarantine.csv", encoding="utf-8-sig", dtype=str)
        w = pd.read_csv(out / "warnings.csv", encoding="utf-8-sig", dtype=str)
        written[lang] = (q, w, (out / "report.txt").read_text(encoding="utf-8"), printed)
    (q_zh, w_zh, report_zh, printed_zh), (q_en, w_en, report_en, printed_en) = written.values()
    assert len(q_zh) > 0 and len(w_zh) > 0
    for zh, en in ((q_zh, q_en), (w_zh, w_en)):
        rest = [c for c in zh.columns if c != "message"]
        pd.testing.assert_frame_equal(zh[rest], en[rest])  # only the words differ
        assert all(map(has_cjk, zh["message"])) and all(map(ENGLISH.search, en["message"]))
    # a quarantined cell names file, row and column, and the message names the column by label
    checksum = q_zh["reason"] == "id_checksum"
    [row] = q_zh[checksum & (q_zh["file"] == "S01_2024-1_补报.xlsx")].itertuples()
    assert row.file == "S01_2024-1_补报.xlsx" and row.row == "6" and row.column == "student_id"
    assert row.value == "<masked>" and "“学籍号”的校验位不对" in row.message
    assert "导入报告" in report_zh and "行数相符：是" in report_zh and "id_checksum" in report_zh
    assert "证件号码校验位不对" in report_zh  # each reason code with what it means
    assert "ingest report" in report_en and "adds up: yes" in report_en
    assert "已写入" in printed_zh and "written to" in printed_en
