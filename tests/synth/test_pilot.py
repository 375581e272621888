"""The pilot year's world: the baseline's arrays untouched, one more year appended."""

from __future__ import annotations

import numpy as np

from lbc_eval import SynthSpec
from lbc_eval.synth.pilot import extend_world
from lbc_eval.synth.world import build_world


def test_the_world_gains_one_year_and_keeps_the_baseline():
    spec = SynthSpec.preset("small", n_children=400, n_terms=4, seed=8)
    w = build_world(spec)
    ext = extend_world(spec, w, seed=8)
    years = spec.n_terms // 2
    for name, per in (("household", "years"), ("trained_share", "years"),
                      ("training_person_times", "years"), ("new_teachers", "years"),
                      ("dest_move_shock", "years"), ("supply", "terms")):  # fmt: skip
        old, new = getattr(w, name), getattr(ext, name)
        wanted = years + 1 if per == "years" else spec.n_terms + 2
        assert new.shape[1] == wanted, name
        assert np.array_equal(new[:, : old.shape[1]], old), name
    # training only goes up; households keep their state unless redrawn
    assert (ext.trained_share[:, -1] >= w.trained_share[:, -1]).all()
    kept = ext.household[:, -1] == w.household[:, -1]
    assert 0.6 < kept.mean() < 1  # churn 0.25, and a redraw can land on the same state
    # the extension is a function of its seed
    assert np.array_equal(extend_world(spec, w, seed=8).household, ext.household)
    assert not np.array_equal(extend_world(spec, w, seed=9).supply, ext.supply)
