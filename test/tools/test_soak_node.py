# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The soak command's per-interval figures, drift and report (no DDS)."""

import math

import pytest

from multimodal_fusion.ros.proc_stats import cpu_percent
from multimodal_fusion.ros.proc_stats import ProcSample
from multimodal_fusion.ros.proc_stats import sample
from multimodal_fusion.tools import soak_node

S = 1_000_000_000
MS = 1_000_000


def _interval(index, rss_mib, p99_ms=20.0, threads=20):
    node = (ProcSample(0.0, 0, 0.0, threads, 10),
            ProcSample(60.0, int(rss_mib * 1024), 30.0, threads, 10))
    # 30 frames a second for a minute, answered 15 ms later, one in 50 p99_ms later.
    truth = [(i * S // 30 + 2 * MS, i * S // 30) for i in range(1800)]
    outputs = [(s + (int(p99_ms * MS) if i % 50 == 49 else 15 * MS), s)
               for i, (_, s) in enumerate(truth)]
    offset = (index - 1) * 60 * S
    return soak_node.interval_figures(
        index, offset, offset + 60 * S, 0, [(r + offset, s + offset) for r, s in outputs],
        [(r + offset, s + offset) for r, s in truth], node, None, 0.95)


def test_interval_figures():
    item = _interval(1, 400.0, p99_ms=80.0)
    assert item.camera_hz == pytest.approx(30.0)
    assert item.output_ratio == pytest.approx(1.0, abs=0.01)  # the last ones arrive after
    assert item.latency_p50_ms == pytest.approx(15.0)
    assert item.latency_p99_ms == pytest.approx(80.0)
    assert item.sim_lag_p50_ms == pytest.approx(2.0)
    assert item.node_cpu_pct == pytest.approx(50.0)
    assert math.isnan(item.sim_cpu_pct)


def test_drift_table_and_warnings():
    intervals = [_interval(1, 400.0), _interval(2, 405.0), _interval(3, 410.0),
                 _interval(4, 415.0, threads=21)]
    d = soak_node.drift(intervals)
    assert d['node_rss_mib'] == pytest.approx(15.0)
    assert d['rss_slope_mib_per_min'] == pytest.approx(5.0)
    assert d['node_threads'] == 1
    lines = soak_node.table(intervals)
    assert len(lines) == 2 + 4 + 1 and lines[-1].startswith('| **drift** |')
    assert '**+15.0**' in lines[-1]
    text = ' '.join(soak_node.warnings(intervals))
    assert 'memory grows 5.0 MiB/min' in text and 'thread count changed by +1' in text


def test_this_process_can_be_sampled():
    first = sample(__import__('os').getpid())
    sum(i * i for i in range(200_000))
    last = sample(__import__('os').getpid())
    assert first.rss_kb > 0 and first.threads >= 1 and first.fds > 0
    assert cpu_percent(first, last) >= 0.0
    assert sample(2**22 + 12345) is None  # no such process
