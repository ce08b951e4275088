# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""HierarchicalFusion: pair fusions, then a global fusion over pairs."""

import dataclasses

import torch

from multimodal_fusion.modules.fusion.hierarchical import HierarchicalFusion
from multimodal_fusion.modules.fusion.hierarchical import PairFusion


def test_all_unordered_pairs(config):
    model = HierarchicalFusion(config)
    pairs = list(zip(model.pair_left, model.pair_right))
    assert len(pairs) == 10 and all(i < j for i, j in pairs)
    single = HierarchicalFusion(dataclasses.replace(config, modalities=('text',)))
    assert list(zip(single.pair_left, single.pair_right)) == [(0, 0)]


def test_pair_with_one_member_missing_represents_the_present_one():
    pair = PairFusion(8)
    left, right = torch.randn(2, 8), torch.randn(2, 8)
    rep, share = pair(left, right, torch.tensor([True, False]), torch.tensor([False, True]))
    assert share.tolist() == [1.0, 0.0]
    torch.testing.assert_close(rep[0], pair.norm(torch.tanh(pair.left(left[0]))))
    torch.testing.assert_close(rep[1], pair.norm(torch.tanh(pair.right(right[1]))))
