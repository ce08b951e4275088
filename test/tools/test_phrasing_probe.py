# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pytest

from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.tools.phrasing_probe import main
from multimodal_fusion.tools.phrasing_probe import word_accuracy
from multimodal_fusion.training.text_adapter import command_examples
from multimodal_fusion.training.text_adapter import slot_accuracy


def test_slot_and_word_accuracy_score_predictions():
    texts, labels = command_examples('held_out', 140, seed=1, error_rate=0.0)
    assert slot_accuracy(labels, labels) == dict.fromkeys(
        ('action', 'shape', 'color', 'size', 'position', 'relation'), 1.0)
    wrong = labels.copy()
    wrong[:, 0] = ACTIONS.index('stop')
    assert slot_accuracy(wrong, labels)['action'] < 0.3
    rows = word_accuracy(texts, labels, labels)
    assert rows and all(accuracy == 1.0 and count > 0 for _, _, accuracy, count in rows)
    held_out_words = {word.split(' (')[0] for _, word, _, _ in rows}
    assert {'square', 'indigo', 'single'} <= held_out_words


def test_model_and_adapter_are_exclusive(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(['--model', 'a.pt', '--adapter', 'b.pt'])
    assert exit_.value.code == 2
    assert '--model or --adapter' in capsys.readouterr().err
