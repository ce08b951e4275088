# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import dataclasses
import json

import pytest

from multimodal_fusion.models import ModelConfig
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.spec import CameraSpec
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import TextSpec


def test_defaults_are_valid_and_grid_follows_camera():
    config = ModelConfig()
    assert config.grid_hw == (16, 16)
    assert tiny_model_config().grid_hw == (4, 4)


def test_dict_round_trip_through_json():
    config = tiny_model_config(camera_backbone='efficientnet_lite0',
                               fusion=dataclasses.replace(tiny_model_config().fusion,
                                                          modalities=('camera', 'audio')))
    data = json.loads(json.dumps(config.to_dict()))
    assert ModelConfig.from_dict(data) == config


def test_a_config_written_before_relations_reads_as_a_model_without_them():
    data = ModelConfig(relations=True).to_dict()
    assert ModelConfig.from_dict(data).relations is True
    del data['relations']
    assert ModelConfig.from_dict(data).relations is False


def test_word_dropout_round_trips_reads_zero_from_older_files_and_is_checked():
    data = json.loads(json.dumps(ModelConfig(word_dropout=0.5).to_dict()))
    assert ModelConfig.from_dict(data).word_dropout == 0.5
    del data['word_dropout']
    assert ModelConfig.from_dict(data).word_dropout == 0.0
    with pytest.raises(ValueError, match='word_dropout must be in'):
        ModelConfig(word_dropout=1.0)


def test_token_state_text_round_trips_and_older_files_read_the_pooled_vector():
    spec = dataclasses.replace(ModalitySpec(), text=TextSpec(tokens=True, max_tokens=24))
    assert spec.text.tensor_shape == (24, 384) and TextSpec().tensor_shape == (384,)
    data = json.loads(json.dumps(ModelConfig(spec=spec).to_dict()))
    assert ModelConfig.from_dict(data).spec.text == spec.text
    del data['spec']['text']['tokens']  # a model file from before token states
    assert ModelConfig.from_dict(data).spec.text == TextSpec(max_tokens=24)
    # A pooled model writes the form files had before token states (the int8 copy of an
    # older file then carries the same spec as its source).
    assert 'tokens' not in ModelConfig().to_dict()['spec']['text']


def test_from_dict_rejects_malformed():
    data = ModelConfig().to_dict()
    del data['spec']
    with pytest.raises(ValueError, match='malformed'):
        ModelConfig.from_dict(data)
    with pytest.raises(ValueError, match='malformed'):
        ModelConfig.from_dict({**ModelConfig().to_dict(), 'bogus': 1})


@pytest.mark.parametrize('overrides, match', [
    ({'camera_backbone': 'resnet'}, 'camera_backbone'),
    ({'fusion': FusionConfig(modalities=('audio', 'text'))}, "'camera'"),
    ({'spec': ModalitySpec(camera=CameraSpec(height=100, width=128))}, 'multiple of 8'),
    ({'spec': ModalitySpec(camera=CameraSpec(height=120, width=128)),
      'camera_backbone': 'efficientnet_lite0'}, 'multiple of 16'),
    ({'camera_tokens': 17}, 'camera_tokens'),
    ({'num_actions': 0}, 'num_actions'),
    ({'dropout': 1.0}, 'dropout'),
])
def test_invalid_values_raise_naming_the_value(overrides, match):
    with pytest.raises(ValueError, match=match):
        ModelConfig(**overrides)
