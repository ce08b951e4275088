# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import pytest
import torch
from torch import nn

from multimodal_fusion.modules.encoders import EfficientNetLite0Backbone


@pytest.fixture(scope='module')
def backbone():
    torch.manual_seed(0)
    return EfficientNetLite0Backbone(image_hw=(64, 96), out_channels=16).eval()


def test_stride_8_map(backbone):
    out = backbone(torch.rand(2, 3, 64, 96) * 255)
    assert out.shape == (2, 16, 8, 12)


def test_pretrained_weights_are_loaded():
    pretrained = EfficientNetLite0Backbone(image_hw=(32, 32), out_channels=8)
    scratch = EfficientNetLite0Backbone(image_hw=(32, 32), out_channels=8, pretrained=False)
    # ImageNet BatchNorm statistics, not the fresh 0/1.
    assert not torch.allclose(pretrained.stem[1].running_var, scratch.stem[1].running_var)
    assert isinstance(pretrained.stem[2], nn.ReLU6)  # Lite models: ReLU6, never Swish


def test_batchnorm_stays_frozen_in_training(backbone):
    backbone.train()
    try:
        assert all(not m.training for m in backbone.modules() if isinstance(m, nn.BatchNorm2d))
        assert backbone.lateral8.training
    finally:
        backbone.eval()


def test_trace_equals_eager_for_other_batch_sizes(backbone):
    traced = torch.jit.trace(backbone, backbone.tracing_example_input())
    for b in (1, 3):
        x = torch.rand(b, 3, 64, 96) * 255
        torch.testing.assert_close(traced(x), backbone(x))


def test_size_must_be_multiple_of_16():
    with pytest.raises(ValueError, match='multiples of 16'):
        EfficientNetLite0Backbone(image_hw=(40, 40), pretrained=False)
