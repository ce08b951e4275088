# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Rules that combine per-unit decisions into one, and the head that produces them.

Shape legend: ``b`` batch, ``u`` decision units (modalities, or groups of them), ``k``
decision classes, ``d`` width.

A *unit* is whatever gets its own decision head: a modality in
:class:`~multimodal_fusion.modules.fusion.decision_level.DecisionLevelFusion`, the
audio-visual stream or a remaining modality in
:class:`~multimodal_fusion.modules.fusion.hybrid.HybridFusion`.

Every rule maps ``(log_probs (b, u, k), features (b, u, d), mask (b, u))`` to a combined
distribution ``(b, k)`` and unit weights ``(b, u)`` that obey ``normalise_weights``. Absent
units' log-probabilities arrive as the uniform distribution and are never used.
"""

import math
from typing import Final
from typing import Tuple

import torch
from torch import nn
from torch import Tensor
import torch.nn.functional as F

from multimodal_fusion.modules.fusion.base import normalise_weights
from multimodal_fusion.modules.layers.attention import masked_softmax
from multimodal_fusion.modules.layers.mlp import Mlp

DECISION_RULES: Tuple[str, ...] = (
    'average', 'product', 'max', 'voting', 'stacking', 'confidence')
# Temperature that sharpens each unit's distribution into a soft (differentiable) vote.
VOTE_TEMPERATURE = 0.1
# Floor on probabilities before taking the log for the projection to the fused width.
PROB_FLOOR = 1e-6


class AverageRule(nn.Module):
    """Weighted average of probabilities with learned unit weights (softmax over present)."""

    def __init__(self, num_units: int) -> None:
        super().__init__()
        self.unit_logits = nn.Parameter(torch.zeros(num_units))

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        prior = torch.softmax(self.unit_logits, dim=0)[None].expand(mask.shape[0], -1)
        weights = normalise_weights(prior, mask)
        return (weights[:, :, None] * log_probs.exp()).sum(dim=1), weights


class ProductRule(nn.Module):
    """Product of experts: the sum of present units' log-probabilities, renormalised.

    A unit's weight is its information, the KL divergence of its distribution from uniform:
    in a product the sharpest distributions decide.
    """

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        summed = torch.where(mask[:, :, None], log_probs, torch.zeros_like(log_probs)).sum(dim=1)
        info = (log_probs.exp() * (log_probs + math.log(log_probs.shape[-1]))).sum(dim=-1)
        return torch.softmax(summed, dim=-1), normalise_weights(info, mask)


class MaxRule(nn.Module):
    """Per class, the largest probability over present units, renormalised.

    A unit's weight is the combined probability of the classes it supplied the maximum for.
    """

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        probs = torch.where(mask[:, :, None], log_probs.exp(), torch.zeros_like(log_probs))
        best, winner = probs.max(dim=1)
        combined = best / best.sum(dim=-1, keepdim=True).clamp_min(1e-12)
        won = F.one_hot(winner, num_classes=probs.shape[1]).to(probs.dtype)
        return combined, normalise_weights((combined[:, :, None] * won).sum(dim=1), mask)


class VotingRule(nn.Module):
    """Weighted soft majority vote.

    Each unit casts a temperature-sharpened (near one-hot, still differentiable) vote; votes
    are weighted by learned unit weights (softmax over present), which are the weights
    reported.
    """

    temperature: Final[float]

    def __init__(self, num_units: int) -> None:
        super().__init__()
        self.temperature = VOTE_TEMPERATURE
        self.unit_logits = nn.Parameter(torch.zeros(num_units))

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        votes = torch.softmax(log_probs / self.temperature, dim=-1)
        prior = torch.softmax(self.unit_logits, dim=0)[None].expand(mask.shape[0], -1)
        weights = normalise_weights(prior, mask)
        return (weights[:, :, None] * votes).sum(dim=1), weights


class StackingRule(nn.Module):
    """A meta-learner MLP over all units' (masked) distributions and the presence flags.

    A unit's weight is its occlusion effect: the total-variation distance between the
    combined distribution and the one the meta-learner gives with that unit marked absent.

    Args:
        num_units: ``u``.
        num_decisions: ``k``.
        hidden_dim: hidden width of the meta-learner.
        dropout: dropout inside the meta-learner.
    """

    def __init__(self, num_units: int, num_decisions: int, hidden_dim: int,
                 dropout: float) -> None:
        super().__init__()
        self.meta = Mlp(num_units * (num_decisions + 1), hidden_dim, num_decisions,
                        dropout=dropout)

    def _combine(self, log_probs: Tensor, keep: Tensor) -> Tensor:
        probs = torch.where(keep[..., None], log_probs.exp(), torch.zeros_like(log_probs))
        inputs = torch.cat([probs.flatten(-2), keep.to(probs.dtype)], dim=-1)
        return torch.softmax(self.meta(inputs), dim=-1)

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        u = mask.shape[1]
        combined = self._combine(log_probs, mask)
        others = ~torch.eye(u, dtype=torch.bool, device=mask.device)
        keep = mask[None] & others[:, None, :]  # (u, b, u): unit j occluded in row j
        occluded = self._combine(log_probs[None].expand(u, -1, -1, -1), keep)
        effect = 0.5 * (occluded - combined[None]).abs().sum(dim=-1).transpose(0, 1)
        return combined, normalise_weights(effect, mask)


class ConfidenceRule(nn.Module):
    """Average of probabilities weighted by a per-sample learned confidence of each unit.

    Confidences are linear in each unit's features; the weights are their softmax over the
    present units.
    """

    def __init__(self, num_units: int, dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_units, dim) * dim ** -0.5)
        self.bias = nn.Parameter(torch.zeros(num_units))

    def forward(self, log_probs: Tensor, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor]:
        scores = (features * self.weight[None]).sum(dim=-1) + self.bias[None]
        weights = masked_softmax(scores, mask, dim=1)
        return (weights[:, :, None] * log_probs.exp()).sum(dim=1), weights


def build_decision_rule(rule: str, *, num_units: int, dim: int, num_decisions: int,
                        dropout: float) -> nn.Module:
    """The combination rule named ``rule`` (one of :data:`DECISION_RULES`)."""
    if rule == 'average':
        return AverageRule(num_units)
    if rule == 'product':
        return ProductRule()
    if rule == 'max':
        return MaxRule()
    if rule == 'voting':
        return VotingRule(num_units)
    if rule == 'stacking':
        return StackingRule(num_units, num_decisions, dim, dropout)
    if rule == 'confidence':
        return ConfidenceRule(num_units, dim)
    raise ValueError(f'decision rule must be one of {DECISION_RULES}, got {rule!r}')


class DecisionHead(nn.Module):
    """Per-unit decision heads, a combination rule, and a projection to the fused width.

    The fused vector is a projection of the combined decision: ``LayerNorm(Linear(log p))``
    where ``p`` is the combined distribution (uniform when no unit is present).

    Args:
        num_units: ``u``.
        dim: width ``d`` of unit features and of the fused vector.
        num_decisions: ``k``.
        rule: a name in :data:`DECISION_RULES`.
        dropout: dropout inside the heads.

    Inputs:
        features: ``(b, u, d)`` per-unit features, zeros (finite) for absent units.
        mask: ``(b, u)`` bool unit presence.

    Returns ``(b, d)`` fused vector, ``(b, u)`` unit weights and ``(b, k)`` combined
    distribution.
    """

    num_decisions: Final[int]
    prob_floor: Final[float]

    def __init__(self, *, num_units: int, dim: int, num_decisions: int, rule: str,
                 dropout: float) -> None:
        super().__init__()
        self.num_decisions = num_decisions
        self.prob_floor = PROB_FLOOR
        self.heads = nn.ModuleList([
            Mlp(dim, dim, num_decisions, dropout=dropout) for _ in range(num_units)])
        self.rule = build_decision_rule(rule, num_units=num_units, dim=dim,
                                        num_decisions=num_decisions, dropout=dropout)
        self.proj = nn.Linear(num_decisions, dim)
        self.norm = nn.LayerNorm(dim)

    def forward(self, features: Tensor, mask: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        logits = torch.stack(
            [head(features[:, i]) for i, head in enumerate(self.heads)], dim=1)
        uniform = torch.full_like(logits, -math.log(self.num_decisions))
        log_probs = torch.where(mask[:, :, None], torch.log_softmax(logits, dim=-1), uniform)
        combined, weights = self.rule(log_probs, features, mask)
        combined = torch.where(mask.any(dim=1, keepdim=True), combined, uniform[:, 0].exp())
        fused = self.norm(self.proj(combined.clamp_min(self.prob_floor).log()))
        return fused, weights, combined
