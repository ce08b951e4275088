# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Referring expressions: which words name which tabletop object.

A reference names a subset of shape, colour and size, optionally followed by a relative
position ('the red cube on the left'). Its meaning is fixed here, once, and used both to
generate scenes (so the expression always picks exactly one object while distractors share
some of its words) and to check them in tests:

* the candidates are the objects matching every attribute word;
* without a position word the reference is valid when there is exactly one candidate;
* 'left' / 'right' pick the candidate with the smallest / largest box centre x, and are
  only generated for two or three candidates; 'middle' is only generated for three.

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
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

_POSITION_PHRASES = {'left': 'on the left', 'middle': 'in the middle', 'right': 'on the right'}

# (attribute words said, position said?, weight). Weights favour the harder forms that
# need both vision and language: colour + shape with a same-coloured or same-shaped
# distractor, and relative positions among identical-looking twins.
_MODES: tuple[tuple[tuple[str, ...], bool, float], ...] = (
    (('shape',), False, 0.08),
    (('color', 'shape'), False, 0.22),
    (('size', 'shape'), False, 0.10),
    (('size', 'color', 'shape'), False, 0.18),
    (('color',), False, 0.05),
    (('color', 'shape'), True, 0.22),
    (('size', 'color', 'shape'), True, 0.08),
    (('shape',), True, 0.07),
)
_HARD_DISTRACTOR_P = 0.6


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

    def __post_init__(self) -> None:
        if self.shape is None and self.color is None:
            raise ValueError('a reference needs a shape or a colour word')
        if self.position is not None and self.position not in POSITIONS:
            raise ValueError(f'unknown position {self.position!r}; expected one of {POSITIONS}')

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
        return ' '.join(words)

    def matches(self, obj: ObjectAttributes) -> bool:
        """Whether ``obj`` has every attribute the reference says (position aside)."""
        return ((self.shape is None or obj.shape == self.shape)
                and (self.color is None or obj.color == self.color)
                and (self.size is None or obj.size == self.size))


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
        left_to_right: indices of the candidates in the left-to-right order the layout must
            respect (empty when the reference has no position word).
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


def sample_referring_scene(rng: np.random.Generator, count: int) -> ReferringScene:
    """Objects, a target and a reference that picks exactly that target.

    Args:
        rng: the episode's generator.
        count: number of objects, at least two.
    """
    if count < 2:
        raise ValueError(f'a referring scene needs at least 2 objects, got {count}')
    weights = np.array([mode[2] for mode in _MODES])
    said, positional, _ = _MODES[int(rng.choice(len(_MODES), p=weights / weights.sum()))]
    target = random_object(rng)
    reference_words = {name: getattr(target, name) for name in said}
    objects = [target]
    position = None
    if positional:
        positions = ('left', 'middle', 'right') if count >= 3 else ('left', 'right')
        position = positions[int(rng.integers(len(positions)))]
        twins = 2 if position == 'middle' else int(rng.integers(1, min(2, count - 1) + 1))
        objects += [_twin(rng, target, said) for _ in range(twins)]
        rank = {'left': 0, 'middle': 1, 'right': twins}[position]
        candidates = list(range(1, twins + 1))
        candidates.insert(rank, 0)
    while len(objects) < count:
        objects.append(_distractor(rng, target, said))
    order = rng.permutation(count)
    new_index = {int(old): new for new, old in enumerate(order)}
    shuffled = tuple(objects[int(old)] for old in order)
    left_to_right = tuple(new_index[i] for i in candidates) if positional else ()
    reference = Reference(position=position, **reference_words)
    return ReferringScene(objects=shuffled, target=new_index[0], reference=reference,
                          left_to_right=left_to_right)
