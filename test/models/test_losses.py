# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.models import Annotation
from multimodal_fusion.models import build_model
from multimodal_fusion.models import encode_targets
from multimodal_fusion.models import IGNORE_INDEX
from multimodal_fusion.models import LossWeights
from multimodal_fusion.models import MultiTaskLoss
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config

CONFIG = tiny_model_config()


def _annotation(**overrides):
    fields = {'image_hw': (480, 640),
              'boxes': np.array([[0, 0, 320, 240], [400, 300, 480, 420]], np.float32),
              'classes': np.array([2, 1]), 'referred': 1, 'situation': 1, 'action': 3}
    fields.update(overrides)
    return Annotation(**fields)


def test_boxes_land_in_their_centre_cell_with_offsets_and_log_sizes():
    t = encode_targets([_annotation()], grid_hw=(4, 4), num_object_classes=3)
    # Box 0 centre (160, 120) -> fractions (0.25, 0.25) -> cell (1, 1), offset (0, 0).
    # Box 1 centre (440, 360) -> (0.6875, 0.75) -> cell row 3, col 2, offset (0.75, 0).
    assert t['det_pos'][0].nonzero().tolist() == [[1, 1], [3, 2]]
    assert t['det_cls'][0, 1, 1] == 2 and t['det_cls'][0, 3, 2] == 1
    assert t['det_cls'][0, 0, 0] == IGNORE_INDEX
    torch.testing.assert_close(
        t['det_box'][0, 1, 1], torch.tensor([0.0, 0.0, np.log(0.5), np.log(0.5)]).float())
    torch.testing.assert_close(
        t['det_box'][0, 3, 2], torch.tensor([0.75, 0.0, np.log(0.125), np.log(0.25)]).float())
    assert t['det_ref'][0].nonzero().tolist() == [[3, 2]]
    assert t['target_class'].tolist() == [1]
    torch.testing.assert_close(t['target_xy'][0], torch.tensor([0.6875, 0.75]))
    assert t['target_xy_valid'].tolist() == [True]
    assert t['situation'].tolist() == [1] and t['action'].tolist() == [3]


def test_no_reference_means_target_none_and_smaller_box_wins_a_shared_cell():
    boxes = np.array([[0, 0, 640, 480], [300, 220, 340, 260]], np.float32)
    t = encode_targets([_annotation(boxes=boxes, referred=-1)], grid_hw=(4, 4),
                       num_object_classes=3)
    assert t['target_class'].tolist() == [3]
    assert not t['target_xy_valid'].any()
    assert t['det_pos'][0].sum() == 1 and t['det_cls'][0, 2, 2] == 1


def test_explicit_target_class_and_empty_image():
    t = encode_targets([Annotation(image_hw=(10, 10), target_class=0)], grid_hw=(2, 2),
                       num_object_classes=3)
    assert t['target_class'].tolist() == [0] and not t['det_pos'].any()
    assert t['situation'].tolist() == [IGNORE_INDEX]


def test_attributes_and_reference_words():
    ann = _annotation(colors=np.array([3, -1]), sizes=np.array([0, 1]),
                      reference=(1, -1, 0, 2))
    t = encode_targets([ann, _annotation()], grid_hw=(4, 4), num_object_classes=3)
    # Box 0 at cell (1, 1) is yellow (3) and small; box 1 at (3, 2) has no colour (4).
    assert t['det_color'][0, 1, 1] == 3 and t['det_color'][0, 3, 2] == 4
    assert t['det_size'][0, 1, 1] == 0 and t['det_size'][0, 3, 2] == 1
    assert t['det_color'][0, 0, 0] == IGNORE_INDEX
    # Unknown attributes (the second sample) are ignored, not 'none'.
    assert (t['det_color'][1] == IGNORE_INDEX).all()
    # Words: class 1, colour not said (4), size 0, position 'right' (2).
    assert t['ref_refers'].tolist() == [1.0, 0.0]
    assert [t[k][0].item() for k in ('ref_shape', 'ref_color', 'ref_size', 'ref_position')] \
        == [1, 4, 0, 2]
    assert t['ref_position'][1] == IGNORE_INDEX and t['ref_shape'][1] == IGNORE_INDEX


