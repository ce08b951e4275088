# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Small building blocks shared by the fusion strategies."""

from multimodal_fusion.modules.layers.attention import masked_softmax
from multimodal_fusion.modules.layers.attention import MaskedAttention
from multimodal_fusion.modules.layers.mlp import Mlp
from multimodal_fusion.modules.layers.pooling import AttentionPool
from multimodal_fusion.modules.layers.transformer import AttentionBlock

__all__ = ['AttentionBlock', 'AttentionPool', 'MaskedAttention', 'Mlp', 'masked_softmax']
