# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fuzz the fusion node over DDS with seeded mutations of valid messages.

    python -m multimodal_fusion.tools.fuzz_node --messages 10000 --seed 1

Starts the node (shipped model, ``diagnostics.period:=0.5``) and the simulator publisher as
a valid background stream, each in its own process and a DDS domain of their own, waits for
outputs, then publishes ``--messages`` mutations (``multimodal_fusion/ros/fuzzing.py``) of
every input type at ``--rate`` messages per second on the node's topics. Afterwards it checks
and prints:

* the node is still alive;
* outputs resumed (``--min-outputs`` frames stamped after the fuzz) within
  ``--resume-timeout`` seconds, the simulator still running;
* no NaN or Inf in any published score, box or pose;
* no Python traceback in the node's log;
* each stream sent malformed messages counted some under ``messages/malformed/<stream>/``.

With the per-stream table (mutations sent by expectation next to the node's malformed
counters) it lists incidents: output gaps longer than ``--gap`` seconds, the node dying,
a traceback appearing in its log, a non-finite output; each with the mutations sent just
before it. ``--kinds`` and ``--streams`` narrow the draw to reproduce one. Exit status: 0
when every check passes (and on SIGINT/SIGTERM, after stopping the children), 1 when one
fails, 2 when the run could not be set up (the node did not start, no outputs before the
fuzz, the simulator ended early).
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import json
import pathlib
import re
import signal
import sys
import tempfile
import threading
import time
from typing import Optional, Sequence

from multimodal_fusion.ros.processes import wait_for

NS_PER_S = 1_000_000_000
# An output stamped further ahead of its arrival came from a frame stamped in the future
# (as ros/output_watch.py); one older than STALE_OUTPUT_NS from a frame stamped in the past.
FUTURE_TOLERANCE_NS = 1_000_000_000
STALE_OUTPUT_NS = 10 * NS_PER_S
MALFORMED_PREFIX = 'fusion_node: drops/messages/malformed/'
# The expectation classes of ros/fuzzing.py, repeated so this module imports without ROS.
EXPECTATIONS = ('reject', 'suspect', 'valid', 'wire')
# Streams in the node's naming; a malformed key is '<stream>/<Type.field>'.
_STREAM_PREFIXES = ('touch/', 'proprio/')
_TRACEBACK = 'Traceback (most recent call last)'
PRESENT_PREFIX = 'fusion_node: inference/present/'
# Text is present only for a while after each spoken command, so it is not compared.
_EPISODIC = ('text',)


@dataclasses.dataclass(frozen=True)
class FuzzOptions:
    """What one fuzz run does (see ``--help`` for each)."""

    messages: int = 10_000
    seed: int = 1
    rate_hz: float = 200.0
    streams: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    sim_seed: int = 77_003
    warmup_s: float = 3.0
    min_outputs: int = 10
    resume_timeout_s: float = 15.0
    gap_s: float = 2.0
    lookback_s: float = 1.0
    node_params: tuple[str, ...] = ('diagnostics.period:=0.5',)
    out_dir: Optional[str] = None
    domain_id: Optional[int] = None


@dataclasses.dataclass(frozen=True)
class Sent:
    """One mutation as sent."""

    index: int
    sent_ns: int
    stream: str
    kind: str
    expect: str
    field: Optional[str]
    detail: str
    stamp_ns: Optional[int]


@dataclasses.dataclass
class Check:
    """A pass/fail check (``ok`` None: information only)."""

    name: str
    ok: Optional[bool]
    detail: str


@dataclasses.dataclass
class Incident:
    """Something that went wrong during the run, with the mutations sent just before."""

    time_s: float  # after the start of the fuzz
    what: str
    suspects: list  # (stream, kind, expect, count)


