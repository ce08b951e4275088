# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Per-feature standardisation with statistics fit from data.

Shape legend: ``f`` features; ``...`` any leading axes.
"""

from typing import Final

import numpy as np
import torch
from torch import nn
from torch import Tensor


class FeatureNormaliser(nn.Module):
    """``(x - mean) / std`` per feature, computed in float32.

    The statistics are buffers (saved with the model, exported with it), 0 and 1 until
    :meth:`fit` is called on training data. ``keep_float32`` tells the exporter to leave the
    buffers in float32 in an fp16 export: raw forces or joint velocities can be large.

    Args:
        features: ``f``.
        min_std: floor on the fitted std, so a constant feature does not blow up.

    Inputs:
        x: ``(..., f)``.

    Returns ``(..., f)`` float32.
    """

    keep_float32: Final[bool] = True

    def __init__(self, *, features: int, min_std: float = 1e-3) -> None:
        super().__init__()
        if features < 1:
            raise ValueError(f'features must be >= 1, got {features}')
        if min_std <= 0.0:
            raise ValueError(f'min_std must be positive, got {min_std}')
        self.min_std = min_std
        self.register_buffer('mean', torch.zeros(features))
        self.register_buffer('std', torch.ones(features))

    @torch.no_grad()
    def fit(self, data: Tensor | np.ndarray) -> None:
        """Set mean and std from samples.

        Args:
            data: ``(..., f)`` samples of present (not zero-filled) inputs.

        Raises:
            ValueError: if the last axis is not ``f`` or there is no sample.
        """
        x = torch.as_tensor(np.asarray(data) if not isinstance(data, Tensor) else data)
        features = self.mean.shape[0]
        if x.ndim < 1 or x.shape[-1] != features or x.numel() == 0:
            raise ValueError(f'fit needs (..., {features}) samples, got shape {tuple(x.shape)}')
        x = x.reshape(-1, features).to(torch.float64)
        self.mean.copy_(x.mean(dim=0).to(self.mean.dtype))
        std = x.std(dim=0, unbiased=False).clamp_min(self.min_std)
        self.std.copy_(std.to(self.std.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return (x.to(torch.float32) - self.mean.to(torch.float32)) / self.std.to(torch.float32)
