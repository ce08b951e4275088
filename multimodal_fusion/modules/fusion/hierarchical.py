# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Two-level fusion: gated fusions of modality pairs, then attention over the pairs.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``p`` pairs, ``d`` width.
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
from multimodal_fusion.modules.layers.pooling import AttentionPool


class PairFusion(nn.Module):
    """Gated fusion of two modality vectors: ``g * tanh(A a) + (1 - g) * tanh(B b)``.

    When only one side is present the gate is forced fully onto it, so the pair's
    representation is that modality's alone.

    Args:
        dim: width ``d``.

    Inputs:
        left, right: ``(b, d)`` features (zeros where absent).
        left_present, right_present: ``(b,)`` bool.

    Returns ``(b, d)`` pair representation and ``(b,)`` left share (mean gate in [0, 1]).
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.left = nn.Linear(dim, dim)
        self.right = nn.Linear(dim, dim)
        self.gate = nn.Linear(2 * dim, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, left: Tensor, right: Tensor, left_present: Tensor,
                right_present: Tensor) -> Tuple[Tensor, Tensor]:
        gate = torch.sigmoid(self.gate(torch.cat([left, right], dim=1)))
        only_left = (left_present & ~right_present)[:, None]
        only_right = (right_present & ~left_present)[:, None]
        gate = torch.where(only_left, torch.ones_like(gate), gate)
        gate = torch.where(only_right, torch.zeros_like(gate), gate)
        rep = gate * torch.tanh(self.left(left)) + (1.0 - gate) * torch.tanh(self.right(right))
        return self.norm(rep), gate.mean(dim=1)


class HierarchicalFusion(nn.Module):
    """Fuse every pair of modalities, then fuse the pair representations.

    Level one: a :class:`PairFusion` per unordered modality pair (a single modality forms a
    pair with itself). A pair is present when either member is; with one member missing it
    represents the present one. Level two: a learned query attends over the present pairs.
    A modality's weight is the pair attention shared out by each pair's gate.

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
        pairs = [(i, j) for i in range(m) for j in range(i + 1, m)] or [(0, 0)]
        self.pair_left: List[int] = [i for i, _ in pairs]
        self.pair_right: List[int] = [j for _, j in pairs]
        self.pool = PooledModalities(self.modalities, d)
        self.pairs = nn.ModuleList([PairFusion(d) for _ in pairs])
        self.global_pool = AttentionPool(d, config.num_heads, dropout=config.dropout)
        self.norm = nn.LayerNorm(d)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        features = self.pool(clean_tokens(tokens, mask, self.modalities), mask)
        reps: List[Tensor] = []
        shares: List[Tensor] = []
        pair_mask: List[Tensor] = []
        for k, pair in enumerate(self.pairs):
            i = self.pair_left[k]
            j = self.pair_right[k]
            rep, share = pair(features[:, i], features[:, j], mask[:, i], mask[:, j])
            reps.append(rep)
            shares.append(share)
            pair_mask.append(mask[:, i] | mask[:, j])
        fused, probs = self.global_pool(torch.stack(reps, dim=1), torch.stack(pair_mask, dim=1))
        contributions = torch.zeros_like(features[:, :, 0])
        for k in range(len(reps)):
            i = self.pair_left[k]
            j = self.pair_right[k]
            contributions[:, i] += probs[:, k] * shares[k]
            contributions[:, j] += probs[:, k] * (1.0 - shares[k])
        return FusionOutput(self.norm(fused), normalise_weights(contributions, mask))
