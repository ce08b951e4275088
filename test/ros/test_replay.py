# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Offline replay of a recorded bag: its output bag, determinism, bad input, the live node."""

import json
import os
from pathlib import Path

import pytest
import rclpy
from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import StoragePlugin
from rosbags.rosbag2 import Writer
from sensor_msgs.msg import Imu
from std_msgs.msg import String

from multimodal_fusion.ros.bag_io import bag_topics
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import message_type
from multimodal_fusion.ros.bag_io import project_typestore
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.node import qos
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.replay import main
from multimodal_fusion.ros.replay import replay_bag
from multimodal_fusion.ros.replay import summary_lines

ROOT = Path(__file__).resolve().parents[2]
BAG = ROOT / 'test' / 'data' / 'bags' / 'normal_command'
PARAMS = ROOT / 'config' / 'fusion.yaml'
NODE = '/fusion_node'
LABEL_TOPICS = {f'{NODE}/situation': 'std_msgs/msg/String',
                f'{NODE}/action': 'std_msgs/msg/String',
                f'{NODE}/situation_scores': 'vision_msgs/msg/Classification',
                f'{NODE}/action_scores': 'vision_msgs/msg/Classification',
                f'{NODE}/detections': 'vision_msgs/msg/Detection2DArray',
                f'{NODE}/label_info': 'vision_msgs/msg/LabelInfo',
                '/diagnostics': 'diagnostic_msgs/msg/DiagnosticArray'}


def camera_stamps(bag: Path) -> list:
    return sorted(json.loads(deserialize_message(m.data, String).data)['stamp_ns']
                  for m in read_messages(bag, ['/sim/ground_truth']))


def raw_messages(bag: Path) -> list:
    """Every message of a bag as ``(topic, log time, bytes)``, in the bag's order."""
    return [(m.topic, m.log_time_ns, m.data) for m in read_messages(bag)]


def labels_by_stamp(bag: Path) -> dict:
    """``{camera stamp: (situation, action)}`` from the score messages of an output bag."""
    out: dict = {}
    for m in read_messages(bag, [f'{NODE}/situation_scores', f'{NODE}/action_scores']):
        msg = deserialize_message(m.data, message_type(m.type_name))
        pair = out.setdefault(stamp_to_ns(msg.header), [None, None])
        pair[m.topic.endswith('action_scores')] = msg.results[0].class_id
    return {s: tuple(p) for s, p in out.items()}


@pytest.fixture(scope='module')
def replayed(tmp_path_factory):
    out = tmp_path_factory.mktemp('replay') / 'out'
    summary = replay_bag(BAG, out, params=PARAMS, debug_image=True)
    return summary, out


def test_every_camera_frame_gets_the_node_outputs_with_its_header(replayed):
    summary, out = replayed
    frames = camera_stamps(BAG)
    assert summary.frames == len(frames) == 10
    assert summary.sets == summary.outputs == len(frames)
    topics = {t.name: t for t in bag_topics(out)}
    assert {n: t.type_name for n, t in topics.items()} == {
        **LABEL_TOPICS, f'{NODE}/debug_image': 'sensor_msgs/msg/Image'}
    for name in ('situation', 'action', 'situation_scores', 'action_scores', 'detections',
                 'debug_image'):
        assert topics[f'{NODE}/{name}'].count == len(frames), name
    assert topics[f'{NODE}/label_info'].count == 1
    assert topics['/diagnostics'].count >= 5  # 1 s period over a 5 s bag, and a last one
    for name in ('situation_scores', 'action_scores', 'detections', 'debug_image'):
        stamps = [stamp_to_ns(deserialize_message(m.data, message_type(m.type_name)).header)
                  for m in read_messages(out, [f'{NODE}/{name}'])]
        assert stamps == frames, name
    # The String outputs say what the scores' first class says, set by set.
    situations = [deserialize_message(m.data, String).data
                  for m in read_messages(out, [f'{NODE}/situation'])]
    assert situations == [labels_by_stamp(out)[s][0] for s in frames]
    assert sum(summary.situations.values()) == sum(summary.actions.values()) == len(frames)
    # Outputs are logged when published: after their frame arrived, in order.
    times = [t for topic, t, _ in raw_messages(out) if topic == f'{NODE}/detections']
    assert all(t >= s for t, s in zip(times, frames)) and times == sorted(times)


def test_the_summary_says_what_happened(replayed):
    summary, out = replayed
    text = '\n'.join(summary_lines(summary))
    assert 'camera frames' in text and 'frames/s' in text
    assert f'{summary.sets} emitted' in text
    assert '/sim/ground_truth 10' in text and '/clock' in text  # not inputs: ignored
    assert summary.rejected == {} and summary.undecodable == {}


def test_two_replays_give_the_same_messages(replayed, tmp_path):
    _, out = replayed
    again = tmp_path / 'again'
    replay_bag(BAG, again, params=PARAMS, debug_image=True)
    first, second = raw_messages(out), raw_messages(again)
    assert len(first) > 60
    assert first == second


