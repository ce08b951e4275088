# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Ground truth is consistent with itself and with what the sample shows."""

import numpy as np

from multimodal_fusion.sim import ACTIONS
from multimodal_fusion.sim import COLORS
from multimodal_fusion.sim import OBJECT_CLASSES
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim import SIZES
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.referring import resolve_boxes
from multimodal_fusion.sim.speech import words
from multimodal_fusion.sim.vocab import NO_TARGET
from multimodal_fusion.sim.vocab import NO_TARGET_LOCATION
from multimodal_fusion.sim.vocab import PERSON_CLASS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS


def test_boxes_lie_inside_the_image_and_are_not_degenerate(samples):
    for sample in samples:
        h, w = sample.frames.camera.shape[:2]
        boxes = sample.truth.boxes
        assert boxes.dtype == np.float32 and boxes.ndim == 2 and boxes.shape[1] == 4
        assert np.all(boxes[:, 0] >= 0) and np.all(boxes[:, 1] >= 0)
        assert np.all(boxes[:, 2] <= w) and np.all(boxes[:, 3] <= h)
        assert np.all(boxes[:, 2] - boxes[:, 0] >= 3) and np.all(boxes[:, 3] - boxes[:, 1] >= 3)
        n = len(boxes)
        truth = sample.truth
        assert truth.classes.shape == truth.colors.shape == truth.sizes.shape == (n,)
        assert np.all((truth.classes >= 0) & (truth.classes < len(OBJECT_CLASSES)))
        # The person a situation is about, and rarely a bystander further back.
        assert (truth.classes == PERSON_CLASS).sum() <= 2
        things = truth.classes != PERSON_CLASS
        assert np.all(truth.colors[things] < len(COLORS)) and np.all(truth.colors[things] >= 0)
        assert np.all(truth.sizes[things] < len(SIZES)) and np.all(truth.sizes[things] >= 0)
        assert 2 <= things.sum() <= 6


def test_labels_are_in_range_and_follow_the_text_channel(samples):
    for sample in samples:
        truth = sample.truth
        assert 0 <= truth.situation < len(SITUATIONS)
        assert 0 <= truth.action < len(ACTIONS)
        if sample.frames.text is None:
            assert truth.action == 0 and truth.target == NO_TARGET
            assert truth.target_location == NO_TARGET_LOCATION
        else:
            assert truth.action != 0
        referring = ACTIONS[truth.action] in REFERRING_ACTIONS
        assert (truth.target != NO_TARGET) == referring
        assert (truth.expression is not None) == referring


def test_the_referred_object_matches_the_expression_and_is_unique(samples):
    checked = 0
    for sample in samples:
        truth = sample.truth
        if truth.target == NO_TARGET:
            continue
        checked += 1
        h, w = sample.frames.camera.shape[:2]
        box = truth.boxes[truth.target]
        assert truth.classes[truth.target] != PERSON_CLASS
        np.testing.assert_allclose(truth.target_location,
                                   ((box[0] + box[2]) / 2 / w, (box[1] + box[3]) / 2 / h),
                                   atol=1e-6)
        said = set(words(truth.expression.split(' of the ')[0]))  # the anchor's aside
        target_words = {OBJECT_CLASSES[truth.classes[truth.target]],
                        COLORS[truth.colors[truth.target]], SIZES[truth.sizes[truth.target]]}
        # Every attribute word said is one of the target's.
        for vocabulary in (OBJECT_CLASSES, COLORS, SIZES):
            for word in said & set(vocabulary):
                assert word in target_words, (truth.expression, target_words)
        # And the words pick exactly the target among all visible objects.
        reference = _parse(truth.expression)
        assert resolve_boxes(reference, truth.classes, truth.colors, truth.sizes,
                             truth.boxes) == [truth.target], truth.expression
    assert checked >= 40


def _parse(expression):
    """The Reference of ``Reference.phrase()``: '... on the left', '... left of the ball'."""
    own, _, anchor = expression.partition(' of the ')
    said = words(own)
    side = next((p for p in ('left', 'middle', 'right') if p in said), None)

    def index(vocabulary, phrase):
        hit = [w for w in phrase if w in vocabulary]
        return vocabulary.index(hit[0]) if hit else None
    words_ = {'shape': index(OBJECT_CLASSES[:-1], said), 'color': index(COLORS, said),
              'size': index(SIZES, said)}
    if not anchor:
        return Reference(position=side, **words_)
    return Reference(relation=f'{side}_of', anchor_shape=index(OBJECT_CLASSES[:-1], words(anchor)),
                     anchor_color=index(COLORS, words(anchor)), **words_)


def test_scenes_keep_distractors_that_share_words_with_the_target(samples):
    sharing = 0
    referred = 0
    for sample in samples:
        truth = sample.truth
        if truth.target == NO_TARGET:
            continue
        referred += 1
        t = truth.target
        for i in range(len(truth.classes)):
            if i != t and truth.classes[i] != PERSON_CLASS and (
                    truth.classes[i] == truth.classes[t] or truth.colors[i] == truth.colors[t]):
                sharing += 1
                break
    assert sharing >= 0.8 * referred


def test_person_box_appears_exactly_in_scenes_with_a_person(samples, episodes):
    for sample, episode in zip(samples, episodes):
        has_person = bool(np.any(sample.truth.classes == PERSON_CLASS))
        assert has_person == (episode.plan.scene.person is not None)
