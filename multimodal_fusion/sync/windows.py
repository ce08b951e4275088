# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Ring buffers that hold each stream's recent past and cut the window ending at a stamp.

Shape legend: ``n`` samples or rows held, ``t`` window steps, ``f`` features per row.

Windows are causal and end with the newest data at or before a stamp ``T``, as the
simulator's training windows do: the audio window's last sample is the one taken at ``T`` or
just before; a touch or proprio window is resampled on a grid whose last step is the newest
row at or before ``T`` (:meth:`RowRing.window_ending_at`), so a sensor at the model's rate
gives its own samples unchanged, not values interpolated between them (which would smooth
away the high-frequency content the model reads). Stamps are integer nanoseconds
throughout; arithmetic on them is done relative to the window end so float64 never sees
epoch-sized numbers.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

NS_PER_S = 1_000_000_000
# A sample stamped less than 1 / STAMP_TOLERANCE_DIVISOR of a period after a window's end
# still belongs to the window (stamps are rounded to whole nanoseconds).
STAMP_TOLERANCE_DIVISOR = 100


def window_grid_ns(end_ns: int, steps: int, rate_hz: float) -> np.ndarray:
    """Stamps of a window of ``steps`` evenly spaced samples whose last one is ``end_ns``.

    Args:
        end_ns: stamp of the newest step.
        steps: number of steps ``t``.
        rate_hz: steps per second.

    Returns:
        ``(t,)`` int64 stamps, oldest first, ``grid[-1] == end_ns``.
    """
    offsets = np.round(np.arange(steps - 1, -1, -1, dtype=np.float64) * (NS_PER_S / rate_hz))
    return int(end_ns) - offsets.astype(np.int64)


def stamp_tolerance_ns(rate_hz: float) -> int:
    """How far after a stamp a sample of a ``rate_hz`` stream still counts as at it."""
    return int(NS_PER_S / (rate_hz * STAMP_TOLERANCE_DIVISOR))


def resample_rows(stamps_ns: np.ndarray, rows: np.ndarray, grid_ns: np.ndarray, *,
                  interpolate: bool = True) -> np.ndarray:
    """Values of irregularly stamped rows at the grid stamps.

    Between two rows the value is interpolated linearly (``interpolate``) or held from the
    earlier row (sample-and-hold). Before the first row the first row is held and after the
    last row the last one is held: edge padding reads as "no change", which is plausible for
    joints and forces, where zeros would be a real and misleading reading.

    Args:
        stamps_ns: ``(n,)`` int64 non-decreasing row stamps, ``n >= 1``.
        rows: ``(n, f)`` values.
        grid_ns: ``(t,)`` int64 stamps to evaluate at.
        interpolate: linear interpolation if True, sample-and-hold if False.

    Returns:
        ``(t, f)`` float32.
    """
    n = len(stamps_ns)
    if n == 0:
        raise ValueError('cannot resample zero rows')
    # Index of the last row at or before each grid stamp (-1: before the first row). With
    # equal stamps the last of them wins, so the interpolation denominator is never zero.
    before = np.searchsorted(stamps_ns, grid_ns, side='right') - 1
    held = rows[np.clip(before, 0, n - 1)].astype(np.float64)
    if not interpolate or n == 1:
        return held.astype(np.float32)
    inside = (before >= 0) & (before < n - 1)
    lo = before[inside]
    reference = grid_ns[-1]
    t0 = (stamps_ns[lo] - reference).astype(np.float64)
    t1 = (stamps_ns[lo + 1] - reference).astype(np.float64)
    t = (grid_ns[inside] - reference).astype(np.float64)
    weight = ((t - t0) / (t1 - t0))[:, None]
    r0 = rows[lo].astype(np.float64)
    held[inside] = r0 + weight * (rows[lo + 1].astype(np.float64) - r0)
    return held.astype(np.float32)


