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
    """Messages per second over a sliding window of arrival times (seconds).

    A stream that stopped reads 0 after ``SILENT_AFTER`` of its usual gaps (at least
    ``MIN_SILENCE_S``), not only once its last messages left the window.
    """

    SILENT_AFTER = 5.0
    MIN_SILENCE_S = 0.5

    def __init__(self, window_s: float = 2.0) -> None:
        self._window = window_s
        self._times: collections.deque[float] = collections.deque()

    def tick(self, now_s: float) -> None:
        self._times.append(now_s)
        self._trim(now_s)

    def rate(self, now_s: float) -> float:
        """Messages per second; 0 once nothing came for ``silent_after`` the usual gap."""
        self._trim(now_s)
        if len(self._times) < 2:
            return 0.0
        gap = (self._times[-1] - self._times[0]) / (len(self._times) - 1)
        if now_s - self._times[-1] > max(self.SILENT_AFTER * gap, self.MIN_SILENCE_S):
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0

    def _trim(self, now_s: float) -> None:
        while self._times and now_s - self._times[0] > self._window:
            self._times.popleft()


class StampGapCounter:
    """Frames lost on the way, told by gaps in one stream's sequence of stamps.

    A camera stamps its frames at a fixed period; a gap of several periods between two
    frames that did arrive means the ones in between were lost (best-effort transport,
    a full queue). The period is the median of the recent stamp steps: conservative (when
    most frames are lost it undercounts; DDS's own message-lost events cover that case),
    and two publishers interleaving on one topic do not read as losses.
    """

    def __init__(self, history: int = 100) -> None:
        self._steps: collections.deque[int] = collections.deque(maxlen=history)
        self._last: Optional[int] = None
        self.lost = 0

    def add(self, stamp_ns: int) -> int:
        """Record one stamp; return how many frames this gap says were lost."""
        last, self._last = self._last, int(stamp_ns)
        if last is None or stamp_ns <= last:
            return 0
        step = stamp_ns - last
        self._steps.append(step)
        if len(self._steps) < 5:
            return 0
        period = float(np.median(np.fromiter(self._steps, np.int64)))
        # A step of 1.8 periods or more misses a frame; less is jitter.
        missing = int(step / period + 0.2) - 1 if period > 0 else 0
        # A gap of seconds is a stream that paused, not frames lost in transport.
        if missing <= 0 or missing > 30:
            return 0
        self.lost += missing
        return missing


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
        # Messages not used for a reason other than their content, by (reason, stream):
        # lost in transport, audio before any AudioInfo.
        self.unused: collections.Counter[tuple[str, str]] = collections.Counter()
        self.errors: collections.Counter[str] = collections.Counter()
        self.end_to_end = LatencyStats()
        # From a camera frame's arrival in the node to its set being complete: the wait for
        # the other streams to reach the frame's stamp (ApproximateTime semantics).
        self.sync_wait = LatencyStats()
        self.inference = LatencyStats()
        self.model = LatencyStats()
        self.output_rate = RateMeter()
        self.accepted_camera = RateMeter()
        self.outputs = 0
        # CPU time spent in the model calls, seconds (InferenceResult.model_cpu_ms).
        self.model_cpu_s = 0.0
        self.last_output_s: Optional[float] = None
        self.first_camera_s: Optional[float] = None
        self.presence_counts = np.zeros(5, dtype=np.int64)
        self.last_presence: Optional[tuple[bool, ...]] = None

    def received(self, stream: str, now_s: float) -> None:
        with self._lock:
            self.rates.setdefault(stream, RateMeter()).tick(now_s)

    def camera_accepted(self, now_s: float) -> None:
        """A camera frame passed conversion: an output is owed for it (or a newer one)."""
        with self._lock:
            self.accepted_camera.tick(now_s)
            if self.first_camera_s is None:
                self.first_camera_s = now_s

    def not_used(self, reason: str, stream: str, n: int = 1) -> None:
        """Count messages not used for ``reason`` (e.g. ``lost_in_transport``)."""
        with self._lock:
            self.unused[(reason, stream)] += n

    def rejected_message(self, stream: str, field: str) -> int:
        """Count a malformed message; return how many this stream/field pair has had."""
        with self._lock:
            self.rejected[(stream, field)] += 1
            return self.rejected[(stream, field)]

    def count_unused(self, reason: str) -> int:
        """Messages not used for ``reason``, over all streams."""
        with self._lock:
            return sum(n for (r, _), n in self.unused.items() if r == reason)

    def published(self, *, end_to_end_ms: float, inference_ms: float,
                  presence: tuple[bool, ...], now_s: float, model_ms: float = 0.0,
                  model_cpu_ms: float = 0.0) -> None:
        """Count a published set: its latency, the time of all inference and of the model.

        ``inference_ms`` is preprocessing, model and decoding; ``model_ms`` the model call
        alone (wall time) and ``model_cpu_ms`` the CPU time of that call.
        """
        with self._lock:
            self.outputs += 1
            self.model.add(model_ms)
            self.model_cpu_s += model_cpu_ms / 1e3
            self.output_rate.tick(now_s)
            self.last_output_s = now_s
            self.end_to_end.add(end_to_end_ms)
            self.inference.add(inference_ms)
            self.presence_counts += np.asarray(presence, dtype=np.int64)
            self.last_presence = presence

    def synchronised(self, wait_ms: float) -> None:
        """Count a complete set, ``wait_ms`` after its camera frame arrived."""
        with self._lock:
            self.sync_wait.add(wait_ms)

    def failed(self, kind: str) -> int:
        """Count a set that gave no output because of ``kind``, e.g. ``non_finite_output``.

        Returns:
            How many sets of that kind so far.
        """
        with self._lock:
            self.errors[kind] += 1
            return self.errors[kind]

    def snapshot(self, now_s: float) -> dict:
        """A consistent copy for one diagnostics message."""
        with self._lock:
            return {
                'rates': {k: m.rate(now_s) for k, m in sorted(self.rates.items())},
                'rejected': dict(self.rejected),
                'unused': dict(self.unused),
                'errors': dict(self.errors),
                'end_to_end': self.end_to_end.summary(),
                'sync_wait': self.sync_wait.summary(),
                'inference': self.inference.summary(),
                'model': self.model.summary(),
                'outputs': self.outputs,
                'model_cpu_s': self.model_cpu_s,
                'output_rate': self.output_rate.rate(now_s),
                'camera_rate': self.accepted_camera.rate(now_s),
                'since_last_output_s': (None if self.last_output_s is None
                                        else now_s - self.last_output_s),
                'since_first_camera_s': (None if self.first_camera_s is None
                                         else now_s - self.first_camera_s),
                'presence_counts': self.presence_counts.copy(),
                'last_presence': self.last_presence,
            }
