# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What the fusion node published, recorded in another process, and scored against the truth.

:class:`Recorder` subscribes to every output of the node and to the simulator's ground
truth; :func:`score` compares the two frame by frame. The demo and the process-level tests
use both.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from dataclasses import field
import json
import math
import threading
from typing import Optional

from diagnostic_msgs.msg import DiagnosticArray
import numpy as np
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import Image
from std_msgs.msg import String
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2DArray
from vision_msgs.msg import LabelInfo

from multimodal_fusion.ros.conversions import classification_from_msg
from multimodal_fusion.ros.conversions import detections_from_msg
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import label_info_from_msg
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.node.outputs import detection_message
from multimodal_fusion.ros.node.outputs import label_messages
from multimodal_fusion.ros.shutdown import NodeThread
from multimodal_fusion.ros.sim_publisher import CAMERA_FRAME
from multimodal_fusion.ros.sim_publisher import GROUND_TRUTH_TOPIC
from multimodal_fusion.ros.sim_publisher import TRUTH_QOS
from multimodal_fusion.training.metrics import box_iou

NODE_NAME = 'fusion_node'


@dataclass
class Output:
    """What the node published for one camera frame."""

    stamp_ns: int
    frame_id: str = ''
    situation: Optional[str] = None
    action: Optional[str] = None
    detections: Optional[object] = None
    received_ns: int = 0

    @property
    def complete(self) -> bool:
        """Whether all three outputs of the frame have arrived (they come on three topics)."""
        return None not in (self.situation, self.action, self.detections)


@dataclass
class Recording:
    """Everything the recorder saw, keyed by camera stamp."""

    outputs: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    debug_images: dict = field(default_factory=dict)
    label_info: Optional[LabelInfo] = None
    # Published scores that were NaN or Inf (the node must never send one).
    non_finite_scores: int = 0


class Recorder(Node):
    """Subscribes to the fusion node's outputs and the simulator's ground truth."""

    def __init__(self, *, node_ns: str = '/' + NODE_NAME, keep_images_every: int = 0) -> None:
        super().__init__('demo_recorder')
        self.rec = Recording()
        self._lock = threading.Lock()
        self._keep_every = keep_images_every
        self._images_seen = 0
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(Classification, f'{node_ns}/situation_scores',
                                 lambda m: self._label(m, 'situation'), reliable)
        self.create_subscription(Classification, f'{node_ns}/action_scores',
                                 lambda m: self._label(m, 'action'), reliable)
        self.create_subscription(Detection2DArray, f'{node_ns}/detections', self._detections,
                                 reliable)
        self.create_subscription(LabelInfo, f'{node_ns}/label_info', self._label_info, latched)
        self.create_subscription(Image, f'{node_ns}/debug_image', self._debug_image, reliable)
        self.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics, reliable)
        self.create_subscription(String, GROUND_TRUTH_TOPIC, self._truth, TRUTH_QOS)

    def _output(self, header) -> Output:
        stamp = stamp_to_ns(header)
        out = self.rec.outputs.get(stamp)
        if out is None:
            out = self.rec.outputs[stamp] = Output(stamp_ns=stamp, frame_id=header.frame_id)
        out.received_ns = self.get_clock().now().nanoseconds
        return out

    def _label(self, msg: Classification, kind: str) -> None:
        bad = sum(not math.isfinite(r.score) for r in msg.results)
        try:
            labels, _ = classification_from_msg(msg)
        except ValueError:
            labels = [r.class_id for r in msg.results]
        with self._lock:
            self.rec.non_finite_scores += bad
            setattr(self._output(msg.header), kind, labels[0] if labels else None)

    def _detections(self, msg: Detection2DArray) -> None:
        with self._lock:
            # class_id is a numeric id; ~/label_info names it (vision_msgs convention).
            names = (label_info_from_msg(self.rec.label_info)[0]
                     if self.rec.label_info is not None else None)
            self._output(msg.header).detections = read_detections(msg, names)

    def _label_info(self, msg: LabelInfo) -> None:
        with self._lock:
            self.rec.label_info = msg

    def _debug_image(self, msg: Image) -> None:
        self._images_seen += 1
        if self._keep_every and self._images_seen % self._keep_every == 0:
            with self._lock:
                self.rec.debug_images[stamp_to_ns(msg.header)] = image_to_rgb(msg).copy()

    def _diagnostics(self, msg: DiagnosticArray) -> None:
        values = {}
        for status in msg.status:
            values[f'{status.name}/level'] = int.from_bytes(status.level, 'little')
            values[f'{status.name}/message'] = status.message
            for kv in status.values:
                values[f'{status.name}/{kv.key}'] = kv.value
        with self._lock:
            self.rec.diagnostics.append((self.get_clock().now().nanoseconds, values))

    def _truth(self, msg: String) -> None:
        record = json.loads(msg.data)
        with self._lock:
            self.rec.truth[record['stamp_ns']] = record

    def snapshot(self) -> Recording:
        with self._lock:
            return Recording(outputs=dict(self.rec.outputs), truth=dict(self.rec.truth),
                             diagnostics=list(self.rec.diagnostics),
                             debug_images=dict(self.rec.debug_images),
                             label_info=self.rec.label_info,
                             non_finite_scores=self.rec.non_finite_scores)

    def latest_diagnostics(self) -> dict:
        with self._lock:
            return dict(self.rec.diagnostics[-1][1]) if self.rec.diagnostics else {}


