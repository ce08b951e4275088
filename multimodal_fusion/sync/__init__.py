# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Synchronisation, without ROS: stamps are integer nanoseconds, messages numpy arrays.

* ``policy``: the ApproximateTime matching algorithm (message_filters semantics, N inputs).
* ``windows``: ring buffers that cut the audio, touch, proprio and text windows.
* ``stamp_gate``: per-stream stamp order and backwards time jumps.
* ``counters``: drops by reason and source.
* ``synced_set``: what comes out.
* ``synchronizer``: the five modalities, anchor and required/optional logic.
* ``slot``: the latest-wins mailbox to the inference worker.
"""

from multimodal_fusion.sync.counters import DropCounters
from multimodal_fusion.sync.counters import DropReason
from multimodal_fusion.sync.counters import SetDropReason
from multimodal_fusion.sync.policy import ApproximateTimePolicy
from multimodal_fusion.sync.slot import LatestSlot
from multimodal_fusion.sync.stamp_gate import TimeJump
from multimodal_fusion.sync.synced_set import SyncedSet
from multimodal_fusion.sync.synchronizer import FusionSynchronizer
from multimodal_fusion.sync.synchronizer import SyncConfig

__all__ = [
    'ApproximateTimePolicy',
    'DropCounters',
    'DropReason',
    'FusionSynchronizer',
    'LatestSlot',
    'SetDropReason',
    'SyncConfig',
    'SyncedSet',
    'TimeJump',
]
