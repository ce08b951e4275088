# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shared contract: FusionConfig validation and the weight/pooling helpers."""

import math
from typing import Tuple

import pytest
import torch
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.base import masked_mean
from multimodal_fusion.modules.fusion.base import normalise_weights


def test_normalise_weights_rules():
    scores = torch.tensor([[1.0, 3.0, math.nan], [0.0, 0.0, 5.0], [2.0, 2.0, 2.0],
                           [-1.0, 4.0, 0.0]])
    mask = torch.tensor([[True, True, False], [True, True, False], [False, False, False],
                         [True, True, True]])
    weights = normalise_weights(scores, mask)
    expected = torch.tensor([[0.25, 0.75, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0],
                             [0.0, 1.0, 0.0]])
    torch.testing.assert_close(weights, expected)


def test_masked_mean_ignores_absent_samples_even_nan():
    tokens = torch.ones(3, 4, 2)
    tokens[1] = math.nan
    present = torch.tensor([True, False, True])
    out = masked_mean(tokens, present)
    torch.testing.assert_close(out, torch.tensor([[1.0, 1.0], [0.0, 0.0], [1.0, 1.0]]))


def test_default_config_is_valid():
    config = FusionConfig()
    assert config.modalities == ('camera', 'audio', 'text', 'touch', 'proprio')


@pytest.mark.parametrize('changes, message', [
    ({'modalities': ()}, 'non-empty'),
    ({'modalities': ('camera', 'camera')}, 'unique'),
    ({'modalities': ('camera', 'lidar')}, 'unknown modalities'),
    ({'dim': 30, 'num_heads': 4}, 'multiple of num_heads'),
    ({'dim': 0}, 'multiple of num_heads'),
    ({'dropout': 1.0}, 'dropout'),
    ({'num_layers': 0}, 'num_layers'),
    ({'num_bottleneck_tokens': 0}, 'num_bottleneck_tokens'),
    ({'num_queries': 0}, 'num_queries'),
    ({'memory_slots': 0}, 'memory_slots'),
    ({'num_experts': 0}, 'num_experts'),
    ({'num_decisions': 0}, 'num_decisions'),
    ({'decision_rule': 'median'}, 'decision_rule'),
])
def test_bad_config_raises(changes, message):
    with pytest.raises(ValueError, match=message):
        FusionConfig(**changes)


def test_fusion_output_is_usable_inside_scripted_tuples():
    # base.py must not postpone annotations: TorchScript cannot resolve a NamedTuple's
    # string annotations when it appears inside another type.
    def wrap(x: Tensor) -> Tuple[FusionOutput, Tensor]:
        return FusionOutput(x, x), x

    scripted = torch.jit.script(wrap)
    out, _ = scripted(torch.ones(1))
    assert torch.equal(out.fused, torch.ones(1))
