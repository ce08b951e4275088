# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Drawing tabletop objects and people into a colour image and a label image at once.

Every shape is drawn twice with the same geometry: shaded and anti-aliased into the RGB
frame, flat into a ``uint8`` label image with the thing's id. Boxes are then read from the
label image after occlusion and camera motion, so they always match what is visible.

Coordinates are pixels (floats); drawing uses OpenCV's fixed-point ``shift`` for sub-pixel
placement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from multimodal_fusion.sim.vocab import SHAPES

_SHIFT = 4
_ONE = 1 << _SHIFT
# Height of each shape's silhouette relative to its width.
ASPECT: dict[str, float] = {'cube': 0.96, 'ball': 1.0, 'cylinder': 1.1, 'cone': 1.15,
                            'ring': 1.0}


def _pts(points) -> np.ndarray:
    return np.round(np.asarray(points, dtype=np.float64) * _ONE).astype(np.int32)


def _c(color: np.ndarray, gain: float, lift: float = 0.0) -> tuple[int, int, int]:
    value = np.clip(color * gain + lift, 0, 255)
    return int(value[0]), int(value[1]), int(value[2])


def _poly(img: np.ndarray, label: np.ndarray, ident: int, points, color) -> None:
    pts = [_pts(points)]
    cv2.fillPoly(img, pts, color, cv2.LINE_AA, _SHIFT)
    cv2.fillPoly(label, pts, ident, cv2.LINE_8, _SHIFT)


def _ellipse(img: np.ndarray, label: np.ndarray, ident: int, centre, axes, color,
             thickness: int = -1) -> None:
    c = tuple(int(v) for v in np.round(np.asarray(centre) * _ONE))
    a = tuple(max(1, int(v)) for v in np.round(np.asarray(axes) * _ONE))
    cv2.ellipse(img, c, a, 0, 0, 360, color, thickness, cv2.LINE_AA, _SHIFT)
    if label is not None:
        cv2.ellipse(label, c, a, 0, 0, 360, ident, thickness, cv2.LINE_8, _SHIFT)


def object_size(shape: str, width: float) -> tuple[float, float]:
    """(width, height) in pixels of a shape drawn ``width`` pixels wide."""
    return width, ASPECT[shape] * width


def draw_shadow(img: np.ndarray, x: float, y: float, width: float) -> None:
    """Darken the table under an object (a soft contact shadow)."""
    h, w = img.shape[:2]
    rx, ry = 0.6 * width, 0.12 * width
    x0, x1 = int(max(0, x - rx - 2)), int(min(w, x + rx + 3))
    y0, y1 = int(max(0, y - ry - 2)), int(min(h, y + ry + 3))
    if x1 <= x0 or y1 <= y0:
        return
    mask = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    _ellipse(mask, None, 0, (x - x0, y - y0), (rx, ry), 255)
    roi = img[y0:y1, x0:x1]
    roi[mask > 0] = (roi[mask > 0] * 0.6).astype(np.uint8)


