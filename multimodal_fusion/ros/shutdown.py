# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Ending the package's processes cleanly: exit code 0 on SIGINT and SIGTERM.

rclpy's own signal handler shuts the context down the moment a signal arrives, while
worker threads may still publish and spin threads may still wait on it; the process then
ends with a traceback, exit 1, or a C++ ``terminate`` (exit 134). Instead, each process the
package ships initialises rclpy without signal handlers, turns SIGINT and SIGTERM into an
event, stops its own threads and destroys its nodes first, and shuts rclpy down last.
Under ``ros2 launch`` Ctrl-C reaches a node twice; the second signal just sets the event
again.
"""

from __future__ import annotations

import signal
import threading
from typing import Optional, Sequence

import rclpy
from rclpy.executors import Executor
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.signals import SignalHandlerOptions


class StopSignal:
    """SIGINT and SIGTERM set an event instead of raising.

    ``restore`` puts the previous handlers back. Create it in the main thread (Python runs
    handlers there only).

    Args:
        event: the event to set (e.g. one a publishing loop already waits on); a new one
            by default.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, event: Optional[threading.Event] = None) -> None:
        self.event = event if event is not None else threading.Event()
        self.signum: Optional[int] = None
        self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}

    def _handle(self, signum, frame) -> None:  # noqa: ARG002 - signal handler signature
        self.signum = signum
        self.event.set()

    def is_set(self) -> bool:
        return self.event.is_set()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Sleep until a signal arrives or ``timeout`` passes; True when one arrived."""
        return self.event.wait(timeout)

    def restore(self) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)


def init_ros(args: Optional[Sequence[str]] = None) -> None:
    """``rclpy.init`` without rclpy's signal handlers (see the module docstring)."""
    rclpy.init(args=None if args is None else list(args),
               signal_handler_options=SignalHandlerOptions.NO)


def spin_until_stopped(executor: Executor, stop: StopSignal, period_s: float = 0.1) -> None:
    """Spin ``executor`` in this (main) thread until ``stop`` is set or rclpy shuts down.

    Signal handlers run between ``spin_once`` calls, so a signal is acted on within
    ``period_s``.
    """
    while not stop.is_set() and rclpy.ok():
        executor.spin_once(timeout_sec=period_s)


def shutdown_ros() -> None:
    """Shut rclpy down if nothing else did (idempotent)."""
    rclpy.try_shutdown()


class NodeThread:
    """A node spinning in a background thread of this process, stopped in the right order.

    The spin thread ends before the node is destroyed: destroying a node under a spinning
    executor, or exiting with a spin thread still inside rclpy, can abort the process
    ('terminate called without an active exception').

    Args:
        node: the node to spin; ``close`` destroys it.
    """

    def __init__(self, node: Node) -> None:
        self.node = node
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop spinning, wait for the thread, then destroy the node."""
        self.executor.shutdown()
        self.thread.join(timeout=10.0)
        self.node.destroy_node()
