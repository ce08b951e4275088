# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np

from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.tools.phrasing_probe import commands
from multimodal_fusion.tools.phrasing_probe import slot_accuracy
from multimodal_fusion.tools.phrasing_probe import word_accuracy


def test_commands_label_every_slot_of_referring_commands_only():
    texts, labels = commands('held_out', 70, seed=0, error_rate=0.0)
    assert len(texts) == 70 and labels.shape == (70, 5)
    assert set(labels[:, 0]) == set(range(1, len(ACTIONS)))
    referring = np.isin(labels[:, 0], [ACTIONS.index(a) for a in REFERRING_ACTIONS])
    assert (labels[~referring, 1:] == 0).all()
    assert (labels[referring, 1:3].max(axis=1) > 0).all()  # a shape or a colour is said


def test_slot_and_word_accuracy_score_predictions():
    texts, labels = commands('held_out', 140, seed=1, error_rate=0.0)
    assert slot_accuracy(labels, labels) == dict.fromkeys(
        ('action', 'shape', 'color', 'size', 'position'), 1.0)
    wrong = labels.copy()
    wrong[:, 0] = ACTIONS.index('stop')
    assert slot_accuracy(wrong, labels)['action'] < 0.3
    rows = word_accuracy(texts, labels, labels)
    assert rows and all(accuracy == 1.0 and count > 0 for _, _, accuracy, count in rows)
