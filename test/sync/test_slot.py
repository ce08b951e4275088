# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""LatestSlot: latest wins, drops counted, blocking get; no assertion on wall-clock time."""

import threading

import pytest

from multimodal_fusion.sync.slot import LatestSlot

JOIN_S = 30.0  # generous: only guards against a hung test, never measures anything


def test_latest_wins_and_replaced_items_are_counted():
    dropped = []
    slot = LatestSlot(on_drop=dropped.append)
    assert slot.put(1) is False
    assert slot.put(2) is True
    assert slot.put(3) is True
    assert slot.has_item
    assert slot.get(timeout=0) == 3
    assert not slot.has_item
    assert slot.get(timeout=0) is None
    assert dropped == [1, 2]
    assert (slot.puts, slot.taken, slot.dropped) == (3, 1, 2)


def test_none_is_refused():
    with pytest.raises(ValueError):
        LatestSlot().put(None)


def test_get_blocks_until_an_item_arrives():
    slot = LatestSlot()
    received = []
    waiting = threading.Event()

    def consumer():
        waiting.set()
        received.append(slot.get())

    thread = threading.Thread(target=consumer)
    thread.start()
    waiting.wait(JOIN_S)
    slot.put('set')
    thread.join(JOIN_S)
    assert not thread.is_alive()
    assert received == ['set']


def test_close_wakes_waiters_and_refuses_items():
    slot = LatestSlot()
    received = []
    thread = threading.Thread(target=lambda: received.append(slot.get()))
    thread.start()
    slot.close()
    thread.join(JOIN_S)
    assert not thread.is_alive()
    assert received == [None]
    assert slot.closed
    assert slot.put('late') is True
    assert slot.dropped == 1
    assert slot.get(timeout=0) is None


def test_producer_and_consumer_threads_see_newest_first_and_lose_nothing_uncounted():
    slot = LatestSlot()
    n = 5000
    received = []
    done = threading.Event()

    def consumer():
        while True:
            item = slot.get(timeout=0.05)
            if item is not None:
                received.append(item)
                if item == n:
                    return
            elif done.is_set() and not slot.has_item:
                return

    thread = threading.Thread(target=consumer)
    thread.start()
    for i in range(1, n + 1):
        slot.put(i)
    done.set()
    thread.join(JOIN_S)
    assert not thread.is_alive()
    # Items come out in increasing order (latest wins, nothing older resurfaces), the last
    # one is always delivered, and every other item was either taken or counted as dropped.
    assert received == sorted(set(received))
    assert received[-1] == n
    assert slot.taken + slot.dropped == slot.puts == n
