# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""HealthMonitor: the /diagnostics levels, from counters alone (no graph needed)."""

import numpy as np

from multimodal_fusion.ros.node.health import ERROR
from multimodal_fusion.ros.node.health import HealthInputs
from multimodal_fusion.ros.node.health import HealthMonitor
from multimodal_fusion.ros.node.health import OK
from multimodal_fusion.ros.node.health import WARN

S = 1_000_000_000
NOW = 1_700_000_000 * S
STREAMS = ['camera', 'audio', 'text', 'touch/left', 'touch/right', 'proprio/joints']


def stats(**changes):
    base = {
        'rates': {s: 30.0 for s in STREAMS if s != 'text'},
        'rejected': {}, 'unused': {}, 'errors': {},
        'end_to_end': (12.0, 20.0), 'sync_wait': (3.2, 9.6), 'inference': (7.0, 9.0),
        'model': (5.5, 8.0),
        'outputs': 900, 'model_cpu_s': 6.3, 'output_rate': 30.0, 'camera_rate': 30.0,
        'since_last_output_s': 0.03, 'since_first_camera_s': 30.0,
        'presence_counts': np.zeros(5, np.int64), 'last_presence': (True,) * 5,
    }
    base.update(changes)
    return base


def inputs(**changes):
    values = {'stats': stats(), 'sync_drops': {}, 'set_drops': {}, 'time_jumps': 0,
              'stream_jumps': {}, 'newest_stamps_ns': {s: NOW - 10_000_000 for s in STREAMS},
              'now_ns': NOW, 'expected': STREAMS}
    values.update(changes)
    return HealthInputs(**values)


def report(monitor, x):
    return {s.name: s for s in monitor.report(x)}


def monitor():
    return HealthMonitor(stall_timeout_s=1.0, clock_tolerance_s=1.0)


def test_a_healthy_node_is_ok_and_silent_speech_is_no_fault():
    statuses = report(monitor(), inputs())
    assert [s.level for s in statuses.values()] == [OK, OK, OK]
    values = dict(statuses['inputs'].values)
    assert values['rate_hz/text'] == '0.0'
    assert values['stamp_age_s/camera'] == '0.010'
    model = dict(statuses['inference'].values)
    assert (model['model_ms/median'], model['model_cpu_s/total']) == ('5.5', '6.300')
    assert (model['sync_wait_ms/median'], model['sync_wait_ms/p99']) == ('3.2', '9.6')


def test_outputs_that_stopped_while_the_camera_arrives_are_an_error():
    # The audit: inference stayed OK whenever the cumulative output count was above zero.
    statuses = report(monitor(), inputs(stats=stats(since_last_output_s=4.2, output_rate=0.0)))
    assert statuses['inference'].level == ERROR
    assert 'no output for 4.2 s' in statuses['inference'].message


def test_camera_frames_but_never_an_output_is_an_error():
    statuses = report(monitor(), inputs(stats=stats(outputs=0, output_rate=0.0,
                                                    since_last_output_s=None,
                                                    since_first_camera_s=3.0)))
    assert statuses['inference'].level == ERROR


def test_no_camera_is_an_input_error_and_a_dead_sensor_a_warning():
    rates = {s: 30.0 for s in STREAMS if s not in ('camera', 'text', 'touch/left')}
    statuses = report(monitor(), inputs(stats=stats(rates=rates, camera_rate=0.0)))
    assert statuses['inputs'].level == ERROR
    assert 'no camera frames' in statuses['inputs'].message
    rates['camera'] = 30.0
    statuses = report(monitor(), inputs(stats=stats(rates=rates)))
    assert statuses['inputs'].level == WARN
    assert statuses['inputs'].message == 'no messages on touch/left'


def test_a_stream_on_another_clock_is_named():
    stamps = {s: NOW for s in STREAMS}
    stamps['touch/right'] = 12 * S  # its driver's boot clock
    statuses = report(monitor(), inputs(newest_stamps_ns=stamps))
    assert statuses['inputs'].level == WARN
    assert 'clock fault: touch/right' in statuses['inputs'].message


