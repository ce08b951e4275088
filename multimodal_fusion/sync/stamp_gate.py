# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Per-stream stamp order and backwards time jumps (a looping bag, a restarted simulator).

Jumps are detected per stream, not against the newest stamp of all streams: streams have
different latencies (a speech command is stamped seconds after the camera frame it follows
is), so only a stream compared with itself tells a jump from a late arrival.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Optional


class Verdict(enum.Enum):
    """What to do with one message.

    Attributes:
        ACCEPT: use it.
        OUT_OF_ORDER: older than the newest on its stream, by less than the jump threshold:
            drop it.
        JUMP: time jumped backwards: clear every buffer, then use it (it starts the new
            timeline).
        BEFORE_JUMP: a late message from the timeline before the last jump: drop it.
    """

    ACCEPT = 'accept'
    OUT_OF_ORDER = 'out_of_order'
    JUMP = 'jump'
    BEFORE_JUMP = 'before_jump'


@dataclass(frozen=True)
class TimeJump:
    """A backwards time jump, as reported to the node (which logs a warning).

    Attributes:
        stream: the stream whose stamp revealed it.
        previous_ns: the newest stamp seen on that stream before.
        stamp_ns: the stamp that revealed it.
    """

    stream: str
    previous_ns: int
    stamp_ns: int

    @property
    def jump_s(self) -> float:
        """How far back time went, in seconds (positive)."""
        return (self.previous_ns - self.stamp_ns) / 1e9


class StampGate:
    """Decides, per message, between accept, out-of-order drop and backwards time jump.

    * A stamp older than the newest on its own stream by more than ``threshold_ns`` is a
      jump. Equal stamps are accepted.
    * After a jump, every other stream that had messages may still deliver a few from the
      old timeline (already in flight). Until a stream delivers a stamp no later than
      ``threshold_ns`` past the newest stamp accepted since the jump, its messages are
      dropped as ``BEFORE_JUMP``, so one loop of a bag clears the buffers once, not once per
      stream. (If only one sensor's clock went back, the others stay in this state and every
      drop is counted: the diagnostics then show the clock mismatch.)

    Args:
        threshold_ns: how far back a stamp must go to count as a jump (e.g. 1 s).
    """

    def __init__(self, threshold_ns: int) -> None:
        if threshold_ns <= 0:
            raise ValueError(f'time jump threshold must be positive, got {threshold_ns} ns')
        self.threshold_ns = int(threshold_ns)
        self.reset()

    def reset(self) -> None:
        """Forget every stream."""
        self._newest: dict[str, int] = {}
        self._pending: set[str] = set()
        self._timeline: Optional[int] = None  # newest stamp accepted on any stream
        self.last_jump: Optional[TimeJump] = None

    def newest_ns(self, stream: str) -> Optional[int]:
        """Newest accepted stamp of ``stream`` (on the current timeline), None if none."""
        return self._newest.get(stream)

    @property
    def pending(self) -> frozenset:
        """Streams not yet seen on the timeline started by the last jump."""
        return frozenset(self._pending)

    def check(self, stream: str, stamp_ns: int) -> Verdict:
        """Judge one message and update the stream's state accordingly."""
        stamp = int(stamp_ns)
        if stream in self._pending:
            if stamp > self._timeline + self.threshold_ns:
                return Verdict.BEFORE_JUMP
            self._pending.discard(stream)
            self._accept(stream, stamp)
            return Verdict.ACCEPT
        newest = self._newest.get(stream)
        if newest is not None and stamp < newest:
            if newest - stamp <= self.threshold_ns:
                return Verdict.OUT_OF_ORDER
            self.last_jump = TimeJump(stream, newest, stamp)
            self._pending = set(self._newest) - {stream}
            self._newest = {stream: stamp}
            self._timeline = stamp
            return Verdict.JUMP
        self._accept(stream, stamp)
        return Verdict.ACCEPT

    def _accept(self, stream: str, stamp: int) -> None:
        self._newest[stream] = stamp
        if self._timeline is None or stamp > self._timeline:
            self._timeline = stamp
