# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Bags written with rosbags: every message type round-trips, metadata and definitions.

No DDS here: the writer, the reader and the simulator recorder work on files alone.
"""

import json
from pathlib import Path
import sys

from diagnostic_msgs.msg import DiagnosticArray
from diagnostic_msgs.msg import DiagnosticStatus
from diagnostic_msgs.msg import KeyValue
import numpy as np
import pytest
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rclpy.serialization import deserialize_message
from rclpy.serialization import serialize_message
from rosbags.rosbag2 import Reader
from rosbags.typesys import get_types_from_msg
from ruamel.yaml import YAML
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from multimodal_fusion.ros.bag_io import bag_topics
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import interface_definitions
from multimodal_fusion.ros.bag_io import message_type
from multimodal_fusion.ros.bag_io import project_typestore
from multimodal_fusion.ros.bag_io import qos_from_bag
from multimodal_fusion.ros.bag_io import qos_to_bag
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_io import ros_type_name
from multimodal_fusion.ros.bag_recorder import BagPlan
from multimodal_fusion.ros.bag_recorder import main as record_main
from multimodal_fusion.ros.bag_recorder import parse_args
from multimodal_fusion.ros.bag_recorder import read_plan
from multimodal_fusion.ros.bag_recorder import record_bag
from multimodal_fusion.ros.conversions import classification_to_msg
from multimodal_fusion.ros.conversions import detections_to_msg
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS
from multimodal_fusion.ros.sim_messages import SIM_TIME_ORIGIN_NS
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_messages import timeline
from multimodal_fusion.ros.sim_messages import TOPICS
from multimodal_fusion.sim import ScenarioSimulator

ROOT = Path(__file__).resolve().parents[2]
SEED = 7
EPISODE = 6
S = 10**9


def sim_messages(seconds: float = 0.5) -> list:
    """``(topic, message)`` of the simulator's first ``seconds``, every sensor type in them.

    A speech text is added (the episode's own comes later).
    """
    builder = SimMessages()
    out = [(topic, msg) for topic, msg in builder.start(SIM_TIME_ORIGIN_NS)]
    for event in timeline(ScenarioSimulator(SEED), [EPISODE]):
        if event.at_ns > seconds * S:
            break
        out += builder.build(event, SIM_TIME_ORIGIN_NS + event.at_ns)
    out.append(('speech/text', String(data='please show me the ball')))
    return out


def other_messages() -> list:
    """The node's output types and the odd fields (byte, empty arrays, nested sequences)."""
    header = make_header(SIM_TIME_ORIGIN_NS, 'head_camera')
    status = DiagnosticStatus(level=DiagnosticStatus.WARN, name='fusion_node: inputs',
                              message='camera time jumped back', hardware_id='',
                              values=[KeyValue(key='time_jumps', value='1')])
    return [
        ('/clock', clock_message(SIM_TIME_ORIGIN_NS)),
        ('/detections', detections_to_msg(np.array([[10.0, 20.0, 50.0, 60.0]]), ['3'],
                                          np.array([0.9]), header=header, referred_index=0)),
        ('/situation_scores', classification_to_msg(['idle', 'alarm'], np.array([0.2, 0.8]),
                                                    header=header)),
        ('/label_info', label_info_to_msg(['cube', 'ball'], 0.3, header=header)),
        ('/diagnostics', DiagnosticArray(header=header, status=[status])),
        # rclpy serialises this one with 4 stray bytes rosbags refuses (ROS_ENV.md).
        ('/empty_effort', JointState(header=header, name=['a'], position=[1.0],
                                     velocity=[0.5])),
        ('/empty_joints', JointState()),
    ]


def write(path: Path, messages: list) -> None:
    with BagWriter(path) as bag:
        for topic, msg in messages:
            name = topic if topic.startswith('/') else '/' + topic
            if name not in bag.counts:
                qos = TOPICS[topic][1] if topic in TOPICS else CLOCK_QOS
                bag.add_topic(name, type(msg), qos)
            bag.write(name, msg, SIM_TIME_ORIGIN_NS)


def test_every_message_type_round_trips_through_a_bag(tmp_path):
    messages = sim_messages() + other_messages()
    types = {ros_type_name(type(m)) for _, m in messages}
    assert {'sensor_msgs/msg/Image', 'audio_common_msgs/msg/AudioDataStamped',
            'audio_common_msgs/msg/AudioInfo', 'std_msgs/msg/String',
            'geometry_msgs/msg/WrenchStamped', 'sensor_msgs/msg/JointState',
            'sensor_msgs/msg/Imu', 'rosgraph_msgs/msg/Clock',
            'vision_msgs/msg/Detection2DArray', 'vision_msgs/msg/Classification',
            'vision_msgs/msg/LabelInfo', 'diagnostic_msgs/msg/DiagnosticArray'} <= types
    write(tmp_path / 'bag', messages)
    read = list(read_messages(tmp_path / 'bag'))
    assert len(read) == len(messages)
    store = project_typestore()
    # Same order (equal receive times keep the written order), same fields through rclpy
    # and through rosbags' own reader.
    for (topic, msg), got in zip(messages, read):
        assert got.topic.lstrip('/') == topic.lstrip('/')
        # (Compared after rclpy's own round trip, which rounds float32 fields.)
        expected = deserialize_message(serialize_message(msg), type(msg))
        assert deserialize_message(got.data, message_type(got.type_name)) == expected, topic
        store.deserialize_cdr(got.data, got.type_name)


def test_metadata_is_what_ros2_bag_reads(tmp_path):
    write(tmp_path / 'bag', sim_messages())
    info = YAML(typ='safe').load((tmp_path / 'bag' / 'metadata.yaml').read_text())[
        'rosbag2_bagfile_information']
    assert info['version'] == 9
    assert info['storage_identifier'] == 'mcap'
    assert info['relative_file_paths'] == ['bag.mcap']
    assert (tmp_path / 'bag' / 'bag.mcap').is_file()
    assert info['message_count'] == sum(t['message_count']
                                        for t in info['topics_with_message_count'])
    topics = {t['topic_metadata']['name']: t['topic_metadata']
              for t in info['topics_with_message_count']}
    image = topics['/camera/image_raw']
    assert image['type'] == 'sensor_msgs/msg/Image'
    assert image['serialization_format'] == 'cdr'
    assert image['type_description_hash'].startswith('RIHS01_')
    (offer,) = image['offered_qos_profiles']
    assert (offer['reliability'], offer['durability'], offer['history'], offer['depth']) == (
        'reliable', 'volatile', 'keep_last', 10)
    (latched,) = topics['/audio/audio_info']['offered_qos_profiles']
    assert latched['durability'] == 'transient_local'
    # Defaults recorded as rosbag2 records them from a live publisher (infinite).
    assert offer['deadline'] == {'sec': 9223372036, 'nsec': 854775807}


def test_message_definitions_are_embedded_and_hash_like_rosidl(tmp_path):
    write(tmp_path / 'bag', sim_messages() + other_messages())
    with Reader(tmp_path / 'bag') as reader:
        schemas = {c.msgtype: (c.msgdef.data, c.digest) for c in reader.connections}
    text, digest = schemas['audio_common_msgs/msg/AudioDataStamped']
    # The full definition, dependencies included, as ros2 bag record embeds it.
    assert 'std_msgs/Header header' in text and 'MSG: audio_common_msgs/AudioData' in text
    assert 'uint8[] data' in text
    assert 'MSG: vision_msgs/BoundingBox2D' in schemas['vision_msgs/msg/Detection2DArray'][0]
    # The hashes equal those rosidl generated for the installed interfaces.
    store = project_typestore()
    for name in interface_definitions():
        package, _, type_name = name.split('/')
        description = Path(sys.prefix) / 'share' / package / 'msg' / f'{type_name}.json'
        if not description.is_file():
            pytest.skip(f'no rosidl type description at {description}')
        hashes = json.loads(description.read_text())['type_hashes']
        expected = next(h['hash_string'] for h in hashes if h['type_name'] == name)
        assert store.hash_rihs01(name) == expected, name
    assert digest == store.hash_rihs01('audio_common_msgs/msg/AudioDataStamped')


def test_project_definitions_are_the_dev_interfaces_files():
    found = interface_definitions()
    files = sorted(ROOT.glob('dev_interfaces/*/msg/*.msg'))
    assert sorted(found) == sorted(f'{p.parts[-3]}/msg/{p.stem}' for p in files)
    for path in files:
        assert get_types_from_msg(path.read_text(), f'{path.parts[-3]}/msg/{path.stem}')


def test_qos_survives_the_bag_and_comes_back_as_offered():
    for qos in (QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE),
                QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                           durability=DurabilityPolicy.TRANSIENT_LOCAL),
                QoSProfile(depth=5, reliability=ReliabilityPolicy.BEST_EFFORT)):
        back = qos_from_bag([qos_to_bag(qos)])
        assert (back.reliability, back.durability, back.depth) == (
            qos.reliability, qos.durability, qos.depth)
    # Publishers that disagree: the player offers what every subscriber can match.
    mixed = qos_from_bag([qos_to_bag(QoSProfile(depth=1, reliability=r, durability=d))
                          for r, d in ((ReliabilityPolicy.RELIABLE,
                                        DurabilityPolicy.TRANSIENT_LOCAL),
                                       (ReliabilityPolicy.BEST_EFFORT,
                                        DurabilityPolicy.VOLATILE))])
    assert (mixed.reliability, mixed.durability) == (ReliabilityPolicy.BEST_EFFORT,
                                                     DurabilityPolicy.VOLATILE)
    assert qos_from_bag([]).reliability == ReliabilityPolicy.RELIABLE


