# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Every process the package ships ends with code 0 on SIGINT and SIGTERM, under load.

The audit: the node under load exited 1 with a traceback in 2 of 14 runs (its inference
thread was stopped after rclpy had shut down), and the simulator publisher aborted on every
stop ('terminate called without an active exception', exit 134). Each run here stops the
node while the simulator feeds it, then the simulator itself; and an idle node (no
traffic at all), on each executor the node can run on.
"""

import os
import signal
import time

import pytest
import rclpy

from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import signal_and_wait
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread

pytestmark = [pytest.mark.dds, pytest.mark.slow]

PUBLISHER = ['-m', 'multimodal_fusion.ros.sim_publisher', '--seed', '77002', '--episodes', '3']
CRASH_SIGNS = ('Traceback', 'terminate called', 'Segmentation fault', 'Aborted')


EXECUTORS = ['single_threaded', 'events']


@pytest.mark.parametrize('executor', EXECUTORS)
@pytest.mark.parametrize('signum', [signal.SIGINT, signal.SIGTERM], ids=['SIGINT', 'SIGTERM'])
def test_node_and_simulator_exit_zero_on_a_signal_while_busy(tmp_path, signum, executor):
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    rclpy.init()
    recorder = RecorderThread()
    node = start_process(node_args(f'executor:={executor}'), env, tmp_path / 'node.log')
    publisher = None
    try:
        assert wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=180), 'node never configured'
        publisher = start_process(PUBLISHER, env, tmp_path / 'publisher.log')
        # Stop the node while it is busy: outputs are flowing.
        assert wait_for(lambda: len(recorder.node.snapshot().outputs) >= 20
                        or publisher.poll() is not None, timeout=120)
        assert signal_and_wait(node, signum) == 0
        time.sleep(1.0)  # the publisher goes on alone for a moment
        assert signal_and_wait(publisher, signum) == 0
    finally:
        for proc in (publisher, node):
            if proc is not None:
                stop_process(proc)
        recorder.close()
        rclpy.try_shutdown()
    for name in ('node.log', 'publisher.log'):
        log = (tmp_path / name).read_text(errors='replace')
        assert not [s for s in CRASH_SIGNS if s in log], f'{name}:\n{log[-3000:]}'


@pytest.mark.parametrize('executor', EXECUTORS)
@pytest.mark.parametrize('autostart', [True, False], ids=['active', 'unconfigured'])
def test_an_idle_node_exits_zero_on_a_signal(tmp_path, executor, autostart):
    # No publisher and no subscriber: nothing wakes the executor but the signal.
    env = isolated_ros_env(int(os.environ['ROS_DOMAIN_ID']))
    log = tmp_path / 'node.log'
    node = start_process(node_args(f'executor:={executor}', f'autostart:={str(autostart).lower()}',
                                   'model.warmup_iterations:=0'), env, log)
    try:
        if autostart:
            assert wait_for(lambda: 'active:' in log.read_text() or node.poll() is not None,
                            timeout=180), log.read_text()[-3000:]
        else:
            time.sleep(3.0)  # rclpy initialised and spinning
        assert node.poll() is None, log.read_text()[-3000:]
        time.sleep(1.0)
        assert signal_and_wait(node, signal.SIGINT) == 0, log.read_text()[-3000:]
    finally:
        stop_process(node)
    assert not [s for s in CRASH_SIGNS if s in log.read_text(errors='replace')]
