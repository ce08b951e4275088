# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Mlp."""

import torch
from torch import nn

from multimodal_fusion.modules.layers.mlp import Mlp


def test_mlp_shapes_activation_and_scripting():
    mlp = Mlp(4, 16, 3, act_layer=nn.ReLU).eval()
    assert isinstance(mlp.act, nn.ReLU)
    x = torch.randn(2, 5, 4)
    assert mlp(x).shape == (2, 5, 3)
    torch.testing.assert_close(torch.jit.script(mlp)(x), mlp(x))
