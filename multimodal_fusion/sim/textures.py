# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Procedural wall textures, in any colours, for the camera's background.

A texture is a ``float32`` field in ``[0, 1]`` made by one *family* from an integer seed,
coloured through a palette of two or three RGB colours (a lookup table, so colouring costs
one pass). Families are split by construction into ``TRAIN_TEXTURES`` and
``HELD_OUT_TEXTURES``: the held-out families make patterns training never shows (veined
marble, brick bond, polka dots, plaid), not other seeds of the same ones.

Fields are made at half the output resolution and magnified, so one costs well under a
millisecond at 320x240; nothing is cached here; ``backgrounds.background`` caches the
finished background of an episode for its 30 fps stream.
"""

from __future__ import annotations

from typing import Callable
from typing import Sequence

import cv2
import numpy as np

Field = Callable[[np.random.Generator, int, int], np.ndarray]


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs, ys


def _value_noise(rng: np.random.Generator, width: int, height: int, cells: float,
                 octaves: int = 3) -> np.ndarray:
    """Smooth noise in ``[0, 1]``: random grids, coarsest ``cells`` across, resized and summed."""
    total = np.zeros((height, width), dtype=np.float32)
    weight, amplitude = 0.0, 1.0
    for octave in range(octaves):
        n = max(2, int(round(cells * 2 ** octave)))
        m = max(2, int(round(n * height / width)))
        small = rng.random((m, n), dtype=np.float32)
        total += amplitude * cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        weight += amplitude
        amplitude *= 0.5
    total /= weight
    lo, hi = float(total.min()), float(total.max())
    return (total - lo) / max(hi - lo, 1e-6)


def _clouds(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Plaster, fog, stains: multi-octave value noise."""
    return _value_noise(rng, width, height, rng.uniform(2.0, 8.0), int(rng.integers(2, 5)))


