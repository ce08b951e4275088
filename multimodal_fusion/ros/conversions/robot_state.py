# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Wrist wrenches, joint states and the IMU as flat float vectors, and back.

Shape legend: ``j`` joints in the order of the requested name list (``spec.JOINT_NAMES``
by default).

Feature orders are the ones ``spec`` documents: a wrench is ``[fx, fy, fz, tx, ty, tz]``,
an IMU sample ``[qx, qy, qz, qw, wx, wy, wz, ax, ay, az]``. Every value the model reads must
be finite; a NaN would spread through the whole fused embedding, so it is refused here,
with the field that carried it. So is a finite value no sensor of its kind can report
(``PHYSICAL_LIMITS``): 1e20 N is not a reading but a driver fault, and the model's
activations overflow on it just as on a NaN.
"""

from __future__ import annotations

import array
from typing import NamedTuple
from typing import Optional
from typing import Sequence
from typing import Union

from geometry_msgs.msg import Wrench
from geometry_msgs.msg import WrenchStamped
import numpy as np
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import Header

from multimodal_fusion.ros.conversions.errors import MessageFormatError
from multimodal_fusion.spec import IMU_FEATURES
from multimodal_fusion.spec import JOINT_NAMES
from multimodal_fusion.spec import WRENCH_FEATURES

# Largest magnitude accepted per quantity, far above any real sensor of the kind (so no
# genuine reading is refused) and far below what overflows the model's float32 activations.
PHYSICAL_LIMITS: dict[str, tuple[float, str]] = {
    'force': (1e4, 'N'),  # industrial F/T sensors reach a few kN
    'torque': (1e3, 'N m'),
    'position': (1e3, 'rad or m'),  # continuous joints wind up; still far from 1e3 rad
    'velocity': (1e3, 'rad/s or m/s'),
    'orientation': (1.01, ''),  # a unit quaternion (or zeros: no orientation estimate)
    'angular_velocity': (200.0, 'rad/s'),  # gyroscopes saturate near 70 rad/s
    'linear_acceleration': (2e3, 'm/s^2'),  # about 200 g
}

WRENCH_FIELDS: tuple[str, ...] = (
    'force.x', 'force.y', 'force.z', 'torque.x', 'torque.y', 'torque.z')
IMU_FIELDS: tuple[str, ...] = (
    'orientation.x', 'orientation.y', 'orientation.z', 'orientation.w',
    'angular_velocity.x', 'angular_velocity.y', 'angular_velocity.z',
    'linear_acceleration.x', 'linear_acceleration.y', 'linear_acceleration.z')


def _cast(values, dtype: np.dtype) -> np.ndarray:
    # A value too large for a narrower dtype becomes inf, which the finiteness check then
    # reports as a format error; numpy's overflow warning would only add log noise.
    with np.errstate(over='ignore'):
        return np.asarray(values, dtype=dtype)


def _limit(field: str) -> tuple[float, str]:
    """The physical limit of a field path such as ``'force.x'`` or ``'JointState.velocity'``."""
    head, _, _ = field.partition('.')
    return PHYSICAL_LIMITS[head if head in PHYSICAL_LIMITS else field.rsplit('.', 1)[-1]]


def _expected(field: str) -> str:
    limit, unit = _limit(field)
    return f'a finite value within +-{limit:g}{" " + unit if unit else ""}'


def _require_physical(values: np.ndarray, prefix: str, fields: Sequence[str]) -> None:
    limits = np.fromiter((_limit(f)[0] for f in fields), np.float64, len(fields))
    ok = np.abs(values) <= limits  # False for NaN as well
    if not ok.all():
        bad = int(np.argmin(ok))
        raise MessageFormatError(prefix + fields[bad], _expected(fields[bad]),
                                 float(values[bad]))


def _require_physical_joints(
        values: np.ndarray, field: str, joint_names: Sequence[str]) -> None:
    # The field stays the array's name so the node's per-field counters stay bounded; the
    # joint goes into the message.
    ok = np.abs(values) <= _limit(field)[0]
    if not ok.all():
        bad = int(np.argmin(ok))
        raise MessageFormatError(
            field, _expected(field), f'{float(values[bad])} for {joint_names[bad]!r}')


def _flat(values: np.ndarray, size: int, what: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (size,):
        raise ValueError(f'{what} needs shape ({size},), got {values.shape}')
    if not np.isfinite(values).all():
        raise ValueError(f'{what} values must be finite')
    return values


def wrench_to_array(
    msg: Union[WrenchStamped, Wrench], *, dtype: np.dtype = np.float64
) -> np.ndarray:
    """``(6,)`` ``[fx, fy, fz, tx, ty, tz]`` of a (stamped) wrench.

    Raises:
        MessageFormatError: a component not finite (in ``dtype``) or beyond
            ``PHYSICAL_LIMITS``, e.g. field ``'WrenchStamped.wrench.torque.z'``.
    """
    stamped = hasattr(msg, 'wrench')
    wrench = msg.wrench if stamped else msg
    force, torque = wrench.force, wrench.torque
    values = _cast((force.x, force.y, force.z, torque.x, torque.y, torque.z), dtype)
    _require_physical(values, 'WrenchStamped.wrench.' if stamped else 'Wrench.', WRENCH_FIELDS)
    return values


def array_to_wrench(values: np.ndarray, *, header: Optional[Header] = None) -> WrenchStamped:
    """A ``WrenchStamped`` from ``(6,)`` ``[fx, fy, fz, tx, ty, tz]``.

    Raises:
        ValueError: wrong shape or non-finite values.
    """
    fx, fy, fz, tx, ty, tz = (float(v) for v in _flat(values, WRENCH_FEATURES, 'a wrench'))
    msg = WrenchStamped(header=header if header is not None else Header())
    msg.wrench.force.x, msg.wrench.force.y, msg.wrench.force.z = fx, fy, fz
    msg.wrench.torque.x, msg.wrench.torque.y, msg.wrench.torque.z = tx, ty, tz
    return msg


def imu_to_array(msg: Imu, *, dtype: np.dtype = np.float64) -> np.ndarray:
    """``(10,)`` ``[qx, qy, qz, qw, wx, wy, wz, ax, ay, az]`` of an IMU sample.

    The quaternion is passed on as sent, also when ``orientation_covariance[0] == -1``
    says the IMU has no orientation estimate (drivers then usually send zeros); the
    covariances are not read.

    Raises:
        MessageFormatError: a component not finite (in ``dtype``) or beyond
            ``PHYSICAL_LIMITS``, e.g. field ``'Imu.angular_velocity.y'``.
    """
    q, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
    values = _cast((q.x, q.y, q.z, q.w, w.x, w.y, w.z, a.x, a.y, a.z), dtype)
    _require_physical(values, 'Imu.', IMU_FIELDS)
    return values


def array_to_imu(values: np.ndarray, *, header: Optional[Header] = None) -> Imu:
    """An ``Imu`` from ``(10,)`` ``[qx, qy, qz, qw, wx, wy, wz, ax, ay, az]``.

    Covariances are left all zero ("unknown" in sensor_msgs terms).

    Raises:
        ValueError: wrong shape or non-finite values.
    """
    v = [float(x) for x in _flat(values, IMU_FEATURES, 'an IMU sample')]
    msg = Imu(header=header if header is not None else Header())
    q, w, a = msg.orientation, msg.angular_velocity, msg.linear_acceleration
    q.x, q.y, q.z, q.w = v[0:4]
    w.x, w.y, w.z = v[4:7]
    a.x, a.y, a.z = v[7:10]
    return msg


class JointStateArrays(NamedTuple):
    """The joints a model reads, picked out of a ``JointState``.

    Attributes:
        positions: ``(j,)`` in the requested joint order (zeros where not ``present``).
        velocities: ``(j,)`` in the same order; zeros when ``has_velocity`` is False.
        has_velocity: whether the message carried velocities (an empty ``velocity``
            array is allowed by sensor_msgs and means "not measured").
        present: ``(j,)`` bool, the requested joints the message carries (all of them
            unless ``partial``).
    """

    positions: np.ndarray
    velocities: np.ndarray
    has_velocity: bool
    present: np.ndarray


def _check_joint_names(joint_names: Sequence[str]) -> None:
    if not joint_names:
        raise ValueError('joint_names must not be empty')
    if len(set(joint_names)) != len(joint_names):
        raise ValueError(f'joint_names has duplicates: {list(joint_names)}')


def joint_state_to_arrays(
    msg: JointState,
    joint_names: Sequence[str] = JOINT_NAMES,
    *,
    dtype: np.dtype = np.float64,
    partial: bool = False,
) -> JointStateArrays:
    """Positions and velocities of ``joint_names``, whatever order the message uses.

    Joints in the message but not in ``joint_names`` are ignored (and not checked for
    finiteness: drivers send NaN for joints without encoders); ``effort`` is only checked
    for its length.

    Args:
        msg: the joint state.
        joint_names: the joints wanted, in output order.
        dtype: of the returned arrays.
        partial: accept a message that carries only some of ``joint_names`` (one of several
            controllers' topics); ``present`` says which.

    Raises:
        MessageFormatError: ``name`` empty, with an empty or repeated entry, or (unless
            ``partial``) without a wanted joint; ``position`` not one value per name;
            ``velocity`` or ``effort`` neither empty nor one value per name; a wanted joint's
            position or velocity not finite.
        ValueError: ``joint_names`` empty or with duplicates.
    """
    _check_joint_names(joint_names)
    names = msg.name
    count = len(names)
    if count == 0:
        raise MessageFormatError('JointState.name', 'at least one joint name', [])
    if len(msg.position) != count:
        raise MessageFormatError(
            'JointState.position', f'{count} values (one per name)', len(msg.position))
    for field in ('velocity', 'effort'):
        length = len(getattr(msg, field))
        if length not in (0, count):
            raise MessageFormatError(
                f'JointState.{field}', f'0 or {count} values (none, or one per name)', length)
    index: dict[str, int] = {}
    for i, name in enumerate(names):
        if not name:
            raise MessageFormatError('JointState.name', 'non-empty joint names', f'index {i}')
        if name in index:
            raise MessageFormatError('JointState.name', 'unique joint names', repr(name))
        index[name] = i
    present = np.fromiter((name in index for name in joint_names), bool, len(joint_names))
    if not partial and not present.all():
        missing = [name for name, here in zip(joint_names, present) if not here]
        raise MessageFormatError(
            'JointState.name', f'all of the {len(joint_names)} required joints',
            f'missing {missing}')
    wanted = [name for name, here in zip(joint_names, present) if here]
    order = np.fromiter((index[name] for name in wanted), np.intp, len(wanted))
    positions = np.zeros(len(joint_names), dtype=dtype)
    positions[present] = _cast(np.asarray(msg.position, dtype=np.float64)[order], dtype)
    _require_physical_joints(positions, 'JointState.position', joint_names)
    has_velocity = len(msg.velocity) == count
    velocities = np.zeros(len(joint_names), dtype=dtype)
    if has_velocity:
        velocities[present] = _cast(np.asarray(msg.velocity, dtype=np.float64)[order], dtype)
        _require_physical_joints(velocities, 'JointState.velocity', joint_names)
    return JointStateArrays(positions, velocities, has_velocity, present)


def arrays_to_joint_state(
    positions: np.ndarray,
    velocities: Optional[np.ndarray] = None,
    *,
    joint_names: Sequence[str] = JOINT_NAMES,
    efforts: Optional[np.ndarray] = None,
    header: Optional[Header] = None,
) -> JointState:
    """A ``JointState`` listing ``joint_names`` in the given order.

    Args:
        positions: ``(j,)``.
        velocities: ``(j,)``, or None for an empty ``velocity`` array.
        joint_names: names of the ``j`` joints.
        efforts: ``(j,)``, or None for an empty ``effort`` array.
        header: stamp and frame; empty when omitted.

    Raises:
        ValueError: ``joint_names`` empty or with duplicates, arrays of the wrong shape
            or not finite.
    """
    _check_joint_names(joint_names)
    count = len(joint_names)
    msg = JointState(header=header if header is not None else Header())
    msg.name = [str(n) for n in joint_names]
    msg.position = array.array('d', _flat(positions, count, 'positions').tobytes())
    if velocities is not None:
        msg.velocity = array.array('d', _flat(velocities, count, 'velocities').tobytes())
    if efforts is not None:
        msg.effort = array.array('d', _flat(efforts, count, 'efforts').tobytes())
    return msg
