# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What people say: commands in many phrasings, bystander chatter, the recognition channel.

Every word a command can contain comes from one of two phrasing pools, ``'train'`` and
``'held_out'`` (``SimConfig.pool('phrasing')``). The pools are disjoint by construction:
the held-out pool's verb phrases, frames, fillers, attribute synonyms, position phrasings
and chatter never occur in the training pool (tests check it), so a model scored on it
meets phrasings it has never seen. Both pools are what people actually say to a robot;
the held-out one is simply other words for the same intents.

A command is ``[filler] frame(verb phrase(object phrase)) [ending]``: a verb phrase per
action ('pick up {o}', 'hand me {o}'), wrapped in a direct, polite or indirect frame ('could
you {vp}', 'would you mind {ing}'), or topicalised ('the red cube, pick it up'), or an
indirect request of its own ('can i have {o}'). The object phrase says the reference's
words with any synonym of each, and its position by a superlative, an ordinal or a
'between' form that :func:`~multimodal_fusion.sim.referring.ordinal_position` maps onto the
position word, given the number of candidates. Labels are the reference's words, whatever
surface form said them.
"""

from __future__ import annotations

from dataclasses import dataclass
import re
from typing import Iterator
from typing import Optional

import numpy as np

from multimodal_fusion.sim.config import check_pool
from multimodal_fusion.sim.referring import ordinal_position
from multimodal_fusion.sim.referring import Reference
from multimodal_fusion.sim.referring import sample_referring_scene
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS

# The longest command in words; longer draws are redrawn (the text encoder keeps 32 tokens,
# and a command should be a few seconds of speech).
MAX_WORDS = 16

# Verb phrases per action. Referring actions: (with the object phrase '{o}', with 'it'), the
# latter for topicalised commands ('the red cube, pick it up').
VERB_PHRASES: dict[str, dict[str, tuple]] = {
    'train': {
        'pick_up': (('pick up {o}', 'pick it up'), ('pick {o} up', 'pick it up'),
                    ('grab {o}', 'grab it'), ('lift {o}', 'lift it'), ('take {o}', 'take it'),
                    ('grasp {o}', 'grasp it'), ('lift up {o}', 'lift it up'),
                    ('raise {o}', 'raise it'), ('take hold of {o}', 'take hold of it'),
                    ('seize {o}', 'seize it'), ('nab {o}', 'nab it'), ('pluck {o}', 'pluck it'),
                    ('clutch {o}', 'clutch it'), ('gather {o}', 'gather it'),
                    ('hoist {o}', 'hoist it'), ('snatch {o}', 'snatch it'),
                    ('grab hold of {o}', 'grab hold of it'),
                    ('lift {o} off the table', 'lift it off the table'),
                    ('take {o} off the table', 'take it off the table')),
        'give': (('give me {o}', 'give it to me'), ('hand me {o}', 'hand it to me'),
                 ('bring me {o}', 'bring it to me'), ('pass me {o}', 'pass it to me'),
                 ('give {o} to me', 'give it to me'), ('hand over {o}', 'hand it over'),
                 ('fetch me {o}', 'fetch it for me'), ('get me {o}', 'get it for me'),
                 ('pass over {o}', 'pass it over'), ('send {o} my way', 'send it my way'),
                 ('throw me {o}', 'throw it to me'), ('offer me {o}', 'offer it to me'),
                 ('slide me {o}', 'slide it to me'), ('chuck me {o}', 'chuck it to me'),
                 ('let me borrow {o}', 'let me borrow it'),
                 ('provide me with {o}', 'provide me with it'),
                 ('return {o} to me', 'return it to me'), ('hand {o} to me', 'hand it to me'),
                 ('bring {o} over to me', 'bring it over to me'),
                 ('throw {o} over', 'throw it over'), ('bring {o} here', 'bring it here'),
                 ('share {o} with me', 'share it with me'), ('pass {o} to me', 'pass it to me'),
                 ('put {o} in my hand', 'put it in my hand'),
                 ('hand {o} over to me', 'hand it over to me')),
        'point_at': (('point at {o}', 'point at it'), ('point to {o}', 'point to it'),
                     ('show me {o}', 'show it to me'), ('point out {o}', 'point it out'),
                     ('indicate {o}', 'indicate it'), ('point toward {o}', 'point toward it'),
                     ('gesture at {o}', 'gesture at it'),
                     ('point your finger at {o}', 'point your finger at it'),
                     ('signal toward {o}', 'signal toward it'),
                     ('direct your hand at {o}', 'direct your hand at it'),
                     ('highlight {o}', 'highlight it'), ('nod toward {o}', 'nod toward it'),
                     ('identify {o}', 'identify it'), ('pinpoint {o}', 'pinpoint it'),
                     ('wave at {o}', 'wave at it'), ('mark {o}', 'mark it'),
                     ('show me where {o} is', 'show me where it is'),
                     ('pick out {o}', 'pick it out'), ('call out {o}', 'call it out'),
                     ('direct me to {o}', 'direct me to it'), ('point {o} out', 'point it out'),
                     ('tell me where {o} is', 'tell me where it is'),
                     ('gesture toward {o}', 'gesture toward it'), ('tag {o}', 'tag it'),
                     ('designate {o}', 'designate it'), ('spotlight {o}', 'spotlight it'),
                     ('mark out {o}', 'mark it out'),
                     ('hold your arm out toward {o}', 'hold your arm out toward it')),
        'look_at': (('look at {o}', 'look at it'), ('look toward {o}', 'look toward it'),
                    ('find {o}', 'find it'), ('face {o}', 'face it'), ('watch {o}', 'watch it'),
                    ('focus on {o}', 'focus on it'), ('have a look at {o}', 'have a look at it'),
                    ('locate {o}', 'locate it'), ('turn toward {o}', 'turn toward it'),
                    ('observe {o}', 'observe it'), ('stare at {o}', 'stare at it'),
                    ('keep your eyes on {o}', 'keep your eyes on it'),
                    ('search for {o}', 'search for it'), ('spot {o}', 'spot it'),
                    ('inspect {o}', 'inspect it'), ('examine {o}', 'examine it'),
                    ('eye {o}', 'eye it'), ('view {o}', 'view it'), ('scan {o}', 'scan it'),
                    ('take a look at {o}', 'take a look at it'),
                    ('turn your eyes to {o}', 'turn your eyes to it'),
                    ('look in the direction of {o}', 'look in the direction of it'),
                    ('keep an eye on {o}', 'keep an eye on it'), ('study {o}', 'study it'),
                    ('track {o}', 'track it'), ('turn your head to {o}', 'turn your head to it'),
                    ('look over {o}', 'look it over'), ('seek out {o}', 'seek it out'),
                    ('size up {o}', 'size it up')),
        'put_down': ('put it down', 'set it down', 'put down what you hold', 'drop it',
                     'place it on the table', 'lay it down', 'put it on the table',
                     'release it', 'put the thing down', 'lower it to the table', 'let it go',
                     'put it back down', 'set it on the table', 'lower it', 'place it down',
                     'set it aside', 'unhand it', 'drop it off', 'lay it on the table',
                     'set it back down', 'let go of it', 'put that down', 'lower it down'),
        'come_here': ('come here', 'come to me', 'come over here', 'walk over to me',
                      'come closer', 'move toward me', 'get over here', 'approach me',
                      'walk to me', 'come over to me', 'come this way', 'come on over',
                      'move closer to me', 'walk toward me', 'come near', 'move over here',
                      'hurry over', 'walk this way', 'get closer', 'scoot over here',
                      'roll over to me', 'come along', 'walk up to me',
                      'move in my direction', 'get yourself over here', 'come nearer',
                      'move nearer to me', 'approach', 'close the distance', 'close the gap',
                      'return to me', 'come to my side', 'stand next to me', 'come my way',
                      'come up close', 'travel over to me', 'drive over to me',
                      'come and meet me', 'get near me', 'shift closer', 'inch closer',
                      'wander over here', 'come stand by me', 'move to where i am'),
        'stop': ('stop', 'stop moving', 'halt', 'freeze', 'stay where you are', 'wait',
                 "don't move", 'stand still', 'hold on', 'that is enough', 'stop right there',
                 'hold it', 'stay put', 'wait a moment', 'stop what you are doing',
                 'cut it out', 'enough', 'no more', 'whoa', 'cancel that', 'abort',
                 'keep still', 'stand by', "don't go any further", 'no further',
                 'easy now', 'stop there', "don't do that", 'stop it', 'stay still',
                 'hold still', 'hold up', 'wait up', 'stop everything', 'that will do',
                 'stay there'),
    },
    'held_out': {
        'pick_up': (('collect {o}', 'collect it'), ('get hold of {o}', 'get hold of it'),
                    ('scoop up {o}', 'scoop it up'), ('grip {o}', 'grip it')),
        'give': (('toss me {o}', 'toss it to me'), ('deliver {o} to me', 'deliver it to me'),
                 ('lend me {o}', 'lend it to me')),
        'point_at': (('aim your finger at {o}', 'aim your finger at it'),
                     ('single out {o}', 'single it out'),
                     ('motion toward {o}', 'motion toward it')),
        'look_at': (('peek at {o}', 'peek at it'), ('check out {o}', 'check it out'),
                    ('glance at {o}', 'glance at it'), ('gaze at {o}', 'gaze at it'),
                    ('cast your eyes on {o}', 'cast your eyes on it')),
        'put_down': ('leave it on the table', 'rest it on the table', 'deposit it on the table'),
        'come_here': ('head over here', 'make your way over to me', 'step closer', 'join me',
                      'draw near'),
        'stop': ('pause', 'quit moving', 'hang on', 'cease all motion', 'not another step'),
    },
}
# Requests that are not a verb phrase of the robot's: (action, template with '{o}').
INDIRECT: dict[str, tuple[tuple[str, str], ...]] = {
    'train': (('give', 'i would like {o}'), ('give', 'can i have {o}'), ('give', 'i need {o}'),
              ('give', 'i want {o}'), ('give', 'let me have {o}'),
              ('point_at', 'which one is {o}'), ('point_at', 'show me which one is {o}')),
    'held_out': (('give', 'may i have {o}'), ('give', 'i could use {o}'),
                 ('give', 'could i get {o}')),
}
# Frames around a verb phrase: '{vp}' the phrase, '{ing}' its gerund.
FRAMES: dict[str, tuple[str, ...]] = {
    'train': ('{vp}', '{vp}', '{vp}', 'please {vp}', 'can you {vp}', 'could you {vp}',
              'would you {vp}', 'will you {vp}', 'i want you to {vp}', 'i need you to {vp}',
              'go ahead and {vp}', 'try to {vp}', '{vp} for me', 'you should {vp}',
              'how about {ing}', 'could you please {vp}', 'i would like you to {vp}',
              'time to {vp}', 'can you please {vp}', 'would you please {vp}',
              'i would love it if you could {vp}', 'do me a favor and {vp}', 'you can {vp}',
              'mind {ing}', 'next, {vp}', 'your job is to {vp}', 'could you maybe {vp}',
              'it would be great if you could {vp}', 'start {ing}', 'go and {vp}',
              'i would really like you to {vp}', 'would you be able to {vp}',
              'please could you {vp}', 'can you go ahead and {vp}', 'we need you to {vp}'),
    'held_out': ('would you mind {ing}', 'do you think you could {vp}',
                 'i would appreciate it if you could {vp}', 'could you possibly {vp}',
                 'is it possible for you to {vp}', 'kindly {vp}', 'i was hoping you could {vp}'),
}
# Topicalised commands: the object first, then the verb phrase with 'it'. '{o}' is the
# object phrase with 'the', '{a}' with 'a'.
TOPICAL: dict[str, tuple[str, ...]] = {
    'train': ('{o}, {it}', 'you see {o}? {it}', 'okay so {o}, {it}', '{o}, can you {it}'),
    'held_out': ('there is {a}, {it}',),
}
FILLERS: dict[str, tuple[str, ...]] = {
    'train': ('', '', '', '', '', 'robot, ', 'hey robot, ', 'okay robot, ', 'um, ', 'so, ',
              'okay, ', 'hey, ', 'hello robot, ', 'hi, ', 'er, ', 'oh, '),
    'held_out': ('', '', 'excuse me, ', 'uh, ', 'well, ', 'listen, ', 'hi there, '),
}
ENDINGS: dict[str, tuple[str, ...]] = {
    'train': ('', '', '', '', '', ' please', ' now', ' thanks', ' quickly',
              ' thanks a lot', ' if possible', ' as soon as you can'),
    'held_out': ('', '', ' thank you', ' if you can', ' when you are ready', ' cheers'),
}
# Words for each attribute value, indexed like SHAPES, COLORS and SIZES.
SHAPE_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    'train': (('cube', 'block', 'brick', 'box', 'dice', 'cubic block', 'toy block', 'cuboid',
               'boxy one'),
              ('ball', 'globe', 'marble', 'orb', 'bead', 'round ball'),
              ('cylinder', 'tube', 'column', 'can', 'tin', 'pillar', 'pipe', 'drum',
               'barrel'),
              ('cone', 'traffic cone', 'pointy thing', 'party hat', 'funnel', 'spike',
               'wizard hat', 'pointy one', 'tapered one'),
              ('ring', 'hoop', 'donut', 'torus', 'loop', 'band', 'circle', 'tire', 'bangle')),
    'held_out': (('square',), ('sphere',), ('canister', 'rod'), ('pointed one',),
                 ('doughnut', 'bagel')),
}
COLOR_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    'train': (('red', 'crimson', 'cherry', 'ruby', 'maroon', 'bright red', 'dark red',
               'rose', 'vermilion', 'blood red', 'tomato red'),
              ('green', 'lime', 'emerald', 'mint', 'olive', 'light green', 'forest green',
               'leafy'),
              ('blue', 'azure', 'cobalt', 'navy', 'sapphire', 'sky blue', 'dark blue',
               'royal blue', 'ultramarine', 'cyan'),
              ('yellow', 'lemon', 'amber', 'mustard', 'banana', 'pale yellow', 'canary',
               'bright yellow', 'gold', 'honey', 'sunflower')),
    'held_out': (('reddish', 'scarlet'), ('greenish',), ('bluish', 'indigo'),
                 ('yellowish', 'golden')),
}
SIZE_WORDS: dict[str, tuple[tuple[str, ...], ...]] = {
    'train': (('small', 'little', 'tiny', 'wee', 'mini', 'teeny', 'compact', 'baby', 'tinier'),
              ('large', 'big', 'huge', 'massive', 'larger', 'oversized', 'jumbo', 'great big',
               'hefty', 'gigantic', 'colossal')),
    'held_out': (('smaller', 'miniature', 'petite'), ('bigger', 'giant', 'enormous')),
}
# The noun when no shape is said ('the red one').
ONE_WORDS: dict[str, tuple[str, ...]] = {'train': ('one', 'thing'), 'held_out': ('object',)}
# Position phrasings: (before the noun, after the noun, side counted from, rank). The
# position word they say follows from side, rank and the number of candidates
# (referring.ordinal_position); 'middle' means the one between the others (of three).
POSITION_FORMS: dict[str, tuple[tuple[str, str, str, int], ...]] = {
    'train': (
        ('', 'on the left', 'left', 1), ('', 'to the left', 'left', 1),
        ('', 'furthest to the left', 'left', 1), ('leftmost', '', 'left', 1),
        ('left', '', 'left', 1), ('first', 'from the left', 'left', 1),
        ('second', 'from the left', 'left', 2),
        ('', 'on the right', 'right', 1), ('', 'to the right', 'right', 1),
        ('', 'furthest to the right', 'right', 1), ('rightmost', '', 'right', 1),
        ('right', '', 'right', 1), ('first', 'from the right', 'right', 1),
        ('second', 'from the right', 'right', 2),
        ('', 'in the middle', 'middle', 1), ('', 'in the center', 'middle', 1),
        ('', 'between the other two', 'middle', 1), ('middle', '', 'middle', 1),
        ('central', '', 'middle', 1)),
    'held_out': (
        ('', 'on the far left', 'left', 1), ('far left', '', 'left', 1),
        ('', 'nearest the left edge', 'left', 1),
        ('second', 'counting from the left', 'left', 2),
        ('', 'on the far right', 'right', 1), ('far right', '', 'right', 1),
        ('', 'closest to the right edge', 'right', 1),
        ('second', 'counting from the right', 'right', 2),
        ('', 'in between the others', 'middle', 1), ('', 'at the centre', 'middle', 1)),
}
# Where the object lies relative to the anchor, whose noun phrase fills {anchor}.
RELATION_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    'train': {
        'left_of': ('to the left of {anchor}', 'left of {anchor}', 'on the left of {anchor}',
                    'on the left side of {anchor}', 'that is left of {anchor}',
                    'just left of {anchor}', 'to the left of where {anchor} is'),
        'right_of': ('to the right of {anchor}', 'right of {anchor}',
                     'on the right of {anchor}', 'on the right side of {anchor}',
                     'that is right of {anchor}', 'just right of {anchor}',
                     'to the right of where {anchor} is')},
    'held_out': {
        'left_of': ('sitting left of {anchor}', 'located to the left of {anchor}'),
        'right_of': ('sitting right of {anchor}', 'located to the right of {anchor}')},
}
# Object phrases with the colour after the noun (attributes only, no size).
COLOR_AFTER: dict[str, str] = {'train': '{shape} that is {color}',
                               'held_out': '{color} colored {shape}'}

# Speech not addressed to the robot: audible, but no command is recognised from it. It
# names no robot, no action verb and no object attribute (tests check it).
_CHATTER_PARTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    'train': (
        ('i think', 'apparently', 'did you know', 'honestly', 'by the way', 'i heard that'),
        ('the meeting starts at ten', 'the coffee machine is broken again',
         'we should order lunch soon', 'it is quite cold in here today',
         'my train was late this morning', 'the weather looks nice outside',
         'the printer is out of paper', 'the new intern starts on monday',
         'this week has been really busy', 'the lights in the hallway are flickering',
         'the parking lot is full', 'the report is due on friday',
         'the kitchen needs cleaning', 'the bus was packed today')),
    'held_out': (
        ('you know what', 'to be fair', 'i reckon'),
        ('the elevator is out of order', 'my sister is visiting this weekend',
         'the wifi keeps dropping', 'the canteen has soup today',
         'our flight got delayed', 'the heating is too loud')),
}


def _check_pool(pool: str) -> str:
    return check_pool(pool, 'phrasing')


def chatter(pool: str) -> tuple[str, ...]:
    """Bystander sentences of a phrasing pool."""
    openers, bodies = _CHATTER_PARTS[_check_pool(pool)]
    return tuple(bodies) + tuple(f'{o} {b}' for o in openers for b in bodies)


# The recognition channel. Real recognisers confuse homophones and inflections and lose
# short function words; those errors keep the meaning: every substitute below is a word no
# phrasing pool uses, so a corrupted command is still decodable. Rarely (SEVERE_FRACTION of
# the errors) a content word is misheard as another real word, possibly one a command uses
# ('left' -> 'lift', 'cube' -> 'tube'), or lost: such text no longer says what was meant.
# The labels stay what was said (the command's intent and words): the speech itself is in
# the audio, a person would ask again, and it keeps the labels a function of the episode.
DROPPABLE: frozenset[str] = frozenset({'please', 'the', 'robot', 'hey', 'okay', 'now', 'um',
                                       'uh', 'so', 'a', 'er', 'well', 'you'})
CONFUSIONS: dict[str, str] = {
    'red': 'read', 'blue': 'blew', 'right': 'write', 'here': 'hear', 'to': 'too',
    'for': 'four', 'cube': 'cubes', 'ball': 'balls', 'cone': 'cones', 'ring': 'rings',
    'cylinder': 'cylinders', 'block': 'blocks', 'look': 'looks', 'point': 'points',
    'grab': 'grabbed', 'lift': 'lifts', 'large': 'larch', 'yellow': 'yellows',
    'middle': 'medal', 'left': 'lefts',
    'pick': 'picks', 'give': 'gives', 'hand': 'hands', 'bring': 'brings', 'take': 'takes',
    'stop': 'stops', 'come': 'comes', 'green': 'greens', 'tiny': 'tinny',
    'could': 'cud', 'would': 'wood', 'there': 'their', 'which': 'witch',
}
SEVERE_CONFUSIONS: dict[str, str] = {
    'left': 'lift', 'right': 'white', 'ball': 'bowl', 'cube': 'tube', 'cone': 'phone',
    'ring': 'bring', 'red': 'bed', 'green': 'clean', 'blue': 'glue', 'yellow': 'hello',
    'small': 'smell', 'big': 'pig', 'give': 'live', 'pick': 'kick', 'look': 'book',
    'stop': 'shop', 'come': 'calm', 'point': 'paint', 'middle': 'little', 'block': 'black',
}
SEVERE_FRACTION = 0.05

_WORD = re.compile(r"[a-z']+")
_NO_GERUND = frozenset({"don't", 'that', 'not'})
# Verbs whose final consonant doubles before -ing.
_DOUBLING = frozenset({'get', 'put', 'set', 'stop', 'grab', 'drop', 'grip', 'quit', 'let', 'nab',
                       'tag'})


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


def gerund(phrase: str) -> Optional[str]:
    """``phrase`` with its first word (a verb) in the -ing form; ``None`` if it has none."""
    verb, _, rest = phrase.partition(' ')
    if verb in _NO_GERUND:
        return None
    if verb in _DOUBLING:
        ing = verb + verb[-1] + 'ing'
    elif verb.endswith('e') and not verb.endswith('ee') and verb != 'be':
        ing = verb[:-1] + 'ing'
    else:
        ing = verb + 'ing'
    return f'{ing} {rest}'.strip()


def _pick(rng: np.random.Generator, options):
    return options[int(rng.integers(len(options)))]


def object_phrase(rng: np.random.Generator, reference: Reference, candidates: int,
                  pool: str) -> str:
    """A noun phrase for ``reference`` without article, e.g. ``'second tiny block from the left'``.

    Args:
        rng: the episode's generator.
        reference: the words to say.
        candidates: objects matching the attribute words (2 or 3 when a position is said;
            not read otherwise).
        pool: phrasing pool.

    Raises:
        ValueError: if no phrasing of the pool says the reference's position among
            ``candidates`` objects.
    """
    pool = _check_pool(pool)
    noun = (_pick(rng, SHAPE_WORDS[pool][reference.shape]) if reference.shape is not None
            else _pick(rng, ONE_WORDS[pool]))
    color = (_pick(rng, COLOR_WORDS[pool][reference.color]) if reference.color is not None
             else None)
    size = _pick(rng, SIZE_WORDS[pool][reference.size]) if reference.size is not None else None
    before, after = '', ''
    if reference.position is not None:
        # Counting from a side beyond the first only among three, so that what the words
        # mean never depends on how many candidates there are ('second from the left' is
        # always the middle one).
        forms = [f for f in POSITION_FORMS[pool]
                 if ordinal_position(f[2], f[3], candidates) == reference.position
                 and (f[3] == 1 or candidates == 3)]
        if not forms:
            raise ValueError(f'no {pool} phrasing says {reference.position!r} among '
                             f'{candidates} candidates')
        before, after, _, _ = _pick(rng, forms)
    if reference.relation is not None:
        anchor = [_pick(rng, SHAPE_WORDS[pool][reference.anchor_shape])]
        if reference.anchor_color is not None:
            anchor.insert(0, _pick(rng, COLOR_WORDS[pool][reference.anchor_color]))
        after = _pick(rng, RELATION_FORMS[pool][reference.relation]).format(
            anchor=' '.join(['the'] + anchor))
    if (color is not None and reference.shape is not None and size is None and not before
            and not after and rng.random() < 0.15):
        return COLOR_AFTER[pool].format(shape=noun, color=color)
    words = [w for w in (before, size, color, noun, after) if w]
    return ' '.join(words)


def make_command(rng: np.random.Generator, action: str, reference: Optional[Reference],
                 *, candidates: int = 0, pool: str = 'train') -> Command:
    """A random phrasing of ``action`` naming ``reference``, from a phrasing pool.

    Args:
        rng: the episode's generator.
        action: name from ``ACTIONS`` (not 'none').
        reference: the object named, for referring actions only.
        candidates: objects matching the reference's attribute words (needed when it says a
            position: 2 or 3).
        pool: ``'train'`` or ``'held_out'`` (``SimConfig.pool('phrasing')``).

    Raises:
        ValueError: if a referring action gets no reference or another action gets one, or
            for an unknown action or pool.
    """
    pool = _check_pool(pool)
    if action not in VERB_PHRASES[pool]:
        raise ValueError(f'no grammar for action {action!r}; expected one of '
                         f'{tuple(VERB_PHRASES[pool])}')
    if (action in REFERRING_ACTIONS) != (reference is not None):
        raise ValueError(f'action {action!r} with reference {reference!r}: referring actions '
                         f'{REFERRING_ACTIONS} need a reference, the others none')
    for _ in range(50):
        spoken = _sentence(rng, action, reference, candidates, pool)
        if len(words(spoken)) <= MAX_WORDS:
            break
    return Command(action=ACTIONS.index(action), reference=reference, spoken=spoken)


def random_commands(rng: np.random.Generator, pool: str, count: int,
                    objects: tuple[int, int] = (3, 5),
                    relations: bool = False) -> Iterator[Command]:
    """``count`` commands of ``pool``, every action in turn, referring ones about a random scene.

    Args:
        rng: generator of every draw.
        pool: phrasing pool.
        count: commands to make.
        objects: fewest and most objects in a referring scene.
        relations: some references say a relation to another object.
    """
    for i in range(count):
        action = ACTIONS[1 + i % (len(ACTIONS) - 1)]
        reference, candidates = None, 0
        if action in REFERRING_ACTIONS:
            scene = sample_referring_scene(rng, int(rng.integers(objects[0], objects[1] + 1)),
                                           relations=relations)
            reference, candidates = scene.reference, len(scene.left_to_right)
        yield make_command(rng, action, reference, candidates=candidates, pool=pool)


def _sentence(rng: np.random.Generator, action: str, reference: Optional[Reference],
              candidates: int, pool: str) -> str:
    body = None
    if reference is not None:
        noun = object_phrase(rng, reference, candidates, pool)
        the, a = f'the {noun}', f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"
        indirect = [t for act, t in INDIRECT[pool] if act == action]
        roll = rng.random()
        if roll < 0.15:
            _, it = _pick(rng, VERB_PHRASES[pool][action])
            body = _pick(rng, TOPICAL[pool]).format(o=the, a=a, it=it)
        elif roll < 0.27 and indirect:
            body = _pick(rng, indirect).format(o=the)
        else:
            phrase = _pick(rng, VERB_PHRASES[pool][action])[0].format(o=the)
    else:
        phrase = _pick(rng, VERB_PHRASES[pool][action])
    if body is None:
        ing = gerund(phrase)
        # Phrases that do not start with a verb ("don't move") stand alone.
        frames = FRAMES[pool] if ing is not None else ('{vp}',)
        body = _pick(rng, frames).format(vp=phrase, ing=ing)
    filler = _pick(rng, FILLERS[pool])
    ending = _pick(rng, ENDINGS[pool])
    if 'please' in body and 'please' in ending:
        ending = ''
    return filler + body + ending


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, as a recogniser outputs them."""
    return _WORD.findall(text.lower())


