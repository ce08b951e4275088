# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Run a model over a split and score it the way the node's decoding would report it.

Shape legend: ``b`` batch, ``m`` modalities (5), ``c`` situation classes.

Used by training (validation each epoch), the evaluation report and the shipped-model
accuracy test, so all three compute the same numbers.

Grounding: a sample counts when its command refers to a visible object. The predicted box is
the detection decoding marks as referred (the node publishes the same one): the referred
head's choice, or when it flags none, the detection nearest the predicted ``target_xy``
(see ``decoding.detections.with_referred_fallback``); a hit needs IoU >= 0.5 with the
referred object's true box.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from typing import Mapping
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from multimodal_fusion.decoding.predictions import decode_outputs
from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.inference.engine import EngineSettings
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.metrics import accuracy
from multimodal_fusion.training.metrics import grounding_accuracy
from multimodal_fusion.training.metrics import grounding_hits
from multimodal_fusion.training.metrics import ImageDetections
from multimodal_fusion.training.metrics import macro_f1
from multimodal_fusion.training.metrics import mean_average_precision

LABELS: dict[str, tuple[str, ...]] = {
    'situations': SITUATIONS, 'actions': ACTIONS, 'object_classes': OBJECT_CLASSES}
# Detections down to this score enter mAP (it needs the ranked list); grounding uses the
# node's own threshold (EngineSettings), i.e. what the node would publish.
MAP_SCORE_THRESHOLD = 0.05

ModelFn = Callable[[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], dict]


@dataclass
class EvalResult:
    """Scores of one model on one split, and the raw per-sample outputs behind them.

    Attributes:
        situation_f1: situation macro-F1.
        situation_accuracy: situation accuracy.
        action_accuracy: action accuracy.
        grounding: referred-object grounding accuracy (IoU >= 0.5).
        map50: detection mAP at IoU 0.5.
        situation_pred: ``(N,)`` predicted situation.
        situation_true: ``(N,)`` true situation.
        action_pred: ``(N,)`` predicted action.
        modality_weights: ``(N, m)`` the fusion's contribution weights.
        grounding_hits: ``(N,)`` per sample 1 / 0 where the referred object was / was not
            found, -1 where nothing is referred to (``metrics.grounding_hits``).
    """

    situation_f1: float
    situation_accuracy: float
    action_accuracy: float
    grounding: float
    map50: float
    situation_pred: np.ndarray
    situation_true: np.ndarray
    action_pred: np.ndarray
    modality_weights: np.ndarray
    grounding_hits: Optional[np.ndarray] = None

    def summary(self) -> dict[str, float]:
        """The scalar metrics, rounded for JSON and tables."""
        return {name: round(float(getattr(self, name)), 4) for name in (
            'situation_f1', 'situation_accuracy', 'action_accuracy', 'grounding', 'map50')}


def keep_only(mask: Tensor, modalities: Sequence[str]) -> Tensor:
    """``mask`` with every modality outside ``modalities`` set absent."""
    keep = torch.tensor([name in modalities for name in MODALITIES], dtype=torch.bool)
    return mask & keep.to(mask.device)


def drop(mask: Tensor, modality: str) -> Tensor:
    """``mask`` with ``modality`` set absent."""
    return keep_only(mask, [m for m in MODALITIES if m != modality])


def grounded_box(prediction: Prediction) -> Optional[np.ndarray]:
    """The box the prediction says the command refers to (see the module docstring)."""
    index = prediction.detections.referred_index
    return None if index is None else prediction.detections.boxes[index]


@torch.inference_mode()
def evaluate_split(model: ModelFn, split: SimulatedSplit, *,
                   indices: Optional[Sequence[int]] = None, batch_size: int = 64,
                   mask_fn: Optional[Callable[[Tensor], Tensor]] = None,
                   device: torch.device | str = 'cpu',
                   settings: EngineSettings = EngineSettings()) -> EvalResult:
    """Score ``model`` (eager, DDP-unwrapped or TorchScript) on ``split``.

    Args:
        model: called as ``model(camera, audio, text, touch, proprio, mask)``.
        split: the samples.
        indices: which samples (default all).
        batch_size: samples per forward call.
        mask_fn: edits the presence mask first (e.g. ``lambda m: drop(m, 'audio')``).
        device: where the model runs.
        settings: the node's decoding settings.
    """
    def run(chunk: list[int]) -> dict:
        items = [split[i] for i in chunk]
        tensors = [torch.stack([item[j] for item in items]) for j in range(6)]
        if mask_fn is not None:
            tensors[5] = mask_fn(tensors[5])
        return model(*(t.to(device) for t in tensors))

    return score_outputs(run, split, indices=indices, batch_size=batch_size, settings=settings)


