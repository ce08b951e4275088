# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Hybrid fusion: audio-visual early fusion, everything else at decision level.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``u`` decision units, ``d`` width.
"""

import dataclasses
from typing import Dict
from typing import Final
from typing import List
from typing import Tuple

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.decision_rules import DecisionHead
from multimodal_fusion.modules.fusion.token_early import TokenEarlyFusion
from multimodal_fusion.modules.fusion.tokens import clean_tokens
from multimodal_fusion.modules.fusion.tokens import PooledModalities

# Modalities fused early, at token level, because they are tightly synchronised.
AUDIO_VISUAL: Tuple[str, ...] = ('camera', 'audio')


class HybridFusion(nn.Module):
    """Camera and audio tokens through a joint transformer; that and the rest decided late.

    The audio-visual (AV) stream is a :class:`TokenEarlyFusion` over whichever of camera and
    audio are in ``config.modalities``. The decision units are the AV stream (present when
    camera or audio is) and each remaining modality (text, touch, proprio: pooled and
    LayerNorm'd); a :class:`DecisionHead` combines their decisions with
    ``config.decision_rule``, and ``fused`` is a projection of the combined decision. A
    config without camera and audio degenerates gracefully to decision-level fusion, one
    without any other modality to a single AV unit. Camera's and audio's weights split the
    AV unit's weight by the AV transformer's CLS attention.

    Args:
        config: the shared fusion configuration.

    Inputs:
        tokens: one ``(b, n_i, d)`` entry per name in ``config.modalities``.
        mask: ``(b, m)`` bool presence.

    Returns a :class:`FusionOutput` with ``fused`` ``(b, d)`` and ``weights`` ``(b, m)``.
    """

    av_modalities: Final[List[str]]
    rest_modalities: Final[List[str]]
    has_av: Final[bool]
    has_rest: Final[bool]

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        modalities = list(config.modalities)
        self.av_modalities = [m for m in modalities if m in AUDIO_VISUAL]
        self.rest_modalities = [m for m in modalities if m not in AUDIO_VISUAL]
        self.has_av = len(self.av_modalities) > 0
        self.has_rest = len(self.rest_modalities) > 0
        self.av_columns: List[int] = [modalities.index(m) for m in self.av_modalities]
        self.rest_columns: List[int] = [modalities.index(m) for m in self.rest_modalities]
        # Where each mask column's weight comes from: its unit, and its share of the AV unit
        # (-1 for modalities decided on their own).
        offset = 1 if self.has_av else 0
        self.column_unit: List[int] = [
            0 if m in AUDIO_VISUAL else offset + self.rest_modalities.index(m)
            for m in modalities]
        self.column_av: List[int] = [
            self.av_modalities.index(m) if m in AUDIO_VISUAL else -1 for m in modalities]
        if self.has_av:
            av_config = dataclasses.replace(config, modalities=tuple(self.av_modalities))
            self.av: nn.Module = TokenEarlyFusion(av_config)
        else:
            self.av = nn.Identity()
        if self.has_rest:
            self.pool: nn.Module = PooledModalities(self.rest_modalities, config.dim)
        else:
            self.pool = nn.Identity()
        self.decide = DecisionHead(
            num_units=offset + len(self.rest_modalities), dim=config.dim,
            num_decisions=config.num_decisions, rule=config.decision_rule,
            dropout=config.dropout)

    def forward(self, tokens: Dict[str, Tensor], mask: Tensor) -> FusionOutput:
        features: List[Tensor] = []
        unit_mask: List[Tensor] = []
        av_weights = torch.zeros_like(mask[:, :1], dtype=torch.float)
        if self.has_av:
            av_tokens: Dict[str, Tensor] = {}
            for name in self.av_modalities:
                av_tokens[name] = tokens[name]
            av_mask = torch.stack([mask[:, c] for c in self.av_columns], dim=1)
            av = self.av(av_tokens, av_mask)
            features.append(av.fused[:, None])
            unit_mask.append(av_mask.any(dim=1, keepdim=True))
            av_weights = av.weights
        if self.has_rest:
            rest_mask = torch.stack([mask[:, c] for c in self.rest_columns], dim=1)
            xs = clean_tokens(tokens, rest_mask, self.rest_modalities)
            features.append(self.pool(xs, rest_mask))
            unit_mask.append(rest_mask)
        fused, unit_weights, _ = self.decide(torch.cat(features, dim=1),
                                             torch.cat(unit_mask, dim=1))
        weights: List[Tensor] = []
        for column, unit in enumerate(self.column_unit):
            share = self.column_av[column]
            w = unit_weights[:, unit]
            if share >= 0:
                w = w * av_weights[:, share]
            weights.append(w)
        return FusionOutput(fused, torch.stack(weights, dim=1))
