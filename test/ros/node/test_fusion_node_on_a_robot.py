# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node on a robot whose drivers are not the simulator's, set up by parameters alone.

Over real DDS, with the node in its own process: a camera publishing CompressedImage (and,
in a second run, yuv422_yuy2), an audio_capture-shaped audio driver (stamped topic, its
AudioInfo latched once before the node starts and sent again later), and a robot whose 30
joints, named unlike the model's, arrive on two JointState topics at different rates and
are mapped by ``joints.map``. Then what an operator does to the running node: a live
parameter change that takes effect, one that is refused with the transition that applies
it, and cleanup → configure loading another model file. Everything runs once per camera.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time

import pytest
import rclpy
from rclpy.node import Node
from std_msgs.msg import String
import yaml

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.testing import NodeControl
from multimodal_fusion.ros.testing import NodeLog
from multimodal_fusion.ros.testing import SensorDriver
from multimodal_fusion.ros.testing import spin_in_background
from multimodal_fusion.spec import JOINT_NAMES

pytestmark = [pytest.mark.dds, pytest.mark.slow]

NODE = 'fusion_node'
# The robot's names: every model joint under another name, and 13 joints the model does
# not read; the upper body on one controller's topic at 50 Hz, the legs on another at 25 Hz.
ROBOT_NAME = {j: f'hx_{j}_jnt' for j in JOINT_NAMES}
UPPER = [ROBOT_NAME[j] for j in JOINT_NAMES if not j.split('_')[0] in ('l', 'r')
         or 'hip' not in j and 'knee' not in j and 'ankle' not in j] + [
    f'hx_finger_{k}' for k in range(10)]
LOWER = [ROBOT_NAME[j] for j in JOINT_NAMES if ROBOT_NAME[j] not in UPPER] + [
    'hx_l_toe', 'hx_r_toe', 'hx_waist_roll']
JOINT_TOPICS = [('robot/upper/joint_states', UPPER, 50.0),
                ('robot/lower/joint_states', LOWER, 25.0)]


@dataclasses.dataclass
class Robot:
    node: object
    log: NodeLog
    driver: SensorDriver
    recorder: RecorderThread
    control: NodeControl
    tmp: object

    def diagnostics(self) -> dict:
        return self.recorder.node.latest_diagnostics()

    def value(self, key: str, default: str = '') -> str:
        return self.diagnostics().get(f'{NODE}: {key}', default)

    def outputs_after(self, stamp_ns: int) -> list:
        # Only frames whose three outputs have all arrived: the situation, action and
        # detections of one frame come on three topics, so the newest may still be partial.
        outputs = self.recorder.node.snapshot().outputs
        return [outputs[s] for s in sorted(outputs) if s > stamp_ns and outputs[s].complete]


def _params_file(tmp_path, camera_transport: str) -> str:
    params = {'/**': {'ros__parameters': {
        'topics': {'camera_transport': camera_transport,
                   'joint_states': [t for t, _, _ in JOINT_TOPICS]},
        'joints': {'map': [f'{j}={ROBOT_NAME[j]}' for j in JOINT_NAMES]},
        'diagnostics': {'period': 0.25,
                        'expected_rates': ['camera=15', 'proprio/joints=75']},
        'model': {'warmup_iterations': 1},
    }}}
    path = tmp_path / 'robot.yaml'
    path.write_text(yaml.safe_dump(params))
    return str(path)


def _start(tmp_path, camera: str):
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    rclpy.init()
    recorder = RecorderThread()
    helper = Node('robot_drivers')
    executor = spin_in_background(helper)
    # The audio driver is up first: its AudioInfo is latched before the node exists.
    driver = SensorDriver(helper, camera=camera, joint_topics=JOINT_TOPICS)
    transport = 'compressed' if camera in ('jpeg', 'png') else 'raw'
    args = node_args() + ['--params-file', _params_file(tmp_path, transport)]
    proc = start_process(args, env, tmp_path / 'node.log')
    robot = Robot(node=proc, log=NodeLog(tmp_path / 'node.log'), driver=driver,
                  recorder=recorder, control=NodeControl(helper), tmp=tmp_path)

    def close():
        driver.close()
        code = stop_process(proc)
        robot.control.close()
        executor.shutdown()
        helper.destroy_node()
        recorder.close()
        rclpy.try_shutdown()
        return code

    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or proc.poll() is not None, timeout=180), 'node never configured'
        assert proc.poll() is None, robot.log.text()[-3000:]
        assert wait_for(driver.subscribed, timeout=30)
        driver.start()
        assert wait_for(lambda: len(recorder.node.snapshot().outputs) >= 10, timeout=60), \
            robot.log.text()[-3000:]
    except BaseException:
        close()
        raise
    return robot, close


