# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Wrist force/torque: free motion, resting contact, grasped loads, slip and collisions.

A wrist sensor does not feel grip force; it feels the weight it carries (rotating with the
forearm), inertial shaking, vibration, and external contacts. The patterns the situations
rely on are: a held load (several newtons more than the bare hand, steady), slip (the held
load falls until the object leaves the hand, in stick-slip steps that each ring a 25-60 Hz
burst in the tangential force, sometimes too weak to stand out of the noise) and collision
(a 20-60 N spike within a few milliseconds that rings down).

Vibration without slip is common: a gripper servo hunting while it holds, heel strikes
while walking, and the sensor's own tones (``sensors.ForceSensor``) ring in the same band
as stick-slip, so only the falling load tells slip. What the sensor reports (noise, offsets,
drift, gain, spikes, quantisation) is applied by ``sensors.measure_wrench``.

Columns per wrist: ``fx, fy, fz`` in newtons, ``tx, ty, tz`` in newton-metres; left wrist
first. Sensor x points along the forearm's forward direction, z up when the arm hangs.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from multimodal_fusion.sim.proprio import GRAVITY
from multimodal_fusion.sim.sensors import ForceSensor
from multimodal_fusion.sim.sensors import measure_wrench
from multimodal_fusion.spec import WRENCH_FEATURES

COLLISION_MIN_N = 20.0
_BURST_SPAN_S = 0.25
# Time for one stick-slip step of the load to complete.
_STEP_S = 0.004


@dataclass(frozen=True)
class Collision:
    """An impact on one wrist.

    Attributes:
        time: instant of contact (episode clock).
        amplitude: peak force in newtons.
        direction: unit force direction in the sensor frame.
        decay: seconds for the spike to fall by ``1/e``.
        ring_hz: frequency of the structural ringing after the hit.
        lever: distance from the sensor to the contact point in metres.
        residual: steady force while the hand stays against the obstacle.
    """

    time: float
    amplitude: float
    direction: tuple[float, float, float]
    decay: float
    ring_hz: float
    lever: float
    residual: float


@dataclass(frozen=True)
class Slip:
    """A held object sliding out of the hand from ``start`` until it leaves at ``end``.

    The carried load falls from all of it to nothing: a first jerk, then partly smoothly and
    partly in steps, one per stick-slip event; each event also rings a burst.

    Attributes:
        start: slip onset.
        end: when the object has left the hand.
        jerk: fraction of the load lost in the first few milliseconds.
        stepped: share of the remaining descent that happens in the steps.
        bursts: (time, frequency Hz, amplitude N, direction rad) of stick-slip events,
            sorted by time, all within ``[start, end)``.
    """

    start: float
    end: float
    jerk: float
    stepped: float
    bursts: tuple[tuple[float, float, float, float], ...]

    def fraction(self, t: np.ndarray) -> np.ndarray:
        """Share of the load still carried at ``t``."""
        since = t - self.start
        ramp = np.clip(since / (self.end - self.start), 0.0, 1.0)
        times = np.array([b[0] for b in self.bursts])
        steps = np.zeros_like(t)
        if times.size:
            passed = np.searchsorted(times, t, side='right')
            last = times[np.maximum(passed - 1, 0)]
            partial = np.clip((t - last) / _STEP_S, 0.0, 1.0)
            steps = np.where(passed > 0, (passed - 1 + partial) / times.size, 0.0)
        steps = np.where(t >= self.end, 1.0, steps)
        descent = (self.jerk * np.clip(since / _STEP_S, 0.0, 1.0)
                   + (1.0 - self.jerk) * ((1.0 - self.stepped) * ramp + self.stepped * steps))
        return 1.0 - np.clip(descent, 0.0, 1.0)


@dataclass(frozen=True)
class WristPlan:
    """One wrist during an episode.

    Attributes:
        hand_mass: mass of the hand below the sensor in kg.
        contact: force of the forearm resting on the table in N (0 for none).
        load_mass: mass of a held object in kg (0 for none).
        lever: (x, y) offset of the held object's centre of mass in metres.
        slip: slip of the held object, if any.
        collision: impact, if any.
        vibration: (time, frequency Hz, amplitude N, direction rad) bursts that shake the
            wrist without changing its load (a gripper servo hunting, heel strikes), sorted.
    """

    hand_mass: float
    contact: float = 0.0
    load_mass: float = 0.0
    lever: tuple[float, float] = (0.0, 0.0)
    slip: Slip | None = None
    collision: Collision | None = None
    vibration: tuple[tuple[float, float, float, float], ...] = ()


@dataclass(frozen=True)
class TouchPlan:
    """Both wrists.

    Attributes:
        wrists: left then right.
        shake: (amplitude N, base frequency Hz, agitated amplitude N) of inertial shaking;
            the agitated part scales with how violently the body moves (a starting fall).
        jolt: (time, amplitude N, direction rad) felt by both wrists when the body is shoved.
        sensor: the F/T sensors; ``None`` reports the true wrenches.
    """

    wrists: tuple[WristPlan, WristPlan]
    shake: tuple[float, float, float]
    jolt: tuple[float, float, float] | None
    sensor: ForceSensor | None = None


