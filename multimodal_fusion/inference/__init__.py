# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Serving without ROS: a verified model file, preprocessing, inference and decoding."""

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.inference.engine import EngineSettings
from multimodal_fusion.inference.engine import FusionEngine
from multimodal_fusion.inference.engine import InferenceResult
from multimodal_fusion.inference.engine import NonFiniteOutputError
from multimodal_fusion.inference.engine import select_device

__all__ = ['default_model_path', 'EngineSettings', 'FusionEngine', 'InferenceResult',
           'NonFiniteOutputError', 'select_device']
