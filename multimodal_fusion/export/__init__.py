# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Everything TorchScript: model files with metadata and checksums, the text encoder."""

from multimodal_fusion.export.model_file import checksum_path
from multimodal_fusion.export.model_file import export_model
from multimodal_fusion.export.model_file import FORMAT_VERSION
from multimodal_fusion.export.model_file import load_model
from multimodal_fusion.export.model_file import ModelFileError
from multimodal_fusion.export.scripting import script_model

__all__ = [
    'FORMAT_VERSION', 'ModelFileError', 'checksum_path', 'export_model', 'load_model',
    'script_model',
]