def _stamp(data: bytes) -> int:
    # Every stamped message here starts with its header: int32 sec, uint32 nanosec.
    return int.from_bytes(data[4:8], 'little', signed=True) * S + int.from_bytes(
        data[8:12], 'little')


def test_recorder_is_deterministic_and_keeps_the_simulator_topics(tmp_path):
    plan = BagPlan(seed=SEED, first_episode=EPISODE, duration_s=1.0, camera_rate_hz=10)
    first = record_bag(tmp_path / 'a' / 'bag', plan)
    record_bag(tmp_path / 'b' / 'bag', plan)
    bag = tmp_path / 'a' / 'bag'
    assert (bag / 'bag.mcap').read_bytes() == (tmp_path / 'b' / 'bag' / 'bag.mcap').read_bytes()
    assert first['camera_frames'] == 10
    assert read_plan(bag) == plan
    names = {t.name for t in bag_topics(bag)}
    assert names == {'/' + t for t in TOPICS} | {'/clock'}
    read = list(read_messages(bag))
    assert [m.log_time_ns for m in read] == sorted(m.log_time_ns for m in read)
    # Stamps are the receive times (simulated time from the origin).
    for m in read:
        if m.topic in ('/camera/image_raw', '/joint_states', '/wrist/left/wrench'):
            assert _stamp(m.data) == m.log_time_ns
    clock = [_stamp(m.data) for m in read if m.topic == '/clock']
    assert clock[0] == SIM_TIME_ORIGIN_NS and np.all(np.diff(clock) > 0)
    assert np.diff(clock).max() <= S // 100