@dataclasses.dataclass
class FuzzReport:
    """Everything a run found; ``to_json`` for machines, ``format_report`` for people."""

    options: FuzzOptions
    out_dir: str = ''
    setup_error: str = ''
    interrupted: bool = False
    sent: list = dataclasses.field(default_factory=list)
    fuzz_s: float = 0.0
    fuzz_start_ns: int = 0
    malformed: dict = dataclasses.field(default_factory=dict)
    checks: list = dataclasses.field(default_factory=list)
    incidents: list = dataclasses.field(default_factory=list)
    tracebacks: list = dataclasses.field(default_factory=list)  # (count, text)
    log_counts: dict = dataclasses.field(default_factory=dict)
    outputs: dict = dataclasses.field(default_factory=dict)
    diagnostics: dict = dataclasses.field(default_factory=dict)
    pids: dict = dataclasses.field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.setup_error and all(c.ok is not False for c in self.checks)

    def exit_code(self) -> int:
        if self.interrupted:
            return 0
        if self.setup_error:
            return 2
        return 0 if self.passed else 1

    def to_json(self) -> dict:
        return {
            'options': dataclasses.asdict(self.options),
            'out_dir': self.out_dir,
            'setup_error': self.setup_error,
            'interrupted': self.interrupted,
            'passed': self.passed,
            'fuzz_s': self.fuzz_s,
            'sent_by_stream': {s: dict(c) for s, c in sent_by_stream(self.sent).items()},
            'sent_by_kind': {f'{s} {k} ({e})': n for (s, k, e), n in sorted(
                collections.Counter((m.stream, m.kind, m.expect) for m in self.sent).items())},
            'malformed': self.malformed,
            'checks': [dataclasses.asdict(c) for c in self.checks],
            'incidents': [dataclasses.asdict(i) for i in self.incidents],
            'tracebacks': [{'count': n, 'text': t} for n, t in self.tracebacks],
            'log_counts': self.log_counts,
            'outputs': self.outputs,
            'diagnostics': self.diagnostics,
            'pids': self.pids,
        }


# -- analysis (plain data, no ROS) -------------------------------------------------------------

def stream_of_key(key: str) -> tuple[str, str]:
    """``'touch/left/WrenchStamped.wrench.force.x'`` -> ``('touch/left', 'WrenchStamped...')``."""
    parts = key.split('/')
    n = 2 if any(key.startswith(p) for p in _STREAM_PREFIXES) else 1
    return '/'.join(parts[:n]), '/'.join(parts[n:])


def malformed_counters(diagnostics: dict) -> dict:
    """``{stream: {field: count}}`` from flattened ``/diagnostics`` values.

    A key without a field (``.../malformed/<stream>``: the synchroniser's own per-stream
    count, which nodes before 53b7efc published next to the per-field ones) is left out so
    no message counts twice.
    """
    out: dict = collections.defaultdict(dict)
    for key, value in diagnostics.items():
        if key.startswith(MALFORMED_PREFIX):
            stream, field = stream_of_key(key[len(MALFORMED_PREFIX):])
            if not field:
                continue
            try:
                out[stream][field] = int(value)
            except ValueError:
                continue
    return dict(out)


def present_modalities(diagnostics: dict) -> set:
    """The modalities the node's last set had (``inference/present/<m>`` True), text aside."""
    return {k[len(PRESENT_PREFIX):] for k, v in diagnostics.items()
            if k.startswith(PRESENT_PREFIX) and v == 'True'
            and k[len(PRESENT_PREFIX):] not in _EPISODIC}


def presence_share(before: dict, after: dict) -> str:
    """Share of the sets published between two diagnostics messages that had each modality.

    From the ``present_sets/<m>`` and ``outputs`` counters.
    """
    def count(values, key):
        try:
            return int(values.get(f'fusion_node: inference/{key}', ''))
        except ValueError:
            return None

    sets = (count(after, 'outputs') or 0) - (count(before, 'outputs') or 0)
    if sets <= 0:
        return 'no sets published'
    shares = []
    for key in sorted(after):
        if key.startswith('fusion_node: inference/present_sets/'):
            name = key.rsplit('/', 1)[1]
            n = (count(after, f'present_sets/{name}') or 0) - (
                count(before, f'present_sets/{name}') or 0)
            shares.append(f'{name} {100 * n / sets:.0f}%')
    return f'{sets} sets: ' + ', '.join(shares)


def sent_by_stream(sent: Sequence[Sent]) -> dict:
    """``{stream: Counter(expect -> n)}``."""
    out: dict = collections.defaultdict(collections.Counter)
    for m in sent:
        out[m.stream][m.expect] += 1
    return dict(out)


def field_shortfalls(sent: Sequence[Sent], malformed: dict) -> list:
    """``(stream, field, sent, counted)`` where the node counted a field too few times.

    Too few: fewer than the ``reject`` mutations naming it that were sent (not refused,
    refused under another field, or lost in transport).
    """
    expected = collections.Counter((m.stream, m.field) for m in sent
                                   if m.expect == 'reject' and m.field)
    return [(stream, field, n, malformed.get(stream, {}).get(field, 0))
            for (stream, field), n in sorted(expected.items())
            if malformed.get(stream, {}).get(field, 0) < n]