def _copy(src: Path, dst: Path, storage: StoragePlugin) -> None:
    """``src`` rewritten into storage ``storage`` (byte for byte, message for message)."""
    store = project_typestore()
    writer = Writer(dst, version=Writer.VERSION_LATEST, storage_plugin=storage)
    writer.open()
    connections = {t.name: writer.add_connection(t.name, t.type_name, typestore=store,
                                                 offered_qos_profiles=list(t.offers))
                   for t in bag_topics(src)}
    for m in read_messages(src):
        writer.write(connections[m.topic], m.log_time_ns, m.data)
    writer.close()


@pytest.mark.parametrize('form', ['mcap file', 'sqlite3 folder', 'sqlite3 file'])
def test_mcap_and_sqlite3_bags_folders_or_files_replay_alike(replayed, tmp_path, form):
    _, out = replayed
    if form == 'mcap file':
        bag = BAG / 'normal_command.mcap'
    else:
        _copy(BAG, tmp_path / 'sq', StoragePlugin.SQLITE3)
        bag = tmp_path / 'sq' if form == 'sqlite3 folder' else tmp_path / 'sq' / 'sq.db3'
    # A single .mcap file out, as Foxglove opens it.
    single = tmp_path / 'single.mcap'
    # The scorer (where labels are scored) gets both bags once the output is complete.
    scored = []

    def scorer(bag_in, bag_out):
        scored.append((bag_in, len(raw_messages(bag_out))))
        return {'frames': 10}

    summary = replay_bag(bag, single, params=PARAMS, debug_image=True, scorer=scorer)
    assert single.is_file() and summary.frames == 10
    assert raw_messages(single) == raw_messages(out)
    assert scored == [(bag, len(raw_messages(out)))]
    assert 'scores: {"frames": 10}' in summary_lines(summary)


def _bag_with(path: Path, topic: str, msg_type, msgs) -> Path:
    with BagWriter(path) as bag:
        bag.add_topic(topic, msg_type, qos.output_qos())
        for i, msg in enumerate(msgs):
            bag.write(topic, msg, 1_000 * 10**9 + i * 10**7)
    return path


@pytest.mark.parametrize('case, words', [
    ('missing', 'no such bag'),
    ('not a bag', 'not a readable rosbag2 bag'),
    ('no camera', 'no camera topic /camera/image_raw'),
    ('camera of another type', '/camera/image_raw is std_msgs/msg/String, the node reads '
                               'sensor_msgs/msg/Image'),
    ('bad params', "unknown parameter 'sync.slopp'"),
])
def test_bad_input_is_one_line_and_exit_code_2(tmp_path, capsys, case, words):
    bag, params = tmp_path / 'bag', PARAMS
    if case == 'not a bag':
        bag.mkdir()
    elif case == 'no camera':
        _bag_with(bag, '/imu/data', Imu, [Imu(header=make_header(i, 'imu')) for i in range(3)])
    elif case == 'camera of another type':
        _bag_with(bag, '/camera/image_raw', String, [String(data='frame')])
    elif case == 'bad params':
        bag = BAG
        params = tmp_path / 'p.yaml'
        params.write_text('/**:\n  ros__parameters:\n    sync: {slopp: 0.1}\n')
    code = main([str(bag), '--params', str(params), '--out', str(tmp_path / 'out')])
    err = capsys.readouterr().err
    assert code == 2
    assert words in err and 'Traceback' not in err, err
    assert not (tmp_path / 'out').exists()


@pytest.mark.dds
@pytest.mark.slow
def test_replay_publishes_what_the_live_node_published_for_the_same_bag(replayed, tmp_path):
    """The node on DDS (use_sim_time, the bag's /clock), the bag played to it in real time.

    The live node skips a set when a newer one completes while the model is busy
    (superseded); every set it did publish, the replay publishes with the same situation
    and action, and the replay has the others too.
    """
    _, out = replayed
    offline = labels_by_stamp(out)
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    rclpy.init()
    recorder = RecorderThread()
    node = start_process(node_args('use_sim_time:=true') + ['--params-file', str(PARAMS)],
                         env, tmp_path / 'node.log')
    player = None
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=120), 'node never activated'
        assert node.poll() is None, (tmp_path / 'node.log').read_text()
        player = start_process(['-m', 'multimodal_fusion.ros.bag_player', str(BAG),
                                '--wait-for-subscribers', '10'], env, tmp_path / 'player.log')
        assert player.wait(timeout=60) == 0, (tmp_path / 'player.log').read_text()
        frames = camera_stamps(BAG)
        wait_for(lambda: max(recorder.node.snapshot().outputs, default=0) >= frames[-1],
                 timeout=5)
        wait_for(lambda: False, timeout=1.0)  # the last score messages
        live = {s: (o.situation, o.action)
                for s, o in recorder.node.snapshot().outputs.items()
                if o.situation is not None and o.action is not None}
    finally:
        for proc in (player, node):
            if proc is not None:
                stop_process(proc)
        recorder.close()
        rclpy.try_shutdown()
    assert set(live) <= set(frames)
    assert len(live) >= len(frames) - 2, (sorted(live), frames)
    assert set(offline) == set(frames)
    differ = {s: (live[s], offline[s]) for s in live if live[s] != offline[s]}
    assert differ == {}, f'live, replay: {differ}'
