"""The policy truth is computed over every child enrolled in a term, including the children who
leave at the end of it (they are in that term's panel, so they are in its estimand)."""

from __future__ import annotations

import numpy as np
import pytest

from lbc_eval import SynthSpec, simulate
from lbc_eval.data.codebook import OUTCOMES
from lbc_eval.synth.engine import policy_population, term
from lbc_eval.synth.state import State
from lbc_eval.synth.truth import Accumulator
from lbc_eval.synth.world import build_world

SPEC = SynthSpec.preset("small", seed=21, n_children=1500)


@pytest.fixture(scope="module")
def worlds():
    """Both worlds run term by term, each with its panel rows (the factual world's are the
    cohort's), and the policy population."""
    w = build_world(SPEC)
    pop = policy_population(w)
    runs = {}
    for policy in (True, False):
        st = State.start(w)
        runs[policy] = [
            term(SPEC, w, st, t, policy=policy, acc=Accumulator(), keep=pop)
            for t in range(SPEC.n_terms)
        ]
    return w, pop, runs[True], runs[False]


def _enrolled(frame, ids):
    """Which of ``ids`` have a row in a term's panel frame."""
    return np.isin(ids, frame["student_id"].to_numpy(dtype=object))


def test_active_is_everyone_enrolled_that_term_including_leavers(worlds):
    w, pop, fact, cf = worlds
    ids = np.asarray(w.student_id[pop], dtype=object)
    leavers = 0
    for out in (*fact, *cf):
        in_panel = _enrolled(out.frame, ids)
        np.testing.assert_array_equal(out.active, in_panel)
        leaving = out.frame.loc[out.frame["exit_reason"].notna(), "student_id"]
        leavers += int(np.isin(ids[out.active], leaving.to_numpy(dtype=object)).sum())
    assert leavers > 0  # the check means something: some of the population leave mid-panel


def test_policy_truth_is_the_att_over_all_children_enrolled_in_both_worlds(worlds):
    w, pop, fact, cf = worlds
    truth = simulate(SPEC).truth["policy"]
    ids = np.asarray(w.student_id[pop], dtype=object)
    g_year = w.dest_policy_year[w.destination[pop]]
    g_term = np.where(g_year >= 0, 2 * (g_year - SPEC.start_year), -1)
    for o in OUTCOMES:
        cells = {(c["group"], c["time"]): c for c in truth[o]["att_gt"]}
        for t in range(SPEC.n_terms):
            both = _enrolled(fact[t].frame, ids) & _enrolled(cf[t].frame, ids)
            for g in sorted(set(g_term[g_term >= 0].tolist())):
                m = both & (g_term == g)
                cell = cells[SPEC.terms[g], SPEC.terms[t]]
                assert cell["n"] == int(m.sum())
                if m.any():
                    att = float(np.mean(fact[t].y[o][m] - cf[t].y[o][m]))
                    assert cell["att"] == pytest.approx(att, abs=1e-12), (o, g, t)
