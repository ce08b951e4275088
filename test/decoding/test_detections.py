# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.decoding import decode_detections
from multimodal_fusion.decoding import decode_outputs
from multimodal_fusion.decoding import topk_labels
from multimodal_fusion.models import Annotation
from multimodal_fusion.models import build_model
from multimodal_fusion.models import encode_targets
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config

GRID = (4, 4)
C = 3


def _perfect_outputs(annotations):
    """Logits a perfect model would give for these annotations."""
    t = encode_targets(annotations, grid_hw=GRID, num_object_classes=C)
    b = len(annotations)
    cls = torch.full((b,) + GRID + (C,), -10.0)
    pos = t['det_pos']
    cls[pos] = torch.nn.functional.one_hot(t['det_cls'][pos], C).float() * 20.0 - 10.0
    return {
        'det_obj': torch.where(pos, torch.tensor(10.0), torch.tensor(-10.0)),
        'det_cls': cls,
        'det_box': t['det_box'],
        'det_ref': torch.where(t['det_ref'] > 0, torch.tensor(10.0), torch.tensor(-10.0)),
    }


def test_targets_decode_back_to_source_pixel_boxes():
    boxes = np.array([[10, 20, 110, 220], [400, 300, 600, 460]], np.float32)
    annotations = [Annotation(image_hw=(480, 640), boxes=boxes, classes=np.array([2, 0]),
                              referred=1),
                   Annotation(image_hw=(100, 50), boxes=np.array([[5, 5, 45, 95]], np.float32),
                              classes=np.array([1]))]
    result = decode_detections(_perfect_outputs(annotations), image_sizes=[(480, 640), (100, 50)])
    first = result[0]
    order = np.argsort(first.boxes[:, 0])
    np.testing.assert_allclose(first.boxes[order], boxes, atol=1e-2)
    assert first.class_ids[order].tolist() == [2, 0]
    assert first.scores.min() > 0.99
    assert first.referred[order].tolist() == [False, True]
    assert first.boxes[first.referred_index].tolist() == pytest.approx(boxes[1], abs=1e-2)
    np.testing.assert_allclose(result[1].boxes, [[5, 5, 45, 95]], atol=1e-2)
    assert result[1].referred_index is None  # nothing referred above the threshold


def test_threshold_nms_and_max_detections():
    outputs = _perfect_outputs([Annotation(image_hw=(64, 64))])
    # Two neighbouring cells predict nearly the same box (IoU ~0.8): NMS keeps the better.
    outputs['det_obj'][0, 1, 1], outputs['det_obj'][0, 1, 2] = 5.0, 4.0
    outputs['det_cls'][0, 1, 1:3, 0] = 10.0
    outputs['det_box'][0, 1, 1] = torch.tensor([0.9, 0.5, np.log(0.5), np.log(0.5)])
    outputs['det_box'][0, 1, 2] = torch.tensor([0.1, 0.5, np.log(0.5), np.log(0.5)])
    one = decode_detections(outputs, image_sizes=[(64, 64)], iou_threshold=0.5)[0]
    assert len(one) == 1 and one.boxes[0, 0] == pytest.approx((0.475 - 0.25) * 64, abs=1e-3)
    # Different classes never suppress each other.
    outputs['det_cls'][0, 1, 2, 1] = 30.0
    assert len(decode_detections(outputs, image_sizes=[(64, 64)])[0]) == 2

    # Every cell: a small, separate box; the cap keeps the best five, by score.
    outputs['det_obj'][:] = torch.linspace(0.0, 5.0, 16).reshape(1, 4, 4)
    outputs['det_box'][..., :2] = 0.5
    outputs['det_box'][..., 2:] = np.log(0.1)
    capped = decode_detections(outputs, image_sizes=[(64, 64)], score_threshold=0.0,
                               max_detections=5)[0]
    assert len(capped) == 5
    assert np.all(np.diff(capped.scores) <= 0)
    none = decode_detections(outputs, image_sizes=[(64, 64)], score_threshold=1.0)[0]
    assert len(none) == 0 and none.boxes.shape == (0, 4) and none.referred_index is None


