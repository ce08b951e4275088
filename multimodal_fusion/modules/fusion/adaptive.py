# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Adaptive fusion: an input-dependent mixture of three different fusion strategies.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``s`` strategies, ``d`` width.
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
from multimodal_fusion.modules.fusion.decision_level import DecisionLevelFusion
from multimodal_fusion.modules.fusion.gated import GatedFusion
from multimodal_fusion.modules.fusion.token_early import TokenEarlyFusion
from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import PooledModalities
from multimodal_fusion.modules.layers.mlp import Mlp


class AdaptiveFusion(nn.Module):
    """Mix token-level early, gated and decision-level fusion per sample.

    A router MLP reads every modality's pooled features (zeros when absent) and the presence
    flags and outputs a softmax over the three strategies: early fusion can win when all
    sensors are in, decision-level fusion when many are missing. ``fused`` and ``weights``
    are the mixtures of the strategies' outputs (a convex mixture of valid weights is
    valid). :meth:`forward_with_mix` also returns the ``(b, 3)`` mixing weights, in the
    order token early, gated, decision level.

    Args:
        config: the shared fusion configuration (``decision_rule`` for the decision branch).

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
        self.strategies = nn.ModuleList([
            TokenEarlyFusion(config), GatedFusion(config), DecisionLevelFusion(config)])
        self.pool = PooledModalities(self.modalities, d)
        self.router = Mlp(m * d + m, d, len(self.strategies), dropout=config.dropout)

    def forward_with_mix(self, tokens: Dict[str, Tensor],
                         mask: Tensor) -> Tuple[FusionOutput, Tensor]:
        """Like ``forward``, also returning the ``(b, s)`` strategy mixing weights."""
        features = self.pool(clean_tokens(tokens, mask, self.modalities), mask)
        presence = mask.to(features.dtype)
        mix = torch.softmax(self.router(torch.cat([features.flatten(1), presence], dim=1)), 1)
        fused = torch.zeros_like(features[:, 0])
        weights = torch.zeros_like(presence)
        for k, strategy in enumerate(self.strategies):
            out = strategy(tokens, mask)
            fused = fused + mix[:, k, None] * out.fused
            weights = weights + mix[:, k, None] * out.weights
        return FusionOutput(fused, normalise_weights(weights, mask)), mix

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        return self.forward_with_mix(tokens, mask)[0]
