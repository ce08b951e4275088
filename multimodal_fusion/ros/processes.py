# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""ROS 2 processes started from Python: an isolated DDS domain, start, stop, wait.

The demo, the benchmarks and the process-level tests start the node and the simulator as
child processes with these helpers, so they all stop them the same way (SIGINT first, as
Ctrl-C would).
"""

from __future__ import annotations

import os
import pathlib
import random
import signal
import subprocess
import sys
import time
from typing import Optional, Sequence


def isolated_ros_env(domain_id: Optional[int] = None) -> dict:
    """An environment for child processes: a DDS domain of their own, loopback discovery."""
    env = dict(os.environ)
    env['ROS_DOMAIN_ID'] = str(domain_id if domain_id is not None
                               else random.SystemRandom().randint(1, 100))
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['RMW_IMPLEMENTATION'] = 'rmw_fastrtps_cpp'
    env.setdefault('PYTHONUNBUFFERED', '1')
    return env


def start_process(args: Sequence[str], env: dict, log_path: pathlib.Path) -> subprocess.Popen:
    """A Python module in a child process group, stdout+stderr to ``log_path``."""
    return start_command([sys.executable, *args], env, log_path)


def start_command(command: Sequence[str], env: dict,
                  log_path: pathlib.Path) -> subprocess.Popen:
    """An executable in a child process group, stdout+stderr to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, 'wb')
    return subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> Optional[int]:
    """SIGINT (what Ctrl-C sends, so the node shuts down cleanly), then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    return proc.returncode


def node_args(*params: str) -> list[str]:
    """``python -m`` arguments of the fusion node with ``name:=value`` parameters."""
    args = ['-m', 'multimodal_fusion.ros.node.fusion_node', '--ros-args']
    for p in params:
        args += ['-p', p]
    return args


def wait_for(predicate, timeout: float, poll: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return bool(predicate())


def signal_and_wait(proc: subprocess.Popen, signum: int, timeout: float = 20.0) -> int:
    """Send ``signum`` to the process alone (not its group) and wait for its exit code.

    Raises:
        subprocess.TimeoutExpired: it did not end within ``timeout`` (it is then killed).
    """
    proc.send_signal(signum)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=timeout)
        raise