def test_boxes_are_clipped_to_the_image():
    outputs = _perfect_outputs([Annotation(image_hw=(10, 10))])
    outputs['det_obj'][0, 0, 0] = 10.0
    outputs['det_box'][0, 0, 0] = torch.tensor([0.0, 0.0, np.log(0.9), np.log(0.9)])
    det = decode_detections(outputs, image_sizes=[(10, 20)])[0]
    assert det.boxes.min() >= 0 and det.boxes[:, 2].max() <= 20 and det.boxes[:, 3].max() <= 10


def test_bad_arguments_raise():
    outputs = _perfect_outputs([Annotation(image_hw=(10, 10))])
    with pytest.raises(ValueError, match='score_threshold'):
        decode_detections(outputs, image_sizes=[(10, 10)], score_threshold=2.0)
    with pytest.raises(ValueError, match='image sizes'):
        decode_detections(outputs, image_sizes=[(10, 10), (10, 10)])


def test_topk_labels():
    logits = torch.tensor([[0.0, 2.0, 1.0], [5.0, 0.0, 0.0]])
    labels = topk_labels(logits, 2, ['a', 'b', 'c'])
    assert [(lab.index, lab.name) for lab in labels[0]] == [(1, 'b'), (2, 'c')]
    assert labels[1][0].score == pytest.approx(np.exp(5) / (np.exp(5) + 2))
    assert [lab.name for lab in topk_labels(np.array([1.0, 0.0]), 5)[0]] == ['0', '1']
    with pytest.raises(ValueError, match='names'):
        topk_labels(logits, 1, ['a'])
    with pytest.raises(ValueError, match='k must'):
        topk_labels(logits, 0)


def test_decode_outputs_of_a_real_model():
    config = tiny_model_config()
    model = build_model('gated', config).eval()
    with torch.no_grad():
        out = model(*random_inputs(config, 2))
    labels = {'situations': ['idle', 'handover', 'danger'], 'actions': list('abcd'),
              'object_classes': ['cup', 'box', 'ball']}
    predictions = decode_outputs(out, image_sizes=[(480, 640), (32, 32)], labels=labels,
                                 top_k=2, score_threshold=0.0)
    assert len(predictions) == 2
    p = predictions[0]
    assert len(p.situations) == 2 and p.situations[0].name in labels['situations']
    assert p.target.name in labels['object_classes'] + ['none']
    assert (p.target_xy is None) == (p.target.name == 'none')
    if p.target_xy is not None:
        assert 0 <= p.target_xy[0] <= 640 and 0 <= p.target_xy[1] <= 480
    assert set(p.modality_weights) == {'camera', 'audio', 'text', 'touch', 'proprio'}
    assert sum(p.modality_weights.values()) == pytest.approx(1.0, abs=1e-5)
    assert len(p.detections) > 0


def test_referred_fallback_uses_the_target_point_only_when_nothing_is_flagged():
    import numpy as np

    from multimodal_fusion.decoding.detections import Detections
    from multimodal_fusion.decoding.detections import with_referred_fallback

    def dets(flags):
        n = len(flags)
        return Detections(boxes=np.array([[0, 0, 10, 10], [50, 50, 60, 60]][:n], np.float32),
                          class_ids=np.zeros(n, np.int64), scores=np.ones(n, np.float32),
                          referred_scores=np.zeros(n, np.float32),
                          referred=np.array(flags, dtype=bool))

    assert with_referred_fallback(dets([True, False]), (55, 55)).referred_index == 0
    assert with_referred_fallback(dets([False, False]), (52, 58)).referred_index == 1
    assert with_referred_fallback(dets([False, False]), None).referred_index is None
    assert with_referred_fallback(dets([]), (5, 5)).referred_index is None
