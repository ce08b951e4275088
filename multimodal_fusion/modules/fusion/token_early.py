# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Token-level early fusion: one transformer over every modality's tokens and a CLS token.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``d`` width.
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
from multimodal_fusion.modules.layers.transformer import AttentionBlock


class TokenEarlyFusion(nn.Module):
    """A CLS token and all modalities' tokens through ``num_layers`` self-attention blocks.

    Absent modalities' tokens are masked out as keys, so they never reach the CLS token; with
    nothing present the CLS token attends to itself only and ``fused`` is a learned constant.
    The weights are the CLS token's attention mass on each modality's tokens in the last
    block, renormalised over present modalities.

    Args:
        config: the shared fusion configuration.

    Inputs:
        tokens: one ``(b, n_i, d)`` entry per name in ``config.modalities``.
        mask: ``(b, m)`` bool presence.

    Returns a :class:`FusionOutput` with ``fused`` ``(b, d)`` and ``weights`` ``(b, m)``.
    """

    modalities: Final[List[str]]

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        d = config.dim
        self.modalities = list(config.modalities)
        self.cls = nn.Parameter(torch.randn(1, 1, d) * 0.02)
        self.blocks = nn.ModuleList([
            AttentionBlock(d, config.num_heads, dropout=config.dropout, self_attention=True)
            for _ in range(config.num_layers)])
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        x, key_mask, sizes = concat_tokens(xs, mask)
        b = x.shape[0]
        x = torch.cat([self.cls.expand(b, -1, -1), x], dim=1)
        key_mask = torch.cat([torch.ones_like(key_mask[:, :1]), key_mask], dim=1)
        probs = torch.zeros_like(key_mask[:, None, :], dtype=x.dtype)  # num_layers >= 1
        for block in self.blocks:
            x, probs = block(x, x, key_mask)
        weights = normalise_weights(mass_per_modality(probs[:, 0, 1:], sizes), mask)
        return FusionOutput(self.norm(x[:, 0]), weights)