def test_recorder_stops_a_stream_and_jumps_time_back(tmp_path):
    plan = BagPlan(seed=SEED, first_episode=EPISODE, duration_s=2.0, camera_rate_hz=5,
                   streams=('camera', 'touch'), stops={'touch': 0.5}, jump_at_s=1.0,
                   jump_back_s=3.0, origin_ns=2000 * S)
    record_bag(tmp_path / 'bag', plan)
    read = list(read_messages(tmp_path / 'bag'))
    assert {m.topic for m in read} == {'/camera/image_raw', '/sim/ground_truth', '/clock',
                                       '/wrist/left/wrench', '/wrist/right/wrench'}
    touch = [m.log_time_ns for m in read if m.topic == '/wrist/right/wrench']
    assert max(touch) < 2000 * S + S // 2 and len(touch) == 100
    frames = [(m.log_time_ns, _stamp(m.data)) for m in read if m.topic == '/camera/image_raw']
    assert len(frames) == 10
    # Receive times go on; stamps jump 3 s back at 1 s, and /clock with them.
    assert all(s == t for t, s in frames if t < 2001 * S)
    assert all(s == t - 3 * S for t, s in frames if t >= 2001 * S)
    clock = [_stamp(m.data) for m in read if m.topic == '/clock']
    assert sum(np.diff(clock) < 0) == 1
    truth = [json.loads(deserialize_message(m.data, String).data)['stamp_ns'] for m in read
             if m.topic == '/sim/ground_truth']
    assert truth == [s for _, s in frames]


