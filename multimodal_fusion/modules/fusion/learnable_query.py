# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Q-Former-style fusion: a few learned queries cross-attend to all present tokens.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``q`` queries, ``d`` width.
"""

from typing import Dict
from typing import Final
from typing import List
from typing import Tuple

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.base import normalise_weights
from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import concat_tokens
from multimodal_fusion.modules.fusion.tokens import mass_per_modality
from multimodal_fusion.modules.layers.transformer import AttentionBlock


class QueryLayer(nn.Module):
    """Self-attention among the queries, then cross-attention from them to the tokens.

    Args:
        dim: width ``d``.
        num_heads: attention heads.
        dropout: dropout probability.

    Inputs:
        queries: ``(b, q, d)``.
        tokens: ``(b, n, d)`` (finite everywhere).
        key_mask: ``(b, n)`` bool.

    Returns ``(b, q, d)`` queries and ``(b, q, n)`` cross-attention probabilities.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.own = AttentionBlock(dim, num_heads, dropout=dropout, self_attention=True)
        self.cross = AttentionBlock(dim, num_heads, dropout=dropout)

    def forward(self, queries: Tensor, tokens: Tensor, key_mask: Tensor) -> Tuple[Tensor, Tensor]:
        all_queries = torch.ones_like(key_mask[:, :1]).expand(-1, queries.shape[1])
        queries, _ = self.own(queries, queries, all_queries)
        return self.cross(queries, tokens, key_mask)


class LearnableQueryFusion(nn.Module):
    """``config.num_queries`` learned queries refined by ``num_layers`` pairs of blocks.

    Each layer is a self-attention block among the queries followed by a cross-attention
    block from the queries to every present modality's tokens. ``fused`` is the normalised
    mean of the final queries (a learned constant when nothing is present); a modality's
    weight is the cross-attention mass on its tokens, summed over layers and queries.

    Args:
        config: the shared fusion configuration (``num_queries``).

    Inputs:
        tokens: one ``(b, n_i, d)`` entry per name in ``config.modalities``.
        mask: ``(b, m)`` bool presence.

    Returns a :class:`FusionOutput` with ``fused`` ``(b, d)`` and ``weights`` ``(b, m)``.
    """

    modalities: Final[List[str]]

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        d, h, p = config.dim, config.num_heads, config.dropout
        self.modalities = list(config.modalities)
        self.queries = nn.Parameter(torch.randn(1, config.num_queries, d) * 0.02)
        self.layers = nn.ModuleList([QueryLayer(d, h, p) for _ in range(config.num_layers)])
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        x, key_mask, sizes = concat_tokens(xs, mask)
        q = self.queries.expand(x.shape[0], -1, -1)
        mass = torch.zeros_like(key_mask, dtype=x.dtype)
        for layer in self.layers:
            q, probs = layer(q, x, key_mask)
            mass = mass + probs.sum(dim=1)
        weights = normalise_weights(mass_per_modality(mass, sizes), mask)
        return FusionOutput(self.norm(q.mean(dim=1)), weights)
