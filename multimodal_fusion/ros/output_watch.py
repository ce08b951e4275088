# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""When the fusion node's outputs arrived, and whether every number in them was finite.

A companion of :class:`~multimodal_fusion.ros.recorder.Recorder` for the fuzz and soak
tools: it keeps the arrival time and stamp of every scores and detections message, every
``/diagnostics`` message (flattened as the recorder does, ``'<status name>/<key>'``) and the
arrival of the simulator's ground truth (which shows whether the publisher keeps up). Its
callbacks never raise, so a non-finite score, which stops the recorder's spin thread (its
conversions refuse NaN), is counted here instead.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import math
import threading
from typing import Optional

from diagnostic_msgs.msg import DiagnosticArray
from rclpy.node import Node
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from std_msgs.msg import String
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2DArray

from multimodal_fusion.ros.shutdown import NodeThread
from multimodal_fusion.ros.sim_publisher import GROUND_TRUTH_TOPIC
from multimodal_fusion.ros.sim_publisher import TRUTH_QOS

SCORE_TOPICS: tuple[str, ...] = ('situation_scores', 'action_scores', 'detections')
MAX_KEPT_NONFINITE = 200
# An output stamped further ahead of its arrival than this came from a frame stamped in the
# future (clock skew between machines stays well below it).
FUTURE_TOLERANCE_NS = 1_000_000_000


@dataclasses.dataclass(frozen=True)
class NonFinite:
    """An output message with a NaN or Inf in it."""

    topic: str
    stamp_ns: int
    received_ns: int
    fields: tuple[str, ...]


@dataclasses.dataclass
class WatchSnapshot:
    """A copy of what the watch has seen.

    Attributes:
        arrivals: per output topic (``SCORE_TOPICS``), ``(received_ns, stamp_ns)`` pairs.
        nonfinite: the first ``MAX_KEPT_NONFINITE`` messages with NaN or Inf.
        nonfinite_count: all of them, per topic.
        diagnostics: ``(received_ns, {'<status name>/<key>': value})`` per message.
        truth: ``(received_ns, stamp_ns)`` of each ground-truth record (one per camera
            frame the simulator published).
    """

    arrivals: dict = dataclasses.field(default_factory=dict)
    nonfinite: list = dataclasses.field(default_factory=list)
    nonfinite_count: dict = dataclasses.field(default_factory=dict)
    diagnostics: list = dataclasses.field(default_factory=list)
    truth: list = dataclasses.field(default_factory=list)

    def latest_diagnostics(self) -> dict:
        return dict(self.diagnostics[-1][1]) if self.diagnostics else {}


def _stamp_ns(header) -> int:
    return int(header.stamp.sec) * 1_000_000_000 + int(header.stamp.nanosec)


def nonfinite_fields(msg) -> list[str]:
    """Names of the float fields of a Classification or Detection2DArray that are not finite.

    Empty when all are.
    """
    bad = []
    if isinstance(msg, Classification):
        for i, result in enumerate(msg.results):
            if not math.isfinite(result.score):
                bad.append(f'results[{i}].score')
        return bad
    for i, det in enumerate(msg.detections):
        box = det.bbox
        values = {'bbox.center.position.x': box.center.position.x,
                  'bbox.center.position.y': box.center.position.y,
                  'bbox.center.theta': box.center.theta,
                  'bbox.size_x': box.size_x, 'bbox.size_y': box.size_y}
        for j, result in enumerate(det.results):
            pose = result.pose.pose
            values[f'results[{j}].hypothesis.score'] = result.hypothesis.score
            for axis in ('x', 'y', 'z'):
                values[f'results[{j}].pose.position.{axis}'] = getattr(pose.position, axis)
            if not all(math.isfinite(c) for c in result.pose.covariance):
                bad.append(f'detections[{i}].results[{j}].pose.covariance')
        bad += [f'detections[{i}].{name}' for name, v in values.items() if not math.isfinite(v)]
    return bad


class OutputWatch(Node):
    """Subscribes to the node's scores, detections and diagnostics, and the ground truth.

    Args:
        node_ns: the fusion node's fully qualified name (its private topics' prefix).
    """

    def __init__(self, *, node_ns: str = '/fusion_node') -> None:
        super().__init__('output_watch')
        self._lock = threading.Lock()
        self._data = WatchSnapshot(arrivals={t: [] for t in SCORE_TOPICS},
                                   nonfinite_count=collections.Counter())
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        for topic in SCORE_TOPICS:
            msg_type = Detection2DArray if topic == 'detections' else Classification
            self.create_subscription(msg_type, f'{node_ns}/{topic}',
                                     lambda m, t=topic: self._output(t, m), reliable)
        self.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics, reliable)
        self.create_subscription(String, GROUND_TRUTH_TOPIC, self._truth, TRUTH_QOS)

    def _now(self) -> int:
        return self.get_clock().now().nanoseconds

    def _output(self, topic: str, msg) -> None:
        received = self._now()
        stamp = _stamp_ns(msg.header)
        bad = nonfinite_fields(msg)
        with self._lock:
            self._data.arrivals[topic].append((received, stamp))
            if bad:
                self._data.nonfinite_count[topic] += 1
                if len(self._data.nonfinite) < MAX_KEPT_NONFINITE:
                    self._data.nonfinite.append(NonFinite(topic, stamp, received,
                                                          tuple(bad[:8])))

    def _diagnostics(self, msg: DiagnosticArray) -> None:
        values = {f'{status.name}/{kv.key}': kv.value
                  for status in msg.status for kv in status.values}
        with self._lock:
            self._data.diagnostics.append((self._now(), values))

    def _truth(self, msg: String) -> None:
        received = self._now()
        try:
            stamp = int(json.loads(msg.data)['stamp_ns'])
        except (ValueError, KeyError, TypeError):
            return
        with self._lock:
            self._data.truth.append((received, stamp))

    def snapshot(self) -> WatchSnapshot:
        with self._lock:
            d = self._data
            return WatchSnapshot(arrivals={t: list(v) for t, v in d.arrivals.items()},
                                 nonfinite=list(d.nonfinite),
                                 nonfinite_count=dict(d.nonfinite_count),
                                 diagnostics=list(d.diagnostics), truth=list(d.truth))

    def output_count(self, after_stamp_ns: Optional[int] = None) -> int:
        """Detections messages received.

        With ``after_stamp_ns``, only those of frames stamped after it and not ahead of their
        own arrival (a frame stamped in the future says nothing about when it was sent).
        """
        with self._lock:
            arrivals = self._data.arrivals['detections']
            if after_stamp_ns is None:
                return len(arrivals)
            return sum(1 for received, stamp in arrivals
                       if after_stamp_ns < stamp <= received + FUTURE_TOLERANCE_NS)


class WatchThread(NodeThread):
    """An :class:`OutputWatch` spinning in a background thread of this process."""

    def __init__(self, **kwargs) -> None:
        super().__init__(OutputWatch(**kwargs))
