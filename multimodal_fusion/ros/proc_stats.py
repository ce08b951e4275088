# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Resident memory, CPU time, threads and open files of a (child) process, from ``/proc``.

Linux only; plain Python, no ROS. The soak and fuzz tools sample the node and the simulator
publisher with it.
"""

from __future__ import annotations

import dataclasses
import os
import time
from typing import Optional

CLOCK_TICKS = os.sysconf('SC_CLK_TCK')


@dataclasses.dataclass(frozen=True)
class ProcSample:
    """One reading of a process.

    Attributes:
        time_s: ``time.monotonic()`` when read.
        rss_kb: resident set size (``VmRSS``), KiB.
        cpu_s: user + system CPU time so far, seconds.
        threads: number of threads.
        fds: open file descriptors (-1 when not readable).
    """

    time_s: float
    rss_kb: int
    cpu_s: float
    threads: int
    fds: int


def sample(pid: int) -> Optional[ProcSample]:
    """Read ``/proc/<pid>``; None when the process is gone (or a zombie)."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
        with open(f'/proc/{pid}/status') as f:
            status = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # Fields after the command name, which is in parentheses and may contain spaces.
    fields = stat[stat.rindex(')') + 2:].split()
    if fields[0] == 'Z':
        return None
    utime, stime, threads = int(fields[11]), int(fields[12]), int(fields[17])
    rss_kb = 0
    for line in status.splitlines():
        if line.startswith('VmRSS:'):
            rss_kb = int(line.split()[1])
            break
    try:
        fds = len(os.listdir(f'/proc/{pid}/fd'))
    except OSError:
        fds = -1
    return ProcSample(time.monotonic(), rss_kb, (utime + stime) / CLOCK_TICKS, threads, fds)


def cpu_percent(first: ProcSample, last: ProcSample) -> float:
    """CPU use between two samples, in percent of one core."""
    wall = last.time_s - first.time_s
    return 100.0 * (last.cpu_s - first.cpu_s) / wall if wall > 0 else 0.0
