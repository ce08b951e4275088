# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pytest

from multimodal_fusion.sim import vocab


@pytest.mark.parametrize('labels', [vocab.SITUATIONS, vocab.ACTIONS, vocab.OBJECT_CLASSES,
                                    vocab.COLORS, vocab.SIZES, vocab.SHAPES, vocab.POSITIONS])
def test_labels_are_unique(labels):
    assert len(set(labels)) == len(labels)


def test_priority_orders_every_situation_once():
    assert sorted(vocab.SITUATION_PRIORITY) == sorted(vocab.SITUATIONS)


def test_label_sets_fit_the_task():
    assert 8 <= len(vocab.SITUATIONS) <= 12
    assert vocab.ACTIONS[0] == 'none'
    assert set(vocab.REFERRING_ACTIONS) <= set(vocab.ACTIONS)
    assert vocab.OBJECT_CLASSES[vocab.PERSON_CLASS] == 'person'


def test_index_helpers_reject_unknown_names():
    assert vocab.situation_index('alarm') == vocab.SITUATIONS.index('alarm')
    assert vocab.action_index('give') == vocab.ACTIONS.index('give')
    with pytest.raises(ValueError, match='unknown situation'):
        vocab.situation_index('panic')
    with pytest.raises(ValueError, match='unknown action'):
        vocab.action_index('dance')