def draw_object(img: np.ndarray, label: np.ndarray, ident: int, shape: str, x: float,
                y: float, width: float, color: np.ndarray) -> None:
    """Draw a shaded object standing on the table.

    Args:
        img: ``(h, w, 3)`` uint8 RGB, drawn into.
        label: ``(h, w)`` uint8 label image, drawn into with ``ident``.
        ident: label id of this object.
        shape: one of ``SHAPES``.
        x: centre x of the object's footprint in pixels.
        y: y of its base (where it touches the table) in pixels.
        width: silhouette width in pixels.
        color: ``(3,)`` float RGB base colour.
    """
    if shape not in SHAPES:
        raise ValueError(f'unknown shape {shape!r}; expected one of {SHAPES}')
    w = width
    if shape == 'cube':
        side, dx, dy = 0.78 * w, 0.22 * w, 0.18 * w
        left, bottom = x - w / 2, y
        right, top = left + side, bottom - side
        _poly(img, label, ident, [(left, bottom), (right, bottom), (right, top), (left, top)],
              _c(color, 0.85))
        _poly(img, label, ident, [(left, top), (right, top), (right + dx, top - dy),
                                  (left + dx, top - dy)], _c(color, 1.1, 25))
        _poly(img, label, ident, [(right, top), (right + dx, top - dy),
                                  (right + dx, bottom - dy), (right, bottom)], _c(color, 0.6))
    elif shape == 'ball':
        r = w / 2
        cy = y - r
        _ellipse(img, label, ident, (x, cy), (r, r), _c(color, 0.7))
        _ellipse(img, None, 0, (x - 0.12 * r, cy - 0.12 * r), (0.78 * r, 0.78 * r),
                 _c(color, 0.95))
        _ellipse(img, None, 0, (x - 0.35 * r, cy - 0.38 * r), (0.22 * r, 0.2 * r),
                 _c(color, 1.15, 60))
    elif shape == 'cylinder':
        height, e = ASPECT['cylinder'] * w, 0.14 * w
        top, bottom = y - height + e, y - e
        _ellipse(img, label, ident, (x, bottom), (w / 2, e), _c(color, 0.7))
        _poly(img, label, ident, [(x - w / 2, bottom), (x + w / 2, bottom), (x + w / 2, top),
                                  (x - w / 2, top)], _c(color, 0.75))
        _poly(img, None, 0, [(x - 0.3 * w, bottom + 0.7 * e), (x + 0.05 * w, bottom + 0.9 * e),
                             (x + 0.05 * w, top), (x - 0.3 * w, top)], _c(color, 0.98))
        _ellipse(img, label, ident, (x, top), (w / 2, e), _c(color, 1.1, 25))
    elif shape == 'cone':
        height, e = ASPECT['cone'] * w, 0.12 * w
        apex, base = (x, y - height), y - e
        _ellipse(img, label, ident, (x, base), (w / 2, e), _c(color, 0.7))
        _poly(img, label, ident, [apex, (x - w / 2, base), (x + w / 2, base)], _c(color, 0.72))
        _poly(img, None, 0, [apex, (x - w / 2, base), (x - 0.05 * w, base + 0.9 * e)],
              _c(color, 1.0, 10))
    else:
        r, thick = w / 2, 0.3 * w
        cy = y - r
        mid = r - thick / 2
        ring = int(round(thick))
        _ellipse(img, label, ident, (x, cy), (mid, mid), _c(color, 0.7), max(1, ring))
        _ellipse(img, None, 0, (x - 0.05 * w, cy - 0.05 * w), (mid, mid), _c(color, 1.0, 15),
                 max(1, int(round(0.45 * thick))))


# Arm poses: 'reach' is the hand-over (foreshortened towards the camera); 'crossed' takes
# both arms; the others take the ``arm`` given and let the other arm hang.
PERSON_POSES: tuple[str, ...] = ('down', 'reach', 'point', 'wave', 'hips', 'crossed', 'phone')
FACINGS: tuple[str, ...] = ('front', 'side', 'back')
HAIR_STYLES: tuple[str, ...] = ('short', 'long', 'bald', 'hat')
SKIN_TONES: tuple[tuple[int, int, int], ...] = (
    (255, 219, 190), (241, 194, 160), (224, 172, 125), (198, 134, 90), (170, 110, 75),
    (141, 85, 54), (110, 70, 45), (80, 52, 36),
)


@dataclass(frozen=True)
class PersonLook:
    """How a person looks.

    Attributes:
        skin: skin RGB.
        shirt: shirt RGB.
        trousers: trousers RGB.
        hair: hair RGB (also the hat's colour for ``'hat'``).
        hair_style: one of ``HAIR_STYLES``.
        stripes: RGB of horizontal shirt stripes, or ``None`` for a plain shirt.
        long_sleeves: sleeves down to the wrists (else the forearms show skin).
        build: shoulder width relative to the average (0.8-1.25).
        head: head size relative to the average (0.9-1.15).
    """

    skin: tuple[int, int, int]
    shirt: tuple[int, int, int]
    trousers: tuple[int, int, int]
    hair: tuple[int, int, int]
    hair_style: str = 'short'
    stripes: Optional[tuple[int, int, int]] = None
    long_sleeves: bool = False
    build: float = 1.0
    head: float = 1.0


def _limb(img: np.ndarray, label: np.ndarray, ident: int, a, b, thickness: float,
          color) -> None:
    pa = tuple(int(v) for v in np.round(np.asarray(a) * _ONE))
    pb = tuple(int(v) for v in np.round(np.asarray(b) * _ONE))
    t = max(1, int(round(thickness)))
    cv2.line(img, pa, pb, color, t, cv2.LINE_AA, _SHIFT)
    cv2.line(label, pa, pb, ident, t, cv2.LINE_8, _SHIFT)


