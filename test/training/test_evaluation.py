# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.decoding.detections import Detections
from multimodal_fusion.decoding.labels import Label
from multimodal_fusion.decoding.predictions import Prediction
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.evaluate import situation_weights
from multimodal_fusion.training.evaluation import drop
from multimodal_fusion.training.evaluation import grounded_box
from multimodal_fusion.training.evaluation import keep_only
from multimodal_fusion.training.evaluation import score_outputs
from multimodal_fusion.training.frozen import assemble
from multimodal_fusion.training.frozen import encode_split
from multimodal_fusion.training.frozen import tail_runner
from multimodal_fusion.training.frozen import train_tail
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.train import model_config
from multimodal_fusion.training.train import TrainSettings


def test_masks():
    mask = torch.ones(2, 5, dtype=torch.bool)
    assert keep_only(mask, ['text']).tolist() == [[False, False, True, False, False]] * 2
    assert drop(mask, 'camera')[:, 0].tolist() == [False, False]
    assert drop(mask, 'camera')[:, 1:].all()


def _prediction(boxes, referred, target_xy):
    n = len(boxes)
    detections = Detections(boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
                            class_ids=np.zeros(n, np.int64), scores=np.ones(n, np.float32),
                            referred_scores=np.zeros(n, np.float32),
                            referred=np.asarray(referred, bool))
    label = Label(index=0, name='cube', score=1.0)
    return Prediction(situations=[label], actions=[label], target=label, target_xy=target_xy,
                      detections=detections, modality_weights={})


def test_grounded_box_is_the_detection_marked_referred():
    boxes = [[0, 0, 10, 10], [50, 50, 60, 60]]
    assert grounded_box(_prediction(boxes, [False, True], (1, 1))).tolist() == boxes[1]
    assert grounded_box(_prediction(boxes, [False, False], None)) is None
    assert grounded_box(_prediction([], [], (5, 5))) is None


def _perfect_outputs(split, chunk):
    """Model outputs that encode the ground truth exactly."""
    targets = split.targets(chunk, grid_hw=(16, 16), num_object_classes=len(OBJECT_CLASSES))
    b = len(chunk)
    situation = torch.full((b, 11), -10.0)
    situation[torch.arange(b), torch.as_tensor(split.truth['situation'][chunk])] = 10.0
    action = torch.full((b, 8), -10.0)
    action[torch.arange(b), torch.as_tensor(split.truth['action'][chunk])] = 10.0
    det_cls = torch.full((b, 16, 16, len(OBJECT_CLASSES)), -10.0)
    cls = targets['det_cls'].clamp_min(0)
    det_cls.scatter_(3, cls[..., None], 10.0)
    target = torch.full((b, len(OBJECT_CLASSES) + 1), -10.0)
    target[torch.arange(b), targets['target_class']] = 10.0
    return {
        'situation_logits': situation, 'action_logits': action, 'target_logits': target,
        'target_xy': targets['target_xy'],
        'det_obj': torch.where(targets['det_pos'], 10.0, -10.0), 'det_cls': det_cls,
        'det_box': targets['det_box'], 'det_ref': targets['det_ref'] * 20.0 - 10.0,
        'modality_weights': torch.full((b, 5), 0.2),
    }


def test_perfect_outputs_score_perfectly(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    result = score_outputs(lambda chunk: _perfect_outputs(split, chunk), split, batch_size=10)
    assert result.situation_f1 == pytest.approx(1.0)
    assert result.action_accuracy == pytest.approx(1.0)
    assert result.grounding == pytest.approx(1.0)
    assert result.map50 > 0.95
    weights = situation_weights(result)
    present = np.unique(split.truth['situation'])
    assert np.allclose(weights[present], 0.2)


def test_encode_then_tail_is_forward():
    config = model_config(TrainSettings(strategy='gated'))
    model = build_model('gated', config, pretrained_camera=False).eval()
    inputs = random_inputs(config, 3)
    mask = inputs[5].clone()
    mask[0, 0] = False
    mask[1, 2:] = False
    inputs = inputs[:5] + (mask,)
    with torch.no_grad():
        expected = model(*inputs)
        tokens, spatial = model.encode(*inputs[:5])
        got = model.tail(tokens, spatial, mask)
    assert set(got) == set(expected)
    for key in expected:
        assert torch.allclose(got[key], expected[key], atol=1e-5), key


def test_frozen_protocol_keeps_encoders(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    config = model_config(TrainSettings(strategy='gated'))
    source = build_model('gated', config, pretrained_camera=False)
    encoded = encode_split(source, split, range(16), batch_size=8)
    assert encoded.spatial.shape == (16, 128, 16, 16)
    model = assemble('feature_concat', config, source.state_dict())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = train_tail(model, encoded, split, epochs=2, batch_size=8)
    assert len(losses) == 2 and all(np.isfinite(losses))
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith('camera_encoder'))
    assert any(not torch.equal(before[k], after[k]) for k in before if k.startswith('fusion'))
    result = score_outputs(tail_runner(model, encoded), split, indices=range(16))
    assert 0.0 <= result.situation_f1 <= 1.0
