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
from multimodal_fusion.sim.speech import object_phrase
from multimodal_fusion.sim.speech import POSITION_FORMS
from multimodal_fusion.sim.speech import RELATION_FORMS
from multimodal_fusion.sim.speech import words
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

CUBE, BALL, RING = SHAPES.index('cube'), SHAPES.index('ball'), SHAPES.index('ring')
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


@pytest.mark.parametrize('relations', [False, True])
def test_generated_references_pick_exactly_the_target(relations):
    rng = np.random.default_rng(0)
    positional = 0
    for _ in range(3000):
        count = int(rng.integers(2, 7))
        scene = sample_referring_scene(rng, count, relations=relations)
        assert relations or scene.reference.relation is None
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


def test_a_relation_keeps_the_candidates_on_its_side_of_the_anchor():
    # Red cubes at 0.1 and 0.9, a green ball at 0.5, a blue ball at 0.95, a red ring at 0.3.
    green = COLORS.index('green')
    objects = [ObjectAttributes(CUBE, RED, SMALL), ObjectAttributes(BALL, green, SMALL),
               ObjectAttributes(CUBE, RED, LARGE), ObjectAttributes(BALL, BLUE, LARGE),
               ObjectAttributes(RING, RED, SMALL)]
    xs = [0.1, 0.5, 0.9, 0.95, 0.3]
    left_of_green = Reference(CUBE, relation='left_of', anchor_shape=BALL, anchor_color=green)
    right_of_green = Reference(CUBE, relation='right_of', anchor_shape=BALL,
                               anchor_color=green)
    assert resolve(left_of_green, objects, xs) == [0]
    assert resolve(right_of_green, objects, xs) == [2]
    # 'the cube left of the ball': either ball will do, and both cubes lie left of the blue one.
    assert resolve(Reference(CUBE, relation='left_of', anchor_shape=BALL), objects, xs) == [0, 2]
    # The colour word alone: the red ring is a candidate too.
    assert resolve(Reference(color=RED, relation='left_of', anchor_shape=BALL,
                             anchor_color=green), objects, xs) == [0, 4]
    assert left_of_green.phrase() == 'cube left of the green ball'
    assert left_of_green.word_indices() == (CUBE, -1, -1, -1, 0, BALL, green)
    assert Reference(CUBE, RED, position='middle').word_indices() == (CUBE, RED, -1, 1, -1, -1, -1)


@pytest.mark.parametrize('words_, message', [
    ({'relation': 'above', 'anchor_shape': BALL}, 'unknown relation'),
    ({'relation': 'left_of'}, "anchor's shape"),
    ({'relation': 'left_of', 'anchor_shape': BALL, 'position': 'left'}, 'not both'),
    ({'anchor_shape': BALL}, 'without a relation'),
])
def test_a_relation_needs_its_anchor_and_no_position(words_, message):
    with pytest.raises(ValueError, match=message):
        Reference(CUBE, **words_)


def test_generated_relations_have_one_anchor_and_the_twins_beyond_it():
    rng = np.random.default_rng(1)
    relations = {'left_of': 0, 'right_of': 0}
    with_twin = 0
    for _ in range(3000):
        scene = sample_referring_scene(rng, int(rng.integers(3, 7)), relations=True)
        reference = scene.reference
        if reference.relation is None:
            continue
        relations[reference.relation] += 1
        anchors = [i for i, obj in enumerate(scene.objects) if reference.is_anchor(obj)]
        assert len(anchors) == 1 and anchors[0] in scene.left_to_right
        assert not reference.matches(scene.objects[anchors[0]])
        # Laid out in the order asked, the target is the one candidate on its side.
        xs = np.zeros(len(scene.objects))
        xs[list(scene.left_to_right)] = np.arange(len(scene.left_to_right)) + 1.0
        candidates = resolve(Reference(reference.shape, reference.color, reference.size),
                             scene.objects, xs)
        with_twin += len(candidates) > 1
        assert resolve(reference, scene.objects, xs) == [scene.target]
        # Moving the anchor to the far side leaves the reference picking nothing.
        xs[anchors[0]] = -1.0 if reference.relation == 'left_of' else 99.0
        assert resolve(reference, scene.objects, xs) == []
    assert min(relations.values()) > 100 and with_twin > 100
    with pytest.raises(ValueError, match='at least 2'):
        sample_referring_scene(rng, 1)
    # Two objects leave no room for target, anchor and twin: no relation is said.
    assert all(sample_referring_scene(rng, 2, relations=True).reference.relation is None
               for _ in range(300))


@pytest.mark.parametrize('pool', POOLS)
def test_relation_phrasings_name_the_anchor_in_the_pool_s_words(pool):
    rng = np.random.default_rng(3)
    reference = Reference(CUBE, RED, relation='right_of', anchor_shape=BALL,
                          anchor_color=BLUE)
    for _ in range(20):
        phrase = object_phrase(rng, reference, 0, pool)
        assert 'right' in words(phrase) and 'left' not in words(phrase)
    other = 'train' if pool == 'held_out' else 'held_out'
    for relation, forms in RELATION_FORMS[pool].items():
        assert not set(forms) & set(RELATION_FORMS[other][relation])
