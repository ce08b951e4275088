# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Sensor frames to model tensors, the same for training and serving."""

from multimodal_fusion.preprocessing.audio import prepare_audio
from multimodal_fusion.preprocessing.batch import ModelInputs
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.preprocessing.camera import prepare_camera
from multimodal_fusion.preprocessing.log_mel import LogMelSpectrogram
from multimodal_fusion.preprocessing.log_mel import mel_filterbank
from multimodal_fusion.preprocessing.text_embedder import text_encoder_dir
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.preprocessing.windows import fit_window

__all__ = [
    'LogMelSpectrogram', 'ModelInputs', 'Preprocessor', 'TextEmbedder', 'fit_window',
    'mel_filterbank', 'prepare_audio', 'prepare_camera', 'text_encoder_dir',
]
