# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AdaptiveFusion: an input-dependent mixture of strategies."""

import torch

from multimodal_fusion.modules.fusion.adaptive import AdaptiveFusion


def test_output_is_the_mixture_of_the_strategies(config, make_tokens, all_patterns):
    model = AdaptiveFusion(config).eval()
    mask = all_patterns(5)
    tokens = make_tokens(32, config.modalities)
    out, mix = model.forward_with_mix(tokens, mask)
    assert mix.shape == (32, 3)
    torch.testing.assert_close(mix.sum(dim=1), torch.ones(32))
    branches = [strategy(tokens, mask) for strategy in model.strategies]
    fused = sum(mix[:, k, None] * branch.fused for k, branch in enumerate(branches))
    weights = sum(mix[:, k, None] * branch.weights for k, branch in enumerate(branches))
    torch.testing.assert_close(out.fused, fused)
    torch.testing.assert_close(out.weights, weights)
    assert not torch.allclose(mix[1], mix[31])  # depends on presence
