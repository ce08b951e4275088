# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Task metrics, numpy only: classification, grounding and detection.

Boxes are ``(x_min, y_min, x_max, y_max)`` in pixels throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np


def confusion_matrix(truth: np.ndarray, pred: np.ndarray, num_classes: int) -> np.ndarray:
    """``(c, c)`` counts, rows are the true class, columns the predicted one."""
    truth = np.asarray(truth, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    if truth.shape != pred.shape:
        raise ValueError(f'truth and pred shapes differ: {truth.shape} vs {pred.shape}')
    for name, values in (('truth', truth), ('pred', pred)):
        if values.size and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f'{name} labels must be in [0, {num_classes}), got '
                             f'[{values.min()}, {values.max()}]')
    return np.bincount(truth * num_classes + pred,
                       minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def macro_f1(truth: np.ndarray, pred: np.ndarray, num_classes: int) -> float:
    """Unweighted mean of per-class F1 over the classes that occur in ``truth``.

    Classes absent from the ground truth are left out (their F1 is undefined); a class that is
    present but never predicted scores 0.
    """
    cm = confusion_matrix(truth, pred, num_classes).astype(np.float64)
    tp = np.diag(cm)
    support = cm.sum(axis=1)
    predicted = cm.sum(axis=0)
    denom = support + predicted
    f1 = np.where(denom > 0, 2.0 * tp / np.maximum(denom, 1e-12), 0.0)
    present = support > 0
    return float(f1[present].mean()) if present.any() else 0.0


def accuracy(truth: np.ndarray, pred: np.ndarray) -> float:
    truth = np.asarray(truth)
    pred = np.asarray(pred)
    return float((truth == pred).mean()) if truth.size else 0.0


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise IoU of ``(n, 4)`` and ``(k, 4)`` boxes, ``(n, k)``."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(rb - lt, 0.0, None).prod(axis=2)
    area_a = np.clip(a[:, 2:] - a[:, :2], 0.0, None).prod(axis=1)
    area_b = np.clip(b[:, 2:] - b[:, :2], 0.0, None).prod(axis=1)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


def grounding_hits(true_boxes: Sequence[np.ndarray | None],
                   pred_boxes: Sequence[np.ndarray | None],
                   iou_threshold: float = 0.5) -> np.ndarray:
    """Per sample: 1 when the predicted referred box overlaps the referred object, else 0.

    Args:
        true_boxes: per sample, the referred object's ``(4,)`` box, or None when the command
            refers to no object (-1 there: not counted).
        pred_boxes: per sample, the box the model says the command refers to, or None.
        iou_threshold: IoU at or above which the prediction is correct.

    Returns ``(n,)`` int8.
    """
    hits = np.full(len(true_boxes), -1, dtype=np.int8)
    for i, (truth, pred) in enumerate(zip(true_boxes, pred_boxes)):
        if truth is not None:
            hits[i] = int(pred is not None and box_iou(truth, pred)[0, 0] >= iou_threshold)
    return hits


def grounding_accuracy(true_boxes: Sequence[np.ndarray | None],
                       pred_boxes: Sequence[np.ndarray | None],
                       iou_threshold: float = 0.5) -> float:
    """Share of samples with a referred object whose predicted referred box overlaps it.

    The mean of :func:`grounding_hits` over the samples with a referred object (0 without
    any).
    """
    hits = grounding_hits(true_boxes, pred_boxes, iou_threshold)
    counted = hits >= 0
    return float(hits[counted].mean()) if counted.any() else 0.0


@dataclass
class ImageDetections:
    """Detections or ground truth of one image.

    ``boxes (n, 4)``, ``classes (n,)``, ``scores (n,)`` (ground truth: ones).
    """

    boxes: np.ndarray
    classes: np.ndarray
    scores: np.ndarray


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision envelope (all-point interpolation, as PASCAL VOC 2010+)."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.nonzero(r[1:] != r[:-1])[0]
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(truth: Sequence[ImageDetections], preds: Sequence[ImageDetections],
                           num_classes: int, iou_threshold: float = 0.5) -> float:
    """The mAP at one IoU threshold over the classes that occur in the ground truth.

    A prediction is a true positive when it matches, greedily by descending score, a not yet
    matched ground-truth box of its class with IoU at or above the threshold.
    """
    if len(truth) != len(preds):
        raise ValueError(f'{len(truth)} ground-truth images but {len(preds)} predictions')
    aps = []
    for cls in range(num_classes):
        n_true = sum(int((t.classes == cls).sum()) for t in truth)
        if n_true == 0:
            continue
        scores, hits = [], []
        for t, p in zip(truth, preds):
            gt = t.boxes[t.classes == cls]
            keep = p.classes == cls
            boxes, conf = p.boxes[keep], p.scores[keep]
            order = np.argsort(-conf, kind='stable')
            matched = np.zeros(len(gt), dtype=bool)
            ious = box_iou(boxes[order], gt) if len(gt) else np.zeros((len(order), 0))
            for row, idx in enumerate(order):
                scores.append(conf[idx])
                if ious.shape[1]:
                    cand = np.where(matched, -1.0, ious[row])
                    best = int(np.argmax(cand))
                    if cand[best] >= iou_threshold:
                        matched[best] = True
                        hits.append(True)
                        continue
                hits.append(False)
        if not scores:
            aps.append(0.0)
            continue
        order = np.argsort(-np.asarray(scores), kind='stable')
        tp = np.cumsum(np.asarray(hits, dtype=np.float64)[order])
        fp = np.cumsum(1.0 - np.asarray(hits, dtype=np.float64)[order])
        aps.append(average_precision(tp / n_true, tp / np.maximum(tp + fp, 1e-12)))
    return float(np.mean(aps)) if aps else 0.0
