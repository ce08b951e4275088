# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fusion strategies, one per file, all with the contract of :mod:`.base`.

``FUSION_BUILDERS`` maps a strategy name to a plain function that builds it from a
:class:`FusionConfig`; :func:`build_fusion` looks a name up. There is no registry: adding a
strategy means adding a file and a line here.
"""

import dataclasses
from typing import Callable
from typing import Dict

from torch import nn

from multimodal_fusion.modules.fusion.adaptive import AdaptiveFusion
from multimodal_fusion.modules.fusion.attention_bottleneck import AttentionBottleneckFusion
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.modules.fusion.base import FusionOutput
from multimodal_fusion.modules.fusion.base import masked_mean
from multimodal_fusion.modules.fusion.base import normalise_weights
from multimodal_fusion.modules.fusion.cross_modal_attention import CrossModalAttentionFusion
from multimodal_fusion.modules.fusion.decision_level import DecisionLevelFusion
from multimodal_fusion.modules.fusion.feature_concat import FeatureConcatFusion
from multimodal_fusion.modules.fusion.gated import GatedFusion
from multimodal_fusion.modules.fusion.hierarchical import HierarchicalFusion
from multimodal_fusion.modules.fusion.hybrid import HybridFusion
from multimodal_fusion.modules.fusion.learnable_query import LearnableQueryFusion
from multimodal_fusion.modules.fusion.memory_augmented import MemoryAugmentedFusion
from multimodal_fusion.modules.fusion.mixture_of_experts import load_balancing_loss
from multimodal_fusion.modules.fusion.mixture_of_experts import MixtureOfExpertsFusion
from multimodal_fusion.modules.fusion.token_early import TokenEarlyFusion


def _decision(rule: str) -> Callable[[FusionConfig], nn.Module]:
    def build(config: FusionConfig) -> nn.Module:
        return DecisionLevelFusion(dataclasses.replace(config, decision_rule=rule))
    build.__name__ = f'build_decision_{rule}'
    return build


FUSION_BUILDERS: Dict[str, Callable[[FusionConfig], nn.Module]] = {
    'feature_concat': FeatureConcatFusion,
    'token_early': TokenEarlyFusion,
    'decision_average': _decision('average'),
    'decision_product': _decision('product'),
    'decision_max': _decision('max'),
    'decision_voting': _decision('voting'),
    'decision_stacking': _decision('stacking'),
    'decision_confidence': _decision('confidence'),
    'cross_modal_attention': CrossModalAttentionFusion,
    'attention_bottleneck': AttentionBottleneckFusion,
    'gated': GatedFusion,
    'hierarchical': HierarchicalFusion,
    'mixture_of_experts': MixtureOfExpertsFusion,
    'learnable_query': LearnableQueryFusion,
    'memory_augmented': MemoryAugmentedFusion,
    'hybrid': HybridFusion,
    'adaptive': AdaptiveFusion,
}


def build_fusion(name: str, config: FusionConfig) -> nn.Module:
    """Build the fusion strategy called ``name`` (a key of :data:`FUSION_BUILDERS`).

    Raises:
        ValueError: for an unknown name; the message lists the valid ones.
    """
    try:
        builder = FUSION_BUILDERS[name]
    except KeyError:
        raise ValueError(
            f'unknown fusion strategy {name!r}; expected one of {sorted(FUSION_BUILDERS)}'
        ) from None
    return builder(config)


__all__ = [
    'AdaptiveFusion', 'AttentionBottleneckFusion', 'CrossModalAttentionFusion',
    'DecisionLevelFusion', 'FUSION_BUILDERS', 'FeatureConcatFusion', 'FusionConfig',
    'FusionOutput', 'GatedFusion', 'HierarchicalFusion', 'HybridFusion',
    'LearnableQueryFusion', 'MemoryAugmentedFusion', 'MixtureOfExpertsFusion',
    'TokenEarlyFusion', 'build_fusion', 'load_balancing_loss', 'masked_mean',
    'normalise_weights',
]
