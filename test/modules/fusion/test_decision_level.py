# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""DecisionLevelFusion beyond the shared contract."""

import dataclasses

import pytest
import torch

from multimodal_fusion.modules.fusion.decision_level import DecisionLevelFusion
from multimodal_fusion.modules.fusion.decision_rules import DECISION_RULES


@pytest.mark.parametrize('rule', DECISION_RULES)
def test_decision_distribution(rule, config, make_tokens, all_patterns):
    model = DecisionLevelFusion(dataclasses.replace(config, decision_rule=rule)).eval()
    mask = all_patterns(5)
    out, combined = model.forward_with_decision(make_tokens(32, config.modalities), mask)
    assert combined.shape == (32, config.num_decisions)
    torch.testing.assert_close(combined.sum(dim=1), torch.ones(32))
    assert (combined >= 0).all()
    torch.testing.assert_close(combined[0], torch.full((config.num_decisions,),
                                                       1 / config.num_decisions))
    torch.testing.assert_close(out.fused, model(make_tokens(32, config.modalities), mask).fused)
