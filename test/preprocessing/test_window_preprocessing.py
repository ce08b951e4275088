# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import numpy as np
import pytest

from multimodal_fusion.preprocessing.windows import fit_window


def _rows(t, f=2):
    return np.arange(t * f, dtype=np.float64).reshape(t, f)


def test_long_window_keeps_newest_rows():
    out = fit_window(_rows(10), steps=4, features=2, rate_hz=10.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, _rows(10)[-4:])


def test_short_window_left_pads_by_repeating_oldest_row():
    window = _rows(2)
    out = fit_window(window, steps=5, features=2, rate_hz=10.0)
    np.testing.assert_array_equal(out, np.stack([window[0]] * 4 + [window[1]]))


def test_exact_window_unchanged():
    np.testing.assert_array_equal(fit_window(_rows(4), steps=4, features=2, rate_hz=10.0),
                                  _rows(4))


def test_resampling_to_a_lower_rate_is_anchored_at_newest_row():
    # A ramp sampled at 100 Hz read back at 50 Hz: every other row, ending at the newest.
    ramp = np.arange(11, dtype=np.float64)[:, None]
    out = fit_window(ramp, steps=6, features=1, rate_hz=50.0, source_rate_hz=100.0)
    np.testing.assert_allclose(out[:, 0], [0, 2, 4, 6, 8, 10])


def test_resampling_to_a_higher_rate_interpolates_linearly():
    ramp = np.array([[0.0], [1.0], [2.0]])
    out = fit_window(ramp, steps=5, features=1, rate_hz=20.0, source_rate_hz=10.0)
    np.testing.assert_allclose(out[:, 0], [0, 0.5, 1, 1.5, 2])


@pytest.mark.parametrize('window', [np.zeros((3, 3)), np.zeros((0, 2)), np.zeros(4)])
def test_wrong_shape_raises(window):
    with pytest.raises(ValueError, match='window must be'):
        fit_window(window, steps=4, features=2, rate_hz=10.0)


def test_bad_rate_raises():
    with pytest.raises(ValueError, match='rates must be positive'):
        fit_window(_rows(3), steps=4, features=2, rate_hz=10.0, source_rate_hz=0.0)
