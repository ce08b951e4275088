# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import subprocess
import sys

from multimodal_fusion.ros import conversions


def test_public_names_exist():
    missing = [name for name in conversions.__all__ if not hasattr(conversions, name)]
    assert not missing
    assert sorted(conversions.__all__) == conversions.__all__


def test_conversions_need_messages_but_not_rclpy():
    # The rosbag tools and the simulator use the conversions without a ROS graph.
    code = ('import sys, multimodal_fusion.ros.conversions; '
            "sys.exit('rclpy' in sys.modules)")
    assert subprocess.run([sys.executable, '-c', code], timeout=120).returncode == 0


def test_ros_package_imports_no_ros_module():
    code = ('import sys, multimodal_fusion.ros; '
            "sys.exit(any(m.split('.')[0] in ('rclpy', 'sensor_msgs') for m in sys.modules))")
    assert subprocess.run([sys.executable, '-c', code], timeout=120).returncode == 0
