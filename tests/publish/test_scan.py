"""The output scanner: planted identifiers are found (and never printed), clean files pass,
the shipped data and the repository pass.

Planted values are built when the tests run, so that this file holds no ID or phone number.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from lbc_eval.cli import main as cli_main
from lbc_eval.data.ids import check_char
from lbc_eval.publish.scan import Detector, scan

ROOT = Path(__file__).resolve().parents[2]


def main(argv: list[str]) -> int:
    """``lbc-eval scan ARGV``."""
    return cli_main(["scan", *argv])


def resident_id(area: str = "220283", birth: str = "20150307", seq: str = "123") -> str:
    body = area + birth + seq  # 220283: Shulan, Jilin
    return body + check_char(body)


def mobile() -> str:
    return "".join(("139", "4321", "8765"))


NAME = "王小明"


def full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


def notebook(outputs: list[dict], source: str = "summary(cohort)") -> dict:
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {},
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Coverage\n"]},
            {
                "cell_type": "code",
                "metadata": {},
                "execution_count": 1,
                "source": [source],
                "outputs": outputs,
            },
        ],
    }


def write_nb(path: Path, nb: dict) -> Path:
    path.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    return path


def test_planted_id_phone_and_name_in_notebook_outputs_are_found(tmp_path, capsys):
    rid, phone = resident_id(), mobile()
    html = f"<table><tr><td>{NAME}</td><td>{rid}</td></tr></table>"
    nb = notebook(
        [
            {"output_type": "stream", "name": "stdout", "text": [f"call {phone}\n"]},
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"text/plain": ["  id\n0 ..."], "text/html": [html]},
            },
        ]
    )
    path = write_nb(tmp_path / "02_coverage.ipynb", nb)
    report = scan(path, names=[NAME])
    assert not report.ok
    found = report.to_frame()
    assert sorted(found["kind"]) == ["name", "phone", "resident_id"]
    assert set(found["location"]) == {"cell 2 output 1", "cell 2 output 2 text/html"}
    # masks only: the province code, the mobile prefix, the surname
    masks = dict(zip(found["kind"], found["masked"], strict=True))
    assert masks == {"resident_id": "22" + "*" * 16, "phone": "139" + "*" * 8, "name": "王**"}
    names_file = tmp_path / "names.txt"
    names_file.write_text(f"{NAME}\n", encoding="utf-8")
    assert main([str(path), "--names", str(names_file)]) == 1
    printed = capsys.readouterr()
    for secret in (rid, phone, NAME, rid[6:14]):
        assert secret not in printed.out + printed.err
    assert "resident_id" in printed.out  # the findings' lines: machine-readable
    assert "发现 1 个身份证号、1 个电话号码、1 个姓名" in printed.out
    assert main([str(path), "--names", str(names_file), "--lang", "en"]) == 1
    assert "found 1 resident_id, 1 phone, 1 name" in capsys.readouterr().out


def test_clean_notebook_passes(tmp_path, capsys):
    nb = notebook(
        [
            {
                "output_type": "execute_result",
                "execution_count": 1,
                "metadata": {},
                "data": {"text/plain": ["share paired 0.853, n = 1350, 2024-1, 0.0012711272336"]},
            },
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {"image/png": "iVBORw0KGgo" + "1" * 40},
            },
        ]  # fmt: skip
    )
    path = write_nb(tmp_path / "clean.ipynb", nb)
    assert scan(path, names=[NAME]).ok
    assert main([str(path), "--lang", "en"]) == 0
    assert "found nothing" in capsys.readouterr().out


def test_errors_and_tracebacks_are_scanned(tmp_path):
    nb = notebook(
        [
            {
                "output_type": "error",
                "ename": "ValueError",
                "evalue": f"bad id {resident_id()}",
                "traceback": ["ValueError"],
            }
        ]  # fmt: skip
    )
    found = scan(write_nb(tmp_path / "e.ipynb", nb)).to_frame()
    assert found["location"].tolist() == ["cell 2 output 1 error"]


def test_synthetic_ids_only_with_the_flag(tmp_path):
    rid = resident_id(area="990101")
    path = tmp_path / "t.csv"
    path.write_text(f"student_no,resident_id\nG{rid},{rid}\n", encoding="utf-8")
    assert scan(path).ok
    kinds = sorted(scan(path, include_synthetic=True).to_frame()["kind"])
    assert kinds == ["resident_id", "student_number"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (f"学籍号 G{resident_id()} ", "student_number"),
        (f"学籍号 L{resident_id()[:17]}0", "student_number"),
        (f"{resident_id()[:6]} {resident_id()[6:14]} {resident_id()[14:]}", "resident_id"),
        ("联系电话：" + full_width("0432-" + "62345678"), "phone"),  # full-width landline
        ("tel +86 " + "-".join(("138", "0013", "8000")), "phone"),
        ("(010)" + "62345678", "phone"),
    ],
)
def test_detector_kinds(text, kind):
    assert [k for k, _ in Detector().find(text)] == [kind]


@pytest.mark.parametrize(
    "text",
    [
        resident_id()[:17] + ("0" if resident_id()[17] != "0" else "1"),  # wrong check
        resident_id(birth="20151332"),  # no such date
        resident_id(area="990283"),  # synthetic province
        "10000000001",  # the roster's placeholder phones
        "p = 0.13912345678",  # a decimal
        "student 373ba999005fc154",  # a pseudonym
        "".join(("110105", "19491231", "002", "X")),  # the GB 11643 standard's own example
    ],
)
def test_detector_ignores(text):
    assert list(Detector().find(text)) == []


def test_allow_list_of_hashes(tmp_path):
    rid = resident_id()
    path = tmp_path / "a.txt"
    path.write_text(f"example {rid}\n", encoding="utf-8")
    allow = tmp_path / "allow.txt"
    allow.write_text(f"sha256:{hashlib.sha256(rid.encode()).hexdigest()}\n", encoding="utf-8")
    assert main([str(path)]) == 1
    assert main([str(path), "--allow", str(allow)]) == 0


def test_excel_csv_gbk_html_and_parquet(tmp_path):
    rid, phone = resident_id(), mobile()
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "留守儿童"
    sheet.append(["姓名", "身份证号", "电话"])
    sheet.append(["学生0001", rid, int(phone)])  # a phone stored as a number
    book.save(tmp_path / "school.xlsx")
    (tmp_path / "survey.csv").write_bytes(f"监护人电话\n{phone}\n".encode("gbk"))
    (tmp_path / "brief.html").write_text(f"<p>{NAME}</p><img src='data:image/png;base64,"
                                         f"{'1' * 60}'>", encoding="utf-8")  # fmt: skip
    pd.DataFrame({"phone": [int(phone), 5], "note": ["ok", f"id {rid}"]}).to_parquet(
        tmp_path / "t.parquet"
    )
    found = scan(tmp_path, names=[NAME]).to_frame()
    where = {(Path(p).name, loc, k) for p, loc, k in found[["path", "location", "kind"]].values}
    assert where == {
        ("school.xlsx", "留守儿童!B2", "resident_id"),
        ("school.xlsx", "留守儿童!C2", "phone"),
        ("survey.csv", "line 2", "phone"),
        ("brief.html", "line 1", "name"),
        ("t.parquet", "column phone", "phone"),
        ("t.parquet", "column note", "resident_id"),
    }


def test_unreadable_file_fails_the_scan(tmp_path, capsys):
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    [(_, why)] = scan(tmp_path).errors
    assert why.code == "scan.unreadable"
    assert main([str(tmp_path)]) == 2
    printed = capsys.readouterr()
    assert "broken.xlsx：错误：" in printed.err and "无法读取" in printed.err
    assert "1 个文件无法读取" in printed.out
    assert main([str(tmp_path), "--lang", "en"]) == 2
    printed = capsys.readouterr()
    assert "could not be read" in printed.err and "1 file(s) could not be read" in printed.out


def test_shipped_synthetic_data_passes():
    report = scan(ROOT / "data" / "synthetic")
    assert report.files >= 10 and report.ok, report.to_frame()


def test_repository_passes():
    report = scan(ROOT)
    assert report.ok, report.to_frame().to_string()


# --- numbers written in groups, names of files and sheets, what is skipped -----------------------


def grouped(value: str, sizes: tuple[int, ...], sep: str) -> str:
    parts, at = [], 0
    for k in sizes:
        parts.append(value[at : at + k])
        at += k
    return sep.join(parts)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (grouped(mobile(), (3, 4, 4), "."), "phone"),
        (f"({mobile()[:3]}) {mobile()[3:7]}-{mobile()[7:]}", "phone"),
        ("0086-" + grouped(mobile(), (3, 4, 4), "-"), "phone"),
        ("电话：" + full_width(grouped(mobile(), (3, 4, 4), " ")) + " 2024年", "phone"),
        ("(0432) " + grouped("62345678", (4, 4), " "), "phone"),
        (grouped(resident_id(), (4, 4, 4, 4, 2), "-"), "resident_id"),
        (grouped(resident_id(), (3, 3, 4, 4, 4), " "), "resident_id"),
    ],
)
def test_detector_reads_numbers_written_in_groups(text, kind):
    found = list(Detector().find(text))
    assert [k for k, _ in found] == [kind]
    assert mobile()[3:] not in Detector().redact(text)


@pytest.mark.parametrize(
    "text",
    [
        "9 9 0 1 0 1 2 0 1 5 0 3 0 5 0 0 7",  # digits spelled out one by one
        "http://example.org/page/2025/" + "0302/25775325.shtml",  # a path
        "63+81+0+5+0+4+4+0+6+15+0+27",  # a sum
        "0.4322 345678 and 1 234 567",  # a decimal, grouped thousands
        "scores 95.5 88.0 71.5 60.0",
    ],
)
def test_detector_ignores_groups_that_are_no_number(text):
    assert list(Detector().find(text)) == []


def test_file_folder_and_sheet_names_are_scanned_and_never_printed(tmp_path, capsys):
    phone = mobile()
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "成绩.csv").write_text("score\n95.5\n", encoding="utf-8")
    (tmp_path / f"{grouped(phone, (3, 4, 4), '-')}.txt").write_text("ok\n", encoding="utf-8")
    book = openpyxl.Workbook()
    book.active.title = NAME  # one sheet per child
    book.active.append(["学号", resident_id()])
    book.save(tmp_path / "一生一档.xlsx")
    found = scan(tmp_path, names=[NAME]).to_frame()
    assert sorted(zip(found["location"], found["kind"], strict=True)) == [
        ("file name", "name"),
        ("file name", "phone"),
        ("sheet 1 name", "name"),
        ("王**!B1", "resident_id"),  # the place, with the sheet's name masked
    ]
    names = tmp_path / "names.txt"
    names.write_text(NAME + "\n", encoding="utf-8")
    assert main([str(tmp_path), "--names", str(names)]) == 1
    printed = capsys.readouterr()
    for secret in (NAME, phone, phone[3:7], resident_id()):
        assert secret not in printed.out.replace(str(names), "") + printed.err


def test_what_is_not_looked_into_is_listed(tmp_path, capsys):
    (tmp_path / "scan.png").write_bytes(b"\x89PNG pixels")
    (tmp_path / "form.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config").write_text("x", encoding="utf-8")
    (tmp_path / "big.csv").write_text("x\n" * 1000, encoding="utf-8")
    nb = notebook([{"output_type": "display_data", "metadata": {},
                    "data": {"image/png": "iVBORw0KGgo"}}])  # fmt: skip
    write_nb(tmp_path / "plots.ipynb", nb)
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x00\x01" * 10)
    report = scan([tmp_path, blob], max_bytes=1000)
    why = {Path(p).name: w.code for p, w in report.skipped}
    assert why == {
        "scan.png": "scan.image",
        "form.pdf": "scan.image",  # a scanned form: pages are pictures
        ".git": "scan.tool_folder",
        "big.csv": "scan.too_large",
        "plots.ipynb": "scan.images_inside",
        "blob.bin": "scan.binary",
    }
    big = dict(report.skipped)[str(tmp_path / "big.csv")]
    assert big.render("en") == "larger than 0 MB (0 MB): not read"
    assert big.render("zh") == "大于 0 MB（0 MB）：未读取"
    assert report.ok and report.files == 1  # the notebook; skipped files are listed, not failed
    assert main([str(tmp_path), "--max-mb", "1", "--lang", "en"]) == 0
    out = capsys.readouterr().out
    assert "scan.png: skipped: an image" in out and "skipped (not looked into, listed)" in out
    assert main([str(tmp_path), "--max-mb", "1"]) == 0  # Chinese by default
    out = capsys.readouterr().out
    assert "scan.png：未扫描：扫描器不读取的图片" in out
    assert out.splitlines()[-1] == (
        "已扫描 2 个文件：未发现身份证号、学籍号、电话号码或名单中的姓名；5 项未扫描（已列出）"
    )


def test_the_summary_counts_findings_by_kind_in_either_language(tmp_path, capsys):
    phone, rid = mobile(), resident_id()
    (tmp_path / "a.csv").write_text(f"x\n{phone}\n{rid}\n{mobile()[:-1]}9\n", encoding="utf-8")
    report = scan(tmp_path)
    counts = report.to_frame()["kind"].value_counts().to_dict()
    assert counts == {"phone": 2, "resident_id": 1}
    assert report.summary("en") == "scanned 1 file(s): found 1 resident_id, 2 phone"
    assert report.summary() == "已扫描 1 个文件：发现 1 个身份证号、2 个电话号码"
    assert main([str(tmp_path)]) == 1
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].endswith(": line 2: phone 139********")  # machine-readable
    assert phone not in printed and rid not in printed


def test_word_documents_are_read(tmp_path):
    """A .docx brief is scanned paragraph by paragraph and table cell by cell."""
    import docx

    from lbc_eval.publish.scan import scan

    doc = docx.Document()
    doc.add_paragraph("所有数字均已汇总")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "联系电话"
    table.cell(0, 1).text = "139" + "8765" + "4321"  # built at run time: no literal in the source
    path = tmp_path / "brief_zh.docx"
    doc.save(path)
    report = scan([path])
    assert not report.ok
    assert any(str(path.name) in str(f) or "docx" in str(f) for f in report.findings)
    clean = tmp_path / "clean.docx"
    docx.Document().save(clean)
    assert scan([clean]).ok
