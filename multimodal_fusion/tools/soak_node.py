# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Soak the fusion node: the simulator publisher feeds it for minutes; watch for drift.

    python -m multimodal_fusion.tools.soak_node --minutes 10 [--out docs/soak.md]

Starts the node (shipped model) and the simulator publisher in a DDS domain of their own and
prints, every ``--interval`` seconds (a minute by default): the node's resident memory
(``VmRSS``), CPU use, threads and open files; the simulator publisher's CPU use and how late
its frames arrive (stamp to arrival of its ground truth, which shows whether it keeps up on a
shared CPU); the camera rate and the node's output rate; end-to-end latency (camera stamp to
arrival of the node's detections in this process), median and p99; and the situation
accuracy on the frames of that interval. The last line is the drift, last interval minus
first, with the slope of memory over the run. ``--out`` also writes it all as Markdown.

Exit status: 0 (also on SIGINT/SIGTERM, after stopping the children); 1 when the node died
or published nothing in the last interval; 2 when the run could not be set up.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import signal
import sys
import tempfile
import threading
import time
from typing import Optional, Sequence

import numpy as np

from multimodal_fusion.ros.proc_stats import cpu_percent
from multimodal_fusion.ros.proc_stats import ProcSample
from multimodal_fusion.ros.proc_stats import sample
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.tools.figures import fmt_or_na
from multimodal_fusion.tools.figures import median_p99
from multimodal_fusion.tools.machine import cpu_model

NS_PER_S = 1_000_000_000


@dataclasses.dataclass
class Interval:
    """The figures of one interval (a minute by default)."""

    index: int
    end_s: float  # since the first output
    node_rss_mib: float
    node_cpu_pct: float
    node_threads: int
    node_fds: int
    sim_cpu_pct: float
    camera_hz: float
    output_hz: float
    latency_p50_ms: Optional[float]
    latency_p99_ms: Optional[float]
    sim_lag_p50_ms: Optional[float]
    sim_lag_p99_ms: Optional[float]
    situation_accuracy: Optional[float]

    @property
    def output_ratio(self) -> Optional[float]:
        return self.output_hz / self.camera_hz if self.camera_hz else None


COLUMNS = (
    ('min', lambda i: f'{i.end_s / 60:.1f}'),
    ('node RSS MiB', lambda i: f'{i.node_rss_mib:.1f}'),
    ('node CPU %', lambda i: f'{i.node_cpu_pct:.0f}'),
    ('threads', lambda i: str(i.node_threads)),
    ('fds', lambda i: str(i.node_fds)),
    ('sim CPU %', lambda i: f'{i.sim_cpu_pct:.0f}'),
    ('camera Hz', lambda i: f'{i.camera_hz:.1f}'),
    ('output Hz', lambda i: f'{i.output_hz:.1f}'),
    ('out/camera', lambda i: fmt_or_na(i.output_ratio, '.3f')),
    ('latency p50 ms', lambda i: fmt_or_na(i.latency_p50_ms, '.1f')),
    ('latency p99 ms', lambda i: fmt_or_na(i.latency_p99_ms, '.1f')),
    ('sim lag p50 ms', lambda i: fmt_or_na(i.sim_lag_p50_ms, '.1f')),
    ('sim lag p99 ms', lambda i: fmt_or_na(i.sim_lag_p99_ms, '.1f')),
    ('situation acc', lambda i: fmt_or_na(i.situation_accuracy, '.3f')),
)
# Figures whose drift (last - first) is reported.
DRIFT = (('node_rss_mib', 'MiB', '+.1f'), ('node_cpu_pct', '%', '+.0f'),
         ('node_threads', '', '+d'), ('node_fds', '', '+d'), ('output_ratio', '', '+.3f'),
         ('latency_p50_ms', 'ms', '+.1f'), ('latency_p99_ms', 'ms', '+.1f'),
         ('sim_lag_p99_ms', 'ms', '+.1f'))


def interval_figures(index: int, start_ns: int, end_ns: int, origin_ns: int,
                     outputs: Sequence[tuple[int, int]], truth: Sequence[tuple[int, int]],
                     node: tuple[ProcSample, ProcSample], sim: Optional[tuple],
                     situation_accuracy: Optional[float]) -> Interval:
    """One interval's figures from what arrived in ``[start_ns, end_ns)``.

    Args:
        index: the interval's number, from 1.
        start_ns: where the interval starts (wall clock, ns).
        end_ns: where it ends, excluded.
        origin_ns: the time the interval's ``end_s`` counts from (the first output).
        outputs: ``(received_ns, stamp_ns)`` of the node's detections messages.
        truth: ``(received_ns, stamp_ns)`` of the simulator's ground-truth records.
        node: the node's ``/proc`` samples at the interval's start and end.
        sim: the same for the simulator publisher, or None.
        situation_accuracy: the share of situations right in the interval, or None.
    """
    seconds = (end_ns - start_ns) / NS_PER_S
    window = [(r, s) for r, s in outputs if start_ns <= r < end_ns]
    frames = [(r, s) for r, s in truth if start_ns <= r < end_ns]
    p50, p99 = median_p99([(r - s) / 1e6 for r, s in window])
    lag50, lag99 = median_p99([(r - s) / 1e6 for r, s in frames])
    return Interval(
        index=index, end_s=(end_ns - origin_ns) / NS_PER_S,
        node_rss_mib=node[1].rss_kb / 1024, node_cpu_pct=cpu_percent(*node),
        node_threads=node[1].threads, node_fds=node[1].fds,
        sim_cpu_pct=cpu_percent(*sim) if sim else float('nan'),
        camera_hz=len(frames) / seconds, output_hz=len(window) / seconds,
        latency_p50_ms=p50, latency_p99_ms=p99, sim_lag_p50_ms=lag50, sim_lag_p99_ms=lag99,
        situation_accuracy=situation_accuracy)


