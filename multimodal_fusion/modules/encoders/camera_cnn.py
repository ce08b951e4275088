# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A small CNN trained from scratch, giving a stride-8 feature map.

Shape legend: ``b`` batch, ``c`` channels, ``H``/``W`` image size.

GroupNorm, not BatchNorm: a batch mixes real frames with zero-filled ones (absent camera),
and batch statistics would then depend on which sensors happened to be missing.
"""

from typing import Final

from torch import nn
from torch import Tensor


def _conv_norm_act(in_channels: int, out_channels: int, *, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(_groups(out_channels), out_channels),
        nn.ReLU(inplace=True),
    )


def _groups(channels: int) -> int:
    for groups in (8, 4, 2):
        if channels % groups == 0:
            return groups
    return 1


class _InvertedResidual(nn.Module):
    """Depthwise 3x3, GroupNorm, pointwise expand x2, GELU, pointwise project, residual."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 3, padding=1, groups=channels)
        self.norm = nn.GroupNorm(_groups(channels), channels)
        self.expand = nn.Conv2d(channels, 2 * channels, 1)
        self.act = nn.GELU()
        self.project = nn.Conv2d(2 * channels, channels, 1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.project(self.act(self.expand(self.norm(self.depthwise(x)))))


class SmallCnnBackbone(nn.Module):
    """Three stride-2 conv stages and two inverted-residual blocks.

    Args:
        width: channels of the first stage; the output has ``4 * width``.

    Inputs:
        image: ``(b, 3, H, W)`` float pixel values in [0, 255].

    Returns ``(b, 4 * width, H / 8, W / 8)``.
    """

    stride: Final[int] = 8

    def __init__(self, *, width: int = 32) -> None:
        super().__init__()
        if width < 1:
            raise ValueError(f'width must be >= 1, got {width}')
        self.out_channels = 4 * width
        self.stages = nn.Sequential(
            _conv_norm_act(3, width, stride=2),
            _conv_norm_act(width, 2 * width, stride=2),
            _conv_norm_act(2 * width, 4 * width, stride=2),
            _InvertedResidual(4 * width),
            _InvertedResidual(4 * width),
        )

    def forward(self, image: Tensor) -> Tensor:
        return self.stages((image - 127.5) / 127.5)
