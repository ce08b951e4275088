# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Sensor imperfections: the wrist force/torque sensors, joint encoders and IMU of one episode.

The physics modules (``touch``, ``proprio``) render what the body feels; a sensor profile
turns that into what an ordinary sensor reports. Profiles are drawn once per episode from
one of two pools of sensor makes that share no value range, spectrum or pattern, so a
held-out condition is out of training by construction (``SimConfig.pool('sensor')``):

- force/torque: white noise floor, coloured noise (training: white or pink; held-out: blue or
  brown), bounded drift of the tare over seconds, temperature warm-up, a calibration offset
  (small when tared, several newtons when not), gain error and axis misalignment (a 3x3
  matrix per force and torque triple), quantisation, electrical spikes (training: single
  samples; held-out: three-sample glitches), and tones: mains pickup (training 50 Hz,
  held-out 60 Hz) and motor/gear vibration (training 22-48 and 65-85 Hz, held-out 48.5-58
  and 86-95 Hz), some amplitude-modulated. Most of these tones lie in 25-60 Hz, the band
  stick-slip rings in, so high-frequency energy alone never tells slip.
- joints: calibration offset per joint, encoder noise and quantisation (training 12, 14 or
  16 bits; held-out 11 or 13), velocity noise.
- IMU: gyro and accelerometer bias, noise, bias drift and scale error, and the estimator's
  orientation offset from the mounting.