def drift(intervals: Sequence[Interval]) -> dict:
    """Last interval minus first for each ``DRIFT`` figure, and the RSS slope.

    The slope is in MiB/min, least squares over every interval after the first (which
    includes the warm-up).
    """
    if len(intervals) < 2:
        return {}
    first, last = intervals[0], intervals[-1]
    out = {}
    for name, _, _ in DRIFT:
        a, b = getattr(first, name), getattr(last, name)
        out[name] = None if a is None or b is None else b - a
    steady = intervals[1:] if len(intervals) > 2 else intervals
    minutes = np.array([i.end_s / 60 for i in steady])
    rss = np.array([i.node_rss_mib for i in steady])
    out['rss_slope_mib_per_min'] = (float(np.polyfit(minutes, rss, 1)[0])
                                    if len(steady) >= 2 else None)
    return out


def table(intervals: Sequence[Interval]) -> list[str]:
    """The Markdown table, one row per interval and a drift row."""
    lines = ['| ' + ' | '.join(name for name, _ in COLUMNS) + ' |',
             '|' + '---:|' * len(COLUMNS)]
    lines += ['| ' + ' | '.join(fmt(i) for _, fmt in COLUMNS) + ' |' for i in intervals]
    d = drift(intervals)
    if d:
        cells = {'node_rss_mib': 1, 'node_cpu_pct': 2, 'node_threads': 3, 'node_fds': 4,
                 'output_ratio': 8, 'latency_p50_ms': 9, 'latency_p99_ms': 10,
                 'sim_lag_p99_ms': 12}
        row = ['drift'] + [''] * (len(COLUMNS) - 1)
        for name, _, spec in DRIFT:
            value = d[name]
            if value is not None:
                row[cells[name]] = format(int(value) if spec.endswith('d') else value, spec)
        lines.append('| ' + ' | '.join(f'**{c}**' if c else '' for c in row) + ' |')
    return lines


def warnings(intervals: Sequence[Interval]) -> list[str]:
    """What in the figures needs a look."""
    if not intervals:
        return ['no complete interval']
    out = []
    d = drift(intervals)
    slope = d.get('rss_slope_mib_per_min')
    if slope is not None and slope > 1.0:
        out.append(f'node memory grows {slope:.1f} MiB/min after the first interval')
    last = intervals[-1]
    if last.output_ratio is not None and last.output_ratio < 0.9:
        out.append(f'the node published {last.output_ratio:.2f} outputs per camera frame in '
                   'the last interval')
    lag = [i.sim_lag_p99_ms for i in intervals[1:] if i.sim_lag_p99_ms is not None]
    if lag and max(lag) > 100:
        out.append(f'the simulator publisher fell behind (frame lag p99 up to {max(lag):.0f} '
                   'ms after the first interval): latency includes its delay')
    first = intervals[0].sim_lag_p99_ms
    if first is not None and first > 100:
        out.append(f"the first interval includes the simulator's start-up catch-up (frame "
                   f'lag p99 {first:.0f} ms)')
    if d.get('node_threads'):
        out.append(f'node thread count changed by {d["node_threads"]:+d}')
    return out


def markdown(intervals: Sequence[Interval], args_line: str, notes: Sequence[str]) -> str:
    lines = [f'`{args_line}` on {cpu_model()}, {os.cpu_count()} logical CPUs, '
             f'{datetime.date.today().isoformat()}.', ''] + table(intervals) + ['']
    d = drift(intervals)
    if d.get('rss_slope_mib_per_min') is not None:
        lines.append(f'Node RSS slope after the first interval: '
                     f'{d["rss_slope_mib_per_min"]:+.2f} MiB/min.')
    lines += [f'- {n}' for n in notes]
    return '\n'.join(lines) + '\n'


