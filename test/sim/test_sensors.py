# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Sensor profiles: realistic ranges, two disjoint pools, exact windows of the stream."""

import numpy as np
import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim.sensors import measure_proprio
from multimodal_fusion.sim.sensors import measure_wrench
from multimodal_fusion.sim.sensors import sample_force_sensor
from multimodal_fusion.sim.sensors import sample_proprio_sensor

_DRAWS = 400


def _force_sensors(pool):
    rng = np.random.default_rng(3)
    return [sample_force_sensor(rng, pool) for _ in range(_DRAWS)]


def _proprio_sensors(pool):
    rng = np.random.default_rng(4)
    return [sample_proprio_sensor(rng, pool) for _ in range(_DRAWS)]


def _ranges_overlap(a, b):
    return min(max(a), max(b)) > max(min(a), min(b))


def test_training_pool_spans_ordinary_wrist_sensors():
    sensors = _force_sensors('train')
    noise = np.array([s.noise[0] for s in sensors])
    assert noise.min() < 0.02 and noise.max() > 0.3
    assert np.mean(noise > 0.1) > 0.25
    offsets = np.array([np.abs(s.bias[:3]).max() for s in sensors])
    # Mostly tared, sometimes several newtons off.
    assert np.mean(offsets < 0.5) > 0.5 and offsets.max() > 3.0
    gains = np.array([np.asarray(s.matrix).reshape(4, 3, 3)[0].diagonal() for s in sensors])
    assert np.abs(gains - 1.0).max() > 0.02
    tones = [t.freq for s in sensors for t in s.tones]
    # Tones ring in the stick-slip band too.
    assert sum(25.0 <= f <= 60.0 for f in tones) > 50


def test_pools_share_no_value_range_spectrum_or_pattern():
    train, held = _force_sensors('train'), _force_sensors('held_out')
    assert {s.color for s in train}.isdisjoint({s.color for s in held})
    assert {s.spike_width for s in train}.isdisjoint({s.spike_width for s in held})
    train_tones = {round(t.freq, 6) for s in train for t in s.tones}
    held_tones = {round(t.freq, 6) for s in held for t in s.tones}
    assert train_tones.isdisjoint(held_tones)
    assert 50.0 in train_tones and 60.0 in held_tones
    for field in ('drift', 'colored'):
        values = [getattr(s, field) for s in train], [getattr(s, field) for s in held]
        assert not set(values[0]) & set(values[1])
    # Noise floors lie in interleaved bands, never the same value.
    train_noise = np.array([s.noise[0] for s in train])
    held_noise = np.array([s.noise[0] for s in held])
    for lo, hi in ((0.03, 0.06), (0.12, 0.2), (0.4, 0.5)):
        assert not np.any((train_noise > lo) & (train_noise < hi))
        assert np.any((held_noise > lo) & (held_noise < hi))
    # Held-out sensors stay realistic.
    assert held_noise.max() <= 0.5
    assert max(np.abs(s.bias[:3]).max() for s in held) <= 6.0
    train_p, held_p = _proprio_sensors('train'), _proprio_sensors('held_out')
    assert {s.pos_quantum for s in train_p}.isdisjoint({s.pos_quantum for s in held_p})
    assert not _ranges_overlap([np.abs(s.gyro_bias).max() for s in train_p],
                               [np.abs(s.gyro_bias).min() for s in held_p])


def test_unknown_pool_is_rejected():
    with pytest.raises(ValueError, match='sensor pool'):
        sample_force_sensor(np.random.default_rng(0), 'other')
    with pytest.raises(ValueError, match='sensor pool'):
        sample_proprio_sensor(np.random.default_rng(0), 'other')


@pytest.mark.parametrize('pool', ['train', 'held_out'])
def test_a_window_reads_the_same_samples_as_the_whole_stream(pool):
    rng = np.random.default_rng(8)
    for _ in range(20):
        sensor = sample_force_sensor(rng, pool)
        start, count = -37, 900
        t = (start + np.arange(count)) / 200.0
        truth = np.sin(t)[:, None] * np.arange(1, 13)[None, :]
        whole = measure_wrench(sensor, truth, start, t)
        for first in (0, 5, 433, 800):
            part = measure_wrench(sensor, truth[first:first + 100], start + first,
                                  t[first:first + 100])
            np.testing.assert_allclose(part, whole[first:first + 100], rtol=0, atol=1e-9)
        proprio = sample_proprio_sensor(rng, pool)
        state = np.zeros((count, 44))
        state[:, 37] = 1.0
        whole = measure_proprio(proprio, state, start)
        part = measure_proprio(proprio, state[433:533], start + 433)
        np.testing.assert_allclose(part, whole[433:533], rtol=0, atol=1e-9)


def test_a_resting_sensor_reports_its_offset_noise_and_spikes():
    rng = np.random.default_rng(12)
    sensor = sample_force_sensor(rng, 'train')
    count = 20000
    t = np.arange(count) / 200.0
    measured = measure_wrench(sensor, np.zeros((count, 12)), 0, t)
    offset = np.median(measured, axis=0)
    np.testing.assert_allclose(offset[:3], np.asarray(sensor.bias[:3]),
                               atol=1.5 + 4 * sensor.drift + 3 * sensor.colored)
    steps = np.abs(np.diff(measured[:, 0]))
    assert np.median(steps) > 0.5 * sensor.noise[0]
    quantum = sensor.quantum[0]
    np.testing.assert_allclose(measured[:, 0] / quantum, np.round(measured[:, 0] / quantum),
                               atol=1e-6)


def test_held_out_sensor_condition_draws_only_held_out_profiles(sim_config):
    held = ScenarioSimulator(4, SimConfig(cache_dir=sim_config.cache_dir,
                                          held_out=('sensor',)))
    train = ScenarioSimulator(4, sim_config)
    for index in range(11):
        assert held.episode(index).plan.touch.sensor.spike_width == 3
        assert held.episode(index).plan.motion.sensor.pos_quantum > 0
        assert train.episode(index).plan.touch.sensor.spike_width == 1
