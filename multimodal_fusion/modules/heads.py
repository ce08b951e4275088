# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Output heads shared by every fusion strategy.

Shape legend: ``b`` batch, ``d`` width, ``c`` classes, ``gh``/``gw`` detection grid.

Classification heads read the fused vector. The detection head reads the camera's spatial
map alone; the object summary turns its outputs into a fusion token, and the referring head
composes them with the words the fused vector says were spoken to flag the object a command
refers to.
"""

import math
from typing import Final
from typing import NamedTuple
from typing import Optional

import torch
from torch import nn
from torch import Tensor
from torch.nn import functional as F

# Channels per detection cell besides the class, colour and size logits: objectness, 4 box
# values.
_BOX_CHANNELS: Final[int] = 5
# Relative positions the referring head composes, in this order, then 'no position said'.
POSITION_ORDER: Final[tuple[str, str, str]] = ('left', 'middle', 'right')
# Relations to another object (the anchor), in this order, then 'no relation said'.
RELATION_ORDER: Final[tuple[str, str]] = ('left_of', 'right_of')
# Parser columns of the position and relation words, each with 'none said'.
_POSITION_WORDS: Final[int] = len(POSITION_ORDER) + 1
_RELATION_WORDS: Final[int] = len(RELATION_ORDER) + 1


class ClassifierHead(nn.Module):
    """``LayerNorm -> Linear -> GELU -> Dropout -> Linear``.

    Args:
        dim: ``d``.
        hidden: hidden width.
        out_features: ``c`` (logits) or any output width.
        dropout: dropout after the activation.

    Inputs:
        fused: ``(b, d)``.

    Returns ``(b, c)``.
    """

    def __init__(self, *, dim: int, hidden: int, out_features: int,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if out_features < 1 or hidden < 1:
            raise ValueError(
                f'out_features and hidden must be >= 1, got {out_features}, {hidden}')
        self.layers = nn.Sequential(
            nn.LayerNorm(dim), nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden, out_features))

    def forward(self, fused: Tensor) -> Tensor:
        return self.layers(fused)


class PointHead(nn.Module):
    """An image point ``(x, y)`` in [0, 1] (fractions of width and height).

    Args:
        dim: ``d``.
        hidden: hidden width.

    Inputs:
        fused: ``(b, d)``.

    Returns ``(b, 2)``.
    """

    def __init__(self, *, dim: int, hidden: int) -> None:
        super().__init__()
        self.mlp = ClassifierHead(dim=dim, hidden=hidden, out_features=2)

    def forward(self, fused: Tensor) -> Tensor:
        return torch.sigmoid(self.mlp(fused))


class DetectionOutput(NamedTuple):
    """Per-cell predictions of :class:`DetectionHead`.

    Attributes:
        objectness: ``(b, gh, gw)`` logit that an object's centre lies in the cell.
        class_logits: ``(b, gh, gw, c)``.
        box: ``(b, gh, gw, 4)``: centre offset within the cell ``(ox, oy)`` in [0, 1], then
            ``log(w / W)``, ``log(h / H)`` (size relative to the image).
        color_logits: ``(b, gh, gw, k + 1)``: the object's colour, the last column 'has no
            colour' (people).
        size_logits: ``(b, gh, gw, z + 1)``: the object's size word, the last column 'has
            no size' (people).
    """

    objectness: Tensor
    class_logits: Tensor
    box: Tensor
    color_logits: Tensor
    size_logits: Tensor


class DetectionHead(nn.Module):
    """Single-scale CenterNet/YOLO-like grid over the camera's spatial map.

    Detection reads the image alone, so its outputs exist before fusion: the fusion gets an
    object summary token from them (:class:`ObjectSummary`) and the referring head composes
    them with what the command says (:class:`ReferringHead`). Besides class and box, every
    cell predicts the attributes people use to refer to objects (colour, size).

    Args:
        dim: ``d`` (spatial map channels).
        hidden: channels of the two 3x3 convolutions.
        num_classes: ``c``.
        num_colors: ``k`` colour words.
        num_sizes: ``z`` size words.
        prior: initial objectness probability (focal-loss practice: start near "nothing").
        prior_size: initial box size as a fraction of the image.

    Inputs:
        spatial: ``(b, d, gh, gw)``.

    Returns a :class:`DetectionOutput`.
    """

    num_classes: Final[int]
    num_colors: Final[int]
    num_sizes: Final[int]

    def __init__(self, *, dim: int, hidden: int, num_classes: int, num_colors: int,
                 num_sizes: int, prior: float = 0.01, prior_size: float = 0.2) -> None:
        super().__init__()
        if min(num_classes, num_colors, num_sizes) < 1:
            raise ValueError(f'num_classes, num_colors and num_sizes must be >= 1, '
                             f'got {num_classes}, {num_colors}, {num_sizes}')
        if not 0.0 < prior < 1.0 or not 0.0 < prior_size <= 1.0:
            raise ValueError(
                f'need 0 < prior < 1 and 0 < prior_size <= 1, got {prior}, {prior_size}')
        self.num_classes = num_classes
        self.num_colors = num_colors
        self.num_sizes = num_sizes
        self.convs = nn.Sequential(
            nn.Conv2d(dim, hidden, 3, padding=1), nn.GELU(),
            nn.Conv2d(hidden, hidden, 3, padding=1), nn.GELU())
        self.out = nn.Conv2d(hidden, _BOX_CHANNELS + num_classes + num_colors + num_sizes + 2, 1)
        with torch.no_grad():
            self.out.bias.zero_()
            self.out.bias[0] = -math.log((1.0 - prior) / prior)
            self.out.bias[num_classes + 3:num_classes + 5] = math.log(prior_size)

    def forward(self, spatial: Tensor) -> DetectionOutput:
        y = self.out(self.convs(spatial)).permute(0, 2, 3, 1)
        c = self.num_classes
        box = torch.cat([torch.sigmoid(y[..., c + 1:c + 3]), y[..., c + 3:c + 5]], dim=-1)
        colors = y[..., c + 5:c + 6 + self.num_colors]
        sizes = y[..., c + 6 + self.num_colors:]
        return DetectionOutput(y[..., 0], y[..., 1:c + 1], box, colors, sizes)


def local_peaks(objectness: Tensor, min_probability: float = 0.0) -> Tensor:
    """``(b, gh, gw)`` float, 1 at each local objectness peak, else 0.

    A peak is a cell whose objectness is the maximum of its 3x3 neighbourhood (CenterNet's
    non-maximum suppression) and whose probability is above ``min_probability``. Not
    differentiated.
    """
    with torch.no_grad():
        pooled = F.max_pool2d(objectness.unsqueeze(1), 3, stride=1, padding=1).squeeze(1)
        keep = (objectness >= pooled) & (torch.sigmoid(objectness) > min_probability)
        return keep.to(objectness.dtype)


def cell_boxes(box: Tensor) -> Tensor:
    """Each cell's predicted box as ``(x1, y1, x2, y2)`` in grid cells: ``(b, gh, gw, 4)``.

    ``box`` is :class:`DetectionOutput`'s; sizes are capped at the image, as the decoder
    caps them.
    """
    b, gh, gw, _ = box.shape
    rows = torch.arange(gh, device=box.device, dtype=box.dtype).view(1, gh, 1)
    cols = torch.arange(gw, device=box.device, dtype=box.dtype).view(1, 1, gw)
    cx, cy = cols + box[..., 0], rows + box[..., 1]
    half_w = torch.exp(box[..., 2].clamp(max=0.0)) * (gw / 2.0)
    half_h = torch.exp(box[..., 3].clamp(max=0.0)) * (gh / 2.0)
    return torch.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], dim=-1)


def object_peaks(objectness: Tensor, box: Tensor, min_probability: float = 0.0,
                 same_object_iou: float = 0.5) -> Tensor:
    """``(b, gh, gw)`` float, 1 at the cell of each object the detector sees, else 0.

    :func:`local_peaks`, except that a stronger neighbour only suppresses a cell when their
    boxes overlap by ``same_object_iou`` or more: two objects side by side, whose centres
    fall in neighbouring cells, are both kept, as the published detections (box NMS at the
    same IoU) keep them. Not differentiated.

    Inputs:
        objectness: ``(b, gh, gw)`` logits.
        box: ``(b, gh, gw, 4)`` as in :class:`DetectionOutput`.
    """
    with torch.no_grad():
        b, gh, gw = objectness.shape
        corners = cell_boxes(box.to(objectness.dtype)).permute(0, 3, 1, 2)
        # Each cell's 3x3 neighbourhood, (b, n, 9, gh * gw); outside the grid: no object.
        neighbour_obj = F.unfold(F.pad(objectness.unsqueeze(1), (1, 1, 1, 1),
                                       value=-1e4), 3).view(b, 1, 9, gh * gw)
        neighbour_box = F.unfold(F.pad(corners, (1, 1, 1, 1)), 3).view(b, 4, 9, gh * gw)
        own = corners.reshape(b, 4, 1, gh * gw)
        width = (torch.minimum(own[:, 2], neighbour_box[:, 2])
                 - torch.maximum(own[:, 0], neighbour_box[:, 0])).clamp(min=0.0)
        height = (torch.minimum(own[:, 3], neighbour_box[:, 3])
                  - torch.maximum(own[:, 1], neighbour_box[:, 1])).clamp(min=0.0)
        overlap = width * height
        area_own = (own[:, 2] - own[:, 0]) * (own[:, 3] - own[:, 1])
        area_neighbour = ((neighbour_box[:, 2] - neighbour_box[:, 0])
                          * (neighbour_box[:, 3] - neighbour_box[:, 1]))
        iou = overlap / (area_own + area_neighbour - overlap).clamp(min=1e-9)
        stronger = neighbour_obj[:, 0] > objectness.reshape(b, 1, gh * gw)
        suppressed = (stronger & (iou >= same_object_iou)).any(dim=1).view(b, gh, gw)
        keep = ~suppressed & (torch.sigmoid(objectness) > min_probability)
        return keep.to(objectness.dtype)


class ObjectSummary(nn.Module):
    """One fusion token that says which object classes the detector sees, and how many.

    Situations can hinge on one object class (a person in view turns a grasp into a
    handover); a pooled feature map buries that among everything else in the image, the
    detector's own outputs state it. The detector is trained by its own losses: its outputs
    enter the token without gradient, so the situation loss cannot bend detection.

    Args:
        num_classes: ``c``.
        dim: ``d``.

    Inputs:
        detection: a :class:`DetectionOutput` of ``gh x gw`` cells.

    Returns ``(b, 1, d)``: an MLP of :meth:`features`, plus a learned type embedding.
    """

    def __init__(self, *, num_classes: int, dim: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(nn.Linear(2 * num_classes, dim), nn.GELU(), nn.Linear(dim, dim))
        self.type_embedding = nn.Parameter(torch.zeros(1, 1, dim))
        nn.init.normal_(self.type_embedding, std=0.02)

    def features(self, detection: DetectionOutput) -> Tensor:
        """What the detector sees, ``(b, 2c)``, without gradient.

        Per-class presence (the highest ``objectness * class`` probability over the cells),
        then expected counts (their sum over local peaks).
        """
        with torch.no_grad():
            score = torch.sigmoid(detection.objectness).unsqueeze(-1) * torch.softmax(
                detection.class_logits, dim=-1)
            presence = score.flatten(1, 2).amax(dim=1)
            counts = (score * local_peaks(detection.objectness).unsqueeze(-1)).flatten(1, 2).sum(1)
            return torch.cat([presence, counts], dim=-1)

    def forward(self, detection: DetectionOutput) -> Tensor:
        return self.token(self.features(detection))

    def token(self, features: Tensor) -> Tensor:
        """The fusion token of :meth:`features`' output: ``(b, 1, d)``."""
        features = features.to(self.type_embedding.dtype)
        return self.mlp(features).unsqueeze(1) + self.type_embedding


