# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Tiny configurations and random inputs for fast tests (of this package and its users).

Shape legend: ``b`` batch; inputs as in :class:`~multimodal_fusion.models.FusionModel`.
"""

from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.spec import AudioSpec
from multimodal_fusion.spec import CameraSpec
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import NUM_MODALITIES
from multimodal_fusion.spec import ProprioSpec
from multimodal_fusion.spec import TouchSpec

TINY_SPEC = ModalitySpec(
    camera=CameraSpec(height=32, width=32),
    audio=AudioSpec(window_s=0.05, n_mels=16),
    touch=TouchSpec(rate_hz=40.0, window_s=0.5),
    proprio=ProprioSpec(rate_hz=20.0, window_s=1.0),
)


def tiny_model_config(**overrides) -> ModelConfig:
    """A :class:`ModelConfig` small enough to build, script and run in well under a second.

    32x32 camera (4x4 grid), 800 audio samples, 20-step windows, width 32; its referring
    head reads relations, so tests cover them.
    """
    fusion = FusionConfig(dim=32, num_heads=2, num_layers=1, dropout=0.0,
                          num_bottleneck_tokens=2, num_queries=2, memory_slots=8,
                          num_experts=2, num_decisions=8)
    fields = {'spec': TINY_SPEC, 'fusion': fusion, 'camera_width': 8, 'camera_tokens': 2,
              'series_tokens': 2, 'text_tokens': 1, 'head_hidden': 32, 'num_situations': 3,
              'num_actions': 4, 'num_object_classes': 3, 'dropout': 0.0, 'relations': True}
    fields.update(overrides)
    return ModelConfig(**fields)


def random_inputs(config: ModelConfig, batch: int, *, mask: Optional[Tensor] = None,
                  seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Random model inputs of the right shapes and dtypes; ``mask`` defaults to all present.

    Returns ``(camera, audio, text, touch, proprio, mask)``.
    """
    spec = config.spec
    g = torch.Generator().manual_seed(seed)
    camera = torch.randint(0, 256, (batch,) + spec.camera.tensor_shape, dtype=torch.uint8,
                           generator=g)
    audio = 0.1 * torch.randn((batch,) + spec.audio.tensor_shape, generator=g)
    text = torch.nn.functional.normalize(
        torch.randn((batch,) + spec.text.tensor_shape, generator=g), dim=-1)
    if spec.text.tokens:  # token states end with the utterance: zero rows after it
        lengths = torch.randint(2, spec.text.max_tokens + 1, (batch, 1), generator=g)
        text = text * (torch.arange(spec.text.max_tokens) < lengths).unsqueeze(-1)
    touch = torch.randn((batch,) + spec.touch.tensor_shape, generator=g)
    proprio = torch.randn((batch,) + spec.proprio.tensor_shape, generator=g)
    if mask is None:
        mask = torch.ones(batch, NUM_MODALITIES, dtype=torch.bool)
    return camera, audio, text, touch, proprio, mask
