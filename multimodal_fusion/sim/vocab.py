# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Label sets of the scenario simulator, defined once.

The index of a name in its tuple is the integer label the model predicts, so these tuples
are append-only: reordering them silently changes the meaning of trained heads.
"""

from __future__ import annotations

SITUATIONS: tuple[str, ...] = (
    'idle',
    'command_given',
    'person_approaching',
    'walking',
    'object_grasped',
    'handover',
    'object_slipping',
    'collision',
    'pushed',
    'fall_risk',
    'alarm',
)

# A situation is the first one in this order whose cue is present. The order is a safety
# order (a robot that is falling is falling, whatever else happens), and it is what makes
# the label a deterministic function of all modalities while cues of lower-priority
# situations still appear as confounders in higher-priority ones.
SITUATION_PRIORITY: tuple[str, ...] = (
    'fall_risk',
    'pushed',
    'collision',
    'object_slipping',
    'alarm',
    'command_given',
    'handover',
    'object_grasped',
    'walking',
    'person_approaching',
    'idle',
)

ACTIONS: tuple[str, ...] = (
    'none',
    'pick_up',
    'put_down',
    'give',
    'point_at',
    'look_at',
    'come_here',
    'stop',
)
# Actions whose command names one object on the table.
REFERRING_ACTIONS: tuple[str, ...] = ('pick_up', 'give', 'point_at', 'look_at')

SHAPES: tuple[str, ...] = ('cube', 'ball', 'cylinder', 'cone', 'ring')
# Detection classes: the tabletop shapes, then people.
OBJECT_CLASSES: tuple[str, ...] = SHAPES + ('person',)
PERSON_CLASS = OBJECT_CLASSES.index('person')
COLORS: tuple[str, ...] = ('red', 'green', 'blue', 'yellow')
SIZES: tuple[str, ...] = ('small', 'large')
# Relative positions among the objects that match the other words of a referring expression.
POSITIONS: tuple[str, ...] = ('left', 'middle', 'right')
# Where the referred object lies relative to another one, named by its own words ('the cube
# left of the green ball'): in the image, as the camera sees it.
RELATIONS: tuple[str, ...] = ('left_of', 'right_of')

# Ground truth where there is nothing to point at.
NO_TARGET = -1
NO_TARGET_LOCATION: tuple[float, float] = (-1.0, -1.0)
# Attribute value of things that have no colour or size (people).
NO_ATTRIBUTE = -1
# Situation of a stream instant that lies between two well-defined states.
UNLABELLED = -1


def situation_index(name: str) -> int:
    """Label index of a situation name.

    Raises:
        ValueError: for a name not in ``SITUATIONS``.
    """
    if name not in SITUATIONS:
        raise ValueError(f'unknown situation {name!r}; expected one of {SITUATIONS}')
    return SITUATIONS.index(name)


def action_index(name: str) -> int:
    """Label index of an action name.

    Raises:
        ValueError: for a name not in ``ACTIONS``.
    """
    if name not in ACTIONS:
        raise ValueError(f'unknown action {name!r}; expected one of {ACTIONS}')
    return ACTIONS.index(name)
