# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""FeatureConcatFusion: learned modality weights and learned 'missing' embeddings."""

import torch

from multimodal_fusion.modules.fusion.feature_concat import FeatureConcatFusion


def test_absent_slot_holds_the_learned_missing_embedding(config, make_tokens):
    model = FeatureConcatFusion(config).eval()
    tokens = make_tokens(2, config.modalities)
    mask = torch.tensor([[True, False, True, True, True], [True] * 5])
    before = model(tokens, mask).fused
    with torch.no_grad():
        model.missing[1] += 1.0
    after = model(tokens, mask).fused
    assert not torch.allclose(before[0], after[0])  # audio absent: its slot changed
    torch.testing.assert_close(before[1], after[1])  # audio present: embedding unused


def test_weights_are_the_learned_modality_weights(config, make_tokens):
    model = FeatureConcatFusion(config)
    with torch.no_grad():
        model.modality_logits.copy_(torch.tensor([2.0, 1.0, 0.0, 0.0, 0.0]))
    mask = torch.tensor([[True, True, False, False, False]])
    weights = model(make_tokens(1, config.modalities), mask).weights
    expected = torch.softmax(torch.tensor([2.0, 1.0]), dim=0)
    torch.testing.assert_close(weights[0, :2], expected)
