# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AttentionPool and QueryPool: learned queries over a masked set."""

import math

import pytest
import torch

from multimodal_fusion.modules.layers.pooling import AttentionPool
from multimodal_fusion.modules.layers.pooling import QueryPool


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


def test_query_pool_gives_one_vector_per_query_and_ignores_masked_items():
    torch.manual_seed(0)
    pool = QueryPool(8, 3, 2).eval()
    items = torch.randn(2, 5, 8)
    mask = torch.tensor([[True, True, True, False, False], [False] * 5])
    pooled = pool(items, mask)
    assert pooled.shape == (2, 3, 8) and torch.isfinite(pooled).all()
    # Each query reads the items its own way.
    assert not torch.allclose(pooled[0, 0], pooled[0, 1])
    changed = items.clone()
    changed[0, 3:] = -77.0
    torch.testing.assert_close(pool(changed, mask), pooled)
    # Nothing present: learned vectors, whatever the items.
    torch.testing.assert_close(pool(items * 3.0, mask)[1], pooled[1])


def test_query_pool_tells_apart_sets_with_the_same_mean():
    """What a mean of token states cannot: {a, b} against two copies of their mean."""
    torch.manual_seed(1)
    pool = QueryPool(8, 2, 2).eval()
    a, b = torch.randn(2, 8)
    mask = torch.ones(2, 2, dtype=torch.bool)
    pairs = torch.stack([torch.stack([a, b]), torch.stack([(a + b) / 2, (a + b) / 2])])
    out = pool(pairs, mask)
    assert (out[0] - out[1]).abs().max() > 1e-3


def test_query_pool_refuses_no_queries():
    with pytest.raises(ValueError, match='num_queries'):
        QueryPool(8, 0, 2)
