# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Body motion: joint positions and velocities, the IMU, and how the head camera moves.

A ``MotionPlan`` describes the whole episode as smooth functions of time (standing sway,
holding, reaching, walking, being pushed, starting to fall), so joint states can be evaluated
at any stamps. Velocities are central differences of those functions; what the encoders and
IMU report (offsets, noise, quantisation, bias, drift) is the plan's ``sensors.ProprioSensor``,
read from the indexable noise tables, which keeps windows exact slices of the stream.

Conventions: shoulder pitch negative raises the arm forward, elbow positive flexes, left
shoulder roll positive (right negative) abducts. The IMU frame is x forward, y left, z up;
roll tips the body to the right, pitch forward.
"""

from __future__ import annotations

from dataclasses import dataclass
import math

import numpy as np

from multimodal_fusion.sim.sensors import measure_proprio
from multimodal_fusion.sim.sensors import ProprioSensor
from multimodal_fusion.spec import JOINT_NAMES

MOTIONS: tuple[str, ...] = ('stand', 'walk', 'reach', 'hold', 'pushed', 'falling')
GRAVITY = 9.81
# Tilt thresholds that separate the motions: a push never tips the body past
# ``PUSH_MAX_TILT_DEG``; fall risk starts at ``FALL_TILT_DEG``.
PUSH_MAX_TILT_DEG = 4.5
FALL_TILT_DEG = 10.0
FALL_MAX_TILT_DEG = 25.0
_J = {name: i for i, name in enumerate(JOINT_NAMES)}
# (shoulder_pitch, shoulder_roll, elbow, wrist) columns per arm (0 left, 1 right).
ARM_JOINTS = (
    (_J['l_shoulder_pitch'], _J['l_shoulder_roll'], _J['l_elbow'], _J['l_wrist']),
    (_J['r_shoulder_pitch'], _J['r_shoulder_roll'], _J['r_elbow'], _J['r_wrist']),
)
LEG_JOINTS = (
    (_J['l_hip_pitch'], _J['l_knee'], _J['l_ankle_pitch']),
    (_J['r_hip_pitch'], _J['r_knee'], _J['r_ankle_pitch']),
)
STAND_POSE = np.array([
    0.0, 0.0, -0.35,
    0.15, 0.12, 0.35, 0.0,
    0.15, -0.12, 0.35, 0.0,
    -0.2, 0.4, -0.2,
    -0.2, 0.4, -0.2,
])
REST_ON_TABLE = (-0.55, 0.9, 0.1)
NEVER = 1e9


@dataclass(frozen=True)
class MotionPlan:
    """What the body does during an episode; times in seconds on the episode clock.

    Attributes:
        kind: one of ``MOTIONS`` (the motion the situation rules read).
        offsets: per-joint posture offsets of this robot/episode.
        sway: (amplitude rad, frequency Hz, phase) of quiet-standing sway.
        head_scan: (amplitude rad, frequency Hz, phase) of the head looking around.
        heading: initial yaw, and yaw rate in rad/s.
        hold_arms: arms holding an object, with ``hold_pose`` (shoulder pitch, elbow, wrist).
        rest_arm: arm whose forearm rests on the table, -1 for none.
        reach: (arm, start, duration, shoulder pitch, elbow, wrist) or ``None``.
        reach_stop: when the reach is stopped by a collision (``NEVER`` if not).
        walk: (stride frequency Hz, amplitude rad, phase) or ``None``.
        push: (time, direction rad, peak acceleration m/s^2, peak tilt deg, stepping leg or
            -1) or ``None``.
        fall: (start, direction rad, tilt acceleration deg/s^2) or ``None``.
        sensor: the joint encoders and IMU; ``None`` reports the true state.
    """

    kind: str
    offsets: tuple[float, ...]
    sway: tuple[float, float, float]
    head_scan: tuple[float, float, float]
    heading: tuple[float, float]
    hold_arms: tuple[int, ...] = ()
    hold_pose: tuple[float, float, float] = (-0.7, 1.0, 0.0)
    rest_arm: int = -1
    reach: tuple[int, float, float, float, float, float] | None = None
    reach_stop: float = NEVER
    walk: tuple[float, float, float] | None = None
    push: tuple[float, float, float, float, int] | None = None
    fall: tuple[float, float, float] | None = None
    sensor: ProprioSensor | None = None

    def __post_init__(self) -> None:
        if self.kind not in MOTIONS:
            raise ValueError(f'unknown motion {self.kind!r}; expected one of {MOTIONS}')


def _alpha(x: np.ndarray) -> np.ndarray:
    """Unit-peak response ``x e^(1-x)`` for ``x >= 0`` (peak at ``x = 1``), zero before."""
    xp = np.clip(x, 0.0, None)
    return xp * np.exp(1.0 - xp)


def _min_jerk(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x ** 3 * (10.0 - 15.0 * x + 6.0 * x * x)


def push_tilt_deg(plan: MotionPlan, t: np.ndarray) -> np.ndarray:
    """Body tilt caused by a push, in degrees (a transient that has recovered within ~0.8 s)."""
    if plan.push is None:
        return np.zeros_like(t)
    time, _, _, peak, _ = plan.push
    return peak * _alpha((t - time) / 0.15)


def fall_tilt_deg(plan: MotionPlan, t: np.ndarray) -> np.ndarray:
    """Body tilt of a starting fall, in degrees: it accelerates, then the robot catches itself."""
    if plan.fall is None:
        return np.zeros_like(t)
    start, _, rate = plan.fall
    since = np.clip(t - start, 0.0, None)
    return np.minimum(rate * since * since, FALL_MAX_TILT_DEG)


def orientation(plan: MotionPlan, t: np.ndarray) -> tuple[np.ndarray, ...]:
    """Roll, pitch, yaw in radians at stamps ``t``."""
    amp, freq, phase = plan.sway
    roll = 0.3 * amp * np.sin(2 * np.pi * freq * t + phase + 1.0)
    pitch = 0.5 * amp * np.sin(2 * np.pi * freq * t + phase)
    yaw = plan.heading[0] + plan.heading[1] * t
    if plan.walk is not None:
        stride, _, walk_phase = plan.walk
        roll = roll + math.radians(1.5) * np.sin(2 * np.pi * stride * t + walk_phase)
        pitch = pitch + math.radians(1.0) * np.sin(4 * np.pi * stride * t + walk_phase)
    for event, tilt_fn in ((plan.push, push_tilt_deg), (plan.fall, fall_tilt_deg)):
        if event is not None:
            tilt = np.radians(tilt_fn(plan, t))
            roll = roll + tilt * math.sin(event[1])
            pitch = pitch + tilt * math.cos(event[1])
    return roll, pitch, yaw


def _heading_accel(plan: MotionPlan, t: np.ndarray) -> np.ndarray:
    """Linear acceleration of the trunk (gravity excluded) in the yaw-aligned frame."""
    acc = np.zeros((t.size, 3))
    if plan.walk is not None:
        stride, _, phase = plan.walk
        acc[:, 0] += 0.6 * np.sin(4 * np.pi * stride * t + phase)
        acc[:, 1] += 0.8 * np.sin(2 * np.pi * stride * t + phase)
        acc[:, 2] += 1.5 * np.sin(4 * np.pi * stride * t + phase + 0.3)
    if plan.push is not None:
        time, direction, peak, _, _ = plan.push
        shove = (peak * np.exp(-((t - time) / 0.04) ** 2)
                 - 0.3 * peak * np.exp(-((t - time - 0.12) / 0.06) ** 2))
        acc[:, 0] += shove * math.cos(direction)
        acc[:, 1] -= shove * math.sin(direction)
    if plan.fall is not None:
        _, direction, _ = plan.fall
        lean = np.sin(np.radians(fall_tilt_deg(plan, t)))
        acc[:, 0] += 0.5 * GRAVITY * lean * math.cos(direction)
        acc[:, 1] -= 0.5 * GRAVITY * lean * math.sin(direction)
        acc[:, 2] -= 0.3 * GRAVITY * lean
    if plan.reach_stop < NEVER:
        acc[:, 0] -= 0.8 * np.exp(-((t - plan.reach_stop) / 0.02) ** 2)
    return acc


def joint_positions(plan: MotionPlan, t: np.ndarray) -> np.ndarray:
    """``(n, joints)`` joint positions in radians at stamps ``t``."""
    q = np.tile(STAND_POSE + np.asarray(plan.offsets), (t.size, 1))
    amp, freq, phase = plan.sway
    sway = amp * np.sin(2 * np.pi * freq * t + phase)
    for hip, _, ankle in LEG_JOINTS:
        q[:, ankle] += sway
        q[:, hip] -= 0.5 * sway
    scan_amp, scan_freq, scan_phase = plan.head_scan
    q[:, _J['head_pan']] += scan_amp * np.sin(2 * np.pi * scan_freq * t + scan_phase)
    q[:, _J['head_tilt']] += 0.3 * scan_amp * np.sin(2 * np.pi * 0.7 * scan_freq * t)
    tremor = 0.006 * np.sin(2 * np.pi * 6.0 * t)
    for arm in plan.hold_arms:
        pitch_j, _, elbow_j, wrist_j = ARM_JOINTS[arm]
        q[:, pitch_j] = plan.hold_pose[0] + tremor
        q[:, elbow_j] = plan.hold_pose[1] - tremor
        q[:, wrist_j] = plan.hold_pose[2]
    if plan.rest_arm >= 0:
        pitch_j, _, elbow_j, wrist_j = ARM_JOINTS[plan.rest_arm]
        q[:, pitch_j], q[:, elbow_j], q[:, wrist_j] = REST_ON_TABLE
    if plan.reach is not None:
        _reach(plan, t, q)
    if plan.walk is not None:
        stride, walk_amp, walk_phase = plan.walk
        cycle = 2 * np.pi * stride * t + walk_phase
        for leg, (hip, knee, ankle) in enumerate(LEG_JOINTS):
            leg_cycle = cycle + leg * np.pi
            q[:, hip] += walk_amp * np.sin(leg_cycle)
            q[:, knee] += 1.4 * walk_amp * np.clip(np.sin(leg_cycle + 0.5), 0.0, None)
            q[:, ankle] += 0.4 * walk_amp * np.sin(leg_cycle - 0.5)
        for arm, (pitch_j, _, _, _) in enumerate(ARM_JOINTS):
            if arm not in plan.hold_arms:
                q[:, pitch_j] -= 0.6 * walk_amp * np.sin(cycle + arm * np.pi)
        q[:, _J['torso_yaw']] += 0.1 * walk_amp * np.sin(cycle)
    if plan.push is not None:
        time, direction, _, peak, leg = plan.push
        lean = math.radians(peak) * math.cos(direction) * _alpha((t - time) / 0.15)
        for hip, _, ankle in LEG_JOINTS:
            q[:, ankle] -= 0.8 * lean
            q[:, hip] += 0.6 * lean
        if leg >= 0:
            # A recovery step lifts one leg shortly after the shove.
            step = _alpha((t - time - 0.15) / 0.12)
            hip, knee, _ = LEG_JOINTS[leg]
            q[:, hip] -= 0.35 * step
            q[:, knee] += 0.5 * step
    if plan.fall is not None:
        ratio = fall_tilt_deg(plan, t) / FALL_MAX_TILT_DEG
        # Bracing: arms fling out, knees and hips flex to lower the centre of mass.
        for arm, (pitch_j, roll_j, elbow_j, _) in enumerate(ARM_JOINTS):
            q[:, roll_j] += (0.9 if arm == 0 else -0.9) * ratio
            q[:, pitch_j] -= 0.5 * ratio
            q[:, elbow_j] -= 0.2 * ratio
        for hip, knee, ankle in LEG_JOINTS:
            q[:, knee] += 0.5 * ratio
            q[:, hip] -= 0.4 * ratio
            q[:, ankle] -= 0.15 * ratio
    return q


def _reach(plan: MotionPlan, t: np.ndarray, q: np.ndarray) -> None:
    arm, start, duration, pitch, elbow, wrist = plan.reach
    joints = ARM_JOINTS[arm]
    begin = np.array([q[0, joints[0]], q[0, joints[2]], q[0, joints[3]]])
    goal = np.array([pitch, elbow, wrist])
    stop = plan.reach_stop
    progress = _min_jerk((np.minimum(t, stop) - start) / duration)
    pose = begin[None, :] + progress[:, None] * (goal - begin)[None, :]
    if stop < NEVER:
        # The arm is knocked back a little and rings before it settles.
        since = np.clip(t - stop, 0.0, None)
        recoil = 0.05 * (t >= stop) * np.exp(-since / 0.1) * np.sin(2 * np.pi * 6.0 * since)
        pose -= recoil[:, None] * np.sign(goal - begin)[None, :]
    q[:, joints[0]], q[:, joints[2]], q[:, joints[3]] = pose.T


def _quaternion(roll: np.ndarray, pitch: np.ndarray, yaw: np.ndarray) -> np.ndarray:
    cr, sr = np.cos(roll / 2), np.sin(roll / 2)
    cp, sp = np.cos(pitch / 2), np.sin(pitch / 2)
    cy, sy = np.cos(yaw / 2), np.sin(yaw / 2)
    return np.stack([
        sr * cp * cy - cr * sp * sy,
        cr * sp * cy + sr * cp * sy,
        cr * cp * sy - sr * sp * cy,
        cr * cp * cy + sr * sp * sy,
    ], axis=1)


def imu(plan: MotionPlan, t: np.ndarray, step: float) -> np.ndarray:
    """``(n, 10)`` noiseless quaternion (x, y, z, w), body rates, specific force at ``t``."""
    roll, pitch, yaw = orientation(plan, t)
    roll_a, pitch_a, yaw_a = orientation(plan, t - step)
    roll_b, pitch_b, yaw_b = orientation(plan, t + step)
    d_roll, d_pitch, d_yaw = ((b - a) / (2 * step) for a, b in
                              ((roll_a, roll_b), (pitch_a, pitch_b), (yaw_a, yaw_b)))
    gyro = np.stack([
        d_roll - d_yaw * np.sin(pitch),
        d_pitch * np.cos(roll) + d_yaw * np.cos(pitch) * np.sin(roll),
        -d_pitch * np.sin(roll) + d_yaw * np.cos(pitch) * np.cos(roll),
    ], axis=1)
    # Specific force in the body frame: R^T (a + g); yaw cancels in the yaw-aligned frame.
    force = _heading_accel(plan, t)
    force[:, 2] += GRAVITY
    cp, sp = np.cos(pitch), np.sin(pitch)
    cr, sr = np.cos(roll), np.sin(roll)
    fx = cp * force[:, 0] - sp * force[:, 2]
    fz_p = sp * force[:, 0] + cp * force[:, 2]
    fy = cr * force[:, 1] + sr * fz_p
    fz = -sr * force[:, 1] + cr * fz_p
    accel = np.stack([fx, fy, fz], axis=1)
    return np.concatenate([_quaternion(roll, pitch, yaw), gyro, accel], axis=1)


def render_proprio(plan: MotionPlan, start: int, count: int, rate: float) -> np.ndarray:
    """Samples ``start .. start + count`` of the proprio stream (clock at ``rate`` Hz).

    Returns:
        ``(count, 2 * joints + 10)`` float32: positions, velocities, IMU.
    """
    t = (start + np.arange(count)) / rate
    step = 0.5 / rate
    q = joint_positions(plan, t)
    qd = (joint_positions(plan, t + step) - joint_positions(plan, t - step)) / (2 * step)
    out = np.concatenate([q, qd, imu(plan, t, step)], axis=1)
    if plan.sensor is not None:
        out = measure_proprio(plan.sensor, out, start)
    return out.astype(np.float32)


def arm_elevation(plan: MotionPlan, t: np.ndarray) -> np.ndarray:
    """``(n, 2)`` forearm angle from hanging straight down, per arm, in radians."""
    q = joint_positions(plan, t)
    return np.stack([-q[:, pitch_j] + 0.7 * q[:, elbow_j]
                     for pitch_j, _, elbow_j, _ in ARM_JOINTS], axis=1)


@dataclass(frozen=True)
class CameraMotion:
    """How the head camera moves at one instant.

    Attributes:
        roll_deg: image rotation in degrees.
        shift: (dx, dy) image translation as fractions of the width and height.
        blur: motion-blur length as a fraction of the width.
        blur_angle_deg: direction of the blur.
    """

    roll_deg: float
    shift: tuple[float, float]
    blur: float
    blur_angle_deg: float


def camera_motion(plan: MotionPlan, t: float) -> CameraMotion:
    """The head camera's motion at ``t``; the neck compensates part of the body tilt."""
    times = np.array([t - 0.01, t, t + 0.01])
    roll, pitch, _ = orientation(plan, times)
    roll_rate = (roll[2] - roll[0]) / 0.02
    pitch_rate = (pitch[2] - pitch[0]) / 0.02
    dx = 0.0
    dy = 0.35 * float(pitch[1])
    blur = 0.01 * math.hypot(roll_rate, pitch_rate)
    angle = math.degrees(math.atan2(pitch_rate, roll_rate + 1e-9))
    if plan.walk is not None:
        stride, _, phase = plan.walk
        dx += 0.008 * math.sin(2 * math.pi * stride * t + phase)
        dy += 0.012 * math.sin(4 * math.pi * stride * t + phase)
        blur += 0.006
    if plan.push is not None:
        time, direction, _, _, _ = plan.push
        jolt = float(_alpha(np.array([(t - time) / 0.08]))[0])
        dx += 0.03 * jolt * math.sin(direction)
        dy += 0.02 * jolt * math.cos(direction)
        blur += 0.03 * jolt
        angle = math.degrees(direction)
    return CameraMotion(roll_deg=math.degrees(0.6 * float(roll[1])), shift=(dx, dy),
                        blur=min(blur, 0.06), blur_angle_deg=angle)
