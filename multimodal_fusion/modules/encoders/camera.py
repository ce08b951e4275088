# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Camera encoder: a backbone's stride-8 map as detection cells and pooled fusion tokens.

Shape legend: ``b`` batch, ``d`` width, ``g`` grid side (``gh``/``gw``), ``s`` pooled side.
"""

from typing import Final
from typing import Tuple

from torch import nn
from torch import Tensor
from torch.nn import functional as F

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding


class CameraEncoder(nn.Module):
    """Backbone -> 1x1 projection to ``d`` -> (spatial map, ``s x s`` pooled tokens).

    The spatial map feeds the detection head; the pooled tokens (plus the camera's type and
    position embeddings) feed the fusion.

    Args:
        backbone: maps ``(b, 3, H, W)`` float pixels in [0, 255] to ``(b, c, H/8, W/8)``;
            has an ``out_channels`` attribute.
        dim: ``d``.
        pooled_side: ``s``; the fusion sees ``s * s`` tokens.

    Inputs:
        camera: ``(b, 3, H, W)`` uint8 (or float pixel values).

    Returns ``(tokens (b, s*s, d), spatial (b, d, gh, gw))``.
    """

    pooled_side: Final[int]

    def __init__(self, *, backbone: nn.Module, dim: int, pooled_side: int = 4) -> None:
        super().__init__()
        if pooled_side < 1:
            raise ValueError(f'pooled_side must be >= 1, got {pooled_side}')
        self.backbone = backbone
        self.project = nn.Conv2d(int(backbone.out_channels), dim, 1)
        self.pooled_side = pooled_side
        self.embedding = ModalityEmbedding(num_tokens=pooled_side * pooled_side, dim=dim)

    def forward(self, camera: Tensor) -> Tuple[Tensor, Tensor]:
        # The model's one input conversion: pixels to the compute dtype (fp32 or fp16).
        image = camera.to(self.project.weight.dtype)
        spatial = self.project(self.backbone(image))
        pooled = F.adaptive_avg_pool2d(spatial, self.pooled_side)
        tokens = self.embedding(pooled.flatten(2).transpose(1, 2))
        return tokens, spatial
