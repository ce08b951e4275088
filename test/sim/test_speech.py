# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import numpy as np
import pytest

from multimodal_fusion.preprocessing.text_embedder import text_encoder_dir
from multimodal_fusion.preprocessing.text_embedder import TOKENIZER_FILE
from multimodal_fusion.sim import speech
from multimodal_fusion.sim.config import POOLS
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.speech import chatter
from multimodal_fusion.sim.speech import CONFUSIONS
from multimodal_fusion.sim.speech import DROPPABLE
from multimodal_fusion.sim.speech import gerund
from multimodal_fusion.sim.speech import grammar_vocabulary
from multimodal_fusion.sim.speech import make_command
from multimodal_fusion.sim.speech import MAX_WORDS
from multimodal_fusion.sim.speech import pool_vocabulary
from multimodal_fusion.sim.speech import random_commands
from multimodal_fusion.sim.speech import recognise
from multimodal_fusion.sim.speech import SEVERE_CONFUSIONS
from multimodal_fusion.sim.speech import words
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.spec import TextSpec


def _commands(pool, count, seed=0):
    return random_commands(np.random.default_rng(seed), pool, count, objects=(2, 6))


def _entries(table, pool):
    """The pool's phrasings as strings (a verb phrase by its form with the object)."""
    out = set()
    for value in table[pool].values() if isinstance(table[pool], dict) else table[pool]:
        for item in value if isinstance(value, tuple) and isinstance(value[0], tuple) else (
                value,):
            if isinstance(item, tuple):
                item = item[0] if '{o}' in item[0] else ' | '.join(map(str, item))
            out.add(item)
    return out


@pytest.mark.parametrize('table', ['VERB_PHRASES', 'INDIRECT', 'FRAMES', 'TOPICAL',
                                   'FILLERS', 'ENDINGS', 'ONE_WORDS', 'POSITION_FORMS'])
def test_held_out_phrasings_never_occur_in_training(table):
    pools = getattr(speech, table)
    held_out = _entries(pools, 'held_out') - {''}
    assert held_out and not held_out & _entries(pools, 'train')


def test_held_out_verbs_and_attribute_words_are_new():
    for action, phrases in speech.VERB_PHRASES['held_out'].items():
        train_verbs = {words(p[0] if isinstance(p, tuple) else p)[0]
                       for p in speech.VERB_PHRASES['train'][action]}
        for phrase in phrases:
            assert words(phrase[0] if isinstance(phrase, tuple) else phrase)[0] not in train_verbs
    for table in (speech.SHAPE_WORDS, speech.COLOR_WORDS, speech.SIZE_WORDS):
        train = {w for synonyms in table['train'] for s in synonyms for w in words(s)}
        held_out = {w for synonyms in table['held_out'] for s in synonyms for w in words(s)}
        assert len(table['train']) == len(table['held_out'])
        assert not (held_out - {'one'}) & train
    assert not set(chatter('held_out')) & set(chatter('train'))


@pytest.mark.parametrize('pool', POOLS)
def test_commands_use_their_pool_and_fit_the_text_window(pool):
    vocabulary = pool_vocabulary(pool)
    tokenizer = None
    if (text_encoder_dir() / TOKENIZER_FILE).is_file():
        from tokenizers import Tokenizer
        tokenizer = Tokenizer.from_file(str(text_encoder_dir() / TOKENIZER_FILE))
    spoken = set()
    for command in _commands(pool, 3000):
        said = words(command.spoken)
        assert set(said) <= vocabulary, command.spoken
        assert len(said) <= MAX_WORDS
        if tokenizer is not None:
            assert sum(tokenizer.encode(command.spoken).attention_mask) <= TextSpec().max_tokens
        spoken.add(command.spoken)
    # Many phrasings, not one grammar.
    assert len(spoken) > 2500


def test_every_action_has_phrasings_in_both_pools_and_make_command_validates():
    for pool in POOLS:
        assert set(speech.VERB_PHRASES[pool]) == set(ACTIONS[1:])
    rng = np.random.default_rng(2)
    command = make_command(rng, 'give', Reference(shape=0, color=1))
    assert command.expression == 'green cube' and command.action == ACTIONS.index('give')
    with pytest.raises(ValueError, match='need a reference'):
        make_command(rng, 'give', None)
    with pytest.raises(ValueError, match='no grammar'):
        make_command(rng, 'dance', None)
    with pytest.raises(ValueError, match='unknown phrasing pool'):
        make_command(rng, 'stop', None, pool='test')
    with pytest.raises(ValueError, match='among 2 candidates'):
        speech.object_phrase(rng, Reference(shape=0, position='middle'), 2, 'train')


def test_gerunds():
    assert gerund('pick up {o}') == 'picking up {o}'
    assert gerund('stop') == 'stopping' and gerund('move closer to me') == 'moving closer to me'
    assert gerund('see') == 'seeing' and gerund("don't move") is None


def _canonical(text):
    inverse = {v: k for k, v in CONFUSIONS.items()}
    return [inverse.get(w, w) for w in words(text) if inverse.get(w, w) not in DROPPABLE]


def test_mild_recognition_errors_preserve_the_meaning():
    vocabulary = grammar_vocabulary()
    assert set(CONFUSIONS) <= vocabulary and DROPPABLE <= vocabulary
    assert not set(CONFUSIONS.values()) & vocabulary
    rng = np.random.default_rng(1)
    changed = 0
    for command in _commands('train', 2000, seed=1):
        heard = recognise(rng, command.spoken, 0.3, severe_fraction=0.0)
        changed += heard != ' '.join(words(command.spoken))
        assert _canonical(heard) == _canonical(command.spoken)
    assert changed > 1000


def test_severe_errors_are_rare_and_bring_no_held_out_words_into_training():
    assert not set(SEVERE_CONFUSIONS.values()) & pool_vocabulary('held_out')
    rng = np.random.default_rng(3)
    commands = list(_commands('train', 3000, seed=3))
    lost = sum(_canonical(recognise(rng, c.spoken, 0.03)) != _canonical(c.spoken)
               for c in commands)
    assert 0 < lost < 0.05 * len(commands)
    assert recognise(rng, commands[0].spoken, 0.0) == ' '.join(words(commands[0].spoken))


@pytest.mark.parametrize('pool', POOLS)
def test_chatter_is_varied_and_not_a_command(pool):
    sentences = chatter(pool)
    assert len(sentences) >= 20 and len(set(sentences)) == len(sentences)
    command_words = {'robot'}
    for table in (speech.SHAPE_WORDS, speech.COLOR_WORDS):
        command_words |= {w for p in POOLS for synonyms in table[p] for s in synonyms
                          for w in words(s)}
    for p in POOLS:
        for phrases in speech.VERB_PHRASES[p].values():
            command_words |= {words(e[0] if isinstance(e, tuple) else e)[0] for e in phrases}
    command_words -= {"don't", 'that', 'not'}
    for sentence in sentences:
        assert not command_words & set(words(sentence)), sentence
