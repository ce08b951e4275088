# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Encoder for windows of feature vectors over time (touch wrenches, proprioception).

Shape legend: ``b`` batch, ``t`` steps, ``f`` features, ``d`` width, ``q`` tokens.
"""

from typing import Final

import numpy as np
import torch
from torch import nn
from torch import Tensor
from torch.nn import functional as F

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.encoders.normalise import FeatureNormaliser


# Statistics per feature that :func:`window_trend` returns.
TREND_STATISTICS = 4


def window_trend(x: Tensor) -> Tensor:
    """Level, trend and roughness of each feature over a window.

    Per feature: the mean, the least-squares slope against time scaled to ``[-1, 1]`` (the
    change across the window of the fitted line is twice it), the RMS residual about that
    line, and the mean of the last quarter minus the mean of the first.

    Args:
        x: ``(b, t, f)`` float, ``t >= 2``.

    Returns ``(b, 4 * f)``: all means, then all slopes, residuals and quarter differences.
    """
    steps = x.shape[1]
    t = torch.linspace(-1.0, 1.0, steps, dtype=x.dtype, device=x.device).view(1, steps, 1)
    mean = x.mean(dim=1)
    centred = x - mean.unsqueeze(1)
    slope = (centred * t).sum(dim=1) / (t * t).sum()
    residual = (centred - slope.unsqueeze(1) * t).pow(2).mean(dim=1).sqrt()
    quarter = max(1, steps // 4)
    change = x[:, steps - quarter:].mean(dim=1) - x[:, :quarter].mean(dim=1)
    return torch.cat([mean, slope, residual, change], dim=1)


class TimeSeriesEncoder(nn.Module):
    """Per-feature standardisation, two stride-2 1D convolutions, pooled to ``q`` tokens.

    A small MLP of :func:`window_trend` of the standardised window is added to every token.
    The convolutions see local patterns (a collision's spike, a step's ringing); the trend
    says what they cannot see within their receptive field: that a held load falls slowly
    across the window (slip), under noise that buries each single step.

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
        self.trend = nn.Sequential(
            nn.Linear(TREND_STATISTICS * features, dim),
            nn.GELU(),
            nn.Linear(dim, dim),
        )
        self.num_tokens = num_tokens
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def fit(self, windows: Tensor | np.ndarray) -> None:
        """Fit the normaliser on ``(b, t, f)`` windows of present data."""
        self.normaliser.fit(windows)

    def forward(self, window: Tensor) -> Tensor:
        normalised = self.normaliser(window)
        dtype = self.convs[0].weight.dtype
        trend = self.trend(window_trend(normalised).to(dtype))
        x = F.adaptive_avg_pool1d(self.convs(normalised.transpose(1, 2).to(dtype)),
                                  self.num_tokens)
        return self.embedding(x.transpose(1, 2) + trend.unsqueeze(1))
