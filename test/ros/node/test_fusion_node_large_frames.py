# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Large camera frames reach the node; frames lost in transport are counted, not hidden.

They reach it when the camera's process loads the shipped Fast DDS profile; without it,
the frames lost in transport are counted.

The audit: at 640x480 and larger most frames never arrived with the default best-effort
subscription, uncounted. ``docs/benchmarks/transport.md`` has the plain transport figures.
"""

import os
import pathlib
import time

import pytest
import rclpy

from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread

pytestmark = [pytest.mark.dds, pytest.mark.slow]

PROFILE = pathlib.Path(__file__).resolve().parents[3] / 'config' / 'fastdds_large_frames.xml'
FRAMES = 60
NODE = 'fusion_node'


@pytest.mark.parametrize('size', [(640, 480), (1280, 720)], ids=['vga', '720p'])
@pytest.mark.parametrize('profile', [True, False], ids=['profile', 'defaults'])
def test_large_frames_arrive_with_the_profile_and_losses_are_counted_without(
        tmp_path, size, profile):
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    env.pop('FASTDDS_DEFAULT_PROFILES_FILE', None)
    camera_env = dict(env)
    if profile:
        camera_env['FASTDDS_DEFAULT_PROFILES_FILE'] = str(PROFILE)
    rclpy.init()
    recorder = RecorderThread()
    node = start_process(node_args('diagnostics.period:=0.25'), env, tmp_path / 'node.log')
    camera = None
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=180)
        camera = start_process(['-m', 'multimodal_fusion.ros.testing', 'frames', '--width',
                                str(size[0]), '--height', str(size[1]), '--count',
                                str(FRAMES)], camera_env, tmp_path / 'camera.log')
        assert camera.wait(timeout=120) == 0
        time.sleep(1.0)  # diagnostics published after the last frame
        values = recorder.node.latest_diagnostics()
        outputs = recorder.node.snapshot().outputs
    finally:
        if camera is not None:
            stop_process(camera)
        stop_process(node)
        recorder.close()
        rclpy.try_shutdown()
    lost = int(values.get(f'{NODE}: drops/messages/lost_in_transport/camera', '0'))
    malformed = [k for k in values if '/messages/malformed/' in k]
    assert not malformed
    if profile:
        # Every frame reached the node; outputs followed (latest-wins may skip some while
        # the model runs).
        assert lost == 0, values
        assert len(outputs) >= FRAMES // 3, len(outputs)
    else:
        # Frames went missing, and the node says so instead of staying silent.
        assert len(outputs) < FRAMES
        assert lost > 0, values
