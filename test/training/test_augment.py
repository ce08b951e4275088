# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pytest
import torch

from multimodal_fusion.training.augment import augment_camera
from multimodal_fusion.training.augment import augment_text
from multimodal_fusion.training.augment import Augmentation


def _generator(seed=0):
    return torch.Generator().manual_seed(seed)


def _images(b=16):
    return torch.randint(0, 256, (b, 3, 12, 16), generator=_generator(9), dtype=torch.uint8)


def test_camera_keeps_shape_and_dtype_is_reproducible_and_changes_chosen_images():
    images = _images()
    a = augment_camera(images, Augmentation(), _generator(1))
    b = augment_camera(images, Augmentation(), _generator(1))
    assert a.shape == images.shape and a.dtype == torch.uint8
    assert torch.equal(a, b)
    changed = (a.int() - images.int()).abs().flatten(1).amax(1) > 0
    assert changed.sum() >= 8  # camera_p = 0.8 of 16


def test_camera_with_probability_zero_is_the_identity():
    images = _images()
    assert torch.equal(augment_camera(images, Augmentation(camera_p=0.0), _generator()), images)


def test_colour_names_survive_the_strongest_draws():
    # Saturated object colours under the extremes of exposure, gamma and white balance.
    colours = torch.tensor([[200, 30, 30], [30, 170, 40], [40, 60, 200], [220, 200, 30]],
                           dtype=torch.uint8)
    images = colours[:, :, None, None].expand(4, 3, 8, 8).repeat(50, 1, 1, 1)
    out = augment_camera(images, Augmentation(camera_p=1.0, grain=0.0), _generator(3))
    mean = out.float().mean(dim=(2, 3)).reshape(50, 4, 3)
    assert (mean[:, 0, 0] > mean[:, 0, 1:].max(dim=1).values).all()  # red stays red
    assert (mean[:, 1, 1] > mean[:, 1, [0, 2]].max(dim=1).values).all()  # green
    assert (mean[:, 2, 2] > mean[:, 2, :2].max(dim=1).values).all()  # blue
    assert (mean[:, 3, :2].min(dim=1).values > 2 * mean[:, 3, 2]).all()  # yellow


def test_text_noise_keeps_unit_norm_and_leaves_absent_rows_alone():
    text = torch.nn.functional.normalize(torch.randn(6, 384, generator=_generator(4)), dim=-1)
    text[4:] = 0.0
    present = torch.tensor([True] * 4 + [False] * 2)
    out = augment_text(text, present, Augmentation(), _generator(5))
    assert torch.allclose(out[:4].norm(dim=-1), torch.ones(4), atol=1e-5)
    cosine = (out[:4] * text[:4]).sum(-1)
    assert (cosine > 0.8).all() and (cosine < 0.999).all()
    assert torch.equal(out[4:], text[4:])
    assert torch.equal(augment_text(text, present, Augmentation(text_noise=0.0), _generator()),
                       text)


def test_text_noise_on_token_states_keeps_each_norm_and_the_padding_zero():
    states = 8.0 * torch.randn(3, 6, 384, generator=_generator(6))
    states[:, 4:] = 0.0  # four tokens, then padding
    present = torch.tensor([True, True, False])
    out = augment_text(states, present, Augmentation(), _generator(7))
    torch.testing.assert_close(out[:2].norm(dim=-1), states[:2].norm(dim=-1))
    cosine = torch.nn.functional.cosine_similarity(out[:2, :4], states[:2, :4], dim=-1)
    assert (cosine > 0.8).all() and (cosine < 0.999).all()
    assert not out[:, 4:].any() and torch.equal(out[2], states[2])


@pytest.mark.parametrize('kwargs', [{'camera_p': 1.5}, {'exposure': (1.2, 0.8)},
                                    {'white_balance': 0.6}, {'text_noise': -1.0}])
def test_invalid_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        Augmentation(**kwargs)
