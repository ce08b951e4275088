# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The node benchmark: its figures from arrivals, and one short real run of every serving.

The run is real DDS (its own domain): the simulator publisher, the relay, the shipped node
and the naive node as child processes. It asserts what each case received and what the
report holds, never a time.
"""

import os
import subprocess
import sys

import pytest

from multimodal_fusion.tools import bench_node

S = 1_000_000_000
MS = 1_000_000


def _diag(received_ns, model_cpu_s, model_ms='6.5'):
    return (received_ns, {'fusion_node: inference/model_cpu_s/total': f'{model_cpu_s:.3f}',
                          'fusion_node: inference/model_ms/median': model_ms})


def test_case_figures_count_frames_in_the_window_and_split_the_cpu():
    case = bench_node.Case((640, 480), 'node', '')
    stamps = [i * S // 30 for i in range(300)]  # 10 s of frames
    truth = [(s + MS, s) for s in stamps]
    # Every frame answered 12 ms later but the last three, never answered; one duplicate.
    detections = [(s + 12 * MS, s) for s in stamps[:-3]] + [(stamps[0] + 40 * MS, stamps[0])]
    diagnostics = [_diag(k * S, 0.2 * k) for k in range(12)]  # 20 % of a core in the model
    result = bench_node.case_figures(
        case, start_ns=S, end_ns=9 * S, detections=detections, truth=truth,
        diagnostics=diagnostics, node_cpu_pct=35.0, rss_mib=512.0, sim_cpu_pct=30.0)
    assert result.sent == 240
    assert result.answered == 240
    assert result.latency_p50_ms == pytest.approx(12.0)
    assert result.model_p50_ms == pytest.approx(6.5)
    assert result.model_cpu_pct == pytest.approx(20.0)
    assert result.non_model_cpu_pct == pytest.approx(15.0)


def test_a_relay_has_no_model_figures_and_the_targets_need_both_cases():
    floor = bench_node.case_figures(
        bench_node.Case((320, 240), 'floor', ''), start_ns=0, end_ns=S,
        detections=[(2 * MS, 0)], truth=[(MS, 0)], diagnostics=[], node_cpu_pct=5.0,
        rss_mib=60.0, sim_cpu_pct=20.0)
    assert floor.model_cpu_pct is None and floor.non_model_cpu_pct is None
    assert bench_node.target_lines([floor])[2:] == []
    node = bench_node.case_figures(
        bench_node.Case((320, 240), 'node', ''), start_ns=0, end_ns=S,
        detections=[(10 * MS, 0)], truth=[(MS, 0)],
        diagnostics=[_diag(0, 0.0, '7.0'), _diag(S, 0.1, '7.0')], node_cpu_pct=30.0,
        rss_mib=600.0, sim_cpu_pct=20.0)
    (row,) = bench_node.target_lines([floor, node])[2:]
    # floor 2 ms + model 7 ms = 9 ms: 10 ms is within 1.3 x, and 20 % other CPU is not <= 15.
    assert row.startswith('| 320×240 | 9.0 | 10.0 | ≤ 11.7 met |')
    assert row.endswith('| 20 | ≤ 15.0 **missed** |')


def test_the_naive_serving_runs_the_same_node_with_the_model_in_the_callback():
    args = bench_node.child_args(bench_node.Case((320, 240), 'naive', 'm.pt'))
    assert args[:4] == ['-m', bench_node.MODULE, '--role', 'naive']
    assert 'model.path:=m.pt' in args
    assert bench_node.child_args(bench_node.Case((320, 240), 'floor', 'm.pt'))[-1] == '--ros-args'


def test_a_profile_is_summarised_by_inclusive_and_own_share():
    raw = '\n'.join([
        'thread (a);spin (rclpy/executors.py);camera (inputs.py) 30',
        'thread (a);spin (rclpy/executors.py);wrench (inputs.py) 10',
        'worker (b);infer (engine.py);forward (model.py) 60',
        'garbage line',
    ])
    rows = {frame: (inc, own) for frame, inc, own in bench_node.profile_summary(raw)}
    assert rows['infer (engine.py)'] == pytest.approx((60.0, 0.0))
    assert rows['forward (model.py)'] == pytest.approx((60.0, 60.0))
    assert rows['spin (rclpy/executors.py)'] == pytest.approx((40.0, 0.0))
    assert rows['camera (inputs.py)'] == pytest.approx((30.0, 30.0))
    assert bench_node.profile_summary('') == []


@pytest.mark.dds
@pytest.mark.slow
def test_a_short_run_answers_frames_in_every_serving(tmp_path):
    out = tmp_path / 'node.md'
    proc = subprocess.run(
        [sys.executable, '-m', bench_node.MODULE, '--sizes', '640x480', '--seconds', '3',
         '--warmup', '1', '--domain-id', os.environ['ROS_DOMAIN_ID'],
         '--workdir', str(tmp_path / 'logs'), '--out', str(out)],
        capture_output=True, text=True, timeout=600)
    logs = ''.join(f'\n--- {p.name}\n' + p.read_text()[-2000:]
                   for p in sorted((tmp_path / 'logs').glob('*.log')))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:] + logs
    report = out.read_text()
    rows = {cells[2].strip(): cells for cells in (line.split('|') for line in
                                                  report.split('## Every case')[1].splitlines()
                                                  if line.startswith('| 640×480 |'))}
    assert set(rows) == set(bench_node.SERVINGS), report
    for serving, cells in rows.items():
        answered, sent = (int(v) for v in cells[3].split('/'))
        assert sent >= 30 and answered >= 1, (serving, report)
    # The node reports its model's time and CPU; the relay has neither.
    assert rows['node'][6].strip() != 'n/a' and rows['node'][8].strip() != 'n/a', report
    assert rows['floor'][6].strip() == 'n/a' and rows['floor'][8].strip() == 'n/a', report
    assert '| 640×480 |' in report.split('## Every case')[0], report  # the targets row
