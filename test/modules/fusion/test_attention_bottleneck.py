# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AttentionBottleneckFusion: streams talk only through the bottleneck."""

import torch

from multimodal_fusion.modules.fusion.attention_bottleneck import AttentionBottleneckFusion


def test_absent_stream_does_not_update_the_bottleneck(config, make_tokens):
    model = AttentionBottleneckFusion(config).eval()
    tokens = make_tokens(2, config.modalities)
    mask = torch.tensor([[True, False, True, True, True], [True] * 5])
    before = model(tokens, mask)
    with torch.no_grad():  # scramble the audio stream's blocks in every layer
        for streams in model.layers:
            for param in streams[1].parameters():
                param.add_(torch.randn_like(param))
    after = model(tokens, mask)
    torch.testing.assert_close(before.fused[0], after.fused[0])
    assert not torch.allclose(before.fused[1], after.fused[1])


def test_one_stream_per_modality_per_layer(config):
    model = AttentionBottleneckFusion(config)
    assert len(model.layers) == config.num_layers
    assert all(len(streams) == 5 for streams in model.layers)
    assert model.bottleneck.shape == (1, config.num_bottleneck_tokens, config.dim)
