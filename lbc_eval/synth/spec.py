"""The synthetic generator's specification: every knob, its range and where its default comes from.

Defaults follow the project's ``docs/literature.md`` (effects in standard deviations, SD, of the
outcome).
A spec is frozen; derive variants with :meth:`SynthSpec.update` or
``SynthSpec.preset(name, **overrides)``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lbc_eval.data.terms import term_label, year_start
from lbc_eval.errors import SpecError

INF = math.inf


def _k(default: Any, lo: float, hi: float, doc: str) -> Any:
    return field(default=default, metadata={"range": (lo, hi), "doc": doc})


@dataclass(frozen=True)
class SynthSpec:
    """Specification of a synthetic county cohort.

    Every field is a knob of the data-generating process written out in
    :func:`lbc_eval.synth.simulate`; ``SynthSpec.knobs()`` lists them with their ranges and
    documentation. Tuples ``(father, mother, both)`` give a left-behind gap for each status.

    Examples
    --------
    >>> spec = SynthSpec.preset("small", seed=3)
    >>> spec.n_children, spec.seed
    (3000, 3)
    >>> spec.update(training_effect=0.05).training_effect
    0.05
    """

    # structure
    seed: int = _k(0, 0, 2**63 - 1, "Random seed; the same spec gives the same bytes.")
    n_children: int = _k(
        30_000,
        10,
        5_000_000,
        "Children enrolled in the first term; a new "
        "grade-1 cohort of n_children/9 enters each autumn.",
    )
    n_schools: int = _k(
        60,
        2,
        20_000,
        "Schools; each township has one junior secondary "
        "school (grades 7-9) and at least one primary school (grades 1-6).",
    )
    n_townships: int = _k(
        20,
        1,
        10_000,
        "Township-level units (Shulan: 20); township 1 is the "
        "county seat, with more and larger schools.",
    )
    n_destinations: int = _k(
        12,
        3,
        500,
        "Parents' work destinations; the first is the county "
        "seat itself (in-county, always adopting the policy), a third of the rest are in the "
        "province.",
    )
    n_provinces: int = _k(
        1,
        1,
        99,
        "Provinces of a national cohort (the national preset: 14 provinces of the province "
        "preset's size, about 107 million child-terms). Above 1 the cohort is written to disk "
        "province by province (lbc_eval.synth.write_national, lbc-eval synth --out DIR), each "
        "province simulated with its own seed derived from seed; n_children, n_schools, "
        "n_townships and n_destinations are then per province.",
    )
    start_year: int = _k(2021, 2000, 2090, "Academic year of the first term (autumn).")
    n_terms: int = _k(8, 4, 40, "Terms simulated (two per academic year).")
    class_size: int = _k(40, 5, 80, "Target class size.")

    # families
    p_father_away: float = _k(
        0.40, 0, 1, "Share of households with the father working away (at average disadvantage)."
    )
    p_mother_away_with_father: float = _k(0.45, 0, 1, "P(mother away | father away).")
    p_mother_away_alone: float = _k(0.08, 0, 1, "P(mother away | father at home).")
    migration_need: float = _k(
        0.30, -3, 3, "Log-odds of a parent working away per SD of the household's disadvantage."
    )
    migration_churn: float = _k(
        0.25,
        0,
        1,
        "Each autumn a household redraws its migration "
        "state with this probability (parents start and stop working away).",
    )
    p_low_income: float = _k(
        0.15, 0, 1, "Share of low-income households (at average disadvantage; rises with it)."
    )

    # mentoring (Q1)
    p_paired_lb: float = _k(0.85, 0, 1, "P(left-behind child is paired with a mentor) each term.")
    p_paired_low_income: float = _k(
        0.25, 0, 1, "P(paired) for a low-income child who is not left behind."
    )
    mean_contacts: float = _k(
        5.0,
        0,
        50,
        "Mean mentoring contacts (talks + home visits + "
        "parent contacts) per paired child-term at average need and supply.",
    )
    contact_targeting: float = _k(
        0.5,
        -2,
        2,
        "Log contacts per SD of the child's need: "
        "mentors see needier children more (confounds the cross-section).",
    )
    supply_sd: float = _k(
        0.5,
        0,
        2,
        "SD of the log volunteer-supply shock per school and term "
        "(the exogenous within-child variation in contacts).",
    )
    targeting_feedback: float = _k(
        0.0,
        0,
        2,
        "phi: log contacts per SD of the child's current-term SDQ shock (the transitory part "
        "of this term's SDQ, not the child's fixed need): mentors give more contacts in a "
        "child's bad term, mu_it gets the factor exp(phi z_it - phi^2/2). Within-child "
        "estimates of next-term effects are then biased (child fixed effects mix this term's "
        "shock into the demeaned outcome; lagged-outcome controls too). Assumption: off by "
        "default (no source measures it); turn on to stress-test.",
    )
    share_talks: float = _k(0.5, 0, 1, "Share of contacts that are talks.")
    share_home_visits: float = _k(
        0.2, 0, 1, "Share of contacts that are home visits (the rest are contacts with parents)."
    )
    dose_scale: float = _k(
        4.0,
        0.1,
        100,
        "c0 in f(c) = b (1 - exp(-c / c0)): contacts at which "
        "63% of the maximum effect is reached (diminishing returns).",
    )
    dose_max_sdq: float = _k(
        -0.25,
        -2,
        2,
        "b for next-term SDQ, in SD (care reduces "
        "difficulties; literature: counselling/care -0.20 SD, assumption).",
    )
    dose_max_attendance: float = _k(0.20, -2, 2, "b for next-term attendance, in SD.")
    dose_max_math: float = _k(
        0.0, -2, 2, "b for next-term math, in SD (peer mentoring: 0, Song, Loewenstein & Shi 2014)."
    )
    dose_max_chinese: float = _k(0.0, -2, 2, "b for next-term Chinese, in SD.")

    # schools and teacher training (Q2)
    school_icc: float = _k(
        0.20,
        0,
        0.6,
        "Share of score variance between schools "
        "(Hedges & Hedberg 2007; no China-specific figure).",
    )
    class_icc: float = _k(0.05, 0, 0.3, "Share of score variance between classes within schools.")
    school_icc_sdq: float = _k(
        0.03,
        0,
        0.3,
        "Share of SDQ variance between schools (assumption: mental-health outcomes cluster "
        "much less than scores).",
    )
    quality_score_corr: float = _k(
        0.6, -1, 1, "Correlation of a school's management quality with its score effect."
    )
    training_targeting: float = _k(
        0.8,
        -3,
        3,
        "Log-odds of yearly training uptake per SD of "
        "school quality (better-run schools train first).",
    )
    training_effect: float = _k(
        0.0,
        -1,
        1,
        "Effect on scores, in SD, of a school's trained-"
        "teacher share going from 0 to 1 (Loyalka et al. 2019: null).",
    )
    training_effect_lb: float = _k(0.0, -1, 1, "Additional effect for left-behind children.")
    training_trend: float = _k(
        0.0,
        -1,
        1,
        "Score trend, in SD per year, per SD of the school's training-uptake propensity "
        "(standardised tau q_s + 0.3 log size): schools that train earlier also improve (or "
        "decline) for other reasons, a confounder school fixed effects do not remove; the "
        "true training effect stays training_effect. Assumption: off by default (no source "
        "gives school trends by training uptake); turn on to stress-test.",
    )

    # left-behind gaps, (father, mother, both), in SD
    gap_math: tuple[float, float, float] = _k(
        (-0.02, -0.02, -0.10),
        -1,
        1,
        "Math gap by status (Zhang, Behrman et al. 2014: "
        "both away -0.10 to -0.14 SD; sign contested).",
    )
    gap_chinese: tuple[float, float, float] = _k(
        (-0.02, -0.02, -0.08), -1, 1, "Chinese gap by status."
    )
    gap_sdq: tuple[float, float, float] = _k(
        (0.05, 0.05, 0.10), -1, 1, "SDQ gap by status (Guangdong 2014: +0.10 SD)."
    )
    gap_attendance: tuple[float, float, float] = _k(
        (0.0, 0.0, -0.05), -1, 1, "Attendance gap by status."
    )

    # other support
    counseling_effect_sdq: float = _k(
        -0.20,
        -2,
        2,
        "Effect on next-term SDQ, in SD, of any "
        "counselling (assumption; counselling targets high SDQ).",
    )
    tutoring_effect_math: float = _k(
        0.13,
        -1,
        1,
        "Effect on math, in SD, of 40 or more hours of tutoring in a term (REAP RCTs: 0.12-0.20).",
    )
    p_tutoring_school: float = _k(0.4, 0, 1, "Share of schools running a tutoring programme.")
    scholarship_rate: float = _k(0.06, 0, 1, "Scholarships per pupil and year.")
    scholarship_lb_preference_sd: float = _k(
        1.0,
        0,
        5,
        "SD across schools of the log-odds "
        "preference for left-behind recipients (some schools "
        "fall short of the 30% rule).",
    )

    # enrolment policy (Q3)
    policy_share_never: float = _k(
        0.35,
        0.05,
        0.95,
        "Share of destinations that never adopt residence-permit-based enrolment in the window.",
    )
    move_hazard_base: float = _k(
        0.01, 0, 0.5, "P(left-behind child moves to live with parents) per term without the policy."
    )
    destination_shock_sd: float = _k(
        0.0,
        0,
        3,
        "SD of destination x academic-year shocks u_jy to the log-odds of the baseline "
        "(no-policy) moving hazard of children whose parents work at destination j (local "
        "labour markets and schools' admission practice vary by city and year); common to "
        "both worlds, so not a policy effect, but outcomes cluster by destination. "
        "Assumption: off by default (no source gives its size); turn on to stress-test.",
    )
    move_hazard_policy: float = _k(0.04, 0, 0.5, "Added hazard at full exposure to the policy.")
    move_ramp_terms: float = _k(
        2.0,
        0.01,
        40,
        "Exposure ramp: the added hazard at event time e is scaled by 1 - exp(-(e + 1) / ramp).",
    )
    move_cohort_heterogeneity: float = _k(
        2.0,
        0,
        5,
        "The earliest adopters' added hazard is "
        "(1 + this) times the latest adopters' (early "
        "adopters ease more; assumption).",
    )
    move_effect_math: float = _k(
        0.5,
        -2,
        2,
        "Effect on math, in SD, of living with parents in "
        "the county seat (Wang et al. 2017: public urban school; assumption).",
    )
    move_effect_chinese: float = _k(0.3, -2, 2, "Same for Chinese.")
    move_effect_sdq: float = _k(-0.10, -2, 2, "Same for SDQ.")

    # attrition and missing outcomes
    dropout_hazard: float = _k(
        0.002,
        0,
        0.5,
        "Drop-out hazard per term (average child, "
        "primary); rises with need and in junior secondary.",
    )
    transfer_hazard: float = _k(0.005, 0, 0.5, "Hazard per term of transferring out of the county.")
    missing_scores: float = _k(0.04, 0, 0.9, "Share of missing scores at average observables.")
    missing_sdq: float = _k(0.08, 0, 0.9, "Share of missing SDQ surveys at average observables.")
    missing_attendance: float = _k(0.02, 0, 0.9, "Share of missing attendance records.")
    missing_need: float = _k(
        0.5,
        -3,
        3,
        "Log-odds of a missing outcome per SD of need (missing at random given observables).",
    )

    PRESETS: ClassVar[dict[str, dict[str, Any]]] = {
        "small": {"n_children": 3000, "n_schools": 12, "n_townships": 4, "n_destinations": 10},
        "county": {},
        "province": {
            "n_children": 1_000_000,
            "n_schools": 2000,
            "n_townships": 400,
            "n_destinations": 40,
        },
        "national": {
            "n_children": 1_000_000,
            "n_schools": 2000,
            "n_townships": 400,
            "n_destinations": 40,
            "n_provinces": 14,
        },
    }

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            lo, hi = f.metadata["range"]
            if isinstance(f.default, tuple) and (
                not isinstance(value, tuple) or len(value) != len(f.default)
            ):
                raise SpecError(
                    f.name, f"{value!r} must be {len(f.default)} numbers (father, mother, both)"
                )
            items = value if isinstance(value, tuple) else (value,)
            for v in items:
                if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                    raise SpecError(f.name, f"{v!r} is not a finite number")
                if isinstance(f.default, int) and not isinstance(v, int):
                    raise SpecError(f.name, f"{v!r} must be a whole number")
                if not lo <= v <= hi:
                    raise SpecError(f.name, f"{v!r} is outside the allowed range [{lo}, {hi}]")
        if self.n_schools < 2 * self.n_townships:
            raise SpecError(
                "n_schools",
                f"{self.n_schools} schools cannot give each of the "
                f"{self.n_townships} townships a primary and a junior school; "
                f"use at least {2 * self.n_townships}",
            )
        if self.share_talks + self.share_home_visits > 1:
            raise SpecError("share_talks", "share_talks + share_home_visits must be at most 1")
        if self.school_icc + self.class_icc > 0.8:
            raise SpecError("school_icc", "school_icc + class_icc must be at most 0.8")
        if self.n_terms % 2:
            raise SpecError("n_terms", f"{self.n_terms} is odd; simulate whole academic years")

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> SynthSpec:
        """A named preset (``small``, ``county``, ``province``, ``national``) with fields
        overridden.

        ``national`` is 14 provinces of the ``province`` preset's size (``n_provinces``); it is
        too large for memory and is written to disk by :func:`lbc_eval.synth.write_national`.
        """
        if name not in cls.PRESETS:
            raise SpecError(
                "preset", f"unknown preset {name!r}; choose one of {', '.join(cls.PRESETS)}"
            )
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SpecError(sorted(unknown)[0], "is not a field of SynthSpec")
        return cls(**{**cls.PRESETS[name], **overrides})

    def update(self, **changes: Any) -> SynthSpec:
        """A copy with ``changes`` applied (validated like a new spec)."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise SpecError(sorted(unknown)[0], "is not a field of SynthSpec")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of the knobs (tuples as lists), for JSON.

        ``n_provinces`` is left out when it is 1 (one county or province), so that the
        ``truth.json`` of such cohorts reads as it did before the knob existed.
        """
        return {
            k: list(v) if isinstance(v, tuple) else v
            for k, v in dataclasses.asdict(self).items()
            if k != "n_provinces" or v != 1
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SynthSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})

    @classmethod
    def knobs(cls) -> list[dict[str, Any]]:
        """Every knob with its default, range and documentation."""
        return [
            {
                "name": f.name,
                "default": f.default,
                "range": f.metadata["range"],
                "doc": f.metadata["doc"],
            }
            for f in dataclasses.fields(cls)
        ]

    @classmethod
    def knobs_markdown(cls) -> str:
        """The knobs as a Markdown page (docs/knobs.md is this text)."""
        lines = [
            "# Synthetic generator knobs",
            "",
            "Generated from `lbc_eval/synth/spec.py` by `lbc-eval codebook --out docs`; do not "
            "edit by hand. Effects are in SD of the outcome unless said otherwise; tuples are "
            "(father, mother, both). The equations are in `lbc_eval/synth/__init__.py`, their "
            "code in `lbc_eval/synth/world.py` and `lbc_eval/synth/engine.py`.",
            "",
            "Presets: "
            + "; ".join(
                f"`{name}` ({', '.join(f'{k}={v:,}' for k, v in over.items()) or 'the defaults'})"
                for name, over in cls.PRESETS.items()
            )
            + ".",
            "",
            "| knob | default | allowed | meaning and source |",
            "|---|---|---|---|",
        ]
        for k in cls.knobs():
            lo, hi = k["range"]

            def fmt(x: float) -> str:
                return f"{int(x):,}" if float(x).is_integer() else f"{x:g}"

            lines.append(
                f"| `{k['name']}` | {k['default']} | [{fmt(lo)}, {fmt(hi)}] | {k['doc']} |"
            )
        return "\n".join(lines) + "\n"

    @property
    def terms(self) -> list[str]:
        """The term labels simulated, in order."""
        first = year_start(self.start_year)
        return [term_label(first + t) for t in range(self.n_terms)]
