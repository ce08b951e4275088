# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Real DDS between two processes: a peer publishes every input type, this test receives.

The peer (``dds_publisher_peer.py``) builds its payloads from a seed; this process builds
the same payloads from the same seed and compares them, after conversion, with what came
over rmw_fastrtps_cpp. Nothing here asserts on timing: the wait is only a bound.
"""

import importlib.util
import os
from pathlib import Path
import signal
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest

import multimodal_fusion

SEED = 20260417
# A bound, not an expectation: a loaded 2-core machine may need many seconds for discovery.
RECEIVE_TIMEOUT_S = 30.0
PEER_SCRIPT = Path(__file__).with_name('dds_publisher_peer.py')
UNKNOWN_NODE = '_NODE_NAME_UNKNOWN_'


def load_peer_module():
    spec = importlib.util.spec_from_file_location('dds_publisher_peer', PEER_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peer = load_peer_module()


@pytest.fixture
def peer_process(tmp_path):
    """Start the publisher peer in its own process group; always kill it afterwards."""
    prefix = f'/mmf_dds_test_{uuid.uuid4().hex[:12]}'
    env = dict(os.environ)
    repo_root = str(Path(multimodal_fusion.__file__).resolve().parent.parent)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [repo_root, env.get('PYTHONPATH')]))
    log = (tmp_path / 'peer.log').open('w')
    process = subprocess.Popen(
        [sys.executable, str(PEER_SCRIPT), '--seed', str(SEED), '--prefix', prefix,
         '--timeout', str(4 * RECEIVE_TIMEOUT_S)],
        stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    try:
        yield process, prefix, tmp_path / 'peer.log'
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()


def receive_all(prefix, process, log_path):
    """Subscribe to every peer topic and spin until each delivered one message."""
    import rclpy
    from rclpy.context import Context
    from rclpy.executors import SingleThreadedExecutor

    expected_types = {name: type(msg) for name, msg in peer.build_messages(SEED).items()}
    context = Context()
    rclpy.init(context=context)
    node = rclpy.create_node(f'dds_receiver_{os.getpid()}', context=context)
    executor = SingleThreadedExecutor(context=context)
    executor.add_node(node)
    received = {}
    publisher_nodes = {}
    try:
        for name, msg_type in expected_types.items():
            node.create_subscription(
                msg_type, f'{prefix}/{name}',
                lambda msg, name=name: received.setdefault(name, msg),
                peer.reliable_latched_qos())
        deadline = time.monotonic() + RECEIVE_TIMEOUT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f'peer exited with {process.returncode}:\n{log_path.read_text()}')
            executor.spin_once(timeout_sec=0.1)
            if len(received) < len(expected_types):
                continue
            publisher_nodes = {
                name: sorted(info.node_name for info in
                             node.get_publishers_info_by_topic(f'{prefix}/{name}'))
                for name in expected_types}
            # Node names travel separately from endpoints in discovery and may still be
            # '_NODE_NAME_UNKNOWN_' when the data is already here.
            if all(UNKNOWN_NODE not in names for names in publisher_nodes.values()):
                break
        missing = sorted(set(expected_types) - set(received))
        assert not missing, (f'nothing received on {missing} within {RECEIVE_TIMEOUT_S} s; '
                             f'peer log:\n{log_path.read_text()}')
        implementation = rclpy.utilities.get_rmw_implementation_identifier()
    finally:
        executor.shutdown()
        node.destroy_node()
        rclpy.shutdown(context=context)
    return received, publisher_nodes, implementation


@pytest.mark.dds
def test_every_input_type_crosses_a_process_boundary(peer_process):
    from multimodal_fusion.ros import conversions as conv

    process, prefix, log_path = peer_process
    received, publisher_nodes, implementation = receive_all(prefix, process, log_path)
    expected = peer.build_payloads(SEED)

    assert implementation == 'rmw_fastrtps_cpp'
    # The publisher lives in the peer process, not in this one.
    peer_node = f'{peer.NODE_NAME_PREFIX}{process.pid}'
    assert all(nodes == [peer_node] for nodes in publisher_nodes.values()), publisher_nodes

    for name in ('image', 'audio', 'wrench', 'joint_states', 'imu', 'detections'):
        assert conv.stamp_to_ns(received[name].header) == expected['stamp_ns'], name
        assert received[name].header.frame_id == 'peer_frame', name

    image = received['image']
    assert image.encoding == 'rgb8'
    assert image.step == peer.IMAGE_WIDTH * 3 + peer.IMAGE_PADDING
    np.testing.assert_array_equal(conv.image_to_array(image), expected['image'])
    np.testing.assert_array_equal(conv.image_to_rgb(image), expected['image'])

    info = received['audio_info']
    assert (info.channels, info.sample_rate, info.sample_format, info.coding_format) == \
        (peer.AUDIO_CHANNELS, peer.AUDIO_RATE, 'S16LE', 'wave')
    samples = conv.audio_to_array(received['audio'], info)
    np.testing.assert_array_equal(samples, expected['audio'])
    np.testing.assert_array_equal(conv.audio_to_mono(received['audio'], info),
                                  expected['audio'].mean(axis=1, dtype=np.float32))

    assert conv.string_to_text(received['text']) == expected['text']
    np.testing.assert_array_equal(conv.wrench_to_array(received['wrench']), expected['wrench'])

    assert list(received['joint_states'].name) != list(peer.JOINT_NAMES)  # really shuffled
    joints = conv.joint_state_to_arrays(received['joint_states'])
    assert joints.has_velocity
    np.testing.assert_array_equal(joints.positions, expected['joint_positions'])
    np.testing.assert_array_equal(joints.velocities, expected['joint_velocities'])

    np.testing.assert_array_equal(conv.imu_to_array(received['imu']), expected['imu'])

    detections = conv.detections_from_msg(received['detections'])
    np.testing.assert_array_equal(detections.boxes, expected['boxes'])
    assert detections.class_ids == expected['labels']
    np.testing.assert_array_equal(detections.scores, expected['scores'])
    assert detections.referred_index == expected['referred_index']
    assert detections.ids[detections.referred_index] == conv.REFERRED_ID