@pytest.mark.parametrize('overrides, match', [
    ({'colors': np.array([1])}, 'colors but'),
    ({'colors': np.array([1, 4])}, 'colors must'),
    ({'reference': (5, -1, -1, -1)}, 'ref_shape'),
    ({'reference': (1, -1, -1, 3)}, 'ref_position'),
    ({'classes': np.array([2])}, 'boxes but'),
    ({'classes': np.array([2, 3])}, 'object classes'),
    ({'referred': 2}, 'referred'),
    ({'boxes': np.array([[10, 0, 0, 10], [0, 0, 1, 1]], np.float32)}, 'x_min'),
    ({'target_class': 4}, 'target_class'),
])
def test_malformed_annotations_raise(overrides, match):
    with pytest.raises(ValueError, match=match):
        encode_targets([_annotation(**overrides)], grid_hw=(4, 4), num_object_classes=3)


def test_loss_components_are_finite_even_without_labels_or_camera():
    model = build_model('feature_concat', CONFIG)
    mask = torch.zeros(2, 5, dtype=torch.bool)
    out = model(*random_inputs(CONFIG, 2, mask=mask))
    targets = encode_targets([Annotation(image_hw=(8, 8))] * 2, grid_hw=CONFIG.grid_hw,
                             num_object_classes=3)
    losses = MultiTaskLoss()(out, targets, mask)
    assert set(losses) == {'situation', 'action', 'target_class', 'target_xy', 'det_obj',
                           'det_cls', 'det_box', 'det_ref', 'det_attr', 'ref_words', 'total'}
    assert all(torch.isfinite(v) for v in losses.values())
    losses['total'].backward()


def test_camera_absent_samples_do_not_train_detection():
    model = build_model('feature_concat', CONFIG)
    targets = encode_targets([_annotation()] * 2, grid_hw=CONFIG.grid_hw, num_object_classes=3)
    out = model(*random_inputs(CONFIG, 2))
    loss = MultiTaskLoss()
    without_camera = torch.tensor([[False, True, True, True, True]] * 2)
    losses = loss(out, targets, without_camera)
    for name in ('det_obj', 'det_cls', 'det_box', 'det_ref', 'target_xy'):
        assert losses[name].item() == 0.0, name


def test_weights_scale_the_total():
    out = build_model('feature_concat', CONFIG)(*random_inputs(CONFIG, 2))
    targets = encode_targets([_annotation()] * 2, grid_hw=CONFIG.grid_hw, num_object_classes=3)
    only_action = LossWeights(**{name: 0.0 for name in LossWeights.__dataclass_fields__
                                 if name != 'action'})
    losses = MultiTaskLoss(weights=only_action)(out, targets)
    torch.testing.assert_close(losses['total'], losses['action'])
    with pytest.raises(ValueError, match='det_box'):
        LossWeights(det_box=-1.0)


def test_tiny_overfit_decreases_every_component():
    torch.manual_seed(0)
    model = build_model('gated', CONFIG)
    inputs = random_inputs(CONFIG, 4, seed=3)
    rng = np.random.default_rng(0)
    annotations = []
    for i in range(4):
        x0, y0 = rng.uniform(0, 40, size=2)
        boxes = np.array([[x0, y0, x0 + 20, y0 + 16], [60, 50, 90, 70]], np.float32)
        annotations.append(Annotation(image_hw=(96, 128), boxes=boxes,
                                      classes=np.array([i % 3, 0]), referred=i % 2,
                                      situation=i % 3, action=i % 4,
                                      colors=np.array([i % 4, -1]), sizes=np.array([1, 0]),
                                      reference=(i % 3, -1, 1, -1) if i < 3 else None))
    targets = encode_targets(annotations, grid_hw=CONFIG.grid_hw, num_object_classes=3)
    loss_fn = MultiTaskLoss()
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    history = []
    for _ in range(40):
        losses = loss_fn(model(*inputs), targets, inputs[-1])
        optimiser.zero_grad()
        losses['total'].backward()
        optimiser.step()
        history.append({k: v.item() for k, v in losses.items()})
    assert history[-1]['total'] < 0.5 * history[0]['total']
    for name in history[0]:
        assert history[-1][name] < history[0][name], name
