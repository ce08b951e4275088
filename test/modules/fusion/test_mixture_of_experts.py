# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""MixtureOfExpertsFusion: the gate and the load-balancing loss."""

import torch

from multimodal_fusion.modules.fusion.mixture_of_experts import load_balancing_loss
from multimodal_fusion.modules.fusion.mixture_of_experts import MixtureOfExpertsFusion


def test_gate_is_a_distribution_that_depends_on_presence(config, make_tokens, all_patterns):
    model = MixtureOfExpertsFusion(config).eval()
    mask = all_patterns(5)
    out, gate = model.forward_with_gate(make_tokens(32, config.modalities), mask)
    assert gate.shape == (32, config.num_experts)
    torch.testing.assert_close(gate.sum(dim=1), torch.ones(32))
    assert not torch.allclose(gate[1], gate[31])
    torch.testing.assert_close(out.fused, model(make_tokens(32, config.modalities), mask).fused)


def test_load_balancing_loss():
    torch.testing.assert_close(load_balancing_loss(torch.full((4, 3), 1 / 3)),
                               torch.tensor(1.0))
    collapsed = torch.zeros(4, 3)
    collapsed[:, 0] = 1.0
    torch.testing.assert_close(load_balancing_loss(collapsed), torch.tensor(3.0))


def test_load_balancing_loss_trains_the_gate(config, make_tokens):
    model = MixtureOfExpertsFusion(config)
    mask = torch.ones(4, 5, dtype=torch.bool)
    _, gate = model.forward_with_gate(make_tokens(4, config.modalities), mask)
    load_balancing_loss(gate).backward()
    assert model.gate.fc2.weight.grad is not None
