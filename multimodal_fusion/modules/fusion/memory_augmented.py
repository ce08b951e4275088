# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fusion that reads a learned memory bank with a query pooled from the present tokens.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``s`` memory slots, ``d`` width.
"""

from typing import Dict
from typing import Final
from typing import List

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.base import normalise_weights
from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import concat_tokens
from multimodal_fusion.modules.fusion.tokens import mass_per_modality
from multimodal_fusion.modules.layers.attention import MaskedAttention
from multimodal_fusion.modules.layers.mlp import Mlp
from multimodal_fusion.modules.layers.pooling import AttentionPool


class MemoryRead(nn.Module):
    """One gated read: ``q + sigmoid(W [q, r]) * r`` with ``r`` attended from the memory.

    Args:
        dim: width ``d``.
        num_heads: attention heads.
        dropout: dropout on attention probabilities.

    Inputs:
        query: ``(b, d)``.
        memory: ``(b, s, d)`` memory slots (all readable).

    Returns ``(b, d)`` updated query.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attn = MaskedAttention(dim, num_heads, dropout=dropout)
        self.gate = nn.Linear(2 * dim, dim)

    def forward(self, query: Tensor, memory: Tensor) -> Tensor:
        all_slots = torch.ones_like(memory[:, :, 0], dtype=torch.bool)
        read, _ = self.attn(self.norm(query)[:, None], memory, all_slots)
        read = read[:, 0]
        gate = torch.sigmoid(self.gate(torch.cat([query, read], dim=1)))
        return query + gate * read


class MemoryAugmentedFusion(nn.Module):
    """Attention-pool the present tokens, read ``config.memory_slots`` learned slots, combine.

    A learned query pools every present token into a summary; ``num_layers`` gated reads
    (:class:`MemoryRead`) add to it what it retrieves from the memory bank (prototypes of
    situations learned in training), and an MLP refines the result. A modality's weight is
    the pooling attention on its tokens. With nothing present the summary is the pooling's
    learned null value and ``fused`` a learned constant.

    Args:
        config: the shared fusion configuration (``memory_slots``).

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
        self.token_pool = AttentionPool(d, h, dropout=p)
        self.memory = nn.Parameter(torch.randn(1, config.memory_slots, d) * d ** -0.5)
        self.readers = nn.ModuleList([MemoryRead(d, h, p) for _ in range(config.num_layers)])
        self.mlp_norm = nn.LayerNorm(d)
        self.mlp = Mlp(d, 2 * d, d, dropout=p)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        x, key_mask, sizes = concat_tokens(xs, mask)
        summary, probs = self.token_pool(x, key_mask)
        memory = self.memory.expand(x.shape[0], -1, -1)
        q = summary
        for reader in self.readers:
            q = reader(q, memory)
        fused = self.norm(q + self.mlp(self.mlp_norm(q)))
        weights = normalise_weights(mass_per_modality(probs, sizes), mask)
        return FusionOutput(fused, weights)
