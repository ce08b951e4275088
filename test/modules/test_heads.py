# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import math

import pytest
import torch

from multimodal_fusion.modules.heads import ClassifierHead
from multimodal_fusion.modules.heads import compose_reference
from multimodal_fusion.modules.heads import DetectionHead
from multimodal_fusion.modules.heads import DetectionOutput
from multimodal_fusion.modules.heads import local_peaks
from multimodal_fusion.modules.heads import object_peaks
from multimodal_fusion.modules.heads import ObjectSummary
from multimodal_fusion.modules.heads import PointHead
from multimodal_fusion.modules.heads import ReferringHead

D = 16


def test_classifier_and_point_heads():
    fused = torch.randn(3, D)
    assert ClassifierHead(dim=D, hidden=8, out_features=5)(fused).shape == (3, 5)
    xy = PointHead(dim=D, hidden=8)(fused * 100)
    assert xy.shape == (3, 2) and (xy >= 0).all() and (xy <= 1).all()


def _detection_head(**kwargs):
    args = {'dim': D, 'hidden': 8, 'num_classes': 4, 'num_colors': 3, 'num_sizes': 2}
    args.update(kwargs)
    return DetectionHead(**args)


def test_detection_head_shapes_ranges_and_priors():
    head = _detection_head(prior=0.01, prior_size=0.2)
    out = head(torch.randn(2, D, 5, 7))
    assert out.objectness.shape == (2, 5, 7)
    assert out.class_logits.shape == (2, 5, 7, 4)
    assert out.box.shape == (2, 5, 7, 4)
    assert out.color_logits.shape == (2, 5, 7, 4)  # 3 colours + 'none'
    assert out.size_logits.shape == (2, 5, 7, 3)
    assert (out.box[..., :2] >= 0).all() and (out.box[..., :2] <= 1).all()
    assert head.out.bias[0].item() == pytest.approx(-math.log(99.0))
    assert head.out.bias[4 + 3].item() == pytest.approx(math.log(0.2))


def test_detection_head_scripts():
    head = _detection_head()
    scripted = torch.jit.script(head)
    spatial = torch.randn(2, D, 4, 4)
    for x, y in zip(scripted(spatial), head(spatial)):
        torch.testing.assert_close(x, y)


@pytest.mark.parametrize('kwargs, match', [
    ({'num_classes': 0}, 'num_classes'),
    ({'num_colors': 0}, 'num_colors'),
    ({'prior': 1.0}, 'prior'),
])
def test_bad_detection_head_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        _detection_head(**kwargs)


def test_local_peaks_keeps_one_cell_per_blob_above_the_floor():
    obj = torch.full((1, 5, 5), -10.0)
    obj[0, 1, 1], obj[0, 1, 2], obj[0, 3, 4] = 3.0, 2.0, 1.0
    peaks = local_peaks(obj, 0.01)
    assert peaks.nonzero().tolist() == [[0, 1, 1], [0, 3, 4]]
    assert local_peaks(obj, 0.9).nonzero().tolist() == [[0, 1, 1]]


