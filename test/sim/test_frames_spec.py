# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Samples are exactly what the node hands the model (spec.py)."""

import dataclasses

import numpy as np
import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import JOINT_NAMES
from multimodal_fusion.spec import SensorFrames


def _check(sample, width, height):
    frames = sample.frames
    spec = DEFAULT_SPEC
    assert isinstance(frames, SensorFrames)
    assert frames.camera.shape == (height, width, 3) and frames.camera.dtype == np.uint8
    assert frames.audio.shape == (spec.audio.window_samples,) == (16000,)
    assert frames.audio.dtype == np.float32
    assert np.all(np.abs(frames.audio) <= 1.0)
    assert frames.touch.shape == spec.touch.tensor_shape == (100, 12)
    assert frames.touch.dtype == np.float32
    assert frames.proprio.shape == spec.proprio.tensor_shape == (100, 2 * len(JOINT_NAMES) + 10)
    assert frames.proprio.dtype == np.float32
    assert frames.text is None or (isinstance(frames.text, str) and frames.text)
    for name in ('audio', 'touch', 'proprio'):
        assert np.all(np.isfinite(getattr(frames, name)))
    quaternion = frames.proprio[:, 2 * len(JOINT_NAMES):2 * len(JOINT_NAMES) + 4]
    np.testing.assert_allclose(np.linalg.norm(quaternion, axis=1), 1.0, atol=1e-5)
    # Standing still, the accelerometer reads gravity (about 9.81 m/s^2 in magnitude).
    assert 5.0 < np.median(np.linalg.norm(frames.proprio[:, -3:], axis=1)) < 13.0
    expected = [bool(frames.camera is not None), True, frames.text is not None, True, True]
    assert frames.presence().tolist() == expected


def test_default_samples_follow_the_spec(samples):
    for sample in samples:
        _check(sample, 320, 240)


@pytest.mark.parametrize('width, height', [(640, 480), (160, 120), (424, 240)])
def test_other_source_resolutions(sim_config, width, height):
    config = dataclasses.replace(sim_config, image_width=width, image_height=height)
    simulator = ScenarioSimulator(2, config)
    for index in range(len(SITUATIONS)):
        sample = simulator.sample(index)
        _check(sample, width, height)
        boxes = sample.truth.boxes
        assert np.all(boxes[:, 2] <= width) and np.all(boxes[:, 3] <= height)


def test_held_out_backgrounds_follow_the_spec(sim_config):
    config = dataclasses.replace(sim_config, held_out=('background',))
    simulator = ScenarioSimulator(4, config)
    for index in range(len(SITUATIONS)):
        _check(simulator.sample(index), 320, 240)
