# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Test helpers for training on bags: a team's label names and a small labelled bag.

A module of the package rather than of ``test/`` (see ``training/testing.py``).
"""

from __future__ import annotations

import pathlib

from multimodal_fusion.labels.mapping import LabelMapping

# A team's names for the simulator's: situations merged, renamed and dropped (their frames
# are unlabelled), a subset of actions. Five situations, four actions, the same objects.
TEAM_MAPPING = LabelMapping(
    situations={'object_grasped': 'holding', 'handover': 'holding',
                'person_approaching': 'person_near', 'walking': 'moving',
                'command_given': None, 'object_slipping': None, 'collision': None,
                'pushed': None, 'fall_risk': None},
    actions={'pick_up': 'fetch', 'give': 'fetch', 'come_here': 'approach',
             'put_down': None, 'point_at': None, 'look_at': None},
    order={'situations': ('idle', 'person_near', 'moving', 'holding', 'alarm'),
           'actions': ('none', 'fetch', 'approach', 'stop')})
TEAM_SITUATIONS = TEAM_MAPPING.order['situations']


def record_team_bag(path: pathlib.Path, *, seed: int = 7, first_episode: int = 0,
                    episodes: int = 11, camera_rate_hz: float = 10.0) -> dict:
    """Record a simulator bag labelled in :data:`TEAM_MAPPING`'s names on ``/labels``.

    Eleven episodes from episode 0 hold every situation once (about 77 s, 770 frames at
    10 Hz).
    """
    from multimodal_fusion.ros.bag_recorder import BagPlan
    from multimodal_fusion.ros.bag_recorder import record_bag

    plan = BagPlan(seed=seed, first_episode=first_episode, episodes=episodes,
                   camera_rate_hz=camera_rate_hz, labels=True)
    return record_bag(pathlib.Path(path), plan, label_mapping=TEAM_MAPPING)
