# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.speech import CHATTER
from multimodal_fusion.sim.speech import CONFUSIONS
from multimodal_fusion.sim.speech import DROPPABLE
from multimodal_fusion.sim.speech import grammar_vocabulary
from multimodal_fusion.sim.speech import make_command
from multimodal_fusion.sim.speech import recognise
from multimodal_fusion.sim.speech import TEMPLATES
from multimodal_fusion.sim.speech import words
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS


def test_confusions_never_produce_grammar_words():
    vocabulary = grammar_vocabulary()
    assert set(CONFUSIONS) <= vocabulary
    assert not set(CONFUSIONS.values()) & vocabulary
    assert DROPPABLE <= vocabulary


def test_every_command_action_has_a_grammar():
    assert set(TEMPLATES) == set(ACTIONS[1:])


def _canonical(text):
    inverse = {v: k for k, v in CONFUSIONS.items()}
    return [inverse.get(w, w) for w in words(text) if inverse.get(w, w) not in DROPPABLE]


def test_recognition_errors_preserve_the_meaning():
    rng = np.random.default_rng(1)
    changed = 0
    for i in range(2000):
        action = ACTIONS[1 + i % (len(ACTIONS) - 1)]
        reference = Reference(shape=i % 5, color=i % 4, size=i % 2,
                              position=(None, 'left', 'right')[i % 3])
        command = make_command(rng, action, reference if action in REFERRING_ACTIONS else None)
        heard = recognise(rng, command.spoken, 0.3)
        changed += heard != ' '.join(words(command.spoken))
        assert _canonical(heard) == _canonical(command.spoken)
    assert changed > 1000


def test_no_errors_at_rate_zero_and_make_command_validates():
    rng = np.random.default_rng(2)
    command = make_command(rng, 'give', Reference(shape=0, color=1))
    assert recognise(rng, command.spoken, 0.0) == ' '.join(words(command.spoken))
    assert 'cube' in command.spoken and command.expression == 'green cube'
    with pytest.raises(ValueError, match='need a reference'):
        make_command(rng, 'give', None)
    with pytest.raises(ValueError, match='no grammar'):
        make_command(rng, 'dance', None)


def test_chatter_is_not_a_command():
    for sentence in CHATTER:
        said = words(sentence)
        assert not {'robot', 'pick', 'grab', 'point', 'stop', 'halt'} & set(said)