@pytest.fixture(scope='module', params=['jpeg', 'yuv422_yuy2'])
def robot(tmp_path_factory, request):
    # A CompressedImage camera (topics.camera_transport: compressed), then a raw YUV one.
    robot, close = _start(tmp_path_factory.mktemp('robot'), camera=request.param)
    try:
        yield robot
    finally:
        code = close()
    assert code == 0, robot.log.text()[-3000:]


def test_all_five_modalities_are_present_from_driver_shaped_topics(robot):
    robot.driver.publish('text', String(data='please hand me the red cube'))
    for modality in ('camera', 'audio', 'text', 'touch', 'proprio'):
        assert wait_for(lambda m=modality: robot.value(f'inference/present/{m}') == 'True',
                        timeout=15), (modality, robot.diagnostics())
    values = robot.diagnostics()
    assert not [k for k in values if '/messages/malformed/' in k], values
    # The latched AudioInfo came before any chunk: nothing waited for it.
    assert int(values.get(f'{NODE}: drops/messages/waiting_for_audio_info/audio', '0')) == 0
    # The mapped joints: no warning about joints nobody publishes.
    assert not robot.log.lines('no JointState on')
    # The driver sends its AudioInfo again (as a driver restarting would): the same
    # description, so no change is reported and nothing is refused.
    robot.driver.publish('audio_info', robot.driver.info)
    time.sleep(1.0)
    assert not robot.log.lines('audio format changed')
    assert robot.value('inference/present/audio') == 'True'


def test_expected_rates_are_reported(robot):
    assert robot.value('inputs/expected_hz/camera') == '15'
    rate = float(robot.value('inputs/rate_hz/proprio/joints', '0'))
    assert 50 <= rate <= 100, rate  # 50 + 25 Hz of JointState messages


def test_a_live_parameter_change_takes_effect(robot):
    assert robot.control.set_parameters(detection__score_threshold=1.0) == [(True, '')]
    time.sleep(1.0)
    t0 = robot.driver.now_ns()
    assert wait_for(lambda: len(robot.outputs_after(t0)) >= 5, timeout=15)
    assert all(len(o.detections.boxes) == 0 for o in robot.outputs_after(t0)[1:])
    assert robot.control.set_parameters(detection__score_threshold=0.0) == [(True, '')]
    time.sleep(1.0)
    t1 = robot.driver.now_ns()
    assert wait_for(lambda: len(robot.outputs_after(t1)) >= 5, timeout=15)
    assert all(len(o.detections.boxes) > 0 for o in robot.outputs_after(t1)[1:])
    assert robot.control.set_parameters(detection__score_threshold=0.3) == [(True, '')]


def test_a_change_applied_at_configure_is_refused_while_active(robot):
    [(ok, reason)] = robot.control.set_parameters(model__path=str(robot.tmp / 'other.pt'))
    assert not ok
    assert 'model.path applies at configure' in reason and 'cleanup' in reason
    [(ok, reason)] = robot.control.set_parameters(sync__slop=-1.0)
    assert not ok  # out of its declared range


def test_cleanup_and_configure_load_another_model_without_a_restart(robot):
    second = robot.tmp / 'second_model.pt'
    shutil.copy(default_model_path(), second)
    shutil.copy(str(default_model_path()) + '.sha256', str(second) + '.sha256')
    assert robot.control.transition('deactivate')
    assert robot.control.transition('cleanup')
    assert robot.control.set_parameters(model__path=str(second)) == [(True, '')]
    assert robot.control.transition('configure')
    assert robot.control.transition('activate')
    assert robot.control.state() == 'active'
    t0 = robot.driver.now_ns()
    assert wait_for(lambda: len(robot.outputs_after(t0)) >= 5, timeout=30)
    assert robot.log.lines('model second_model.pt')
    assert robot.node.poll() is None
