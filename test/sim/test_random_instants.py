# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Samples at random labelled instants of their episodes (``random_instant_fraction``)."""

import dataclasses

import numpy as np
import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim.referring import resolve_boxes

COUNT = 44


@pytest.fixture(scope='module')
def pairs(sim_config):
    anchors = ScenarioSimulator(7, sim_config)
    anywhere = ScenarioSimulator(7, dataclasses.replace(sim_config, random_instant_fraction=1.0))
    return [(anchors.sample(i), anywhere.sample(i), anywhere.episode(i)) for i in range(COUNT)]


def test_random_instants_are_labelled_frames_of_the_same_episode(pairs):
    moved = 0
    for anchor, sample, episode in pairs:
        assert sample.truth.situation >= 0
        assert 0.0 <= sample.stamp <= episode.duration
        # On the camera clock, and the windows are the episode's at that instant.
        frame = sample.stamp * episode.config.spec.camera.rate_hz
        assert abs(frame - round(frame)) < 1e-9
        again = episode.window(sample.stamp)
        assert np.array_equal(again.frames.camera, sample.frames.camera)
        assert again.truth.situation == sample.truth.situation
        moved += sample.stamp != anchor.stamp
    assert moved > COUNT // 2


def test_the_words_still_pick_the_target(pairs):
    named = 0
    for _, sample, _ in pairs:
        truth = sample.truth
        if truth.reference is None:
            continue
        named += 1
        assert resolve_boxes(truth.reference, truth.classes, truth.colors, truth.sizes,
                             truth.boxes) == [truth.target]
    assert named > 0


def test_situations_differ_from_the_planned_one_somewhere(pairs):
    # Instants before and after the decisive cue show other situations: that is the point.
    assert any(s.truth.situation != a.truth.situation for a, s, _ in pairs)


def test_fraction_zero_is_the_anchor_and_draws_are_deterministic(sim_config):
    half = dataclasses.replace(sim_config, random_instant_fraction=0.5)
    a = [ScenarioSimulator(3, half).sample(i).stamp for i in range(12)]
    b = [ScenarioSimulator(3, half).sample(i).stamp for i in reversed(range(12))][::-1]
    assert a == b
    anchors = [ScenarioSimulator(3, sim_config).episode(i).anchor for i in range(12)]
    assert 0 < sum(x != y for x, y in zip(a, anchors)) < 12


def test_fraction_out_of_range_is_refused():
    with pytest.raises(ValueError, match='random_instant_fraction'):
        SimConfig(random_instant_fraction=1.5)