def _stripes(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Wallpaper stripes at any angle, soft or hard edged."""
    xs, ys = _grid(height, width)
    angle = rng.choice((0.0, 90.0, rng.uniform(0.0, 180.0)))
    period = rng.uniform(6.0, 60.0) * width / 320
    c, s = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    wave = np.sin(2 * np.pi * (xs * c + ys * s) / period + rng.uniform(0, 2 * np.pi))
    sharp = rng.uniform(1.0, 8.0)
    return (0.5 + 0.5 * np.tanh(sharp * wave)).astype(np.float32)


def _checks(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Checkerboards and gingham (two crossed stripe sets)."""
    xs, ys = _grid(height, width)
    period = rng.uniform(8.0, 60.0) * width / 320
    a = np.sin(2 * np.pi * xs / period) > 0
    b = np.sin(2 * np.pi * ys / period) > 0
    if rng.random() < 0.5:
        return (a ^ b).astype(np.float32)
    return (0.5 * a + 0.5 * b).astype(np.float32)


def _wood(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Wood grain: rings around a far centre, disturbed by noise."""
    xs, ys = _grid(height, width)
    cx, cy = rng.uniform(-2.0, 3.0) * width, rng.uniform(-2.0, 3.0) * height
    r = np.sqrt((xs - cx) ** 2 + ((ys - cy) * rng.uniform(0.05, 0.3)) ** 2)
    r += rng.uniform(10.0, 40.0) * _value_noise(rng, width, height, 3.0, 2)
    rings = np.sin(2 * np.pi * r / rng.uniform(4.0, 14.0))
    return (0.5 + 0.5 * rings ** 3).astype(np.float32)


def _tiles(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Square tiles with grout lines, each tile a slightly different shade."""
    size = rng.uniform(14.0, 70.0) * width / 320
    cols, rows = int(width / size) + 2, int(height / size) + 2
    shades = rng.uniform(0.55, 1.0, (rows, cols)).astype(np.float32)
    field = cv2.resize(shades, (int(cols * size), int(rows * size)),
                       interpolation=cv2.INTER_NEAREST)[:height, :width]
    field = np.ascontiguousarray(field)
    grout = max(1, int(round(size * rng.uniform(0.04, 0.12))))
    for k in range(cols):
        field[:, int(k * size):int(k * size) + grout] = 0.0
    for k in range(rows):
        field[int(k * size):int(k * size) + grout, :] = 0.0
    return field


def _gradient(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A painted wall: a smooth linear or radial ramp with faint mottling."""
    xs, ys = _grid(height, width)
    if rng.random() < 0.5:
        angle = np.radians(rng.uniform(0.0, 360.0))
        ramp = (xs * np.cos(angle) + ys * np.sin(angle)) / np.hypot(width, height)
    else:
        ramp = np.hypot(xs / width - rng.uniform(0, 1), ys / height - rng.uniform(0, 1))
    ramp = (ramp - ramp.min()) / max(float(ramp.max() - ramp.min()), 1e-6)
    return (0.85 * ramp + 0.15 * _value_noise(rng, width, height, 6.0, 2)).astype(np.float32)


def _marble(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Held out: veined stone, a sine of coordinates warped by turbulence."""
    xs, ys = _grid(height, width)
    turbulence = _value_noise(rng, width, height, rng.uniform(2.0, 5.0), 4)
    angle = np.radians(rng.uniform(0.0, 180.0))
    phase = (xs * np.cos(angle) + ys * np.sin(angle)) / rng.uniform(20.0, 60.0)
    veins = np.abs(np.sin(phase + rng.uniform(4.0, 10.0) * turbulence))
    return (veins ** rng.uniform(0.3, 0.8)).astype(np.float32)


def _bricks(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Held out: a running-bond brick wall with mortar and per-brick shade."""
    brick_h = rng.uniform(8.0, 26.0) * width / 320
    brick_w = brick_h * rng.uniform(2.0, 3.2)
    xs, ys = _grid(height, width)
    row = np.floor(ys / brick_h)
    shifted = xs + (row % 2) * brick_w / 2
    col = np.floor(shifted / brick_w)
    shade = rng.uniform(0.55, 1.0, 4096).astype(np.float32)
    field = shade[((row * 131 + col * 17) % 4096).astype(np.int64)]
    mortar = max(1.0, brick_h * 0.12)
    joint = ((ys % brick_h) < mortar) | ((shifted % brick_w) < mortar)
    field[joint] = 0.0
    return field + 0.1 * _value_noise(rng, width, height, 20.0, 1)


def _dots(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Held out: polka dots or out-of-focus bokeh discs."""
    field = np.zeros((height, width), dtype=np.float32)
    count = int(rng.integers(15, 120))
    radius = rng.uniform(3.0, 18.0) * width / 320
    for _ in range(count):
        centre = (int(rng.integers(width)), int(rng.integers(height)))
        r = max(1, int(radius * rng.uniform(0.6, 1.4)))
        cv2.circle(field, centre, r, float(rng.uniform(0.6, 1.0)), -1, cv2.LINE_AA)
    if rng.random() < 0.5:
        field = cv2.GaussianBlur(field, (0, 0), radius * 0.4)
    return field


def _plaid(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Held out: tartan, crossed bands of several widths."""
    xs, ys = _grid(height, width)
    field = np.zeros((height, width), dtype=np.float32)
    for _ in range(3):
        period = rng.uniform(15.0, 80.0) * width / 320
        duty = rng.uniform(0.1, 0.4)
        weight = rng.uniform(0.2, 0.5)
        field += weight * (((xs / period) % 1.0) < duty)
        field += weight * (((ys / period) % 1.0) < duty)
    return field / max(float(field.max()), 1e-6)


TRAIN_TEXTURES: dict[str, Field] = {
    'clouds': _clouds, 'stripes': _stripes, 'checks': _checks, 'wood': _wood,
    'tiles': _tiles, 'gradient': _gradient,
}
HELD_OUT_TEXTURES: dict[str, Field] = {
    'marble': _marble, 'bricks': _bricks, 'dots': _dots, 'plaid': _plaid,
}


def texture(family: str, seed: int, palette: Sequence[tuple[int, int, int]], width: int,
            height: int) -> np.ndarray:
    """A ``(height, width, 3)`` uint8 RGB texture.

    Args:
        family: a key of ``TRAIN_TEXTURES`` or ``HELD_OUT_TEXTURES``.
        seed: selects the pattern within the family.
        palette: two or more RGB colours the field's values run through, dark to light.
        width: output width.
        height: output height.

    Raises:
        ValueError: for an unknown family or a palette of fewer than two colours.
    """
    make = TRAIN_TEXTURES.get(family) or HELD_OUT_TEXTURES.get(family)
    if make is None:
        raise ValueError(f'unknown texture family {family!r}; expected one of '
                         f'{tuple(TRAIN_TEXTURES) + tuple(HELD_OUT_TEXTURES)}')
    if len(palette) < 2:
        raise ValueError(f'a palette needs at least two colours, got {len(palette)}')
    # Fields are made at half resolution and magnified: walls are smooth at that scale,
    # and it quarters the cost.
    small = make(np.random.default_rng(seed), max(2, width // 2), max(2, height // 2))
    levels = cv2.resize(np.clip(small * 255.0, 0, 255).astype(np.uint8), (width, height),
                        interpolation=cv2.INTER_LINEAR)
    stops = np.linspace(0.0, 255.0, len(palette))
    colours = np.asarray(palette, dtype=np.float64)
    table = np.stack([np.interp(np.arange(256), stops, colours[:, c]) for c in range(3)], 1)
    lut = np.clip(table, 0, 255).astype(np.uint8).reshape(1, 256, 3)
    return cv2.LUT(cv2.merge((levels, levels, levels)), lut)
