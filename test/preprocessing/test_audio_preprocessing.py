# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest

from multimodal_fusion.preprocessing.audio import prepare_audio
from multimodal_fusion.spec import AudioSpec

SPEC = AudioSpec(sample_rate=1000, window_s=0.01)  # 10 samples


def test_long_input_keeps_newest_samples():
    out = prepare_audio(np.arange(25, dtype=np.float64), SPEC)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.arange(15, 25))


def test_short_input_is_left_padded_with_zeros():
    out = prepare_audio(np.array([0.5, -0.5], dtype=np.float32), SPEC)
    np.testing.assert_array_equal(out, [0] * 8 + [0.5, -0.5])


def test_empty_input_is_silence():
    np.testing.assert_array_equal(prepare_audio(np.zeros(0, np.float32), SPEC), np.zeros(10))


def test_multichannel_raises():
    with pytest.raises(ValueError, match='mono'):
        prepare_audio(np.zeros((10, 2), np.float32), SPEC)
