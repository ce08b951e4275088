# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""CrossModalAttentionFusion: one cross-modal stack per ordered modality pair."""

import dataclasses

import torch

from multimodal_fusion.modules.fusion.cross_modal_attention import CrossModalAttentionFusion


def test_every_ordered_pair_has_a_stack(config):
    model = CrossModalAttentionFusion(config)
    pairs = list(zip(model.pair_target, model.pair_source))
    assert len(pairs) == 5 * 4 and len(set(pairs)) == 20
    assert all(t != s for t, s in pairs)
    assert all(len(stack) == config.num_layers for stack in model.pair_blocks)


def test_a_source_changes_the_target_it_is_paired_with(config, make_tokens):
    config = dataclasses.replace(config, modalities=('camera', 'text'))
    model = CrossModalAttentionFusion(config).eval()
    tokens = make_tokens(1, config.modalities)
    mask = torch.tensor([[True, True]])
    base = model(tokens, mask).fused
    tokens['text'] = torch.randn_like(tokens['text'])
    assert not torch.allclose(base, model(tokens, mask).fused)


def test_single_modality_config_has_no_pairs(config, make_tokens):
    model = CrossModalAttentionFusion(dataclasses.replace(config, modalities=('audio',)))
    assert len(model.pair_blocks) == 0
    out = model(make_tokens(2, ('audio',)), torch.tensor([[True], [False]]))
    assert torch.isfinite(out.fused).all()
