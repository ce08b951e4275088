# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Ground truth to training targets, and the weighted multi-task loss.

Shape legend: ``b`` batch, ``k`` objects in an image, ``c`` object classes, ``gh``/``gw``
detection grid, ``m`` modalities (5).

Detection targets follow the head's encoding (see
:class:`~multimodal_fusion.modules.heads.DetectionOutput`): an object is assigned to the
cell holding its box centre; that cell learns objectness 1, the class, the centre offset
within the cell and the log size relative to the image, and whether it is the referred
object. When two centres share a cell the smaller box wins (a large box still has other
cues; a small one would vanish). Boxes are given in source-image pixels: the camera is
stretched to the model size, so fractions of the image are the same in both.
"""

import dataclasses
from dataclasses import dataclass
from typing import Dict
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch import Tensor
from torch.nn import functional as F

from multimodal_fusion.modules.heads import POSITION_ORDER
from multimodal_fusion.modules.heads import RELATION_ORDER

# Class index meaning "not labelled": skipped by the classification losses.
IGNORE_INDEX = -1
# Position words of a referring expression (``heads.POSITION_ORDER``).
NUM_POSITIONS = len(POSITION_ORDER)
# Relations to another object (``heads.RELATION_ORDER``).
NUM_RELATIONS = len(RELATION_ORDER)
# Words of a referring expression: shape, colour, size, position, relation, and the
# anchor's shape and colour.
REFERENCE_WORDS = 7
_RELATION_WORDS = ('ref_relation', 'ref_anchor_shape', 'ref_anchor_color')


@dataclass(frozen=True)
class Annotation:
    """Ground truth of one sample.

    Attributes:
        image_hw: source image ``(h, w)`` the boxes are in.
        boxes: ``(k, 4)`` ``x_min, y_min, x_max, y_max`` in source pixels.
        classes: ``(k,)`` object class ids in ``[0, c)``.
        referred: index into ``boxes`` of the object the command refers to, or -1.
        situation: situation class, or ``IGNORE_INDEX``.
        action: command action class, or ``IGNORE_INDEX``.
        target_class: class of the command's target; ``None`` means the referred box's
            class, or 'none' (``c``) when nothing is referred.
        colors: ``(k,)`` colour index per box, -1 for things without one (people); empty
            when unknown (the colour loss then skips the sample).
        sizes: ``(k,)`` size index per box, as ``colors``.
        reference: the words of the command's referring expression as ``(class, colour,
            size, position, relation, anchor class, anchor colour)`` indices, -1 where a
            word is not said (position indexes ``heads.POSITION_ORDER``, relation
            ``heads.RELATION_ORDER``; the last three may be left out: not said); ``None``
            when the command names no object (or there is no command).
        boxes_known: ``False`` when the frame's objects were not labelled (a recording
            labelled with situations only): its detection, target point and target class
            targets are then absent, not 'nothing there', and their losses skip the sample.
        reference_known: ``False`` when the words of the command were not labelled: the
            referring-word losses skip the sample.
    """

    image_hw: tuple[int, int]
    boxes: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0, 4), np.float32))
    classes: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0,), np.int64))
    referred: int = -1
    situation: int = IGNORE_INDEX
    action: int = IGNORE_INDEX
    target_class: Optional[int] = None
    colors: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0,), np.int64))
    sizes: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros((0,), np.int64))
    reference: Optional[tuple[int, ...]] = None
    boxes_known: bool = True
    reference_known: bool = True


def encode_targets(annotations: Sequence[Annotation], *, grid_hw: tuple[int, int],
                   num_object_classes: int, num_colors: int = 4,
                   num_sizes: int = 2) -> Dict[str, Tensor]:
    """Batch targets for :class:`MultiTaskLoss`.

    Args:
        annotations: one per sample.
        grid_hw: ``(gh, gw)``, e.g. ``ModelConfig.grid_hw``.
        num_object_classes: ``c``.
        num_colors: ``k`` (index ``k`` is 'no colour').
        num_sizes: ``z`` (index ``z`` is 'no size').

    Returns a dict of tensors:

    * ``situation``, ``action``, ``target_class``: ``(b,)`` int64 (``IGNORE_INDEX`` skips)
    * ``target_xy``: ``(b, 2)`` referred box centre as image fractions; ``target_xy_valid``
      ``(b,)`` bool
    * ``det_pos``: ``(b, gh, gw)`` bool, cells owning an object
    * ``det_cls``: ``(b, gh, gw)`` int64 class of the owned object (``IGNORE_INDEX`` else)
    * ``det_box``: ``(b, gh, gw, 4)`` ``(ox, oy, log w/W, log h/H)``
    * ``det_ref``: ``(b, gh, gw)`` float, 1 at the referred object's cell
    * ``det_color``, ``det_size``: ``(b, gh, gw)`` int64 attribute of the owned object
      (``k`` / ``z`` for people, ``IGNORE_INDEX`` elsewhere or when unknown)
    * ``ref_refers``: ``(b,)`` float, 1 when the command names an object
    * ``ref_shape``, ``ref_color``, ``ref_size``, ``ref_position``, ``ref_relation``,
      ``ref_anchor_shape``, ``ref_anchor_color``: ``(b,)`` int64 word said, the last index
      of each head ('none said') for words left out, ``IGNORE_INDEX`` when no object is
      named
    * ``det_valid``: ``(b,)`` bool, the sample's boxes are labelled (detection, target point
      and target class losses count it); ``ref_valid``: ``(b,)`` bool, its command's words
      are labelled

    Raises:
        ValueError: on malformed boxes, classes out of range, or a bad ``referred`` index.
    """
    gh, gw = grid_hw
    b = len(annotations)
    out = {
        'situation': torch.full((b,), IGNORE_INDEX, dtype=torch.long),
        'action': torch.full((b,), IGNORE_INDEX, dtype=torch.long),
        'target_class': torch.full((b,), IGNORE_INDEX, dtype=torch.long),
        'target_xy': torch.zeros(b, 2),
        'target_xy_valid': torch.zeros(b, dtype=torch.bool),
        'det_pos': torch.zeros(b, gh, gw, dtype=torch.bool),
        'det_cls': torch.full((b, gh, gw), IGNORE_INDEX, dtype=torch.long),
        'det_box': torch.zeros(b, gh, gw, 4),
        'det_ref': torch.zeros(b, gh, gw),
        'det_color': torch.full((b, gh, gw), IGNORE_INDEX, dtype=torch.long),
        'det_size': torch.full((b, gh, gw), IGNORE_INDEX, dtype=torch.long),
        'ref_refers': torch.zeros(b),
        'det_valid': torch.tensor([a.boxes_known for a in annotations], dtype=torch.bool),
        'ref_valid': torch.tensor([a.reference_known for a in annotations], dtype=torch.bool),
    }
    words = (('ref_shape', num_object_classes), ('ref_color', num_colors),
             ('ref_size', num_sizes), ('ref_position', NUM_POSITIONS),
             ('ref_relation', NUM_RELATIONS), ('ref_anchor_shape', num_object_classes),
             ('ref_anchor_color', num_colors))
    for name, _ in words:
        out[name] = torch.full((b,), IGNORE_INDEX, dtype=torch.long)
    for i, ann in enumerate(annotations):
        boxes = np.asarray(ann.boxes, dtype=np.float64).reshape(-1, 4)
        classes = np.asarray(ann.classes, dtype=np.int64).reshape(-1)
        _check(ann, boxes, classes, num_object_classes)
        colors = _attribute(ann.colors, len(classes), num_colors, 'colors')
        sizes = _attribute(ann.sizes, len(classes), num_sizes, 'sizes')
        h, w = ann.image_hw
        x0 = np.clip(boxes[:, 0] / w, 0.0, 1.0)
        y0 = np.clip(boxes[:, 1] / h, 0.0, 1.0)
        x1 = np.clip(boxes[:, 2] / w, 0.0, 1.0)
        y1 = np.clip(boxes[:, 3] / h, 0.0, 1.0)
        cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
        bw, bh = np.maximum(x1 - x0, 1e-4), np.maximum(y1 - y0, 1e-4)
        col = np.minimum((cx * gw).astype(np.int64), gw - 1)
        row = np.minimum((cy * gh).astype(np.int64), gh - 1)
        # Largest first, so a smaller box sharing a cell overwrites it.
        for j in np.argsort(-(bw * bh), kind='stable'):
            r, c = int(row[j]), int(col[j])
            out['det_pos'][i, r, c] = True
            out['det_cls'][i, r, c] = int(classes[j])
            out['det_box'][i, r, c] = torch.tensor(
                [cx[j] * gw - c, cy[j] * gh - r, np.log(bw[j]), np.log(bh[j])])
            out['det_ref'][i, r, c] = float(j == ann.referred)
            out['det_color'][i, r, c] = int(colors[j])
            out['det_size'][i, r, c] = int(sizes[j])
        out['situation'][i] = ann.situation
        out['action'][i] = ann.action
        target = ann.target_class
        if not ann.boxes_known and target is None:
            target = IGNORE_INDEX
        elif target is None:
            target = int(classes[ann.referred]) if ann.referred >= 0 else num_object_classes
        out['target_class'][i] = target
        if ann.reference is not None and ann.reference_known:
            out['ref_refers'][i] = 1.0
            said = tuple(ann.reference)
            if len(said) not in (4, REFERENCE_WORDS):
                raise ValueError(f'reference must hold 4 or {REFERENCE_WORDS} words, '
                                 f'got {said}')
            said += (-1,) * (REFERENCE_WORDS - len(said))
            for (name, limit), word in zip(words, said):
                if not -1 <= word < limit:
                    raise ValueError(f'{name} word must be -1 or in [0, {limit}), got {word}')
                out[name][i] = limit if word < 0 else int(word)
        if ann.referred >= 0:
            out['target_xy'][i] = torch.tensor([cx[ann.referred], cy[ann.referred]])
            out['target_xy_valid'][i] = True
    return out


def _attribute(values: np.ndarray, count: int, limit: int, name: str) -> np.ndarray:
    """Per-box attribute targets: ``limit`` for 'has none' (-1), all ignored when unknown."""
    values = np.asarray(values, dtype=np.int64).reshape(-1)
    if values.shape[0] == 0:
        return np.full(count, IGNORE_INDEX, dtype=np.int64)
    if values.shape[0] != count:
        raise ValueError(f'{values.shape[0]} {name} but {count} boxes')
    if values.min() < -1 or values.max() >= limit:
        raise ValueError(f'{name} must be -1 or in [0, {limit}), got {values.tolist()}')
    return np.where(values < 0, limit, values)


def _check(ann: Annotation, boxes: np.ndarray, classes: np.ndarray, num_classes: int) -> None:
    if boxes.shape[0] != classes.shape[0]:
        raise ValueError(f'{boxes.shape[0]} boxes but {classes.shape[0]} classes')
    if ann.image_hw[0] < 1 or ann.image_hw[1] < 1:
        raise ValueError(f'image_hw must be positive, got {ann.image_hw}')
    if boxes.shape[0] and ((boxes[:, 2] < boxes[:, 0]).any() or (boxes[:, 3] < boxes[:, 1]).any()):
        raise ValueError(f'boxes must be x_min, y_min, x_max, y_max, got {boxes.tolist()}')
    if classes.shape[0] and (classes.min() < 0 or classes.max() >= num_classes):
        raise ValueError(f'object classes must be in [0, {num_classes}), got {classes.tolist()}')
    if not -1 <= ann.referred < boxes.shape[0]:
        raise ValueError(f'referred must be -1 or a box index < {boxes.shape[0]}, '
                         f'got {ann.referred}')
    if (ann.target_class is not None and ann.target_class != IGNORE_INDEX
            and not 0 <= ann.target_class <= num_classes):
        raise ValueError(f'target_class must be {IGNORE_INDEX} or in [0, {num_classes}], '
                         f'got {ann.target_class}')
    if not ann.boxes_known and (boxes.shape[0] or ann.referred >= 0):
        raise ValueError('boxes_known is False but the annotation has boxes or a referred '
                         'box')


@dataclass(frozen=True)
class LossWeights:
    """Weight of each loss component in the total."""

    situation: float = 1.0
    action: float = 1.0
    target_class: float = 1.0
    target_xy: float = 1.0
    det_obj: float = 1.0
    det_cls: float = 1.0
    det_box: float = 1.0
    det_ref: float = 1.0
    det_attr: float = 1.0
    ref_words: float = 1.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 0:
                raise ValueError(f'loss weight {field.name} must be >= 0, '
                                 f'got {getattr(self, field.name)}')


def sigmoid_focal_loss(logits: Tensor, targets: Tensor, *, alpha: float = 0.25,
                       gamma: float = 2.0) -> Tensor:
    """Elementwise focal loss (Lin et al.), the usual dense-detection objectness loss.

    Inputs:
        logits: any shape.
        targets: same shape, in {0, 1}.

    Returns the unreduced loss, same shape.
    """
    p = torch.sigmoid(logits)
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction='none')
    p_t = p * targets + (1.0 - p) * (1.0 - targets)
    alpha_t = alpha * targets + (1.0 - alpha) * (1.0 - targets)
    return alpha_t * (1.0 - p_t).pow(gamma) * ce


class MultiTaskLoss(nn.Module):
    """Weighted sum of the classification, target and detection losses.

    * situation, action, target class: cross-entropy (``IGNORE_INDEX`` skipped)
    * target point: L1 where a referred box exists
    * objectness: focal loss over all cells, divided by the number of objects
    * detection class, box (L1 on offsets and log sizes), referred (BCE), attributes
      (colour and size cross-entropy, summed as ``det_attr``): at object cells
    * referring words (``ref_words``): BCE of 'names an object' over all samples, plus the
      cross-entropy of each word where an object is named (the relation and anchor words
      when the model reads them: outputs without them are a model without relations)

    Detection and target-point terms count only samples whose camera is present (when
    ``mask`` is given): without an image there is nothing to locate. They also skip samples
    whose boxes are not labelled (``det_valid``), and the referring-word terms samples whose
    words are not (``ref_valid``); targets without these keys count every sample.
    Every component is finite, zero when it has nothing to learn from.

    Args:
        weights: component weights.
        focal_alpha: focal loss alpha.
        focal_gamma: focal loss gamma.

    Inputs:
        outputs: the model's output dict.
        targets: from :func:`encode_targets` (on the outputs' device).
        mask: ``(b, 5)`` bool presence, or ``None`` (all present).

    Returns a dict with every component and ``total``.
    """

    def __init__(self, *, weights: LossWeights = LossWeights(), focal_alpha: float = 0.25,
                 focal_gamma: float = 2.0) -> None:
        super().__init__()
        if not 0.0 <= focal_alpha <= 1.0 or focal_gamma < 0.0:
            raise ValueError(f'need 0 <= focal_alpha <= 1 and focal_gamma >= 0, '
                             f'got {focal_alpha}, {focal_gamma}')
        self.weights = weights
        self.focal_alpha = focal_alpha
        self.focal_gamma = focal_gamma

    def forward(self, outputs: Dict[str, Tensor], targets: Dict[str, Tensor],
                mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        camera = torch.ones_like(targets['det_pos'][:, 0, 0]) if mask is None else mask[:, 0]
        camera = camera.to(torch.bool)
        if 'det_valid' in targets:
            camera = camera & targets['det_valid']
        losses = {
            'situation': _cross_entropy(outputs['situation_logits'], targets['situation']),
            'action': _cross_entropy(outputs['action_logits'], targets['action']),
            'target_class': _cross_entropy(outputs['target_logits'], targets['target_class']),
            'target_xy': _masked_mean(
                (outputs['target_xy'] - targets['target_xy']).abs().sum(dim=-1),
                targets['target_xy_valid'] & camera, outputs['target_xy']),
        }
        pos = targets['det_pos'] & camera[:, None, None]
        num_pos = pos.sum().clamp_min(1).to(outputs['det_obj'].dtype)
        focal = sigmoid_focal_loss(outputs['det_obj'], pos.to(outputs['det_obj'].dtype),
                                   alpha=self.focal_alpha, gamma=self.focal_gamma)
        focal = torch.where(camera[:, None, None], focal, torch.zeros_like(focal))
        losses['det_obj'] = focal.sum() / num_pos
        losses['det_cls'] = _cross_entropy(outputs['det_cls'][pos], targets['det_cls'][pos])
        losses['det_box'] = _masked_mean(
            (outputs['det_box'] - targets['det_box']).abs().sum(dim=-1), pos,
            outputs['det_box'])
        losses['det_ref'] = _masked_mean(
            F.binary_cross_entropy_with_logits(outputs['det_ref'], targets['det_ref'],
                                               reduction='none'), pos, outputs['det_ref'])
        losses['det_attr'] = (
            _cross_entropy(outputs['det_color'][pos], targets['det_color'][pos])
            + _cross_entropy(outputs['det_size'][pos], targets['det_size'][pos]))
        refers = F.binary_cross_entropy_with_logits(outputs['ref_refers'], targets['ref_refers'],
                                                    reduction='none')
        ref_valid = targets.get('ref_valid', torch.ones_like(targets['ref_refers'],
                                                             dtype=torch.bool))
        words = _masked_mean(refers, ref_valid, outputs['ref_refers'])
        for name in ('ref_shape', 'ref_color', 'ref_size', 'ref_position') + _RELATION_WORDS:
            if name in outputs:
                words = words + _cross_entropy(outputs[name], targets[name])
        losses['ref_words'] = words
        total = outputs['det_obj'].new_zeros(())
        for name, value in losses.items():
            total = total + getattr(self.weights, name) * value
        losses['total'] = total
        return losses


def _cross_entropy(logits: Tensor, labels: Tensor) -> Tensor:
    valid = labels != IGNORE_INDEX
    if not bool(valid.any()):
        return logits.sum() * 0.0
    return F.cross_entropy(logits[valid], labels[valid])


def _masked_mean(values: Tensor, mask: Tensor, anchor: Tensor) -> Tensor:
    if not bool(mask.any()):
        return anchor.sum() * 0.0
    return values[mask].mean()
