# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Indoor clutter drawn over a wall: furniture, fittings and look-alikes that are not people.

A clutter *family* is a kind of room. ``'room'`` (training) has shelves of books, posters,
doorways, windows, cables, lamps and coats on hooks; ``'office'`` (held out, never in
training) has desks with monitors, windows with blinds, whiteboards, filing cabinets,
plants and wall clocks. Both scatter *hard negatives*: skin-coloured blobs of head and
torso size, and tall vertical shapes (poles, coats, door leaves), so that a person must be
recognised by more than a skin tone or an upright silhouette. Clutter is never labelled:
it is background.

Everything is drawn from ``np.random.default_rng(seed)``.
"""

from __future__ import annotations

from typing import Callable

import cv2
import numpy as np

from multimodal_fusion.sim.shapes import SKIN_TONES

Item = Callable[[np.ndarray, np.random.Generator], None]


def _colour(rng: np.random.Generator, lo: int = 20, hi: int = 235) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(lo, hi, 3))


def _shade(colour: tuple[int, int, int], gain: float) -> tuple[int, int, int]:
    return tuple(int(np.clip(v * gain, 0, 255)) for v in colour)


def _box(rng: np.random.Generator, w: int, h: int, wf: tuple[float, float],
         hf: tuple[float, float]) -> tuple[int, int, int, int]:
    bw = int(w * rng.uniform(*wf))
    bh = int(h * rng.uniform(*hf))
    x0 = int(rng.integers(-bw // 3, max(1, w - bw // 2)))
    y0 = int(rng.integers(-bh // 4, max(1, h - bh // 2)))
    return x0, y0, x0 + bw, y0 + bh


def _skin_blob(img: np.ndarray, rng: np.random.Generator) -> None:
    """Hard negative: a skin-toned ellipse of a head's or a torso's size (vase, lamp, ball)."""
    h, w = img.shape[:2]
    skin = np.asarray(SKIN_TONES[int(rng.integers(len(SKIN_TONES)))], dtype=np.float64)
    colour = _shade(tuple(int(v) for v in skin), rng.uniform(0.85, 1.1))
    axes = (int(w * rng.uniform(0.02, 0.09)), int(h * rng.uniform(0.04, 0.2)))
    centre = (int(rng.integers(w)), int(rng.integers(int(0.6 * h))))
    cv2.ellipse(img, centre, axes, float(rng.uniform(-20, 20)), 0, 360, colour, -1,
                cv2.LINE_AA)
    if rng.random() < 0.5:
        cv2.ellipse(img, (centre[0] - axes[0] // 3, centre[1] - axes[1] // 3),
                    (max(1, axes[0] // 4), max(1, axes[1] // 4)), 0, 0, 360,
                    _shade(colour, 1.15), -1, cv2.LINE_AA)


def _pole(img: np.ndarray, rng: np.random.Generator) -> None:
    """Hard negative: an upright pole, pillar or standing lamp."""
    h, w = img.shape[:2]
    x = int(rng.integers(w))
    thick = max(2, int(w * rng.uniform(0.01, 0.05)))
    colour = _colour(rng)
    top = int(h * rng.uniform(0.0, 0.3))
    cv2.rectangle(img, (x - thick // 2, top), (x + thick // 2, h), colour, -1)
    if rng.random() < 0.6:
        shade = _colour(rng, 120, 250)
        rx = int(w * rng.uniform(0.03, 0.07))
        pts = np.array([(x - rx // 2, top - rx), (x + rx // 2, top - rx), (x + rx, top + rx // 2),
                        (x - rx, top + rx // 2)], dtype=np.int32)
        cv2.fillPoly(img, [pts], shade, cv2.LINE_AA)


def _coat(img: np.ndarray, rng: np.random.Generator) -> None:
    """Hard negative: a coat on a hook (shoulders and sleeves, no head)."""
    h, w = img.shape[:2]
    cx, top = float(rng.uniform(0.05, 0.95) * w), float(rng.uniform(0.05, 0.35) * h)
    size = float(rng.uniform(0.25, 0.55) * h)
    colour = _colour(rng)
    cv2.line(img, (int(cx), int(top - 0.08 * size)), (int(cx), int(top)), (60, 60, 60), 2)
    body = np.array([(cx - 0.18 * size, top), (cx + 0.18 * size, top),
                     (cx + 0.22 * size, top + size), (cx - 0.22 * size, top + size)])
    cv2.fillPoly(img, [body.astype(np.int32)], colour, cv2.LINE_AA)
    for sign in (-1.0, 1.0):
        sleeve = np.array([(cx + sign * 0.16 * size, top),
                           (cx + sign * 0.24 * size, top + 0.05 * size),
                           (cx + sign * 0.27 * size, top + 0.7 * size),
                           (cx + sign * 0.19 * size, top + 0.7 * size)])
        cv2.fillPoly(img, [sleeve.astype(np.int32)], _shade(colour, 0.8), cv2.LINE_AA)


def _shelf(img: np.ndarray, rng: np.random.Generator) -> None:
    """A bookshelf: boards with rows of coloured spines."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = _box(rng, w, h, (0.25, 0.6), (0.3, 0.7))
    wood = _colour(rng, 60, 200)
    cv2.rectangle(img, (x0, y0), (x1, y1), _shade(wood, 0.55), -1)
    boards = int(rng.integers(2, 5))
    step = max(8, (y1 - y0) // boards)
    for y in range(y0 + step, y1 + 1, step):
        x = x0 + 2
        while x < x1 - 3:
            bw = int(rng.integers(3, 12))
            bh = int(step * rng.uniform(0.5, 0.9))
            cv2.rectangle(img, (x, y - bh), (min(x + bw, x1 - 2), y - 1), _colour(rng), -1)
            x += bw + int(rng.integers(0, 3))
        cv2.rectangle(img, (x0, y - 2), (x1, y + 1), wood, -1)


def _poster(img: np.ndarray, rng: np.random.Generator) -> None:
    """A framed poster of colour blocks, discs and lines."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = _box(rng, w, h, (0.12, 0.35), (0.15, 0.4))
    cv2.rectangle(img, (x0 - 2, y0 - 2), (x1 + 2, y1 + 2), _colour(rng, 0, 80), -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), _colour(rng), -1)
    bw, bh = max(2, x1 - x0), max(2, y1 - y0)
    for _ in range(int(rng.integers(2, 7))):
        kind = rng.random()
        colour = _colour(rng, 0, 256)
        if kind < 0.4:
            a = (x0 + int(rng.integers(bw)), y0 + int(rng.integers(bh)))
            b = (x0 + int(rng.integers(bw)), y0 + int(rng.integers(bh)))
            cv2.rectangle(img, a, b, colour, -1)
        elif kind < 0.7:
            cv2.circle(img, (x0 + int(rng.integers(bw)), y0 + int(rng.integers(bh))),
                       max(1, int(min(bw, bh) * rng.uniform(0.1, 0.35))), colour, -1,
                       cv2.LINE_AA)
        else:
            cv2.line(img, (x0 + int(rng.integers(bw)), y0 + int(rng.integers(bh))),
                     (x0 + int(rng.integers(bw)), y0 + int(rng.integers(bh))), colour,
                     int(rng.integers(1, 4)), cv2.LINE_AA)


def _doorway(img: np.ndarray, rng: np.random.Generator) -> None:
    """Hard negative: a door (a tall upright leaf with a frame and a handle) or an opening."""
    h, w = img.shape[:2]
    dw = int(w * rng.uniform(0.15, 0.3))
    x0 = int(rng.integers(-dw // 3, w - dw // 2))
    y0 = int(h * rng.uniform(0.0, 0.2))
    frame = _colour(rng, 80, 240)
    cv2.rectangle(img, (x0 - 4, y0 - 4), (x0 + dw + 4, h), frame, -1)
    leaf = _colour(rng, 10, 200) if rng.random() < 0.7 else (20, 20, 25)
    cv2.rectangle(img, (x0, y0), (x0 + dw, h), leaf, -1)
    if rng.random() < 0.7:
        cv2.circle(img, (x0 + int(0.85 * dw), int(y0 + 0.5 * (h - y0))), 3, (200, 190, 150), -1)


def _window(img: np.ndarray, rng: np.random.Generator) -> None:
    """A bright window with bars, sky and maybe a curtain."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = _box(rng, w, h, (0.2, 0.45), (0.2, 0.45))
    sky = np.array((rng.uniform(150, 220), rng.uniform(190, 240), 255.0))
    for i, y in enumerate(range(y0, y1)):
        shade = sky * (0.9 + 0.1 * i / max(1, y1 - y0))
        cv2.line(img, (x0, y), (x1, y), tuple(float(v) for v in shade))
    bar = _colour(rng, 180, 256)
    cv2.rectangle(img, (x0, y0), (x1, y1), bar, 3)
    cv2.line(img, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), bar, 2)
    cv2.line(img, (x0, (y0 + y1) // 2), (x1, (y0 + y1) // 2), bar, 2)
    if rng.random() < 0.5:
        cw = max(3, (x1 - x0) // 4)
        cv2.rectangle(img, (x0 - cw // 2, y0 - 4), (x0 + cw, y1 + 6), _colour(rng), -1)


def _cables(img: np.ndarray, rng: np.random.Generator) -> None:
    """Sagging cables across the wall."""
    h, w = img.shape[:2]
    for _ in range(int(rng.integers(1, 4))):
        xs = np.linspace(rng.uniform(-0.1, 0.5) * w, rng.uniform(0.5, 1.1) * w, 12)
        y = rng.uniform(0.05, 0.6) * h
        sag = rng.uniform(5, 40)
        ys = (y + sag * np.sin(np.linspace(0, np.pi, 12))
              + rng.uniform(-20, 20) * np.linspace(0, 1, 12))
        pts = np.stack([xs, ys], 1).astype(np.int32)
        cv2.polylines(img, [pts], False, _colour(rng, 0, 90), int(rng.integers(1, 4)),
                      cv2.LINE_AA)


def _desk(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a desk with a monitor on it."""
    h, w = img.shape[:2]
    x0, y0, x1, _ = _box(rng, w, h, (0.3, 0.6), (0.1, 0.2))
    top = int(h * rng.uniform(0.3, 0.55))
    desk = _colour(rng, 60, 220)
    cv2.rectangle(img, (x0, top), (x1, top + 5), desk, -1)
    for x in (x0 + 3, x1 - 7):
        cv2.rectangle(img, (x, top), (x + 4, h), _shade(desk, 0.7), -1)
    mw = int((x1 - x0) * rng.uniform(0.3, 0.5))
    mx = int(rng.integers(x0, max(x0 + 1, x1 - mw)))
    mh = int(mw * rng.uniform(0.55, 0.7))
    stand = (40, 40, 40)
    cv2.rectangle(img, (mx + mw // 2 - 2, top - mh // 4), (mx + mw // 2 + 2, top), stand, -1)
    cv2.rectangle(img, (mx, top - mh // 4 - mh), (mx + mw, top - mh // 4), (25, 25, 30), -1)
    cv2.rectangle(img, (mx + 3, top - mh // 4 - mh + 3), (mx + mw - 3, top - mh // 4 - 3),
                  _colour(rng, 40, 200), -1)


def _blinds(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a window behind venetian blinds."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = _box(rng, w, h, (0.25, 0.5), (0.25, 0.5))
    slat = _colour(rng, 150, 250)
    cv2.rectangle(img, (x0, y0), (x1, y1), (235, 240, 250), -1)
    step = int(rng.integers(4, 9))
    for y in range(y0, y1, step):
        cv2.rectangle(img, (x0, y), (x1, y + step - 2), slat, -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), _shade(slat, 0.7), 2)


def _whiteboard(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a whiteboard with scribbles."""
    h, w = img.shape[:2]
    x0, y0, x1, y1 = _box(rng, w, h, (0.25, 0.5), (0.15, 0.3))
    cv2.rectangle(img, (x0 - 3, y0 - 3), (x1 + 3, y1 + 3), (150, 150, 155), -1)
    cv2.rectangle(img, (x0, y0), (x1, y1), (240, 242, 240), -1)
    ink = _colour(rng, 0, 200)
    for _ in range(int(rng.integers(3, 9))):
        xs = np.cumsum(rng.uniform(2, 8, 10)) + x0 + rng.uniform(0, max(1, x1 - x0 - 60))
        ys = y0 + rng.uniform(0.1, 0.9) * (y1 - y0) + rng.uniform(-3, 3, 10)
        cv2.polylines(img, [np.stack([xs, ys], 1).astype(np.int32)], False, ink, 1, cv2.LINE_AA)


def _cabinet(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a filing cabinet (a tall block with drawers)."""
    h, w = img.shape[:2]
    x0, y0, x1, _ = _box(rng, w, h, (0.1, 0.22), (0.4, 0.7))
    colour = _colour(rng, 80, 220)
    cv2.rectangle(img, (x0, y0), (x1, h), colour, -1)
    drawers = int(rng.integers(3, 6))
    step = max(6, (h - y0) // drawers)
    for y in range(y0 + step, h, step):
        cv2.line(img, (x0, y), (x1, y), _shade(colour, 0.6), 2)
        cv2.rectangle(img, ((x0 + x1) // 2 - 5, y - step // 2 - 1),
                      ((x0 + x1) // 2 + 5, y - step // 2 + 1), _shade(colour, 0.4), -1)


def _plant(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a potted plant, leaves of any green-to-olive shade."""
    h, w = img.shape[:2]
    x, base = int(rng.integers(w)), int(h * rng.uniform(0.35, 0.6))
    pot = _colour(rng, 60, 220)
    size = int(h * rng.uniform(0.08, 0.2))
    cv2.rectangle(img, (x - size // 3, base - size // 2), (x + size // 3, base), pot, -1)
    leaf = (int(rng.integers(30, 110)), int(rng.integers(90, 170)), int(rng.integers(20, 90)))
    for _ in range(int(rng.integers(5, 12))):
        angle = rng.uniform(-160, -20)
        length = size * rng.uniform(0.6, 1.4)
        cx = int(x + 0.5 * length * np.cos(np.radians(angle)))
        cy = int(base - size // 2 + 0.5 * length * np.sin(np.radians(angle)))
        cv2.ellipse(img, (cx, cy), (max(2, int(length / 2)), max(1, int(length / 6))), angle,
                    0, 360, _shade(leaf, rng.uniform(0.7, 1.2)), -1, cv2.LINE_AA)


def _clock(img: np.ndarray, rng: np.random.Generator) -> None:
    """Held out: a wall clock."""
    h, w = img.shape[:2]
    r = int(h * rng.uniform(0.04, 0.09))
    c = (int(rng.integers(w)), int(rng.integers(int(0.5 * h))))
    cv2.circle(img, c, r + 2, _colour(rng, 0, 120), -1, cv2.LINE_AA)
    cv2.circle(img, c, r, (235, 235, 225), -1, cv2.LINE_AA)
    for angle in rng.uniform(0, 2 * np.pi, 2):
        tip = (int(c[0] + 0.8 * r * np.cos(angle)), int(c[1] + 0.8 * r * np.sin(angle)))
        cv2.line(img, c, tip, (20, 20, 20), 1, cv2.LINE_AA)


_ROOM: tuple[tuple[Item, float], ...] = (
    (_shelf, 0.5), (_poster, 1.2), (_doorway, 0.4), (_window, 0.4), (_cables, 0.4),
    (_pole, 0.5), (_coat, 0.4), (_skin_blob, 0.8),
)
_OFFICE: tuple[tuple[Item, float], ...] = (
    (_desk, 0.6), (_blinds, 0.4), (_whiteboard, 0.4), (_cabinet, 0.5), (_plant, 0.6),
    (_clock, 0.4), (_pole, 0.3), (_skin_blob, 0.6),
)
TRAIN_CLUTTER: dict[str, tuple[tuple[Item, float], ...]] = {'room': _ROOM}
HELD_OUT_CLUTTER: dict[str, tuple[tuple[Item, float], ...]] = {'office': _OFFICE}


def draw_clutter(img: np.ndarray, family: str, seed: int) -> None:
    """Draw 2-7 items of a room family into ``img`` (``(h, w, 3)`` uint8 RGB, in place).

    Args:
        img: the wall, drawn into.
        family: a key of ``TRAIN_CLUTTER`` or ``HELD_OUT_CLUTTER``.
        seed: selects the items, their places and colours.

    Raises:
        ValueError: for an unknown family.
    """
    items = TRAIN_CLUTTER.get(family) or HELD_OUT_CLUTTER.get(family)
    if items is None:
        raise ValueError(f'unknown clutter family {family!r}; expected one of '
                         f'{tuple(TRAIN_CLUTTER) + tuple(HELD_OUT_CLUTTER)}')
    rng = np.random.default_rng(seed)
    weights = np.array([weight for _, weight in items])
    for index in rng.choice(len(items), int(rng.integers(2, 8)), p=weights / weights.sum()):
        items[int(index)][0](img, rng)