def test_levels_follow_what_happened_since_the_last_report():
    m = monitor()
    bad = stats(rejected={('camera', 'Image.step'): 3}, errors={'non_finite_output': 1})
    first = report(m, inputs(stats=bad, stream_jumps={'audio': 1}))
    assert first['drops'].level == WARN and '3 malformed' in first['drops'].message
    assert first['inference'].level == WARN and 'non_finite_output' in first['inference'].message
    assert first['inputs'].level == WARN and 'audio stamps jumped back' in first['inputs'].message
    # Nothing new: back to OK, totals still shown.
    second = report(m, inputs(stats=bad, stream_jumps={'audio': 1}))
    assert [s.level for s in second.values()] == [OK, OK, OK]
    assert ('messages/malformed/camera/Image.step', 3) in second['drops'].values
    assert ('failed_sets/non_finite_output', 1) in second['inference'].values


def test_malformed_messages_are_counted_once_in_the_drops_total():
    # The audit: each malformed message was counted twice in the drops total.
    statuses = report(monitor(), inputs(stats=stats(rejected={('camera', 'Image.step'): 2})))
    assert ('total', 2) in statuses['drops'].values


def test_frames_lost_in_transport_warn():
    statuses = report(monitor(), inputs(stats=stats(
        unused={('lost_in_transport', 'camera'): 40})))
    assert statuses['drops'].level == WARN
    assert ('messages/lost_in_transport/camera', 40) in statuses['drops'].values


def test_gap_counter_sees_frames_lost_between_those_that_arrived():
    from multimodal_fusion.ros.node.stats import StampGapCounter
    counter = StampGapCounter()
    period = S // 30
    arrived = [k for k in range(300) if k % 5 != 2]  # one frame in five lost
    lost = sum(counter.add(NOW + k * period) for k in arrived)
    assert counter.lost == lost
    assert 0 < 300 - len(arrived) - lost <= 4  # the first five steps only set the period
    assert counter.add(NOW + 400 * period) == 0  # a pause of seconds is not a loss


def test_two_publishers_interleaving_on_one_topic_are_not_losses():
    from multimodal_fusion.ros.node.stats import StampGapCounter
    counter = StampGapCounter()
    period = S // 30
    stamps = sorted([NOW + k * period for k in range(200)]
                    + [NOW + k * period + 5_000_000 for k in range(200)])
    assert sum(counter.add(s) for s in stamps) == 0


def test_expected_rates_and_stamp_ages_are_checked():
    rates = {s: 30.0 for s in STREAMS if s != 'text'}
    rates['touch/left'] = 120.0
    stamps = {s: NOW - 10_000_000 for s in STREAMS}
    stamps['audio'] = stamps['camera'] = NOW - 3 * S  # 3 s of latency, or a skewed clock
    statuses = report(monitor(), inputs(
        stats=stats(rates=rates), newest_stamps_ns=stamps, max_stamp_age_s=1.0,
        expected_rates={'touch/left': 200.0, 'camera': 30.0}, rate_tolerance=0.2))
    message = statuses['inputs'].message
    assert statuses['inputs'].level == WARN
    assert 'touch/left at 120.0 Hz, expected 200 Hz' in message
    assert 'audio stamps are 3.00 s old' in message
    assert 'camera stamps are 3.00 s old' in message
    assert 'camera at' not in message
    assert ('expected_hz/touch/left', '200') in statuses['inputs'].values


def test_an_absent_modality_comes_with_its_reason():
    last = (True, False, False, False, False)
    rates = {s: 30.0 for s in STREAMS if s not in ('text', 'touch/left')}
    stamps = {s: NOW for s in STREAMS if s != 'touch/right'}
    statuses = report(monitor(), inputs(
        stats=stats(last_presence=last, rates=rates), newest_stamps_ns=stamps,
        notes={'audio': 'no AudioInfo on /audio/audio_info'}))
    values = dict(statuses['inference'].values)
    assert values['absent_reason/audio'] == 'no AudioInfo on /audio/audio_info'
    assert values['absent_reason/text'] == 'no current command'
    assert values['absent_reason/touch'] == 'never received: touch/right'
    assert 'stale' in values['absent_reason/proprio']
