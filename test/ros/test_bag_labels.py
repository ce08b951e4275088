# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labels in rosbag2 bags: the /labels topic through real MCAP files, files beside a bag."""

import json
from pathlib import Path
import re

import pytest
from rclpy.qos import DurabilityPolicy
from rclpy.serialization import deserialize_message
from rosgraph_msgs.msg import Clock
from std_msgs.msg import String

from multimodal_fusion.labels import Box
from multimodal_fusion.labels import FrameBoxes
from multimodal_fusion.labels import Interval
from multimodal_fusion.labels import LabelError
from multimodal_fusion.labels import LabelMapping
from multimodal_fusion.labels import LabelNames
from multimodal_fusion.labels import LabelSet
from multimodal_fusion.labels import Referred
from multimodal_fusion.labels import TimeRange
from multimodal_fusion.labels import write_labels
from multimodal_fusion.labels.sim_truth import SIM_NAMES
from multimodal_fusion.ros.bag_io import bag_topics
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_labels import bag_labels
from multimodal_fusion.ros.bag_labels import bag_time_range
from multimodal_fusion.ros.bag_labels import label_message
from multimodal_fusion.ros.bag_labels import LABELS_TOPIC
from multimodal_fusion.ros.bag_labels import read_labels_topic
from multimodal_fusion.ros.bag_labels import STAMP_SLACK_NS
from multimodal_fusion.ros.bag_labels import write_labels_topic
from multimodal_fusion.ros.bag_recorder import BagPlan
from multimodal_fusion.ros.bag_recorder import parse_args
from multimodal_fusion.ros.bag_recorder import read_plan
from multimodal_fusion.ros.bag_recorder import record_bag
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS

ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000_000
ORIGIN = 1000 * S
NAMES = LabelNames(situations=('idle', 'holding'), actions=('none', 'fetch'),
                   object_classes=('mug',))
