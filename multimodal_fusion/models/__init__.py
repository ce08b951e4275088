# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Assembled models: encoders + one fusion strategy + the shared heads, and their losses."""

from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import CAMERA_BACKBONES
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel
from multimodal_fusion.models.fusion_model import OUTPUT_KEYS
from multimodal_fusion.models.losses import Annotation
from multimodal_fusion.models.losses import encode_targets
from multimodal_fusion.models.losses import IGNORE_INDEX
from multimodal_fusion.models.losses import LossWeights
from multimodal_fusion.models.losses import MultiTaskLoss

__all__ = [
    'Annotation', 'CAMERA_BACKBONES', 'FusionModel', 'IGNORE_INDEX', 'LossWeights',
    'ModelConfig', 'MultiTaskLoss', 'OUTPUT_KEYS', 'build_model', 'encode_targets',
]
