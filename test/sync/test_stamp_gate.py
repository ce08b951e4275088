# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""StampGate: per-stream order, backwards jumps, and the old timeline's stragglers."""

import pytest

from multimodal_fusion.sync.stamp_gate import StampGate
from multimodal_fusion.sync.stamp_gate import TimeJump
from multimodal_fusion.sync.stamp_gate import Verdict

S = 1_000_000_000


def test_in_order_and_equal_stamps_are_accepted():
    gate = StampGate(S)
    assert gate.check('camera', 10 * S) is Verdict.ACCEPT
    assert gate.check('camera', 10 * S) is Verdict.ACCEPT
    assert gate.check('camera', 11 * S) is Verdict.ACCEPT
    assert gate.newest_ns('camera') == 11 * S


def test_slightly_older_stamp_is_out_of_order():
    gate = StampGate(S)
    gate.check('camera', 10 * S)
    assert gate.check('camera', 10 * S - S // 2) is Verdict.OUT_OF_ORDER
    assert gate.newest_ns('camera') == 10 * S


def test_streams_are_judged_against_themselves():
    # A command stamped 3 s before the newest frame is late, not a jump.
    gate = StampGate(S)
    gate.check('camera', 10 * S)
    assert gate.check('text', 7 * S) is Verdict.ACCEPT


def test_jump_is_reported_once_for_a_looping_bag():
    gate = StampGate(S)
    for t in range(10, 20):
        gate.check('camera', t * S)
        gate.check('audio', t * S)
    assert gate.check('camera', 2 * S) is Verdict.JUMP
    assert gate.last_jump == TimeJump('camera', 19 * S, 2 * S)
    assert gate.last_jump.jump_s == pytest.approx(17.0)
    assert gate.pending == frozenset({'audio'})
    # Audio still delivers one message from before the loop: dropped, not a second jump.
    assert gate.check('audio', 20 * S) is Verdict.BEFORE_JUMP
    assert gate.check('audio', 2 * S) is Verdict.ACCEPT
    assert gate.pending == frozenset()
    assert gate.check('audio', 3 * S) is Verdict.ACCEPT
    assert gate.check('camera', 3 * S) is Verdict.ACCEPT


def test_stream_first_seen_after_a_jump_is_not_pending():
    gate = StampGate(S)
    gate.check('camera', 10 * S)
    gate.check('camera', 5 * S)
    assert gate.check('text', 100 * S) is Verdict.ACCEPT


def test_reset_and_validation():
    gate = StampGate(S)
    gate.check('camera', 10 * S)
    gate.reset()
    assert gate.check('camera', 0) is Verdict.ACCEPT
    with pytest.raises(ValueError):
        StampGate(0)


def test_a_backwards_stamp_on_another_stream_restarts_that_stream_only():
    # The audit's blackout: one wrist stamp from a boot clock used to put every other stream
    # behind a "jump" until the wrist sent a current stamp again.
    gate = StampGate(S)
    for t in range(10, 20):
        gate.check('camera', t * S)
        gate.check('touch/left', t * S)
    assert gate.check('touch/left', 3 * S) is Verdict.STREAM_JUMP
    assert gate.last_jump == TimeJump('touch/left', 19 * S, 3 * S, whole_timeline=False)
    assert gate.pending == frozenset()
    assert gate.check('camera', 20 * S) is Verdict.ACCEPT
    assert gate.check('touch/left', 4 * S) is Verdict.ACCEPT
    assert gate.check('touch/left', 20 * S) is Verdict.ACCEPT  # back on the right clock


def test_the_anchor_is_configurable():
    gate = StampGate(S, anchor='image')
    gate.check('image', 10 * S)
    assert gate.check('image', 2 * S) is Verdict.JUMP
    gate.check('other', 10 * S)
    assert gate.check('other', 2 * S) is Verdict.STREAM_JUMP
