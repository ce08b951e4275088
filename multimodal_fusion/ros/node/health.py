# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What /diagnostics says about the node, decided from its counters (plain Python, no rclpy).

Three statuses, each with a level in the ``diagnostic_msgs/DiagnosticStatus`` convention:

* ``inputs``: per stream the arrival rate, the age of its newest stamp and how far that
  stamp lies from the camera's. ERROR when the camera is silent (nothing can be
  published); WARN when another stream is silent, or its stamps are off the camera's clock
  by more than the clock tolerance (a driver on another clock: its data can never be
  matched), or it jumped back since the last report. Streams that are silent by nature
  (speech text) never raise the level.
* ``inference``: outputs against accepted camera frames. ERROR when camera frames arrive
  but no output has followed for ``stall_timeout_s`` (the outage the old diagnostics hid);
  WARN when outputs run at under half the camera rate, or sets failed (inference error,
  non-finite model output) since the last report.
* ``drops``: every count of messages and sets not used, each counted once. WARN when a
  malformed message or a frame lost in transport was counted since the last report.

Levels are judged per report (deltas since the previous one), so a fault that ended goes
back to OK while its totals stay visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Optional, Sequence

from multimodal_fusion.spec import MODALITIES

OK, WARN, ERROR = 0, 1, 2
# Streams that are quiet most of the time by nature: their silence is no fault.
SILENT_BY_NATURE = frozenset({'text'})
CAMERA = 'camera'
LOST_HINT = ('for frames of 640x480 and more, start the publishing driver with '
             'FASTDDS_DEFAULT_PROFILES_FILE=<share>/multimodal_fusion/config/'
             'fastdds_large_frames.xml, or set qos.sensors: reliable')


@dataclass
class Status:
    """One diagnostic status: ``name`` is appended to the node name."""

    name: str
    level: int = OK
    message: str = ''
    values: list = field(default_factory=list)

    def raise_to(self, level: int, message: str) -> None:
        """Keep the worst level; messages of the worst level are joined."""
        if level > self.level:
            self.level, self.message = level, message
        elif level == self.level and level > OK:
            self.message = f'{self.message}; {message}'


def expected_streams(wrists: Sequence[str], imu: bool) -> list[str]:
    """The input streams a node with these wrists (and an IMU or not) reports on."""
    return (['camera', 'audio', 'text', *[f'touch/{w}' for w in wrists], 'proprio/joints']
            + (['proprio/imu'] if imu else []))


@dataclass(frozen=True)
class HealthInputs:
    """Everything one report is made from.

    Attributes:
        stats: ``NodeStats.snapshot()``.
        sync_drops: ``FusionSynchronizer.drops.snapshot()``.
        set_drops: ``FusionSynchronizer.set_drops.snapshot()``.
        time_jumps: camera (whole timeline) jumps so far.
        stream_jumps: single-stream jumps so far, by stream.
        newest_stamps_ns: newest accepted stamp per stream.
        now_ns: the node clock (simulated time under use_sim_time).
        expected: the input streams the node subscribes to, in report order.
        expected_rates: Hz expected per stream (``diagnostics.expected_rates``).
        rate_tolerance: relative deviation from an expected rate still OK.
        max_stamp_age_s: a stream whose newest stamp is further than this from the node's
            clock (either way) is off.
        notes: reasons the node knows for an absent modality (no AudioInfo, unmapped
            joints), by modality.
        budget: ``LatencyBudget.snapshot()`` with ``'models'``, the file name of each model
            (``primary``, ``fallback``); None without a latency budget.
    """

    stats: dict
    sync_drops: dict
    set_drops: dict
    time_jumps: int
    stream_jumps: dict
    newest_stamps_ns: dict
    now_ns: int
    expected: Sequence[str]
    expected_rates: dict = field(default_factory=dict)
    rate_tolerance: float = 0.25
    max_stamp_age_s: Optional[float] = None
    notes: dict = field(default_factory=dict)
    budget: Optional[dict] = None


def _fmt(value: Optional[float], digits: int = 1) -> str:
    return 'n/a' if value is None else f'{value:.{digits}f}'