class RowRing:
    """The last ``capacity`` stamped rows of one stream (a wrist wrench, joint states, IMU).

    Rows must arrive in stamp order (equal stamps allowed); when full the oldest row is
    overwritten.

    Args:
        features: row width ``f``.
        capacity: rows kept; at least the stream rate times (window + sync latency).
    """

    def __init__(self, features: int, capacity: int) -> None:
        if features < 1 or capacity < 2:
            raise ValueError(
                f'RowRing needs features >= 1 and capacity >= 2, got {features}, {capacity}')
        self.features = features
        self.capacity = capacity
        self._stamps = np.zeros(capacity, dtype=np.int64)
        self._rows = np.zeros((capacity, features), dtype=np.float32)
        self._count = 0
        self._head = 0  # next write position

    def __len__(self) -> int:
        return self._count

    @property
    def newest_ns(self) -> Optional[int]:
        """Stamp of the newest row, None when empty."""
        return int(self._stamps[self._head - 1]) if self._count else None

    def clear(self) -> None:
        self._count = 0
        self._head = 0

    def append(self, stamp_ns: int, row: np.ndarray) -> bool:
        """Store one row.

        Args:
            stamp_ns: the row's stamp.
            row: ``(f,)`` values.

        Returns:
            False (row not stored) when ``stamp_ns`` is older than the newest row.
        """
        newest = self.newest_ns
        if newest is not None and stamp_ns < newest:
            return False
        self._stamps[self._head] = stamp_ns
        self._rows[self._head] = row
        self._head = (self._head + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)
        return True

    def _order(self) -> np.ndarray:
        """Physical indices of the held rows, oldest first."""
        start = (self._head - self._count) % self.capacity
        return (start + np.arange(self._count)) % self.capacity

    def latest_at_or_before(self, stamp_ns: int) -> Optional[int]:
        """Stamp of the newest row not after ``stamp_ns``; None when there is none."""
        if not self._count:
            return None
        stamps = self._stamps[self._order()]
        index = int(np.searchsorted(stamps, stamp_ns, side='right')) - 1
        return int(stamps[index]) if index >= 0 else None

    def covers(self, stamp_ns: int, rate_hz: float) -> bool:
        """Whether a row at (within tolerance) or after ``stamp_ns`` has come.

        Rows arrive in stamp order, so once one has, the window ending at ``stamp_ns`` is
        complete.
        """
        newest = self.newest_ns
        return newest is not None and newest >= stamp_ns - stamp_tolerance_ns(rate_hz)

    def window_ending_at(self, stamp_ns: int, steps: int, rate_hz: float, *,
                         interpolate: bool = True) -> np.ndarray:
        """``steps`` rows at ``rate_hz`` ending with the newest row at or before ``stamp_ns``.

        The grid's last step is that row's stamp, so rows that come at ``rate_hz`` are
        returned as they are; other rates are resampled (see :func:`resample_rows`).

        Returns:
            ``(steps, f)`` float32.

        Raises:
            ValueError: no row at or before ``stamp_ns``.
        """
        anchor = self.latest_at_or_before(stamp_ns + stamp_tolerance_ns(rate_hz))
        if anchor is None:
            raise ValueError('no row at or before the stamp to end a window with')
        return self.window(window_grid_ns(anchor, steps, rate_hz), interpolate=interpolate)

    def window(self, grid_ns: np.ndarray, *, interpolate: bool = True) -> np.ndarray:
        """The held rows resampled at ``grid_ns`` (see :func:`resample_rows`).

        Args:
            grid_ns: ``(t,)`` int64 increasing stamps.
            interpolate: linear interpolation if True, sample-and-hold if False.

        Returns:
            ``(t, f)`` float32.

        Raises:
            ValueError: the ring is empty.
        """
        if not self._count:
            raise ValueError('no rows to cut a window from')
        order = self._order()
        stamps = self._stamps[order]
        # Only the rows bracketing the grid matter; one either side for interpolation.
        lo = max(int(np.searchsorted(stamps, grid_ns[0], side='right')) - 1, 0)
        hi = min(int(np.searchsorted(stamps, grid_ns[-1], side='right')) + 1, self._count)
        picked = order[lo:hi]
        return resample_rows(self._stamps[picked], self._rows[picked], grid_ns,
                             interpolate=interpolate)


