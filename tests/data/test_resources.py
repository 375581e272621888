"""The files installed with the kit: the example cohort (data/synthetic, exactly what its recorded
command makes), the reference data and the notebooks, the same bytes in a checkout and a wheel."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from lbc_eval import example_cohort, read_cohort
from lbc_eval.cli import main
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
