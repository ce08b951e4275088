# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""MulT-style fusion: every modality attends to every other through pairwise cross-attention.

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
from multimodal_fusion.modules.layers.pooling import AttentionPool
from multimodal_fusion.modules.layers.transformer import AttentionBlock


class CrossModalAttentionFusion(nn.Module):
    """Bidirectional pairwise cross-modal transformers, then attention pooling over modalities.

    For every ordered pair (target, source) a stack of ``num_layers`` cross-attention blocks
    lets the target's tokens attend to the source's input tokens, so each pair is covered in
    both directions. A target's cross-modal streams are averaged over the present sources
    (with no other source present the target keeps its own tokens), refined by one
    self-attention block, mean-pooled and normalised. A learned query then pools the present
    modalities' representations; its attention mass is the weight of each modality.

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
        d, h, p = config.dim, config.num_heads, config.dropout
        m = len(config.modalities)
        self.modalities = list(config.modalities)
        pairs = [(t, s) for t in range(m) for s in range(m) if t != s]
        self.pair_target: List[int] = [t for t, _ in pairs]
        self.pair_source: List[int] = [s for _, s in pairs]
        self.pair_blocks = nn.ModuleList([
            nn.ModuleList([AttentionBlock(d, h, dropout=p) for _ in range(config.num_layers)])
            for _ in pairs])
        self.self_blocks = nn.ModuleList([
            AttentionBlock(d, h, dropout=p, self_attention=True) for _ in range(m)])
        self.target_norm = nn.LayerNorm(d)
        self.pool = AttentionPool(d, h, dropout=p)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        sums = [torch.zeros_like(x) for x in xs]
        counts = [torch.zeros_like(mask[:, 0], dtype=x.dtype) for x in xs]
        for k, blocks in enumerate(self.pair_blocks):
            t = self.pair_target[k]
            s = self.pair_source[k]
            source = xs[s]
            source_mask = mask[:, s, None].expand(-1, source.shape[1])
            h = xs[t]
            for block in blocks:
                h, _ = block(h, source, source_mask)
            present = mask[:, s]
            sums[t] = sums[t] + torch.where(present[:, None, None], h, torch.zeros_like(h))
            counts[t] = counts[t] + present.to(h.dtype)
        reps: List[Tensor] = []
        for t, block in enumerate(self.self_blocks):
            count = counts[t][:, None, None]
            h = torch.where(count > 0, sums[t] / count.clamp_min(1.0), xs[t])
            all_keys = torch.ones_like(h[:, :, 0], dtype=torch.bool)
            h, _ = block(h, h, all_keys)
            reps.append(self.target_norm(h.mean(dim=1)))
        fused, probs = self.pool(torch.stack(reps, dim=1), mask)
        return FusionOutput(self.norm(fused), normalise_weights(probs, mask))
