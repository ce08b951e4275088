# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The simulator's per-frame ground truth as intervals: every frame looks up its own truth."""

import pytest

from multimodal_fusion.labels import LabelMapping
from multimodal_fusion.labels import TimeRange
from multimodal_fusion.labels.sim_truth import GroundTruthLabeller
from multimodal_fusion.labels.sim_truth import SIM_NAMES
from multimodal_fusion.labels.sim_truth import TARGET_ID
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.sim.vocab import SITUATIONS

S = 1_000_000_000
PERIOD = S // 5


def _record(stamp, situation, action='none', target=None, boxes=((1, 1, 9, 9),),
            classes=('cube',)):
    return {'stamp_ns': stamp, 'situation': situation, 'action': action,
            'target_box': list(target) if target else None, 'boxes': [list(b) for b in boxes],
            'classes': list(classes)}


def _sim_records(seed=7, index=17, every=6):
    """Ground truth records of one simulated episode's frames, as the recorder writes them."""
    episode = ScenarioSimulator(seed).episode(index)
    records = []
    for i, (t, frame, truth) in enumerate(episode.camera_frames()):
        if i % every:
            continue
        records.append({
            'stamp_ns': int(round((t + 10) * S)),
            'situation': SITUATIONS[truth.situation] if truth.situation >= 0 else None,
            'action': ACTIONS[truth.action],
            'target_box': truth.boxes[truth.target].tolist() if truth.target >= 0 else None,
            'boxes': truth.boxes.tolist(),
            'classes': [OBJECT_CLASSES[c] for c in truth.classes]})
    return records


def test_frames_with_equal_labels_form_intervals_that_unlabelled_frames_end():
    labeller = GroundTruthLabeller(PERIOD)
    stamps = [i * PERIOD for i in range(8)]
    situations = ['idle', 'idle', None, 'walking', 'walking', 'walking', 'walking', 'alarm']
    actions = ['none'] * 4 + ['stop'] * 4
    for stamp, situation, action in zip(stamps, situations, actions):
        target = (2, 2, 4, 4) if action == 'stop' and stamp > 4 * PERIOD else None
        labeller.add(_record(stamp, situation, action, target,
                             boxes=((1, 1, 9, 9), (2, 2, 4, 4)), classes=('cube', 'ball')),
                     episode=0)
    labels = labeller.label_set(TimeRange(0, 7 * PERIOD + PERIOD // 2))
    assert [(i.start_ns, i.end_ns, i.situation, i.action) for i in labels.intervals] == [
        (0, 2 * PERIOD, 'idle', 'none'), (3 * PERIOD, 4 * PERIOD, 'walking', 'none'),
        (4 * PERIOD, 7 * PERIOD, 'walking', 'stop'),
        (7 * PERIOD, 7 * PERIOD + PERIOD // 2, 'alarm', 'stop')]
    stop = labels.intervals[2]
    assert stop.referred.object_id == TARGET_ID and stop.referred.stamp_ns == 5 * PERIOD
    assert labels.at(4 * PERIOD).referred_box is None
    assert labels.at(6 * PERIOD).referred_box == (2.0, 2.0, 4.0, 4.0)
    assert [b.object_id for b in labels.at(6 * PERIOD).boxes] == [None, TARGET_ID]
    assert labels.at(2 * PERIOD) is None


def test_intervals_never_span_two_episodes_and_stamps_only_move_forward():
    labeller = GroundTruthLabeller(PERIOD)
    labeller.add(_record(0, 'idle'), episode='a')
    labeller.add(_record(PERIOD, 'idle'), episode='b')
    assert [(i.start_ns, i.end_ns) for i in labeller.finish(10 * S)] == [
        (0, PERIOD), (PERIOD, 2 * PERIOD)]
    with pytest.raises(ValueError, match='only move forward'):
        labeller.add(_record(PERIOD, 'idle'), episode='b')
    with pytest.raises(ValueError, match='frame_period_ns'):
        GroundTruthLabeller(0)


def test_every_simulated_frame_looks_up_its_own_ground_truth():
    records = _sim_records()
    labeller = GroundTruthLabeller(6 * S // 30)
    for record in records:
        labeller.add(record, episode=1)
    labels = labeller.label_set(TimeRange(records[0]['stamp_ns'],
                                          records[-1]['stamp_ns'] + S))
    assert labels.names == SIM_NAMES
    # Episode 17: a command naming an object, and transitions left unlabelled.
    assert len(labels.intervals) >= 4
    assert any(r['situation'] is None for r in records)
    assert sum(r['target_box'] is not None for r in records) >= 10
    for record in records:
        frame = labels.at(record['stamp_ns'])
        if record['situation'] is None:
            assert frame is None
            continue
        assert (frame.situation, frame.action) == (record['situation'], record['action'])
        assert [list(b.box) for b in frame.boxes] == record['boxes']
        assert [b.class_name for b in frame.boxes] == record['classes']
        want = tuple(record['target_box']) if record['target_box'] else None
        assert frame.referred_box == want


def test_a_mapping_renames_before_intervals_are_formed():
    mapping = LabelMapping(situations={'idle': 'calm', 'walking': 'calm'},
                           object_classes={'cube': None})
    labeller = GroundTruthLabeller(PERIOD, mapping)
    labeller.add(_record(0, 'idle'), episode=0)
    labeller.add(_record(PERIOD, 'walking'), episode=0)
    labels = labeller.label_set(TimeRange(0, S))
    assert [(i.start_ns, i.end_ns, i.situation) for i in labels.intervals] == [
        (0, 2 * PERIOD, 'calm')]
    assert labels.at(PERIOD).boxes == ()
    assert 'idle' not in labels.names.situations
