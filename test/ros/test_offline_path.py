# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node's path without DDS: topic names, params files, routing, the replay clock."""

import os
from pathlib import Path

from geometry_msgs.msg import WrenchStamped
import numpy as np
import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.node.config import node_config_from_file
from multimodal_fusion.ros.node.config import NodeConfig
from multimodal_fusion.ros.node.fusion_node import FusionNode
from multimodal_fusion.ros.node.parameters import PARAMS
from multimodal_fusion.ros.offline_path import OfflinePath
from multimodal_fusion.ros.offline_path import output_topic
from multimodal_fusion.ros.offline_path import OUTPUTS
from multimodal_fusion.ros.offline_path import resolve_topic
from multimodal_fusion.spec import DEFAULT_SPEC

ROOT = Path(__file__).resolve().parents[2]
S = 1_000_000_000
MS = 1_000_000
T0 = 1_000 * S
IMAGE = np.zeros((4, 6, 3), dtype=np.uint8)


@pytest.mark.parametrize('name, namespace, expected', [
    ('camera/image_raw', '/', '/camera/image_raw'),
    ('camera/image_raw', '/robot1', '/robot1/camera/image_raw'),
    ('camera/image_raw', 'robot1/', '/robot1/camera/image_raw'),
    ('/joint_states', '/robot1', '/joint_states'),
    ('~/situation', '/', '/fusion_node/situation'),
    ('~/situation', '/robot1', '/robot1/fusion_node/situation'),
])
def test_topic_names_resolve_as_rclpy_resolves_them(name, namespace, expected):
    assert resolve_topic(name, namespace=namespace) == expected


def test_outputs_are_under_the_node_and_diagnostics_global():
    assert output_topic('detections', namespace='/r') == '/r/fusion_node/detections'
    assert output_topic('diagnostics', namespace='/r') == '/diagnostics'


def test_the_shipped_params_file_gives_the_defaults():
    assert (node_config_from_file(ROOT / 'config' / 'fusion.yaml')
            == node_config_from_file(None))


def test_a_params_file_is_read_as_the_node_reads_it(tmp_path):
    path = tmp_path / 'robot.yaml'
    path.write_text(
        '/**:\n  ros__parameters:\n    use_sim_time: true\n'
        '    topics: {camera: head/image, imu: ""}\n    sync: {slop: 0.02}\n'
        'fusion_node:\n  ros__parameters:\n    sync: {slop: 0.03}\n'
        '    overrides: [detection.max_detections=7]\n')
    config = node_config_from_file(path)
    assert config.topics.camera == 'head/image' and config.topics.imu is None
    # The node's own section comes after /**; overrides over both.
    assert config.sync.slop_s == 0.03
    assert config.detection.max_detections == 7


@pytest.mark.parametrize('text, words', [
    ('/**:\n  ros__parameters:\n    sync: {slopp: 0.1}\n', "unknown parameter 'sync.slopp'"),
    ('/**:\n  ros__parameters:\n    sync: {slop: 9.0}\n', 'sync.slop must be <= 5.0'),
    ('other_node:\n  ros__parameters: {}\n', 'no section for /** or fusion_node'),
    ('[1, 2\n', 'is not YAML'),
])
def test_a_bad_params_file_is_named_with_what_is_wrong(tmp_path, text, words):
    path = tmp_path / 'bad.yaml'
    path.write_text(text)
    with pytest.raises(ValueError) as error:
        node_config_from_file(path)
    assert str(path) in str(error.value) and words in str(error.value)


def _config(**values):
    return NodeConfig.from_values({**{p.name: p.default for p in PARAMS}, **values})


def test_routes_come_from_the_configured_topic_names():
    config = _config(**{'topics.camera': 'head/image', 'topics.joint_states': ['arm', 'leg'],
                        'topics.imu': ''})
    path = OfflinePath(config, DEFAULT_SPEC, namespace='/r')
    assert set(path.routes) == {
        '/r/head/image', '/r/audio/audio_stamped', '/r/audio/audio_info', '/r/speech/text',
        '/r/wrist/left/wrench', '/r/wrist/right/wrench', '/r/arm', '/r/leg'}
    assert path.routes['/r/head/image'].stream == 'camera'
    compressed = OfflinePath(_config(**{'topics.camera_transport': 'compressed'}),
                             DEFAULT_SPEC)
    assert compressed.routes['/camera/image_raw/compressed'].stream == 'camera'


