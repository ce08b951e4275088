# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""use_sim_time: the node follows /clock, so headerless commands line up with sensor stamps.

The simulator stamps everything in simulated time (from 1000 s) and publishes /clock. Speech
text has no header and is stamped on arrival with the node's clock: with use_sim_time that
is simulated time, the command is current at the frames after it, and the spoken action is
published. Stamped with the wall clock instead it would be decades "in the future" of every
frame and never used.
"""

import os
import time

import pytest
import rclpy

from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.sim_publisher import SIM_TIME_ORIGIN_NS
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SITUATIONS

pytestmark = [pytest.mark.dds, pytest.mark.slow]

SEED = 77_002
# Situations cycle with the episode index: this one is a spoken command.
EPISODE = SITUATIONS.index('command_given')


def test_node_on_sim_time_uses_the_spoken_command(tmp_path):
    spoken = ScenarioSimulator(SEED).episode(EPISODE).plan.command
    assert spoken is not None
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    rclpy.init()
    recorder = RecorderThread()
    node = start_process(node_args('use_sim_time:=true'), env, tmp_path / 'node.log')
    publisher = None
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=180), 'node never configured'
        assert node.poll() is None, (tmp_path / 'node.log').read_text()
        publisher = start_process(
            ['-m', 'multimodal_fusion.ros.sim_publisher', '--seed', str(SEED),
             '--first-episode', str(EPISODE), '--episodes', '1', '--clock',
             '--wait-for-subscribers', '10'], env, tmp_path / 'publisher.log')
        publisher.wait(timeout=120)
        time.sleep(1.5)
        rec = recorder.node.snapshot()
    finally:
        if publisher is not None:
            stop_process(publisher)
        stop_process(node)
        recorder.close()
        rclpy.try_shutdown()
    stamps = sorted(rec.outputs)
    assert len(stamps) > 30
    # Outputs carry simulated stamps, within the played episode.
    assert SIM_TIME_ORIGIN_NS <= stamps[0] and stamps[-1] < SIM_TIME_ORIGIN_NS + 60 * 10**9
    commanded = [s for s in stamps if rec.truth.get(s, {}).get('action') not in (None, 'none')]
    assert commanded, 'the episode has no frame where the command is current'
    hits = sum(rec.outputs[s].action == rec.truth[s]['action'] for s in commanded)
    assert hits >= 0.8 * len(commanded), (hits, len(commanded))
