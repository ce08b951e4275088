# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Real photographs behind the table, from scikit-image's offline sample images.

Photos are decoded and rescaled once per process (per zoom and output size) and a frame's
background is then a crop of the cached image, i.e. a slice instead of a resize.
"""

from __future__ import annotations

import functools

import cv2
import numpy as np

# Sample images without people in them, so that the only person a frame shows is the one
# the scenario put there (astronaut() and camera() are portraits and left out).
PHOTOS: tuple[str, ...] = (
    'chelsea', 'coffee', 'rocket', 'stereo_motorcycle', 'hubble_deep_field',
    'immunohistochemistry', 'colorwheel', 'retina', 'brick', 'grass', 'gravel', 'moon',
    'page', 'coins', 'clock', 'cell', 'text',
)
ZOOMS: tuple[float, ...] = (1.15, 1.6, 2.3)


@functools.lru_cache(maxsize=None)
def photo(name: str) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB sample image (grey ones replicated to three channels).

    Raises:
        ValueError: for a name not in ``PHOTOS``.
    """
    if name not in PHOTOS:
        raise ValueError(f'unknown photo {name!r}; expected one of {PHOTOS}')
    from skimage import data
    image = getattr(data, name)()
    if isinstance(image, tuple):
        image = image[0]
    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = (255 * (image.astype(np.float32) / max(float(image.max()), 1.0))).astype(np.uint8)
    if image.ndim == 2:
        image = np.repeat(image[:, :, None], 3, axis=2)
    image = np.ascontiguousarray(image[:, :, :3])
    image.flags.writeable = False
    return image


@functools.lru_cache(maxsize=128)
def _scaled(name: str, zoom_index: int, width: int, height: int) -> np.ndarray:
    image = photo(name)
    # Cover the frame, then magnify by the zoom so that crops show different parts.
    scale = ZOOMS[zoom_index] * max(width / image.shape[1], height / image.shape[0])
    size = (max(width, int(np.ceil(image.shape[1] * scale))),
            max(height, int(np.ceil(image.shape[0] * scale))))
    scaled = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    scaled.flags.writeable = False
    return scaled


def background(name: str, zoom_index: int, crop: tuple[float, float], flip: bool,
               width: int, height: int) -> np.ndarray:
    """A writable ``(height, width, 3)`` uint8 crop of a photo.

    Args:
        name: one of ``PHOTOS``.
        zoom_index: index into ``ZOOMS``.
        crop: (x, y) position of the crop in [0, 1] of the free range.
        flip: mirror horizontally.
        width: output width.
        height: output height.
    """
    scaled = _scaled(name, zoom_index, width, height)
    x0 = int(round(crop[0] * (scaled.shape[1] - width)))
    y0 = int(round(crop[1] * (scaled.shape[0] - height)))
    window = scaled[y0:y0 + height, x0:x0 + width]
    return np.ascontiguousarray(window[:, ::-1] if flip else window)
