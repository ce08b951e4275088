# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What people say: the command grammar, bystander chatter and the recognition channel."""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Optional

import numpy as np

from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

# Several phrasings per action so that the text model learns the action, not a sentence.
TEMPLATES: dict[str, tuple[str, ...]] = {
    'pick_up': ('pick up the {ref}', 'grab the {ref}', 'lift the {ref}', 'take the {ref}'),
    'put_down': ('put it down', 'put down the object', 'place it on the table', 'set it down'),
    'give': ('give me the {ref}', 'hand me the {ref}', 'bring me the {ref}',
             'pass me the {ref}'),
    'point_at': ('point at the {ref}', 'point to the {ref}', 'show me the {ref}'),
    'look_at': ('look at the {ref}', 'look toward the {ref}', 'find the {ref}'),
    'come_here': ('come here', 'come to me', 'come over here', 'walk over to me'),
    'stop': ('stop', 'stop moving', 'halt', 'freeze', 'stay where you are'),
}
PREFIXES: tuple[str, ...] = ('', 'please ', 'robot, ', 'hey robot, ', 'okay robot, ')
SUFFIXES: tuple[str, ...] = ('', ' please', ' now')

# Speech not addressed to the robot: audible, but no command is recognised from it.
CHATTER: tuple[str, ...] = (
    'i think the meeting starts at ten',
    'did you see the game last night',
    'the coffee machine is broken again',
    'we should order lunch soon',
    'it is quite cold in here today',
    'my train was late this morning',
    'can you send me that report later',
    'the weather looks nice outside',
    'let us finish this after the break',
    'i left my keys in the car',
    'have you met the new intern',
    'this week has been really busy',
    'i will call you back in a minute',
    'the lights in the hallway are flickering',
    'we need more paper for the printer',
    'who is cooking dinner tonight',
)

# The recognition channel. Real recognisers confuse homophones and inflections and lose
# short function words; they rarely turn 'red' into 'green'. Every substitute below is a word
# the grammar never uses, so a corrupted command is still decodable (by the text model or
# by a human) and the labels remain a function of the observations.
DROPPABLE: frozenset[str] = frozenset({'please', 'the', 'robot', 'hey', 'okay', 'now'})
CONFUSIONS: dict[str, str] = {
    'red': 'read', 'blue': 'blew', 'right': 'write', 'here': 'hear', 'to': 'two',
    'cube': 'cubes', 'ball': 'balls', 'cone': 'cones', 'ring': 'rings',
    'cylinder': 'cylinders', 'look': 'looks', 'point': 'points', 'grab': 'grabbed',
    'lift': 'lifts', 'large': 'larch', 'small': 'smaller', 'yellow': 'yellows',
    'middle': 'medal', 'left': 'lefts',
}

_WORD = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class Command:
    """A spoken instruction.

    Attributes:
        action: index into ``ACTIONS``.
        reference: the object it names, for referring actions.
        spoken: the sentence as said (the speech synthesizer's input).
    """

    action: int
    reference: Optional[Reference]
    spoken: str

    @property
    def expression(self) -> Optional[str]:
        return self.reference.phrase() if self.reference is not None else None


def make_command(rng: np.random.Generator, action: str,
                 reference: Optional[Reference]) -> Command:
    """A random phrasing of ``action`` naming ``reference``.

    Raises:
        ValueError: if a referring action gets no reference or another action gets one.
    """
    if action not in TEMPLATES:
        raise ValueError(f'no grammar for action {action!r}; expected one of {tuple(TEMPLATES)}')
    if (action in REFERRING_ACTIONS) != (reference is not None):
        raise ValueError(f'action {action!r} with reference {reference!r}: referring actions '
                         f'{REFERRING_ACTIONS} need a reference, the others none')
    templates = TEMPLATES[action]
    body = templates[int(rng.integers(len(templates)))]
    if reference is not None:
        body = body.format(ref=reference.phrase())
    prefix = PREFIXES[int(rng.integers(len(PREFIXES)))]
    suffix = SUFFIXES[int(rng.integers(len(SUFFIXES)))]
    if 'please' in prefix and 'please' in suffix:
        suffix = ''
    return Command(action=ACTIONS.index(action), reference=reference,
                   spoken=prefix + body + suffix)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, as a recogniser outputs them."""
    return _WORD.findall(text.lower())


def grammar_vocabulary() -> frozenset[str]:
    """Every word a command can contain."""
    vocabulary: set[str] = set()
    phrases = [t for group in TEMPLATES.values() for t in group] + list(PREFIXES + SUFFIXES)
    for phrase in phrases:
        vocabulary.update(words(phrase.replace('{ref}', '')))
    vocabulary.update(COLORS + SHAPES + SIZES)
    vocabulary.update(words('one on the left in the middle on the right'))
    return frozenset(vocabulary)


def recognise(rng: np.random.Generator, spoken: str, error_rate: float) -> str:
    """The text a recogniser returns for ``spoken``.

    Each word independently, with probability ``error_rate``, is dropped (function words)
    or replaced by its confusion; words with neither are recognised correctly.
    """
    out = []
    for word in words(spoken):
        if rng.random() < error_rate:
            if word in DROPPABLE:
                continue
            word = CONFUSIONS.get(word, word)
        out.append(word)
    return ' '.join(out)
