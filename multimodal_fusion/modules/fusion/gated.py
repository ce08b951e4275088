# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Gated multimodal unit (GMU) generalised from two to ``m`` modalities.

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
from multimodal_fusion.modules.layers.attention import masked_softmax


class GatedFusion(nn.Module):
    """``sum_i g_i * tanh(W_i x_i)`` with per-feature gates softmaxed over present modalities.

    ``x_i`` is modality ``i``'s pooled, LayerNorm'd tokens. The gate logits ``(b, m, d)``
    come from one linear map of every modality's features (zeros when absent) and the
    presence flags, so each gate is conditioned on all present inputs. A modality's weight is
    its gate averaged over features. With nothing present ``fused`` is a learned vector.

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
        self.hidden = nn.ModuleDict({name: nn.Linear(d, d) for name in self.modalities})
        self.gate = nn.Linear(m * d + m, m * d)
        self.empty = nn.Parameter(torch.randn(d) * 0.02)
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(d, d)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        features = self.pool(clean_tokens(tokens, mask, self.modalities), mask)
        b, m, d = features.shape
        hidden: List[Tensor] = []
        i = 0
        for _, layer in self.hidden.items():
            hidden.append(torch.tanh(layer(features[:, i])))
            i += 1
        h = torch.stack(hidden, dim=1)
        presence = mask.to(features.dtype)
        logits = self.gate(torch.cat([features.flatten(1), presence], dim=1)).view(b, m, d)
        gates = masked_softmax(logits, mask[:, :, None], dim=1)
        z = (gates * h).sum(dim=1)
        z = torch.where(mask.any(dim=1, keepdim=True), z, self.empty[None].expand(b, -1))
        fused = self.norm(self.out(self.drop(z)))
        return FusionOutput(fused, normalise_weights(gates.mean(dim=2), mask))