def _command_episode(seed: int) -> tuple[int, float]:
    """The first episode of ``seed`` with a spoken command, and its end on the bag's timeline.

    The timeline of a bag that starts with an episode begins at the episode's start time
    (speech may begin before its time 0).
    """
    sim = ScenarioSimulator(seed)
    for index in range(100):
        episode = sim.episode(index)
        end = episode.plan.command_end
        if episode.plan.command is not None and end - episode.start_time() > 1.0:
            return index, end - episode.start_time()
    raise AssertionError(f'no episode with a command among the first 100 of seed {seed}')


def test_recorder_start_and_duration_cut_the_timeline(tmp_path):
    episode, command_end = _command_episode(SEED)
    plan = BagPlan(seed=SEED, first_episode=episode, start_s=command_end - 0.39,
                   duration_s=1.0, camera_rate_hz=2)
    record_bag(tmp_path / 'bag', plan)
    read = list(read_messages(tmp_path / 'bag'))
    assert read[0].log_time_ns == SIM_TIME_ORIGIN_NS
    assert read[-1].log_time_ns < SIM_TIME_ORIGIN_NS + S
    assert sum(m.topic == '/camera/image_raw' for m in read) == 2
    # The command ends 0.39 s after the bag's start: it is in the bag, then.
    (text,) = [m for m in read if m.topic == '/speech/text']
    assert abs(text.log_time_ns - SIM_TIME_ORIGIN_NS - 0.39 * S) < 0.05 * S


@pytest.mark.parametrize('args, message', [
    (['--streams', 'camera,sonar'], 'unknown streams'),
    (['--camera-rate', '7'], 'does not divide'),
    (['--stop', 'touch'], 'STREAM=SECONDS'),
    (['--jump-at', '1'], 'expected both > 0'),
])
def test_recorder_refuses_bad_arguments(tmp_path, capsys, args, message):
    with pytest.raises(SystemExit) as exc:
        record_main([str(tmp_path / 'bag'), *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_recorder_command_writes_a_bag_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / 'bag'
    args = [str(out), '--first-episode', str(EPISODE), '--duration', '0.5',
            '--camera-rate', '2', '--streams', 'camera,proprio']
    assert record_main(args) == 0
    assert 'camera frames' in capsys.readouterr().out
    with pytest.raises(SystemExit):
        record_main(args)
    assert record_main(args + ['--force']) == 0


def test_committed_bags_match_the_commands_in_their_readme():
    bags = ROOT / 'test' / 'data' / 'bags'
    prefix = '.venv/bin/python -m multimodal_fusion.ros.bag_recorder '
    commands = [line[len(prefix):].split() for line in
                (bags / 'README.md').read_text().splitlines() if line.startswith(prefix)]
    assert len(commands) == 3
    for argv in commands:
        args, plan = parse_args(argv)
        assert read_plan(ROOT / args.out) == plan, args.out


def test_committed_bags_are_there_and_small():
    bags = ROOT / 'test' / 'data' / 'bags'
    names = sorted(p.name for p in bags.iterdir() if (p / 'metadata.yaml').is_file())
    assert names == ['normal_command', 'time_jump', 'touch_dies']
    size = sum(f.stat().st_size for f in bags.rglob('*') if f.is_file())
    assert size <= 5_000_000, size
    assert {t.name for t in bag_topics(bags / 'normal_command')} == {
        '/camera/image_raw', '/audio/audio_stamped', '/audio/audio_info', '/speech/text',
        '/wrist/left/wrench', '/wrist/right/wrench', '/joint_states', '/imu/data',
        '/sim/ground_truth', '/clock'}
