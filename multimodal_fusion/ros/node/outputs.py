# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A decoded prediction to the node's output messages, all with the camera frame's header."""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from diagnostic_msgs.msg import DiagnosticArray
from diagnostic_msgs.msg import DiagnosticStatus
from diagnostic_msgs.msg import KeyValue
import numpy as np
from rclpy.qos import QoSProfile
from sensor_msgs.msg import Image
from std_msgs.msg import Header
from std_msgs.msg import String
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2DArray
from vision_msgs.msg import LabelInfo

from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.inference.overlay import draw_prediction
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import classification_to_msg
from multimodal_fusion.ros.conversions import detections_to_msg
from multimodal_fusion.ros.node import qos
from multimodal_fusion.ros.node.health import Status

# The node's outputs: name -> (topic as the node names it, type, QoS). The node creates its
# publishers from this table and replays (``offline_path``) name their topics from it.
OUTPUTS: dict[str, tuple[str, type, Callable[[], QoSProfile]]] = {
    'situation': ('~/situation', String, qos.output_qos),
    'action': ('~/action', String, qos.output_qos),
    'situation_scores': ('~/situation_scores', Classification, qos.output_qos),
    'action_scores': ('~/action_scores', Classification, qos.output_qos),
    'detections': ('~/detections', Detection2DArray, qos.output_qos),
    'debug_image': ('~/debug_image', Image, qos.output_qos),
    'label_info': ('~/label_info', LabelInfo, qos.latched_qos),
    'diagnostics': ('/diagnostics', DiagnosticArray, qos.output_qos),
}
# Outputs published whatever the lifecycle state (the others only while active).
UNMANAGED_OUTPUTS: tuple[str, ...] = ('label_info', 'diagnostics')


def label_messages(prediction: Prediction, header: Header):
    """The label outputs of one prediction.

    Returns:
        ``(situation String, action String, situation Classification, action
        Classification)``.
    """
    situation = String(data=prediction.situations[0].name)
    action = String(data=prediction.actions[0].name)
    situation_scores = classification_to_msg([lab.name for lab in prediction.situations],
                                             [lab.score for lab in prediction.situations],
                                             header=header)
    action_scores = classification_to_msg([lab.name for lab in prediction.actions],
                                          [lab.score for lab in prediction.actions],
                                          header=header)
    return situation, action, situation_scores, action_scores


def prediction_messages(prediction: Prediction, header: Header, *,
                        debug_camera: Optional[np.ndarray] = None,
                        object_names: Sequence[str] = ()) -> list[tuple[str, object]]:
    """Every output of one synchronised set, in publication order: ``(output name, msg)``.

    Args:
        prediction: the decoded prediction.
        header: the camera frame's header, carried by every stamped output.
        debug_camera: the ``(h, w, 3)`` RGB frame to draw the prediction on for
            ``~/debug_image``; None for no debug image.
        object_names: detection class names for the overlay.
    """
    situation, action, situation_scores, action_scores = label_messages(prediction, header)
    out: list[tuple[str, object]] = [
        ('situation', situation), ('action', action), ('situation_scores', situation_scores),
        ('action_scores', action_scores), ('detections', detection_message(prediction, header))]
    if debug_camera is not None:
        overlay = draw_prediction(debug_camera, prediction, list(object_names))
        out.append(('debug_image', array_to_image(overlay, 'rgb8', header=header)))
    return out


def detection_message(prediction: Prediction, header: Header):
    """``vision_msgs/Detection2DArray``, as vision_msgs consumers expect it.

    ``ObjectHypothesis.class_id`` is the numeric class id as a string (``'3'``), the id that
    ``~/label_info``'s class map names; ``Detection2D.id`` is ``'referred'`` for the object
    the current command refers to and the detection's index (``'0'``, ``'1'``, ...) for the
    others.
    """
    det = prediction.detections
    ids = [str(int(c)) for c in det.class_ids]
    return detections_to_msg(det.boxes, ids, det.scores, header=header,
                             referred_index=det.referred_index)


def diagnostics_message(stamp, node_name: str, statuses: Sequence[Status]) -> DiagnosticArray:
    """The node's health (see ``health.py``) as one ``DiagnosticArray``."""
    array = DiagnosticArray()
    array.header.stamp = stamp
    for status in statuses:
        array.status.append(DiagnosticStatus(
            level=bytes([status.level]), name=f'{node_name}: {status.name}',
            message=status.message, hardware_id=node_name,
            values=[KeyValue(key=str(k), value=str(v)) for k, v in status.values]))
    return array