class ReferringOutput(NamedTuple):
    """What :class:`ReferringHead` returns.

    Attributes:
        referred: ``(b, gh, gw)`` logit that the cell's object is the one the command means.
        refers: ``(b,)`` logit that the command names an object at all.
        shape: ``(b, c + 1)`` logits of the class word said; the last column 'none said'.
        color: ``(b, k + 1)`` logits of the colour word; the last column 'none said'.
        size: ``(b, z + 1)`` logits of the size word; the last column 'none said'.
        position: ``(b, 4)`` logits of the position word, ``POSITION_ORDER`` then 'none said'.
        relation: ``(b, 3)`` logits of the relation to an anchor, ``RELATION_ORDER`` then
            'none said'; ``(b, 0)`` from a head without relations.
        anchor_shape: ``(b, c + 1)`` logits of the anchor's class word, as ``shape``.
        anchor_color: ``(b, k + 1)`` logits of the anchor's colour word, as ``color``.
    """

    referred: Tensor
    refers: Tensor
    shape: Tensor
    color: Tensor
    size: Tensor
    position: Tensor
    relation: Tensor
    anchor_shape: Tensor
    anchor_color: Tensor


def _said_match(cell_probs: Tensor, said: Tensor) -> Tensor:
    """Probability a cell's attribute matches the word said (certain when none is said).

    Inputs:
        cell_probs: ``(b, gh, gw, n + 1)`` attribute probabilities (last: has none).
        said: ``(b, n + 1)`` probabilities of the word said (last: none said).

    Returns ``(b, gh, gw)``.
    """
    n = said.shape[1] - 1
    return (torch.einsum('bhwn,bn->bhw', cell_probs[..., :n], said[:, :n])
            + said[:, n, None, None])