def test_message_filters_is_refused_with_what_to_set():
    with pytest.raises(ValueError, match='sync.implementation: builtin'):
        OfflinePath(_config(**{'sync.implementation': 'message_filters'}), DEFAULT_SPEC)


def _camera(path, stamp, arrival):
    return path.handle('/camera/image_raw',
                       array_to_image(IMAGE, 'rgb8', header=make_header(stamp, 'cam')), arrival)


def _wrench(path, wrist, stamp, arrival):
    return path.handle(f'/wrist/{wrist}/wrench',
                       WrenchStamped(header=make_header(stamp, 'wrist')), arrival)


def test_text_is_stamped_with_its_arrival_time():
    path = OfflinePath(_config(), DEFAULT_SPEC)
    path.handle('/speech/text', String(data='come here'), T0 + 10 * MS)
    assert _camera(path, T0 + 9 * MS, T0 + 20 * MS)[0].frames.text is None
    assert _camera(path, T0 + 10 * MS, T0 + 30 * MS)[0].frames.text == 'come here'


def test_a_set_waiting_for_a_stream_that_stopped_leaves_on_the_release_timer():
    path = OfflinePath(_config(), DEFAULT_SPEC)
    wait = path.sync.config.window_wait_s
    assert wait > 0
    for i in range(5):
        for wrist in ('left', 'right'):
            _wrench(path, wrist, T0 + i * 5 * MS, T0 + i * 5 * MS)
    # Touch is live, so the frame waits for rows at its stamp; none come.
    assert _camera(path, T0 + 40 * MS, T0 + 40 * MS) == []
    assert path.advance(T0 + 40 * MS + int(wait / 2 * S)) == []
    released = path.advance(T0 + 40 * MS + int(wait * S) + int(wait / 2 * S))
    assert [s.stamp_ns for s in released] == [T0 + 40 * MS]
    assert path.sync.drops.snapshot()['late'] == {'touch': 1}


def test_the_waiting_sets_leave_when_the_input_ends():
    path = OfflinePath(_config(), DEFAULT_SPEC)
    for wrist in ('left', 'right'):
        _wrench(path, wrist, T0, T0)
    assert _camera(path, T0 + 20 * MS, T0 + 20 * MS) == []
    assert [s.stamp_ns for s in path.finish()] == [T0 + 20 * MS]


def test_the_counters_read_the_replay_clock():
    ticks = []
    path = OfflinePath(_config(**{'diagnostics.period': 0.5}), DEFAULT_SPEC,
                       on_tick=ticks.append)
    for i in range(11):  # 10 Hz for 1 s of replay time, however fast it runs
        _camera(path, T0 + i * 100 * MS, T0 + i * 100 * MS)
    rates = path.stats.snapshot(path.clock.seconds())['rates']
    assert rates['camera'] == pytest.approx(10.0)
    assert ticks == [T0 + 500 * MS, T0 + 1000 * MS]


@pytest.fixture
def ros():
    rclpy.init()
    yield
    rclpy.try_shutdown()


def test_the_node_subscribes_and_publishes_what_the_offline_path_routes_and_emits(ros):
    # The live node, configured from the same values in a namespace: its subscriptions are
    # the offline routes (topic and type), its publishers the offline outputs.
    name = f'fusion_node_offline_{os.getpid()}'
    values = {'topics.camera': 'head/image', 'topics.joint_states': ['arm', '/leg'],
              'model.warmup_iterations': 0}
    node = FusionNode(name, namespace='/r61',
                      parameter_overrides=[Parameter(k, value=v) for k, v in values.items()])
    try:
        assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
        assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
        path = OfflinePath(_config(**values), node.engine.spec, namespace='/r61',
                           node_name=name)
        subscribed = {(s.topic_name, s.msg_type) for s in node.input_subscriptions}
        assert subscribed == {(r.topic, r.msg_type) for r in path.routes.values()}
        published = {(p.topic_name, p.msg_type) for p in node._outputs.values()}
        assert published == {(output_topic(n, namespace='/r61', node_name=name), t)
                             for n, (_, t, _) in OUTPUTS.items()}
    finally:
        node._stop_inputs()
        node._release()
        node.destroy_node()
