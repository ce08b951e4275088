# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""LabelMapping: rename, merge and drop the simulator's names into a team's."""

import pytest

from multimodal_fusion.labels import Box
from multimodal_fusion.labels import FrameBoxes
from multimodal_fusion.labels import Interval
from multimodal_fusion.labels import LabelMapping
from multimodal_fusion.labels import LabelSet
from multimodal_fusion.labels.sim_truth import SIM_NAMES

S = 1_000_000_000
MAPPING = LabelMapping(
    situations={'object_grasped': 'holding', 'handover': 'holding',
                'person_approaching': None},
    actions={'look_at': 'none', 'point_at': 'none', 'stop': None},
    object_classes={'ring': None, 'cone': 'toy', 'ball': 'toy'})


def test_mapped_names_merge_rename_and_drop_in_the_old_order():
    names = MAPPING.map_names(SIM_NAMES)
    assert names.situations == ('idle', 'command_given', 'walking', 'holding',
                                'object_slipping', 'collision', 'pushed', 'fall_risk', 'alarm')
    assert names.actions == ('none', 'pick_up', 'put_down', 'give', 'come_here')
    assert names.object_classes == ('cube', 'toy', 'cylinder', 'person')
    ordered = LabelMapping(situations=MAPPING.situations, order={
        'situations': sorted(names.situations)}).map_names(SIM_NAMES)
    assert ordered.situations == tuple(sorted(names.situations))


def test_apply_merges_touching_equal_intervals_and_drops_the_rest():
    ball = Box('ball', (1, 1, 5, 5))
    labels = LabelSet(SIM_NAMES, [
        Interval(0, 1 * S, 'idle', 'none'),
        Interval(1 * S, 2 * S, 'object_grasped', 'look_at',
                 frames=(FrameBoxes(1 * S, (ball, Box('ring', (0, 0, 2, 2)))),)),
        Interval(2 * S, 3 * S, 'handover', 'point_at', frames=(FrameBoxes(2 * S, (ball,)),)),
        Interval(3 * S, 4 * S, 'person_approaching', 'none'),
        Interval(4 * S, 5 * S, 'walking', 'stop'),
        # Same names after mapping, but not touching: stays apart.
        Interval(6 * S, 7 * S, 'handover', 'none'),
    ], source='sim.yaml')
    mapped = MAPPING.apply(labels)
    assert mapped.names == MAPPING.map_names(SIM_NAMES)
    assert [(i.start_ns // S, i.end_ns // S, i.situation, i.action)
            for i in mapped.intervals] == [
        (0, 1, 'idle', 'none'), (1, 3, 'holding', 'none'), (4, 5, 'walking', None),
        (6, 7, 'holding', 'none')]
    holding = mapped.intervals[1]
    assert [f.boxes for f in holding.frames] == [
        (Box('toy', (1, 1, 5, 5)),), (Box('toy', (1, 1, 5, 5)),)]
    assert mapped.at(3 * S + S // 2) is None
    assert mapped.at(2 * S).boxes == (Box('toy', (1, 1, 5, 5)),)
    assert mapped.source == 'sim.yaml'


def test_mapping_refuses_names_the_labels_do_not_have():
    with pytest.raises(ValueError, match=r"renames situations \['grasped'\]"):
        LabelMapping(situations={'grasped': 'holding'}).map_names(SIM_NAMES)
    with pytest.raises(ValueError, match='expected each of the mapped names'):
        LabelMapping(order={'actions': ['none']}).map_names(SIM_NAMES)
    with pytest.raises(ValueError, match='unknown kinds'):
        LabelMapping(order={'verbs': []})