def suspects(sent: Sequence[Sent], start_ns: int, end_ns: int, limit: int = 8) -> list:
    """The mutations sent in ``[start_ns, end_ns]``, as ``(stream, kind, expect, count)``.

    The kinds that should have been harmless (``reject`` and ``wire``) come last.
    """
    order = {'suspect': 0, 'valid': 1, 'reject': 2, 'wire': 3}
    counts = collections.Counter((m.stream, m.kind, m.expect) for m in sent
                                 if start_ns <= m.sent_ns <= end_ns)
    ranked = sorted(counts.items(), key=lambda kv: (order.get(kv[0][2], 9), -kv[1]))
    return [(s, k, e, n) for (s, k, e), n in ranked[:limit]]


def output_gaps(arrival_ns: Sequence[int], start_ns: int, end_ns: int,
                gap_ns: int) -> list[tuple[int, Optional[int]]]:
    """Intervals in ``[start_ns, end_ns]`` longer than ``gap_ns`` without an output.

    Each is ``(last output before, next output or None)``.
    """
    times = sorted(t for t in arrival_ns if start_ns <= t <= end_ns)
    gaps = []
    previous = start_ns
    for t in times:
        if t - previous > gap_ns:
            gaps.append((previous, t))
        previous = t
    if end_ns - previous > gap_ns:
        gaps.append((previous, None))
    return gaps


def tracebacks(log: str) -> list[tuple[int, str]]:
    """Distinct Python tracebacks in a log, ``(times seen, text)``, most frequent first."""
    blocks = []
    lines = log.splitlines()
    i = 0
    while i < len(lines):
        if _TRACEBACK in lines[i]:
            block = [lines[i]]
            i += 1
            while i < len(lines) and (lines[i].startswith((' ', '\t')) or not lines[i]):
                block.append(lines[i])
                i += 1
            if i < len(lines):
                block.append(lines[i])  # the exception line
            blocks.append('\n'.join(block).strip())
        i += 1
    counts = collections.Counter(blocks)
    return sorted(((n, text) for text, n in counts.items()), key=lambda x: -x[0])


_LOG_PATTERNS = {
    'rejected (logged lines)': re.compile(r'rejected an? [\w/]+ message'),
    'inference failed': re.compile(r'inference failed'),
    'time jumped back': re.compile(r'time jumped back'),
    'exception in thread': re.compile(r'Exception in thread'),
    'rcutils error': re.compile(r'rcutils_set_error_state|error_handling\.c'),
}


def log_counts(log: str) -> dict:
    """How often the node logged each notable kind of line."""
    return {name: len(p.findall(log)) for name, p in _LOG_PATTERNS.items()}


def _fmt_suspects(items: list) -> str:
    return ', '.join(f'{s} {k} [{e}] x{n}' for s, k, e, n in items) or 'none'


def stream_table(report: FuzzReport) -> list[str]:
    """The Markdown table: sent per stream by expectation, next to the malformed counters."""
    sent = sent_by_stream(report.sent)
    streams = list(dict.fromkeys(list(sent) + sorted(report.malformed)))
    lines = ['| stream | sent | reject | suspect | valid | wire | malformed counted | '
             'counted by field |',
             '|---|---:|---:|---:|---:|---:|---:|---|']
    totals = collections.Counter()
    for stream in streams:
        c = sent.get(stream, collections.Counter())
        fields = report.malformed.get(stream, {})
        counted = sum(fields.values())
        by_field = ', '.join(f'{f} {n}' for f, n in
                             sorted(fields.items(), key=lambda kv: -kv[1])[:4])
        if len(fields) > 4:
            by_field += f', +{len(fields) - 4} more'
        row = [sum(c.values())] + [c[e] for e in EXPECTATIONS] + [counted]
        totals.update(dict(zip(['sent', *EXPECTATIONS, 'counted'], row)))
        lines.append(f'| {stream} | ' + ' | '.join(str(v) for v in row) + f' | {by_field} |')
    lines.append('| **total** | ' + ' | '.join(
        str(totals[k]) for k in ['sent', *EXPECTATIONS, 'counted']) + ' | |')
    return lines


