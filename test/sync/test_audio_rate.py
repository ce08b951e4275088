# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""AudioRateCheck: a stream's bytes per second from its stamps, against its AudioInfo."""

import numpy as np
import pytest

from multimodal_fusion.sync.audio_rate import AudioRateCheck

MS = 1_000_000
S16_MONO_16K = 16000 * 2  # bytes per second


def feed(check, chunks, start_ns=0, step_ns=20 * MS, nbytes=640, jitter_ns=0, seed=0):
    rng = np.random.default_rng(seed)
    for k in range(chunks):
        check.add(start_ns + k * step_ns + int(rng.integers(-jitter_ns, jitter_ns + 1)), nbytes)


def test_matching_stream_passes_even_with_jitter():
    check = AudioRateCheck()
    feed(check, 120, jitter_ns=3 * MS)
    assert check.bytes_per_second() == pytest.approx(S16_MONO_16K, rel=0.05)
    assert check.mismatch(S16_MONO_16K) is None


def test_nothing_is_judged_before_enough_chunks():
    check = AudioRateCheck(min_chunks=10)
    feed(check, 9)
    assert check.bytes_per_second() is None and check.mismatch(1.0) is None


@pytest.mark.parametrize('described', [48000 * 2, 16000 * 2 * 2, 8000 * 2])
def test_a_description_that_does_not_fit_the_data_is_caught(described):
    # The audit's case: AudioInfo changes rate or channels mid-stream, the data does not.
    check = AudioRateCheck(persist=5)
    feed(check, 30)
    # Reported once it has held for `persist` checks (one per chunk), not before.
    assert [check.mismatch(described) for _ in range(4)] == [None] * 4
    assert check.mismatch(described) == pytest.approx(S16_MONO_16K, rel=0.01)


def test_a_pause_or_restart_starts_afresh():
    check = AudioRateCheck(min_chunks=10)
    feed(check, 30)
    check.add(30 * 20 * MS + 2_000_000_000, 640)  # two seconds of silence from the driver
    assert check.bytes_per_second() is None
    check.add(0, 640)  # and a restart at an earlier stamp
    assert check.bytes_per_second() is None


def test_validation():
    with pytest.raises(ValueError):
        AudioRateCheck(window=5, min_chunks=10)


def test_a_driver_that_lags_and_catches_up_is_not_a_mismatch():
    # Chunks stamped on publication: every second the driver stalls 100 ms, then sends the
    # five chunks it owes at once, with equal stamps.
    check = AudioRateCheck()
    for k in range(300):
        due = (k + 1) * 20 * MS
        stalled = k % 50 in range(10, 15)
        check.add(15 * 20 * MS + (k // 50) * 50 * 20 * MS if stalled else due, 640)
        assert check.mismatch(S16_MONO_16K) is None, k
