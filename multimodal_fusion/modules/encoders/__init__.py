# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Per-modality encoders: each maps its input to ``(b, n, d)`` tokens of the shared width.

Each adds a learned modality-type embedding to its tokens.
"""

from multimodal_fusion.modules.encoders.audio import AudioEncoder
from multimodal_fusion.modules.encoders.camera import CameraEncoder
from multimodal_fusion.modules.encoders.camera_cnn import SmallCnnBackbone
from multimodal_fusion.modules.encoders.camera_efficientnet import EfficientNetLite0Backbone
from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.encoders.normalise import FeatureNormaliser
from multimodal_fusion.modules.encoders.text import TextEncoder
from multimodal_fusion.modules.encoders.text import TextTokenEncoder
from multimodal_fusion.modules.encoders.time_series import TimeSeriesEncoder

__all__ = [
    'AudioEncoder', 'CameraEncoder', 'EfficientNetLite0Backbone', 'FeatureNormaliser',
    'ModalityEmbedding', 'SmallCnnBackbone', 'TextEncoder', 'TextTokenEncoder',
    'TimeSeriesEncoder',
]
