# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Scenario simulator: multimodal episodes of a humanoid robot with ground truth.

ROS-free and deterministic per ``(seed, index)``. Data flows plan -> renderers -> windows:

* ``vocab``: label sets (situations, actions, object classes, attribute words).
* ``plan`` / ``situations``: what each situation shows and the rule that labels it.
* ``scene``, ``shapes``, ``backgrounds``: camera; ``soundscape``, ``sounds``, ``speech``,
  ``tts``: audio and text; ``touch``; ``proprio``.
* ``scenario``: ``ScenarioSimulator.sample(index)`` and ``episode(index).streams()``.
"""

from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.scenario import Episode
from multimodal_fusion.sim.scenario import EpisodeStreams
from multimodal_fusion.sim.scenario import GroundTruth
from multimodal_fusion.sim.scenario import Sample
from multimodal_fusion.sim.scenario import ScenarioSimulator
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.sim.vocab import SIZES

__all__ = [
    'ACTIONS', 'COLORS', 'Episode', 'EpisodeStreams', 'GroundTruth', 'OBJECT_CLASSES',
    'SITUATIONS', 'SIZES', 'Sample', 'ScenarioSimulator', 'SimConfig',
]
