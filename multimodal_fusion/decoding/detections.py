# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Detection grid outputs to boxes in source-image pixels.

Shape legend: ``b`` batch, ``gh``/``gw`` grid, ``c`` classes, ``k`` detections.

Decodes the encoding of :class:`~multimodal_fusion.modules.heads.DetectionOutput`: score is
``sigmoid(objectness) * max softmax(class)``; the box centre is ``(col + ox) / gw`` of the
image width (likewise for rows), its size ``exp(log size)`` of the image. The camera was
stretched to the model size, so these fractions scale straight to the source image.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.decoding.arrays import as_numpy
from multimodal_fusion.decoding.labels import softmax
from multimodal_fusion.decoding.nms import class_wise_nms


@dataclass(frozen=True)
class Detections:
    """Detections in one image, by decreasing score.

    Attributes:
        boxes: ``(k, 4)`` float32 ``x_min, y_min, x_max, y_max`` in source pixels.
        class_ids: ``(k,)`` int64.
        scores: ``(k,)`` float32 in [0, 1].
        referred_scores: ``(k,)`` float32, probability the box is the command's object.
        referred: ``(k,)`` bool, True for at most one box: the highest referred score, if it
            reaches the threshold.
    """

    boxes: np.ndarray
    class_ids: np.ndarray
    scores: np.ndarray
    referred_scores: np.ndarray
    referred: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])

    @property
    def referred_index(self) -> Optional[int]:
        """Index of the referred box, or ``None``."""
        hits = np.flatnonzero(self.referred)
        return int(hits[0]) if hits.size else None


def decode_detections(outputs: Mapping[str, object], *, image_sizes: Sequence[tuple[int, int]],
                      score_threshold: float = 0.3, iou_threshold: float = 0.5,
                      max_detections: int = 50, pre_nms_top_k: int = 200,
                      referred_threshold: float = 0.5) -> list[Detections]:
    """Per-image detections from the model's ``det_*`` outputs.

    Args:
        outputs: the model's output dict (torch tensors or numpy arrays): ``det_obj``
            ``(b, gh, gw)``, ``det_cls`` ``(b, gh, gw, c)``, ``det_box`` ``(b, gh, gw, 4)``,
            ``det_ref`` ``(b, gh, gw)``.
        image_sizes: ``b`` source image sizes ``(h, w)``.
        score_threshold: minimum score kept.
        iou_threshold: class-wise NMS overlap threshold.
        max_detections: at most this many per image after NMS.
        pre_nms_top_k: at most this many candidates enter NMS.
        referred_threshold: minimum referred probability to flag a box as referred.

    Raises:
        ValueError: on a threshold outside [0, 1], a non-positive count, or a batch size
            different from ``len(image_sizes)``.
    """
    for name, value in (('score_threshold', score_threshold), ('iou_threshold', iou_threshold),
                        ('referred_threshold', referred_threshold)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'{name} must be in [0, 1], got {value}')
    if max_detections < 1 or pre_nms_top_k < 1:
        raise ValueError(f'max_detections and pre_nms_top_k must be >= 1, '
                         f'got {max_detections}, {pre_nms_top_k}')
    obj = as_numpy(outputs['det_obj']).astype(np.float64)
    cls = as_numpy(outputs['det_cls']).astype(np.float64)
    box = as_numpy(outputs['det_box']).astype(np.float64)
    ref = as_numpy(outputs['det_ref']).astype(np.float64)
    b, gh, gw = obj.shape
    if len(image_sizes) != b:
        raise ValueError(f'{len(image_sizes)} image sizes for a batch of {b}')

    probs = softmax(cls, axis=-1)
    class_ids = probs.argmax(axis=-1)
    scores = _sigmoid(obj) * probs.max(axis=-1)
    rows, cols = np.meshgrid(np.arange(gh), np.arange(gw), indexing='ij')
    cx = (cols[None] + box[..., 0]) / gw
    cy = (rows[None] + box[..., 1]) / gh
    half_w = np.exp(np.minimum(box[..., 2], 0.0)) / 2.0
    half_h = np.exp(np.minimum(box[..., 3], 0.0)) / 2.0
    fractions = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=-1)
    referred_probs = _sigmoid(ref)

    results = []
    for i, (h, w) in enumerate(image_sizes):
        flat_scores = scores[i].reshape(-1)
        candidates = np.flatnonzero(flat_scores >= score_threshold)
        candidates = candidates[np.argsort(-flat_scores[candidates], kind='stable')]
        candidates = candidates[:pre_nms_top_k]
        scale = np.array([w, h, w, h], dtype=np.float64)
        boxes = np.clip(fractions[i].reshape(-1, 4)[candidates], 0.0, 1.0) * scale
        ids = class_ids[i].reshape(-1)[candidates]
        keep = class_wise_nms(boxes, flat_scores[candidates], ids, iou_threshold)
        keep = keep[:max_detections]
        kept = candidates[keep]
        referred_scores = referred_probs[i].reshape(-1)[kept]
        flags = np.zeros(kept.shape[0], dtype=bool)
        if kept.size and referred_scores.max() >= referred_threshold:
            flags[int(np.argmax(referred_scores))] = True
        results.append(Detections(
            boxes=boxes[keep].astype(np.float32), class_ids=ids[keep].astype(np.int64),
            scores=flat_scores[kept].astype(np.float32),
            referred_scores=referred_scores.astype(np.float32), referred=flags))
    return results


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def with_referred_fallback(detections: Detections,
                           target_xy: Optional[tuple[float, float]]) -> Detections:
    """Mark a referred detection when the referred head flagged none.

    The target head's point (``target_xy``, source pixels; ``None`` when it says the
    command names no object) then picks the detection whose centre is nearest to it. The
    node publishes and the evaluation scores this same choice.
    """
    if detections.referred_index is not None or target_xy is None or not len(detections):
        return detections
    boxes = detections.boxes.astype(np.float64)
    centres = np.stack([(boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2], 1)
    index = int(np.argmin(((centres - np.asarray(target_xy, dtype=np.float64)) ** 2).sum(1)))
    referred = np.zeros_like(detections.referred)
    referred[index] = True
    return dataclasses.replace(detections, referred=referred)
