# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Intersection over union and greedy non-maximum suppression, in numpy.

Shape legend: ``k`` boxes ``(x_min, y_min, x_max, y_max)``.

torchvision is not a dependency, so NMS is written here: the IoU matrix is computed in one
vectorised step and the greedy pass then only reads rows of it.
"""

from __future__ import annotations

import numpy as np


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``(k, 4)`` and ``(l, 4)`` boxes: ``(k, l)``; 0 for empty boxes."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(bottom_right - top_left, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Greedy NMS: keep the best box, drop those overlapping it by more than the threshold.

    Args:
        boxes: ``(k, 4)``.
        scores: ``(k,)``.
        iou_threshold: a box whose IoU with a kept, higher-scoring box is above this is
            dropped.

    Returns kept indices into ``boxes``, by decreasing score.
    """
    order = np.argsort(-np.asarray(scores), kind='stable')
    if order.size == 0:
        return order.astype(np.int64)
    iou = box_iou(boxes[order], boxes[order])
    suppressed = np.zeros(order.size, dtype=bool)
    keep = []
    for i in range(order.size):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return order[np.asarray(keep, dtype=np.int64)]


def class_wise_nms(boxes: np.ndarray, scores: np.ndarray, class_ids: np.ndarray,
                   iou_threshold: float) -> np.ndarray:
    """NMS within each class only: boxes of different classes never suppress each other.

    Shifts every class's boxes to a disjoint region of the plane, so one NMS pass serves all
    classes.

    Returns kept indices, by decreasing score.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    if boxes.shape[0] == 0:
        return np.zeros((0,), dtype=np.int64)
    span = float(np.abs(boxes).max()) * 2.0 + 1.0
    shifted = boxes + (np.asarray(class_ids, dtype=np.float64) * span)[:, None]
    return nms(shifted, scores, iou_threshold)
