# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""MemoryAugmentedFusion: the memory bank is read."""

import torch

from multimodal_fusion.modules.fusion.memory_augmented import MemoryAugmentedFusion


def test_output_depends_on_the_memory_bank(config, make_tokens):
    model = MemoryAugmentedFusion(config).eval()
    assert model.memory.shape == (1, config.memory_slots, config.dim)
    tokens = make_tokens(2, config.modalities)
    mask = torch.tensor([[True] * 5, [False] * 5])
    before = model(tokens, mask)
    with torch.no_grad():
        model.memory.mul_(-3.0)
    after = model(tokens, mask)
    assert not torch.allclose(before.fused[0], after.fused[0])
    assert not torch.allclose(before.fused[1], after.fused[1])  # read even with nothing in
    torch.testing.assert_close(before.weights, after.weights)  # weights come from pooling