def compose_reference(detection: DetectionOutput, refers: Tensor, shape: Tensor,
                      color: Tensor, size: Tensor, position: Tensor,
                      min_candidate: float = 0.05, eps: float = 1e-6,
                      relation: Optional[Tensor] = None, anchor_shape: Optional[Tensor] = None,
                      anchor_color: Optional[Tensor] = None) -> Tensor:
    """The referring rule of :class:`ReferringHead` on word logits: ``(b, gh, gw)`` logits.

    Inputs are the detector's outputs and the logits of :class:`ReferringOutput`'s word
    fields (``refers`` ``(b,)``, the others ``(b, n + 1)``). The candidates are the cells of
    :func:`object_peaks`, the objects the published detections hold. ``min_candidate`` is the
    objectness below which a peak is background, not a candidate the command could mean (a
    hundred faint background peaks would otherwise all count as 'another one on the left');
    probabilities are clamped to ``[eps, 1 - eps]`` before they become logits. With
    ``relation``, ``anchor_shape`` and ``anchor_color`` a candidate is also weighed by the
    probability that an object matching the anchor's words lies on the side said.
    """
    obj = detection.objectness.float()
    seen = torch.sigmoid(obj) * object_peaks(obj, detection.box.float(), min_candidate)
    class_probs = torch.softmax(detection.class_logits.float(), dim=-1)
    color_probs = torch.softmax(detection.color_logits.float(), dim=-1)
    match = (seen * _said_match(class_probs, torch.softmax(shape, dim=-1))
             * _said_match(color_probs, torch.softmax(color, dim=-1))
             * _said_match(torch.softmax(detection.size_logits.float(), dim=-1),
                           torch.softmax(size, dim=-1)))
    b, gh, gw = match.shape
    m = match.reshape(b, gh * gw).clamp(0.0, 1.0 - 1e-4)
    columns = torch.arange(gw, device=obj.device, dtype=torch.float32)
    x = ((columns + detection.box[..., 0].float()) / gw).reshape(b, gh * gw)
    # left_of[b, i, j]: cell j's object lies left of cell i's.
    left_of = (x.unsqueeze(1) < x.unsqueeze(2)).to(m.dtype)
    right_of = left_of.transpose(1, 2)
    log_free = torch.log1p(-m).unsqueeze(2)
    odds = (m / (1.0 - m)).unsqueeze(2)
    none_left = torch.exp(torch.bmm(left_of, log_free)).squeeze(2)
    none_right = torch.exp(torch.bmm(right_of, log_free)).squeeze(2)
    one_left = none_left * torch.bmm(left_of, odds).squeeze(2)
    one_right = none_right * torch.bmm(right_of, odds).squeeze(2)
    p_position = torch.softmax(position, dim=-1)
    chosen = m * (p_position[:, 0:1] * none_left + p_position[:, 1:2] * one_left * one_right
                  + p_position[:, 2:3] * none_right + p_position[:, 3:4])
    if relation is not None and anchor_shape is not None and anchor_color is not None:
        anchor = (seen * _said_match(class_probs, torch.softmax(anchor_shape, dim=-1))
                  * _said_match(color_probs, torch.softmax(anchor_color, dim=-1)))
        anchor_free = torch.log1p(-anchor.reshape(b, gh * gw).clamp(0.0, 1.0 - 1e-4))
        anchor_free = anchor_free.unsqueeze(2)
        # Left of an anchor: some anchor lies right of the candidate; and the mirror.
        left_of_anchor = 1.0 - torch.exp(torch.bmm(right_of, anchor_free)).squeeze(2)
        right_of_anchor = 1.0 - torch.exp(torch.bmm(left_of, anchor_free)).squeeze(2)
        p_relation = torch.softmax(relation, dim=-1)
        chosen = chosen * (p_relation[:, 0:1] * left_of_anchor
                           + p_relation[:, 1:2] * right_of_anchor + p_relation[:, 2:3])
    p = (torch.sigmoid(refers).unsqueeze(1) * chosen).clamp(eps, 1.0 - eps)
    referred = (torch.log(p) - torch.log1p(-p)).reshape(b, gh, gw)
    return referred