Magnitudes are drawn from interleaved bands (training: hundredths up to 0.4 N of force
noise; held-out: the gaps between and 0.4-0.5 N). Every per-sample quantity is read from the
indexable noise tables at offsets drawn with the profile, so windows stay exact slices of
the whole stream.
"""

from __future__ import annotations

from dataclasses import dataclass
import math
from statistics import NormalDist

import numpy as np

from multimodal_fusion.sim.config import check_pool
from multimodal_fusion.sim.noise import colored_block
from multimodal_fusion.sim.noise import gaussian_block
from multimodal_fusion.spec import IMU_FEATURES
from multimodal_fusion.spec import JOINT_NAMES
from multimodal_fusion.spec import WRENCH_FEATURES

_OFFSETS = 1 << 30
_CHANNELS = 2 * WRENCH_FEATURES
_IS_FORCE = np.tile(np.array([True] * 3 + [False] * 3), 2)
# Per pool: value bands (a band is picked uniformly, the value log-uniformly inside it).
_FORCE_POOLS = {
    'train': {
        'noise': ((0.01, 0.03), (0.06, 0.12), (0.2, 0.4)),
        'colors': ('white', 'pink'),
        'tared': (0.02, 0.5), 'untared': (1.0, 4.0),
        'drift': ((0.01, 0.05), (0.1, 0.25)),
        'warmup': ((0.1, 1.5),),
        'gain': (0.0, 0.03), 'misalign_deg': (0.0, 1.5),
        'quantum': ((0.002, 0.03),),
        'spike_width': 1, 'spike_amp': ((0.5, 3.0),),
        'mains_hz': 50.0, 'motor_hz': ((22.0, 48.0), (65.0, 85.0)),
    },
    'held_out': {
        'noise': ((0.03, 0.06), (0.12, 0.2), (0.4, 0.5)),
        'colors': ('blue', 'brown'),
        'tared': (0.5, 1.0), 'untared': (4.0, 6.0),
        'drift': ((0.05, 0.1), (0.25, 0.4)),
        'warmup': ((1.5, 2.5),),
        'gain': (0.03, 0.05), 'misalign_deg': (1.5, 3.0),
        'quantum': ((0.03, 0.08),),
        'spike_width': 3, 'spike_amp': ((0.3, 2.0),),
        'mains_hz': 60.0, 'motor_hz': ((48.5, 58.0), (86.0, 95.0)),
    },
}
_PROPRIO_POOLS = {
    'train': {
        'bits': (12, 14, 16), 'joint_offset': (0.0, 0.015),
        'pos_noise': ((0.0002, 0.0006), (0.001, 0.002)),
        'vel_noise': ((0.005, 0.015), (0.03, 0.06)),
        'gyro_noise': ((0.002, 0.005), (0.008, 0.015)), 'gyro_bias': (0.0, 0.015),
        'gyro_drift': ((0.001, 0.005),),
        'accel_noise': ((0.01, 0.03), (0.05, 0.08)), 'accel_bias': (0.0, 0.1),
        'scale': (0.0, 0.02), 'mount_deg': (0.0, 0.3), 'quat_noise': ((0.0005, 0.002),),
    },
    'held_out': {
        'bits': (11, 13), 'joint_offset': (0.015, 0.03),
        'pos_noise': ((0.0006, 0.001), (0.002, 0.003)),
        'vel_noise': ((0.015, 0.03), (0.06, 0.09)),
        'gyro_noise': ((0.005, 0.008), (0.015, 0.02)), 'gyro_bias': (0.015, 0.03),
        'gyro_drift': ((0.005, 0.01),),
        'accel_noise': ((0.03, 0.05), (0.08, 0.1)), 'accel_bias': (0.1, 0.2),
        'scale': (0.02, 0.04), 'mount_deg': (0.3, 0.5), 'quat_noise': ((0.002, 0.003),),
    },
}


@dataclass(frozen=True)
class Tone:
    """A periodic disturbance picked up by the force sensors.

    Attributes:
        freq: frequency in Hz.
        amp: force amplitude in N.
        phase: phase at time 0.
        mod_freq: amplitude-modulation frequency in Hz (a motor speeding up and down).
        depth: modulation depth in [0, 1].
        mix: weight per wrench column (torque columns already scaled to N m).
    """

    freq: float
    amp: float
    phase: float
    mod_freq: float
    depth: float
    mix: tuple[float, ...]


@dataclass(frozen=True)
class ForceSensor:
    """Both wrist F/T sensors of an episode (one make, two units).

    Attributes:
        noise: white noise standard deviation (force N, torque N m).
        color: colour of the additional coloured noise (``noise.NOISE_COLORS``).
        colored: coloured noise standard deviation in N.
        drift: RMS of the tare's slow wander in N.
        arm: torque per force of the noise terms in metres.
        bias: calibration offset per column.
        warmup: temperature drift per column still to come, and its time constant in s.
        age: seconds since power-on at the episode start.
        matrix: ``(4, 3, 3)`` gain and misalignment of the left force, left torque, right
            force and right torque triples, flattened.
        quantum: resolution (force N, torque N m).
        spike_threshold: unit-normal level whose exceedance fires a spike.
        spike_amp: spike height in N (torque columns scaled by ``arm``).
        spike_width: samples per spike.
        tones: periodic disturbances.
        offset: where this sensor reads the noise tables.
    """

    noise: tuple[float, float]
    color: str
    colored: float
    drift: float
    arm: float
    bias: tuple[float, ...]
    warmup: tuple[tuple[float, ...], float]
    age: float
    matrix: tuple[float, ...]
    quantum: tuple[float, float]
    spike_threshold: float
    spike_amp: float
    spike_width: int
    tones: tuple[Tone, ...]
    offset: int


@dataclass(frozen=True)
class ProprioSensor:
    """Joint encoders and IMU of an episode.

    Attributes:
        joint_offsets: calibration offset per joint in rad.
        pos_noise: encoder noise in rad.
        pos_quantum: encoder resolution in rad.
        vel_noise: joint velocity noise in rad/s.
        gyro_bias: per axis in rad/s.
        gyro_drift: RMS of the gyro bias wander in rad/s.
        gyro_noise: in rad/s.
        gyro_scale: scale factor per axis.
        accel_bias: per axis in m/s^2.
        accel_noise: in m/s^2.
        accel_scale: scale factor per axis.
        mount: quaternion (x, y, z, w) of the orientation estimate's fixed error.
        quat_noise: per component.
        offset: where this sensor reads the noise tables.
    """

    joint_offsets: tuple[float, ...]
    pos_noise: float
    pos_quantum: float
    vel_noise: float
    gyro_bias: tuple[float, float, float]
    gyro_drift: float
    gyro_noise: float
    gyro_scale: tuple[float, float, float]
    accel_bias: tuple[float, float, float]
    accel_noise: float
    accel_scale: tuple[float, float, float]
    mount: tuple[float, float, float, float]
    quat_noise: float
    offset: int


def _check_pool(pool: str) -> None:
    check_pool(pool, 'sensor')


class _Draws:
    """Uniform and normal numbers drawn from the generator in two calls, handed out in order.

    A profile takes about a hundred numbers; one call each would cost more than the rest of
    the episode's plan.
    """

    def __init__(self, rng: np.random.Generator, uniforms: int, normals: int):
        self._u = rng.random(uniforms).tolist()
        self._n = rng.standard_normal(normals)
        self._i = self._j = 0

    def u(self, lo: float = 0.0, hi: float = 1.0) -> float:
        value = self._u[self._i]
        self._i += 1
        return lo + (hi - lo) * value

    def pick(self, options):
        return options[min(int(self.u() * len(options)), len(options) - 1)]

    def banded(self, bands) -> float:
        """Log-uniform inside one band picked uniformly."""
        lo, hi = self.pick(bands)
        return math.exp(self.u(math.log(lo), math.log(hi)))

    def signed(self, lo: float, hi: float, size: int) -> np.ndarray:
        """Magnitudes uniform in ``[lo, hi]`` with random signs."""
        return np.array([self.u(lo, hi) * (1.0 if self.u() < 0.5 else -1.0)
                         for _ in range(size)])

    def normals(self, size: int) -> np.ndarray:
        values = self._n[self._j:self._j + size]
        self._j += size
        return values

    def offset(self) -> int:
        return int(self.u() * _OFFSETS)


def _skew(w: np.ndarray) -> np.ndarray:
    return np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])


def sample_force_sensor(rng: np.random.Generator, pool: str) -> ForceSensor:
    """Draw the wrist F/T sensors of one episode from ``pool`` (``sim.config.POOLS``).

    Raises:
        ValueError: for an unknown pool.
    """
    _check_pool(pool)
    p = _FORCE_POOLS[pool]
    draw = _Draws(rng, 128, 4 * _CHANNELS)
    noise = draw.banded(p['noise'])
    arm = draw.u(0.01, 0.04)
    offset_range = p['untared'] if draw.u() < 0.3 else p['tared']
    force_bias = draw.signed(*offset_range, 6)
    bias = np.concatenate([force_bias[:3], arm * force_bias[:3],
                           force_bias[3:], arm * force_bias[3:]])
    weights = np.where(_IS_FORCE, 1.0, arm)
    warm = draw.banded(p['warmup']) * draw.normals(_CHANNELS) / 2.0 * weights
    matrices = []
    for _ in range(4):
        gain = 1.0 + draw.signed(*p['gain'], 3)
        angles = np.radians(draw.signed(*p['misalign_deg'], 3))
        matrices.append(gain[:, None] * (np.eye(3) + _skew(angles)))
    quantum = draw.banded(p['quantum'])
    # One spike in 1,000 to 10,000 samples per column.
    rate = draw.banded(((1e-4, 1e-3),))
    tones = []
    if draw.u() < 0.5:
        tones.append(_tone(draw, p['mains_hz'], weights, 0.0))
    for _ in range(draw.pick((0, 1, 2))):
        lo, hi = draw.pick(p['motor_hz'])
        freq = draw.u(lo, hi)
        depth = draw.u(0.3, 0.9) if draw.u() < 0.5 else 0.0
        tones.append(_tone(draw, freq, weights, depth))
    return ForceSensor(
        noise=(noise, noise * arm), color=draw.pick(p['colors']),
        colored=noise * draw.u(0.2, 1.0), drift=draw.banded(p['drift']), arm=arm,
        bias=tuple(float(v) for v in bias),
        warmup=(tuple(float(v) for v in warm), draw.u(30.0, 300.0)),
        age=draw.u(0.0, 600.0),
        matrix=tuple(float(v) for v in np.stack(matrices).ravel()),
        quantum=(quantum, quantum * arm),
        spike_threshold=NormalDist().inv_cdf(1.0 - rate / 2.0),
        spike_amp=draw.banded(p['spike_amp']), spike_width=p['spike_width'],
        tones=tuple(tones), offset=draw.offset())


def _tone(draw: _Draws, freq: float, weights: np.ndarray, depth: float) -> Tone:
    mix = draw.normals(_CHANNELS) * weights
    return Tone(freq=freq, amp=draw.banded(((0.02, 0.4),)), phase=draw.u(0.0, 2 * math.pi),
                mod_freq=draw.u(0.2, 3.0), depth=depth,
                mix=tuple(float(v) for v in mix / np.sqrt(np.mean(mix[:3] ** 2) + 1e-9)))


def measure_wrench(sensor: ForceSensor, wrench: np.ndarray, start: int,
                   t: np.ndarray) -> np.ndarray:
    """What the F/T sensors report for the true ``(n, 12)`` wrenches at samples ``start..``.

    Args:
        sensor: the episode's sensors.
        wrench: true wrenches, left wrist then right (not modified).
        start: index of the first sample on the stream's clock.
        t: ``(n,)`` sample times in seconds.

    Returns:
        ``(n, 12)`` float64 measured wrenches.
    """
    n = t.size
    matrix = np.asarray(sensor.matrix).reshape(4, 3, 3)
    triples = wrench.reshape(n, 4, 1, 3)
    out = (triples * matrix[None]).sum(-1).reshape(n, _CHANNELS)
    weights = np.where(_IS_FORCE, 1.0, sensor.arm)
    warm, tau = sensor.warmup
    out += np.asarray(sensor.bias) + np.asarray(warm) * (1.0 - np.exp(-(t + sensor.age) / tau))[
        :, None]
    offsets = sensor.offset + 7919 * np.arange(_CHANNELS)
    out += (sensor.drift * weights) * colored_block('red', offsets, start, n)
    out += (sensor.colored * weights) * colored_block(sensor.color, offsets + 104729, start, n)
    force_sd, torque_sd = sensor.noise
    white = gaussian_block(sensor.offset, start, n, _CHANNELS)
    out += np.where(_IS_FORCE, force_sd, torque_sd) * white
    for tone in sensor.tones:
        wave = tone.amp * np.sin(2 * np.pi * tone.freq * t + tone.phase)
        if tone.depth > 0.0:
            wave = wave * (1.0 + tone.depth * np.sin(2 * np.pi * tone.mod_freq * t))
        out += wave[:, None] * np.asarray(tone.mix)[None, :]
    width = sensor.spike_width
    trigger = gaussian_block(sensor.offset + 15485863, start - width + 1, n + width - 1,
                             _CHANNELS)
    pulses = np.where(np.abs(trigger) > sensor.spike_threshold, np.sign(trigger), 0.0)
    if pulses.any():
        spikes = sum(pulses[width - 1 - j:width - 1 - j + n] for j in range(width))
        out += sensor.spike_amp * weights * spikes
    quantum = np.where(_IS_FORCE, *sensor.quantum)
    return np.round(out / quantum) * quantum


def sample_proprio_sensor(rng: np.random.Generator, pool: str) -> ProprioSensor:
    """Draw the joint encoders and IMU of one episode from ``pool`` (``sim.config.POOLS``).

    Raises:
        ValueError: for an unknown pool.
    """
    _check_pool(pool)
    p = _PROPRIO_POOLS[pool]
    draw = _Draws(rng, 64, len(JOINT_NAMES))
    bits = draw.pick(p['bits'])
    joint_sd = draw.u(*p['joint_offset'])
    tilt = np.radians(draw.signed(*p['mount_deg'], 2))
    half = 0.5 * float(np.hypot(*tilt))
    axis = np.array([tilt[0], tilt[1], 0.0]) / max(2.0 * half, 1e-12)
    mount = np.concatenate([axis * math.sin(half), [math.cos(half)]])
    return ProprioSensor(
        joint_offsets=tuple(float(v) for v in joint_sd * draw.normals(len(JOINT_NAMES))),
        pos_noise=draw.banded(p['pos_noise']), pos_quantum=2 * math.pi / 2 ** bits,
        vel_noise=draw.banded(p['vel_noise']),
        gyro_bias=tuple(float(v) for v in draw.signed(*p['gyro_bias'], 3)),
        gyro_drift=draw.banded(p['gyro_drift']), gyro_noise=draw.banded(p['gyro_noise']),
        gyro_scale=tuple(float(v) for v in 1.0 + draw.signed(*p['scale'], 3)),
        accel_bias=tuple(float(v) for v in draw.signed(*p['accel_bias'], 3)),
        accel_noise=draw.banded(p['accel_noise']),
        accel_scale=tuple(float(v) for v in 1.0 + draw.signed(*p['scale'], 3)),
        mount=tuple(float(v) for v in mount), quat_noise=draw.banded(p['quat_noise']),
        offset=draw.offset())


def _quat_multiply(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product of ``(n, 4)`` quaternions by one ``(4,)``, both (x, y, z, w)."""
    ax, ay, az, aw = a.T
    bx, by, bz, bw = b
    return np.stack([aw * bx + ax * bw + ay * bz - az * by,
                     aw * by - ax * bz + ay * bw + az * bx,
                     aw * bz + ax * by - ay * bx + az * bw,
                     aw * bw - ax * bx - ay * by - az * bz], axis=1)


