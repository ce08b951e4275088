# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Combination rules of decision-level fusion, on hand-made distributions."""

import math

import pytest
import torch

from multimodal_fusion.modules.fusion.decision_rules import AverageRule
from multimodal_fusion.modules.fusion.decision_rules import build_decision_rule
from multimodal_fusion.modules.fusion.decision_rules import ConfidenceRule
from multimodal_fusion.modules.fusion.decision_rules import DECISION_RULES
from multimodal_fusion.modules.fusion.decision_rules import DecisionHead
from multimodal_fusion.modules.fusion.decision_rules import MaxRule
from multimodal_fusion.modules.fusion.decision_rules import ProductRule
from multimodal_fusion.modules.fusion.decision_rules import StackingRule
from multimodal_fusion.modules.fusion.decision_rules import VotingRule

# Two samples, three units, three classes; unit 2 is absent in sample 0 (uniform, unused).
PROBS = torch.tensor([
    [[0.7, 0.2, 0.1], [0.2, 0.5, 0.3], [1 / 3, 1 / 3, 1 / 3]],
    [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]],
])
MASK = torch.tensor([[True, True, False], [True, True, True]])
FEATURES = torch.randn(2, 3, 4)


def test_average_is_the_weighted_mean_of_present_units():
    rule = AverageRule(3)
    with torch.no_grad():
        rule.unit_logits.copy_(torch.tensor([math.log(3.0), 0.0, 0.0]))
    combined, weights = rule(PROBS.log(), FEATURES, MASK)
    torch.testing.assert_close(weights[0], torch.tensor([0.75, 0.25, 0.0]))
    torch.testing.assert_close(combined[0], 0.75 * PROBS[0, 0] + 0.25 * PROBS[0, 1])


def test_product_multiplies_present_units_and_weighs_by_information():
    combined, weights = ProductRule()(PROBS.log(), FEATURES, MASK)
    expected = PROBS[0, 0] * PROBS[0, 1]
    torch.testing.assert_close(combined[0], expected / expected.sum())
    # Unit 0 of sample 0 is sharper than unit 1, so it weighs more.
    assert weights[0, 0] > weights[0, 1] and weights[0, 2] == 0


def test_max_takes_the_classwise_maximum():
    combined, weights = MaxRule()(PROBS.log(), FEATURES, MASK)
    expected = torch.tensor([0.7, 0.5, 0.3])
    torch.testing.assert_close(combined[0], expected / expected.sum())
    # Unit 0 supplied class 0 (0.7 / 1.5), unit 1 classes 1 and 2 (0.8 / 1.5).
    torch.testing.assert_close(weights[0], torch.tensor([0.7, 0.8, 0.0]) / 1.5)


def test_voting_counts_near_one_hot_votes():
    combined, weights = VotingRule(3)(PROBS.log(), FEATURES, MASK)
    # Sample 1: votes for classes 0, 2 and 1 with equal weight.
    torch.testing.assert_close(combined[1], torch.full((3,), 1 / 3), atol=0.05, rtol=0)
    torch.testing.assert_close(weights[1], torch.full((3,), 1 / 3))
    assert combined[0, 0] > 0.45 and combined[0, 1] > 0.45


def test_stacking_weights_are_occlusion_effects():
    rule = StackingRule(3, 3, 8, 0.0)
    combined, weights = rule(PROBS.log(), FEATURES, MASK)
    torch.testing.assert_close(combined.sum(dim=1), torch.ones(2))
    assert weights[0, 2] == 0
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(2))


def test_confidence_is_a_softmax_over_present_units():
    rule = ConfidenceRule(3, 4)
    combined, weights = rule(PROBS.log(), FEATURES, MASK)
    scores = (FEATURES * rule.weight).sum(-1) + rule.bias
    torch.testing.assert_close(weights[0, :2], torch.softmax(scores[0, :2], dim=0))
    torch.testing.assert_close(combined[0], weights[0, 0] * PROBS[0, 0]
                               + weights[0, 1] * PROBS[0, 1])


@pytest.mark.parametrize('rule', DECISION_RULES)
def test_head_gives_uniform_decision_when_nothing_is_present(rule):
    head = DecisionHead(num_units=3, dim=4, num_decisions=5, rule=rule, dropout=0.0).eval()
    mask = torch.zeros(2, 3, dtype=torch.bool)
    fused, weights, combined = head(FEATURES, mask)
    torch.testing.assert_close(combined, torch.full((2, 5), 0.2))
    assert (weights == 0).all() and torch.isfinite(fused).all()


def test_fused_is_a_projection_of_the_combined_decision():
    head = DecisionHead(num_units=3, dim=4, num_decisions=3, rule='average', dropout=0.0)
    fused, _, combined = head(FEATURES, MASK)
    torch.testing.assert_close(fused, head.norm(head.proj(combined.log())))


def test_unknown_rule():
    with pytest.raises(ValueError, match='decision rule'):
        build_decision_rule('median', num_units=2, dim=4, num_decisions=3, dropout=0.0)
