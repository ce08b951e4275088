# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from multimodal_fusion.sim.config import POOLS
from multimodal_fusion.sim.referring import ObjectAttributes
from multimodal_fusion.sim.referring import ordinal_position
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.referring import resolve
from multimodal_fusion.sim.referring import resolve_boxes
from multimodal_fusion.sim.referring import sample_referring_scene
from multimodal_fusion.sim.speech import POSITION_FORMS
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

CUBE, BALL = SHAPES.index('cube'), SHAPES.index('ball')
RED, BLUE = COLORS.index('red'), COLORS.index('blue')
SMALL, LARGE = SIZES.index('small'), SIZES.index('large')


def test_resolve_boxes_reads_ground_truth_arrays_and_skips_people():
    # A red cube at x 10-20, a person (class 5, no colour or size) at 0-8, a red cube at 30-40.
    classes, colors, sizes = [CUBE, 5, CUBE], [RED, -1, RED], [SMALL, -1, LARGE]
    boxes = np.array([[10, 0, 20, 5], [0, 0, 8, 20], [30, 0, 40, 5]], np.float32)
    assert resolve_boxes(Reference(CUBE, RED, position='left'), classes, colors, sizes,
                         boxes) == [0]
    assert resolve_boxes(Reference(color=RED, position='right'), classes, colors, sizes,
                         boxes) == [2]
    assert resolve_boxes(Reference(CUBE), classes, colors, sizes, boxes) == [0, 2]


def test_phrase_orders_size_colour_shape_position():
    assert Reference(CUBE, RED, SMALL, 'left').phrase() == 'small red cube on the left'
    assert Reference(color=BLUE).phrase() == 'blue one'
    with pytest.raises(ValueError, match='shape or a colour'):
        Reference(size=SMALL)


def test_resolve_uses_relative_positions_among_matching_objects():
    objects = [ObjectAttributes(CUBE, RED, SMALL), ObjectAttributes(CUBE, RED, LARGE),
               ObjectAttributes(BALL, RED, SMALL), None]
    xs = [0.7, 0.2, 0.1, 0.5]
    assert resolve(Reference(CUBE, RED), objects, xs) == [0, 1]
    assert resolve(Reference(CUBE, RED, position='left'), objects, xs) == [1]
    assert resolve(Reference(CUBE, RED, position='right'), objects, xs) == [0]
    assert resolve(Reference(CUBE, RED, SMALL), objects, xs) == [0]
    assert resolve(Reference(color=RED, position='middle'), objects, xs) == [1]
    assert resolve(Reference(CUBE, RED, position='middle'), objects, xs) == []


def test_generated_references_pick_exactly_the_target():
    rng = np.random.default_rng(0)
    positional = 0
    for _ in range(3000):
        count = int(rng.integers(2, 7))
        scene = sample_referring_scene(rng, count)
        assert len(scene.objects) == count
        xs = rng.uniform(0, 1, count)
        if scene.left_to_right:
            positional += 1
            xs[list(scene.left_to_right)] = np.sort(rng.uniform(0, 1, len(scene.left_to_right)))
        assert resolve(scene.reference, scene.objects, xs) == [scene.target]
    assert positional > 500


def test_every_position_phrasing_means_what_resolve_picks():
    # 'the rank-th from side' among n identical candidates is the object resolve picks for
    # the position word ordinal_position gives, whatever the layout.
    rng = np.random.default_rng(4)
    for pool in POOLS:
        for before, after, side, rank in POSITION_FORMS[pool]:
            for n in (2, 3):
                position = ordinal_position(side, rank, n)
                if position is None:
                    continue
                xs = rng.permutation(n) + rng.uniform(0.0, 0.5, n)
                ordered = list(np.argsort(xs))
                if side == 'middle':
                    meant = ordered[1]
                else:
                    meant = ordered[rank - 1] if side == 'left' else ordered[n - rank]
                objects = [ObjectAttributes(CUBE, RED, SMALL)] * n
                picked = resolve(Reference(CUBE, RED, position=position), objects, xs)
                assert picked == [meant], (before, after, n)
    assert ordinal_position('left', 2, 3) == 'middle'
    assert ordinal_position('right', 3, 3) == 'left'
    assert ordinal_position('left', 2, 2) == 'right'
    assert ordinal_position('middle', 1, 2) is None
    assert ordinal_position('left', 3, 2) is None
