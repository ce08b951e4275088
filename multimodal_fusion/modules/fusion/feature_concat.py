# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Early fusion by concatenating one pooled feature vector per modality.

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
from multimodal_fusion.modules.fusion.tokens import PooledModalities
from multimodal_fusion.modules.layers.mlp import Mlp


class FeatureConcatFusion(nn.Module):
    """Concatenate LayerNorm'd pooled features, scaled by learned modality weights, project.

    Each present modality's slot holds its pooled feature times ``w_i * k`` where ``w`` is a
    softmax of learned modality logits over the ``k`` present modalities (so the average
    scale stays one). An absent modality's slot holds a learned "missing" embedding rather
    than zeros, so the projection can tell "absent" from "present but quiet". The weights
    reported are ``w``.

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
        m, d = len(config.modalities), config.dim
        self.modalities = list(config.modalities)
        self.pool = PooledModalities(self.modalities, d)
        self.modality_logits = nn.Parameter(torch.zeros(m))
        self.missing = nn.Parameter(torch.randn(m, d) * 0.02)
        self.proj = Mlp(m * d, d, d, dropout=config.dropout)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        xs = clean_tokens(tokens, mask, self.modalities)
        pooled = self.pool(xs, mask)
        b = pooled.shape[0]
        weights = normalise_weights(
            torch.softmax(self.modality_logits, dim=0)[None].expand(b, -1), mask)
        count = mask.to(pooled.dtype).sum(dim=1, keepdim=True)
        scaled = pooled * (weights * count)[:, :, None]
        slots = torch.where(mask[:, :, None], scaled, self.missing[None].expand(b, -1, -1))
        fused = self.norm(self.proj(slots.flatten(1)))
        return FusionOutput(fused, weights)