INTERVALS = [
    Interval(ORIGIN, ORIGIN + 2 * S, 'idle', 'none'),
    Interval(ORIGIN + 2 * S, ORIGIN + 3 * S + 1, 'holding', 'fetch',
             Referred(object_id='m', stamp_ns=ORIGIN + 2 * S, box=(1.5, 2, 3, 4)),
             (FrameBoxes(ORIGIN + 2 * S, (Box('mug', (1.5, 2, 3, 4), object_id='m'),)),
              FrameBoxes(ORIGIN + 2 * S + S // 30, ()))),
    Interval(ORIGIN + 4 * S, ORIGIN + 5 * S, 'holding'),
]


def _bag(path, labels=None, *, messages=(), end_s=5):
    """A bag with /clock every 0.5 s from ORIGIN to ORIGIN + end_s, and labels or messages."""
    with BagWriter(path) as bag:
        bag.add_topic('/clock', Clock, CLOCK_QOS)
        for i in range(2 * end_s + 1):
            bag.write('/clock', clock_message(ORIGIN + i * S // 2), ORIGIN + i * S // 2)
        if labels is not None:
            write_labels_topic(bag, labels)
        if messages:
            bag.add_topic(LABELS_TOPIC, String, CLOCK_QOS)
            for at, text in messages:
                bag.write(LABELS_TOPIC, String(data=text), at)
    return path


def test_labels_round_trip_through_the_topic_of_a_real_bag(tmp_path):
    bag = tmp_path / 'bag'
    time_range = TimeRange(ORIGIN, ORIGIN + 5 * S + 1, slack_ns=STAMP_SLACK_NS)
    labels = LabelSet(NAMES, INTERVALS, time_range=time_range)
    _bag(bag, labels)
    assert bag_time_range(bag) == time_range
    (topic,) = [t for t in bag_topics(bag) if t.name == LABELS_TOPIC]
    assert topic.type_name == 'std_msgs/msg/String' and topic.count == 3
    assert topic.latched
    # One message per interval, received at its start, after the names-first clock ticks.
    read = [m for m in read_messages(bag) if m.topic == LABELS_TOPIC]
    assert [m.log_time_ns for m in read] == [i.start_ns for i in INTERVALS]
    first = json.loads(deserialize_message(read[0].data, String).data)
    assert first['names'] == NAMES.as_dict() and first['interval']['start'] == ORIGIN
    again = read_labels_topic(bag)
    assert again == labels
    assert again.source == f'{bag}#{LABELS_TOPIC}' and again.time_range == time_range
    assert again.at(ORIGIN + 2 * S).referred_box == (1.5, 2.0, 3.0, 4.0)
    assert again.at(ORIGIN + 3 * S).situation == 'holding'
    assert again.at(ORIGIN + 3 * S + 1) is None
    assert bag_labels(bag) == labels


def test_labels_without_intervals_still_declare_their_names(tmp_path):
    labels = LabelSet(NAMES, [], time_range=TimeRange(ORIGIN, ORIGIN + S))
    _bag(tmp_path / 'bag', labels)
    again = read_labels_topic(tmp_path / 'bag')
    assert again.names == NAMES and again.intervals == ()
    with pytest.raises(ValueError, match='names_at_ns'):
        with BagWriter(tmp_path / 'other') as bag:
            write_labels_topic(bag, LabelSet(NAMES, []))


def test_the_documented_message_reads_from_a_bag(tmp_path):
    text = (ROOT / 'docs' / 'labels.md').read_text(encoding='utf-8')
    message = re.findall(r'```json\n(.*?)```', text, re.S)[0]
    bag = _bag(tmp_path / 'bag', messages=[(ORIGIN + 2_500_000_000, message)])
    labels = read_labels_topic(bag)
    assert labels.names.situations == ('idle', 'holding')
    frame = labels.at(ORIGIN + 3 * S)
    assert (frame.situation, frame.action, frame.referred.object_id) == (
        'holding', 'fetch', 'mug1')


def test_a_bag_without_labels_has_none(tmp_path):
    assert read_labels_topic(_bag(tmp_path / 'bag')) is None
    assert bag_labels(tmp_path / 'bag') is None


def _record(interval, names=NAMES) -> str:
    return label_message(names, interval).data


@pytest.mark.parametrize('messages, line, reason', [
    ([(ORIGIN, _record(INTERVALS[0])), (ORIGIN + S, '{not json')], 2, 'not JSON'),
    ([(ORIGIN, '[1, 2]')], 1, 'expected an object with keys'),
    ([(ORIGIN, _record(INTERVALS[0])),
      (ORIGIN + 2 * S, _record(INTERVALS[1], LabelNames(('idle', 'holding', 'x'))))],
     2, 'differ from the first message'),
    ([(ORIGIN, _record(INTERVALS[0]).replace('"situation":"idle"', '"situation":"sleep"'))], 1,
     "unknown situation 'sleep'"),
    ([(ORIGIN, _record(INTERVALS[0]).replace(f'"end":{ORIGIN + 2 * S}', '"end":2.5'))], 1,
     'expected a stamp in nanoseconds'),
    ([(ORIGIN, _record(INTERVALS[0])), (ORIGIN + S, _record(INTERVALS[0]))], 2, 'overlaps'),
    ([(ORIGIN, _record(Interval(ORIGIN + 4 * S, ORIGIN + 9 * S, 'idle')))], 1,
     'after the end of the bag'),
    ([(ORIGIN, _record(INTERVALS[0]).replace('"version":1', '"version":3'))], 1,
     "expected 'multimodal_fusion/labels' version 1"),
])
def test_bad_label_messages_are_refused_with_their_number(tmp_path, messages, line, reason):
    bag = _bag(tmp_path / 'bag', messages=messages)
    with pytest.raises(LabelError) as exc:
        read_labels_topic(bag)
    assert (exc.value.file, exc.value.line) == (f'{bag}#{LABELS_TOPIC}', line), str(exc.value)
    assert reason in exc.value.reason


def test_a_labels_topic_of_another_type_is_refused(tmp_path):
    bag = tmp_path / 'bag'
    with BagWriter(bag) as writer:
        writer.add_topic(LABELS_TOPIC, Clock, CLOCK_QOS)
        writer.write(LABELS_TOPIC, clock_message(ORIGIN), ORIGIN)
    with pytest.raises(LabelError, match='type rosgraph_msgs/msg/Clock; expected std_msgs'):
        read_labels_topic(bag)


def test_a_label_file_beside_the_bag_wins_and_counts_from_its_start(tmp_path):
    bag = _bag(tmp_path / 'bag', LabelSet(NAMES, INTERVALS[:1]))
    mine = LabelSet(NAMES, INTERVALS[1:], time_range=bag_time_range(bag))
    write_labels(mine, bag / 'labels.yaml')
    assert 'start: 2.0' in (bag / 'labels.yaml').read_text()
    assert bag_labels(bag) == mine
    (bag / 'labels.yaml').write_text('times: relative_s\nsituations: [idle]\nintervals:\n'
                                     '  - {start: 4.5, end: 6.0, situation: idle}\n')
    with pytest.raises(LabelError) as exc:
        bag_labels(bag)
    assert (exc.value.file, exc.value.line) == (str(bag / 'labels.yaml'), 4)
    assert 'after the end of the bag' in exc.value.reason


def test_the_recorder_writes_the_ground_truth_as_labels(tmp_path):
    plan = BagPlan(seed=7, first_episode=17, start_s=1.5, duration_s=5.0, camera_rate_hz=2,
                   streams=('camera', 'text'), labels=True)
    summary = record_bag(tmp_path / 'bag', plan)
    assert read_plan(tmp_path / 'bag') == plan
    labels = read_labels_topic(tmp_path / 'bag')
    assert summary['messages'][LABELS_TOPIC] == len(labels.intervals) >= 2
    (topic,) = [t for t in bag_topics(tmp_path / 'bag') if t.name == LABELS_TOPIC]
    assert topic.offers[0].durability.name == DurabilityPolicy.TRANSIENT_LOCAL.name
    truths = [json.loads(deserialize_message(m.data, String).data)
              for m in read_messages(tmp_path / 'bag', ['/sim/ground_truth'])]
    assert len(truths) == 10
    assert any(t['situation'] is None for t in truths)
    assert any(t['target_box'] is not None for t in truths)
    for truth in truths:
        frame = labels.at(truth['stamp_ns'])
        if truth['situation'] is None:
            assert frame is None
            continue
        assert (frame.situation, frame.action) == (truth['situation'], truth['action'])
        assert [list(b.box) for b in frame.boxes] == truth['boxes']
        assert [b.class_name for b in frame.boxes] == truth['classes']
        want = tuple(truth['target_box']) if truth['target_box'] else None
        assert frame.referred_box == want


def test_the_recorder_writes_a_teams_names(tmp_path):
    mapping = LabelMapping(situations={'object_grasped': 'holding', 'command_given': None},
                           actions={'give': 'hand_over'})
    plan = BagPlan(seed=7, first_episode=17, start_s=1.5, duration_s=5.0, camera_rate_hz=2,
                   streams=('camera',), labels=True)
    record_bag(tmp_path / 'bag', plan, label_mapping=mapping)
    labels = read_labels_topic(tmp_path / 'bag')
    assert labels.names == mapping.map_names(SIM_NAMES)
    assert 'holding' in labels.names.situations
    assert 'command_given' not in labels.names.situations
    assert {i.situation for i in labels.intervals} == {'holding'}
    assert {i.action for i in labels.intervals} == {'none', 'hand_over'}


@pytest.mark.parametrize('kwargs', [
    {'labels': True, 'jump_at_s': 1.0, 'jump_back_s': 2.0},
    {'labels': True, 'streams': ('touch',)},
])
def test_the_recorder_refuses_labels_it_cannot_key_by_stamp(kwargs):
    with pytest.raises(ValueError, match='need the camera stream and no jump'):
        BagPlan(**kwargs)


def test_the_recorder_command_line_takes_labels(tmp_path):
    args, plan = parse_args([str(tmp_path / 'bag'), '--labels', '--duration', '1'])
    assert plan.labels and not parse_args([str(tmp_path / 'bag')])[1].labels


def test_header_stamps_a_little_before_the_first_receive_time_are_inside(tmp_path):
    bag = _bag(tmp_path / 'bag')
    early = Interval(ORIGIN - S // 5, ORIGIN + S, 'idle')
    labels = LabelSet(NAMES, [early], time_range=bag_time_range(bag))
    assert labels.at(ORIGIN - S // 10).situation == 'idle'
    with pytest.raises(LabelError, match='outside the bag .* give or take 0.5 s'):
        LabelSet(NAMES, [Interval(ORIGIN - S, ORIGIN, 'idle')], time_range=bag_time_range(bag))
    with pytest.raises(LabelError, match='outside the bag'):
        LabelSet(NAMES, [early], time_range=bag_time_range(bag, slack_ns=0))
