"""Cohort: write, read back, columnar reads and clear errors."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lbc_eval import CohortFormatError, read_cohort
from lbc_eval.data.codebook import CODEBOOK_VERSION
from tests.conftest import cohort_for


@pytest.fixture(scope="module")
def cohort():
    return cohort_for("small", 21, n_children=500)


def test_parquet_round_trip_is_exact(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    back = read_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.panel, cohort.panel)
    pd.testing.assert_frame_equal(back.schools, cohort.schools)
    pd.testing.assert_frame_equal(back.destinations, cohort.destinations)
    pd.testing.assert_frame_equal(back.roster, cohort.roster)
    assert back.truth == json.loads(json.dumps(cohort.truth))


def test_panel_is_partitioned_by_term(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    parts = sorted(p.parent.name for p in (tmp_path / "c" / "panel").glob("*/*.parquet"))
    assert parts == [f"term={t}" for t in sorted(cohort.terms)]
    meta = json.loads((tmp_path / "c" / "cohort.json").read_text())
    assert meta["codebook_version"] == CODEBOOK_VERSION
    assert meta["tables"]["panel"] == len(cohort.panel)


def test_columnar_and_term_reads(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    part = read_cohort(tmp_path / "c", columns=["student_id", "math"], terms=[cohort.terms[1]])
    assert set(part.panel.columns) == {"term", "student_id", "math"}
    assert (part.panel["term"] == cohort.terms[1]).all()
    assert len(part.panel) == (cohort.panel["term"] == cohort.terms[1]).sum()


def test_csv_round_trip_keeps_values(cohort, tmp_path):
    cohort.write(tmp_path / "c", format="csv")
    back = read_cohort(tmp_path / "c")
    pd.testing.assert_frame_equal(back.panel, cohort.panel, check_exact=False, rtol=1e-12)


def test_rewrite_replaces_and_refuses_foreign_folders(cohort, tmp_path):
    cohort.write(tmp_path / "c")
    cohort.write(tmp_path / "c")  # replacing a cohort is fine
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("keep me")
    with pytest.raises(CohortFormatError, match="not empty and holds no cohort"):
        cohort.write(tmp_path / "other")
    assert (tmp_path / "other" / "notes.txt").exists()


def test_read_errors_say_what_to_do(tmp_path):
    with pytest.raises(CohortFormatError, match="lbc-eval synth"):
        read_cohort(tmp_path)
    (tmp_path / "cohort.json").write_text(json.dumps({"codebook_version": "0.9"}))
    with pytest.raises(CohortFormatError, match="codebook 0.9"):
        read_cohort(tmp_path)


def test_summary_and_repr(cohort):
    s = cohort.summary().set_index("figure")["value"]
    assert int(s["children"]) == cohort.panel["student_id"].nunique()
    assert "synthetic" in repr(cohort)
    assert "<table" in cohort._repr_html_()
