# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest
import torch

from multimodal_fusion.models.testing import TINY_SPEC
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.spec import SensorFrames

SPEC = TINY_SPEC


def _embed(text):
    v = np.zeros(SPEC.text.embedding_dim, np.float32)
    v[len(text) % SPEC.text.embedding_dim] = 1.0
    return v


def _full_frame(rng):
    return SensorFrames(
        camera=rng.integers(0, 256, (48, 64, 3), dtype=np.uint8),
        audio=rng.standard_normal(2000).astype(np.float32),
        text='pick up the cup',
        touch=rng.standard_normal((7, SPEC.touch.features)).astype(np.float32),
        proprio=rng.standard_normal((50, SPEC.proprio.features)).astype(np.float32))


def test_batch_shapes_dtypes_and_mask():
    rng = np.random.default_rng(0)
    frames = [_full_frame(rng), SensorFrames(), SensorFrames(text='stop', proprio=np.ones(
        (3, SPEC.proprio.features), np.float32))]
    inputs = Preprocessor(spec=SPEC, text_embedder=_embed)(frames)
    assert inputs.camera.shape == (3, 3, 32, 32) and inputs.camera.dtype == torch.uint8
    assert inputs.audio.shape == (3, SPEC.audio.window_samples)
    assert inputs.audio.dtype == torch.float32
    assert inputs.text.shape == (3, 384)
    assert inputs.touch.shape == (3, SPEC.touch.steps, SPEC.touch.features)
    assert inputs.proprio.shape == (3, SPEC.proprio.steps, SPEC.proprio.features)
    assert inputs.mask.dtype == torch.bool
    assert inputs.mask.tolist() == [[True] * 5, [False] * 5,
                                    [False, False, True, False, True]]
    assert inputs.image_sizes == ((48, 64), (32, 32), (32, 32))
    assert len(inputs.tensors()) == 6


def test_absent_modalities_are_zeros():
    inputs = Preprocessor(spec=SPEC)([SensorFrames()])
    for tensor in inputs.tensors()[:5]:
        assert not tensor.any()


def test_text_goes_through_the_embedder_and_empty_text_is_absent():
    inputs = Preprocessor(spec=SPEC, text_embedder=_embed)(
        [SensorFrames(text='abc'), SensorFrames(text='   ')])
    assert inputs.text[0, 3] == 1.0 and inputs.mask[0, 2]
    assert not inputs.text[1].any() and not inputs.mask[1, 2]


def test_non_finite_window_counts_as_absent_and_is_zeroed():
    touch = np.ones((5, SPEC.touch.features), np.float32)
    touch[2, 1] = np.nan
    inputs = Preprocessor(spec=SPEC)([SensorFrames(touch=touch)])
    assert not inputs.mask[0, 3]
    assert torch.isfinite(inputs.touch).all() and not inputs.touch.any()


def test_window_rate_conversion_is_applied():
    proprio = np.tile(np.arange(41, dtype=np.float32)[:, None], (1, SPEC.proprio.features))
    inputs = Preprocessor(spec=SPEC, proprio_rate_hz=40.0)([SensorFrames(proprio=proprio)])
    # 40 Hz -> 20 Hz: every other row, newest last.
    assert inputs.proprio[0, -1, 0] == 40.0 and inputs.proprio[0, -2, 0] == 38.0


def test_errors():
    with pytest.raises(ValueError, match='empty batch'):
        Preprocessor(spec=SPEC)([])
    with pytest.raises(ValueError, match='no text_embedder'):
        Preprocessor(spec=SPEC)([SensorFrames(text='hello')])
    with pytest.raises(ValueError, match='text embedding must have shape'):
        Preprocessor(spec=SPEC, text_embedder=lambda t: np.zeros(3))([SensorFrames(text='x')])
    with pytest.raises(ValueError, match='touch_rate_hz'):
        Preprocessor(spec=SPEC, touch_rate_hz=-1.0)


def test_inputs_run_through_a_model():
    from multimodal_fusion.models import build_model
    from multimodal_fusion.models.testing import tiny_model_config

    rng = np.random.default_rng(1)
    inputs = Preprocessor(spec=SPEC, text_embedder=_embed)([_full_frame(rng), SensorFrames()])
    model = build_model('feature_concat', tiny_model_config()).eval()
    with torch.no_grad():
        out = model(*inputs.tensors())
    assert all(torch.isfinite(v).all() for v in out.values())
