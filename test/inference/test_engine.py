# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""FusionEngine on the shipped model: what it refuses to hand on."""

import dataclasses

import numpy as np
import pytest
import torch

from multimodal_fusion.export import export_model
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.inference import NonFiniteOutputError
from multimodal_fusion.models import build_model
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.models.testing import TINY_SPEC
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


def _action_scores(result):
    return sorted((label.name, label.score) for label in result.prediction.actions)


def test_a_model_reading_token_states_gets_them_from_the_engine(tmp_path):
    config = tiny_model_config(spec=dataclasses.replace(
        TINY_SPEC, text=dataclasses.replace(TINY_SPEC.text, tokens=True, max_tokens=16)))
    torch.manual_seed(0)
    labels = {'situations': [f's{i}' for i in range(config.num_situations)],
              'actions': [f'a{i}' for i in range(config.num_actions)],
              'object_classes': [f'o{i}' for i in range(config.num_object_classes)]}
    path = export_model(build_model('token_early', config).eval(), tmp_path / 'tokens.pt',
                        labels=labels, strategy='token_early', config=config,
                        training_summary={'test': True})
    engine = FusionEngine(path)
    assert engine.text_embedder.tokens and engine.spec.text.tensor_shape == (16, 384)
    frames = _frames(engine.spec, proprio_value=0.3)
    said = _action_scores(engine.infer(frames))
    other = _action_scores(engine.infer(dataclasses.replace(
        frames, text='the ball right of the red cube')))
    silent = _action_scores(engine.infer(dataclasses.replace(frames, text=None)))
    assert said != other and said != silent
