# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The demo plays what the model it shows was trained to hear."""

import pytest
import torch

from multimodal_fusion.export import export_model
from multimodal_fusion.models import build_model
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.ros.demo import model_reads_relations


@pytest.mark.parametrize('relations', [False, True])
def test_the_demo_plays_relations_to_a_model_that_reads_them(tmp_path, relations):
    config = tiny_model_config(relations=relations)
    torch.manual_seed(0)
    path = export_model(build_model('gated', config).eval(), tmp_path / 'm.pt',
                        labels={'situations': ['a'] * config.num_situations,
                                'actions': ['a'] * config.num_actions,
                                'object_classes': ['a'] * config.num_object_classes},
                        strategy='gated', config=config, training_summary={})
    assert model_reads_relations(path) is relations
