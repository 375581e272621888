"""The truth: each estimand's value for the generated sample, from its potential outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lbc_eval._version import __version__
from lbc_eval.data.codebook import CODEBOOK_VERSION, OUTCOMES
from lbc_eval.data.ids import synthetic_key
from lbc_eval.synth.dgp import DOSE_GRID, NONE, dose_effect, measure
from lbc_eval.synth.spec import SynthSpec
from lbc_eval.synth.state import State, TermOut
from lbc_eval.synth.world import World

#: Which units each estimand averages over (all are sample quantities of the generated
#: cohort, from its potential outcomes; none is a superpopulation parameter).
POPULATIONS: dict[str, str] = {
    "dose_response": "paired (mentored) child-terms t whose child is still enrolled at t+1, "
    "with or without an observed outcome at t+1, paired children with zero contacts "
    "included; curve = mean of Y_{t+1}(c) - Y_{t+1}(0), ame = mean of Y_{t+1}(C_t + 1) - "
    "Y_{t+1}(C_t) at the contacts received (sample AME)",
    "training": "a structural constant, not a sample average: the effect on a child's score "
    "of its school's trained-teacher share going from 0 to 1 (training_effect, plus "
    "training_effect_lb for left-behind children); 'overall' weights the left-behind "
    "effect by the left-behind share of all enrolled child-terms",
    "policy.moved": "children enrolled and left behind in the first term whose parents' "
    "destination adopted with first policy term g (group g), at term t: those still "
    "enrolled at t in the world without the policy or who moved out with their parents "
    "before t there (sample ATT(g,t) of having moved to live with the parents by the end of "
    "term t)",
    "policy.outcomes": "the same children (group g), at term t: those enrolled at t in both "
    "the policy and the no-policy world, whether or not their outcome is recorded (sample "
    "ATT(g,t)); event_time and overall average ATT(g,t) weighted by the groups' first-term "
    "sizes",
    "lb_gap": "left-behind child-terms of enrolled children, by status (father, mother, "
    "both; 'any' pools them), with or without a recorded outcome: mean of Y(L_it) - "
    "Y(none) (sample ATT of the status)",
    "other": "structural constants set by the knobs (effects in SD)",
}


@dataclass
class Accumulator:
    """Running sums for the truth (and the autumn head counts of the schools table)."""

    enrolment: list[np.ndarray] = field(default_factory=list)
    dose_n: int = 0
    dose_curve: dict[str, np.ndarray] = field(default_factory=dict)
    dose_ame: dict[str, float] = field(default_factory=dict)
    gap_n: np.ndarray = field(default_factory=lambda: np.zeros(4))
    gap_sum: dict[str, np.ndarray] = field(default_factory=dict)
    lb_rows: int = 0
    rows: int = 0


def accumulate(
    spec: SynthSpec,
    acc: Accumulator,
    on: np.ndarray,
    st: State,
    lb: np.ndarray,
    base: dict[str, np.ndarray],
    gaps: dict[str, np.ndarray],
    z: dict[str, np.ndarray],
    y_rec: dict[str, np.ndarray],
) -> None:
    """Potential outcomes for the dose-response and gap truths, summed over this term's rows."""
    # dose: children mentored last term (prev_contacts counts only paired children) and
    # enrolled now. Paired children with zero contacts count too: they had the chance.
    sel = on & st.prev_paired
    if sel.any():
        c = st.prev_contacts[sel]
        acc.dose_n += int(sel.sum())
        for o in OUTCOMES:
            b = base[o][sel] + gaps[o][sel]
            y0 = measure(o, b + dose_effect(spec, o, 0.0))
            curve = np.array(
                [(measure(o, b + dose_effect(spec, o, k)) - y0).sum() for k in DOSE_GRID]
            )
            ame = (
                measure(o, b + dose_effect(spec, o, c + 1))
                - measure(o, b + dose_effect(spec, o, c))
            ).sum()
            acc.dose_curve[o] = acc.dose_curve.get(o, 0) + curve
            acc.dose_ame[o] = acc.dose_ame.get(o, 0.0) + float(ame)
    # left-behind gaps: Y(L) - Y(none) over left-behind child-terms, by status
    rows = on & (lb != NONE)
    acc.rows += int(on.sum())
    acc.lb_rows += int(rows.sum())
    for s in (1, 2, 3):
        m = on & (lb == s)
        acc.gap_n[s] += m.sum()
        for o in OUTCOMES:
            d = (y_rec[o][m] - measure(o, z[o][m] - gaps[o][m])).sum()
            acc.gap_sum.setdefault(o, np.zeros(4))[s] += d


# --- tables ---------------------------------------------------------------------------------


STATUSES = ((1, "father"), (2, "mother"), (3, "both"))
UNITS = {"math": "SD", "chinese": "SD", "sdq_total": "SDQ points", "attendance": "share"}


