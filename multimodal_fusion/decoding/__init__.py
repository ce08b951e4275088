# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Model outputs to detections and labels, in numpy (no ROS, no torchvision)."""

from multimodal_fusion.decoding.detections import decode_detections
from multimodal_fusion.decoding.detections import Detections
from multimodal_fusion.decoding.labels import Label
from multimodal_fusion.decoding.labels import topk_labels
from multimodal_fusion.decoding.nms import box_iou
from multimodal_fusion.decoding.nms import class_wise_nms
from multimodal_fusion.decoding.nms import nms
from multimodal_fusion.decoding.predictions import decode_outputs
from multimodal_fusion.decoding.predictions import Prediction

__all__ = [
    'Detections', 'Label', 'Prediction', 'box_iou', 'class_wise_nms', 'decode_detections',
    'decode_outputs', 'nms', 'topk_labels',
]
