"""The national cohort: provinces streamed to disk, read back, with the truth pooled right.

A national cohort is provinces of the county process, each with its own seed; these tests check
that each province *is* the province simulated alone (so the mechanisms and their truth carry
over), that identifiers stay unique and synthetic across provinces, that the national truth is
the provinces' truths weighted by their units, that the same seed gives the same bytes, and
that memory does not grow with the number of provinces.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lbc_eval import SpecError, SynthSpec, read_cohort, simulate
from lbc_eval.cli import main
from lbc_eval.data.ids import resident_id_problem
from lbc_eval.errors import CohortValidationError
from lbc_eval.synth import province_seed, write_national
from lbc_eval.synth.national import AGGREGATION

# training_effect_lb makes the training truth depend on the left-behind share, so its pooling
# is tested too
SPEC = SynthSpec.preset("small", n_children=300, n_provinces=3, seed=21, training_effect_lb=0.1)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_national(SPEC, tmp_path_factory.mktemp("national") / "c", roster=True)


@pytest.fixture(scope="module")
def cohort(folder):
    return read_cohort(folder)  # validates every rule of lbc_eval.data.checks


@pytest.fixture(scope="module")
def truth(folder):
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def _province(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    return frame[frame["school_id"].str.startswith(code)]


# --- layout --------------------------------------------------------------------------------


def test_one_file_per_term_and_province_and_cohort_json(folder, cohort):
    meta = json.loads((folder / "cohort.json").read_text(encoding="utf-8"))
    assert meta["parts"] == ["P01", "P02", "P03"]
    assert meta["terms"] == SPEC.terms == cohort.terms
    for term in SPEC.terms:
        names = sorted(p.name for p in (folder / "panel" / f"term={term}").iterdir())
        assert names == ["part-P01.parquet", "part-P02.parquet", "part-P03.parquet"]
    assert meta["tables"] == {
        "panel": len(cohort.panel),
        "schools": len(cohort.schools),
        "destinations": len(cohort.destinations),
    }
    assert len(cohort.schools) == 3 * SPEC.n_schools * SPEC.n_terms // 2
    assert len(cohort.destinations) == 3 * SPEC.n_destinations
    assert "incomplete" not in meta
    # a subset of terms reads only those partitions, all provinces
    two = read_cohort(folder, terms=SPEC.terms[:2], columns=["student_id", "school_id"])
    assert len(two.panel) == cohort.panel["term"].isin(SPEC.terms[:2]).sum()


def test_part_files_are_checked_against_cohort_json(folder, tmp_path):
    import shutil

    copy = shutil.copytree(folder, tmp_path / "c")
    term = SPEC.terms[3]
    part = copy / "panel" / f"term={term}"
    shutil.copy(part / "part-P01.parquet", part / "part-P09.parquet")
    (part / "part-P02.parquet").unlink()
    with pytest.raises(CohortValidationError) as err:
        read_cohort(copy)
    rules = {(p.file, p.rule) for p in err.value.problems}
    assert (f"panel/term={term}/part-P09.parquet", "unlisted_partition") in rules
    assert (f"panel/term={term}/part-P02.parquet", "missing_partition") in rules
    assert any(r == "row_count" for _, r in rules)


# --- each province is the province simulated alone ---------------------------------------------


def test_seed_derivation_is_seedsequence_spawn():
    for k in range(3):
        child = np.random.SeedSequence(SPEC.seed).spawn(3)[k]
        assert province_seed(SPEC.seed, k) == int(child.generate_state(1, np.uint64)[0] >> 1)
        # a province's seed does not depend on how many provinces there are
        assert province_seed(SPEC.seed, k) == int(
            np.random.SeedSequence(SPEC.seed).spawn(7)[k].generate_state(1, np.uint64)[0] >> 1
        )
    assert len({province_seed(SPEC.seed, k) for k in range(50)}) == 50


@pytest.mark.parametrize("k", [0, 2])
def test_each_province_is_the_province_simulated_alone(cohort, truth, k):
    code = f"P{k + 1:02d}"
    alone = simulate(SPEC.update(n_provinces=1, seed=province_seed(SPEC.seed, k)))
    mine = _province(cohort.panel, code).reset_index(drop=True)
    theirs = alone.panel.copy()
    for c in ("school_id", "township", "destination_id", "class_id"):
        theirs[c] = code + theirs[c]
    pd.testing.assert_frame_equal(
        mine.drop(columns="student_id"), theirs.drop(columns="student_id"), check_dtype=False
    )
    part = truth["provinces"][k]
    assert part["province"] == code and part["seed"] == province_seed(SPEC.seed, k)
    for key in ("dose_response", "training", "policy", "lb_gap"):
        assert part[key] == alone.truth[key], key
    # the weights kept beside each province's truth are its own counts
    assert part["child_terms"] == len(mine)
    assert part["children"] == mine["student_id"].nunique()
    status = mine["lb_status"].value_counts()
    assert part["lb_child_terms"] == {s: int(status[s]) for s in ("father", "mother", "both")}


# --- identifiers --------------------------------------------------------------------------------


def test_identifiers_are_unique_across_provinces(cohort):
    p = cohort.panel
    province = p["school_id"].str[:3]
    assert p.groupby("student_id")["school_id"].agg(lambda s: s.str[:3].nunique()).max() == 1
    assert p["student_id"].nunique() == sum(
        p.loc[province == code, "student_id"].nunique() for code in ("P01", "P02", "P03")
    )
    assert (p["township"].str[:3] == province).all()
    assert (p["class_id"].str[:3] == province).all()
    dest = p["destination_id"].dropna()
    assert (dest.str[:3] == province[dest.index]).all()
    assert cohort.destinations["destination_id"].is_unique
    assert not cohort.schools.duplicated(["school_id", "year"]).any()


def test_resident_ids_keep_province_99_and_pass_the_kits_checks(cohort):
    r = cohort.roster
    assert r["student_id"].is_unique and r["resident_id"].is_unique
    assert set(r["student_id"]) == set(cohort.panel["student_id"])
    assert r["resident_id"].str.startswith("99").all()
    assert r["resident_id"].map(resident_id_problem).isna().all()
    assert (r["student_no"] == "G" + r["resident_id"]).all()
    # the province's number sits in the prefecture digits
    first = cohort.panel.drop_duplicates("student_id").set_index("student_id")["school_id"]
    number = first.reindex(r["student_id"]).str[1:3].to_numpy()
    assert (r["resident_id"].str[2:4].to_numpy() == number).all()


# --- the national truth --------------------------------------------------------------------------


def _weighted(pairs):
    pairs = [(v, w) for v, w in pairs if v is not None]
    return sum(v * w for v, w in pairs) / sum(w for _, w in pairs)


def test_national_truth_is_the_provinces_weighted_by_their_units(truth, cohort):
    parts = truth["provinces"]
    assert len(parts) == 3 and truth["aggregation"] == AGGREGATION
    for o in ("sdq_total", "attendance"):
        d = [p["dose_response"][o] for p in parts]
        assert truth["dose_response"][o]["ame"] == pytest.approx(
            _weighted((x["ame"], x["n"]) for x in d), rel=1e-12
        )
        assert truth["dose_response"][o]["curve"][5] == pytest.approx(
            _weighted((x["curve"][5], x["n"]) for x in d), rel=1e-12
        )
        assert truth["dose_response"][o]["n"] == sum(x["n"] for x in d)
    for s in ("father", "both"):
        assert truth["lb_gap"]["math"][s] == pytest.approx(
            _weighted((p["lb_gap"]["math"][s], p["lb_child_terms"][s]) for p in parts), rel=1e-12
        )
    n_lb = {s: sum(p["lb_child_terms"][s] for p in parts) for s in ("father", "mother", "both")}
    assert truth["lb_gap"]["sdq_total"]["any"] == pytest.approx(
        sum(truth["lb_gap"]["sdq_total"][s] * n_lb[s] for s in n_lb) / sum(n_lb.values()),
        rel=1e-12,
    )
    # training: the left-behind share of the national panel, counted here from the rows
    share = (cohort.panel["lb_status"] != "none").mean()
    assert truth["training"]["math"]["overall"] == pytest.approx(0.1 * share, rel=1e-12)
    assert truth["training"]["math"]["left_behind"] == 0.1


def test_national_policy_truth_pools_groups_across_provinces(truth):
    parts = [p["policy"] for p in truth["provinces"]]
    policy = truth["policy"]
    labels = sorted({g for p in parts for g in p["groups"]})
    assert list(policy["groups"]) == labels
    for g in labels:
        assert policy["groups"][g] == sum(p["groups"].get(g, 0) for p in parts)
    assert policy["never_treated"] == sum(p["never_treated"] for p in parts)
    for o in ("moved", "math"):
        for cell in policy[o]["att_gt"]:
            same = [
                c for p in parts for c in p[o]["att_gt"]
                if (c["group"], c["time"]) == (cell["group"], cell["time"]) and c["n"]
            ]  # fmt: skip
            assert cell["n"] == sum(c["n"] for c in same)
            if same:
                assert cell["att"] == pytest.approx(
                    _weighted((c["att"], c["n"]) for c in same), rel=1e-12
                )
        # overall: post-treatment cells weighted by the national group sizes
        post = [c for c in policy[o]["att_gt"] if c["event_time"] >= 0 and c["att"] is not None]
        assert policy[o]["overall"]["att"] == pytest.approx(
            _weighted((c["att"], policy["groups"][c["group"]]) for c in post), rel=1e-12
        )
        assert policy[o]["overall"]["cells"] == len(post)
    assert truth["meta"]["spec"]["n_provinces"] == 3


# --- reproducibility, refusal, memory -------------------------------------------------------------


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_same_seed_same_bytes(tmp_path):
    spec = SPEC.update(n_provinces=2, n_children=150)
    a = _files(write_national(spec, tmp_path / "a"))
    b = _files(write_national(spec, tmp_path / "b"))
    assert a == b
    c = _files(write_national(spec.update(seed=22), tmp_path / "c"))
    assert c.keys() == a.keys()
    assert a["panel/term=2021-1/part-P02.parquet"] != c["panel/term=2021-1/part-P02.parquet"]


def test_first_provinces_are_the_smaller_national_cohort(folder, tmp_path):
    """A province does not depend on how many there are: the first two provinces of the
    3-province cohort are the 2-province cohort of the same seed, byte for byte."""
    from lbc_eval.synth.national import first_provinces

    two = _files(first_provinces(folder, tmp_path / "first", 2))
    made = _files(write_national(SPEC.update(n_provinces=2), tmp_path / "made"))
    assert two.keys() == made.keys()
    assert [k for k in two if two[k] != made[k]] == []
    read_cohort(tmp_path / "first")
    with pytest.raises(SpecError, match="between 1 and the 3 provinces"):
        first_provinces(folder, tmp_path / "x", 4)


def test_simulate_refuses_a_national_spec():
    with pytest.raises(SpecError, match="write_national") as err:
        simulate(SynthSpec.preset("national"))
    assert err.value.field == "n_provinces"
    assert "n_provinces" not in SynthSpec.preset("province").to_dict()  # old truths unchanged


def test_cli_writes_a_national_cohort(tmp_path, capsys):
    out = tmp_path / "n"
    argv = ["synth", "--preset", "small", "--seed", "3", "--set", "n_provinces=2",
            "--set", "n_children=120", "--out", str(out), "--quiet"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "provinces     2 (P01 .. P02)" in printed
    assert "--set n_provinces=2" in (out / "made_by.txt").read_text(encoding="utf-8")
    assert len(read_cohort(out).destinations) == 2 * 10
    assert main([*argv, "--messy"]) != 0
    assert "--messy: school files are written from a county or province" in (
        capsys.readouterr().err
    )


_PROBE = r"""
import re, sys, tempfile
import lbc_eval
from lbc_eval.synth import write_national
def peak():  # VmHWM, not ru_maxrss: that one carries the parent's peak across fork and exec
    with open("/proc/self/status") as f:
        return int(re.search(r"VmHWM:\s+(\d+) kB", f.read()).group(1)) / 1024
base = peak()
spec = lbc_eval.SynthSpec.preset("county", n_children=20000, n_provinces=int(sys.argv[1]), seed=1)
write_national(spec, tempfile.mkdtemp())
print(base, peak())
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_peak_memory_does_not_grow_with_provinces():
    """Peak RSS above the imports, 2 provinces against 4 of the same size: were the provinces
    kept in memory it would double; streamed, it stays one province's (measured: about 90 MiB
    above 110 MiB of imports for both)."""
    growth = {}
    for k in (2, 4):
        res = subprocess.run(
            [sys.executable, "-c", _PROBE, str(k)], capture_output=True, text=True, check=True
        )
        base, peak = map(float, res.stdout.split())
        growth[k] = peak - base
    print(f"peak RSS above the imports: 2 provinces {growth[2]:.0f} MiB, 4 {growth[4]:.0f} MiB")
    assert growth[2] > 20  # the probe measures something: a province's tables
    assert growth[4] < 1.5 * growth[2]
