# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Output heads shared by every fusion strategy.

Shape legend: ``b`` batch, ``d`` width, ``c`` classes, ``gh``/``gw`` detection grid.

Classification heads read the fused vector. The detection head reads the camera's spatial
map, FiLM-conditioned on the fused vector, so what was said (or felt, or heard) can change
which object is flagged as the one the command refers to.
"""

import math
from typing import Final
from typing import NamedTuple

import torch
from torch import nn
from torch import Tensor

# Channels per detection cell besides the class logits: objectness, 4 box values, referred.
_EXTRA_CHANNELS: Final[int] = 6


class ClassifierHead(nn.Module):
    """``LayerNorm -> Linear -> GELU -> Dropout -> Linear``.

    Args:
        dim: ``d``.
        hidden: hidden width.
        out_features: ``c`` (logits) or any output width.
        dropout: dropout after the activation.

    Inputs:
        fused: ``(b, d)``.

    Returns ``(b, c)``.
    """

    def __init__(self, *, dim: int, hidden: int, out_features: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if out_features < 1 or hidden < 1:
            raise ValueError(
                f'out_features and hidden must be >= 1, got {out_features}, {hidden}')
        self.layers = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, out_features))

    def forward(self, fused: Tensor) -> Tensor:
        return self.layers(fused)


class PointHead(nn.Module):
    """An image point ``(x, y)`` in [0, 1] (fractions of width and height).

    Args:
        dim: ``d``.
        hidden: hidden width.

    Inputs:
        fused: ``(b, d)``.

    Returns ``(b, 2)``.
    """

    def __init__(self, *, dim: int, hidden: int) -> None:
        super().__init__()
        self.mlp = ClassifierHead(dim=dim, hidden=hidden, out_features=2)

    def forward(self, fused: Tensor) -> Tensor:
        return torch.sigmoid(self.mlp(fused))


class DetectionOutput(NamedTuple):
    """Per-cell predictions of :class:`FilmDetectionHead`.

    Attributes:
        objectness: ``(b, gh, gw)`` logit that an object's centre lies in the cell.
        class_logits: ``(b, gh, gw, c)``.
        box: ``(b, gh, gw, 4)``: centre offset within the cell ``(ox, oy)`` in [0, 1], then
            ``log(w / W)``, ``log(h / H)`` (size relative to the image).
        referred: ``(b, gh, gw)`` logit that the cell's object is the one the command means.
    """

    objectness: Tensor
    class_logits: Tensor
    box: Tensor
    referred: Tensor


class FilmDetectionHead(nn.Module):
    """Single-scale CenterNet/YOLO-like grid, FiLM-conditioned on the fused vector.

    ``x * (1 + gamma) + beta`` with ``(gamma, beta)`` a linear map of the fused vector,
    initialised to zero so training starts from the unconditioned image features.

    Args:
        dim: ``d`` (spatial map channels and fused width).
        hidden: channels of the two 3x3 convolutions.
        num_classes: ``c``.
        prior: initial objectness probability (focal-loss practice: start near "nothing").
        prior_size: initial box size as a fraction of the image.

    Inputs:
        spatial: ``(b, d, gh, gw)``.
        fused: ``(b, d)``.

    Returns a :class:`DetectionOutput`.
    """

    num_classes: Final[int]

    def __init__(self, *, dim: int, hidden: int, num_classes: int, prior: float = 0.01,
                 prior_size: float = 0.2) -> None:
        super().__init__()
        if num_classes < 1:
            raise ValueError(f'num_classes must be >= 1, got {num_classes}')
        if not 0.0 < prior < 1.0 or not 0.0 < prior_size <= 1.0:
            raise ValueError(
                f'need 0 < prior < 1 and 0 < prior_size <= 1, got {prior}, {prior_size}')
        self.num_classes = num_classes
        self.film = nn.Linear(dim, 2 * dim)
        nn.init.zeros_(self.film.weight)
        nn.init.zeros_(self.film.bias)
        self.convs = nn.Sequential(
            nn.Conv2d(dim, hidden, 3, padding=1), nn.GELU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.GELU())
        self.out = nn.Conv2d(hidden, num_classes + _EXTRA_CHANNELS, 1)
        with torch.no_grad():
            self.out.bias.zero_()
            self.out.bias[0] = -math.log((1.0 - prior) / prior)
            self.out.bias[num_classes + 3:num_classes + 5] = math.log(prior_size)

    def forward(self, spatial: Tensor, fused: Tensor) -> DetectionOutput:
        gamma, beta = self.film(fused).chunk(2, dim=1)
        x = spatial * (1.0 + gamma[:, :, None, None]) + beta[:, :, None, None]
        y = self.out(self.convs(x)).permute(0, 2, 3, 1)
        c = self.num_classes
        box = torch.cat([torch.sigmoid(y[..., c + 1:c + 3]), y[..., c + 3:c + 5]], dim=-1)
        return DetectionOutput(y[..., 0], y[..., 1:c + 1], box, y[..., c + 5])
