# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Camera variety: colour names survive the lighting, people vary and are labelled exactly."""

import colorsys
import dataclasses
import itertools

import cv2
import numpy as np
import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim.backgrounds import pool_contents
from multimodal_fusion.sim.scene import COLOR_RGB
from multimodal_fusion.sim.scene import GAIN_RANGE
from multimodal_fusion.sim.scene import GAMMA_RANGE
from multimodal_fusion.sim.scene import sample_person
from multimodal_fusion.sim.scene import TINT_RANGE
from multimodal_fusion.sim.scene import WHITE_SPREAD
from multimodal_fusion.sim.shapes import draw_person
from multimodal_fusion.sim.shapes import FACINGS
from multimodal_fusion.sim.shapes import HAIR_STYLES
from multimodal_fusion.sim.shapes import PERSON_POSES
from multimodal_fusion.sim.shapes import PersonLook
from multimodal_fusion.sim.vocab import PERSON_CLASS


def _hue(rgb) -> float:
    return 360.0 * colorsys.rgb_to_hsv(*(np.asarray(rgb, dtype=np.float64) / 255.0))[0]


def _hue_gap(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


def test_colour_names_survive_every_lighting_extreme():
    base = {name: _hue(rgb) for name, rgb in COLOR_RGB.items()}
    tints = list(itertools.product(TINT_RANGE, repeat=3))
    lifts = list(itertools.product((-12.0, 12.0), repeat=3))
    margin = 360.0
    for name, rgb in COLOR_RGB.items():
        for jitter, shade, lift in itertools.product((0.9, 1.05), (0.6, 0.85, 1.0, 1.1), lifts):
            # Per-object jitter (sample_layout), then face shading (shapes.draw_object).
            colour = np.clip(np.asarray(rgb) * jitter + np.asarray(lift), 0, 255) * shade
            for t, tint, gain, gamma in itertools.product((-1.0, 1.0), tints, GAIN_RANGE,
                                                          GAMMA_RANGE):
                white = np.array((1.0 - WHITE_SPREAD * t, 1.0, 1.0 + WHITE_SPREAD * t))
                lit = np.clip(colour * gain * white * np.asarray(tint), 0, 255)
                hue = _hue(255.0 * (lit / 255.0) ** gamma)
                own = _hue_gap(hue, base[name])
                other = min(_hue_gap(hue, h) for n, h in base.items() if n != name)
                margin = min(margin, other - own)
    # The seen hue stays nearer its own colour's than any other's, with room to spare.
    assert margin > 5.0, margin


def test_people_vary():
    rng = np.random.default_rng(1)
    people = [sample_person(rng, kind, 0.5, 0.0, 5.0)
              for kind in ('still', 'approach', 'handover') for _ in range(150)]
    assert {p.facing for p in people} == set(FACINGS)
    assert {p.pose for p in people} == set(PERSON_POSES)
    assert {p.look.hair_style for p in people} == set(HAIR_STYLES)
    assert any(p.chair for p in people) and any(p.chair is None for p in people)
    assert any(p.look.stripes for p in people)
    assert len({p.look.skin for p in people}) > 50
    heights = [p.height[0] for p in people]
    assert max(heights) / min(heights) > 3.0
    # Some are cut by the frame's edges, the handover is always whole and reaching.
    assert any(p.x[0] < 0.15 or p.x[0] > 0.85 for p in people)
    handovers = people[300:]
    assert all(p.pose == 'reach' and p.facing == 'front' and 0.2 <= p.x[0] <= 0.8
               for p in handovers)


@pytest.mark.parametrize('pose, facing, hair', [
    (pose, facing, hair) for pose in PERSON_POSES for facing in FACINGS
    for hair in HAIR_STYLES])
def test_person_label_covers_what_is_drawn(pose, facing, hair):
    img = np.full((240, 320, 3), 128, np.uint8)
    label = np.zeros((240, 320), np.uint8)
    look = PersonLook(skin=(200, 150, 110), shirt=(30, 90, 200), trousers=(40, 40, 60),
                      hair=(20, 20, 20), hair_style=hair, stripes=(230, 230, 30),
                      long_sleeves=True, build=1.2, head=1.1)
    draw_person(img, label, 3, 160.0, 20.0, 200.0, pose, 1, look, facing)
    changed = np.any(np.abs(img.astype(int) - 128) > 24, axis=2)
    labelled = (label == 3).astype(np.uint8)
    assert set(np.unique(label)) == {0, 3}
    # Everything drawn is labelled and everything labelled is drawn, up to the one-pixel
    # anti-aliased rim.
    kernel = np.ones((3, 3), np.uint8)
    rim_out = cv2.dilate(labelled, kernel) > 0
    rim_in = cv2.erode(labelled, kernel) > 0
    assert np.count_nonzero(changed & ~rim_out) <= 5
    assert np.count_nonzero(rim_in & ~changed) <= 0.01 * np.count_nonzero(labelled)


def test_bystanders_are_labelled_people(sim_config):
    simulator = ScenarioSimulator(5, sim_config)
    found = 0
    for index in range(600):
        plan = simulator.plan(index)
        if not plan.scene.others:
            continue
        assert plan.scene.person is not None
        episode = simulator.episode(index)
        frame = episode.frame(episode.anchor)
        people = frame.classes == PERSON_CLASS
        assert np.all(frame.source[people] == -1)
        found += 1
        if found >= 3:
            break
    assert found >= 1


@pytest.mark.parametrize('factor', [(), ('background',)])
def test_simulator_draws_backgrounds_from_its_pool(sim_config, factor):
    config = dataclasses.replace(sim_config, held_out=factor)
    photos, textures, _ = pool_contents(config.pool('background'))
    simulator = ScenarioSimulator(3, config)
    names = {simulator.plan(i).scene.background.name for i in range(120)}
    assert names <= set(photos) | set(textures)
    assert len(names) >= 8
