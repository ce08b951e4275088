# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""LearnableQueryFusion: learned queries over all present tokens."""

import torch

from multimodal_fusion.modules.fusion.learnable_query import LearnableQueryFusion


def test_queries_and_layers_follow_config(config):
    model = LearnableQueryFusion(config)
    assert model.queries.shape == (1, config.num_queries, config.dim)
    assert len(model.layers) == config.num_layers


def test_weights_follow_the_tokens(config, make_tokens):
    model = LearnableQueryFusion(config).eval()
    tokens = make_tokens(1, config.modalities)
    mask = torch.ones(1, 5, dtype=torch.bool)
    before = model(tokens, mask).weights
    tokens['audio'] = torch.randn_like(tokens['audio'])
    assert not torch.allclose(before, model(tokens, mask).weights)
