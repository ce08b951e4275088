# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node's output messages, built from a prediction by hand."""

import numpy as np

from multimodal_fusion.decoding.detections import Detections
from multimodal_fusion.decoding.labels import Label
from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.ros.conversions import label_info_from_msg
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.node.outputs import detection_message

NAMES = ['cube', 'ball', 'cup', 'person']


def test_detection_class_ids_are_the_numeric_ids_label_info_names(wire):
    det = Detections(boxes=np.array([[10, 10, 50, 60], [100, 20, 140, 80]], np.float32),
                     class_ids=np.array([2, 0]), scores=np.array([0.9, 0.7], np.float32),
                     referred_scores=np.array([0.1, 0.8], np.float32),
                     referred=np.array([False, True]))
    label = Label(0, 'idle', 1.0)
    prediction = Prediction(situations=[label], actions=[label], target=label, target_xy=None,
                            detections=det, modality_weights={})
    msg = wire(detection_message(prediction, make_header(5, 'cam')))
    class_ids = [d.results[0].hypothesis.class_id for d in msg.detections]
    assert class_ids == ['2', '0']
    # A vision_msgs consumer looks each one up in ~/label_info's class map.
    names, _ = label_info_from_msg(wire(label_info_to_msg(NAMES, 0.3)))
    assert [names[int(c)] for c in class_ids] == ['cup', 'cube']
    assert [d.id for d in msg.detections] == ['0', 'referred']
    assert msg.header.frame_id == 'cam'
