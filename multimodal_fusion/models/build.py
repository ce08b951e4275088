# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``build_model(strategy, config)``: a plain builder, no registry."""

from __future__ import annotations

from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel


def build_model(strategy: str, config: ModelConfig, *,
                pretrained_camera: bool = True) -> FusionModel:
    """A :class:`FusionModel` with the named fusion strategy.

    Args:
        strategy: a key of ``multimodal_fusion.modules.fusion.FUSION_BUILDERS``.
        config: sizes and label counts.
        pretrained_camera: load ImageNet weights into an EfficientNet camera backbone.

    Raises:
        ValueError: for an unknown strategy (the message lists the known ones).
    """
    from multimodal_fusion.modules.fusion import FUSION_BUILDERS
    from multimodal_fusion.modules.fusion import build_fusion

    if strategy not in FUSION_BUILDERS:
        raise ValueError(
            f'unknown fusion strategy {strategy!r}; expected one of {sorted(FUSION_BUILDERS)}')
    return FusionModel(config=config, fusion=build_fusion(strategy, config.fusion),
                       pretrained_camera=pretrained_camera)
