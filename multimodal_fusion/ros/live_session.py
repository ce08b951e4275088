# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node fed by the simulator publisher, watched from this process.

:class:`LiveSession` is what the fuzz and soak tools share: the node and the simulator
publisher as child processes (``processes.py``) in a DDS domain of their own, and in this
process a :class:`~multimodal_fusion.ros.recorder.RecorderThread` and an
:class:`~multimodal_fusion.ros.output_watch.WatchThread`. rclpy is initialised without its
signal handlers, so the tool decides what SIGINT and SIGTERM do.
"""

from __future__ import annotations

import os
import pathlib
import threading
from typing import Callable, Optional, Sequence

import rclpy
from rclpy.signals import SignalHandlerOptions

from multimodal_fusion.ros.output_watch import WatchThread
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.sim_publisher import total_duration_s


def episodes_for(seed: int, seconds: float) -> int:
    """How many simulator episodes of ``seed`` play for at least ``seconds``."""
    total, episodes = 0.0, 0
    while total < seconds:
        total += total_duration_s(seed, 1, first_episode=episodes)
        episodes += 1
    return episodes


class LiveSession:
    """Node, simulator, recorder and watch; :meth:`close` stops them all.

    Args:
        out: folder for ``node.log`` and ``sim_publisher.log``.
        node_params: ``name:=value`` parameters of the node.
        domain_id: DDS domain; None for a random one.
        log: progress lines.
    """

    def __init__(self, out: pathlib.Path, *, node_params: Sequence[str] = (),
                 domain_id: Optional[int] = None, log: Callable[[str], None] = print) -> None:
        self.out = out
        self.log = log
        self.env = isolated_ros_env(domain_id)
        os.environ.update({k: self.env[k] for k in (
            'ROS_DOMAIN_ID', 'ROS_AUTOMATIC_DISCOVERY_RANGE', 'RMW_IMPLEMENTATION')})
        rclpy.init(signal_handler_options=SignalHandlerOptions.NO)
        self.recorder = RecorderThread()
        self.watch = WatchThread()
        self.node_log = out / 'node.log'
        self.node = start_process(node_args(*node_params), self.env, self.node_log)
        self.publisher = None
        self.log(f'[live] node pid {self.node.pid}, domain {self.env["ROS_DOMAIN_ID"]}, '
                 f'logs in {out}')

    def node_gone(self) -> bool:
        return self.node.poll() is not None

    def wait_configured(self, stop: threading.Event, timeout: float = 180.0) -> str:
        """Wait for the node's latched label info; '' when it came, else why not."""
        came = wait_for(lambda: self.recorder.node.snapshot().label_info is not None
                        or self.node_gone() or stop.is_set(), timeout=timeout)
        if stop.is_set():
            return ''
        if self.node_gone():
            return f'the node exited with {self.node.returncode} at start'
        return '' if came else f'the node did not configure within {timeout:g} s'

    def start_simulator(self, seed: int, seconds: float) -> None:
        """Play simulator episodes of ``seed`` for at least ``seconds``."""
        episodes = episodes_for(seed, seconds)
        self.publisher = start_process(
            ['-m', 'multimodal_fusion.ros.sim_publisher', '--seed', str(seed),
             '--episodes', str(episodes), '--wait-for-subscribers', '10'],
            self.env, self.out / 'sim_publisher.log')
        self.log(f'[live] simulator pid {self.publisher.pid} plays {episodes} episodes')

    def simulator_running(self) -> bool:
        return self.publisher is not None and self.publisher.poll() is None

    def close(self) -> tuple[Optional[int], Optional[int]]:
        """Stop the simulator and the node (SIGINT, as Ctrl-C), then this process's ROS side.

        Returns:
            Their exit codes, ``(node, simulator)``.
        """
        sim_code = stop_process(self.publisher) if self.publisher is not None else None
        node_code = stop_process(self.node)
        self.watch.close()
        # RecorderThread.close does not wait for its spin thread; joining it first keeps
        # the process from aborting at exit when the thread is still inside rclpy.
        self.recorder.executor.shutdown()
        self.recorder.thread.join(timeout=10.0)
        self.recorder.close()
        rclpy.try_shutdown()
        return node_code, sim_code
