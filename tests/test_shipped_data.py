"""data/synthetic is exactly what its recorded command makes with this version of the kit."""

from __future__ import annotations

import shlex
from pathlib import Path

from lbc_eval import read_cohort
from lbc_eval.cli import main

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "synthetic"


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
