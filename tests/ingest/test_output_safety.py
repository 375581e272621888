"""What ingest writes is safe to keep and to share: masks, names, modes, formulas, the folder.

Hand-built inputs only. The phone numbers and the resident ID are built when the tests run
(synthetic province 99, ``139`` + zeros), so this file holds none; the names are the fake
测试甲 … 测试己.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lbc_eval.errors import IngestError
from lbc_eval.ingest import ingest
from lbc_eval.ingest import output as output_module
from lbc_eval.ingest.output import (
    OUTPUTS_LIST,
    check_not_in_inputs,
    claim_output,
    neutralise,
    prepare_output,
    safe_frame,
    write_outputs,
)
from lbc_eval.ingest.problems import (
    MASK,
    identifying_digits,
    looks_identifying,
    looks_like_name,
    mask_name,
    mask_values,
)
from tests.ingest.files import HEADER, csv_bytes, resident_ids, survey_rows, write_xlsx

KEY = hashlib.sha256(b"output safety tests: not a secret").digest()
NAMES = ("测试甲", "测试乙", "测试丙", "测试丁", "测试戊", "测试己")
PHONE = "".join(("139", "0000", "0000"))
HEX = re.compile(r"\b[0-9a-f]{12,64}\b")
FORMULAS = ('=HYPERLINK("http://example.invalid","x")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)")


def separated_forms() -> list[str]:
    rid = resident_ids(1)[0]
    return [
        "-".join((PHONE[:3], PHONE[3:7], PHONE[7:])),
        "+86 " + " ".join((PHONE[:3], PHONE[3:7], PHONE[7:])),
        ".".join((PHONE[:3], PHONE[3:7], PHONE[7:])),
        f"({PHONE[:3]}) {PHONE[3:7]}-{PHONE[7:]}",
        "（0432）" + "６２３４ ５６７８",  # full-width brackets and digits
        "-".join(rid[i : i + 4] for i in range(0, 18, 4)),
        " ".join((rid[:6], rid[6:14], rid[14:])),
        "/".join((PHONE[:3], PHONE[3:7], PHONE[7:])),
        "Tel" + "-".join((PHONE[:3], PHONE[3:7], PHONE[7:])),
        "G" + "-".join(rid[i : i + 4] for i in range(0, 18, 4)),  # a student number
    ]


# --- masks --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", separated_forms())
def test_masks_cover_digits_written_with_separators(value):
    assert identifying_digits(value) and looks_identifying(f"电话 {value}")
    for column in ("talks", "guardian", None):
        shown = mask_values(*(pd_series(x) for x in (value, column, "c1")))
        assert shown.tolist() == [MASK]
    shown = mask_name(f"S01_2024-1_{value}.xlsx", "file-1")
    assert shown.startswith("S01_2024-1_") and "file-1" in shown and not identifying_digits(shown)


@pytest.mark.parametrize(
    "value", ["2013-05-01", "2013.5.1", "2013/05/01 00:00:00", "95.5", "2024-1", "3-2",
              "2024-2025学年", "-3", "12345.67", "1,234,567", "S01"]
)  # fmt: skip
def test_harmless_numbers_stay_visible(value):
    assert not identifying_digits(value) and not looks_identifying(value)
    if value.isascii():  # (free text is masked for being unknown, not for its digits)
        shown = mask_values(pd_series(value), pd_series("talks"), pd_series("c1"))
        assert shown.tolist() == [value]


def test_names_in_file_and_sheet_names():
    for text in ("测试甲_身份证复印件.jpg", "三年级2班测试乙", "一生一档_测试丙", "阳光小学测试丁"):
        assert looks_like_name(text)
    for text in ("S01_2024-1_补报.xlsx", "留守儿童情况", "教师培训情况.xlsx", "四年级", "说明",
                 "Sheet1", "统计表", "2024-2025学年第一学期", "阳光小学三年级一班"):  # fmt: skip
        assert not looks_like_name(text) and mask_name(text, "file-1") == text
    assert mask_name("S01_2024-1_测试甲.xlsx", "file-7") == "S01_2024-1_file-7.xlsx"


def pd_series(value):
    return pd.Series([value], dtype=object)


# --- a folder of school files with names, phones and formulas where they should not be ---------


@pytest.fixture
def records(tmp_path):
    """Files named after children (and a phone), one sheet per child, formula-like cells."""
    folder = tmp_path / "records"
    rows = survey_rows(3)
    rows[0][HEADER.index("谈心次数（次）")] = "-2+3"
    rows[1][HEADER.index("谈心次数（次）")] = separated_forms()[0]
    write_xlsx(folder / f"S01_2024-1_{NAMES[0]}.xlsx", rows, sheet=NAMES[1])
    write_xlsx(folder / "S02_2024-1_补报.xlsx", survey_rows(2, start=10), sheet=NAMES[5])
    (folder / f"{NAMES[2]}_身份证复印件.jpg").write_bytes(b"\xff\xd8 not an image")
    book = openpyxl.Workbook()
    for k, name in enumerate(NAMES[3:5]):  # 一生一档: one sheet per child
        sheet = book.active if k == 0 else book.create_sheet()
        sheet.title = name
        sheet.append(HEADER)
        sheet.append(survey_rows(1, start=20 + k)[0])
    book.create_sheet(f"{PHONE}")  # a sheet named by a phone number, without a table
    book.save(folder / "S03_2024-1_一生一档.xlsx")
    header = [*HEADER, *FORMULAS, "\t=1+1"]
    body = [[*r, "x", "y", "z", "w", "v"] for r in survey_rows(2, start=30)]
    body[0][HEADER.index("家访次数")] = "+2+2"  # shown as written (digits and signs)
    (folder / f"S04_2024-1_{PHONE[:3]} {PHONE[3:7]} {PHONE[7:]}.csv").write_text(
        csv_bytes(body, header=header), encoding="utf-8"
    )
    return folder


def output_texts(out: Path) -> dict[str, str]:
    """Every file under ``out`` as text (Parquet files: their string values)."""
    texts = {}
    for p in sorted(out.rglob("*")):
        if p.suffix == ".parquet":
            table = pq.read_table(p)
            values = [v for col in table.columns for v in col.to_pylist() if isinstance(v, str)]
            texts[str(p)] = "\n".join([*table.column_names, *values])
        elif p.is_file():
            texts[str(p)] = p.read_text(encoding="utf-8-sig")
    return texts


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


@pytest.fixture
def result(records):
    return ingest(records, key=KEY)


def test_no_name_or_number_reaches_any_output(result, tmp_path):
    out = tmp_path / "out"
    for fmt in ("parquet", "csv"):
        write_outputs(result, out, format=fmt)
        texts = output_texts(out)
        assert {"manifest.json", "report.txt", "quarantine.csv", "warnings.csv"} <= {
            Path(p).name for p in texts
        }
        for path, text in texts.items():
            leaked = [s for s in (*NAMES, PHONE, PHONE[3:7] + PHONE[7:]) if s in text]
            assert not leaked, (path, leaked)
            text = HEX.sub("", text)  # SHA-256 digests, fingerprints and pseudonyms
            assert not any(identifying_digits(line) for line in text.splitlines()), path
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    for shown in ("S01_2024-1_file-1.xlsx", "S02_2024-1_补报.xlsx", "file-5_身份证复印件.jpg",
                  "S04_2024-1_file-4.csv", '"sheet-1"', '"sheet-3"'):  # fmt: skip
        assert shown in manifest, shown
    quarantine = (out / "quarantine.csv").read_text(encoding="utf-8-sig")
    assert "S01_2024-1_file-1.xlsx,sheet-1," in quarantine
    # the result in memory keeps the names, for the user to find the files
    assert f"S01_2024-1_{NAMES[0]}.xlsx" in set(result.problems["file"])


def test_outputs_are_private_whatever_the_umask(result, tmp_path):
    old = os.umask(0o022)
    try:
        out = write_outputs(result, tmp_path / "out")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o700
    for p in out.rglob("*"):
        assert p.stat().st_mode & 0o777 == (0o700 if p.is_dir() else 0o600), p


def test_formula_cells_are_neutralised(result, tmp_path):
    out = write_outputs(result, tmp_path / "out", format="csv")
    cells = []
    for name in ("quarantine.csv", "warnings.csv", "report.csv", "panel.csv", "schools.csv"):
        text = (out / name).read_text(encoding="utf-8-sig")
        cells += [c for row in csv.reader(io.StringIO(text)) for c in row]
    starts = ("=", "+", "-", "@", "\t", "\r")
    live = [c for c in cells if c.lstrip(" ").startswith(starts) and neutralise(c) != c]
    assert not live, live[:5]
    for planted in ("'-2+3", "'+2+2", *("'" + f for f in FORMULAS)):
        assert planted in cells, planted


def test_neutralise_keeps_numbers():
    frame = pd.DataFrame({"n": [-3, 2], "t": ["-3", "=A1"], "c": pd.Categorical(["+x", "ok"])})
    safe = safe_frame(frame)
    assert safe["n"].tolist() == [-3, 2] and safe["t"].tolist() == ["-3", "'=A1"]
    assert safe["c"].tolist() == ["'+x", "ok"]
    assert [neutralise(v) for v in ("-", "+1.5", "-1e3", " =1", "\rx")] == [
        "-", "+1.5", "-1e3", "' =1", "'\rx"
    ]  # fmt: skip


# --- the output folder ----------------------------------------------------------------------------


def test_user_files_are_kept_when_ingesting_again(result, tmp_path):
    out = tmp_path / "out"
    write_outputs(result, out, format="csv")
    mine = {
        "notes.csv": b"mine,1\n",
        "analysis.parquet": b"PAR1 mine",
        "sub/more.csv": b"also mine\n",
        "report-2023.txt": b"kept\n",
    }
    for name, data in mine.items():
        (out / name).parent.mkdir(exist_ok=True)
        (out / name).write_bytes(data)
    write_outputs(result, out, format="parquet")
    for name, data in mine.items():
        assert (out / name).read_bytes() == data, name
    assert not (out / "panel.csv").exists() and (out / "panel").is_dir()  # the kit's own: replaced
    listed = (out / OUTPUTS_LIST).read_text(encoding="utf-8")
    assert "panel" in listed and "notes.csv" not in listed
    assert leftovers(out) == []


def test_files_of_an_output_name_the_kit_did_not_write_are_refused(result, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.txt").write_text("the user's own report\n", encoding="utf-8")
    with pytest.raises(IngestError, match="不是 lbc_eval 写入的") as info:
        write_outputs(result, out)
    assert info.value.args[0].code == "output.foreign"
    assert [p.name for p in out.iterdir()] == ["report.txt"]
    assert (out / "report.txt").read_text(encoding="utf-8") == "the user's own report\n"
    assert leftovers(out) == []


def test_a_cohort_written_before_the_list_keeps_its_neighbours(result, tmp_path):
    out = tmp_path / "out"
    write_outputs(result, out, format="csv")
    (out / OUTPUTS_LIST).unlink()  # as an older kit left it
    (out / "mine.csv").write_text("x\n", encoding="utf-8")
    write_outputs(result, out)
    assert (out / "mine.csv").read_text(encoding="utf-8") == "x\n"
    assert not (out / "panel.csv").exists()


def test_a_run_that_fails_while_writing_leaves_the_previous_output(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(result, out)
    before = snapshot(out)

    def fail(*args, **kwargs):
        raise RuntimeError("killed after the cohort was written")

    monkeypatch.setattr(output_module, "report_text", fail)
    with pytest.raises(RuntimeError, match="killed"):
        write_outputs(result, out, format="csv")
    assert snapshot(out) == before and leftovers(out) == []


def test_a_run_that_fails_while_moving_files_into_place_is_undone(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(result, out)
    before = snapshot(out)
    real_replace, moved = os.replace, []

    def replace(src, dst):
        if "lbc_eval-new-" in str(src):
            if len(moved) == 3:
                raise OSError("disk full")
            moved.append(src)
        return real_replace(src, dst)

    monkeypatch.setattr(output_module.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        write_outputs(result, out, format="csv")
    monkeypatch.undo()
    assert len(moved) == 3 and snapshot(out) == before and leftovers(out) == []


def test_a_run_killed_while_moving_files_is_undone_by_the_next(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_outputs(result, out)
    before = snapshot(out)
    real_replace, moved = os.replace, []

    def replace(src, dst):
        if "lbc_eval-new-" in str(src):
            if len(moved) == 2:
                raise KeyboardInterrupt  # stands for a kill: nothing after it runs
            moved.append(src)
        return real_replace(src, dst)

    monkeypatch.setattr(output_module.os, "replace", replace)
    monkeypatch.setattr(output_module, "_rollback", lambda *a: None)
    monkeypatch.setattr(output_module, "_remove", lambda *a: None)
    with pytest.raises(KeyboardInterrupt):
        write_outputs(result, out, format="csv")
    monkeypatch.undo()
    assert ".out.lbc_eval-commit.json" in leftovers(out)
    assert snapshot(out) != before and (out / "manifest.json").exists()
    prepare_output(out)  # what the next run does first
    assert snapshot(out) == before and leftovers(out) == []
    write_outputs(result, out, format="csv")
    assert (out / "panel.csv").exists() and leftovers(out) == []


def test_a_held_lock_refuses_a_second_run(result, tmp_path):
    out = tmp_path / "out"
    held, done = threading.Event(), threading.Event()

    def other_run():
        with claim_output(out):
            held.set()
            done.wait(30)

    thread = threading.Thread(target=other_run)
    thread.start()
    try:
        assert held.wait(30)
        for attempt in (lambda: write_outputs(result, out), lambda: prepare_output(out)):
            with pytest.raises(IngestError, match=f"另一个 lbc_eval 进程（pid {os.getpid()}"):
                attempt()
    finally:
        done.set()
        thread.join(30)
    assert not out.exists()
    with claim_output(out) as real:  # a whole run: the lock is held from its start
        write_outputs(result, out)  # in the same thread, under the run's lock
        assert (real / "manifest.json").exists()
    assert leftovers(out) == []


def test_a_lock_held_by_another_process_then_left_stale(result, tmp_path):
    out = tmp_path / "out"
    lock = tmp_path / ".out.lbc_eval-lock"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time\n"
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)\n"
         "fcntl.flock(fd, fcntl.LOCK_EX)\n"
         "os.write(fd, f'pid {os.getpid()} on test'.encode())\n"
         "print('locked', flush=True)\n"
         "time.sleep(120)\n",
         str(lock)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(IngestError, match=f"pid {holder.pid}"):
            write_outputs(result, out)
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(timeout=30)
    assert lock.exists()  # left behind by the killed holder: stale, taken over
    write_outputs(result, out)
    assert (out / "manifest.json").exists() and not lock.exists()


def test_output_inside_an_input_folder_is_refused(result, records):
    for out in (records / "out", records, records / "sub" / "deeper"):
        with pytest.raises(IngestError, match="位于输入文件夹") as info:
            check_not_in_inputs(out, [records])
        assert "inside the input folder" in info.value.args[0].render("en")
        with pytest.raises(IngestError, match="位于输入文件夹"):
            write_outputs(result, out, inputs=[records])
        with pytest.raises(IngestError, match="位于输入文件夹"):
            prepare_output(out, [records])
    assert not (records / "out").exists() and not (records / "sub").exists()
    check_not_in_inputs(records.parent / "elsewhere", [records, records / "x.xlsx"])
