# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Endless, indexable noise, so that any window of a stream is an exact slice of it.

Every random per-sample quantity (sensor noise, room noise, image grain) is read from a
fixed table at an offset drawn once per episode. Reading samples ``k0..k0+n`` therefore gives
the same numbers whether an episode is rendered whole (the streams of the live demo) or one
window at a time (the training samples), and costs a slice instead of a random draw.
"""

from __future__ import annotations

import functools

import numpy as np

_TABLE_LEN = 1 << 21
_LOOP_LEN = 1 << 18
_TABLE_SEED = 0x5EED
NOISE_COLORS: tuple[str, ...] = ('white', 'pink', 'brown', 'blue', 'red')
# Amplitude spectrum ~ 1 / f ** exponent, flat below ``corner`` loop bins. 'red' is a smooth,
# bounded wander (sensor drift over seconds to minutes that never runs away); 'blue' rises
# with frequency (the shaped noise of some sigma-delta converters).
_SPECTRA = {'white': (0.0, 1), 'pink': (0.5, 1), 'brown': (1.0, 1), 'blue': (-0.5, 1),
            'red': (2.0, 64)}


def _read_only(array: np.ndarray) -> np.ndarray:
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=1)
def _gaussian_table() -> np.ndarray:
    rng = np.random.default_rng(_TABLE_SEED)
    return _read_only(rng.standard_normal(_TABLE_LEN, dtype=np.float32))


def _wrapped(table: np.ndarray, start: int, count: int) -> np.ndarray:
    size = table.shape[0]
    if count > size:
        raise ValueError(f'cannot read {count} values from a noise table of {size}')
    start %= size
    end = start + count
    if end <= size:
        return table[start:end]
    return np.concatenate([table[start:], table[:end - size]])


def gaussian_block(offset: int, start: int, count: int, channels: int = 1) -> np.ndarray:
    """Rows ``start .. start + count`` of an endless unit-normal sequence of ``channels`` columns.

    Args:
        offset: where this sequence begins in the shared table (drawn once per episode).
        start: first row (sample index on the stream's own clock; may be negative).
        count: number of rows.
        channels: columns per row.

    Returns:
        ``(count,)`` if ``channels == 1`` else ``(count, channels)`` float32, read-only view
        or copy; never write into it.
    """
    block = _wrapped(_gaussian_table(), offset + start * channels, count * channels)
    return block if channels == 1 else block.reshape(count, channels)


@functools.lru_cache(maxsize=None)
def _noise_loop(color: str) -> np.ndarray:
    # Shaping white noise in the frequency domain gives a loop that wraps seamlessly.
    rng = np.random.default_rng(_TABLE_SEED + 1 + NOISE_COLORS.index(color))
    spectrum = np.fft.rfft(rng.standard_normal(_LOOP_LEN))
    exponent, corner = _SPECTRA[color]
    freqs = np.maximum(np.arange(spectrum.shape[0], dtype=np.float64), corner)
    spectrum /= freqs ** exponent
    spectrum[0] = 0.0
    loop = np.fft.irfft(spectrum, n=_LOOP_LEN)
    loop /= np.sqrt(np.mean(loop ** 2))
    return _read_only(loop.astype(np.float32))


def colored_noise(color: str, offset: int, start: int, count: int) -> np.ndarray:
    """Samples ``start .. start + count`` of an endless unit-RMS noise of the given colour.

    Args:
        color: one of ``NOISE_COLORS``.
        offset: per-episode offset into the loop.
        start: first sample index (may be negative).
        count: number of samples.

    Raises:
        ValueError: for an unknown colour.
    """
    if color not in NOISE_COLORS:
        raise ValueError(f'unknown noise colour {color!r}; expected one of {NOISE_COLORS}')
    return _wrapped(_noise_loop(color), offset + start, count)


def colored_block(color: str, offsets: np.ndarray, start: int, count: int) -> np.ndarray:
    """Samples ``start .. start + count`` of one unit-RMS coloured noise per offset.

    Args:
        color: one of ``NOISE_COLORS``.
        offsets: ``(channels,)`` integer offsets into the loop, one per column.
        start: first sample index (may be negative).
        count: number of samples.

    Returns:
        ``(count, channels)`` float32.

    Raises:
        ValueError: for an unknown colour.
    """
    if color not in NOISE_COLORS:
        raise ValueError(f'unknown noise colour {color!r}; expected one of {NOISE_COLORS}')
    index = (np.asarray(offsets, dtype=np.int64)[None, :] + start
             + np.arange(count, dtype=np.int64)[:, None]) % _LOOP_LEN
    return _noise_loop(color)[index]


@functools.lru_cache(maxsize=8)
def _image_grain(height: int, width: int) -> np.ndarray:
    rng = np.random.default_rng(_TABLE_SEED + 7)
    return _read_only(rng.standard_normal((height + 64, width + 64, 3), dtype=np.float32))


def image_grain(height: int, width: int, dy: int, dx: int) -> np.ndarray:
    """A ``(height, width, 3)`` unit-normal grain image; ``dy``, ``dx`` in ``[0, 64)`` pick it."""
    return _image_grain(height, width)[dy:dy + height, dx:dx + width]
