# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Per-stream stamp order and backwards time jumps (a looping bag, a restarted simulator).

Jumps are detected per stream, not against the newest stamp of all streams: streams have
different latencies (a speech command is stamped seconds after the camera frame it follows
is), so only a stream compared with itself tells a jump from a late arrival.

Only the anchor stream (the camera) can move the whole timeline back. A backwards stamp on
any other stream is that stream's own clock fault (a wrist driver restarted on its boot
clock, a bag of one sensor looping): it restarts that stream alone and never holds the
others back, so one faulty driver cannot stop the outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
import enum
from typing import Optional


class Verdict(enum.Enum):
    """What to do with one message.

    Attributes:
        ACCEPT: use it.
        OUT_OF_ORDER: older than the newest on its stream, by less than the jump threshold:
            drop it.
        JUMP: the anchor's time jumped backwards: clear every buffer, then use it (it starts
            the new timeline).
        STREAM_JUMP: a non-anchor stream's time jumped backwards: clear that stream's buffer
            only, then use it (the stream restarts on its new clock).
        BEFORE_JUMP: a late message from the timeline before the last jump: drop it.
    """

    ACCEPT = 'accept'
    OUT_OF_ORDER = 'out_of_order'
    JUMP = 'jump'
    STREAM_JUMP = 'stream_jump'
    BEFORE_JUMP = 'before_jump'


@dataclass(frozen=True)
class TimeJump:
    """A backwards time jump, as reported to the node (which logs a warning).

    Attributes:
        stream: the stream whose stamp revealed it.
        previous_ns: the newest stamp seen on that stream before.
        stamp_ns: the stamp that revealed it.
        whole_timeline: True when the anchor jumped (every buffer was cleared); False when
            only ``stream`` restarted.
    """

    stream: str
    previous_ns: int
    stamp_ns: int
    whole_timeline: bool = True

    @property
    def jump_s(self) -> float:
        """How far back time went, in seconds (positive)."""
        return (self.previous_ns - self.stamp_ns) / 1e9


class StampGate:
    """Decides, per message, between accept, out-of-order drop and backwards time jump.

    * A stamp older than the newest on its own stream by more than ``threshold_ns`` is a
      jump: of the whole timeline when the stream is the anchor, of that stream alone
      otherwise. Equal stamps are accepted.
    * After an anchor jump, every other stream that had messages may still deliver a few from the
      old timeline (already in flight). Until a stream delivers a stamp no later than
      ``threshold_ns`` past the newest stamp accepted since the jump, its messages are
      dropped as ``BEFORE_JUMP``, so one loop of a bag clears the buffers once, not once per
      stream. A stream that already restarted on the new timeline before the anchor did is
      accepted at once.

    Args:
        threshold_ns: how far back a stamp must go to count as a jump (e.g. 1 s).
        anchor: the stream that defines the timeline (the camera).
    """

    def __init__(self, threshold_ns: int, anchor: str = 'camera') -> None:
        if threshold_ns <= 0:
            raise ValueError(f'time jump threshold must be positive, got {threshold_ns} ns')
        self.threshold_ns = int(threshold_ns)
        self.anchor = anchor
        self.reset()

    def reset(self) -> None:
        """Forget every stream."""
        self._newest: dict[str, int] = {}
        self._pending: dict[str, int] = {}  # stream -> its newest stamp before the jump
        # Newest accepted anchor stamp (any stream's until the anchor is seen): a faulty
        # clock on another stream must not move it.
        self._timeline: Optional[int] = None
        self.last_jump: Optional[TimeJump] = None

    def newest_ns(self, stream: str) -> Optional[int]:
        """Newest accepted stamp of ``stream`` (on the current timeline), None if none."""
        return self._newest.get(stream)

    @property
    def streams(self) -> tuple[str, ...]:
        """Streams with an accepted stamp on the current timeline."""
        return tuple(self._newest)

    @property
    def pending(self) -> frozenset:
        """Streams not yet seen on the timeline started by the last jump."""
        return frozenset(self._pending)

    def check(self, stream: str, stamp_ns: int) -> Verdict:
        """Judge one message and update the stream's state accordingly."""
        stamp = int(stamp_ns)
        if stream in self._pending:
            # A straggler is ahead of the new timeline but not of what this stream had sent
            # before the jump; a stream whose clock simply runs ahead of the anchor's moves
            # past that and is accepted.
            if (self._timeline + self.threshold_ns < stamp
                    <= self._pending[stream] + self.threshold_ns):
                return Verdict.BEFORE_JUMP
            del self._pending[stream]
            self._accept(stream, stamp)
            return Verdict.ACCEPT
        newest = self._newest.get(stream)
        if newest is not None and stamp < newest:
            if newest - stamp <= self.threshold_ns:
                return Verdict.OUT_OF_ORDER
            if stream != self.anchor:
                self.last_jump = TimeJump(stream, newest, stamp, whole_timeline=False)
                self._newest[stream] = stamp
                return Verdict.STREAM_JUMP
            self.last_jump = TimeJump(stream, newest, stamp)
            self._pending = {s: n for s, n in self._newest.items() if s != stream}
            self._newest = {stream: stamp}
            self._timeline = stamp
            return Verdict.JUMP
        self._accept(stream, stamp)
        return Verdict.ACCEPT

    def _accept(self, stream: str, stamp: int) -> None:
        self._newest[stream] = stamp
        if stream == self.anchor:
            self._timeline = stamp if self._timeline is None else max(self._timeline, stamp)
        elif self.anchor not in self._newest and (self._timeline is None
                                                  or stamp > self._timeline):
            self._timeline = stamp
