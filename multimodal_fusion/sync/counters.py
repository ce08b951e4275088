# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Why messages and synchronised sets were dropped, counted per source.

The node publishes these counts as diagnostics; a rising count names the culprit (a QoS
depth too small shows as ``queue_overflow``, a sensor on another clock as ``beyond_slop``
or ``time_jump``, a dead wrist sensor as ``stale``).
"""

from __future__ import annotations

from collections import Counter
import enum
import threading
from typing import Optional


class DropReason(enum.Enum):
    """Why one message, or one modality of a set, was not used.

    Attributes:
        QUEUE_OVERFLOW: pushed out of a full synchroniser queue (oldest first).
        OUT_OF_ORDER: stamped before a message already received or consumed on the same input.
        BEYOND_SLOP: no set with a span within the slop could include it.
        UNMATCHED: a neighbour on the same input was the better match for every set.
        STALE: a modality left out of a set because its newest data was older than its
            maximum age (counted once per set and modality).
        MALFORMED: rejected by message conversion or shape checks.
        TIME_JUMP: discarded when time jumped backwards (buffers cleared), or a late message
            from the timeline before the jump.
        LATE: a modality whose window was cut before its stream reached the set's stamp,
            because the set's wait for it ran out (counted once per set and modality): the
            newest part of that window came too late for the set.
    """

    QUEUE_OVERFLOW = 'queue_overflow'
    OUT_OF_ORDER = 'out_of_order'
    BEYOND_SLOP = 'beyond_slop'
    UNMATCHED = 'unmatched'
    STALE = 'stale'
    MALFORMED = 'malformed'
    TIME_JUMP = 'time_jump'
    LATE = 'late'


class SetDropReason(enum.Enum):
    """Why a synchronised set never reached the model.

    Attributes:
        MISSING_REQUIRED: a required modality was absent when the set was assembled.
        SUPERSEDED: a newer set replaced it before the inference worker took it.
        EXPIRED: the inference worker judged it too old to act upon (counted by the worker).
    """

    MISSING_REQUIRED = 'missing_required'
    SUPERSEDED = 'superseded'
    EXPIRED = 'expired'


class DropCounters:
    """Thread-safe counts keyed by ``(reason, source)``.

    ``source`` is a stream or modality name (``'camera'``, ``'touch/left'``); counting is
    cheap enough for every message callback.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter = Counter()

    def count(self, reason: enum.Enum, source: str, n: int = 1) -> None:
        """Add ``n`` drops of ``reason`` for ``source``."""
        if n < 0:
            raise ValueError(f'drop count must be non-negative, got {n}')
        with self._lock:
            self._counts[(reason, source)] += n

    def get(self, reason: enum.Enum, source: Optional[str] = None) -> int:
        """Drops of ``reason`` for ``source``, or over all sources when ``source`` is None."""
        with self._lock:
            if source is not None:
                return self._counts[(reason, source)]
            return sum(n for (r, _), n in self._counts.items() if r is reason)

    def total(self) -> int:
        """All drops, every reason and source."""
        with self._lock:
            return sum(self._counts.values())

    def snapshot(self) -> dict[str, dict[str, int]]:
        """``{reason.value: {source: count}}`` with only non-zero entries, sorted by name."""
        with self._lock:
            items = sorted((r.value, s, n) for (r, s), n in self._counts.items() if n)
        out: dict[str, dict[str, int]] = {}
        for reason, source, n in items:
            out.setdefault(reason, {})[source] = n
        return out

    def reset(self) -> None:
        """Forget every count (e.g. after diagnostics were published as deltas)."""
        with self._lock:
            self._counts.clear()
