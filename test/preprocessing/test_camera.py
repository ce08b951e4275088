# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest

from multimodal_fusion.preprocessing.camera import prepare_camera
from multimodal_fusion.spec import CameraSpec


@pytest.mark.parametrize('shape', [(480, 640, 3), (64, 64, 3), (100, 37, 3), (1, 1, 3)])
def test_any_size_becomes_spec_size_uint8_channels_first(shape):
    image = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    out = prepare_camera(image, CameraSpec(height=64, width=96))
    assert out.shape == (3, 64, 96)
    assert out.dtype == np.uint8


def test_uniform_image_stays_uniform_and_channels_keep_their_order():
    image = np.zeros((240, 320, 3), dtype=np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 10, 120, 250
    out = prepare_camera(image, CameraSpec(height=32, width=32))
    assert (out[0] == 10).all() and (out[1] == 120).all() and (out[2] == 250).all()


def test_spec_size_passes_through_unchanged():
    image = np.random.default_rng(1).integers(0, 256, (32, 48, 3), dtype=np.uint8)
    out = prepare_camera(image, CameraSpec(height=32, width=48))
    np.testing.assert_array_equal(out, image.transpose(2, 0, 1))


def test_area_interpolation_averages_blocks():
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    image[:2, :2] = 200  # top-left 2x2 block
    out = prepare_camera(image, CameraSpec(height=2, width=2))
    assert out[:, 0, 0].tolist() == [200, 200, 200]
    assert out[:, 1, 1].tolist() == [0, 0, 0]


@pytest.mark.parametrize('size', [(1280, 720), (1920, 1080), (1000, 700), (256, 256)])
def test_large_frames_shrink_in_two_stages_close_to_one_area_average(size):
    # A photo with sensor grain: the staged shrink stays within a few levels on average of
    # a single INTER_AREA average over the whole frame, and exact for whole factors.
    cv2 = pytest.importorskip('cv2')
    data = pytest.importorskip('skimage.data')
    rng = np.random.default_rng(2)
    photo = cv2.resize(data.astronaut(), size, interpolation=cv2.INTER_LINEAR).astype(int)
    image = np.clip(photo + rng.integers(-20, 21, photo.shape), 0, 255).astype(np.uint8)
    out = prepare_camera(image, CameraSpec(height=128, width=128))
    exact = cv2.resize(image, (128, 128), interpolation=cv2.INTER_AREA).transpose(2, 0, 1)
    difference = np.abs(out.astype(int) - exact)
    assert difference.mean() < 4.0
    if size[0] % 128 == 0 and size[1] % 128 == 0:
        assert difference.max() == 0


@pytest.mark.parametrize('image', [
    np.zeros((8, 8, 3), dtype=np.float32),
    np.zeros((8, 8), dtype=np.uint8),
    np.zeros((8, 8, 4), dtype=np.uint8),
    np.zeros((0, 8, 3), dtype=np.uint8),
])
def test_malformed_image_raises(image):
    with pytest.raises(ValueError, match='camera image'):
        prepare_camera(image, CameraSpec())
