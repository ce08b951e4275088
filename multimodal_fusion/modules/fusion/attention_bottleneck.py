# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""MBT-style fusion: modality streams that share information only through bottleneck tokens.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``z`` bottleneck tokens,
``d`` width.
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
from multimodal_fusion.modules.layers.transformer import AttentionBlock


class AttentionBottleneckFusion(nn.Module):
    """Per-modality transformer streams exchanging information via shared bottleneck tokens.

    In every layer each modality's stream runs a self-attention block over its own tokens
    plus the current ``z`` bottleneck tokens; the new bottleneck is the average of the
    streams' bottleneck outputs over *present* modalities (an absent modality does not update
    it; with none present it keeps its value). ``fused`` is the normalised mean of the final
    bottleneck tokens, a learned constant when nothing is present. A modality's weight is
    the attention mass the bottleneck tokens put on its tokens, summed over layers.

    Args:
        config: the shared fusion configuration (``num_bottleneck_tokens``).

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
        self.bottleneck = nn.Parameter(torch.randn(1, config.num_bottleneck_tokens, d) * 0.02)
        self.layers = nn.ModuleList([
            nn.ModuleList([
                AttentionBlock(d, config.num_heads, dropout=config.dropout, self_attention=True)
                for _ in self.modalities])
            for _ in range(config.num_layers)])
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        b = mask.shape[0]
        z = self.bottleneck.expand(b, -1, -1)
        nz = z.shape[1]
        bottleneck_keys = torch.ones_like(mask[:, :1]).expand(-1, nz)
        mass = [torch.zeros_like(mask[:, 0], dtype=z.dtype) for _ in xs]
        for streams in self.layers:
            total = torch.zeros_like(z)
            count = torch.zeros_like(mask[:, 0], dtype=z.dtype)
            for i, block in enumerate(streams):
                n = xs[i].shape[1]
                present = mask[:, i]
                keys = torch.cat([present[:, None].expand(-1, n), bottleneck_keys], dim=1)
                seq = torch.cat([xs[i], z], dim=1)
                seq, probs = block(seq, seq, keys)
                xs[i] = seq[:, :n]
                mass[i] = mass[i] + probs[:, n:, :n].sum(dim=2).mean(dim=1)
                total = total + torch.where(present[:, None, None], seq[:, n:],
                                            torch.zeros_like(z))
                count = count + present.to(z.dtype)
            z = torch.where(count[:, None, None] > 0,
                            total / count.clamp_min(1.0)[:, None, None], z)
        weights = normalise_weights(torch.stack(mass, dim=1), mask)
        return FusionOutput(self.norm(z.mean(dim=1)), weights)
