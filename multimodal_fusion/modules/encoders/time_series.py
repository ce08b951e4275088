# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Encoder for windows of feature vectors over time (touch wrenches, proprioception).

Shape legend: ``b`` batch, ``t`` steps, ``f`` features, ``d`` width, ``q`` tokens.
"""

from typing import Final

import numpy as np
from torch import nn
from torch import Tensor
from torch.nn import functional as F

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.encoders.normalise import FeatureNormaliser


class TimeSeriesEncoder(nn.Module):
    """Per-feature standardisation, two stride-2 1D convolutions, pooled to ``q`` tokens.

    Args:
        features: ``f``.
        dim: ``d``.
        num_tokens: ``q``.

    Inputs:
        window: ``(b, t, f)`` float, newest step last.

    Returns ``(b, q, d)``.
    """

    num_tokens: Final[int]

    def __init__(self, *, features: int, dim: int, num_tokens: int = 4) -> None:
        super().__init__()
        if num_tokens < 1:
            raise ValueError(f'num_tokens must be >= 1, got {num_tokens}')
        self.normaliser = FeatureNormaliser(features=features)
        self.convs = nn.Sequential(
            nn.Conv1d(features, dim, 5, stride=2, padding=2),
            nn.GELU(),
            nn.Conv1d(dim, dim, 3, stride=2, padding=1),
            nn.GELU(),
        )
        self.num_tokens = num_tokens
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def fit(self, windows: Tensor | np.ndarray) -> None:
        """Fit the normaliser on ``(b, t, f)`` windows of present data."""
        self.normaliser.fit(windows)

    def forward(self, window: Tensor) -> Tensor:
        x = self.normaliser(window).transpose(1, 2).to(self.convs[0].weight.dtype)
        x = F.adaptive_avg_pool1d(self.convs(x), self.num_tokens)
        return self.embedding(x.transpose(1, 2))