def _bursts(bursts, t: np.ndarray) -> np.ndarray:
    """``(n, 3)`` tangential wrench fx, fy, tz of ringing bursts sorted by time."""
    wrench = np.zeros((t.size, 3))
    first = bisect.bisect_left(bursts, (t[0] - _BURST_SPAN_S,))
    for time, freq, amp, direction in bursts[first:]:
        if time > t[-1]:
            break
        if time + _BURST_SPAN_S <= t[0]:
            continue
        dt = t - time
        # Cut at a fixed span so that a window and the whole stream sum the same bursts.
        live = (dt >= 0) & (dt < _BURST_SPAN_S)
        osc = live * amp * np.sin(2 * np.pi * freq * dt) * np.exp(-np.abs(dt) / 0.04)
        wrench[:, 0] += osc * np.cos(direction)
        wrench[:, 1] += osc * np.sin(direction)
        wrench[:, 2] += 0.02 * osc
    return wrench


def _collision(hit: Collision, t: np.ndarray) -> np.ndarray:
    """``(n, 6)`` wrench of an impact."""
    since = np.clip(t - hit.time, 0.0, None)
    after = t >= hit.time
    spike = hit.amplitude * (1.0 - np.exp(-since / 0.004)) * np.exp(-since / hit.decay)
    ring = 0.3 * hit.amplitude * np.exp(-since / 0.1) * np.sin(2 * np.pi * hit.ring_hz * since)
    steady = hit.residual * (1.0 - np.exp(-since / 0.05))
    magnitude = after * (spike + ring + steady)
    force = magnitude[:, None] * np.asarray(hit.direction)[None, :]
    # Contact at ``lever`` along the sensor z axis: torque = r x F.
    torque = np.stack([-hit.lever * force[:, 1], hit.lever * force[:, 0],
                       np.zeros_like(magnitude)], axis=1)
    return np.concatenate([force, torque], axis=1)


def _wrist(wrist: WristPlan, t: np.ndarray, elevation: np.ndarray) -> np.ndarray:
    out = np.zeros((t.size, WRENCH_FEATURES))
    load = np.full(t.size, wrist.load_mass)
    if wrist.slip is not None:
        load = load * wrist.slip.fraction(t)
    # Gravity of hand and load in the sensor frame, which turns with the forearm.
    weight = (wrist.hand_mass + load) * GRAVITY
    out[:, 0] = weight * np.sin(elevation)
    out[:, 2] = -weight * np.cos(elevation)
    lever_x, lever_y = wrist.lever
    load_z = -load * GRAVITY * np.cos(elevation)
    out[:, 3] = lever_y * load_z
    out[:, 4] = -lever_x * load_z
    out[:, 5] = -lever_y * load * GRAVITY * np.sin(elevation)
    if wrist.contact > 0.0:
        out[:, 2] += wrist.contact
        out[:, 0] += 0.15 * wrist.contact
    for bursts in (wrist.slip.bursts if wrist.slip is not None else (), wrist.vibration):
        if bursts:
            burst = _bursts(bursts, t)
            out[:, 0] += burst[:, 0]
            out[:, 1] += burst[:, 1]
            out[:, 5] += burst[:, 2]
    if wrist.collision is not None:
        out += _collision(wrist.collision, t)
    return out


def render_touch(plan: TouchPlan, start: int, count: int, rate: float,
                 elevation: np.ndarray, agitation: np.ndarray) -> np.ndarray:
    """Samples ``start .. start + count`` of the wrench stream (clock at ``rate`` Hz).

    Args:
        plan: the episode's touch plan.
        start: first sample index.
        count: number of samples.
        rate: sample rate in Hz.
        elevation: ``(count, 2)`` forearm angle per arm at those samples (from proprio).
        agitation: ``(count,)`` in [0, 1], how violently the body moves.

    Returns:
        ``(count, 12)`` float32 wrenches, left wrist then right.
    """
    t = (start + np.arange(count)) / rate
    out = np.concatenate([_wrist(w, t, elevation[:, i]) for i, w in enumerate(plan.wrists)],
                         axis=1)
    amp, freq, agitated = plan.shake
    level = amp + agitated * agitation
    shake = level * (np.sin(2 * np.pi * freq * t) + 0.5 * np.sin(2 * np.pi * 2.7 * freq * t + 1.0))
    out[:, 0] += shake
    out[:, 6] += shake
    out[:, 2] += 0.7 * level * np.sin(2 * np.pi * 1.9 * freq * t + 2.0)
    out[:, 8] += 0.7 * level * np.sin(2 * np.pi * 1.9 * freq * t + 0.5)
    if plan.jolt is not None:
        time, amplitude, direction = plan.jolt
        bump = amplitude * np.clip((t - time) / 0.06, 0.0, None) * np.exp(
            1.0 - np.clip((t - time) / 0.06, 0.0, None))
        for base in (0, WRENCH_FEATURES):
            out[:, base] += bump * np.cos(direction)
            out[:, base + 1] += bump * np.sin(direction)
    if plan.sensor is not None:
        out = measure_wrench(plan.sensor, out, start, t)
    return out.astype(np.float32)
