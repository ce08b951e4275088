# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""FusionEngine on the shipped model: what it refuses to hand on."""

import numpy as np
import pytest

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.inference import NonFiniteOutputError
from multimodal_fusion.spec import SensorFrames


@pytest.fixture(scope='module')
def engine():
    return FusionEngine(default_model_path())


def _frames(spec, proprio_value=0.0):
    proprio = np.zeros(spec.proprio.tensor_shape, np.float32)
    proprio[:, 0] = proprio_value
    return SensorFrames(camera=np.zeros((240, 320, 3), np.uint8),
                        audio=np.zeros(spec.audio.window_samples, np.float32),
                        text='pick up the red cube',
                        touch=np.zeros(spec.touch.tensor_shape, np.float32), proprio=proprio)


def test_a_finite_but_absurd_input_raises_instead_of_returning_nan(engine):
    # The audit's 1e20 joint value: the model's scores turned NaN and the node's publisher
    # raised outside the worker's try, ending the thread.
    with pytest.raises(NonFiniteOutputError) as info:
        engine.infer(_frames(engine.spec, proprio_value=1e20))
    assert 'situation_logits' in info.value.outputs


def test_ordinary_inputs_give_finite_scores(engine):
    result = engine.infer(_frames(engine.spec, proprio_value=0.3))
    assert all(np.isfinite(label.score) for label in result.prediction.situations)


def test_the_model_call_reports_the_cpu_time_of_its_thread(engine):
    # The node benchmark splits the node's CPU into model and non-model time with it.
    result = engine.infer(_frames(engine.spec, proprio_value=0.3))
    assert result.model_cpu_ms > 0.0
    assert np.isfinite(result.model_cpu_ms)
