# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What is behind the table: photos, procedural textures and indoor clutter.

A ``BackgroundPlan`` is drawn once per episode by ``sample_background`` from one of two
pools that are disjoint by construction (``SimConfig.pool('background')``):

* ``'train'``: 14 scikit-image photos, the texture families of
  ``textures.TRAIN_TEXTURES`` and the ``'room'`` clutter of ``clutter.TRAIN_CLUTTER``;
* ``'held_out'``: 5 other photos (two of them scikit-learn's), the families of
  ``textures.HELD_OUT_TEXTURES`` and the ``'office'`` clutter; training never draws them.

Photos are decoded and rescaled once per process (per zoom and output size) and cropped;
the finished background of the last few plans is cached, so an episode's 30 fps stream
draws its wall once.
"""

from __future__ import annotations

from dataclasses import dataclass
import functools
from typing import Sequence

import cv2
import numpy as np

from multimodal_fusion.sim.clutter import draw_clutter
from multimodal_fusion.sim.clutter import HELD_OUT_CLUTTER
from multimodal_fusion.sim.clutter import TRAIN_CLUTTER
from multimodal_fusion.sim.config import check_pool
from multimodal_fusion.sim.textures import HELD_OUT_TEXTURES
from multimodal_fusion.sim.textures import texture
from multimodal_fusion.sim.textures import TRAIN_TEXTURES

# Sample images without people in them, so that the only people a frame shows are the ones
# the scenario put there (astronaut() and camera() are portraits and left out; cat() is
# chelsea()). ``china`` and ``flower`` come with scikit-learn.
TRAIN_PHOTOS: tuple[str, ...] = (
    'chelsea', 'coffee', 'rocket', 'stereo_motorcycle', 'hubble_deep_field',
    'immunohistochemistry', 'colorwheel', 'retina', 'brick', 'grass', 'moon', 'page', 'cell',
    'text',
)
HELD_OUT_PHOTOS: tuple[str, ...] = ('china', 'flower', 'coins', 'clock', 'gravel')
PHOTOS: tuple[str, ...] = TRAIN_PHOTOS + HELD_OUT_PHOTOS
ZOOMS: tuple[float, ...] = (1.15, 1.6, 2.3)
_SKLEARN_PHOTOS = ('china', 'flower')
# Share of photos among backgrounds, and of clutter over a photo or a texture.
_PHOTO_SHARE = 0.35
_CLUTTER_ON_PHOTO = 0.15
_CLUTTER_ON_TEXTURE = 0.55
# Texture/clutter seeds: any pattern of a family (training sees many, never all).
_SEEDS = 1 << 20


@dataclass(frozen=True)
class BackgroundPlan:
    """An episode's background.

    Attributes:
        kind: ``'photo'`` or ``'texture'``.
        name: photo name (``PHOTOS``) or texture family.
        seed: texture pattern (unused for photos).
        palette: texture colours, dark to light (empty for photos).
        zoom: index into ``ZOOMS`` (photos).
        crop: (x, y) crop position in [0, 1] of the free range (photos).
        flip: mirror horizontally.
        clutter: clutter family drawn over the wall, or ``''``.
        clutter_seed: selects the clutter items.
    """

    kind: str
    name: str
    seed: int = 0
    palette: tuple[tuple[int, int, int], ...] = ()
    zoom: int = 0
    crop: tuple[float, float] = (0.5, 0.5)
    flip: bool = False
    clutter: str = ''
    clutter_seed: int = 0


def pool_contents(pool: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(photos, texture families, clutter families) of a pool.

    Raises:
        ValueError: for a pool not in ``sim.config.POOLS``.
    """
    if check_pool(pool, 'background') == 'train':
        return TRAIN_PHOTOS, tuple(TRAIN_TEXTURES), tuple(TRAIN_CLUTTER)
    return HELD_OUT_PHOTOS, tuple(HELD_OUT_TEXTURES), tuple(HELD_OUT_CLUTTER)


def _hsv_colour(rng: np.random.Generator, value: tuple[float, float]) -> tuple[int, int, int]:
    hsv = np.uint8([[[int(rng.integers(180)), int(rng.uniform(0, 255)),
                      int(rng.uniform(*value))]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def sample_palette(rng: np.random.Generator,
                   accents: Sequence[tuple[int, int, int]]) -> tuple[tuple[int, int, int], ...]:
    """Two or three colours of any hue, dark to light; sometimes one of ``accents``.

    ``accents`` are the tabletop objects' colours: walls in those colours make the model
    tell an object from a patch of its colour by shape and place.
    """
    count = 2 + int(rng.random() < 0.35)
    colours = [_hsv_colour(rng, (10, 150)), _hsv_colour(rng, (90, 255))]
    if count == 3:
        colours.insert(1, _hsv_colour(rng, (50, 220)))
    if accents and rng.random() < 0.25:
        accent = accents[int(rng.integers(len(accents)))]
        colours[int(rng.integers(len(colours)))] = tuple(int(v) for v in accent)
    return tuple(sorted(colours, key=lambda c: sum(c)))


def sample_background(rng: np.random.Generator, pool: str,
                      accents: Sequence[tuple[int, int, int]] = ()) -> BackgroundPlan:
    """A background from ``pool`` (``'train'`` or ``'held_out'``).

    Args:
        rng: the episode's generator.
        pool: which pool to draw from.
        accents: colours a texture palette sometimes takes (see ``sample_palette``).
    """
    photos, textures, clutters = pool_contents(pool)
    flip = bool(rng.random() < 0.5)
    if rng.random() < _PHOTO_SHARE:
        plan = BackgroundPlan(kind='photo', name=photos[int(rng.integers(len(photos)))],
                              zoom=int(rng.integers(len(ZOOMS))),
                              crop=(float(rng.random()), float(rng.random())), flip=flip)
        clutter_share = _CLUTTER_ON_PHOTO
    else:
        plan = BackgroundPlan(kind='texture', name=textures[int(rng.integers(len(textures)))],
                              seed=int(rng.integers(_SEEDS)),
                              palette=sample_palette(rng, accents), flip=flip)
        clutter_share = _CLUTTER_ON_TEXTURE
    if rng.random() < clutter_share:
        return BackgroundPlan(**{**plan.__dict__,
                                 'clutter': clutters[int(rng.integers(len(clutters)))],
                                 'clutter_seed': int(rng.integers(_SEEDS))})
    return plan


@functools.lru_cache(maxsize=None)
def photo(name: str) -> np.ndarray:
    """``(h, w, 3)`` uint8 RGB sample image (grey ones replicated to three channels).

    Raises:
        ValueError: for a name not in ``PHOTOS``.
    """
    if name not in PHOTOS:
        raise ValueError(f'unknown photo {name!r}; expected one of {PHOTOS}')
    if name in _SKLEARN_PHOTOS:
        from sklearn.datasets import load_sample_image
        image = load_sample_image(f'{name}.jpg')
    else:
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


def _photo_crop(plan: BackgroundPlan, width: int, height: int) -> np.ndarray:
    scaled = _scaled(plan.name, plan.zoom, width, height)
    x0 = int(round(plan.crop[0] * (scaled.shape[1] - width)))
    y0 = int(round(plan.crop[1] * (scaled.shape[0] - height)))
    return scaled[y0:y0 + height, x0:x0 + width]


@functools.lru_cache(maxsize=8)
def _background(plan: BackgroundPlan, width: int, height: int) -> np.ndarray:
    if plan.kind == 'photo':
        wall = _photo_crop(plan, width, height)
    elif plan.kind == 'texture':
        wall = texture(plan.name, plan.seed, plan.palette, width, height)
    else:
        raise ValueError(f'unknown background kind {plan.kind!r}; expected photo or texture')
    wall = np.array(wall[:, ::-1] if plan.flip else wall)
    if plan.clutter:
        draw_clutter(wall, plan.clutter, plan.clutter_seed)
    wall.flags.writeable = False
    return wall


def background(plan: BackgroundPlan, width: int, height: int) -> np.ndarray:
    """A writable ``(height, width, 3)`` uint8 RGB background.

    Args:
        plan: the episode's background.
        width: output width.
        height: output height.
    """
    return _background(plan, width, height).copy()
