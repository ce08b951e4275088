# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The one contract every fusion strategy implements.

Shape legend: ``b`` batch, ``n`` tokens of one modality, ``m`` modalities, ``d`` width.

Every strategy is an ``nn.Module`` whose ``forward(tokens, mask)`` takes

* ``tokens``: ``Dict[str, Tensor]``, one ``(b, n_i, d)`` entry per modality name in
  ``config.modalities`` (modality-type embeddings already added by the encoders; ``n_i`` may
  differ between modalities), and
* ``mask``: ``(b, m)`` bool presence mask, columns in ``config.modalities`` order,

and returns a :class:`FusionOutput`. A missing modality (mask False) must not change the
output at all (its tokens may hold anything, NaN included), and no output may be NaN even
when every modality is missing. Strategies must be scriptable with ``torch.jit.script``.
"""

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from multimodal_fusion.spec import MODALITIES


class FusionOutput(NamedTuple):
    """What a fusion strategy returns.

    Attributes:
        fused: ``(b, d)`` the fused representation the shared heads read.
        weights: ``(b, m)`` per-modality contribution weights: non-negative, zero for absent
            modalities, summing to one over the present ones (all zero when none is present).
    """

    fused: Tensor
    weights: Tensor


@dataclass(frozen=True)
class FusionConfig:
    """Configuration shared by all strategies; each reads the fields that concern it.

    Attributes:
        modalities: modality names, in presence-mask column order.
        dim: token and fused width ``d``.
        num_heads: attention heads.
        num_layers: depth of transformer-style strategies.
        dropout: dropout probability inside the fusion.
        num_bottleneck_tokens: shared fusion tokens (attention-bottleneck fusion).
        num_queries: learned queries (learnable-query fusion).
        memory_slots: learned memory entries (memory-augmented fusion).
        num_experts: experts (mixture-of-experts fusion).
        decision_rule: combination rule of decision-level fusion: one of ``average``,
            ``product``, ``max``, ``voting``, ``stacking``, ``confidence``.
        num_decisions: size of the decision space of decision-level fusion.
    """

    modalities: tuple[str, ...] = MODALITIES
    dim: int = 128
    num_heads: int = 4
    num_layers: int = 2
    dropout: float = 0.1
    num_bottleneck_tokens: int = 4
    num_queries: int = 4
    memory_slots: int = 32
    num_experts: int = 4
    decision_rule: str = 'confidence'
    num_decisions: int = 32

    def __post_init__(self) -> None:
        if len(self.modalities) == 0 or len(set(self.modalities)) != len(self.modalities):
            raise ValueError(
                f'modalities must be non-empty and unique, got {self.modalities!r}')
        unknown = [m for m in self.modalities if m not in MODALITIES]
        if unknown:
            raise ValueError(f'unknown modalities {unknown}; expected a subset of {MODALITIES}')
        if self.dim <= 0 or self.dim % self.num_heads != 0:
            raise ValueError(
                f'dim must be a positive multiple of num_heads, got dim={self.dim}, '
                f'num_heads={self.num_heads}')
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f'dropout must be in [0, 1), got {self.dropout}')
        for name in ('num_layers', 'num_bottleneck_tokens', 'num_queries', 'memory_slots',
                     'num_experts', 'num_decisions'):
            if getattr(self, name) < 1:
                raise ValueError(f'{name} must be >= 1, got {getattr(self, name)}')
        rules = ('average', 'product', 'max', 'voting', 'stacking', 'confidence')
        if self.decision_rule not in rules:
            raise ValueError(f'decision_rule must be one of {rules}, got {self.decision_rule!r}')


def normalise_weights(scores: Tensor, mask: Tensor) -> Tensor:
    """Turn non-negative per-modality scores into contribution weights.

    Inputs:
        scores: ``(b, m)`` non-negative.
        mask: ``(b, m)`` bool.

    Returns ``(b, m)``: zero where absent, summing to one over present modalities, all zero
    for a sample with nothing present.
    """
    scores = torch.where(mask, scores.clamp_min(0.0), torch.zeros_like(scores))
    total = scores.sum(dim=1, keepdim=True)
    count = mask.to(scores.dtype).sum(dim=1, keepdim=True)
    uniform = mask.to(scores.dtype) / count.clamp_min(1.0)
    return torch.where(total > 1e-12, scores / total.clamp_min(1e-12), uniform)


def masked_mean(tokens: Tensor, present: Tensor) -> Tensor:
    """Mean over tokens of samples where the modality is present, zeros elsewhere.

    Inputs:
        tokens: ``(b, n, d)``.
        present: ``(b,)`` bool.

    Returns ``(b, d)``. Absent samples' tokens (even NaN) never reach the result.
    """
    clean = torch.where(present[:, None, None], tokens, torch.zeros_like(tokens))
    return clean.mean(dim=1)
