# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The ApproximateTime synchronisation policy, without ROS.

Stamps are integer nanoseconds; items are whatever the caller attaches (a converted
message, or nothing). See :class:`ApproximateTimePolicy` for the algorithm and for where it
differs from the two message_filters implementations.
"""

from __future__ import annotations

import bisect
from collections import deque
from typing import Any, Callable, Optional, Sequence, Union

from multimodal_fusion.sync.counters import DropReason

# One queued message: (stamp_ns, item).
Message = tuple[int, Any]
# One emitted set: a message per input, in input order.
MatchedSet = tuple[Message, ...]
DropCallback = Callable[[int, int, DropReason], None]


class ApproximateTimePolicy:
    """Match one message per input so that each set's stamps are as close as possible.

    This is the adaptive algorithm of the C++ ``message_filters::sync_policies::
    ApproximateTime`` policy, re-implemented for ``N >= 1`` inputs:

    * Each input has a queue of messages not yet considered (``deque``) and a list of
      messages already stepped over for the current candidate (``past``).
    * While every queue is non-empty, the *start* is the earliest and the *end* the latest
      head of queue (ties: lowest input index for the start, highest for the end). Without a
      candidate the heads become the candidate and the input holding the end becomes the
      *pivot*; the pivot's message will belong to the set emitted next. With a candidate,
      the heads replace it when they are better: ``(end - cand_end) * (1 + age_penalty) <
      start - cand_start`` (a tighter span, with a penalty for waiting for newer data).
      Either way the start head is moved to ``past`` and the search goes on.
    * The candidate is emitted when it is provably optimal: the start reached the pivot (no
      set that still contains the pivot message remains), or any later set must span
      ``[pivot_time, end]``, which is already worse. When a queue ran dry, its next message
      is bounded below by its last one plus ``inter_message_lower_bounds_ns`` (and by the
      pivot time), which can prove optimality before that message arrives ("virtual" moves,
      undone when they prove nothing).
    * Emitting a set deletes its messages and every older message of each input (counted
      ``UNMATCHED``); so sets never share or cross messages and come out in time order.
    * A queue holding more than ``queue_size`` messages drops its oldest (``QUEUE_OVERFLOW``);
      the search restarts, and that input cannot become the pivot until the dropped message
      could no longer have mattered (as in C++).

    With queues large enough, the sets emitted once all messages have arrived depend only on
    the stamps, not on how arrivals on different inputs interleave.

    Where this differs from C++ (``ApproximateTime``):

    * ``slop_ns`` is the maximum span ``end - start`` of an emitted set, inclusive; it plays
      the role of C++ ``setMaxIntervalDuration``: when the heads span more than the slop and
      there is no candidate, the earliest head is dropped (``BEYOND_SLOP``), as C++ does.
    * A message older than the newest message still queued on its input is inserted in stamp
      order and the search restarts (C++ appends it and only warns, which breaks its
      per-input ordering assumption). A message older than one already emitted or dropped on
      its input can no longer be matched and is dropped (``OUT_OF_ORDER``). Equal stamps on
      one input are allowed, as in C++.
    * One input is allowed (every message is emitted at once); queue sizes may differ per
      input.

    Where it differs from the Python ``ApproximateTimeSynchronizer`` (rclpy message_filters):
    that one is greedy. On each arrival it looks, in every other input's queue (a dict keyed
    by stamp, so equal stamps overwrite), for the messages within ``slop`` of the new one,
    tries their combinations nearest first, emits the first whose span is strictly below
    ``slop`` at once and deletes only the messages used. Its output depends on the arrival
    order, a later set may use an older message than an earlier one, unmatched messages stay
    until the queue overflows, and ``slop == 0`` never matches. Here sets are optimal, wait
    until that is provable (latency up to the next message on each input unless lower
    bounds are given), are arrival-order independent, and ``span <= slop`` is allowed.

    Args:
        num_inputs: number of inputs ``N``.
        queue_size: per-input queue limit (one for all, or one per input), counting the
            messages queued and those stepped over for the current candidate.
        slop_ns: maximum span of a set in nanoseconds; None for no limit (the C++ default).
        age_penalty: how much a set's lateness costs against its tightness (C++: 0.1).
        inter_message_lower_bounds_ns: per input, a lower bound on the stamp difference of
            consecutive messages (e.g. a little under the sensor period); zeros by default.
        on_drop: called as ``on_drop(input_index, stamp_ns, reason)`` for every message
            dropped; it must not call back into the policy.

    Raises:
        ValueError: a non-positive input count or queue size, a negative slop, penalty or
            bound, or a per-input sequence of the wrong length.
    """

    def __init__(
        self,
        num_inputs: int,
        *,
        queue_size: Union[int, Sequence[int]] = 10,
        slop_ns: Optional[int] = None,
        age_penalty: float = 0.1,
        inter_message_lower_bounds_ns: Optional[Sequence[int]] = None,
        on_drop: Optional[DropCallback] = None,
    ) -> None:
        if num_inputs < 1:
            raise ValueError(f'num_inputs must be at least 1, got {num_inputs}')
        sizes = [queue_size] * num_inputs if isinstance(queue_size, int) else list(queue_size)
        if len(sizes) != num_inputs or any(int(s) < 1 for s in sizes):
            raise ValueError(
                f'queue_size must be a positive int or {num_inputs} positive ints, '
                f'got {queue_size!r}')
        if slop_ns is not None and slop_ns < 0:
            raise ValueError(f'slop_ns must be non-negative or None, got {slop_ns}')
        if age_penalty < 0:
            raise ValueError(f'age_penalty must be non-negative, got {age_penalty}')
        bounds = ([0] * num_inputs if inter_message_lower_bounds_ns is None
                  else [int(b) for b in inter_message_lower_bounds_ns])
        if len(bounds) != num_inputs or any(b < 0 for b in bounds):
            raise ValueError(
                f'inter_message_lower_bounds_ns must be {num_inputs} non-negative ints, '
                f'got {inter_message_lower_bounds_ns!r}')
        self._n = num_inputs
        self._queue_size = [int(s) for s in sizes]
        self._slop_ns = None if slop_ns is None else int(slop_ns)
        self._penalty = 1.0 + float(age_penalty)
        self._bounds = bounds
        self._on_drop = on_drop
        self._deques: list[deque] = [deque() for _ in range(num_inputs)]
        self._past: list[list[Message]] = [[] for _ in range(num_inputs)]
        self._drop_counts = {reason: [0] * num_inputs for reason in DropReason}
        self._emitted: list[MatchedSet] = []
        self._reset_state()

    def _reset_state(self) -> None:
        self._num_non_empty = 0
        self._candidate: Optional[MatchedSet] = None
        self._cand_start = 0
        self._cand_end = 0
        self._pivot: Optional[int] = None
        self._pivot_time = 0
        self._has_dropped = [False] * self._n
        # Newest stamp that left each input for good: anything older can never be matched.
        self._consumed: list[Optional[int]] = [None] * self._n

    @property
    def num_inputs(self) -> int:
        return self._n

    @property
    def drop_counts(self) -> dict[DropReason, tuple[int, ...]]:
        """Messages dropped so far, per reason, one count per input."""
        return {reason: tuple(counts) for reason, counts in self._drop_counts.items()}

    def queued(self, index: int) -> int:
        """Messages of input ``index`` held (queued or stepped over), not yet emitted."""
        return len(self._deques[index]) + len(self._past[index])

    def add(self, index: int, stamp_ns: int, item: Any = None) -> list[MatchedSet]:
        """Offer one message; return the sets this completes (oldest first, often none).

        Args:
            index: the input, ``0 <= index < num_inputs``.
            stamp_ns: the message stamp in nanoseconds.
            item: anything; handed back in the emitted set.

        Returns:
            The emitted sets; each is a tuple of ``(stamp_ns, item)``, one per input.

        Raises:
            IndexError: ``index`` out of range.
        """
        if not 0 <= index < self._n:
            raise IndexError(f'input index {index} out of range for {self._n} inputs')
        stamp = int(stamp_ns)
        consumed = self._consumed[index]
        if consumed is not None and stamp < consumed:
            self._drop(index, stamp, DropReason.OUT_OF_ORDER)
            return []
        queue = self._deques[index]
        past = self._past[index]
        newest = queue[-1][0] if queue else (past[-1][0] if past else None)
        if newest is not None and stamp < newest:
            self._insert_out_of_order(index, (stamp, item))
        else:
            queue.append((stamp, item))
            if len(queue) == 1:
                self._num_non_empty += 1
                if self._num_non_empty == self._n:
                    self._process()
        # The queue may exceed its limit by one during _process; trim it afterwards, as C++.
        if len(queue) + len(past) > self._queue_size[index]:
            self._overflow(index)
        emitted, self._emitted = self._emitted, []
        return emitted

    def retune(self, *, slop_ns: Optional[int], queue_size: int) -> None:
        """Change the slop and every input's queue limit for the messages to come.

        A live parameter change: held messages stay, over-full queues shrink on the next add.
        """
        if slop_ns is not None and slop_ns < 0:
            raise ValueError(f'slop_ns must be non-negative or None, got {slop_ns}')
        if queue_size < 1:
            raise ValueError(f'queue_size must be positive, got {queue_size}')
        self._slop_ns = None if slop_ns is None else int(slop_ns)
        self._queue_size = [int(queue_size)] * self._n

    def clear(self, reason: Optional[DropReason] = DropReason.TIME_JUMP) -> int:
        """Drop every held message and forget all history (stamp order included).

        Args:
            reason: what the dropped messages are counted as; None to not count them (a
                deliberate reset rather than a loss).

        Returns:
            How many messages were dropped.
        """
        dropped = 0
        for k in range(self._n):
            for stamp, _ in list(self._past[k]) + list(self._deques[k]):
                if reason is not None:
                    self._count_drop(k, stamp, reason)
                dropped += 1
            self._past[k].clear()
            self._deques[k].clear()
        self._reset_state()
        return dropped

    # -- bookkeeping ------------------------------------------------------------------------

    def _count_drop(self, index: int, stamp: int, reason: DropReason) -> None:
        self._drop_counts[reason][index] += 1
        if self._on_drop is not None:
            self._on_drop(index, stamp, reason)

    def _drop(self, index: int, stamp: int, reason: DropReason) -> None:
        self._count_drop(index, stamp, reason)
        self._mark_consumed(index, stamp)

    def _mark_consumed(self, index: int, stamp: int) -> None:
        consumed = self._consumed[index]
        if consumed is None or stamp > consumed:
            self._consumed[index] = stamp

    def _delete_front(self, index: int, reason: DropReason) -> None:
        stamp, _ = self._deques[index].popleft()
        self._drop(index, stamp, reason)
        if not self._deques[index]:
            self._num_non_empty -= 1

    def _move_front_to_past(self, index: int) -> None:
        self._past[index].append(self._deques[index].popleft())
        if not self._deques[index]:
            self._num_non_empty -= 1

    def _recover(self, index: int, count: Optional[int] = None) -> None:
        """Put the last ``count`` (default all) stepped-over messages back in the queue.

        The caller zeroes ``_num_non_empty`` first and recovers every input, as C++ does.
        """
        past = self._past[index]
        queue = self._deques[index]
        count = len(past) if count is None else count
        for _ in range(count):
            queue.appendleft(past.pop())
        if queue:
            self._num_non_empty += 1

    def _recover_all(self) -> None:
        self._num_non_empty = 0
        for k in range(self._n):
            self._recover(k)

    def _insert_out_of_order(self, index: int, message: Message) -> None:
        # The search so far assumed stamp order; undo it, insert in order and start again.
        self._recover_all()
        self._candidate = None
        self._pivot = None
        queue = self._deques[index]
        position = bisect.bisect_right([stamp for stamp, _ in queue], message[0])
        # Non-empty already: the message is older than something held for this input.
        queue.insert(position, message)
        if self._num_non_empty == self._n:
            self._process()

    def _overflow(self, index: int) -> None:
        had_candidate = self._pivot is not None
        self._recover_all()
        self._delete_front(index, DropReason.QUEUE_OVERFLOW)
        # The dropped message might have belonged to a better set with this input as pivot.
        self._has_dropped[index] = True
        if had_candidate:
            self._candidate = None
            self._pivot = None
            self._process()

    # -- the search -------------------------------------------------------------------------

    def _boundary(self, end: bool) -> tuple[int, int]:
        """(input, stamp) of the earliest (``end`` False) or latest queue head."""
        best_index = 0
        best_time = self._deques[0][0][0]
        for k in range(1, self._n):
            stamp = self._deques[k][0][0]
            # Strict for the start (ties keep the lowest input), non-strict for the end
            # (ties take the highest): the tie rules of C++, which fix the pivot choice.
            if (stamp < best_time) != end:
                best_index, best_time = k, stamp
        return best_index, best_time

    def _virtual_time(self, index: int) -> int:
        queue = self._deques[index]
        if queue:
            return queue[0][0]
        # An empty queue's next message is no earlier than its last plus the lower bound,
        # and cannot help a set unless it is at or after the pivot.
        return max(self._past[index][-1][0] + self._bounds[index], self._pivot_time)

    def _virtual_boundary(self, end: bool) -> tuple[int, int]:
        best_index = 0
        best_time = self._virtual_time(0)
        for k in range(1, self._n):
            stamp = self._virtual_time(k)
            if (stamp < best_time) != end:
                best_index, best_time = k, stamp
        return best_index, best_time

    def _not_better(self, end_time: int, start_time: int) -> bool:
        return (end_time - self._cand_end) * self._penalty >= start_time - self._cand_start

    def _make_candidate(self, start_time: int, end_time: int) -> None:
        self._candidate = tuple(queue[0] for queue in self._deques)
        self._cand_start = start_time
        self._cand_end = end_time
        # Messages stepped over before a better candidate can never be in a set again.
        for k in range(self._n):
            for stamp, _ in self._past[k]:
                self._drop(k, stamp, DropReason.UNMATCHED)
            self._past[k].clear()

    def _publish(self) -> None:
        self._emitted.append(self._candidate)
        self._candidate = None
        self._pivot = None
        self._num_non_empty = 0
        for k in range(self._n):
            past = self._past[k]
            queue = self._deques[k]
            while past:
                queue.appendleft(past.pop())
            # The head is now this input's message in the emitted set.
            stamp, _ = queue.popleft()
            self._mark_consumed(k, stamp)
            if queue:
                self._num_non_empty += 1

    def _process(self) -> None:
        n = self._n
        while self._num_non_empty == n:
            end_index, end_time = self._boundary(end=True)
            start_index, start_time = self._boundary(end=False)
            for k in range(n):
                if k != end_index:
                    # No dropped message of k could have been better than what is queued.
                    self._has_dropped[k] = False
            if self._pivot is None:
                if self._slop_ns is not None and end_time - start_time > self._slop_ns:
                    self._delete_front(start_index, DropReason.BEYOND_SLOP)
                    continue
                if self._has_dropped[end_index]:
                    self._delete_front(start_index, DropReason.UNMATCHED)
                    continue
                self._make_candidate(start_time, end_time)
                self._pivot = end_index
                self._pivot_time = end_time
            elif not self._not_better(end_time, start_time):
                self._make_candidate(start_time, end_time)
            self._move_front_to_past(start_index)

            if start_index == self._pivot:
                # Every set still containing the pivot message has been examined.
                self._publish()
            elif self._not_better(end_time, self._pivot_time):
                # Any later set spans [pivot_time, end_time], already worse.
                self._publish()
            elif self._num_non_empty < n:
                self._virtual_search()

    def _virtual_search(self) -> None:
        moves = [0] * self._n
        while True:
            end_index, end_time = self._virtual_boundary(end=True)
            start_index, start_time = self._virtual_boundary(end=False)
            if self._not_better(end_time, self._pivot_time):
                self._publish()  # also undoes the virtual moves
                return
            if not self._not_better(end_time, start_time):
                # An optimistic future set would beat the candidate: wait for messages.
                self._num_non_empty = 0
                for k in range(self._n):
                    self._recover(k, moves[k])
                return
            # start_time < pivot_time here, so start_index has a queued message to step over.
            self._move_front_to_past(start_index)
            moves[start_index] += 1