def soak(minutes: float, interval_s: float, sim_seed: int, node_params: Sequence[str],
         out_dir: pathlib.Path, stop: threading.Event, log=print) -> tuple[list, list, int]:
    """Run the soak; returns ``(intervals, notes, exit status)``."""
    from multimodal_fusion.ros.live_session import LiveSession
    from multimodal_fusion.ros.recorder import Recording
    from multimodal_fusion.ros.recorder import score

    session = LiveSession(out_dir, node_params=node_params, log=log)
    intervals: list[Interval] = []
    notes: list[str] = []
    status = 0
    try:
        error = session.wait_configured(stop)
        if error:
            return intervals, [error], 2
        if stop.is_set():
            return intervals, ['interrupted before the start'], 0
        session.start_simulator(sim_seed, minutes * 60 + 60)
        watch = session.watch.node
        if not wait_for(lambda: watch.output_count() > 0 or session.node_gone()
                        or stop.is_set(), timeout=90):
            return intervals, ['no output within 90 s of the simulator starting'], 2
        if stop.is_set():
            return intervals, ['interrupted before the first output'], 0
        origin_ns = start_ns = time.time_ns()
        node_first = sample(session.node.pid)
        sim_first = sample(session.publisher.pid)
        count = int(round(minutes * 60 / interval_s))
        log(f'[soak] first output; {count} intervals of {interval_s:g} s')
        log('| ' + ' | '.join(name for name, _ in COLUMNS) + ' |')
        for index in range(count):
            deadline = origin_ns + int((index + 1) * interval_s * NS_PER_S)
            if stop.wait(max(0.0, (deadline - time.time_ns()) / NS_PER_S)):
                notes.append(f'interrupted after {len(intervals)} interval(s)')
                break
            end_ns = time.time_ns()
            node_last = sample(session.node.pid)
            sim_last = sample(session.publisher.pid)
            if node_last is None:
                notes.append(f'the node exited with {session.node.poll()} during interval '
                             f'{index + 1}')
                status = 1
                break
            snap = watch.snapshot()
            rec = session.recorder.node.snapshot()
            # Frames whose outputs had time to arrive: stamped before the last second.
            settled = end_ns - NS_PER_S
            window = Recording(
                outputs={s: o for s, o in rec.outputs.items()
                         if start_ns - NS_PER_S <= s < settled},
                truth={s: t for s, t in rec.truth.items() if start_ns - NS_PER_S <= s < settled})
            accuracy = score(window)['situation_accuracy'] if window.outputs else None
            item = interval_figures(
                index + 1, start_ns, end_ns, origin_ns, snap.arrivals['detections'],
                snap.truth, (node_first, node_last),
                (sim_first, sim_last) if sim_first and sim_last else None, accuracy)
            intervals.append(item)
            log('| ' + ' | '.join(fmt(item) for _, fmt in COLUMNS) + ' |')
            start_ns, node_first, sim_first = end_ns, node_last, sim_last
            if not session.simulator_running():
                notes.append(f'the simulator ended during interval {index + 1}')
                break
        if intervals and intervals[-1].output_hz == 0 and not stop.is_set():
            status = 1
        diag = watch.snapshot().latest_diagnostics()
        malformed = sum(int(v) for k, v in diag.items()
                        if '/malformed/' in k and v.isdigit())
        notes.append(f"the node's own figures at the end: end-to-end median "
                     f'{diag.get("fusion_node: inference/end_to_end_ms/median", "n/a")} ms, '
                     f'p99 {diag.get("fusion_node: inference/end_to_end_ms/p99", "n/a")} ms; '
                     f'{diag.get("fusion_node: inference/outputs", "n/a")} outputs; '
                     f'{malformed} malformed')
    finally:
        node_code, sim_code = session.close()
    notes.append(f'exit codes on SIGINT: node {node_code}, simulator {sim_code}')
    notes += warnings(intervals)
    return intervals, notes, status


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--minutes', type=float, default=10.0, help='how long to soak')
    parser.add_argument('--interval', type=float, default=60.0,
                        help='seconds per reported interval')
    parser.add_argument('--sim-seed', type=int, default=77_004,
                        help='simulator seed (not one used in training)')
    parser.add_argument('--param', action='append', default=[],
                        help='node parameter name:=value (repeatable)')
    parser.add_argument('--out', default=None, help='write the Markdown report here')
    parser.add_argument('--json', default=None, help='write the figures as JSON here')
    parser.add_argument('--out-dir', default=None, help='logs (default: a temp folder)')
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0 or args.interval > args.minutes * 60:
        parser.error('--minutes and --interval must be positive, the interval at most the '
                     'whole run')
    stop = threading.Event()

    def on_signal(signum, frame):
        print(f'[soak] {signal.Signals(signum).name}: stopping', flush=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    out_dir = pathlib.Path(args.out_dir or tempfile.mkdtemp(prefix='soak_node_'))
    out_dir.mkdir(parents=True, exist_ok=True)
    intervals, notes, status = soak(args.minutes, args.interval, args.sim_seed, args.param,
                                    out_dir, stop, log=lambda line: print(line, flush=True))
    args_line = 'python -m multimodal_fusion.tools.soak_node ' + ' '.join(
        argv if argv is not None else sys.argv[1:])
    text = markdown(intervals, args_line.strip(), notes)
    print('\n' + text, flush=True)
    if args.out:
        pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.out).write_text(text)
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(
            {'intervals': [dataclasses.asdict(i) for i in intervals],
             'drift': drift(intervals), 'notes': notes}, indent=1))
    return 0 if stop.is_set() else status


if __name__ == '__main__':
    sys.exit(main())
