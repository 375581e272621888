"""SynthSpec: presets, overrides and clear errors for bad specs."""

from __future__ import annotations

import pytest

from lbc_eval import SpecError, SynthSpec


def test_presets_have_the_documented_sizes():
    assert SynthSpec.preset("county").n_children == 30_000
    assert SynthSpec.preset("county").n_schools == 60
    assert SynthSpec.preset("county").n_townships == 20
    assert SynthSpec.preset("province").n_children == 1_000_000
    national = SynthSpec.preset("national")
    assert national.n_provinces == 14 and national.n_children == 1_000_000
    assert SynthSpec.preset("province").n_provinces == 1
    small = SynthSpec.preset("small", seed=4)
    assert small.n_children < 10_000 and small.seed == 4 and small.n_terms == 8


def test_defaults_follow_the_literature():
    spec = SynthSpec()
    assert spec.gap_math[2] == -0.10  # both parents away (Zhang, Behrman et al. 2014)
    assert spec.gap_sdq[2] == 0.10  # Guangdong 2014
    assert spec.training_effect == 0.0  # Loyalka et al. 2019
    assert spec.school_icc == 0.20
    assert spec.tutoring_effect_math == 0.13
    # no published size: the stress-test knobs are off by default, and say so
    ranges = {k["name"]: (k["range"], k["doc"]) for k in SynthSpec.knobs()}
    for name, allowed in (
        ("targeting_feedback", (0, 2)),
        ("destination_shock_sd", (0, 3)),
        ("training_trend", (-1, 1)),
    ):
        assert getattr(spec, name) == 0.0
        assert ranges[name][0] == allowed
        assert "off by default" in ranges[name][1]


def test_spec_is_frozen_and_update_validates():
    spec = SynthSpec.preset("small")
    with pytest.raises(AttributeError):
        spec.seed = 3  # type: ignore[misc]
    assert spec.update(seed=3).seed == 3
    with pytest.raises(SpecError, match="p_paired_lb"):
        spec.update(p_paired_lb=1.5)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("n_children", -5, r"n_children: -5 is outside the allowed range \[10, 5000000\]"),
        ("n_schools", 0, r"n_schools: 0 is outside the allowed range"),
        ("p_father_away", 1.2, r"p_father_away: 1.2 is outside the allowed range \[0, 1\]"),
        ("migration_churn", -0.1, r"migration_churn: -0.1 is outside"),
        ("school_icc", 0.9, r"school_icc: 0.9 is outside the allowed range \[0, 0.6\]"),
        ("n_children", 100.5, r"n_children: 100.5 must be a whole number"),
        ("gap_math", (0.0, 0.0, 3.0), r"gap_math: 3.0 is outside"),
        ("supply_sd", float("nan"), r"supply_sd: nan is not a finite number"),
        ("n_terms", 7, r"n_terms: 7 is odd"),
    ],
)
def test_bad_specs_name_the_field_and_range(field, value, match):
    with pytest.raises(SpecError, match=match) as info:
        SynthSpec.preset("small", **{field: value})
    assert info.value.field == field


def test_structural_constraints():
    with pytest.raises(SpecError, match="n_schools"):
        SynthSpec(n_schools=10, n_townships=20)
    with pytest.raises(SpecError, match="share_talks"):
        SynthSpec(share_talks=0.8, share_home_visits=0.5)


def test_unknown_preset_and_field():
    with pytest.raises(
        SpecError, match="unknown preset 'town'; choose one of small, county, province, national"
    ):
        SynthSpec.preset("town")
    with pytest.raises(SpecError, match="n_kids"):
        SynthSpec.preset("small", n_kids=3)


def test_dict_round_trip_and_knobs_documented():
    spec = SynthSpec.preset("small", seed=9, gap_math=(0.1, 0.0, -0.2))
    assert SynthSpec.from_dict(spec.to_dict()) == spec
    knobs = SynthSpec.knobs()
    assert all(k["doc"] for k in knobs)
    assert {k["name"] for k in knobs} >= {
        "seed",
        "dose_scale",
        "training_effect",
        "move_hazard_policy",
        "school_icc",
    }


def test_knobs_page_is_current():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "knobs.md"
    assert page.read_text(encoding="utf-8") == SynthSpec.knobs_markdown(), (
        "docs/knobs.md is out of date: run `lbc-eval codebook --out docs`"
    )


def test_tuple_knobs_need_three_numbers():
    with pytest.raises(SpecError, match=r"gap_math: .* must be 3 numbers"):
        SynthSpec(gap_math=(0.1,))  # type: ignore[arg-type]
    with pytest.raises(SpecError, match="gap_sdq"):
        SynthSpec(gap_sdq=0.1)  # type: ignore[arg-type]
