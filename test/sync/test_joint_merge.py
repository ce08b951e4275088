# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""JointMerger: joint states of several controllers merged into the model's order."""

import numpy as np

from multimodal_fusion.sync.joint_merge import JointMerger

MS = 1_000_000
J = 6
LEFT = np.array([True, True, True, False, False, False])


def values(x):
    return np.full(J, x, np.float32)


def test_two_limbs_make_one_row_once_both_have_reported():
    merger = JointMerger(J, max_age_ns=100 * MS)
    assert merger.add(10 * MS, LEFT, values(1), values(0.1)) is None  # right arm unknown
    row = merger.add(12 * MS, ~LEFT, values(2), values(0.2))
    assert row.stamp_ns == 12 * MS
    np.testing.assert_array_equal(row.positions, [1, 1, 1, 2, 2, 2])
    np.testing.assert_array_equal(row.velocities, np.float32([0.1] * 3 + [0.2] * 3))
    # The faster limb goes on alone: rows follow it while the other is fresh.
    row = merger.add(20 * MS, LEFT, values(3), values(0))
    np.testing.assert_array_equal(row.positions, [3, 3, 3, 2, 2, 2])


def test_a_limb_that_stopped_stops_the_rows():
    merger = JointMerger(J, max_age_ns=100 * MS)
    merger.add(0, LEFT, values(1), values(0))
    merger.add(1 * MS, ~LEFT, values(2), values(0))
    assert merger.add(500 * MS, LEFT, values(1), values(0)) is None


def test_never_received_joints_block_or_are_zero_as_configured():
    strict = JointMerger(J, max_age_ns=100 * MS)
    assert strict.add(0, LEFT, values(1), values(0)) is None
    assert list(strict.never_received) == [False] * 3 + [True] * 3
    lenient = JointMerger(J, max_age_ns=100 * MS, zero_missing=True)
    row = lenient.add(0, LEFT, values(1), values(0))
    np.testing.assert_array_equal(row.positions, [1, 1, 1, 0, 0, 0])


def test_a_late_message_updates_values_without_a_row_out_of_order():
    merger = JointMerger(J, max_age_ns=100 * MS)
    merger.add(10 * MS, LEFT, values(1), values(0))
    merger.add(20 * MS, ~LEFT, values(2), values(0))
    assert merger.add(15 * MS, LEFT, values(5), values(0)) is None  # older than the last row
    row = merger.add(30 * MS, ~LEFT, values(2), values(0))
    np.testing.assert_array_equal(row.positions[:3], 5)


def test_a_backwards_jump_starts_afresh():
    merger = JointMerger(J, max_age_ns=100 * MS, jump_ns=1000 * MS)
    merger.add(5000 * MS, LEFT, values(1), values(0))
    merger.add(5000 * MS, ~LEFT, values(1), values(0))
    assert merger.add(10 * MS, LEFT, values(1), values(0)) is None  # the other limb: unknown
    assert merger.add(11 * MS, ~LEFT, values(1), values(0)).stamp_ns == 11 * MS
