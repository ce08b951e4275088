# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""DropCounters: counts by reason and source, thread-safe."""

import threading

import pytest

from multimodal_fusion.sync.counters import DropCounters
from multimodal_fusion.sync.counters import DropReason
from multimodal_fusion.sync.counters import SetDropReason


def test_counts_by_reason_and_source():
    counters = DropCounters()
    counters.count(DropReason.STALE, 'touch')
    counters.count(DropReason.STALE, 'audio', 2)
    counters.count(DropReason.MALFORMED, 'camera')
    counters.count(SetDropReason.SUPERSEDED, 'slot')
    assert counters.get(DropReason.STALE, 'audio') == 2
    assert counters.get(DropReason.STALE) == 3
    assert counters.get(DropReason.TIME_JUMP) == 0
    assert counters.total() == 5
    assert counters.snapshot() == {
        'malformed': {'camera': 1},
        'stale': {'audio': 2, 'touch': 1},
        'superseded': {'slot': 1},
    }
    counters.reset()
    assert counters.total() == 0 and counters.snapshot() == {}


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        DropCounters().count(DropReason.STALE, 'audio', -1)


def test_concurrent_counting_loses_nothing():
    counters = DropCounters()

    def work():
        for _ in range(2000):
            counters.count(DropReason.QUEUE_OVERFLOW, 'camera')

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counters.get(DropReason.QUEUE_OVERFLOW, 'camera') == 8000


def test_reason_values_are_unique_names():
    values = [r.value for r in DropReason] + [r.value for r in SetDropReason]
    assert len(values) == len(set(values))
