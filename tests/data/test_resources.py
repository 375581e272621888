"""The files installed with the kit: the example cohort (data/synthetic, exactly what its recorded
command makes), the reference data and the notebooks, the same bytes in a checkout and a wheel."""

from __future__ import annotations

import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from lbc_eval import example_cohort, read_cohort
from lbc_eval.cli import main
from lbc_eval.data import codebook
from lbc_eval.data.resources import example_path, reference_path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "data" / "synthetic"


def _files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_shipped_cohort_reproduces_byte_for_byte(tmp_path):
    command = [
        line
        for line in (SHIPPED / "made_by.txt").read_text().splitlines()
        if line.startswith("lbc-eval ")
    ][0]
    argv = [tmp_path.as_posix() if a == "OUT" else a for a in shlex.split(command)[1:]]
    assert main([*argv, "--quiet"]) == 0
    made, shipped = _files(tmp_path), _files(SHIPPED)
    assert made.keys() == shipped.keys()
    changed = sorted(k for k in made if made[k] != shipped[k])
    assert not changed, (
        f"{changed} differ from data/synthetic: the generator changed; regenerate with "
        f"`{command.replace('OUT', 'data/synthetic')}` and commit the result"
    )


def test_shipped_cohort_is_small_and_complete():
    cohort = read_cohort(SHIPPED)
    assert 2000 <= cohort.panel["student_id"].nunique() <= 6000
    assert len(cohort.terms) == 8
    assert {"dose_response", "training", "policy", "lb_gap"} <= set(cohort.truth)
    assert cohort.roster["resident_id"].str.startswith("99").all()


def test_example_cohort_is_the_shipped_folder():
    """One source: the package's example cohort is data/synthetic, byte for byte."""
    assert _files(example_path()) == _files(SHIPPED)
    example = example_cohort()
    assert example.panel.equals(read_cohort(SHIPPED).panel)
    assert example.truth == read_cohort(SHIPPED).truth


def test_reference_files_are_installed():
    for name in ("mpdta.csv", "mpdta_published.csv", "national_counts.csv"):
        assert reference_path(name).stat().st_size > 0
    with pytest.raises(FileNotFoundError, match="no reference file"):
        reference_path("nope.csv")


def test_wheel_carries_the_codebook_notebooks_example_and_references(tmp_path):
    """A wheel built from the project holds the same bytes as the project's folders."""
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    (wheel,) = tmp_path.glob("lbc_eval-*.whl")
    with zipfile.ZipFile(wheel) as z:
        inside = {n: z.read(n) for n in z.namelist()}
    expected = {
        **{f"lbc_eval/data/synthetic/{k}": v for k, v in _files(SHIPPED).items()},
        **{f"lbc_eval/notebooks/{p.name}": p.read_bytes()
           for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))},
        **{f"lbc_eval/data/reference/{p.name}": p.read_bytes()
           for p in sorted(reference_path("mpdta.csv").parent.iterdir()) if p.is_file()},
        # the codebook's column definitions, read by lbc_eval.data.codebook at import
        f"lbc_eval/data/{codebook.DATA_FILE}": (ROOT / "lbc_eval" / "data" / codebook.DATA_FILE)
        .read_bytes(),
    }
    missing = sorted(set(expected) - set(inside))
    assert not missing, f"not in the wheel: {missing}"
    changed = sorted(k for k in expected if inside[k] != expected[k])
    assert not changed, f"differ in the wheel: {changed}"
