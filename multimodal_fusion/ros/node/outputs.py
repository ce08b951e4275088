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
from multimodal_fusion.spec import MODALITIES


def label_messages(prediction: Prediction, header: Header):
    """``(situation String, action String, situation Classification, action
    Classification)``."""
    situation = String(data=prediction.situations[0].name)
    action = String(data=prediction.actions[0].name)
    situation_scores = classification_to_msg([lab.name for lab in prediction.situations],
                                             [lab.score for lab in prediction.situations],
                                             header=header)
    action_scores = classification_to_msg([lab.name for lab in prediction.actions],
                                          [lab.score for lab in prediction.actions],
                                          header=header)
    return situation, action, situation_scores, action_scores


def detection_message(prediction: Prediction, header: Header, object_names: Sequence[str]):
    """``vision_msgs/Detection2DArray``: class ids as label strings, the referred object's
    detection carrying the id ``referred``."""
    det = prediction.detections
    names = [object_names[int(c)] for c in det.class_ids]
    return detections_to_msg(det.boxes, names, det.scores, header=header,
                             referred_index=det.referred_index)


def diagnostics_message(stamp, node_name: str, snapshot: dict, sync_drops: dict,
                        set_drops: dict, time_jumps: int, expected_inputs: Sequence[str]) -> DiagnosticArray:
    """The node's health: input rates, latency, drops by reason, modality presence."""
    def kv(key, value):
        return KeyValue(key=str(key), value=str(value))

    array = DiagnosticArray()
    array.header.stamp = stamp

    rates = snapshot['rates']
    silent = [s for s in expected_inputs if rates.get(s, 0.0) == 0.0]
    inputs = DiagnosticStatus(name=f'{node_name}: inputs', hardware_id=node_name)
    inputs.level = DiagnosticStatus.WARN if silent else DiagnosticStatus.OK
    inputs.message = f'no messages on {", ".join(silent)}' if silent else 'all inputs arriving'
    inputs.values = [kv(f'rate_hz/{s}', f'{rates.get(s, 0.0):.1f}') for s in expected_inputs]

    inference = DiagnosticStatus(name=f'{node_name}: inference', hardware_id=node_name)
    e2e = snapshot['end_to_end']
    model = snapshot['inference']
    inference.level = DiagnosticStatus.OK if snapshot['outputs'] else DiagnosticStatus.WARN
    inference.message = (f'{snapshot["outputs"]} outputs' if snapshot['outputs']
                         else 'no output yet')
    inference.values = [
        kv('outputs', snapshot['outputs']),
        kv('inference_errors', snapshot['inference_errors']),
        kv('end_to_end_ms/median', f'{e2e[0]:.1f}' if e2e else 'n/a'),
        kv('end_to_end_ms/p99', f'{e2e[1]:.1f}' if e2e else 'n/a'),
        kv('inference_ms/median', f'{model[0]:.1f}' if model else 'n/a'),
        kv('inference_ms/p99', f'{model[1]:.1f}' if model else 'n/a'),
    ]
    last = snapshot['last_presence']
    counts = snapshot['presence_counts']
    for i, name in enumerate(MODALITIES):
        inference.values.append(kv(f'present/{name}', '' if last is None else bool(last[i])))
        inference.values.append(kv(f'present_sets/{name}', int(counts[i])))

    drops = DiagnosticStatus(name=f'{node_name}: drops', hardware_id=node_name)
    values = []
    for reason, by_source in sorted(sync_drops.items()):
        for source, n in sorted(by_source.items()):
            values.append(kv(f'messages/{reason}/{source}', n))
    for (stream, field), n in sorted(snapshot['rejected'].items()):
        values.append(kv(f'messages/malformed/{stream}/{field}', n))
    for reason, by_source in sorted(set_drops.items()):
        for source, n in sorted(by_source.items()):
            values.append(kv(f'sets/{reason}/{source}', n))
    values.append(kv('time_jumps', time_jumps))
    drops.values = values
    drops.level = DiagnosticStatus.OK
    drops.message = f'{sum(int(v.value) for v in values if v.value.isdigit())} drops'
    array.status = [inputs, inference, drops]
    return array
