# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
from geometry_msgs.msg import Wrench
import numpy as np
import pytest
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState

from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import imu_to_array
from multimodal_fusion.ros.conversions import joint_state_to_arrays
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import wrench_to_array
from multimodal_fusion.spec import JOINT_NAMES

WRENCH_FIELDS = ['force.x', 'force.y', 'force.z', 'torque.x', 'torque.y', 'torque.z']
IMU_FIELDS = ['orientation.x', 'orientation.y', 'orientation.z', 'orientation.w',
              'angular_velocity.x', 'angular_velocity.y', 'angular_velocity.z',
              'linear_acceleration.x', 'linear_acceleration.y', 'linear_acceleration.z']


def set_path(msg, path, value):
    *parents, leaf = path.split('.')
    for name in parents:
        msg = getattr(msg, name)
    setattr(msg, leaf, value)


def test_wrench_round_trip(wire):
    values = np.array([1.5, -2.0, 9.81, 0.1, -0.2, 0.3])
    header = make_header(5_000_000_001, 'l_wrist_ft')
    msg = wire(array_to_wrench(values, header=header))
    assert msg.header == header
    assert (msg.wrench.force.z, msg.wrench.torque.x) == (9.81, 0.1)
    out = wrench_to_array(msg)
    assert out.shape == (6,) and out.dtype == np.float64
    np.testing.assert_array_equal(out, values)
    np.testing.assert_array_equal(wrench_to_array(msg.wrench), values)
    assert wrench_to_array(msg, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
@pytest.mark.parametrize('index, field', list(enumerate(WRENCH_FIELDS)))
def test_non_finite_wrench_is_rejected(index, field, bad, wire):
    msg = array_to_wrench(np.zeros(6))
    set_path(msg.wrench, field, bad)
    msg = wire(msg)
    with pytest.raises(MessageFormatError, match='WrenchStamped.wrench.' + field) as info:
        wrench_to_array(msg)
    assert info.value.field == 'WrenchStamped.wrench.' + field
    with pytest.raises(MessageFormatError) as info:
        wrench_to_array(msg.wrench)
    assert info.value.field == 'Wrench.' + field


def test_wrench_overflowing_float32_is_rejected():
    msg = array_to_wrench(np.array([1e300, 0, 0, 0, 0, 0]))
    for dtype in (np.float64, np.float32):
        with pytest.raises(MessageFormatError, match='force.x'):
            wrench_to_array(msg, dtype=dtype)


def test_imu_round_trip(wire):
    values = np.array([0.0, 0.0, 0.70710678, 0.70710678, 0.01, -0.02, 0.03, 0.1, 0.2, 9.8])
    msg = wire(array_to_imu(values, header=make_header(7, 'imu_link')))
    assert msg.header.frame_id == 'imu_link'
    assert (msg.orientation.w, msg.angular_velocity.y, msg.linear_acceleration.z) == \
        (0.70710678, -0.02, 9.8)
    out = imu_to_array(msg)
    assert out.shape == (10,)
    np.testing.assert_array_equal(out, values)


@pytest.mark.parametrize('index, field', list(enumerate(IMU_FIELDS)))
def test_non_finite_imu_is_rejected(index, field, wire):
    msg = Imu()
    set_path(msg, field, float('nan'))
    with pytest.raises(MessageFormatError) as info:
        imu_to_array(wire(msg))
    assert info.value.field == 'Imu.' + field
    assert str(info.value).startswith('Imu.' + field + ': expected a finite value')


@pytest.mark.parametrize('bad', [[1.0] * 7, [1.0] * 10 + [2.0], [float('nan')] + [0.0] * 9])
def test_array_to_imu_refuses_bad_values(bad):
    with pytest.raises(ValueError):
        array_to_imu(np.array(bad))


def shuffled_state(seed, *, velocity=True, effort=False, extra=('gripper', 'neck_roll')):
    """A JointState listing JOINT_NAMES plus extras in a seed-dependent order."""
    rng = np.random.default_rng(seed)
    names = list(JOINT_NAMES) + list(extra)
    order = rng.permutation(len(names))
    positions = rng.uniform(-3, 3, len(names))
    velocities = rng.uniform(-1, 1, len(names))
    msg = JointState(header=make_header(seed, 'base_link'))
    msg.name = [names[i] for i in order]
    msg.position = positions[order].tolist()
    if velocity:
        msg.velocity = velocities[order].tolist()
    if effort:
        msg.effort = rng.uniform(-5, 5, len(names)).tolist()
    by_name_pos = dict(zip(names, positions))
    by_name_vel = dict(zip(names, velocities))
    return (msg, np.array([by_name_pos[n] for n in JOINT_NAMES]),
            np.array([by_name_vel[n] for n in JOINT_NAMES]))


@pytest.mark.parametrize('seed', [0, 1, 2])
@pytest.mark.parametrize('effort', [False, True])
def test_joint_state_any_order_with_extra_joints(seed, effort, wire):
    msg, positions, velocities = shuffled_state(seed, effort=effort)
    out = joint_state_to_arrays(wire(msg))
    assert out.has_velocity
    np.testing.assert_array_equal(out.positions, positions)
    np.testing.assert_array_equal(out.velocities, velocities)


def test_joint_state_without_velocity_gives_zeros_and_says_so(wire):
    msg, positions, _ = shuffled_state(4, velocity=False)
    out = joint_state_to_arrays(wire(msg))
    assert not out.has_velocity
    np.testing.assert_array_equal(out.positions, positions)
    np.testing.assert_array_equal(out.velocities, np.zeros(len(JOINT_NAMES)))


def test_joint_state_custom_name_list_and_dtype():
    msg, _, _ = shuffled_state(5)
    out = joint_state_to_arrays(msg, ('gripper', 'l_knee'), dtype=np.float32)
    assert out.positions.dtype == np.float32 and out.positions.shape == (2,)
    index = list(msg.name).index('l_knee')
    assert out.positions[1] == np.float32(msg.position[index])


def test_non_finite_extra_joint_is_ignored():
    msg, positions, _ = shuffled_state(6)
    position = list(msg.position)
    position[list(msg.name).index('gripper')] = float('nan')
    msg.position = position
    np.testing.assert_array_equal(joint_state_to_arrays(msg).positions, positions)


def test_joint_state_round_trip(wire):
    rng = np.random.default_rng(7)
    positions, velocities, efforts = rng.standard_normal((3, len(JOINT_NAMES)))
    msg = wire(arrays_to_joint_state(positions, velocities, efforts=efforts,
                                     header=make_header(3, 'base')))
    assert list(msg.name) == list(JOINT_NAMES)
    np.testing.assert_array_equal(msg.effort, efforts)
    out = joint_state_to_arrays(msg)
    np.testing.assert_array_equal(out.positions, positions)
    np.testing.assert_array_equal(out.velocities, velocities)
    bare = wire(arrays_to_joint_state(positions))
    assert len(bare.velocity) == 0 and len(bare.effort) == 0
    assert not joint_state_to_arrays(bare).has_velocity


def mutated(**fields):
    msg, _, _ = shuffled_state(8, effort=True)
    for name, value in fields.items():
        setattr(msg, name, value)
    return msg


NAMES = list(shuffled_state(8)[0].name)


@pytest.mark.parametrize('msg, field, expected, got', [
    (JointState(), 'JointState.name', 'at least one joint name', '[]'),
    (mutated(name=[n for n in NAMES if n != 'l_knee'],
             position=[0.0] * (len(NAMES) - 1), velocity=[], effort=[]),
     'JointState.name', 'all of the 17 required joints', "missing ['l_knee']"),
    (mutated(name=NAMES[:-1] + ['']), 'JointState.name', 'non-empty joint names', None),
    (mutated(name=NAMES[:-1] + [NAMES[0]]), 'JointState.name', 'unique joint names', None),
    (mutated(position=[0.0] * (len(NAMES) - 1)), 'JointState.position',
     f'{len(NAMES)} values (one per name)', None),
    (mutated(position=[]), 'JointState.position', f'{len(NAMES)} values', None),
    (mutated(velocity=[0.0] * (len(NAMES) + 1)), 'JointState.velocity',
     f'0 or {len(NAMES)} values', None),
    (mutated(effort=[0.0]), 'JointState.effort', f'0 or {len(NAMES)} values', None),
    (mutated(position=[float('nan')] * len(NAMES)), 'JointState.position',
     'a finite value within', None),
    (mutated(velocity=[float('inf')] * len(NAMES)), 'JointState.velocity',
     'a finite value within', None),
])
def test_malformed_joint_state_is_rejected(msg, field, expected, got, wire):
    with pytest.raises(MessageFormatError) as info:
        joint_state_to_arrays(wire(msg))
    assert info.value.field == field
    assert str(info.value).startswith(field + ': expected')
    assert expected in info.value.expected
    if got is not None:
        assert got in str(info.value.got)


def test_non_finite_position_names_the_joint():
    msg, _, _ = shuffled_state(9)
    position = list(msg.position)
    position[list(msg.name).index('r_elbow')] = float('-inf')
    msg.position = position
    with pytest.raises(MessageFormatError, match="'r_elbow'"):
        joint_state_to_arrays(msg)


@pytest.mark.parametrize('joint_names', [(), ('a', 'a')])
def test_bad_joint_name_list_is_a_caller_error(joint_names):
    msg, _, _ = shuffled_state(10)
    with pytest.raises(ValueError) as info:
        joint_state_to_arrays(msg, joint_names)
    assert not isinstance(info.value, MessageFormatError)
    with pytest.raises(ValueError):
        arrays_to_joint_state(np.zeros(len(joint_names)), joint_names=joint_names)


def test_arrays_to_joint_state_refuses_bad_arrays():
    with pytest.raises(ValueError, match='shape'):
        arrays_to_joint_state(np.zeros(3))
    with pytest.raises(ValueError, match='finite'):
        arrays_to_joint_state(np.full(len(JOINT_NAMES), np.nan))


def test_unstamped_wrench_message_type():
    assert wrench_to_array(Wrench()).tolist() == [0.0] * 6


# -- physically absurd values (the audit's 1e20 that turned the model's scores NaN) ----------


@pytest.mark.parametrize('index, field', list(enumerate(WRENCH_FIELDS)))
def test_absurd_wrench_values_are_rejected_with_the_range(index, field, wire):
    values = np.zeros(6)
    values[index] = -1e20
    msg = wire(array_to_wrench(values))
    with pytest.raises(MessageFormatError) as info:
        wrench_to_array(msg, dtype=np.float32)
    assert info.value.field == 'WrenchStamped.wrench.' + field
    unit = 'N' if field.startswith('force') else 'N m'
    assert f'within +-{"10000" if unit == "N" else "1000"} {unit}' in str(info.value)


def test_large_but_real_wrenches_pass():
    values = np.array([2500.0, -800.0, 9000.0, 120.0, -300.0, 999.0])
    np.testing.assert_allclose(wrench_to_array(array_to_wrench(values)), values)


@pytest.mark.parametrize('index, field', list(enumerate(IMU_FIELDS)))
def test_absurd_imu_values_are_rejected(index, field, wire):
    values = np.array([0, 0, 0, 1.0, 0, 0, 0, 0, 0, 9.81])
    values[index] = 1e20
    with pytest.raises(MessageFormatError) as info:
        imu_to_array(wire(array_to_imu(values)))
    assert info.value.field == 'Imu.' + field
    assert 'within +-' in info.value.expected


def test_imu_without_orientation_estimate_passes():
    values = np.array([0, 0, 0, 0, 30.0, -60.0, 0.5, 150.0, 0, -9.81])  # a hard impact
    np.testing.assert_allclose(imu_to_array(array_to_imu(values)), values)


@pytest.mark.parametrize('field', ['position', 'velocity'])
def test_absurd_joint_values_are_rejected_naming_the_joint(field):
    values = np.zeros(len(JOINT_NAMES))
    values[4] = 1e20
    other = np.zeros(len(JOINT_NAMES))
    positions, velocities = (values, other) if field == 'position' else (other, values)
    msg = arrays_to_joint_state(positions, velocities)
    with pytest.raises(MessageFormatError) as info:
        joint_state_to_arrays(msg, JOINT_NAMES)
    assert info.value.field == f'JointState.{field}'
    assert JOINT_NAMES[4] in str(info.value) and 'within +-1000' in str(info.value)


def test_a_partial_joint_state_gives_the_joints_it_has():
    names = list(JOINT_NAMES[:5]) + ['gripper']
    msg = arrays_to_joint_state(np.arange(6.0), joint_names=names)
    msg.position[5] = float('nan')  # a joint the model does not read: not checked
    out = joint_state_to_arrays(msg, JOINT_NAMES, partial=True)
    assert list(out.present) == [True] * 5 + [False] * (len(JOINT_NAMES) - 5)
    np.testing.assert_array_equal(out.positions[:5], np.arange(5.0))
    assert not out.positions[5:].any() and not out.has_velocity
