# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The situation label as a function of observable cues.

Each cue is something at least one modality shows within its window; the label is the first
situation in ``SITUATION_PRIORITY`` whose cue is present. Generators place lower-priority
cues freely as confounders, and never a higher-priority cue, so the rule and the generator
agree by construction; episodes check it at every sample.

Cues are tri-state: ``True`` clearly present, ``False`` clearly absent, ``None`` in
transition (a transient entering or leaving its window). A stream instant whose decisive cue
is in transition is ``UNLABELLED``; samples are only drawn where it is not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from multimodal_fusion.sim.vocab import situation_index
from multimodal_fusion.sim.vocab import UNLABELLED


@dataclass(frozen=True)
class Cues:
    """What the windows ending at one instant show.

    Attributes:
        falling: body tilt past the fall threshold (IMU, joints, tilted camera).
        pushed: a shove within the proprio window (IMU transient, ankle/hip response).
        collision: an impact spike within the touch window.
        reaching: an arm moving out (or stopped mid-reach) without a decisive cue.
        slipping: a held object slipping out of the hand (its load falling in stick-slip steps).
        alarm: an alarm sounding (audio).
        fresh_command: a command recognised just now (text present, its speech ends within
            the audio window's second half). Stale text alone is not a fresh command.
        grasp: an object held (touch load, holding posture).
        person: a person in view (camera).
        walking: the robot walking (gait in joints and IMU).
        footsteps: footsteps audible (audio).
    """

    falling: Optional[bool]
    pushed: Optional[bool]
    collision: Optional[bool]
    reaching: bool
    slipping: Optional[bool]
    alarm: Optional[bool]
    fresh_command: Optional[bool]
    grasp: bool
    person: bool
    walking: bool
    footsteps: bool


def situation_from_cues(cues: Cues) -> int:
    """Index into ``SITUATIONS`` of the situation these cues show, or ``UNLABELLED``."""
    for flag, name in ((cues.falling, 'fall_risk'), (cues.pushed, 'pushed'),
                       (cues.collision, 'collision')):
        if flag is None:
            return UNLABELLED
        if flag:
            return situation_index(name)
    if cues.reaching:
        # An arm moving out with nothing else going on is no situation of ours.
        return UNLABELLED
    for flag, name in ((cues.slipping, 'object_slipping'), (cues.alarm, 'alarm'),
                       (cues.fresh_command, 'command_given')):
        if flag is None:
            return UNLABELLED
        if flag:
            return situation_index(name)
    if cues.grasp:
        return situation_index('handover' if cues.person else 'object_grasped')
    if cues.walking:
        return situation_index('walking')
    if cues.person and cues.footsteps:
        return situation_index('person_approaching')
    return situation_index('idle')
