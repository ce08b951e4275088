# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What the node counts for /diagnostics: input rates, latency, rejected messages.

Plain Python (no rclpy) so it is tested without a graph; thread-safe because subscription
callbacks and the inference worker update it from different threads.
"""

from __future__ import annotations

import collections
import threading
from typing import Optional

import numpy as np


class RateMeter:
    """Messages per second over a sliding window of arrival times (seconds)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self._window = window_s
        self._times: collections.deque[float] = collections.deque()

    def tick(self, now_s: float) -> None:
        self._times.append(now_s)
        self._trim(now_s)

    def rate(self, now_s: float) -> float:
        self._trim(now_s)
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now_s: float) -> None:
        while self._times and now_s - self._times[0] > self._window:
            self._times.popleft()


class LatencyStats:
    """Median and p99 of the last ``capacity`` samples, in milliseconds."""

    def __init__(self, capacity: int = 1000) -> None:
        self._values: collections.deque[float] = collections.deque(maxlen=capacity)

    def add(self, value_ms: float) -> None:
        self._values.append(value_ms)

    def __len__(self) -> int:
        return len(self._values)

    def summary(self) -> Optional[tuple[float, float]]:
        """``(median, p99)`` or None before the first sample."""
        if not self._values:
            return None
        values = np.fromiter(self._values, dtype=np.float64)
        return float(np.median(values)), float(np.percentile(values, 99))


class NodeStats:
    """Everything the diagnostics report, behind one lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rates: dict[str, RateMeter] = {}
        self.rejected: collections.Counter[tuple[str, str]] = collections.Counter()
        self.end_to_end = LatencyStats()
        self.inference = LatencyStats()
        self.outputs = 0
        self.inference_errors = 0
        self.presence_counts = np.zeros(5, dtype=np.int64)
        self.last_presence: Optional[tuple[bool, ...]] = None

    def received(self, stream: str, now_s: float) -> None:
        with self._lock:
            self.rates.setdefault(stream, RateMeter()).tick(now_s)

    def rejected_message(self, stream: str, field: str) -> int:
        """Count a malformed message; return how many this stream/field pair has had."""
        with self._lock:
            self.rejected[(stream, field)] += 1
            return self.rejected[(stream, field)]

    def published(self, *, end_to_end_ms: float, inference_ms: float,
                  presence: tuple[bool, ...]) -> None:
        with self._lock:
            self.outputs += 1
            self.end_to_end.add(end_to_end_ms)
            self.inference.add(inference_ms)
            self.presence_counts += np.asarray(presence, dtype=np.int64)
            self.last_presence = presence

    def failed(self) -> None:
        with self._lock:
            self.inference_errors += 1

    def snapshot(self, now_s: float) -> dict:
        """A consistent copy for one diagnostics message."""
        with self._lock:
            return {
                'rates': {k: m.rate(now_s) for k, m in sorted(self.rates.items())},
                'rejected': dict(self.rejected),
                'end_to_end': self.end_to_end.summary(),
                'inference': self.inference.summary(),
                'outputs': self.outputs,
                'inference_errors': self.inference_errors,
                'presence_counts': self.presence_counts.copy(),
                'last_presence': self.last_presence,
            }