class HealthMonitor:
    """Turns counters into statuses, remembering the last report's totals for deltas.

    Args:
        stall_timeout_s: camera frames without an output for this long is an outage.
        clock_tolerance_s: a stream whose newest stamp is further than this from the
            camera's is on another clock.
    """

    def __init__(self, *, stall_timeout_s: float, clock_tolerance_s: float) -> None:
        self.stall_timeout_s = stall_timeout_s
        self.clock_tolerance_s = clock_tolerance_s
        self._previous: dict[str, int] = {}

    def _delta(self, key: str, total: int) -> int:
        change = total - self._previous.get(key, 0)
        self._previous[key] = total
        return change

    def report(self, x: HealthInputs) -> list[Status]:
        """The three statuses (inputs, inference, drops) for one /diagnostics message."""
        return [self._inputs(x), self._inference(x), self._drops(x)]

    def _inputs(self, x: HealthInputs) -> Status:
        status = Status('inputs', message='all inputs arriving')
        rates = x.stats['rates']
        camera_ns = x.newest_stamps_ns.get(CAMERA)
        for stream in x.expected:
            rate = rates.get(stream, 0.0)
            newest = x.newest_stamps_ns.get(stream)
            age = None if newest is None else (x.now_ns - newest) / 1e9
            lag = (None if newest is None or camera_ns is None
                   else (camera_ns - newest) / 1e9)
            jumps = x.stream_jumps.get(stream, 0)
            status.values += [(f'rate_hz/{stream}', f'{rate:.1f}'),
                              (f'stamp_age_s/{stream}', _fmt(age, 3)),
                              (f'behind_camera_s/{stream}', _fmt(lag, 3)),
                              (f'clock_jumps/{stream}', jumps)]
            jumped = self._delta(f'jumps/{stream}', jumps)
            want = x.expected_rates.get(stream)
            if want is not None:
                status.values.append((f'expected_hz/{stream}', f'{want:g}'))
            if rate == 0.0:
                if stream == CAMERA:
                    status.raise_to(ERROR, 'no camera frames: nothing can be published')
                elif stream not in SILENT_BY_NATURE:
                    status.raise_to(WARN, f'no messages on {stream}')
            elif lag is not None and abs(lag) > self.clock_tolerance_s:
                side = 'behind' if lag > 0 else 'ahead of'
                status.raise_to(WARN, f'clock fault: {stream} stamps are {abs(lag):.1f} s '
                                      f"{side} the camera's (another clock?)")
            elif (x.max_stamp_age_s is not None and age is not None
                    and abs(age) > x.max_stamp_age_s and stream not in SILENT_BY_NATURE):
                when = 'old' if age > 0 else 'in the future'
                status.raise_to(WARN, f'{stream} stamps are {abs(age):.2f} s {when} against '
                                      "the node's clock (latency or clock skew)")
            if (want is not None and rate > 0.0
                    and abs(rate - want) > x.rate_tolerance * want):
                status.raise_to(WARN, f'{stream} at {rate:.1f} Hz, expected {want:g} Hz '
                                      f'+-{100 * x.rate_tolerance:.0f} %')
            if jumped:
                status.raise_to(WARN, f'clock fault: {stream} stamps jumped back '
                                      f'({jumped} time(s)); that stream restarted')
        status.values.append(('time_jumps', x.time_jumps))
        if self._delta('time_jumps', x.time_jumps):
            status.raise_to(WARN, 'camera time jumped back (looping bag or restarted '
                                  'simulator?): every buffer restarted')
        return status

    def _inference(self, x: HealthInputs) -> Status:
        s = x.stats
        status = Status('inference', message=f'{s["outputs"]} outputs')
        e2e, model = s['end_to_end'], s['inference']
        camera_rate, output_rate = s['camera_rate'], s['output_rate']
        since = s['since_last_output_s']
        errors = s['errors']
        status.values = [
            ('outputs', s['outputs']),
            ('output_rate_hz', f'{output_rate:.1f}'),
            ('camera_rate_hz', f'{camera_rate:.1f}'),
            ('output_per_camera_frame', _fmt(output_rate / camera_rate if camera_rate
                                             else None, 2)),
            ('since_last_output_s', _fmt(since, 2)),
            ('end_to_end_ms/median', _fmt(e2e and e2e[0])),
            ('end_to_end_ms/p99', _fmt(e2e and e2e[1])),
            ('sync_wait_ms/median', _fmt(s['sync_wait'] and s['sync_wait'][0])),
            ('sync_wait_ms/p99', _fmt(s['sync_wait'] and s['sync_wait'][1])),
            ('inference_ms/median', _fmt(model and model[0])),
            ('inference_ms/p99', _fmt(model and model[1])),
            ('model_ms/median', _fmt(s['model'] and s['model'][0])),
            ('model_ms/p99', _fmt(s['model'] and s['model'][1])),
            # Cumulative: a benchmark reads the node's model CPU share from two of them.
            ('model_cpu_s/total', f'{s["model_cpu_s"]:.3f}'),
        ]
        status.values += [(f'failed_sets/{kind}', n) for kind, n in sorted(errors.items())]
        if x.budget is not None:
            self._budget(status, x.budget)
        last = s['last_presence']
        counts = s['presence_counts']
        for i, name in enumerate(MODALITIES):
            status.values.append((f'present/{name}', '' if last is None else bool(last[i])))
            status.values.append((f'present_sets/{name}', int(counts[i])))
            if last is not None and not last[i]:
                status.values.append((f'absent_reason/{name}', self._absent_reason(name, x)))

        waited = since if since is not None else s['since_first_camera_s']
        if camera_rate > 0 and waited is not None and waited > self.stall_timeout_s:
            status.raise_to(ERROR, f'camera frames arrive ({camera_rate:.1f} Hz) but no '
                                   f'output for {waited:.1f} s')
        elif camera_rate > 0 and output_rate < 0.5 * camera_rate and s['outputs']:
            status.raise_to(WARN, f'outputs at {output_rate:.1f} Hz for {camera_rate:.1f} Hz '
                                  'of camera frames (model slower than the camera?)')
        elif not s['outputs']:
            status.raise_to(WARN, 'no output yet')
        for kind, n in sorted(errors.items()):
            new = self._delta(f'errors/{kind}', n)
            if new:
                status.raise_to(WARN, f'{new} set(s) failed: {kind}')
        return status

    @staticmethod
    def _budget(status: Status, b: dict) -> None:
        running = b['running']
        status.values += [
            ('budget/running', running), ('budget/running_model', b['models'][running]),
            ('budget/latency_ms', f'{b["budget_ms"]:g}'), ('budget/switches', b['switches']),
            ('budget/probes', b['probes'])]
        for model in ('primary', 'fallback'):
            status.values += [(f'budget/sets/{model}', b['sets'][model]),
                              (f'budget/median_ms/{model}', _fmt(b['median_ms'][model]))]
        if running == 'fallback':
            status.raise_to(WARN, f'over the latency budget of {b["budget_ms"]:g} ms: running '
                                  f'the fallback model {b["models"]["fallback"]}')

    @staticmethod
    def _absent_reason(modality: str, x: HealthInputs) -> str:
        """Why a modality was absent from the last set, as far as the counters tell."""
        if modality in x.notes:
            return x.notes[modality]
        if modality == 'text':
            return 'no current command'
        streams = [s for s in x.expected if s == modality or s.startswith(modality + '/')]
        never = [s for s in streams if s not in x.newest_stamps_ns]
        if never:
            return f'never received: {", ".join(never)}'
        silent = [s for s in streams if x.stats['rates'].get(s, 0.0) == 0.0]
        if silent:
            return f'stopped: {", ".join(silent)}'
        return 'stale: older than its sync.max_age at the frame (latency or another clock)'

    def _drops(self, x: HealthInputs) -> Status:
        status = Status('drops')
        values = []
        for reason, by_source in sorted(x.sync_drops.items()):
            values += [(f'messages/{reason}/{source}', n)
                       for source, n in sorted(by_source.items())]
        for (stream, field_name), n in sorted(x.stats['rejected'].items()):
            values.append((f'messages/malformed/{stream}/{field_name}', n))
        for (reason, stream), n in sorted(x.stats['unused'].items()):
            values.append((f'messages/{reason}/{stream}', n))
        for reason, by_source in sorted(x.set_drops.items()):
            values += [(f'sets/{reason}/{source}', n)
                       for source, n in sorted(by_source.items())]
        total = sum(n for _, n in values)
        status.values = values + [('total', total)]
        status.message = f'{total} drops'
        malformed = sum(x.stats['rejected'].values()) + sum(
            x.sync_drops.get('malformed', {}).values())
        new = self._delta('malformed', malformed)
        if new:
            status.raise_to(WARN, f'{new} malformed message(s) since the last report')
        for (reason, stream), n in sorted(x.stats['unused'].items()):
            new = self._delta(f'lost/{stream}', n) if reason == 'lost_in_transport' else 0
            if new:
                status.raise_to(WARN, f'{new} {stream} message(s) lost in transport since the '
                                      f'last report; {LOST_HINT}')
        return status
