# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AttentionPool: a learned query over a masked set."""

import math

import torch

from multimodal_fusion.modules.layers.pooling import AttentionPool


def test_pool_ignores_masked_items_and_survives_none():
    pool = AttentionPool(8, 2).eval()
    items = torch.randn(3, 4, 8)
    mask = torch.tensor([[True, True, False, False], [False] * 4, [True] * 4])
    pooled, probs = pool(items, mask)
    assert pooled.shape == (3, 8) and probs.shape == (3, 4)
    assert torch.isfinite(pooled).all()
    assert (probs[~mask] == 0).all()
    changed = items.clone()
    changed[0, 2:] = 123.0
    torch.testing.assert_close(pool(changed, mask)[0], pooled)
    # Nothing present: the same learned vector whatever the items.
    torch.testing.assert_close(pool(items * math.pi, mask)[0][1], pooled[1])
