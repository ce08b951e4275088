# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Decision-level fusion: one decision per modality, combined by a rule.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``k`` decisions, ``d`` width.
"""

from typing import Dict
from typing import Final
from typing import List
from typing import Tuple

from torch import nn
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.decision_rules import DecisionHead
from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import PooledModalities


class DecisionLevelFusion(nn.Module):
    """Per-modality decision heads over ``config.num_decisions`` latent classes, combined.

    Each present modality's pooled, LayerNorm'd tokens go through its own head to a
    distribution over latent decision classes; ``config.decision_rule`` combines them
    (``average``, ``product``, ``max``, ``voting``, ``stacking`` or ``confidence``, see
    :mod:`~multimodal_fusion.modules.fusion.decision_rules`). Because the shared task heads
    read a ``(b, d)`` vector, ``fused`` is a *projection of the combined decision*
    (``LayerNorm(Linear(log p))``), not a feature fusion; with nothing present ``p`` is
    uniform and ``fused`` a learned constant. The weights are the rule's own: learned
    modality weights, information, winning mass, votes, occlusion effects or confidences.

    Args:
        config: the shared fusion configuration (``decision_rule``, ``num_decisions``).

    Inputs:
        tokens: one ``(b, n_i, d)`` entry per name in ``config.modalities``.
        mask: ``(b, m)`` bool presence.

    Returns a :class:`FusionOutput` with ``fused`` ``(b, d)`` and ``weights`` ``(b, m)``.
    """

    modalities: Final[List[str]]

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        self.modalities = list(config.modalities)
        self.pool = PooledModalities(self.modalities, config.dim)
        self.decide = DecisionHead(
            num_units=len(self.modalities), dim=config.dim,
            num_decisions=config.num_decisions, rule=config.decision_rule,
            dropout=config.dropout)

    def forward_with_decision(self, tokens: Dict[str, Tensor],
                              mask: Tensor) -> Tuple[FusionOutput, Tensor]:
        """Like ``forward``, also returning the ``(b, k)`` combined decision distribution."""
        features = self.pool(clean_tokens(tokens, mask, self.modalities), mask)
        fused, weights, combined = self.decide(features, mask)
        return FusionOutput(fused, weights), combined

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        return self.forward_with_decision(tokens, mask)[0]