def pool_vocabulary(pool: str) -> frozenset[str]:
    """Every word a command of ``pool`` can contain."""
    pool = _check_pool(pool)
    phrases: list[str] = []
    for entries in VERB_PHRASES[pool].values():
        for entry in entries:
            phrases.extend(entry if isinstance(entry, tuple) else (entry,))
    phrases += [t for _, t in INDIRECT[pool]] + list(FRAMES[pool] + TOPICAL[pool])
    phrases += list(FILLERS[pool] + ENDINGS[pool] + ONE_WORDS[pool]) + [COLOR_AFTER[pool]]
    for table in (SHAPE_WORDS, COLOR_WORDS, SIZE_WORDS):
        phrases += [w for synonyms in table[pool] for w in synonyms]
    phrases += [f'{f[0]} {f[1]}' for f in POSITION_FORMS[pool]]
    phrases += [form for forms in RELATION_FORMS[pool].values() for form in forms]
    vocabulary: set[str] = set()
    for phrase in phrases:
        vocabulary.update(words(re.sub(r'\{[a-z]+\}', ' ', phrase)))
    for entries in VERB_PHRASES[pool].values():
        for entry in entries:
            ing = gerund(entry[0] if isinstance(entry, tuple) else entry) or ''
            vocabulary.update(words(re.sub(r'\{[a-z]+\}', ' ', ing)))
    vocabulary.update(('the', 'a', 'an'))
    return frozenset(vocabulary)


def grammar_vocabulary() -> frozenset[str]:
    """Every word a command of either pool can contain."""
    return pool_vocabulary('train') | pool_vocabulary('held_out')


def recognise(rng: np.random.Generator, spoken: str, error_rate: float,
              severe_fraction: float = SEVERE_FRACTION) -> str:
    """The text a recogniser returns for ``spoken``.

    Each word independently, with probability ``error_rate``, is misrecognised: a function
    word is dropped, a word with a confusion becomes it (a homophone or inflection no pool
    uses), others are kept. A ``severe_fraction`` of the errors instead change the meaning:
    a word with a severe confusion becomes that real word, any other content word is lost.
    """
    out = []
    for word in words(spoken):
        if rng.random() < error_rate:
            if rng.random() < severe_fraction:
                word = SEVERE_CONFUSIONS.get(word, '')
            elif word in DROPPABLE:
                continue
            else:
                word = CONFUSIONS.get(word, word)
        if word:
            out.append(word)
    return ' '.join(out)
