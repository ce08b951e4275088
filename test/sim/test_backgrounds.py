# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Backgrounds: two pools disjoint by construction, every family renders, determinism."""

import numpy as np
import pytest

from multimodal_fusion.sim.backgrounds import background
from multimodal_fusion.sim.backgrounds import BackgroundPlan
from multimodal_fusion.sim.backgrounds import photo
from multimodal_fusion.sim.backgrounds import PHOTOS
from multimodal_fusion.sim.backgrounds import pool_contents
from multimodal_fusion.sim.backgrounds import sample_background
from multimodal_fusion.sim.clutter import draw_clutter
from multimodal_fusion.sim.clutter import HELD_OUT_CLUTTER
from multimodal_fusion.sim.clutter import TRAIN_CLUTTER
from multimodal_fusion.sim.textures import HELD_OUT_TEXTURES
from multimodal_fusion.sim.textures import texture
from multimodal_fusion.sim.textures import TRAIN_TEXTURES

PALETTE = ((20, 30, 60), (240, 200, 90))


def test_pools_are_disjoint_by_construction():
    train, held_out = pool_contents('train'), pool_contents('held_out')
    for a, b in zip(train, held_out):
        assert a and b and not set(a) & set(b)
    assert set(train[0]) | set(held_out[0]) == set(PHOTOS)
    assert not {'astronaut', 'camera', 'cat'} & set(PHOTOS)
    with pytest.raises(ValueError):
        pool_contents('test')


@pytest.mark.parametrize('pool', ['train', 'held_out'])
def test_sampled_backgrounds_stay_in_their_pool_and_vary(pool):
    photos, textures, clutters = pool_contents(pool)
    rng = np.random.default_rng(0)
    plans = [sample_background(rng, pool, ((205, 35, 35),)) for _ in range(400)]
    names = {p.name for p in plans}
    assert names <= set(photos) | set(textures)
    assert set(textures) <= names
    assert len(names & set(photos)) >= len(photos) - 1
    assert {p.clutter for p in plans} == set(clutters) | {''}
    assert {p.kind for p in plans} == {'photo', 'texture'}
    assert any((205, 35, 35) in p.palette for p in plans)


@pytest.mark.parametrize('name', PHOTOS)
def test_photos_load(name):
    image = photo(name)
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3
    assert min(image.shape[:2]) >= 150


@pytest.mark.parametrize('family', list(TRAIN_TEXTURES) + list(HELD_OUT_TEXTURES))
def test_textures_have_pattern_and_palette_colours(family):
    a = texture(family, 3, PALETTE, 320, 240)
    assert a.shape == (240, 320, 3) and a.dtype == np.uint8
    assert np.array_equal(a, texture(family, 3, PALETTE, 320, 240))
    assert not np.array_equal(a, texture(family, 4, PALETTE, 320, 240))
    assert a.reshape(-1, 3).std(axis=0).max() > 10.0
    # Colours lie between the palette's ends.
    assert np.all(a >= np.min(PALETTE, axis=0) - 1) and np.all(a <= np.max(PALETTE, axis=0) + 1)


def test_unknown_families_are_rejected():
    with pytest.raises(ValueError):
        texture('velvet', 0, PALETTE, 32, 24)
    with pytest.raises(ValueError):
        texture('clouds', 0, PALETTE[:1], 32, 24)
    with pytest.raises(ValueError):
        draw_clutter(np.zeros((24, 32, 3), np.uint8), 'garage', 0)


@pytest.mark.parametrize('family', list(TRAIN_CLUTTER) + list(HELD_OUT_CLUTTER))
def test_clutter_draws_deterministically(family):
    a = np.full((240, 320, 3), 128, np.uint8)
    b = a.copy()
    draw_clutter(a, family, 7)
    draw_clutter(b, family, 7)
    assert np.array_equal(a, b)
    assert np.count_nonzero(np.any(a != 128, axis=2)) > 500


def test_background_is_a_writable_copy_of_a_cached_wall():
    plan = BackgroundPlan(kind='texture', name='stripes', seed=1, palette=PALETTE,
                          clutter='room', clutter_seed=2)
    a = background(plan, 320, 240)
    a[:] = 0
    b = background(plan, 320, 240)
    assert b.flags.writeable and b.any()
    shot = BackgroundPlan(kind='photo', name='coffee', zoom=1, crop=(0.3, 0.7), flip=True)
    assert background(shot, 160, 120).shape == (120, 160, 3)
