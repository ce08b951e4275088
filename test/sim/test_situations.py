# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import dataclasses

from multimodal_fusion.sim.situations import Cues
from multimodal_fusion.sim.situations import situation_from_cues
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.sim.vocab import UNLABELLED

QUIET = Cues(falling=False, pushed=False, collision=False, reaching=False, slipping=False,
             alarm=False, fresh_command=False, grasp=False, person=False, walking=False,
             footsteps=False)


def _label(**changes):
    value = situation_from_cues(dataclasses.replace(QUIET, **changes))
    return SITUATIONS[value] if value != UNLABELLED else None


def test_each_cue_alone():
    assert _label() == 'idle'
    assert _label(falling=True) == 'fall_risk'
    assert _label(pushed=True) == 'pushed'
    assert _label(collision=True, reaching=True) == 'collision'
    assert _label(slipping=True, grasp=True) == 'object_slipping'
    assert _label(alarm=True) == 'alarm'
    assert _label(fresh_command=True) == 'command_given'
    assert _label(grasp=True) == 'object_grasped'
    assert _label(walking=True) == 'walking'


def test_combinations_need_more_than_one_modality():
    assert _label(grasp=True, person=True) == 'handover'
    assert _label(person=True, footsteps=True) == 'person_approaching'
    assert _label(person=True) == 'idle'
    assert _label(footsteps=True) == 'idle'


def test_priority_decides_between_present_cues():
    assert _label(falling=True, alarm=True, grasp=True, person=True) == 'fall_risk'
    assert _label(alarm=True, fresh_command=True) == 'alarm'
    assert _label(fresh_command=True, grasp=True, person=True) == 'command_given'
    assert _label(walking=True, person=True, footsteps=True) == 'walking'


def test_transitions_are_unlabelled():
    assert _label(falling=None) is None
    assert _label(fresh_command=None) is None
    assert _label(reaching=True) is None
    assert _label(falling=True, pushed=None) == 'fall_risk'
