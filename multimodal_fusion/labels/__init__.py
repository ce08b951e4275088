# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labels of recordings in the user's own names (ROS-free; ``docs/labels.md``).

* ``label_set``: :class:`LabelSet` (names, intervals, per-frame lookup ``at``) and
  :class:`LabelError` (file, line, reason).
* ``label_records``: the records both label files and the ``/labels`` topic hold.
* ``label_files``: YAML and CSV label files, read and written.
* ``mapping``: :class:`LabelMapping`, the simulator's names onto a team's.
* ``sim_truth``: the simulator's per-frame ground truth as intervals.

The bag side (the ``/labels`` topic, label files beside a bag) is
``multimodal_fusion.ros.bag_labels``.
"""

from multimodal_fusion.labels.label_files import read_labels
from multimodal_fusion.labels.label_files import write_labels
from multimodal_fusion.labels.label_set import Box
from multimodal_fusion.labels.label_set import FrameBoxes
from multimodal_fusion.labels.label_set import FrameLabels
from multimodal_fusion.labels.label_set import Interval
from multimodal_fusion.labels.label_set import LabelError
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import Referred
from multimodal_fusion.labels.label_set import TimeRange
from multimodal_fusion.labels.mapping import LabelMapping

__all__ = [
    'Box', 'FrameBoxes', 'FrameLabels', 'Interval', 'LabelError', 'LabelMapping', 'LabelNames',
    'LabelSet', 'Referred', 'TimeRange', 'read_labels', 'write_labels',
]
