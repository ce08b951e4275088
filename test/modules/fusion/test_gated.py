# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""GatedFusion: gates conditioned on all present modalities."""

import torch

from multimodal_fusion.modules.fusion.gated import GatedFusion


def test_gates_depend_on_other_present_modalities(config, make_tokens):
    model = GatedFusion(config).eval()
    tokens = make_tokens(1, config.modalities)
    mask = torch.ones(1, 5, dtype=torch.bool)
    before = model(tokens, mask).weights
    tokens['proprio'] = torch.randn_like(tokens['proprio'])
    after = model(tokens, mask).weights
    # Camera's gate moved although only proprio changed.
    assert not torch.allclose(before[0, 0], after[0, 0])


def test_nothing_present_gives_the_learned_empty_vector(config, make_tokens):
    model = GatedFusion(config).eval()
    mask = torch.zeros(1, 5, dtype=torch.bool)
    out = model(make_tokens(1, config.modalities), mask)
    torch.testing.assert_close(out.fused[0], model.norm(model.out(model.empty)))