def truth_of(
    spec: SynthSpec,
    w: World,
    acc: Accumulator,
    pop: np.ndarray,
    fact: list[TermOut],
    cf: list[TermOut],
) -> dict[str, Any]:
    units = UNITS
    n = max(acc.dose_n, 1)
    dose = {
        o: {
            "grid": DOSE_GRID.tolist(),
            "curve": (acc.dose_curve.get(o, np.zeros(16)) / n).tolist(),
            "ame": acc.dose_ame.get(o, 0.0) / n,
            "n": acc.dose_n,
            "unit": units[o],
            "max_effect_sd": float(dose_effect(spec, o, 1e9)),
        }
        for o in OUTCOMES
    }
    share_lb = acc.lb_rows / max(acc.rows, 1)
    gaps = {}
    for o in OUTCOMES:
        sums = acc.gap_sum.get(o, np.zeros(4))
        gaps[o] = {
            name: float(sums[s] / acc.gap_n[s]) if acc.gap_n[s] else None for s, name in STATUSES
        }
        gaps[o]["any"] = float(sums[1:].sum() / max(acc.gap_n[1:].sum(), 1))
        gaps[o]["unit"] = units[o]
    return {
        "meta": meta_of(spec),
        "populations": POPULATIONS,
        "dose_response": dose,
        "training": training_of(spec, share_lb),
        "policy": _policytruth_of(spec, w, pop, fact, cf),
        "lb_gap": gaps,
        "other": other_of(spec),
    }


def meta_of(spec: SynthSpec) -> dict[str, Any]:
    """The truth's ``meta``: versions, the spec, the terms and the pseudonyms' public key."""
    return {
        "kit_version": __version__,
        "codebook_version": CODEBOOK_VERSION,
        "spec": spec.to_dict(),
        "terms": spec.terms,
        "synthetic_key_hex": synthetic_key(spec.seed).hex(),
        "definitions": "See lbc_eval.synth: every value is for the generated sample, "
        "from the potential outcomes the generator drew.",
    }


def training_of(spec: SynthSpec, share_lb: float) -> dict[str, Any]:
    """The training truth, given the left-behind share of all enrolled child-terms."""
    return {
        o: {
            "overall": spec.training_effect + spec.training_effect_lb * share_lb,
            "left_behind": spec.training_effect + spec.training_effect_lb,
            "not_left_behind": spec.training_effect,
            "unit": "SD per unit trained share",
        }
        for o in ("math", "chinese")
    }


def other_of(spec: SynthSpec) -> dict[str, Any]:
    """The structural constants of the spec."""
    return {
        "counseling_effect_sdq_sd": spec.counseling_effect_sdq,
        "tutoring_effect_math_sd": spec.tutoring_effect_math,
        "move_effect_sd": {
            "math": spec.move_effect_math,
            "chinese": spec.move_effect_chinese,
            "sdq_total": spec.move_effect_sdq,
        },
    }


def _policytruth_of(
    spec: SynthSpec, w: World, pop: np.ndarray, fact: list[TermOut], cf: list[TermOut]
) -> dict[str, Any]:
    g_year = w.dest_policy_year[w.destination[pop]]
    g_term = np.where(g_year >= 0, 2 * (g_year - spec.start_year), -1)
    groups = sorted(set(g_term[g_term >= 0].tolist()))
    terms = spec.terms
    size = {g: int((g_term == g).sum()) for g in groups}
    out: dict[str, Any] = {
        "population": "children left behind in the first term; group = first term of the "
        "policy at their parents' destination",
        "groups": {terms[g]: size[g] for g in groups},
        "never_treated": int((g_term < 0).sum()),
    }
    size = {g: int((g_term == g).sum()) for g in groups}
    for o in ("moved", *OUTCOMES):
        cells = []
        for t in range(spec.n_terms):
            if o == "moved":
                prev_out = cf[t - 1].movedout if t else np.zeros(pop.size, bool)
                mask = cf[t].active | prev_out
                diff = fact[t].moved_cum.astype(float) - cf[t].moved_cum.astype(float)
            else:
                mask = fact[t].active & cf[t].active
                diff = fact[t].y[o] - cf[t].y[o]
            for g in groups:
                m = mask & (g_term == g)
                k = int(m.sum())
                att = float(diff[m].sum()) / k if k else None
                cells.append(
                    {"group": terms[g], "time": terms[t], "event_time": t - g, "att": att, "n": k}
                )
        out[o] = {"att_gt": cells, **_aggregate(cells, size, terms)}
    return out


def _aggregate(cells: list[dict[str, Any]], size: dict[int, int], terms: list[str]) -> dict:
    """Event-time and overall effects as Callaway & Sant'Anna aggregate them: averages of
    ATT(g,t) weighted by the groups' sizes (children in the group in the first term)."""
    index = {label: i for i, label in enumerate(terms)}
    by_e: dict[int, list[tuple[float, int]]] = {}
    post: list[tuple[float, int]] = []
    for c in cells:
        if c["att"] is None:
            continue
        w = size[index[c["group"]]]
        by_e.setdefault(c["event_time"], []).append((c["att"], w))
        if c["event_time"] >= 0:
            post.append((c["att"], w))

    def mean(pairs: list[tuple[float, int]]) -> float:
        return sum(a * w for a, w in pairs) / sum(w for _, w in pairs)

    return {
        "event_time": [
            {"event_time": e, "att": mean(p), "groups": len(p)} for e, p in sorted(by_e.items())
        ],
        "overall": {"att": mean(post) if post else None, "cells": len(post)},
    }
