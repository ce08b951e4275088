# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node as users run it: its own process, fed over real DDS by the simulator.

One live run (module fixture) is shared by the behaviour tests: the node with the shipped
model, a simulator publisher for camera, audio, text and proprioception, a second one for
touch that is killed mid-run (a crashed wrist driver), and malformed messages sent from
this process. Nothing here asserts on wall-clock time.
"""

import dataclasses
import os
import shutil
import time

from geometry_msgs.msg import WrenchStamped
import numpy as np
import pytest
import rclpy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from sensor_msgs.msg import Image

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.recorder import Recording
from multimodal_fusion.ros.recorder import score
from multimodal_fusion.ros.sim_publisher import CAMERA_FRAME
from multimodal_fusion.ros.sim_publisher import total_duration_s

pytestmark = [pytest.mark.dds, pytest.mark.slow]

# A simulator seed no training split uses (see docs/training.md).
SEED = 77_001
EPISODES = 4
PUBLISHER = ['-m', 'multimodal_fusion.ros.sim_publisher', '--seed', str(SEED), '--episodes',
             str(EPISODES)]


@dataclasses.dataclass
class LiveRun:
    rec: Recording
    node_log: str
    start_ns: int
    malformed_ns: int
    kill_ns: int
    node_alive_at_end: bool


def _env():
    return isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))


def _send_malformed(node) -> None:
    reliable = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
    camera = node.create_publisher(Image, 'camera/image_raw', reliable)
    wrench = node.create_publisher(WrenchStamped, 'wrist/left/wrench', reliable)
    wait_for(lambda: camera.get_subscription_count() > 0
             and wrench.get_subscription_count() > 0, timeout=10)
    stamp = node.get_clock().now().nanoseconds
    image = array_to_image(np.zeros((240, 320, 3), np.uint8), 'rgb8',
                           header=make_header(stamp, CAMERA_FRAME))
    image.step = 100  # fewer bytes per row than 320 rgb8 pixels need
    bad_wrench = WrenchStamped(header=make_header(stamp, 'left_wrist'))
    bad_wrench.wrench.force.x = float('nan')
    for _ in range(3):
        camera.publish(image)
        wrench.publish(bad_wrench)
        time.sleep(0.05)


@pytest.fixture(scope='module')
def live(tmp_path_factory):
    out = tmp_path_factory.mktemp('live')
    env = _env()
    rclpy.init()
    recorder = RecorderThread()
    node = start_process(node_args(), env, out / 'node.log')
    publishers = []
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=180), 'node never configured'
        assert node.poll() is None, (out / 'node.log').read_text()
        duration = total_duration_s(SEED, EPISODES)
        start_ns = time.time_ns() + 3_000_000_000
        timeline = ['--start-ns', str(start_ns)]
        publishers.append(start_process(
            PUBLISHER + ['--streams', 'camera,audio,text,proprio'] + timeline, env,
            out / 'publisher.log'))
        touch = start_process(PUBLISHER + ['--streams', 'touch'] + timeline, env,
                              out / 'touch.log')
        publishers.append(touch)
        malformed_ns = start_ns + int(0.3 * duration * 1e9)
        kill_ns = start_ns + int(0.6 * duration * 1e9)
        time.sleep(max(0.0, (malformed_ns - time.time_ns()) / 1e9))
        _send_malformed(recorder.node)
        time.sleep(max(0.0, (kill_ns - time.time_ns()) / 1e9))
        touch.kill()  # SIGKILL: the wrist driver dies without a goodbye
        publishers[0].wait(timeout=duration + 120)
        time.sleep(1.5)
        alive = node.poll() is None
        # Log lines are written as they happen (unbuffered), so the file is complete here.
        yield LiveRun(rec=recorder.node.snapshot(), node_log=(out / 'node.log').read_text(),
                      start_ns=start_ns,
                      malformed_ns=malformed_ns, kill_ns=kill_ns, node_alive_at_end=alive)
    finally:
        for proc in publishers:
            stop_process(proc)
        stop_process(node)
        recorder.close()
        rclpy.try_shutdown()


def _before(rec: Recording, end_ns: int) -> Recording:
    return Recording(outputs={s: o for s, o in rec.outputs.items() if s < end_ns},
                     truth={s: t for s, t in rec.truth.items() if s < end_ns})


def test_outputs_carry_the_camera_header(live):
    outputs = live.rec.outputs
    assert len(outputs) > 50
    published = set(live.rec.truth)
    # Every output stamp is the stamp of a camera frame the simulator published.
    strays = sorted((s - live.start_ns) / 1e9 for s in set(outputs) - published)
    assert not strays, f'{len(strays)} outputs with unknown stamps (s after start): {strays[:10]}'
    assert {o.frame_id for o in outputs.values()} == {CAMERA_FRAME}


def test_outputs_match_the_ground_truth_while_all_sensors_run(live):
    summary = score(_before(live.rec, live.kill_ns))
    print('live summary:', summary)  # the figures behind the thresholds, shown with -s
    assert summary['frames_with_output'] > 50
    # Measured here on the issue-12 simulator (quiet machine): situation 0.73, action 0.85,
    # detection recall 0.93, grounding 0.99 with the shipped model; the previous model gave
    # 0.71 / 0.89 / 0.93 / 0.99 on the same stream, and 0.846 action in one loaded CI run.
    # Most situation misses, with either model, are person_approaching read as idle or
    # command_given.
    # Thresholds leave room for a loaded CI machine.
    assert summary['situation_accuracy'] >= 0.65, summary  # chance: 1 in 11
    assert summary['action_accuracy'] >= 0.8, summary
    assert summary['detection_recall'] >= 0.88, summary
    assert summary['grounding_frames'] > 0
    assert summary['grounding_accuracy'] >= 0.8, summary


def test_killing_the_touch_stream_keeps_outputs_flowing_with_touch_absent(live):
    grace_ns = live.kill_ns + 1_500_000_000
    after = [s for s in live.rec.outputs if s > grace_ns]
    assert len(after) > 30
    late = [values for t, values in live.rec.diagnostics if t > grace_ns + 1_000_000_000]
    assert late, 'no diagnostics after the touch stream died'
    last = late[-1]
    assert last['fusion_node: inference/present/touch'] == 'False'
    assert last['fusion_node: inference/present/camera'] == 'True'
    assert last['fusion_node: inference/present/proprio'] == 'True'
    assert float(last['fusion_node: inputs/rate_hz/touch/left']) == 0.0


def test_malformed_messages_are_counted_logged_and_survived(live):
    assert live.node_alive_at_end
    last = live.rec.diagnostics[-1][1]
    assert int(last['fusion_node: drops/messages/malformed/camera/Image.step']) >= 1
    touch_keys = [k for k in last if k.startswith(
        'fusion_node: drops/messages/malformed/touch/left/')]
    assert touch_keys and int(last[touch_keys[0]]) >= 1
    assert 'rejected a camera message' in live.node_log and 'Image.step' in live.node_log
    assert 'rejected a touch/left message' in live.node_log
    # Outputs went on after the malformed messages.
    assert any(s > live.malformed_ns + 1_000_000_000 for s in live.rec.outputs)


def _run_node_expecting_failure(tmp_path, *params):
    proc = start_process(node_args(*params), _env(), tmp_path / 'node.log')
    try:
        proc.wait(timeout=180)
    finally:
        stop_process(proc)
    return proc.returncode, (tmp_path / 'node.log').read_text()


def test_a_tampered_model_fails_configure_with_the_reason(tmp_path):
    model = tmp_path / 'model.pt'
    shutil.copy(default_model_path(), model)
    shutil.copy(str(default_model_path()) + '.sha256', str(model) + '.sha256')
    with open(model, 'ab') as f:
        f.write(b'tampered')
    code, log = _run_node_expecting_failure(tmp_path, f'model.path:={model}')
    assert code == 1
    assert 'configure failed' in log and 'sha256 mismatch' in log and 'model.path' in log


@pytest.mark.parametrize('param,fragment', [
    ('sync.slop:=-1.0', 'sync.slop out of range'),
    ('sync.required:=[audio]', 'sync.required must include camera'),
    ('model.device:=gpu', 'model.device'),
])
def test_a_bad_parameter_fails_at_start_with_the_reason(tmp_path, param, fragment):
    code, log = _run_node_expecting_failure(tmp_path, param)
    assert code == 1
    assert fragment in log