def read_detections(msg: Detection2DArray, names: Optional[list[str]]):
    """The detections of a message, class ids replaced by ``names`` (``~/label_info``)."""
    det = detections_from_msg(msg)
    if names is None:
        return det
    return det._replace(class_ids=[names[int(c)] if c.isdigit() and int(c) < len(names) else c
                                   for c in det.class_ids])


def output_from_prediction(stamp_ns: int, prediction, object_names: list[str]) -> Output:
    """What the recorder would record had the node published ``prediction`` for a frame.

    The node's own message builders make the messages; the recorder's readers read them:
    a prediction made outside the node is scored exactly as the node's outputs are.
    """
    header = make_header(stamp_ns, CAMERA_FRAME)
    _, _, situation, action = label_messages(prediction, header)
    return Output(stamp_ns=stamp_ns, frame_id=CAMERA_FRAME,
                  situation=(classification_from_msg(situation)[0] or [None])[0],
                  action=(classification_from_msg(action)[0] or [None])[0],
                  detections=read_detections(detection_message(prediction, header),
                                             list(object_names)))


class RecorderThread(NodeThread):
    """A :class:`Recorder` spinning in a background thread of this process."""

    def __init__(self, **kwargs) -> None:
        super().__init__(Recorder(**kwargs))


def score(rec: Recording) -> dict:
    """Compare what the node published with the ground truth of the same frames.

    Frames between two situations (ground truth ``None``) count for the action and grounding
    but not for the situation. Detection recall: the share of visible objects with a
    published detection of their class at IoU >= 0.5.
    """
    matched = [(rec.outputs[s], rec.truth[s]) for s in sorted(rec.outputs) if s in rec.truth]
    situation = [(o.situation, t['situation']) for o, t in matched
                 if t['situation'] is not None and o.situation is not None]
    action = [(o.action, t['action']) for o, t in matched if o.action is not None]
    objects, found = 0, 0
    for out, truth in matched:
        if out.detections is None or not truth['boxes']:
            continue
        det = out.detections
        names = np.asarray(det.class_ids)
        ious = box_iou(np.asarray(truth['boxes']), det.boxes)
        for row, cls in enumerate(truth['classes']):
            objects += 1
            found += int(((ious[row] >= 0.5) & (names == cls)).any())
    grounded, hits = 0, 0
    for out, truth in matched:
        if truth['target_box'] is None or out.detections is None:
            continue
        grounded += 1
        det = out.detections
        if det.referred_index is not None:
            iou = box_iou(np.asarray(truth['target_box']), det.boxes[det.referred_index])[0, 0]
            hits += int(iou >= 0.5)
    latencies = np.array([(o.received_ns - o.stamp_ns) / 1e6 for o, _ in matched
                          if o.received_ns], dtype=np.float64)
    confusion = collections.Counter((t, o) for o, t in situation)
    return {
        'frames_published': len(rec.truth),
        'frames_with_output': len(matched),
        'situation_accuracy': (float(np.mean([o == t for o, t in situation]))
                               if situation else None),
        'action_accuracy': float(np.mean([o == t for o, t in action])) if action else None,
        'detection_recall': found / objects if objects else None,
        'grounding_accuracy': hits / grounded if grounded else None,
        'grounding_frames': grounded,
        'latency_ms_median': float(np.median(latencies)) if latencies.size else None,
        'latency_ms_p99': float(np.percentile(latencies, 99)) if latencies.size else None,
        'situation_confusions': {f'{t} -> {o}': n for (t, o), n in confusion.most_common()
                                 if t != o},
    }
