# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""TokenEarlyFusion: one transformer over all tokens."""

import torch

from multimodal_fusion.modules.fusion.token_early import TokenEarlyFusion


def test_tokens_interact_across_modalities(config, make_tokens):
    model = TokenEarlyFusion(config).eval()
    tokens = make_tokens(1, config.modalities)
    mask = torch.ones(1, 5, dtype=torch.bool)
    before = model(tokens, mask)
    tokens['touch'] = torch.randn_like(tokens['touch'])
    after = model(tokens, mask)
    assert not torch.allclose(before.fused, after.fused)
    assert not torch.allclose(before.weights, after.weights)


def test_depth_follows_config(config):
    assert len(TokenEarlyFusion(config).blocks) == config.num_layers