def format_report(report: FuzzReport) -> str:
    """The printed summary: checks, per-stream table, incidents, tracebacks."""
    o = report.options
    lines = [f'# fuzz_node: {len(report.sent)} mutations, seed {o.seed}, '
             f'{o.rate_hz:g}/s over {report.fuzz_s:.1f} s', '']
    if report.setup_error:
        lines += [f'SETUP FAILED: {report.setup_error}', '']
    if report.interrupted:
        lines += ['INTERRUPTED: partial figures', '']
    lines += ['| check | result | detail |', '|---|---|---|']
    for c in report.checks:
        result = 'info' if c.ok is None else ('PASS' if c.ok else 'FAIL')
        lines.append(f'| {c.name} | {result} | {c.detail} |')
    lines += [''] + stream_table(report) + ['']
    lines.append('Expectations: reject = malformed by the contract, must be counted; suspect '
                 '= absurd but legal, must be survived; valid = must be accepted; wire = '
                 'broken CDR, dropped by the middleware or decoded with empty arrays.')
    if report.incidents:
        lines += ['', f'Incidents ({len(report.incidents)}; mutations sent in the '
                  f'{o.lookback_s:g} s before each):', '']
        for inc in report.incidents[:20]:
            lines.append(f'- t={inc.time_s:.2f} s: {inc.what}; before it: '
                         f'{_fmt_suspects(inc.suspects)}')
        if len(report.incidents) > 20:
            lines.append(f'- ... {len(report.incidents) - 20} more (see --json)')
    if report.tracebacks:
        lines += ['', 'Tracebacks in the node log:', '']
        for n, text in report.tracebacks[:5]:
            lines += [f'{n} x:', '```', text, '```']
    lines += ['', 'Node log lines: ' + ', '.join(f'{k} {v}'
                                                 for k, v in report.log_counts.items())]
    if report.out_dir:
        lines.append(f'Logs: {report.out_dir}')
    return '\n'.join(lines)


# -- the live run ------------------------------------------------------------------------------

def _stamp_of(message) -> Optional[int]:
    header = getattr(message, 'header', None)
    if header is None:
        return None
    return int(header.stamp.sec) * NS_PER_S + int(header.stamp.nanosec)