@torch.inference_mode()
def score_outputs(run: Callable[[list[int]], dict], split: SimulatedSplit, *,
                  indices: Optional[Sequence[int]] = None, batch_size: int = 64,
                  settings: EngineSettings = EngineSettings(),
                  labels: Optional[Mapping[str, Sequence[str]]] = None) -> EvalResult:
    """Score the outputs ``run(chunk_indices)`` gives for the samples of ``split``.

    Action accuracy counts the samples whose action is labelled (``>= 0``), mAP the samples
    whose boxes are known (a ``det_known`` truth field, when the split has one: bags),
    grounding the samples with a referred box.

    Args:
        run: model outputs (the ``FusionModel`` dict) of a list of sample indices.
        split: the samples and their ground truth (a ``SimulatedSplit`` or a bag split).
        indices: which samples (default all).
        batch_size: samples per ``run`` call.
        settings: the node's decoding settings.
        labels: the model's label names (``situations``, ``actions``, ``object_classes``);
            the simulator's by default.
    """
    labels = LABELS if labels is None else labels
    known = split.truth.get('det_known')
    indices = list(range(len(split))) if indices is None else [int(i) for i in indices]
    sit_pred, act_pred, weights = [], [], []
    true_boxes, pred_boxes, truth_dets, pred_dets = [], [], [], []
    for start in range(0, len(indices), batch_size):
        chunk = indices[start:start + batch_size]
        outputs = {k: v.float().cpu() for k, v in run(chunk).items()}
        sizes = [tuple(int(v) for v in split.truth['image_hw'][i]) for i in chunk]
        sit_pred.append(outputs['situation_logits'].argmax(-1).numpy())
        act_pred.append(outputs['action_logits'].argmax(-1).numpy())
        weights.append(outputs['modality_weights'].numpy())
        shown = decode_outputs(outputs, image_sizes=sizes, labels=labels,
                               score_threshold=settings.score_threshold,
                               iou_threshold=settings.iou_threshold,
                               max_detections=settings.max_detections)
        ranked = decode_outputs(outputs, image_sizes=sizes, labels=labels,
                                score_threshold=MAP_SCORE_THRESHOLD,
                                iou_threshold=settings.iou_threshold, max_detections=50)
        for i, pred, full in zip(chunk, shown, ranked):
            true_boxes.append(split.referred_box(i))
            pred_boxes.append(grounded_box(pred))
            if known is not None and not known[i]:
                continue
            n = int(split.truth['num_boxes'][i])
            truth_dets.append(ImageDetections(boxes=split.truth['boxes'][i, :n],
                                              classes=split.truth['classes'][i, :n],
                                              scores=np.ones(n, dtype=np.float32)))
            d = full.detections
            pred_dets.append(ImageDetections(boxes=d.boxes, classes=d.class_ids,
                                             scores=d.scores))
    situation_true = split.truth['situation'][indices]
    action_true = split.truth['action'][indices]
    situation_pred = np.concatenate(sit_pred)
    action_pred = np.concatenate(act_pred)
    labelled = action_true >= 0
    return EvalResult(
        situation_f1=macro_f1(situation_true, situation_pred, len(labels['situations'])),
        situation_accuracy=accuracy(situation_true, situation_pred),
        action_accuracy=accuracy(action_true[labelled], action_pred[labelled]),
        grounding=grounding_accuracy(true_boxes, pred_boxes, 0.5),
        grounding_hits=grounding_hits(true_boxes, pred_boxes, 0.5),
        map50=(mean_average_precision(truth_dets, pred_dets, len(labels['object_classes']),
                                      0.5) if truth_dets else 0.0),
        situation_pred=situation_pred, situation_true=situation_true,
        action_pred=action_pred, modality_weights=np.concatenate(weights))


def selection_score(result: EvalResult) -> float:
    """The one number the best epoch is chosen by: the three command-level metrics."""
    return (result.situation_f1 + result.action_accuracy + result.grounding) / 3.0
