# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Referring expressions: which words name which tabletop object.

A reference names a subset of shape, colour and size, optionally followed by a relative
position ('the red cube on the left') or by where it lies relative to another object, the
anchor, named by its own shape and colour ('the cube left of the green ball'). Its meaning
is fixed here, once, and used both to generate scenes (so the expression always picks
exactly one object while distractors share some of its words) and to check them in tests:

* the candidates are the objects matching every attribute word;
* without a position word the reference is valid when there is exactly one candidate;
* 'left' / 'right' pick the candidate with the smallest / largest box centre x, and are
  only generated for two or three candidates; 'middle' is only generated for three;
* a relation ('left_of' / 'right_of') keeps the candidates whose box centre lies left /
  right of an object matching the anchor's words (never itself a candidate), as the camera
  sees it; it is generated with exactly one anchor, and the target's twins on its other
  side.

People say a position in many ways ('leftmost', 'second from the right', 'between the
other two'); each way is a side and a rank counted from that side, and
:func:`ordinal_position` maps it onto these three words given the number of candidates, so
every phrasing of ``speech`` means exactly what :func:`resolve` picks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import POSITIONS
from multimodal_fusion.sim.vocab import RELATIONS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

_POSITION_PHRASES = {'left': 'on the left', 'middle': 'in the middle', 'right': 'on the right'}
_RELATION_PHRASES = {'left_of': 'left of', 'right_of': 'right of'}

# (attribute words said, what else is said: None, 'position' or 'relation', weight).
# Weights favour the harder forms that need both vision and language: colour + shape with
# a same-coloured or same-shaped distractor, relative positions among identical-looking
# twins, and twins told apart by another object.
_MODES: tuple[tuple[tuple[str, ...], Optional[str], float], ...] = (
    (('shape',), None, 0.08),
    (('color', 'shape'), None, 0.22),
    (('size', 'shape'), None, 0.10),
    (('size', 'color', 'shape'), None, 0.18),
    (('color',), None, 0.05),
    (('color', 'shape'), 'position', 0.22),
    (('size', 'color', 'shape'), 'position', 0.08),
    (('shape',), 'position', 0.07),
    (('shape',), 'relation', 0.14),
    (('color', 'shape'), 'relation', 0.14),
)  # the relation modes only with ``relations`` (SimConfig.relations)
_HARD_DISTRACTOR_P = 0.6
# A relation is said without twins (the anchor only places the one candidate) this often.
_LONE_RELATION_P = 0.3
# The anchor is named by its colour too this often (else by its shape alone).
_ANCHOR_COLOR_P = 0.5


@dataclass(frozen=True)
class ObjectAttributes:
    """Indices into ``SHAPES``, ``COLORS`` and ``SIZES`` of one tabletop object."""

    shape: int
    color: int
    size: int


@dataclass(frozen=True)
class Reference:
    """The words of a referring expression; ``None`` where a word is not said."""

    shape: Optional[int] = None
    color: Optional[int] = None
    size: Optional[int] = None
    position: Optional[str] = None
    relation: Optional[str] = None
    anchor_shape: Optional[int] = None
    anchor_color: Optional[int] = None

    def __post_init__(self) -> None:
        if self.shape is None and self.color is None:
            raise ValueError('a reference needs a shape or a colour word')
        if self.position is not None and self.position not in POSITIONS:
            raise ValueError(f'unknown position {self.position!r}; expected one of {POSITIONS}')
        if self.relation is not None:
            if self.relation not in RELATIONS:
                raise ValueError(f'unknown relation {self.relation!r}; expected one of '
                                 f'{RELATIONS}')
            if self.anchor_shape is None:
                raise ValueError("a relation needs the anchor's shape word")
            if self.position is not None:
                raise ValueError('a reference says a position or a relation, not both')
        elif self.anchor_shape is not None or self.anchor_color is not None:
            raise ValueError('anchor words without a relation')

    def word_indices(self) -> tuple[int, ...]:
        """The words as label indices, -1 where not said.

        In the order ``(shape, colour, size, position, relation, anchor shape, anchor
        colour)``; position and relation index ``POSITIONS`` and ``RELATIONS``.
        """
        return tuple(-1 if value is None else int(value) for value in (
            self.shape, self.color, self.size,
            None if self.position is None else POSITIONS.index(self.position),
            None if self.relation is None else RELATIONS.index(self.relation),
            self.anchor_shape, self.anchor_color))

    def phrase(self) -> str:
        """The noun phrase without article, e.g. ``'small red cube on the left'``."""
        words = []
        if self.size is not None:
            words.append(SIZES[self.size])
        if self.color is not None:
            words.append(COLORS[self.color])
        words.append(SHAPES[self.shape] if self.shape is not None else 'one')
        if self.position is not None:
            words.append(_POSITION_PHRASES[self.position])
        if self.relation is not None:
            words += [_RELATION_PHRASES[self.relation], 'the']
            if self.anchor_color is not None:
                words.append(COLORS[self.anchor_color])
            words.append(SHAPES[self.anchor_shape])
        return ' '.join(words)

    def matches(self, obj: ObjectAttributes) -> bool:
        """Whether ``obj`` has every attribute the reference says (position aside)."""
        return ((self.shape is None or obj.shape == self.shape)
                and (self.color is None or obj.color == self.color)
                and (self.size is None or obj.size == self.size))

    def is_anchor(self, obj: ObjectAttributes) -> bool:
        """Whether ``obj`` matches the anchor's words (never, without a relation)."""
        return (self.relation is not None and obj.shape == self.anchor_shape
                and (self.anchor_color is None or obj.color == self.anchor_color))


def ordinal_position(side: str, rank: int, candidates: int) -> Optional[str]:
    """The position word meaning 'the ``rank``-th candidate counted from ``side``'.

    Args:
        side: ``'left'`` or ``'right'`` (the side counted from), or ``'middle'`` (rank 1:
            the one between the others).
        rank: 1 for the first candidate from ``side``.
        candidates: how many objects match the other words.

    Returns:
        the word of ``POSITIONS`` that :func:`resolve` reads the same way, or ``None`` when
        the phrase names no candidate or one no position word picks (the second of four).
    """
    if side not in ('left', 'middle', 'right') or rank < 1 or not 2 <= candidates <= 3:
        return None
    if side == 'middle':
        return 'middle' if rank == 1 and candidates == 3 else None
    if rank > candidates:
        return None
    from_left = rank - 1 if side == 'left' else candidates - rank
    if from_left == 0:
        return 'left'
    if from_left == candidates - 1:
        return 'right'
    return 'middle'


def resolve(reference: Reference, objects: Sequence[Optional[ObjectAttributes]],
            x_centres: Sequence[float]) -> list[int]:
    """Indices of the objects a reference picks (one for a valid reference).

    Args:
        reference: the words said.
        objects: attributes per visible object; ``None`` for things without them (people).
        x_centres: box centre x per object, in any unit.
    """
    candidates = [i for i, obj in enumerate(objects)
                  if obj is not None and reference.matches(obj)]
    if reference.relation is not None:
        anchors = [x_centres[j] for j, obj in enumerate(objects)
                   if obj is not None and reference.is_anchor(obj)]
        left = reference.relation == 'left_of'
        return [i for i in candidates
                if any(x_centres[i] < x if left else x_centres[i] > x for x in anchors)]
    if reference.position is None or len(candidates) < 2:
        return candidates
    ordered = sorted(candidates, key=lambda i: x_centres[i])
    if reference.position == 'left':
        return [ordered[0]]
    if reference.position == 'right':
        return [ordered[-1]]
    return [ordered[1]] if len(ordered) == 3 else []


def resolve_boxes(reference: Reference, classes: Sequence[int], colors: Sequence[int],
                  sizes: Sequence[int], boxes: np.ndarray) -> list[int]:
    """:func:`resolve` on ground-truth arrays.

    The arrays are ``GroundTruth.classes``, ``colors``, ``sizes`` and ``boxes``; things
    without a colour (people, -1) are never candidates.
    """
    objects = [None if c < 0 else ObjectAttributes(int(s), int(c), int(z))
               for s, c, z in zip(classes, colors, sizes)]
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return resolve(reference, objects, (boxes[:, 0] + boxes[:, 2]) / 2)


@dataclass(frozen=True)
class ReferringScene:
    """Objects for a scene with a referred target.

    Attributes:
        objects: attributes per tabletop object.
        target: index of the referred object.
        reference: the words that pick it.
        left_to_right: indices of the objects in the left-to-right order the layout must
            respect: the candidates when a position is said, the candidates and the anchor
            when a relation is (empty otherwise).
    """

    objects: tuple[ObjectAttributes, ...]
    target: int
    reference: Reference
    left_to_right: tuple[int, ...]


def random_object(rng: np.random.Generator) -> ObjectAttributes:
    return ObjectAttributes(shape=int(rng.integers(len(SHAPES))),
                            color=int(rng.integers(len(COLORS))),
                            size=int(rng.integers(len(SIZES))))


def random_objects(rng: np.random.Generator, count: int) -> tuple[ObjectAttributes, ...]:
    """Objects for a scene nobody refers to; duplicates allowed."""
    return tuple(random_object(rng) for _ in range(count))


_LIMITS = {'shape': len(SHAPES), 'color': len(COLORS), 'size': len(SIZES)}


def _differs(obj: ObjectAttributes, target: ObjectAttributes, said: tuple[str, ...]) -> bool:
    return any(getattr(obj, name) != getattr(target, name) for name in said)


def _distractor(rng: np.random.Generator, target: ObjectAttributes,
                said: tuple[str, ...]) -> ObjectAttributes:
    if rng.random() < _HARD_DISTRACTOR_P:
        # A near miss: shares every said word but one, so one word alone never suffices.
        values = {name: int(rng.integers(_LIMITS[name])) for name in _LIMITS}
        values.update({name: getattr(target, name) for name in said})
        changed = said[int(rng.integers(len(said)))]
        shift = int(rng.integers(1, _LIMITS[changed]))
        values[changed] = (getattr(target, changed) + shift) % _LIMITS[changed]
        return ObjectAttributes(**values)
    while True:
        obj = random_object(rng)
        if _differs(obj, target, said):
            return obj


def _twin(rng: np.random.Generator, target: ObjectAttributes,
          said: tuple[str, ...]) -> ObjectAttributes:
    values = {name: int(rng.integers(_LIMITS[name])) for name in _LIMITS}
    values.update({name: getattr(target, name) for name in said})
    return ObjectAttributes(**values)


def _anchor(rng: np.random.Generator, target: ObjectAttributes) -> ObjectAttributes:
    """An object of another shape than ``target``: never a candidate of its reference."""
    shape = (target.shape + int(rng.integers(1, len(SHAPES)))) % len(SHAPES)
    return ObjectAttributes(shape=shape, color=int(rng.integers(len(COLORS))),
                            size=int(rng.integers(len(SIZES))))


def sample_referring_scene(rng: np.random.Generator, count: int,
                           relations: bool = False) -> ReferringScene:
    """Objects, a target and a reference that picks exactly that target.

    Args:
        rng: the episode's generator.
        count: number of objects, at least two.
        relations: some references say a relation to another object (among three or more
            objects); see ``SimConfig.relations``.
    """
    if count < 2:
        raise ValueError(f'a referring scene needs at least 2 objects, got {count}')
    modes = [m for m in _MODES if m[1] != 'relation' or (relations and count >= 3)]
    weights = np.array([mode[2] for mode in modes])
    said, kind, _ = modes[int(rng.choice(len(modes), p=weights / weights.sum()))]
    target = random_object(rng)
    reference_words = {name: getattr(target, name) for name in said}
    objects = [target]
    extra: dict = {}
    candidates: list[int] = []
    if kind == 'position':
        positions = ('left', 'middle', 'right') if count >= 3 else ('left', 'right')
        position = positions[int(rng.integers(len(positions)))]
        twins = 2 if position == 'middle' else int(rng.integers(1, min(2, count - 1) + 1))
        objects += [_twin(rng, target, said) for _ in range(twins)]
        rank = {'left': 0, 'middle': 1, 'right': twins}[position]
        candidates = list(range(1, twins + 1))
        candidates.insert(rank, 0)
        extra = {'position': position}
    elif kind == 'relation':
        relation = RELATIONS[int(rng.integers(len(RELATIONS)))]
        anchor = _anchor(rng, target)
        extra = {'relation': relation, 'anchor_shape': anchor.shape,
                 'anchor_color': anchor.color if rng.random() < _ANCHOR_COLOR_P else None}
        objects.append(anchor)
        # Target, anchor, then the twins beyond it; mirrored for 'right_of'.
        candidates = [0, 1]
        if rng.random() >= _LONE_RELATION_P:
            objects.append(_twin(rng, target, said))
            candidates.append(2)
        if relation == 'right_of':
            candidates.reverse()
    probe = Reference(**reference_words, **extra)
    while len(objects) < count:
        obj = _distractor(rng, target, said)
        if not probe.is_anchor(obj):  # the anchor stays the only one of its words
            objects.append(obj)
    order = rng.permutation(count)
    new_index = {int(old): new for new, old in enumerate(order)}
    shuffled = tuple(objects[int(old)] for old in order)
    left_to_right = tuple(new_index[i] for i in candidates)
    return ReferringScene(objects=shuffled, target=new_index[0], reference=probe,
                          left_to_right=left_to_right)
