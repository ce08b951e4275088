# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A decoded prediction to the node's output messages, all with the camera frame's header."""

from __future__ import annotations

from typing import Sequence

from diagnostic_msgs.msg import DiagnosticArray
from diagnostic_msgs.msg import DiagnosticStatus
from diagnostic_msgs.msg import KeyValue
from std_msgs.msg import Header
from std_msgs.msg import String

from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.ros.conversions import classification_to_msg
from multimodal_fusion.ros.conversions import detections_to_msg
from multimodal_fusion.ros.node.health import Status


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
