# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Does an audio stream's description match its data? Bytes per second, told by the stamps.

``AudioInfo`` is sent apart from the chunks (often once, latched), so a driver that
restarts with another rate or channel count, or a wrong description, leaves chunks whose
bytes mean something else than the node is told: decoded anyway, they are noise of the
wrong pitch or length, and the audio would be reported present. The chunk stamps say how
many bytes the stream really carries per second, whatever the description says; this
compares the two.
"""

from __future__ import annotations

import collections
from typing import Optional

from multimodal_fusion.sync.windows import NS_PER_S


class AudioRateCheck:
    """Measures a chunk stream's bytes per second from its stamps.

    The estimate is the bytes of the last ``window`` chunks (all but the newest) over the
    time their stamps span, so stamp jitter and bursts average out. A gap longer than
    ``max_gap_s`` or a backwards stamp (a paused or restarted driver) starts it afresh.

    A mismatch is reported only once it has held for ``persist`` chunks in a row: a driver
    that stamps chunks when it publishes them, stalls and then catches up, skews the
    estimate for a moment; a wrong description skews it for good.

    Args:
        window: chunks the estimate spans.
        min_chunks: chunks needed before the estimate is trusted.
        tolerance: relative difference accepted between measured and described rates (the
            mistakes worth catching are factors: 2 or 3 for channels, 3 for 48 vs 16 kHz).
        max_gap_s: a larger step between two stamps restarts the estimate.
        persist: consecutive chunks a mismatch must hold before it is reported.
    """

    def __init__(self, *, window: int = 100, min_chunks: int = 25, tolerance: float = 0.4,
                 max_gap_s: float = 0.5, persist: int = 25) -> None:
        if not 2 <= min_chunks <= window:
            raise ValueError(f'need 2 <= min_chunks <= window, got {min_chunks}, {window}')
        self.tolerance = tolerance
        self._min = min_chunks
        self._max_gap_ns = int(max_gap_s * NS_PER_S)
        self._chunks: collections.deque[tuple[int, int]] = collections.deque(maxlen=window)
        self._persist = persist
        self._off = 0  # consecutive checks out of tolerance

    def reset(self) -> None:
        self._chunks.clear()
        self._off = 0

    def add(self, stamp_ns: int, num_bytes: int) -> None:
        """Record one chunk."""
        if self._chunks:
            step = stamp_ns - self._chunks[-1][0]
            if step < 0 or step > self._max_gap_ns:
                self._chunks.clear()
        self._chunks.append((int(stamp_ns), int(num_bytes)))

    def bytes_per_second(self) -> Optional[float]:
        """The measured rate, or None until ``min_chunks`` chunks are in."""
        if len(self._chunks) < self._min:
            return None
        span = self._chunks[-1][0] - self._chunks[0][0]
        if span <= 0:
            return None
        carried = sum(n for _, n in list(self._chunks)[:-1])
        return carried * NS_PER_S / span

    def mismatch(self, described_bytes_per_second: float) -> Optional[float]:
        """The measured bytes per second if it differs from the description, else None.

        It must have differed by more than the tolerance for ``persist`` checks in a row.
        Call it once per chunk.
        """
        measured = self.bytes_per_second()
        if measured is None or described_bytes_per_second <= 0:
            self._off = 0
            return None
        ratio = measured / described_bytes_per_second
        if 1.0 / (1.0 + self.tolerance) <= ratio <= 1.0 + self.tolerance:
            self._off = 0
            return None
        self._off += 1
        return measured if self._off >= self._persist else None
