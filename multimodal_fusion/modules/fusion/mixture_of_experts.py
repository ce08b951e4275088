# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Mixture of experts: a gating network mixes several small expert fusions.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``e`` experts, ``d`` width.
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
from multimodal_fusion.modules.fusion.tokens import PooledModalities
from multimodal_fusion.modules.layers.attention import masked_softmax
from multimodal_fusion.modules.layers.mlp import Mlp


def load_balancing_loss(gate: Tensor) -> Tensor:
    """Auxiliary loss that is 1 when experts are used equally on average, up to ``e`` if not.

    ``e * sum_e mean_b(gate_e)^2``, the soft form of the Switch-Transformer balance loss.

    Inputs:
        gate: ``(b, e)`` gate distribution from
            :meth:`MixtureOfExpertsFusion.forward_with_gate`.

    Returns a scalar.
    """
    usage = gate.mean(dim=0)
    return gate.shape[1] * (usage * usage).sum()


class AttentiveExpert(nn.Module):
    """One expert: input-dependent modality attention, weighted sum, then an MLP.

    Args:
        dim: width ``d``.
        dropout: dropout inside the MLP.

    Inputs:
        features: ``(b, m, d)`` pooled modality features (zeros where absent).
        mask: ``(b, m)`` bool presence.

    Returns ``(b, d)`` expert output and ``(b, m)`` its modality weights.
    """

    def __init__(self, dim: int, dropout: float) -> None:
        super().__init__()
        self.score = nn.Linear(dim, 1, bias=False)  # a shared bias cancels in the softmax
        self.mlp = Mlp(dim, 2 * dim, dim, dropout=dropout)

    def forward(self, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        weights = masked_softmax(self.score(features)[:, :, 0], mask, dim=1)
        mixed = (weights[:, :, None] * features).sum(dim=1)
        return self.mlp(mixed), weights


class MixtureOfExpertsFusion(nn.Module):
    """A dense (soft) mixture of ``config.num_experts`` attentive experts.

    The gate is an MLP over every modality's pooled features (zeros when absent) and the
    presence flags, softmaxed over experts. Each expert weighs the present modalities its own
    way; ``fused`` is the gate-weighted sum of expert outputs and a modality's weight is the
    gate-weighted sum of the experts' modality weights. :meth:`forward_with_gate` also
    returns the gate for :func:`load_balancing_loss`.

    Args:
        config: the shared fusion configuration (``num_experts``).

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
        self.gate = Mlp(m * d + m, d, config.num_experts, dropout=config.dropout)
        self.experts = nn.ModuleList([
            AttentiveExpert(d, config.dropout) for _ in range(config.num_experts)])
        self.norm = nn.LayerNorm(d)

    def forward_with_gate(self, tokens: Dict[str, Tensor],
                          mask: Tensor) -> Tuple[FusionOutput, Tensor]:
        """Like ``forward``, also returning the ``(b, e)`` gate distribution."""
        features = self.pool(clean_tokens(tokens, mask, self.modalities), mask)
        presence = mask.to(features.dtype)
        gate = torch.softmax(self.gate(torch.cat([features.flatten(1), presence], dim=1)), dim=1)
        outputs: List[Tensor] = []
        weights: List[Tensor] = []
        for expert in self.experts:
            out, w = expert(features, mask)
            outputs.append(out)
            weights.append(w)
        fused = (gate[:, :, None] * torch.stack(outputs, dim=1)).sum(dim=1)
        mixed = (gate[:, :, None] * torch.stack(weights, dim=1)).sum(dim=1)
        return FusionOutput(self.norm(fused), normalise_weights(mixed, mask)), gate

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        return self.forward_with_gate(tokens, mask)[0]
