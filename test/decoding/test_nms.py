# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np

from multimodal_fusion.decoding import box_iou
from multimodal_fusion.decoding import class_wise_nms
from multimodal_fusion.decoding import nms


def _loop_nms(boxes, scores, threshold):
    """Textbook greedy NMS, box by box, as a reference."""
    order = list(np.argsort(-scores, kind='stable'))
    keep = []
    while order:
        i = order.pop(0)
        keep.append(i)
        order = [j for j in order if box_iou(boxes[i:i + 1], boxes[j:j + 1])[0, 0] <= threshold]
    return keep


def test_iou_values():
    a = np.array([[0, 0, 10, 10], [0, 0, 0, 0]], np.float32)
    b = np.array([[0, 0, 10, 10], [5, 0, 15, 10], [20, 20, 30, 30]], np.float32)
    iou = box_iou(a, b)
    np.testing.assert_allclose(iou[0], [1.0, 50 / 150, 0.0])
    np.testing.assert_array_equal(iou[1], [0, 0, 0])  # degenerate box: no NaN


def test_nms_suppresses_overlaps_keeping_best_first():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9]], float)
    scores = np.array([0.8, 0.9, 0.7, 0.6])
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]


def test_nms_matches_loop_reference_on_random_boxes():
    rng = np.random.default_rng(0)
    for _ in range(20):
        xy = rng.uniform(0, 50, (40, 2))
        boxes = np.concatenate([xy, xy + rng.uniform(5, 30, (40, 2))], axis=1)
        scores = rng.uniform(size=40)
        assert nms(boxes, scores, 0.4).tolist() == _loop_nms(boxes, scores, 0.4)


def test_class_wise_nms_keeps_overlapping_boxes_of_other_classes():
    boxes = np.array([[0, 0, 10, 10], [0, 0, 10, 10], [0, 0, 10, 10]], float)
    scores = np.array([0.9, 0.8, 0.7])
    assert class_wise_nms(boxes, scores, np.array([0, 1, 0]), 0.5).tolist() == [0, 1]


def test_empty_inputs():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    assert class_wise_nms(np.zeros((0, 4)), np.zeros(0), np.zeros(0), 0.5).shape == (0,)
