# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Label balance over a few hundred samples."""

import collections

import numpy as np

from multimodal_fusion.sim import ACTIONS
from multimodal_fusion.sim import COLORS
from multimodal_fusion.sim import OBJECT_CLASSES
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.sim import SIZES
from multimodal_fusion.sim.vocab import PERSON_CLASS


def test_every_situation_is_equally_frequent(samples):
    counts = collections.Counter(s.truth.situation for s in samples)
    assert sorted(counts) == list(range(len(SITUATIONS)))
    assert len(set(counts.values())) == 1


def test_actions_classes_and_attributes_all_occur(samples):
    actions = collections.Counter(s.truth.action for s in samples)
    print('actions:', {ACTIONS[k]: v for k, v in sorted(actions.items())})
    assert set(actions) == set(range(len(ACTIONS)))
    # Every command action is represented, 'none' is the most common.
    assert min(v for k, v in actions.items() if k) >= 5
    assert actions[0] == max(actions.values())
    classes = collections.Counter(int(c) for s in samples for c in s.truth.classes)
    print('classes:', {OBJECT_CLASSES[k]: v for k, v in sorted(classes.items())})
    assert set(classes) == set(range(len(OBJECT_CLASSES)))
    shapes = [v for k, v in classes.items() if k != PERSON_CLASS]
    assert max(shapes) < 1.5 * min(shapes)
    colors = np.concatenate([s.truth.colors for s in samples])
    sizes = np.concatenate([s.truth.sizes for s in samples])
    assert set(colors[colors >= 0].tolist()) == set(range(len(COLORS)))
    assert set(sizes[sizes >= 0].tolist()) == set(range(len(SIZES)))


def test_text_and_grounding_are_common_but_not_everywhere(samples):
    with_text = sum(s.frames.text is not None for s in samples)
    grounded = sum(s.truth.target >= 0 for s in samples)
    assert 0.2 * len(samples) < with_text < 0.6 * len(samples)
    assert grounded > 0.1 * len(samples)
    # Text appears in several situations, so text presence alone is no situation label.
    situations_with_text = {s.truth.situation for s in samples if s.frames.text is not None}
    assert len(situations_with_text) >= 8
