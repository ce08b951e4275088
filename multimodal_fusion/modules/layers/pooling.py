# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Attention pooling of a masked set of vectors with learned queries.

Shape legend: ``b`` batch, ``n`` items, ``q`` queries, ``d`` width.
"""

from typing import Tuple

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.layers.attention import MaskedAttention


class AttentionPool(nn.Module):
    """Pool ``(b, n, d)`` items into ``(b, d)`` with a learned query.

    With every item masked the query sees only the attention's null entry, so the result is a
    learned finite vector.

    Args:
        dim: width ``d``.
        num_heads: attention heads.
        dropout: dropout on attention probabilities.

    Inputs:
        items: ``(b, n, d)``; masked rows must already be finite.
        item_mask: ``(b, n)`` bool.

    Returns ``(b, d)`` pooled vectors and ``(b, n)`` attention probabilities over the items.
    """

    def __init__(self, dim: int, num_heads: int, *, dropout: float = 0.0) -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)
        self.attn = MaskedAttention(dim, num_heads, dropout=dropout)

    def forward(self, items: Tensor, item_mask: Tensor) -> Tuple[Tensor, Tensor]:
        query = self.query.expand(items.shape[0], -1, -1)
        pooled, probs = self.attn(query, self.norm(items), item_mask)
        return pooled[:, 0], probs[:, 0]


class QueryPool(nn.Module):
    """Pool ``(b, n, d)`` items into ``(b, q, d)``: ``q`` learned queries, each its own pool.

    Each query learns what to read from a sequence (in a sentence's token states: the
    object's shape word rather than the other object's), where a mean keeps only what the
    words hold together. With every item masked each query sees only the attention's null
    entry, so the result is finite.

    Args:
        dim: width ``d``.
        num_queries: ``q``.
        num_heads: attention heads.
        dropout: dropout on attention probabilities.

    Inputs:
        items: ``(b, n, d)``; masked rows must already be finite.
        item_mask: ``(b, n)`` bool.

    Returns ``(b, q, d)`` pooled vectors.
    """

    def __init__(self, dim: int, num_queries: int, num_heads: int, *,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if num_queries < 1:
            raise ValueError(f'num_queries must be >= 1, got {num_queries}')
        self.queries = nn.Parameter(torch.randn(1, num_queries, dim) * 0.02)
        self.norm = nn.LayerNorm(dim)
        self.attn = MaskedAttention(dim, num_heads, dropout=dropout)

    def forward(self, items: Tensor, item_mask: Tensor) -> Tensor:
        queries = self.queries.expand(items.shape[0], -1, -1)
        return self.attn(queries, self.norm(items), item_mask)[0]