def resample_audio(samples: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Change a chunk's sample rate by linear interpolation.

    A fallback for drivers that cannot be set to the model's rate: it is not band-limited.
    Downsampling first averages over one output period (a box low-pass) so the worst of the
    aliasing is removed; configure the capture at the model's rate when you can.

    Args:
        samples: ``(n,)`` float samples at ``rate_in``.
        rate_in: input rate in Hz.
        rate_out: output rate in Hz.

    Returns:
        ``(round(n * rate_out / rate_in),)`` float32.
    """
    samples = np.asarray(samples, dtype=np.float32)
    if rate_in == rate_out or samples.size == 0:
        return samples
    ratio = rate_in / rate_out
    if ratio >= 2.0:
        width = int(round(ratio))
        samples = np.convolve(samples, np.full(width, 1.0 / width, dtype=np.float32),
                              mode='same').astype(np.float32)
    n_out = int(round(samples.size / ratio))
    positions = np.arange(n_out, dtype=np.float64) * ratio
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


class AudioRing:
    """The last ``capacity`` mono samples on one continuous timeline.

    The first chunk fixes the timeline: sample ``k`` is at ``origin + k / sample_rate``.
    Each chunk is placed at the sample index of its first sample's time:

    * within ``jitter_samples`` of the end of what is held, it is appended right there
      (stamp jitter must not click); the timeline then follows the sample count, and clock
      drift is corrected once it exceeds the tolerance;
    * later than that, the gap is filled with zeros (silence);
    * earlier than that, the overlap is overwritten by the new chunk.

    Reading outside what is held gives zeros.

    Args:
        sample_rate: samples per second of the held audio.
        capacity: samples kept (window plus sync latency).
        jitter_samples: stamp jitter tolerated before a gap or an overlap is acted on.
        stamp_marks_end: True when a chunk's stamp is the time just after its last sample
            (drivers that stamp when the buffer is read); False (default) when it is the
            time of its first sample (drivers that stamp when capture starts).
    """

    def __init__(self, sample_rate: int, capacity: int, *, jitter_samples: int = 32,
                 stamp_marks_end: bool = False) -> None:
        if sample_rate < 1 or capacity < 1 or jitter_samples < 0:
            raise ValueError(
                f'AudioRing needs sample_rate >= 1, capacity >= 1, jitter_samples >= 0, got '
                f'{sample_rate}, {capacity}, {jitter_samples}')
        self.sample_rate = int(sample_rate)
        self.capacity = int(capacity)
        self.jitter_samples = int(jitter_samples)
        self.stamp_marks_end = stamp_marks_end
        self._buffer = np.zeros(self.capacity, dtype=np.float32)
        self.clear()

    def clear(self) -> None:
        self._origin_ns: Optional[int] = None
        self._start = 0  # absolute index of the oldest held sample
        self._end = 0  # absolute index just after the newest held sample

    def __len__(self) -> int:
        return self._end - self._start

    def _index(self, stamp_ns: int) -> int:
        """Nearest absolute sample index of a stamp (integer rounding, no float error)."""
        delta = int(stamp_ns) - self._origin_ns
        return (2 * delta * self.sample_rate + NS_PER_S) // (2 * NS_PER_S)

    def _stamp(self, index: int) -> int:
        return self._origin_ns + (index * NS_PER_S) // self.sample_rate

    @property
    def start_ns(self) -> Optional[int]:
        """Time of the oldest held sample, None when empty."""
        return self._stamp(self._start) if len(self) else None

    @property
    def end_ns(self) -> Optional[int]:
        """Time just after the newest held sample, None when empty."""
        return self._stamp(self._end) if len(self) else None

    def _write(self, start: int, values: np.ndarray) -> None:
        positions = (start + np.arange(values.size)) % self.capacity
        self._buffer[positions] = values

    def append(self, stamp_ns: int, samples: np.ndarray,
               sample_rate: Optional[int] = None) -> None:
        """Place one chunk on the timeline.

        Args:
            stamp_ns: the chunk's stamp (see ``stamp_marks_end``).
            samples: ``(n,)`` mono samples.
            sample_rate: the chunk's rate; resampled when it differs from the ring's.
        """
        rate = self.sample_rate if sample_rate is None else int(sample_rate)
        if self.stamp_marks_end:
            stamp_ns = int(stamp_ns) - (len(samples) * NS_PER_S) // rate
        samples = resample_audio(samples, rate, self.sample_rate)
        if samples.size == 0:
            return
        if self._origin_ns is None:
            self._origin_ns = int(stamp_ns)
            self._start = self._end = 0
        start = self._index(stamp_ns)
        if not len(self):
            self._start = self._end = start
        elif abs(start - self._end) <= self.jitter_samples:
            start = self._end
        elif start > self._end:
            gap = start - self._end
            if gap >= self.capacity:
                self._start = self._end = start  # nothing held survives the gap
            else:
                self._write(self._end, np.zeros(gap, dtype=np.float32))
                self._end = start
        end = max(self._end, start + samples.size)
        # Samples older than the newest `capacity` cannot be kept; writing them would wrap
        # onto newer ones.
        keep_from = end - self.capacity
        if start < keep_from:
            samples = samples[keep_from - start:]
            start = keep_from
        if samples.size:
            self._write(start, samples)
        self._start = max(min(self._start, start), keep_from)
        self._end = end

    def _last_index(self, end_ns: int) -> int:
        """Absolute index of the newest sample at or before ``end_ns``.

        A sample less than ``1 / STAMP_TOLERANCE_DIVISOR`` of a period after ``end_ns``
        counts as at it: stamps are whole nanoseconds, so a frame and a sample taken at the
        same instant may be a nanosecond apart.
        """
        delta = int(end_ns) - self._origin_ns
        scaled = delta * self.sample_rate * STAMP_TOLERANCE_DIVISOR + NS_PER_S
        return scaled // (NS_PER_S * STAMP_TOLERANCE_DIVISOR)

    def covers(self, end_ns: int) -> bool:
        """Whether the chunk holding the newest sample at or before ``end_ns`` has come.

        While it has not, a window cut at ``end_ns`` would end with zeros.
        """
        return bool(len(self)) and self._last_index(end_ns) < self._end

    def window(self, end_ns: int, num_samples: int) -> np.ndarray:
        """The ``num_samples`` samples ending with the newest one at or before ``end_ns``.

        The last sample of the window is the one taken at ``end_ns`` or just before it, as
        in the simulator's training windows.

        Returns:
            ``(num_samples,)`` float32, newest last; zeros where nothing is held.
        """
        out = np.zeros(num_samples, dtype=np.float32)
        if not len(self):
            return out
        stop = self._last_index(end_ns) + 1
        first = stop - num_samples
        lo = max(first, self._start)
        hi = min(stop, self._end)
        if hi > lo:
            out[lo - first:hi - first] = self._buffer[np.arange(lo, hi) % self.capacity]
        return out


class TextHistory:
    """The last few commands with their stamps; the current one is the newest not too old.

    Args:
        capacity: commands kept (a few are enough: only the newest fresh one is used, but a
            command stamped after a set's stamp must not hide the one before it).
    """

    def __init__(self, capacity: int = 8) -> None:
        if capacity < 1:
            raise ValueError(f'TextHistory capacity must be at least 1, got {capacity}')
        self.capacity = capacity
        self._items: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        self._items.clear()

    def append(self, stamp_ns: int, text: str) -> bool:
        """Store a command; False (not stored) when older than the newest one."""
        if self._items and stamp_ns < self._items[-1][0]:
            return False
        self._items.append((int(stamp_ns), text))
        del self._items[:-self.capacity]
        return True

    def latest_at_or_before(self, stamp_ns: int) -> Optional[tuple[int, str]]:
        """``(stamp, text)`` of the newest command not after ``stamp_ns``, or None."""
        for stamp, text in reversed(self._items):
            if stamp <= stamp_ns:
                return stamp, text
        return None
