# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Wrist force/torque: free motion, resting contact, grasped loads, slip and collisions.

A wrist sensor does not feel grip force; it feels the weight it carries (rotating with the
forearm), inertial shaking, and external contacts. The patterns the situations rely on are:
a held load (several newtons more than the bare hand, steady), slip (the load falls while
25-60 Hz stick-slip bursts ring in the tangential force) and collision (a 20-60 N spike
within a few milliseconds that rings down).

Columns per wrist: ``fx, fy, fz`` in newtons, ``tx, ty, tz`` in newton-metres; left wrist
first. Sensor x points along the forearm's forward direction, z up when the arm hangs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from multimodal_fusion.sim.noise import gaussian_block
from multimodal_fusion.sim.proprio import GRAVITY
from multimodal_fusion.spec import WRENCH_FEATURES

COLLISION_MIN_N = 20.0
_BURST_SPAN_S = 0.25


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
    """A held object sliding out of the hand from ``start`` on.

    Attributes:
        start: slip onset.
        final_fraction: fraction of the load still carried long after onset.
        tau: seconds for the load to settle.
        bursts: (time, frequency Hz, amplitude N, direction rad) of stick-slip events.
    """

    start: float
    final_fraction: float
    tau: float
    bursts: tuple[tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class WristPlan:
    """One wrist during an episode.

    Attributes:
        bias: sensor offset per column.
        hand_mass: mass of the hand below the sensor in kg.
        contact: force of the forearm resting on the table in N (0 for none).
        load_mass: mass of a held object in kg (0 for none).
        lever: (x, y) offset of the held object's centre of mass in metres.
        slip: slip of the held object, if any.
        collision: impact, if any.
    """

    bias: tuple[float, ...]
    hand_mass: float
    contact: float = 0.0
    load_mass: float = 0.0
    lever: tuple[float, float] = (0.0, 0.0)
    slip: Slip | None = None
    collision: Collision | None = None


@dataclass(frozen=True)
class TouchPlan:
    """Both wrists.

    Attributes:
        wrists: left then right.
        shake: (amplitude N, base frequency Hz, agitated amplitude N) of inertial shaking;
            the agitated part scales with how violently the body moves (a starting fall).
        jolt: (time, amplitude N, direction rad) felt by both wrists when the body is shoved.
        noise: (force, torque) noise standard deviations.
        noise_offset: where this episode reads the noise table.
    """

    wrists: tuple[WristPlan, WristPlan]
    shake: tuple[float, float, float]
    jolt: tuple[float, float, float] | None
    noise: tuple[float, float]
    noise_offset: int


def _slip(slip: Slip, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(load fraction, ``(n, 3)`` tangential burst wrench fx, fy, tz)."""
    since = np.clip(t - slip.start, 0.0, None)
    fraction = 1.0 - (1.0 - slip.final_fraction) * (1.0 - np.exp(-since / slip.tau))
    wrench = np.zeros((t.size, 3))
    for time, freq, amp, direction in slip.bursts:
        if time > t[-1] or time + _BURST_SPAN_S <= t[0]:
            continue
        dt = t - time
        # Cut at a fixed span so that a window and the whole stream sum the same bursts.
        live = (dt >= 0) & (dt < _BURST_SPAN_S)
        osc = live * amp * np.sin(2 * np.pi * freq * dt) * np.exp(-np.abs(dt) / 0.04)
        wrench[:, 0] += osc * np.cos(direction)
        wrench[:, 1] += osc * np.sin(direction)
        wrench[:, 2] += 0.02 * osc
    return fraction, wrench


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
    burst = None
    if wrist.slip is not None:
        fraction, burst = _slip(wrist.slip, t)
        load = load * fraction
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
    if burst is not None:
        out[:, 0] += burst[:, 0]
        out[:, 1] += burst[:, 1]
        out[:, 5] += burst[:, 2]
    if wrist.collision is not None:
        out += _collision(wrist.collision, t)
    return out + np.asarray(wrist.bias)[None, :]


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
    force_sd, torque_sd = plan.noise
    scale = np.tile(np.array([force_sd] * 3 + [torque_sd] * 3), 2)
    out += scale * gaussian_block(plan.noise_offset, start, count, 2 * WRENCH_FEATURES)
    return out.astype(np.float32)
