# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AttentionBlock in self- and cross-attention form."""

import pytest
import torch
from torch import nn

from multimodal_fusion.modules.layers.transformer import AttentionBlock


@pytest.mark.parametrize('self_attention', [False, True])
def test_shapes_and_scripting(self_attention):
    block = AttentionBlock(8, 2, dropout=0.0, self_attention=self_attention).eval()
    x = torch.randn(2, 3, 8)
    context = x if self_attention else torch.randn(2, 5, 8)
    key_mask = torch.ones(2, context.shape[1], dtype=torch.bool)
    out, probs = block(x, context, key_mask)
    assert out.shape == (2, 3, 8) and probs.shape == (2, 3, context.shape[1])
    torch.testing.assert_close(torch.jit.script(block)(x, context, key_mask)[0], out)
    assert isinstance(block.norm_kv, nn.Identity) == self_attention


def test_fully_masked_context_is_finite():
    block = AttentionBlock(8, 2, dropout=0.2).train()
    nothing = torch.zeros(2, 4, dtype=torch.bool)
    out, _ = block(torch.randn(2, 3, 8), torch.randn(2, 4, 8), nothing)
    assert torch.isfinite(out).all()