class _LogWatch:
    """Reads what the node appended to its log since the last call."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self._offset = 0

    def new_text(self) -> str:
        try:
            with open(self.path, 'rb') as f:
                f.seek(self._offset)
                data = f.read()
        except FileNotFoundError:
            return ''
        self._offset += len(data)
        return data.decode('utf-8', 'replace')


def run(options: FuzzOptions, stop: Optional[threading.Event] = None,
        log=print) -> FuzzReport:
    """Fuzz the node once, as the module docstring says; ``stop`` ends it early, cleanly."""
    import rclpy

    from multimodal_fusion.ros.fuzzing import FuzzPublisher
    from multimodal_fusion.ros.fuzzing import Mutator
    from multimodal_fusion.ros.live_session import LiveSession

    stop = stop or threading.Event()
    mutator = Mutator(options.seed, streams=options.streams or None,
                      only_kinds=options.kinds or None)
    out = pathlib.Path(options.out_dir or tempfile.mkdtemp(prefix='fuzz_node_'))
    out.mkdir(parents=True, exist_ok=True)
    report = FuzzReport(options=options, out_dir=str(out))
    session = LiveSession(out, node_params=options.node_params, domain_id=options.domain_id,
                          log=log)
    report.pids['node'] = session.node.pid
    live = _Live(options, report, stop, log, session)
    fuzz_node = None
    try:
        fuzz_node = rclpy.create_node('fuzzer')
        live.drive(FuzzPublisher(fuzz_node), mutator)
    finally:
        snap = session.watch.node.snapshot()
        recorder_alive = session.recorder.thread.is_alive()
        recording = session.recorder.node.snapshot()
        if fuzz_node is not None:
            fuzz_node.destroy_node()
        exit_code, _ = session.close()
    report.interrupted = stop.is_set()
    if live.fuzz_start_ns:
        _analyse(report, snap, recording, session.node_log.read_text(errors='replace'),
                 live, exit_code, recorder_alive)
    return report


class _Live:
    """The phases of a run: background stream, baseline, fuzz, resume.

    Each returns early (setting ``report.setup_error``) when the run cannot go on.
    """

    def __init__(self, options, report, stop, log, session) -> None:
        self.o = options
        self.report = report
        self.stop = stop
        self.log = log
        self.session = session
        self.watch = session.watch.node
        self.fuzz_start_ns = 0
        self.fuzz_end_ns = 0
        self.resume_deadline_ns = 0
        self.watch_end_ns = 0
        self.node_alive = False
        self.sim_alive = False
        self.present_before: set = set()
        self.diagnostics_before: dict = {}
        self._logwatch = _LogWatch(session.node_log)

    def drive(self, fuzz, mutator) -> None:
        o, report, stop, session = self.o, self.report, self.stop, self.session
        report.setup_error = session.wait_configured(stop)
        if report.setup_error or stop.is_set():
            return
        session.start_simulator(
            o.sim_seed, o.warmup_s + o.messages / o.rate_hz * 2.0 + o.resume_timeout_s + 60.0)
        report.pids['sim_publisher'] = session.publisher.pid
        if not wait_for(lambda: fuzz.matched() or stop.is_set(), timeout=30):
            report.setup_error = 'the node did not subscribe to every fuzzed topic in 30 s'
            return
        baseline = wait_for(lambda: self.watch.output_count() >= o.min_outputs
                            or session.node_gone() or stop.is_set(), timeout=90)
        if stop.is_set():
            return
        if not baseline or session.node_gone():
            report.setup_error = 'no outputs from the valid stream before the fuzz'
            return
        if stop.wait(o.warmup_s):
            return
        self.diagnostics_before = self.watch.snapshot().latest_diagnostics()
        self.present_before = present_modalities(self.diagnostics_before)
        self.log(f'[fuzz] {self.watch.output_count()} outputs before the fuzz; sending '
                 f'{o.messages} mutations at {o.rate_hz:g}/s')
        self._fuzz(fuzz, mutator)
        if stop.is_set():
            return
        self.log(f'[fuzz] sent {len(report.sent)} in {report.fuzz_s:.1f} s; waiting for '
                 'outputs')
        wait_for(lambda: (self.watch.output_count(self.fuzz_end_ns) >= o.min_outputs
                          and self._present_again()) or session.node_gone() or stop.is_set(),
                 timeout=o.resume_timeout_s)
        self.resume_deadline_ns = self.fuzz_end_ns + int(o.resume_timeout_s * NS_PER_S)
        if _TRACEBACK in self._logwatch.new_text():
            _incident(report, 'a traceback appeared in the node log', self.fuzz_start_ns)
        # A few diagnostics periods, so the counters include the last mutations.
        stop.wait(1.5)
        self.watch_end_ns = time.time_ns() - 500_000_000  # outputs in flight are not gaps
        self.node_alive = not session.node_gone()
        self.sim_alive = session.simulator_running()

    def _present_again(self) -> bool:
        """Every modality present before the fuzz is in a set reported after it."""
        after = [values for t, values in self.watch.snapshot().diagnostics
                 if t > self.fuzz_end_ns]
        return bool(after) and self.present_before <= present_modalities(after[-1])

    def _fuzz(self, fuzz, mutator) -> None:
        o, report, stop = self.o, self.report, self.stop
        self._logwatch.new_text()
        period = 1.0 / o.rate_hz
        self.fuzz_start_ns = report.fuzz_start_ns = time.time_ns()
        next_t = time.monotonic()
        next_poll = next_t
        for index in range(o.messages):
            delay = next_t - time.monotonic()
            if (delay > 0 and stop.wait(delay)) or stop.is_set():
                break
            mutation = mutator.mutation(index, time.time_ns())
            fuzz.publish(mutation)
            report.sent.append(Sent(index, time.time_ns(), mutation.stream, mutation.kind,
                                    mutation.expect, mutation.field, mutation.detail,
                                    _stamp_of(mutation.message)))
            next_t += period
            now = time.monotonic()
            if now - next_t > 0.25:  # fell behind (a big message, a busy CPU): no burst
                next_t = now
            if now >= next_poll:
                next_poll = now + 0.25
                if _TRACEBACK in self._logwatch.new_text():
                    _incident(report, 'a traceback appeared in the node log',
                              self.fuzz_start_ns)
                if self.session.node_gone():
                    _incident(report, 'the node exited with '
                              f'{self.session.node.returncode}', self.fuzz_start_ns)
                    break
            if index and index % 1000 == 0:
                self.log(f'[fuzz] {index} sent, {self.watch.output_count()} outputs')
        fuzz.restore()
        self.fuzz_end_ns = time.time_ns()
        report.fuzz_s = (self.fuzz_end_ns - self.fuzz_start_ns) / NS_PER_S


def _stamp_examples(pairs) -> str:
    stamps = sorted({stamp for _, stamp in pairs})
    shown = ', '.join(f'{s / NS_PER_S:.0f} s' for s in stamps[:3])
    return f'{len(pairs)} (camera frames accepted with such stamps; stamps {shown}...)'


def _incident(report: FuzzReport, what: str, fuzz_start_ns: int) -> None:
    now = time.time_ns()
    lookback = int((report.options.lookback_s + 0.25) * NS_PER_S)
    report.incidents.append(Incident((now - fuzz_start_ns) / NS_PER_S, what,
                                     suspects(report.sent, now - lookback, now)))


def _analyse(report: FuzzReport, snap, recording, log: str, live: _Live,
             exit_code: Optional[int], recorder_alive: bool) -> None:
    o = report.options
    fuzz_start_ns, fuzz_end_ns = live.fuzz_start_ns, live.fuzz_end_ns
    node_alive, sim_alive = live.node_alive, live.sim_alive
    end_ns = min(live.resume_deadline_ns, live.watch_end_ns) or fuzz_end_ns
    lookback = int(o.lookback_s * NS_PER_S)
    diagnostics = snap.latest_diagnostics()
    report.diagnostics = {k: v for k, v in diagnostics.items()
                          if not k.startswith(MALFORMED_PREFIX)}
    report.malformed = malformed_counters(diagnostics)
    report.tracebacks = tracebacks(log)
    report.log_counts = log_counts(log)

    arrivals = snap.arrivals['detections']
    received = [r for r, _ in arrivals]
    after = sorted(r for r, stamp in arrivals
                   if fuzz_end_ns < stamp <= r + FUTURE_TOLERANCE_NS)
    future = [(r, stamp) for r, stamp in arrivals if stamp > r + FUTURE_TOLERANCE_NS]
    past = [(r, stamp) for r, stamp in arrivals if r - stamp > STALE_OUTPUT_NS]
    during = [r for r in received if fuzz_start_ns <= r <= fuzz_end_ns]
    report.outputs = {
        'before_fuzz': sum(1 for r in received if r < fuzz_start_ns),
        'during_fuzz': len(during),
        'after_fuzz': len(after),
        'per_topic': {t: len(v) for t, v in snap.arrivals.items()},
        'camera_frames_published': len(snap.truth),
        'recorder_outputs': len(recording.outputs),
        'resume_s': (after[0] - fuzz_end_ns) / NS_PER_S if after else None,
        'stamped_in_the_future': len(future),
        'stamped_over_10_s_old': len(past),
    }
    for start, end in output_gaps(received, fuzz_start_ns, end_ns, int(o.gap_s * NS_PER_S)):
        length = f'{(end - start) / NS_PER_S:.1f} s' if end else 'never resumed'
        report.incidents.append(Incident(
            (start - fuzz_start_ns) / NS_PER_S, f'no output for {length}',
            suspects(report.sent, start - lookback, start + 200_000_000)))
    camera_stamps = {m.stamp_ns: m for m in report.sent if m.stream == 'camera'}
    for bad in snap.nonfinite[:20]:
        culprit = camera_stamps.get(bad.stamp_ns)
        what = f'non-finite {bad.topic} ({", ".join(bad.fields[:3])})'
        if culprit is not None:
            items = [(culprit.stream, culprit.kind, culprit.expect, 1)]
            what += f' for the mutated frame #{culprit.index} ({culprit.detail})'
        else:
            items = suspects(report.sent, bad.stamp_ns - lookback - 500_000_000,
                             bad.stamp_ns + 100_000_000)
        report.incidents.append(Incident((bad.received_ns - fuzz_start_ns) / NS_PER_S, what,
                                         items))
    report.incidents.sort(key=lambda i: i.time_s)

    c = report.checks
    if report.interrupted:
        c.append(Check('interrupted', None, 'no checks on a partial run'))
        return
    c.append(Check('node alive after the fuzz', node_alive,
                   'running' if node_alive else 'the node process exited'))
    resumed = len(after) >= o.min_outputs
    detail = (f'{len(after)} outputs stamped after the fuzz, first '
              f'{report.outputs["resume_s"]:.2f} s after it' if after
              else 'no output stamped after the fuzz')
    if not sim_alive:
        detail += '; the simulator had stopped (raise its episodes)'
    c.append(Check(f'outputs resumed within {o.resume_timeout_s:g} s', resumed and sim_alive,
                   detail))
    present_after = present_modalities(diagnostics)
    missing = sorted(live.present_before - present_after)
    c.append(Check('every modality present again after the fuzz', not missing and bool(
        live.present_before), f'absent: {", ".join(missing)}' if missing else (
            ', '.join(sorted(present_after)) if live.present_before
            else 'no presence reported before the fuzz')))
    nonfinite = sum(snap.nonfinite_count.values())
    c.append(Check('no NaN/Inf in published scores, boxes, poses', nonfinite == 0,
                   f'{nonfinite} messages with non-finite values ' + json.dumps(
                       snap.nonfinite_count) if nonfinite else
                   f'{sum(len(v) for v in snap.arrivals.values())} messages checked'))
    n_tb = sum(n for n, _ in report.tracebacks)
    c.append(Check('no traceback in the node log', n_tb == 0,
                   f'{n_tb} tracebacks, {len(report.tracebacks)} distinct' if n_tb else 'none'))
    sent = sent_by_stream(report.sent)
    silent = [s for s, counts in sent.items()
              if counts['reject'] and not sum(report.malformed.get(s, {}).values())]
    c.append(Check('malformed messages counted on every stream', not silent and bool(
        diagnostics), 'no diagnostics received' if not diagnostics else (
            f'nothing counted on {", ".join(silent)}' if silent else
            f'{sum(sum(f.values()) for f in report.malformed.values())} counted for '
            f'{sum(s["reject"] for s in sent.values())} sent malformed')))
    failed = {k.split('/', 1)[1]: v for k, v in diagnostics.items()
              if '/failed_sets/' in k or k.endswith('/inference_errors')}
    short = field_shortfalls(report.sent, report.malformed)
    c.append(Check('fields counted fewer times than malformed messages sent for them', None,
                   '; '.join(f'{st} {f}: {n} of {m}' for st, f, m, n in short[:6])
                   + (f' (+{len(short) - 6} more)' if len(short) > 6 else '') if short
                   else 'none (every field counted at least as often as sent malformed)'))
    c.append(Check('failed sets (diagnostics)', None,
                   ', '.join(f'{k} {v}' for k, v in failed.items()) or 'none'))
    c.append(Check('sets with each modality present, fuzz and resume', None,
                   presence_share(live.diagnostics_before, diagnostics)))
    c.append(Check('outputs during the fuzz', None,
                   f'{len(during)} in {report.fuzz_s:.1f} s; '
                   f'{sum(1 for i in report.incidents if i.what.startswith("no output"))} '
                   f'gaps over {o.gap_s:g} s'))
    c.append(Check('outputs stamped > 1 s ahead of their arrival', None,
                   _stamp_examples(future) if future else 'none'))
    c.append(Check('outputs stamped > 10 s before their arrival', None,
                   _stamp_examples(past) if past else 'none'))
    c.append(Check('node exit code on SIGINT', None, str(exit_code)))
    if not recorder_alive:
        c.append(Check('recorder thread', None,
                       'died (recorder.py raises on a non-finite score)'))


@dataclasses.dataclass
class TriageStep:
    """One triage run: a group of mutation kinds fuzzed without the others."""

    kinds: list  # (stream, kind, expect)
    reproduced: Optional[bool]  # None: the run could not be set up or was interrupted
    failed: list  # names of the checks that failed


def triage_candidates(report: FuzzReport) -> list[tuple[str, str, str]]:
    """Every kind sent just before the first incident, harmless-by-contract ones last."""
    if not report.incidents:
        return []
    first = report.fuzz_start_ns + int(report.incidents[0].time_s * NS_PER_S)
    lookback = int((report.options.lookback_s + 0.25) * NS_PER_S)
    found = suspects(report.sent, first - lookback, first + 200_000_000, limit=1000)
    return [(s, k, e) for s, k, e, _ in found]


def triage(report: FuzzReport, messages: int, max_runs: int, stop: threading.Event,
           log=print) -> list[TriageStep]:
    """Bisect the kinds sent before the first incident down to one that fails on its own.

    Each group runs in a fresh node; the search ends at one kind that fails on its own, or
    at a group that fails only together.

    A group is fuzzed with ``--streams`` and ``--kinds`` set to its streams and kinds, so it
    may draw a few more pairs than it names; the last step names one pair exactly.
    """
    steps: list[TriageStep] = []

    def trial(group) -> Optional[bool]:
        streams = tuple(dict.fromkeys(s for s, _, _ in group))
        kinds = tuple(dict.fromkeys(k for _, k, _ in group))
        options = dataclasses.replace(
            report.options, messages=messages, streams=streams, kinds=kinds,
            out_dir=str(pathlib.Path(report.out_dir) / f'triage_{len(steps)}'),
            domain_id=None)
        log(f'[triage] run {len(steps) + 1}: {len(group)} kind(s): '
            + ', '.join(f'{s} {k}' for s, k, _ in group[:4])
            + (', ...' if len(group) > 4 else ''))
        sub = run(options, stop, log=lambda line: None)
        failed = [c.name for c in sub.checks if c.ok is False]
        ok = None if sub.setup_error or sub.interrupted else bool(failed)
        steps.append(TriageStep(list(group), ok, failed))
        return ok

    candidates = triage_candidates(report)
    # Refused-by-contract and undecodable kinds should never touch the node's state: try
    # the others first, then those.
    risky = [c for c in candidates if c[2] in ('suspect', 'valid')]
    harmless = [c for c in candidates if c[2] not in ('suspect', 'valid')]
    group = None
    for first in (risky, harmless):
        if first and trial(first):
            group = first
            break
    while group is not None and len(group) > 1 and len(steps) < max_runs \
            and not stop.is_set():
        half = len(group) // 2
        if trial(group[:half]):
            group = group[:half]
        elif len(steps) < max_runs and trial(group[half:]):
            group = group[half:]
        else:
            break
    return steps


def format_triage(steps: Sequence[TriageStep]) -> str:
    lines = ['', 'Triage: the kinds sent before the first incident, bisected, each group in a '
             'fresh node', '', '| run | kinds | reproduces | failed checks |',
             '|---:|---|---|---|']
    for i, step in enumerate(steps, 1):
        names = ', '.join(f'{s} {k} [{e}]' for s, k, e in step.kinds[:6])
        if len(step.kinds) > 6:
            names += f' and {len(step.kinds) - 6} more'
        verdict = 'n/a' if step.reproduced is None else ('YES' if step.reproduced else 'no')
        lines.append(f'| {i} | {names} | {verdict} | {"; ".join(step.failed)} |')
    culprits = [s for s in steps if s.reproduced]
    if culprits:
        last = culprits[-1]
        what = ('one kind fails on its own' if len(last.kinds) == 1
                else f'the smallest failing group has {len(last.kinds)} kinds')
        lines += ['', f'Culprit ({what}): '
                  + ', '.join(f'{s} {k}' for s, k, _ in last.kinds[:10])]
    elif steps:
        lines += ['', 'Not reproduced by the kinds of the incident window alone.']
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> tuple[FuzzOptions, argparse.Namespace]:
    d = FuzzOptions()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--messages', type=int, default=d.messages,
                        help='mutated messages to send')
    parser.add_argument('--seed', type=int, default=d.seed, help='mutation sequence')
    parser.add_argument('--rate', type=float, default=d.rate_hz,
                        help='mutated messages per second (all streams together)')
    parser.add_argument('--streams', default='',
                        help='comma-separated streams to fuzz (default all)')
    parser.add_argument('--kinds', default='',
                        help='comma-separated substrings of mutation kinds to draw from, '
                             "e.g. 'value=huge,stamp=' (default all; --list-kinds)")
    parser.add_argument('--list-kinds', action='store_true', help='print the kinds and exit')
    parser.add_argument('--sim-seed', type=int, default=d.sim_seed,
                        help='simulator seed of the valid background stream')
    parser.add_argument('--min-outputs', type=int, default=d.min_outputs,
                        help='outputs needed before the fuzz and to call them resumed')
    parser.add_argument('--resume-timeout', type=float, default=d.resume_timeout_s,
                        help='seconds after the fuzz for outputs to resume')
    parser.add_argument('--gap', type=float, default=d.gap_s,
                        help='report output gaps longer than this (s)')
    parser.add_argument('--lookback', type=float, default=d.lookback_s,
                        help='list the mutations sent this long before an incident (s)')
    parser.add_argument('--param', action='append', default=[],
                        help='extra node parameter name:=value (repeatable)')
    parser.add_argument('--triage', type=int, default=12,
                        help='when a check fails, bisect the kinds sent before the first '
                             'incident in up to this many runs of a fresh node (0: off)')
    parser.add_argument('--triage-messages', type=int, default=300,
                        help='messages per triage run')
    parser.add_argument('--out-dir', default=None, help='logs (default: a temp folder)')
    parser.add_argument('--json', default=None, help='also write the report as JSON here')
    args = parser.parse_args(argv)
    if args.messages < 1 or args.rate <= 0:
        parser.error('--messages must be >= 1 and --rate > 0')
    split = (lambda s: tuple(x for x in s.split(',') if x))
    options = FuzzOptions(
        messages=args.messages, seed=args.seed, rate_hz=args.rate,
        streams=split(args.streams), kinds=split(args.kinds), sim_seed=args.sim_seed,
        min_outputs=args.min_outputs, resume_timeout_s=args.resume_timeout, gap_s=args.gap,
        lookback_s=args.lookback, node_params=d.node_params + tuple(args.param),
        out_dir=args.out_dir)
    return options, args


def main(argv: Optional[Sequence[str]] = None) -> int:
    options, args = parse_args(argv)
    if args.list_kinds:
        from multimodal_fusion.ros.fuzzing import kinds

        for stream, kind, expect in kinds():
            print(f'{stream:15} {kind:40} {expect}')
        return 0
    stop = threading.Event()

    def on_signal(signum, frame):
        print(f'[fuzz] {signal.Signals(signum).name}: stopping', flush=True)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    log = (lambda line: print(line, flush=True))
    report = run(options, stop, log=log)
    print(format_report(report), flush=True)
    results = []
    if args.triage > 0 and not report.passed and not report.setup_error \
            and not report.interrupted:
        results = triage(report, args.triage_messages, args.triage, stop, log=log)
        if results:
            print(format_triage(results), flush=True)
    if args.json:
        data = report.to_json()
        data['triage'] = [dataclasses.asdict(r) for r in results]
        pathlib.Path(args.json).write_text(json.dumps(data, indent=1))
    return report.exit_code()


if __name__ == '__main__':
    sys.exit(main())
