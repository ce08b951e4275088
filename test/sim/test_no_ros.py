# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import subprocess
import sys


def test_simulator_imports_without_ros():
    code = ('import sys, multimodal_fusion.sim, multimodal_fusion.sim.scenario; '
            'bad = [m for m in sys.modules if m.split(".")[0] in '
            '("rclpy", "rosidl_runtime_py", "sensor_msgs", "std_msgs")]; '
            'assert not bad, bad')
    subprocess.run([sys.executable, '-c', code], check=True)
