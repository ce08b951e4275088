# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import math

import pytest
import torch

from multimodal_fusion.modules.heads import ClassifierHead
from multimodal_fusion.modules.heads import FilmDetectionHead
from multimodal_fusion.modules.heads import PointHead

D = 16


def test_classifier_and_point_heads():
    fused = torch.randn(3, D)
    assert ClassifierHead(dim=D, hidden=8, out_features=5)(fused).shape == (3, 5)
    xy = PointHead(dim=D, hidden=8)(fused * 100)
    assert xy.shape == (3, 2) and (xy >= 0).all() and (xy <= 1).all()


def test_detection_head_shapes_ranges_and_priors():
    head = FilmDetectionHead(dim=D, hidden=8, num_classes=4, prior=0.01, prior_size=0.2)
    out = head(torch.randn(2, D, 5, 7), torch.randn(2, D))
    assert out.objectness.shape == (2, 5, 7)
    assert out.class_logits.shape == (2, 5, 7, 4)
    assert out.box.shape == (2, 5, 7, 4)
    assert out.referred.shape == (2, 5, 7)
    assert (out.box[..., :2] >= 0).all() and (out.box[..., :2] <= 1).all()
    assert head.out.bias[0].item() == pytest.approx(-math.log(99.0))
    assert head.out.bias[4 + 3].item() == pytest.approx(math.log(0.2))


def test_film_starts_as_identity_and_then_conditions():
    head = FilmDetectionHead(dim=D, hidden=8, num_classes=2)
    spatial = torch.randn(1, D, 3, 3)
    a = head(spatial, torch.randn(1, D)).referred
    b = head(spatial, torch.randn(1, D)).referred
    torch.testing.assert_close(a, b)  # zero-initialised FiLM: the fused vector has no effect
    torch.nn.init.normal_(head.film.weight)
    c = head(spatial, torch.randn(1, D)).referred
    assert not torch.allclose(a, c)


def test_detection_head_scripts():
    head = FilmDetectionHead(dim=D, hidden=8, num_classes=3)
    scripted = torch.jit.script(head)
    spatial, fused = torch.randn(2, D, 4, 4), torch.randn(2, D)
    for x, y in zip(scripted(spatial, fused), head(spatial, fused)):
        torch.testing.assert_close(x, y)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_classes=0), 'num_classes'),
    (dict(num_classes=2, prior=1.0), 'prior'),
])
def test_bad_detection_head_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FilmDetectionHead(dim=D, hidden=8, **kwargs)
