# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""launch_testing on a robot: the package's launch file fed by ``ros2 bag play --clock``.

Run on a ROS 2 install with ``colcon test --packages-select multimodal_fusion`` (or
``launch_test test/launch/test_fusion_launch_on_a_bag.py``). It starts
``launch/fusion.launch.py`` with a namespace, the package's params file, simulated time
and a remapped camera topic, plays a committed bag into it, and checks that outputs
arrive stamped with the bag's camera frames, then that every process ends with code 0.
Where ``launch_testing`` is not installed (the development machines) it is skipped; the
same checks run there through ``test/ros/test_bag_integration.py``.
"""

import os
import pathlib
import threading
import time
import unittest

import pytest
import rclpy
from vision_msgs.msg import Detection2DArray

# Imported in a block so the skip can come first (module-level imports after code would
# break the import order); only a missing launch stack skips, anything else still fails.
try:
    import launch
    from launch.actions import ExecuteProcess
    from launch.actions import IncludeLaunchDescription
    from launch.launch_description_sources import PythonLaunchDescriptionSource
    import launch_testing.actions
    import launch_testing.asserts
except ModuleNotFoundError as missing:
    # (the repo's launch/ folder can pass for a namespace package named launch)
    if missing.name.split('.')[0] not in ('launch', 'launch_testing'):
        raise
    pytest.skip('launch_testing is not installed (it comes with a ROS 2 distro; colcon '
                'test runs this file on one)', allow_module_level=True)

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BAG = ROOT / 'test' / 'data' / 'bags' / 'normal_command'
NAMESPACE = 'robot'


@pytest.mark.launch_test
def generate_test_description():
    fusion = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(str(ROOT / 'launch' / 'fusion.launch.py')),
        launch_arguments={
            'namespace': NAMESPACE,
            'params_file': str(ROOT / 'config' / 'fusion.yaml'),
            'use_sim_time': 'true',
            # The bag holds the simulator's topics; remap one the way a robot would.
            'camera_topic': f'/{NAMESPACE}/head_camera/image_raw',
        }.items())
    play = ExecuteProcess(
        cmd=['ros2', 'bag', 'play', str(BAG), '--clock', '--delay', '5',
             '--remap', f'camera/image_raw:=/{NAMESPACE}/head_camera/image_raw',
             '--remap', f'audio/audio_stamped:=/{NAMESPACE}/audio/audio_stamped',
             '--remap', f'audio/audio_info:=/{NAMESPACE}/audio/audio_info',
             '--remap', f'speech/text:=/{NAMESPACE}/speech/text',
             '--remap', f'wrist/left/wrench:=/{NAMESPACE}/wrist/left/wrench',
             '--remap', f'wrist/right/wrench:=/{NAMESPACE}/wrist/right/wrench',
             '--remap', f'joint_states:=/{NAMESPACE}/joint_states',
             '--remap', f'imu/data:=/{NAMESPACE}/imu/data'],
        output='screen')
    return launch.LaunchDescription([fusion, play, launch_testing.actions.ReadyToTest()]), {
        'play': play}


def _bag_camera_stamps():
    from rosbags.highlevel import AnyReader
    stamps = set()
    with AnyReader([BAG]) as reader:
        connections = [c for c in reader.connections if c.topic.endswith('camera/image_raw')]
        for connection, _, raw in reader.messages(connections=connections):
            header = reader.deserialize(raw, connection.msgtype).header
            stamps.add(header.stamp.sec * 1_000_000_000 + header.stamp.nanosec)
    return stamps


class TestOutputsFromTheBag(unittest.TestCase):
    """Active test: detections arrive, stamped with the bag's camera frames."""

    @classmethod
    def setUpClass(cls):
        rclpy.init()
        cls.node = rclpy.create_node('launch_test_listener')
        cls.received = []
        cls.node.create_subscription(
            Detection2DArray, f'/{NAMESPACE}/fusion_node/detections',
            lambda msg: cls.received.append(msg), 50)
        cls.spin = threading.Thread(target=rclpy.spin, args=(cls.node,), daemon=True)
        cls.spin.start()

    @classmethod
    def tearDownClass(cls):
        cls.node.destroy_node()
        rclpy.try_shutdown()
        cls.spin.join(timeout=5)

    def test_detections_carry_the_bags_camera_headers(self, proc_output):
        deadline = time.monotonic() + float(os.environ.get('MMF_LAUNCH_TEST_TIMEOUT', '60'))
        while len(self.received) < 20 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertGreaterEqual(len(self.received), 20)
        stamps = _bag_camera_stamps()
        got = {m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec
               for m in self.received}
        self.assertTrue(got <= stamps, sorted(got - stamps)[:5])
        self.assertEqual({m.header.frame_id for m in self.received}, {'head_camera'})


@launch_testing.post_shutdown_test()
class TestExit(unittest.TestCase):
    """After shutdown: every process of the launch ended with code 0."""

    def test_exit_codes(self, proc_info):
        launch_testing.asserts.assertExitCodes(proc_info)