def measure_proprio(sensor: ProprioSensor, state: np.ndarray, start: int) -> np.ndarray:
    """What the encoders and IMU report for the true ``(n, 2 * joints + 10)`` state.

    Args:
        sensor: the episode's sensors.
        state: positions, velocities, quaternion, gyro, accel (not modified).
        start: index of the first sample on the stream's clock.

    Returns:
        ``(n, 2 * joints + 10)`` float64, quaternions normalised.
    """
    n = state.shape[0]
    joints = len(JOINT_NAMES)
    features = 2 * joints + IMU_FEATURES
    white = gaussian_block(sensor.offset, start, n, features)
    pos = state[:, :joints] + np.asarray(sensor.joint_offsets) + sensor.pos_noise * white[
        :, :joints]
    pos = np.round(pos / sensor.pos_quantum) * sensor.pos_quantum
    vel = state[:, joints:2 * joints] + sensor.vel_noise * white[:, joints:2 * joints]
    imu_at = 2 * joints
    quat = _quat_multiply(state[:, imu_at:imu_at + 4], np.asarray(sensor.mount))
    quat = quat + sensor.quat_noise * white[:, imu_at:imu_at + 4]
    quat /= np.linalg.norm(quat, axis=1, keepdims=True)
    drift = colored_block('red', sensor.offset + 7919 * np.arange(3), start, n)
    gyro = (state[:, imu_at + 4:imu_at + 7] * np.asarray(sensor.gyro_scale)
            + np.asarray(sensor.gyro_bias) + sensor.gyro_drift * drift
            + sensor.gyro_noise * white[:, imu_at + 4:imu_at + 7])
    accel = (state[:, imu_at + 7:imu_at + 10] * np.asarray(sensor.accel_scale)
             + np.asarray(sensor.accel_bias) + sensor.accel_noise * white[:, imu_at + 7:])
    return np.concatenate([pos, vel, quat, gyro, accel], axis=1)
