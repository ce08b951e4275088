# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The audit's single-message outages, reproduced in this process through the node's callbacks.

Each test hands the active node messages directly (the same callbacks DDS would call) and
checks that the outputs go on, what was counted and what was logged. The same cases over
real DDS with the node in its own process are in ``test_bad_input_catalogue.py``.
"""

import time

import numpy as np
import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.node.fusion_node import FusionNode
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.testing import Feeder
from multimodal_fusion.ros.testing import msg_info
from multimodal_fusion.spec import JOINT_NAMES

S = 1_000_000_000
MS = 1_000_000
IMAGE = np.full((240, 320, 3), 90, np.uint8)
IMU = np.array([0, 0, 0, 1.0, 0, 0, 0, 0, 0, 9.81])


@pytest.fixture
def node():
    rclpy.init()
    node = FusionNode(parameter_overrides=[Parameter('model.warmup_iterations', value=0)])
    assert node.trigger_configure() == TransitionCallbackReturn.SUCCESS
    assert node.trigger_activate() == TransitionCallbackReturn.SUCCESS
    try:
        yield node
    finally:
        node._stop_inputs()
        node._release()
        node.destroy_node()
        rclpy.try_shutdown()


def _outputs(node):
    return node.stats.snapshot(time.monotonic())['outputs']


def test_outputs_flow_from_the_callbacks(node):
    feed = Feeder(node)
    feed.node.inputs.audio_info_msg(feed.info, msg_info())
    assert feed.run_until(lambda: _outputs(node) >= 3)
    assert node.stats.last_presence[4]  # proprio present


def test_an_exception_while_publishing_does_not_end_the_worker(node, monkeypatch):
    # The audit: NaN scores made _publish raise outside the worker's try; the thread ended
    # and the node published nothing again while reporting OK.
    real = node._publish
    calls = []

    def failing_once(synced, result):
        calls.append(1)
        if len(calls) == 1:
            raise ValueError('scores must be finite')
        real(synced, result)

    monkeypatch.setattr(node, '_publish', failing_once)
    feed = Feeder(node)
    feed.run(1)
    assert wait_for(lambda: node.stats.snapshot(0.0)['errors'], timeout=30)
    assert feed.run_until(lambda: _outputs(node) >= 1)
    assert node._worker.is_alive()
    assert node.stats.snapshot(0.0)['errors'] == {'inference_error/ValueError': 1}


def test_a_set_with_non_finite_model_outputs_is_dropped_counted_and_the_next_published(node):
    feed = Feeder(node)
    assert feed.run_until(lambda: _outputs(node) >= 1, joints=False)
    wait_for(lambda: not node.slot.has_item, timeout=10)
    time.sleep(0.5)  # the set in the worker's hands, if any, is published
    before = _outputs(node)
    # Past the conversions (which now refuse it), straight into the synchroniser: the
    # model's scores turn NaN on a joint value of 1e20.
    huge = np.full(len(JOINT_NAMES), 1e20, np.float32)
    node.sync.add_joint_state(feed.t, huge, np.zeros(len(JOINT_NAMES), np.float32))
    node.sync.add_imu(feed.t, IMU)
    feed.camera(feed.t + MS)
    # Nothing else comes, so the set waits for its windows until the node's timer (not
    # spinning here) releases it.
    time.sleep(node.sync.config.window_wait_s)
    node._release_due()
    assert wait_for(lambda: node.stats.snapshot(0.0)['errors'].get('non_finite_output'),
                    timeout=30)
    assert _outputs(node) == before  # nothing published for that set
    feed.t += 2 * S  # the bad joint state ages out
    assert feed.run_until(lambda: _outputs(node) > before, joints=False)
    assert node._worker.is_alive()


@pytest.mark.parametrize('stream, send, field', [
    ('touch/left', lambda n, f: n.inputs.wrench('left', array_to_wrench(
        np.array([1e20, 0, 0, 0, 0, 0]), header=make_header(f.t, 'l'))),
     'WrenchStamped.wrench.force.x'),
    ('proprio/joints', lambda n, f: n.inputs.joint_state(arrays_to_joint_state(
        np.full(len(JOINT_NAMES), 1e20), header=make_header(f.t, 'b'))),
     'JointState.position'),
    ('touch/right', lambda n, f: n.inputs.wrench('right', array_to_wrench(
        np.zeros(6), header=make_header(0, 'r'))), 'WrenchStamped.header.stamp'),
    ('text', lambda n, f: n.inputs.text(String(data='\u200b\u200b')), 'String.data'),
    ('audio_info', lambda n, f: n.inputs.audio_info_msg(_info(sample_rate=1), msg_info()),
     'AudioInfo.sample_rate'),
])
def test_absurd_values_are_refused_with_their_field(node, stream, send, field):
    feed = Feeder(node)
    send(node, feed)
    assert node.stats.snapshot(0.0)['rejected'] == {(stream, field): 1}


def _info(**fields):
    from audio_common_msgs.msg import AudioInfo
    values = {'channels': 1, 'sample_rate': 16000, 'sample_format': 'S16LE', 'bitrate': 0,
              'coding_format': 'wave'}
    values.update(fields)
    return AudioInfo(**values)


def test_one_backwards_wrench_stamp_does_not_black_out_the_outputs(node):
    feed = Feeder(node)
    node.inputs.audio_info_msg(feed.info, msg_info())
    assert feed.run_until(lambda: _outputs(node) >= 1)
    # A wrist driver restarts on its boot clock: 12 s since boot.
    node.inputs.wrench('left', array_to_wrench(np.zeros(6), header=make_header(12 * S, 'l')))
    before = _outputs(node)
    assert feed.run_until(lambda: _outputs(node) >= before + 5, wrench=False)
    assert node.sync.stream_jumps == {'touch/left': 1} and node.sync.time_jumps == 0
    assert node.stats.last_presence[4]  # proprio still present
    assert not node.stats.last_presence[3]  # touch absent while the wrist is off


def test_audio_before_any_audio_info_is_held_then_used_not_counted_malformed(node):
    feed = Feeder(node)
    feed.run(3)  # a few chunks: held for the AudioInfo that races them at start-up
    snap = node.stats.snapshot(0.0)
    assert snap['rejected'] == {} and not snap['unused']
    node.inputs.audio_info_msg(feed.info, msg_info())
    assert feed.run_until(lambda: node.stats.last_presence is not None
                          and node.stats.last_presence[1])  # audio present
    assert not node.stats.snapshot(0.0)['unused']


def test_audio_without_any_audio_info_is_dropped_with_its_own_count(node):
    feed = Feeder(node)
    feed.run(45)  # 1.5 s of chunks: more than are held
    snap = node.stats.snapshot(0.0)
    assert snap['rejected'] == {}
    assert snap['unused'][('waiting_for_audio_info', 'audio')] > 0
    assert node.inputs.notes()['audio'].startswith('no AudioInfo on')


def test_an_audio_info_that_no_longer_fits_the_data_is_caught(node):
    # The driver's description changes mid-stream (48 kHz) while the chunks stay 16 kHz.
    feed = Feeder(node)
    node.inputs.audio_info_msg(feed.info, msg_info())
    feed.run(10)
    node.inputs.audio_info_msg(_info(sample_rate=48000), msg_info())
    # Reported once the mismatch has held for half a second of chunks (a stalled driver's
    # catch-up is not one), then every chunk.
    assert feed.run_until(lambda: node.stats.snapshot(0.0)['rejected'].get(
        ('audio', 'AudioInfo.sample_rate'), 0) >= 5, timeout=30)


def test_the_worker_is_joined_before_publishers_go(node):
    feed = Feeder(node)
    feed.run(3)
    worker = node._worker
    node._stop_inputs()
    assert not worker.is_alive()


def test_joints_no_topic_provides_are_reported_once_with_the_parameter_to_set(node):
    # A robot whose JointState uses its own names for two of the model's joints.
    feed = Feeder(node)
    names = list(JOINT_NAMES)
    names[5], names[9] = 'LeftElbowPitch', 'RightElbowPitch'
    for k in range(60):
        node.inputs.joint_state(arrays_to_joint_state(
            np.zeros(len(names)), joint_names=names,
            header=make_header(feed.t + k * 10 * MS, 'base')))
    assert node.stats.snapshot(0.0)['rejected'] == {}  # not malformed, every message
    missing = [m for m, _ in node.inputs.missing_joints()]
    assert missing == [JOINT_NAMES[5], JOINT_NAMES[9]]
    note = node.inputs.notes()['proprio']
    assert JOINT_NAMES[5] in note and 'joints.map' in note
