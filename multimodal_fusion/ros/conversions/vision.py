# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node's outputs as ``vision_msgs`` (4.x) messages, and back to arrays.

Shape legend: ``n`` detections (or classes of a classification).

Boxes are axis-aligned, in pixels of the source image, in one of two layouts:
``'xyxy'`` = ``[x_min, y_min, x_max, y_max]`` (the default) or ``'cxcywh'`` =
``[center_x, center_y, width, height]`` (what ``BoundingBox2D`` stores). A class is
identified by its label string in ``ObjectHypothesis.class_id``.

The object the current command refers to is published as one detection among the others
whose ``Detection2D.id`` is ``REFERRED_ID``; every other detection gets its own id
(``str(i)`` unless given), so a subscriber finds the referred object by id alone.
"""

from __future__ import annotations

import math
from typing import NamedTuple
from typing import Optional
from typing import Sequence

import numpy as np
from std_msgs.msg import Header
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2D
from vision_msgs.msg import Detection2DArray
from vision_msgs.msg import LabelInfo
from vision_msgs.msg import ObjectHypothesis
from vision_msgs.msg import ObjectHypothesisWithPose
from vision_msgs.msg import VisionClass

from multimodal_fusion.ros.conversions.errors import MessageFormatError

REFERRED_ID = 'referred'
BOX_FORMATS: tuple[str, ...] = ('xyxy', 'cxcywh')
_MAX_CLASSES = 2**16  # VisionClass.class_id is uint16


def _check_box_format(box_format: str) -> None:
    if box_format not in BOX_FORMATS:
        raise ValueError(f'box_format must be one of {BOX_FORMATS}, got {box_format!r}')


def _header(header: Optional[Header]) -> Header:
    return header if header is not None else Header()


def _scores(scores: np.ndarray, count: int) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.shape != (count,):
        raise ValueError(f'expected ({count},) scores, got shape {scores.shape}')
    if not np.isfinite(scores).all():
        raise ValueError('scores must be finite')
    return scores


def to_cxcywh(boxes: np.ndarray) -> np.ndarray:
    """``(n, 4)`` ``xyxy`` boxes as ``cxcywh``, float64."""
    boxes = np.asarray(boxes, dtype=np.float64)
    return np.concatenate(
        ((boxes[:, :2] + boxes[:, 2:]) / 2.0, boxes[:, 2:] - boxes[:, :2]), axis=1)


def to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """``(n, 4)`` ``cxcywh`` boxes as ``xyxy``, float64."""
    boxes = np.asarray(boxes, dtype=np.float64)
    half = boxes[:, 2:] / 2.0
    return np.concatenate((boxes[:, :2] - half, boxes[:, :2] + half), axis=1)


def detections_to_msg(
    boxes: np.ndarray,
    class_ids: Sequence[str],
    scores: np.ndarray,
    *,
    header: Optional[Header] = None,
    ids: Optional[Sequence[str]] = None,
    referred_index: Optional[int] = None,
    box_format: str = 'xyxy',
) -> Detection2DArray:
    """Build a ``Detection2DArray``, one hypothesis per detection.

    Args:
        boxes: ``(n, 4)`` pixel boxes in ``box_format``.
        class_ids: ``n`` label strings.
        scores: ``(n,)`` confidences.
        header: the source image's header, copied to the array and every detection so
            downstream synchronisers can match them; empty when omitted.
        ids: ``n`` detection ids; ``str(i)`` when omitted. None may be ``REFERRED_ID``.
        referred_index: the detection the command refers to; its id becomes
            ``REFERRED_ID``. None when no object is referred to.
        box_format: ``'xyxy'`` or ``'cxcywh'``.

    Raises:
        ValueError: inconsistent lengths, non-finite values, boxes with negative size, an
            out-of-range ``referred_index`` or an id equal to ``REFERRED_ID``.
    """
    _check_box_format(box_format)
    count = len(class_ids)
    boxes = np.asarray(boxes, dtype=np.float64)
    if count == 0 and boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.shape != (count, 4):
        raise ValueError(f'expected ({count}, 4) boxes, got shape {boxes.shape}')
    if not np.isfinite(boxes).all():
        raise ValueError('boxes must be finite')
    scores = _scores(scores, count)
    centered = boxes if box_format == 'cxcywh' else to_cxcywh(boxes)
    if (centered[:, 2:] < 0).any():
        raise ValueError('boxes must not have negative width or height')
    ids = [str(i) for i in range(count)] if ids is None else [str(i) for i in ids]
    if len(ids) != count:
        raise ValueError(f'expected {count} ids, got {len(ids)}')
    if REFERRED_ID in ids:
        raise ValueError(f'{REFERRED_ID!r} is reserved; pass referred_index instead')
    if referred_index is not None:
        if not 0 <= referred_index < count:
            raise ValueError(f'referred_index {referred_index} out of range for {count}')
        ids[referred_index] = REFERRED_ID
    header = _header(header)
    msg = Detection2DArray(header=header)
    for (cx, cy, width, height), class_id, score, det_id in zip(
            centered.tolist(), class_ids, scores.tolist(), ids):
        det = Detection2D(header=header, id=det_id)
        det.bbox.center.position.x = cx
        det.bbox.center.position.y = cy
        det.bbox.size_x = width
        det.bbox.size_y = height
        det.results.append(ObjectHypothesisWithPose(
            hypothesis=ObjectHypothesis(class_id=str(class_id), score=score)))
        msg.detections.append(det)
    return msg


class Detections(NamedTuple):
    """A ``Detection2DArray`` as arrays.

    Attributes:
        boxes: ``(n, 4)`` float64 in the requested layout.
        class_ids: ``n`` labels, the best-scoring hypothesis of each detection.
        scores: ``(n,)`` float64, that hypothesis' score.
        ids: ``n`` detection ids.
        referred_index: index of the detection with id ``REFERRED_ID``, or None.
    """

    boxes: np.ndarray
    class_ids: list[str]
    scores: np.ndarray
    ids: list[str]
    referred_index: Optional[int]


def detections_from_msg(msg: Detection2DArray, *, box_format: str = 'xyxy') -> Detections:
    """Read a ``Detection2DArray`` back (tests, bag tools).

    Raises:
        MessageFormatError: a detection without hypotheses, a non-finite or negative-size
            box, a rotated box (``theta`` not 0), a non-finite score, or more than one
            detection with id ``REFERRED_ID``.
    """
    _check_box_format(box_format)
    count = len(msg.detections)
    centered = np.empty((count, 4), dtype=np.float64)
    class_ids: list[str] = []
    scores = np.empty(count, dtype=np.float64)
    ids: list[str] = []
    referred_index = None
    for i, det in enumerate(msg.detections):
        bbox = det.bbox
        centered[i] = (
            bbox.center.position.x, bbox.center.position.y, bbox.size_x, bbox.size_y)
        if not np.isfinite(centered[i]).all():
            raise MessageFormatError('Detection2D.bbox', 'finite values', centered[i].tolist())
        if bbox.size_x < 0 or bbox.size_y < 0:
            raise MessageFormatError(
                'Detection2D.bbox', 'size_x and size_y >= 0', (bbox.size_x, bbox.size_y))
        if bbox.center.theta != 0.0:
            raise MessageFormatError(
                'Detection2D.bbox.center.theta', '0 (axis-aligned box)', bbox.center.theta)
        if not det.results:
            raise MessageFormatError('Detection2D.results', 'at least one hypothesis', 0)
        best = max(det.results, key=lambda r: r.hypothesis.score).hypothesis
        if not math.isfinite(best.score):
            raise MessageFormatError('ObjectHypothesis.score', 'a finite score', best.score)
        class_ids.append(best.class_id)
        scores[i] = best.score
        if det.id == REFERRED_ID:
            if referred_index is not None:
                raise MessageFormatError(
                    'Detection2D.id', f'at most one {REFERRED_ID!r}', f'indices '
                    f'{referred_index} and {i}')
            referred_index = i
        ids.append(det.id)
    boxes = centered if box_format == 'cxcywh' else to_xyxy(centered)
    return Detections(boxes, class_ids, scores, ids, referred_index)


def classification_to_msg(
    class_ids: Sequence[str], scores: np.ndarray, *, header: Optional[Header] = None
) -> Classification:
    """A ``Classification`` with one hypothesis per label, in the given order.

    Raises:
        ValueError: ``scores`` not ``(n,)`` finite values.
    """
    scores = _scores(scores, len(class_ids))
    msg = Classification(header=_header(header))
    msg.results = [
        ObjectHypothesis(class_id=str(c), score=s) for c, s in zip(class_ids, scores.tolist())]
    return msg


def classification_from_msg(msg: Classification) -> tuple[list[str], np.ndarray]:
    """Labels and ``(n,)`` float64 scores of a ``Classification``, in message order.

    Raises:
        MessageFormatError: a non-finite score.
    """
    class_ids = [r.class_id for r in msg.results]
    scores = np.array([r.score for r in msg.results], dtype=np.float64)
    if not np.isfinite(scores).all():
        raise MessageFormatError('ObjectHypothesis.score', 'finite scores', scores.tolist())
    return class_ids, scores


def label_info_to_msg(
    labels: Sequence[str], threshold: float, *, header: Optional[Header] = None
) -> LabelInfo:
    """A ``LabelInfo`` mapping class id ``i`` to ``labels[i]``.

    Args:
        labels: class names, index = class id.
        threshold: the score below which the node drops detections.
        header: stamp and frame; empty when omitted.

    Raises:
        ValueError: more labels than a uint16 id can number, or a non-finite threshold.
    """
    if len(labels) > _MAX_CLASSES:
        raise ValueError(f'at most {_MAX_CLASSES} labels fit VisionClass.class_id (uint16)')
    if not math.isfinite(threshold):
        raise ValueError(f'threshold must be finite, got {threshold}')
    msg = LabelInfo(header=_header(header), threshold=float(threshold))
    msg.class_map = [VisionClass(class_id=i, class_name=str(n)) for i, n in enumerate(labels)]
    return msg


def label_info_from_msg(msg: LabelInfo) -> tuple[tuple[str, ...], float]:
    """Labels indexed by class id, and the threshold, of a ``LabelInfo``.

    Raises:
        MessageFormatError: class ids that are not ``0 .. n-1`` each once (any order).
    """
    by_id = {vc.class_id: vc.class_name for vc in msg.class_map}
    count = len(msg.class_map)
    if len(by_id) != count or set(by_id) != set(range(count)):
        raise MessageFormatError(
            'LabelInfo.class_map', f'class ids 0..{count - 1}, each once',
            sorted(vc.class_id for vc in msg.class_map))
    return tuple(by_id[i] for i in range(count)), float(msg.threshold)
