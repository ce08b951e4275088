# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The simulator's per-frame ground truth as labels: intervals, referred object, boxes.

The bag recorder writes one ground truth record per camera frame (``/sim/ground_truth``,
built by ``multimodal_fusion.ros.sim_messages.ground_truth_record``). A
:class:`GroundTruthLabeller` fed those records in frame order makes the intervals a person
would have written: consecutive labelled frames of one episode with the same situation and
action form one interval, from the first frame's stamp to the next frame's; a frame the
simulator leaves unlabelled (between two states) ends it. Every frame's boxes go with it;
the box of the object the command names carries the id ``'target'``, which the interval's
referred object names (with its box at the first frame that shows it).

A :class:`~multimodal_fusion.labels.mapping.LabelMapping` turns the simulator's names into
a team's own before the intervals are formed, so merged names make one interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable
from typing import Mapping
from typing import Optional

from multimodal_fusion.labels.label_set import Box
from multimodal_fusion.labels.label_set import FrameBoxes
from multimodal_fusion.labels.label_set import Interval
from multimodal_fusion.labels.label_set import LabelNames
from multimodal_fusion.labels.label_set import LabelSet
from multimodal_fusion.labels.label_set import Referred
from multimodal_fusion.labels.label_set import TimeRange
from multimodal_fusion.labels.mapping import LabelMapping
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.sim.vocab import SITUATIONS

SIM_NAMES = LabelNames(situations=SITUATIONS, actions=ACTIONS, object_classes=OBJECT_CLASSES)
# The object id of the box the command names, in every frame that shows it.
TARGET_ID = 'target'


@dataclass
class _Open:
    """The interval being built."""

    key: tuple
    start_ns: int
    frames: list
    referred: Optional[tuple[int, tuple]] = None


class GroundTruthLabeller:
    """Builds intervals from the simulator's ground truth records, one frame at a time.

    Args:
        frame_period_ns: time between two recorded camera frames; the last interval ends
            one period after its last frame (or at the bag's end, if earlier).
        mapping: the team's names for the simulator's (``None``: the simulator's names).
    """

    def __init__(self, frame_period_ns: int, mapping: Optional[LabelMapping] = None) -> None:
        if frame_period_ns <= 0:
            raise ValueError(f'frame_period_ns={frame_period_ns}; expected > 0')
        self.frame_period_ns = int(frame_period_ns)
        self.mapping = mapping if mapping is not None else LabelMapping()
        self.names = self.mapping.map_names(SIM_NAMES)
        self.intervals: list[Interval] = []
        self._open: Optional[_Open] = None
        self._last_ns: Optional[int] = None

    def _close(self, end_ns: int) -> None:
        current = self._open
        if current is None:
            return
        situation, action, _ = current.key
        referred = None
        if current.referred is not None:
            stamp, box = current.referred
            referred = Referred(object_id=TARGET_ID, stamp_ns=stamp, box=box)
        self.intervals.append(Interval(start_ns=current.start_ns, end_ns=end_ns,
                                       situation=situation, action=action,
                                       referred=referred, frames=tuple(current.frames)))
        self._open = None

    def add(self, record: Mapping, episode: Hashable) -> None:
        """One camera frame's ground truth record, in frame order.

        Args:
            record: ``{'stamp_ns', 'situation' (None: unlabelled), 'action', 'target_box',
                'boxes', 'classes'}`` as ``ground_truth_record`` writes it.
            episode: identifies the frame's episode (intervals never span two).

        Raises:
            ValueError: a stamp that does not come after the previous frame's.
        """
        stamp = int(record['stamp_ns'])
        if self._last_ns is not None and stamp <= self._last_ns:
            raise ValueError(f'frame stamp {stamp} ns does not come after {self._last_ns} ns; '
                             'labels need stamps that only move forward')
        self._last_ns = stamp
        situation = self.mapping.map_name('situations', record['situation'])
        action = self.mapping.map_name('actions', record['action'])
        target = record.get('target_box')
        key = (situation, action, episode)
        if self._open is not None and self._open.key != key:
            self._close(stamp)
        if situation is None:
            return
        if self._open is None:
            self._open = _Open(key=key, start_ns=stamp, frames=[])
        boxes = []
        for box, name in zip(record['boxes'], record['classes']):
            new = self.mapping.map_name('object_classes', name)
            if new is not None:
                box = tuple(float(v) for v in box)
                is_target = target is not None and box == tuple(float(v) for v in target)
                boxes.append(Box(class_name=new, box=box,
                                 object_id=TARGET_ID if is_target else None))
        self._open.frames.append(FrameBoxes(stamp_ns=stamp, boxes=tuple(boxes)))
        if target is not None and self._open.referred is None:
            self._open.referred = (stamp, tuple(float(v) for v in target))

    def finish(self, end_ns: int) -> list[Interval]:
        """Close the last interval (at ``end_ns`` at the latest); every interval so far."""
        if self._open is not None:
            self._close(min(self._last_ns + self.frame_period_ns, int(end_ns)))
        return list(self.intervals)

    def label_set(self, time_range: TimeRange, source: str = '<simulator>') -> LabelSet:
        """The validated labels of every frame added, for a bag spanning ``time_range``."""
        return LabelSet(self.names, self.finish(time_range.end_ns), source=source,
                        time_range=time_range)
