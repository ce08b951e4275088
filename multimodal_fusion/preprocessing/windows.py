# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Time windows (touch, proprioception) to the model's fixed number of steps.

Shape legend: ``t`` source steps, ``T`` spec steps, ``f`` features.
"""

from __future__ import annotations

from typing import Optional

import numpy as np


def fit_window(window: np.ndarray, *, steps: int, features: int, rate_hz: float,
               source_rate_hz: Optional[float] = None) -> np.ndarray:
    """Bring a window ending at the frame's stamp to exactly ``steps`` rows.

    The newest row is kept last. With ``source_rate_hz`` different from ``rate_hz`` the rows
    are first linearly resampled onto the spec rate, anchored at the newest row. Then the
    newest ``steps`` rows are kept, and a shorter window is left-padded by repeating its
    oldest row (a sensor that just appeared is assumed to have held still before).

    Args:
        window: ``(t, f)`` rows, oldest first, ``t >= 1``.
        steps: ``T``, the spec steps.
        features: ``f``, the spec features.
        rate_hz: the spec rate.
        source_rate_hz: rate of ``window``; ``None`` means it is already ``rate_hz``.

    Returns ``(T, f)`` float32.

    Raises:
        ValueError: if ``window`` is not ``(t, features)`` with ``t >= 1``, or a rate is not
            positive.
    """
    if window.ndim != 2 or window.shape[1] != features or window.shape[0] < 1:
        raise ValueError(
            f'window must be (t >= 1, {features}), got shape {window.shape}')
    if rate_hz <= 0 or (source_rate_hz is not None and source_rate_hz <= 0):
        raise ValueError(
            f'rates must be positive, got rate_hz={rate_hz}, source_rate_hz={source_rate_hz}')
    rows = window.astype(np.float32, copy=False)
    if source_rate_hz is not None and source_rate_hz != rate_hz and rows.shape[0] > 1:
        rows = _resample(rows, source_rate_hz=source_rate_hz, rate_hz=rate_hz)
    rows = rows[-steps:]
    if rows.shape[0] < steps:
        pad = np.repeat(rows[:1], steps - rows.shape[0], axis=0)
        rows = np.concatenate([pad, rows], axis=0)
    return np.ascontiguousarray(rows, dtype=np.float32)


def _resample(rows: np.ndarray, *, source_rate_hz: float, rate_hz: float) -> np.ndarray:
    """Linear interpolation onto the target rate, both grids ending at the newest row."""
    duration = (rows.shape[0] - 1) / source_rate_hz
    source_t = np.arange(rows.shape[0], dtype=np.float64) / source_rate_hz - duration
    count = int(np.floor(duration * rate_hz + 1e-9)) + 1
    target_t = -np.arange(count - 1, -1, -1, dtype=np.float64) / rate_hz
    out = np.empty((count, rows.shape[1]), dtype=np.float32)
    for j in range(rows.shape[1]):
        out[:, j] = np.interp(target_t, source_t, rows[:, j])
    return out