def _neighbours(box_log_size: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Objectness and boxes of a 1x8 grid: cells 3 and 4 hold centres, cell 3 stronger."""
    obj = torch.full((1, 1, 8), -10.0)
    obj[0, 0, 3], obj[0, 0, 4] = 8.0, 6.0
    box = torch.zeros(1, 1, 8, 4)
    box[..., 0:2] = 0.5
    box[..., 2:4] = box_log_size
    return obj, box


def test_object_peaks_keep_side_by_side_objects_and_merge_one_objects_cells():
    # Boxes an eighth of the image wide (one cell): two objects next to each other. The
    # 3x3 rule of local_peaks drops the weaker one; the published detections keep both.
    obj, small = _neighbours(math.log(1 / 8))
    assert local_peaks(obj, 0.01).nonzero().tolist() == [[0, 0, 3]]
    assert object_peaks(obj, small, 0.01).nonzero().tolist() == [[0, 0, 3], [0, 0, 4]]
    # Boxes half the image wide: both cells see one object, which is kept once.
    _, large = _neighbours(math.log(1 / 2))
    assert object_peaks(obj, large, 0.01).nonzero().tolist() == [[0, 0, 3]]
    assert object_peaks(obj, small, 0.999).nonzero().tolist() == [[0, 0, 3]]
    assert torch.jit.script(object_peaks)(obj, small, 0.01, 0.5).equal(
        object_peaks(obj, small, 0.01))


def test_the_weaker_of_two_neighbouring_objects_can_be_referred_to():
    # The demo's 'look at the large cube' with a small cube right beside it: the large one
    # was no candidate (not a 3x3 peak), and the ball elsewhere was marked instead.
    obj, box = _neighbours(math.log(1 / 8))
    cls = torch.zeros(1, 1, 8, _NUM['classes'])
    cls[..., 0] = 20.0  # cubes
    col = torch.zeros(1, 1, 8, _NUM['colors'] + 1)
    col[..., 0] = 20.0
    size = torch.zeros(1, 1, 8, _NUM['sizes'] + 1)
    size[0, 0, 3, 0], size[0, 0, 4, 1] = 20.0, 20.0  # small, then large
    referred = compose_reference(
        DetectionOutput(obj, cls, box, col, size), torch.tensor([20.0]),
        _said(0, _NUM['classes']), _said(-1, _NUM['colors']), _said(1, _NUM['sizes']),
        _said(-1, 3))
    p = torch.sigmoid(referred)[0, 0]
    assert int(p.argmax()) == 4 and p[4] > 0.9, p


# A 1x8 grid of objects: (column, class, colour, size); classes cube 0, ball 1, person 3.
_SCENE = [(0, 0, 0, 0), (2, 0, 0, 1), (4, 1, 0, 0), (6, 0, 1, 0), (7, 3, -1, -1)]
_NUM = {'classes': 4, 'colors': 3, 'sizes': 2}


def _scene_detection() -> DetectionOutput:
    gw = 8
    obj = torch.full((1, 1, gw), -12.0)
    cls = torch.zeros(1, 1, gw, _NUM['classes'])
    col = torch.zeros(1, 1, gw, _NUM['colors'] + 1)
    size = torch.zeros(1, 1, gw, _NUM['sizes'] + 1)
    for column, c, k, z in _SCENE:
        obj[0, 0, column] = 8.0
        cls[0, 0, column, c] = 20.0
        col[0, 0, column, k] = 20.0
        size[0, 0, column, z] = 20.0
    box = torch.zeros(1, 1, gw, 4)
    box[..., 0] = 0.5
    return DetectionOutput(obj, cls, box, col, size)


def _said(index: int, n: int) -> torch.Tensor:
    """Logits of a word: index ``n`` (or -1) is 'none said'."""
    logits = torch.full((1, n + 1), -20.0)
    logits[0, n if index < 0 else index] = 20.0
    return logits


@pytest.mark.parametrize('words, expected_column', [
    ((0, 0, -1, 0), 0),   # the red cube on the left
    ((0, 0, -1, 2), 2),   # the red cube on the right
    ((0, 0, 1, -1), 2),   # the large red cube
    ((1, -1, -1, -1), 4),  # the ball
    ((-1, 1, -1, -1), 6),  # the green one
    ((0, -1, -1, 1), 2),  # the cube in the middle (three cubes)
    ((0, -1, -1, 2), 6),  # the cube on the right
])
def test_compose_reference_follows_the_grammar(words, expected_column):
    shape, color, size, position = words
    referred = compose_reference(
        _scene_detection(), torch.tensor([20.0]), _said(shape, _NUM['classes']),
        _said(color, _NUM['colors']), _said(size, _NUM['sizes']), _said(position, 3))
    p = torch.sigmoid(referred)[0, 0]
    assert int(p.argmax()) == expected_column
    assert p[expected_column] > 0.9
    others = torch.cat([p[:expected_column], p[expected_column + 1:]])
    assert (others < 0.05).all(), p


def _relation(shape, color, size, relation, anchor_shape, anchor_color):
    return compose_reference(
        _scene_detection(), torch.tensor([20.0]), _said(shape, _NUM['classes']),
        _said(color, _NUM['colors']), _said(size, _NUM['sizes']), _said(-1, 3),
        relation=_said(relation, 2), anchor_shape=_said(anchor_shape, _NUM['classes']),
        anchor_color=_said(anchor_color, _NUM['colors']))


@pytest.mark.parametrize('words, expected_column', [
    ((0, -1, -1, 1, 1, -1), 6),   # the cube right of the ball
    ((0, -1, 1, 0, 1, 0), 2),     # the large cube left of the red ball
    ((0, 0, 0, 0, 1, -1), 0),     # the small red cube left of the ball
    ((-1, 1, -1, 1, 0, 0), 6),    # the green one right of the red cube (two red cubes)
])
def test_compose_reference_reads_a_relation_to_an_anchor(words, expected_column):
    p = torch.sigmoid(_relation(*words))[0, 0]
    assert int(p.argmax()) == expected_column
    assert p[expected_column] > 0.9
    others = torch.cat([p[:expected_column], p[expected_column + 1:]])
    assert (others < 0.05).all(), p


def test_a_relation_to_an_anchor_not_in_view_picks_nothing():
    # 'the cube right of the green ball': there is no green ball; 'the green cube left of
    # the ball': the green cube is right of it.
    assert (torch.sigmoid(_relation(0, -1, -1, 1, 1, 1)) < 0.05).all()
    assert (torch.sigmoid(_relation(0, 1, -1, 0, 1, -1)) < 0.05).all()
    # 'none said' for the relation leaves the plain reference: the two red cubes.
    p = torch.sigmoid(_relation(0, 0, -1, -1, -1, -1))[0, 0]
    assert (p > 0.9).nonzero().flatten().tolist() == [0, 2]


def test_compose_reference_flags_nothing_without_a_reference():
    referred = compose_reference(
        _scene_detection(), torch.tensor([-20.0]), _said(0, 4), _said(0, 3), _said(-1, 2),
        _said(0, 3))
    assert (torch.sigmoid(referred) < 1e-3).all()


def test_compose_reference_is_differentiable_and_scripts():
    detection = _scene_detection()
    words = [torch.randn(1, n, requires_grad=True) for n in (5, 4, 3, 4)]
    refers = torch.zeros(1, requires_grad=True)
    referred = compose_reference(detection, refers, *words)
    referred[0, 0, 2].backward()
    assert all(w.grad is not None and torch.isfinite(w.grad).all() for w in words)
    scripted = torch.jit.script(compose_reference)
    torch.testing.assert_close(scripted(detection, refers, *words), referred)


def test_referring_head_and_object_summary_shapes_and_script():
    detection = _scene_detection()
    head = ReferringHead(dim=D, hidden=8, num_classes=4, num_colors=3, num_sizes=2)
    fused = torch.randn(1, D)
    out = head(fused, detection)
    assert out.referred.shape == (1, 1, 8) and out.refers.shape == (1,)
    assert [t.shape[1] for t in (out.shape, out.color, out.size, out.position, out.relation,
                                 out.anchor_shape, out.anchor_color)] == [5, 4, 3, 4, 3, 5, 4]
    for x, y in zip(torch.jit.script(head)(fused, detection), out):
        torch.testing.assert_close(x, y)
    # A head from before relations: the parser's width and outputs of then.
    old = ReferringHead(dim=D, hidden=8, num_classes=4, num_colors=3, num_sizes=2,
                        relations=False)
    assert old.parser.layers[-1].out_features == 1 + 5 + 4 + 3 + 4
    before = torch.jit.script(old)(fused, detection)
    assert before.relation.shape == (1, 0) and before.position.shape == (1, 4)
    summary = ObjectSummary(num_classes=4, dim=D)
    token = summary(detection)
    assert token.shape == (1, 1, D)
    torch.testing.assert_close(torch.jit.script(summary)(detection), token)


def test_object_summary_sees_which_classes_are_present():
    summary = ObjectSummary(num_classes=4, dim=D)
    with_person = _scene_detection()
    obj = with_person.objectness.clone()
    obj[0, 0, 7] = -12.0  # the person gone
    without = with_person._replace(objectness=obj)
    assert not torch.allclose(summary(with_person), summary(without))
    assert summary(with_person).requires_grad
    assert not with_person.objectness.requires_grad
