# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""All model outputs of a batch to per-sample predictions with names and pixel units.

Shape legend: ``b`` batch, ``m`` modalities (5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.decoding.arrays import as_numpy
from multimodal_fusion.decoding.detections import decode_detections
from multimodal_fusion.decoding.detections import Detections
from multimodal_fusion.decoding.detections import with_referred_fallback
from multimodal_fusion.decoding.labels import Label
from multimodal_fusion.decoding.labels import topk_labels
from multimodal_fusion.spec import MODALITIES

NONE_LABEL = 'none'


@dataclass(frozen=True)
class Prediction:
    """Everything the model said about one sample.

    Attributes:
        situations: top-k situation labels.
        actions: top-k action labels.
        target: the most probable target class (index ``num_object_classes`` is 'none').
        target_xy: target point in source pixels ``(x, y)``, or ``None`` when the target is
            'none'.
        detections: detected objects.
        modality_weights: contribution weight per modality name.
    """

    situations: list[Label]
    actions: list[Label]
    target: Label
    target_xy: Optional[tuple[float, float]]
    detections: Detections
    modality_weights: dict[str, float]


def decode_outputs(outputs: Mapping[str, object], *, image_sizes: Sequence[tuple[int, int]],
                   labels: Optional[Mapping[str, Sequence[str]]] = None, top_k: int = 3,
                   score_threshold: float = 0.3, iou_threshold: float = 0.5,
                   referred_threshold: float = 0.5,
                   max_detections: int = 50) -> list[Prediction]:
    """Decode a batch of model outputs.

    Args:
        outputs: the model's output dict (torch or numpy).
        image_sizes: ``b`` source image sizes ``(h, w)``.
        labels: optional names: ``situations``, ``actions``, ``object_classes`` (without
            'none', which is appended), as stored in an exported model's metadata.
        top_k: labels per classification output.
        score_threshold: see :func:`decode_detections`.
        iou_threshold: see :func:`decode_detections`.
        referred_threshold: see :func:`decode_detections`.
        max_detections: see :func:`decode_detections`.
    """
    labels = labels or {}
    object_names = labels.get('object_classes')
    target_names = list(object_names) + [NONE_LABEL] if object_names is not None else None
    situations = topk_labels(outputs['situation_logits'], top_k, labels.get('situations'))
    actions = topk_labels(outputs['action_logits'], top_k, labels.get('actions'))
    targets = topk_labels(outputs['target_logits'], 1, target_names)
    none_index = as_numpy(outputs['target_logits']).shape[-1] - 1
    xy = as_numpy(outputs['target_xy']).astype(np.float64)
    weights = as_numpy(outputs['modality_weights']).astype(np.float64)
    detections = decode_detections(
        outputs, image_sizes=image_sizes, score_threshold=score_threshold,
        iou_threshold=iou_threshold, referred_threshold=referred_threshold,
        max_detections=max_detections)
    predictions = []
    for i, (h, w) in enumerate(image_sizes):
        target = targets[i][0]
        point = None if target.index == none_index else (float(xy[i, 0] * w), float(xy[i, 1] * h))
        predictions.append(Prediction(
            situations=situations[i], actions=actions[i], target=target, target_xy=point,
            detections=with_referred_fallback(detections[i], point),
            modality_weights={name: float(weights[i, j]) for j, name in enumerate(MODALITIES)}))
    return predictions