class ReferringHead(nn.Module):
    """Which detected object the command refers to, composed from what was said and seen.

    The fused vector is read into the words of the referring expression (class, colour,
    size, relative position, and whether an object is named at all); every cell's match is
    ``P(object centre) * P(class said) * P(colour said) * P(size said)``, at detector peaks
    only. 'left' / 'right' keep a candidate when no other candidate lies further left / right,
    'middle' when exactly one lies on each side; with ``relations``, a relation keeps a
    candidate when an object matching the anchor's words (class and colour) lies on the
    side said: the same rules the simulator's grammar uses
    (``sim.referring.resolve``), written with probabilities so it trains end to end. Each
    part is also supervised on its own (the parse by the command's words, the attributes by
    each object's), which is what lets it generalise to scenes never seen: no scene has to
    be memorised, only words and attributes.

    Args:
        dim: ``d``.
        hidden: hidden width of the parser.
        num_classes: ``c`` (detector classes).
        num_colors: ``k``.
        num_sizes: ``z``.
        relations: also read a relation to another object and that object's words (model
            files from before relations have none).

    Inputs:
        fused: ``(b, d)``.
        detection: the image's :class:`DetectionOutput`.

    Returns a :class:`ReferringOutput`.
    """

    num_classes: Final[int]
    num_colors: Final[int]
    num_sizes: Final[int]
    relations: Final[bool]
    position_words: Final[int]
    relation_words: Final[int]

    def __init__(self, *, dim: int, hidden: int, num_classes: int, num_colors: int,
                 num_sizes: int, dropout: float = 0.0, relations: bool = True) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.num_colors = num_colors
        self.num_sizes = num_sizes
        self.relations = relations
        self.position_words = _POSITION_WORDS
        self.relation_words = _RELATION_WORDS
        width = 1 + (num_classes + 1) + (num_colors + 1) + (num_sizes + 1) + _POSITION_WORDS
        if relations:
            width += _RELATION_WORDS + (num_classes + 1) + (num_colors + 1)
        self.parser = ClassifierHead(dim=dim, hidden=hidden, out_features=width,
                                     dropout=dropout)

    def forward(self, fused: Tensor, detection: DetectionOutput) -> ReferringOutput:
        words = self.parser(fused).float()
        c, k, z = self.num_classes, self.num_colors, self.num_sizes
        refers = words[:, 0]
        shape = words[:, 1:c + 2]
        color = words[:, c + 2:c + k + 3]
        size = words[:, c + k + 3:c + k + z + 4]
        o = c + k + z + 4 + self.position_words
        position = words[:, c + k + z + 4:o]
        if self.relations:
            r = o + self.relation_words
            relation = words[:, o:r]
            anchor_shape = words[:, r:r + c + 1]
            anchor_color = words[:, r + c + 1:]
            referred = compose_reference(detection, refers, shape, color, size, position,
                                         relation=relation, anchor_shape=anchor_shape,
                                         anchor_color=anchor_color)
        else:
            relation = anchor_shape = anchor_color = words[:, :0]
            referred = compose_reference(detection, refers, shape, color, size, position)
        return ReferringOutput(referred, refers, shape, color, size, position, relation,
                               anchor_shape, anchor_color)