def _arm(pose: str, sign: float, cx: float, sx: float, sy: float, top: float, h: float,
         head_r: float, waist_y: float) -> tuple[tuple[float, float], tuple[float, float], float]:
    """(elbow, hand, hand radius) of one arm; ``sign`` -1 on the image's left."""
    hand_r = 0.028 * h
    if pose == 'reach':
        # Foreshortened towards the camera: short, low and a large hand.
        return (sx + sign * 0.01 * h, sy + 0.13 * h), (cx + sign * 0.05 * h, sy + 0.22 * h), \
            0.045 * h
    if pose == 'point':
        return (sx + sign * 0.14 * h, sy + 0.05 * h), (sx + sign * 0.3 * h, sy + 0.03 * h), hand_r
    if pose == 'wave':
        return (sx + sign * 0.12 * h, sy + 0.02 * h), (sx + sign * 0.15 * h, sy - 0.15 * h), hand_r
    if pose == 'hips':
        return (sx + sign * 0.09 * h, sy + 0.15 * h), (cx + sign * 0.1 * h, waist_y), hand_r
    if pose == 'crossed':
        return (sx + sign * 0.01 * h, sy + 0.18 * h), (cx - sign * 0.07 * h, sy + 0.14 * h), hand_r
    if pose == 'phone':
        return (sx + sign * 0.03 * h, sy + 0.16 * h), (cx + sign * 0.06 * h, top + 1.3 * head_r), \
            hand_r
    return (sx + sign * 0.025 * h, sy + 0.17 * h), (sx + sign * 0.035 * h, sy + 0.33 * h), hand_r


