# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Ring buffers and resampling: windows checked numerically against known signals."""

import numpy as np
import pytest

from multimodal_fusion.sync.windows import AudioRing
from multimodal_fusion.sync.windows import resample_audio
from multimodal_fusion.sync.windows import resample_rows
from multimodal_fusion.sync.windows import RowRing
from multimodal_fusion.sync.windows import TextHistory
from multimodal_fusion.sync.windows import window_grid_ns

S = 1_000_000_000
EPOCH = 1_700_000_000 * S  # epoch-sized stamps: precision must not suffer


# -- grid and row resampling ------------------------------------------------------------------


def test_grid_ends_at_the_stamp_with_the_rate_spacing():
    grid = window_grid_ns(EPOCH, 100, 200.0)
    assert grid.shape == (100,) and grid.dtype == np.int64
    assert grid[-1] == EPOCH
    assert np.all(np.diff(grid) == S // 200)
    assert grid[0] == EPOCH - 99 * (S // 200)


def test_linear_resampling_of_a_ramp_is_exact_at_irregular_stamps():
    rng = np.random.default_rng(0)
    stamps = EPOCH + np.sort(rng.choice(2 * S, 300, replace=False)).astype(np.int64)
    seconds = (stamps - EPOCH) / S
    rows = np.stack([3.0 * seconds - 1.0, -0.5 * seconds], axis=1).astype(np.float32)
    grid = window_grid_ns(EPOCH + S + S // 2, 100, 100.0)
    out = resample_rows(stamps, rows, grid)
    t = (grid - EPOCH) / S
    expected = np.stack([3.0 * t - 1.0, -0.5 * t], axis=1)
    np.testing.assert_allclose(out, expected, atol=1e-5)


def test_linear_resampling_of_a_sine_is_within_the_interpolation_bound():
    # 1 kHz samples of a 2 Hz sine resampled at 200 Hz: linear interpolation error is at
    # most dt^2 / 8 * max|f''| = (1e-3)^2 / 8 * (2 pi 2)^2.
    stamps = EPOCH + np.arange(0, S, S // 1000, dtype=np.int64)
    omega = 2 * np.pi * 2.0
    rows = np.sin(omega * (stamps - EPOCH) / S)[:, None].astype(np.float32)
    grid = window_grid_ns(EPOCH + S - S // 1000 - 1234, 100, 200.0)
    out = resample_rows(stamps, rows, grid)[:, 0]
    expected = np.sin(omega * (grid - EPOCH) / S)
    assert np.max(np.abs(out - expected)) <= (1e-3) ** 2 / 8 * omega ** 2 + 1e-6


def test_sample_and_hold_takes_the_last_row_at_or_before():
    stamps = np.array([10, 20, 30], dtype=np.int64)
    rows = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    grid = np.array([5, 10, 15, 20, 29, 30, 45], dtype=np.int64)
    out = resample_rows(stamps, rows, grid, interpolate=False)[:, 0]
    np.testing.assert_array_equal(out, [1, 1, 1, 2, 2, 3, 3])


def test_edges_hold_the_first_and_last_rows():
    stamps = np.array([10, 20], dtype=np.int64)
    rows = np.array([[1.0], [3.0]], dtype=np.float32)
    out = resample_rows(stamps, rows, np.array([0, 15, 25], dtype=np.int64))[:, 0]
    np.testing.assert_allclose(out, [1.0, 2.0, 3.0])


def test_duplicate_stamps_do_not_divide_by_zero():
    stamps = np.array([10, 20, 20, 30], dtype=np.int64)
    rows = np.array([[0.0], [1.0], [2.0], [4.0]], dtype=np.float32)
    out = resample_rows(stamps, rows, np.array([15, 20, 25], dtype=np.int64))[:, 0]
    assert np.all(np.isfinite(out))
    np.testing.assert_allclose(out, [0.5, 2.0, 3.0])


# -- RowRing ----------------------------------------------------------------------------------


def test_row_ring_keeps_the_newest_rows_and_windows_them():
    ring = RowRing(features=2, capacity=50)
    for i in range(120):
        assert ring.append(EPOCH + i * S // 100, np.array([i, -i], dtype=np.float32))
    assert len(ring) == 50
    assert ring.newest_ns == EPOCH + 119 * S // 100
    grid = window_grid_ns(EPOCH + 110 * S // 100, 11, 100.0)
    np.testing.assert_allclose(ring.window(grid)[:, 0], np.arange(100, 111))
    # Before the oldest kept row (70) the oldest is held.
    grid = window_grid_ns(EPOCH + 75 * S // 100, 10, 100.0)
    np.testing.assert_allclose(ring.window(grid)[:, 0], [70] * 5 + list(range(71, 76)))


def test_row_ring_window_is_the_rows_themselves_when_the_rates_agree():
    # Noise at 200 Hz, a window at 200 Hz ending between two rows: the window is the last
    # rows unchanged, not values interpolated between them (which smooths the noise the
    # model reads), just as the simulator's training windows are.
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(300, 3)).astype(np.float32)
    ring = RowRing(features=3, capacity=400)
    for i, row in enumerate(rows):
        ring.append(EPOCH + i * S // 200, row)
    for offset in (0, S // 600, 2 * S // 600, S // 200 - S // 10_000):
        stamp = EPOCH + 250 * S // 200 + offset
        np.testing.assert_array_equal(ring.window_ending_at(stamp, 100, 200.0), rows[151:251])
    # A row a nanosecond after the stamp (rounded stamps) counts as at it.
    np.testing.assert_array_equal(ring.window_ending_at(EPOCH + 250 * S // 200 - 1, 100, 200.0),
                                  rows[151:251])
    with pytest.raises(ValueError):
        ring.window_ending_at(EPOCH - S, 100, 200.0)


def test_row_ring_covers_a_stamp_once_a_row_at_or_after_it_came():
    ring = RowRing(features=1, capacity=8)
    assert not ring.covers(EPOCH, 100.0)
    ring.append(EPOCH - S // 100, np.zeros(1))
    assert not ring.covers(EPOCH, 100.0)
    ring.append(EPOCH - 1, np.zeros(1))  # the row at the stamp, rounded a nanosecond early
    assert ring.covers(EPOCH, 100.0)
    assert not ring.covers(EPOCH + S // 200, 100.0)


def test_row_ring_refuses_out_of_order_rows():
    ring = RowRing(features=1, capacity=4)
    assert ring.append(100, np.zeros(1))
    assert ring.append(100, np.ones(1))
    assert not ring.append(99, np.ones(1))
    assert len(ring) == 2


def test_row_ring_latest_at_or_before():
    ring = RowRing(features=1, capacity=8)
    assert ring.latest_at_or_before(5) is None
    for t in (10, 20, 30):
        ring.append(t, np.zeros(1))
    assert ring.latest_at_or_before(5) is None
    assert ring.latest_at_or_before(20) == 20
    assert ring.latest_at_or_before(29) == 20
    assert ring.latest_at_or_before(99) == 30
    ring.clear()
    assert len(ring) == 0 and ring.newest_ns is None
    with pytest.raises(ValueError):
        ring.window(np.array([1], dtype=np.int64))


# -- AudioRing --------------------------------------------------------------------------------


RATE = 16000
CHUNK = 1600  # 100 ms


def chunk_stamp(k, offset_ns=0):
    return EPOCH + k * CHUNK * S // RATE + offset_ns


def ramp(start, n):
    return (np.arange(start, start + n) / 1e5).astype(np.float32)


def last_of(k):
    """Stamp of the last sample of chunk ``k - 1``: a window ending there is all chunks < k."""
    return chunk_stamp(k) - S // RATE


def test_contiguous_chunks_give_the_exact_window():
    ring = AudioRing(RATE, capacity=3 * RATE)
    for k in range(20):
        ring.append(chunk_stamp(k), ramp(k * CHUNK, CHUNK))
    # The 1 s window ending with the sample taken 1.55 s after the first one: samples
    # 8801..24800, the newest at the stamp itself (as the simulator's training windows).
    out = ring.window(EPOCH + 1_550_000_000, RATE)
    np.testing.assert_array_equal(out, ramp(24801 - RATE, RATE))
    # A sample a nanosecond after the stamp (rounded stamps) still counts as at it.
    np.testing.assert_array_equal(ring.window(EPOCH + 1_550_000_000 - 1, RATE), out)
    # Between samples, the one before the stamp ends the window.
    np.testing.assert_array_equal(ring.window(EPOCH + 1_550_000_000 + S // RATE // 2, RATE),
                                  out)
    assert ring.end_ns == chunk_stamp(20)


def test_covers_tells_whether_the_sample_at_the_stamp_has_come():
    ring = AudioRing(RATE, capacity=2 * RATE)
    assert not ring.covers(EPOCH)
    ring.append(chunk_stamp(0), ramp(0, CHUNK))
    assert ring.covers(EPOCH) and ring.covers(last_of(1))
    # The first sample of the next chunk is not held yet.
    assert not ring.covers(chunk_stamp(1))
    assert not ring.covers(chunk_stamp(1) - 1)
    ring.append(chunk_stamp(1), ramp(CHUNK, CHUNK))
    assert ring.covers(chunk_stamp(1))


def test_sine_survives_chunking_exactly():
    ring = AudioRing(RATE, capacity=2 * RATE)
    signal = np.sin(2 * np.pi * 440.0 * np.arange(RATE) / RATE).astype(np.float32)
    for k in range(10):
        ring.append(chunk_stamp(k), signal[k * CHUNK:(k + 1) * CHUNK])
    np.testing.assert_array_equal(ring.window(last_of(10), RATE), signal)


def test_jitter_within_tolerance_is_ignored():
    ring = AudioRing(RATE, capacity=2 * RATE, jitter_samples=32)
    for k in range(10):
        jitter = (1 if k % 2 else -1) * 1_000_000  # +-1 ms = 16 samples
        ring.append(chunk_stamp(k, jitter if k else 0), ramp(k * CHUNK, CHUNK))
    np.testing.assert_array_equal(ring.window(last_of(10), 10 * CHUNK), ramp(0, 10 * CHUNK))


def test_gap_is_filled_with_zeros():
    ring = AudioRing(RATE, capacity=2 * RATE)
    ring.append(chunk_stamp(0), np.ones(CHUNK, dtype=np.float32))
    ring.append(chunk_stamp(2), np.full(CHUNK, 2.0, dtype=np.float32))  # chunk 1 lost
    out = ring.window(last_of(3), 3 * CHUNK)
    np.testing.assert_array_equal(out[:CHUNK], 1.0)
    np.testing.assert_array_equal(out[CHUNK:2 * CHUNK], 0.0)
    np.testing.assert_array_equal(out[2 * CHUNK:], 2.0)


def test_overlap_is_overwritten_by_the_newer_chunk():
    ring = AudioRing(RATE, capacity=2 * RATE)
    ring.append(chunk_stamp(0), np.ones(CHUNK, dtype=np.float32))
    ring.append(chunk_stamp(1), np.ones(CHUNK, dtype=np.float32))
    # Starts half a chunk before the end of what is held.
    ring.append(chunk_stamp(1) + 50_000_000, np.full(CHUNK, 5.0, dtype=np.float32))
    out = ring.window(last_of(2) + 50_000_000, 2 * CHUNK + CHUNK // 2)
    np.testing.assert_array_equal(out[:CHUNK + CHUNK // 2], 1.0)
    np.testing.assert_array_equal(out[CHUNK + CHUNK // 2:], 5.0)


def test_gap_longer_than_the_ring_forgets_the_old_audio():
    ring = AudioRing(RATE, capacity=RATE)
    ring.append(chunk_stamp(0), np.ones(CHUNK, dtype=np.float32))
    ring.append(chunk_stamp(30), np.full(CHUNK, 3.0, dtype=np.float32))
    assert ring.start_ns == chunk_stamp(30)
    out = ring.window(last_of(31), RATE)
    np.testing.assert_array_equal(out[-CHUNK:], 3.0)
    np.testing.assert_array_equal(out[:-CHUNK], 0.0)


def test_ring_wraps_and_reads_zeros_outside_what_it_holds():
    ring = AudioRing(RATE, capacity=RATE // 2)
    for k in range(20):
        ring.append(chunk_stamp(k), ramp(k * CHUNK, CHUNK))
    assert len(ring) == RATE // 2
    out = ring.window(last_of(20), RATE)
    np.testing.assert_array_equal(out[:RATE // 2], 0.0)
    np.testing.assert_array_equal(out[RATE // 2:], ramp(20 * CHUNK - RATE // 2, RATE // 2))
    # A window ending in the future has zeros where nothing was received yet.
    ahead = ring.window(last_of(21), CHUNK)
    np.testing.assert_array_equal(ahead, 0.0)


def test_stamp_marking_the_end_of_the_chunk():
    ring = AudioRing(RATE, capacity=2 * RATE, stamp_marks_end=True)
    for k in range(5):
        ring.append(chunk_stamp(k + 1), ramp(k * CHUNK, CHUNK))
    assert ring.start_ns == EPOCH and ring.end_ns == chunk_stamp(5)
    np.testing.assert_array_equal(ring.window(last_of(5), 5 * CHUNK), ramp(0, 5 * CHUNK))


def test_chunks_at_another_rate_are_resampled():
    ring = AudioRing(RATE, capacity=2 * RATE)
    rate_in = 8000
    for k in range(5):
        stamp = EPOCH + k * 800 * S // rate_in
        ring.append(stamp, (np.arange(k * 800, (k + 1) * 800) / 8000).astype(np.float32),
                    sample_rate=rate_in)
    out = ring.window(EPOCH + S // 2 - S // RATE, RATE // 2)
    # A ramp is linear, so linear upsampling is exact except past each chunk's last input
    # sample (the last output sample of every chunk holds the chunk's last value).
    expected = np.arange(RATE // 2) / 16000
    inner = np.ones(RATE // 2, dtype=bool)
    inner[1599::1600] = False
    np.testing.assert_allclose(out[inner], expected[inner], atol=1e-6)


def test_downsampling_keeps_the_length_and_low_frequencies():
    t = np.arange(4800) / 48000
    low = np.sin(2 * np.pi * 100 * t).astype(np.float32)
    out = resample_audio(low, 48000, 16000)
    assert out.shape == (1600,) and out.dtype == np.float32
    expected = np.sin(2 * np.pi * 100 * np.arange(1600) / 16000)
    np.testing.assert_allclose(out[2:-2], expected[2:-2], atol=2e-3)


def test_audio_ring_clear():
    ring = AudioRing(RATE, capacity=RATE)
    ring.append(EPOCH, np.ones(CHUNK, dtype=np.float32))
    ring.clear()
    assert len(ring) == 0 and ring.start_ns is None and ring.end_ns is None
    np.testing.assert_array_equal(ring.window(EPOCH + S, 10), 0.0)
    # A new timeline may start anywhere, earlier included.
    ring.append(EPOCH - 10 * S, np.ones(CHUNK, dtype=np.float32))
    assert ring.start_ns == EPOCH - 10 * S


# -- TextHistory ------------------------------------------------------------------------------


def test_text_history_current_command():
    history = TextHistory(capacity=2)
    assert history.latest_at_or_before(10) is None
    assert history.append(10, 'wave')
    assert history.append(20, 'stop')
    assert not history.append(15, 'late')
    assert history.latest_at_or_before(19) == (10, 'wave')
    assert history.latest_at_or_before(20) == (20, 'stop')
    assert history.append(30, 'sit')
    assert history.latest_at_or_before(19) is None  # 'wave' fell out of the history
    assert len(history) == 2
