# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Slip is the held load falling until the object leaves the hand; labels follow it."""

import numpy as np

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim.plan import SLIP_SETTLE_S
from multimodal_fusion.sim.touch import Slip
from multimodal_fusion.sim.vocab import UNLABELLED


def test_slip_load_falls_in_steps_from_all_to_nothing():
    bursts = tuple((2.0 + 0.05 * k, 40.0, 1.0, 0.0) for k in range(20))
    slip = Slip(start=2.0, end=3.0, jerk=0.1, stepped=0.6, bursts=bursts)
    t = np.arange(0, 4.0, 0.001)
    fraction = slip.fraction(t)
    assert np.all(fraction[t < 2.0] == 1.0)
    assert np.all(fraction[t >= 3.0] == 0.0)
    assert np.all(np.diff(fraction) <= 1e-12)
    # The first jerk, and a step at each stick-slip event.
    assert fraction[np.searchsorted(t, 2.01)] < 0.9
    step = np.diff(fraction[(t > 2.2) & (t < 2.4)])
    assert np.sum(step < -0.005) >= 3


def _slipping_episodes(count, cache_dir):
    config = SimConfig(situations=('object_slipping',), cache_dir=cache_dir)
    simulator = ScenarioSimulator(9, config)
    return [simulator.episode(i) for i in range(count)]


def test_slipping_is_labelled_while_the_load_falls_then_the_hand_is_empty(sim_config):
    slipping = SITUATIONS.index('object_slipping')
    for episode in _slipping_episodes(12, sim_config.cache_dir):
        slip = next(w.slip for w in episode.plan.touch.wrists if w.slip is not None)
        assert slip.start + SLIP_SETTLE_S < episode.anchor < slip.end
        assert episode.situation_at(slip.start + 0.5 * SLIP_SETTLE_S) == UNLABELLED
        assert episode.situation_at(0.5 * (slip.start + slip.end)) == slipping
        assert episode.situation_at(slip.end + 0.2) == UNLABELLED
        after = slip.end + 0.6
        if after < episode.duration:
            label = episode.situation_at(after)
            assert label != slipping
            others = [w for w in episode.plan.touch.wrists if w.load_mass > 0 and w.slip is None]
            if not others and label != UNLABELLED:
                assert SITUATIONS[label] not in ('object_grasped', 'handover')