def draw_person(img: np.ndarray, label: np.ndarray, ident: int, cx: float, top: float,
                height: float, pose: str, arm: int, look: PersonLook, facing: str = 'front',
                chair: Optional[tuple[int, int, int]] = None) -> None:
    """Draw a person seen from the front, the side or the back.

    Args:
        img: RGB image drawn into.
        label: label image drawn into with ``ident``.
        ident: label id of the person.
        cx: centre x in pixels.
        top: y of the top of the head in pixels.
        height: body height in pixels (head to feet; a seated person's legs are hidden by
            the table, so seated is standing drawn lower).
        pose: one of ``PERSON_POSES``; the posed arm is ``arm`` (0 the person's right, on
            the image's left; 1 the other), the other arm hangs (both cross for
            ``'crossed'``).
        arm: which arm takes the pose.
        look: colours, hair, build.
        facing: one of ``FACINGS``.
        chair: RGB of a chair back behind a seated person (not labelled), or ``None``.
    """
    if pose not in PERSON_POSES:
        raise ValueError(f'unknown pose {pose!r}; expected one of {PERSON_POSES}')
    if facing not in FACINGS:
        raise ValueError(f'unknown facing {facing!r}; expected one of {FACINGS}')
    h = height
    width = look.build * (0.62 if facing == 'side' else 1.0)
    head_r = 0.065 * h * look.head
    shoulder_y, waist_y = top + 0.15 * h, top + 0.5 * h
    if chair is not None:
        back = [(cx - 0.17 * h, shoulder_y + 0.04 * h), (cx + 0.17 * h, shoulder_y + 0.04 * h),
                (cx + 0.17 * h, waist_y + 0.25 * h), (cx - 0.17 * h, waist_y + 0.25 * h)]
        cv2.fillPoly(img, [_pts(back)], chair, cv2.LINE_AA, _SHIFT)
    if look.hair_style == 'long' and facing != 'front':
        _poly(img, label, ident, [(cx - 0.08 * h * look.head, top + head_r),
                                  (cx + 0.08 * h * look.head, top + head_r),
                                  (cx + 0.085 * h * look.head, shoulder_y + 0.08 * h),
                                  (cx - 0.085 * h * look.head, shoulder_y + 0.08 * h)], look.hair)
    for sign in (-1.0, 1.0):
        _poly(img, label, ident, [(cx + sign * 0.045 * h * width, waist_y),
                                  (cx + sign * 0.085 * h * width, top + h),
                                  (cx + sign * 0.01 * h, top + h), (cx, waist_y + 0.05 * h)],
              look.trousers)
    corners = [(cx - 0.12 * h * width, shoulder_y), (cx + 0.12 * h * width, shoulder_y),
               (cx + 0.095 * h * width, waist_y + 0.02 * h),
               (cx - 0.095 * h * width, waist_y + 0.02 * h)]
    _poly(img, label, ident, corners, look.shirt)
    if look.stripes is not None:
        # Horizontal stripes inside the torso's trapezoid.
        step = max(3.0, 0.045 * h)
        y = shoulder_y + 0.5 * step
        while y + 0.4 * step < waist_y:
            f0 = (y - shoulder_y) / (waist_y + 0.02 * h - shoulder_y)
            f1 = (y + 0.4 * step - shoulder_y) / (waist_y + 0.02 * h - shoulder_y)
            half0 = (0.12 - 0.025 * f0) * h * width
            half1 = (0.12 - 0.025 * f1) * h * width
            band = [(cx - half0, y), (cx + half0, y), (cx + half1, y + 0.4 * step),
                    (cx - half1, y + 0.4 * step)]
            cv2.fillPoly(img, [_pts(band)], look.stripes, cv2.LINE_AA, _SHIFT)
            y += step
    if look.hair_style == 'long' and facing == 'front':
        for sign in (-1.0, 1.0):
            _limb(img, label, ident, (cx + sign * 0.75 * head_r, top + head_r),
                  (cx + sign * 0.8 * head_r, shoulder_y + 0.06 * h), 0.5 * head_r, look.hair)
    _limb(img, label, ident, (cx, top + 0.1 * h), (cx, shoulder_y), 0.05 * h, look.skin)
    _ellipse(img, label, ident, (cx, top + head_r), (head_r * 0.9, head_r), look.skin)
    if facing == 'back':
        if look.hair_style != 'bald':
            _ellipse(img, label, ident, (cx, top + 0.9 * head_r),
                     (head_r * 0.92, head_r * 0.95), look.hair)
    elif look.hair_style != 'bald':
        _ellipse(img, label, ident, (cx, top + 0.6 * head_r), (head_r * 0.95, head_r * 0.65),
                 look.hair)
        face_x = cx + (0.25 * head_r if facing == 'side' else 0.0)
        _ellipse(img, label, ident, (face_x, top + 1.15 * head_r),
                 (head_r * 0.8, head_r * 0.75), look.skin)
    if facing != 'back' and head_r >= 4.0:
        # Eyes (one in profile), inside the labelled head.
        eye = tuple(int(v * 0.35) for v in look.skin)
        for dx in ((0.55,) if facing == 'side' else (-0.32, 0.32)):
            _ellipse(img, None, 0, (cx + dx * head_r, top + 1.05 * head_r),
                     (0.1 * head_r, 0.08 * head_r), eye)
    if facing == 'side':
        # A nose in profile, towards the image's right.
        _ellipse(img, label, ident, (cx + 0.9 * head_r, top + 1.1 * head_r),
                 (0.18 * head_r, 0.14 * head_r), look.skin)
    if look.hair_style == 'hat':
        _poly(img, label, ident, [(cx - 0.85 * head_r, top + 0.45 * head_r),
                                  (cx + 0.85 * head_r, top + 0.45 * head_r),
                                  (cx + 0.7 * head_r, top - 0.35 * head_r),
                                  (cx - 0.7 * head_r, top - 0.35 * head_r)], look.hair)
        _limb(img, label, ident, (cx - 1.15 * head_r, top + 0.45 * head_r),
              (cx + 1.15 * head_r, top + 0.45 * head_r), 0.22 * head_r, look.hair)
    sides = (1,) if facing == 'side' else (0, 1)
    for side in sides:
        sign = -1.0 if side == 0 else 1.0
        sx, sy = cx + sign * 0.115 * h * width, shoulder_y + 0.015 * h
        this_pose = pose if (side == arm or pose == 'crossed' or facing == 'side') else 'down'
        elbow, hand, hand_r = _arm(this_pose, sign, cx, sx, sy, top, h, head_r, waist_y)
        _limb(img, label, ident, (sx, sy), elbow, 0.06 * h, look.shirt)
        _limb(img, label, ident, elbow, hand, 0.05 * h,
              look.shirt if look.long_sleeves else look.skin)
        _ellipse(img, label, ident, hand, (hand_r, hand_r), look.skin)
