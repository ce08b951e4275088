# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Joint states from several topics, merged by name into the model's joint order.

Shape legend: ``j`` the model's joints.

A humanoid often publishes one ``JointState`` per limb controller, at different rates,
with its own joint names. The node maps each model joint to a robot joint name
(``joints.map``) and hands every message's values to a :class:`JointMerger`, which keeps the
newest value of every model joint and, once each has one recent enough, emits a full row
in model order for the synchroniser.
"""

from __future__ import annotations

from typing import NamedTuple
from typing import Optional

import numpy as np


class MergedJoints(NamedTuple):
    """One full joint row: ``(j,)`` positions and velocities, and its stamp."""

    stamp_ns: int
    positions: np.ndarray
    velocities: np.ndarray


class JointMerger:
    """Keeps the newest position and velocity of every model joint.

    Args:
        joints: the model's joint count ``j``.
        max_age_ns: a joint whose newest value is older than this (against the message
            that would complete a row) does not count as known.
        zero_missing: joints never received count as known, with zeros (otherwise no row
            is emitted until every joint was received).
        jump_ns: a stamp this much older than the last row's starts afresh (a looping bag,
            a restarted driver).
    """

    def __init__(self, joints: int, *, max_age_ns: int, zero_missing: bool = False,
                 jump_ns: int = 1_000_000_000) -> None:
        self._positions = np.zeros(joints, np.float32)
        self._velocities = np.zeros(joints, np.float32)
        self._stamps = np.full(joints, -1, np.int64)  # -1: never received
        self._max_age_ns = int(max_age_ns)
        self._zero_missing = zero_missing
        self._last_emitted: Optional[int] = None
        self._jump_ns = int(jump_ns)
        self.messages = 0

    @property
    def never_received(self) -> np.ndarray:
        """``(j,)`` bool: the joints no message has provided yet."""
        return self._stamps < 0

    def reset(self) -> None:
        self._stamps[:] = -1
        self._last_emitted = None

    def add(self, stamp_ns: int, present: np.ndarray, positions: np.ndarray,
            velocities: np.ndarray) -> Optional[MergedJoints]:
        """Take one message's values; return a full row when every joint is known.

        Args:
            stamp_ns: the message's stamp.
            present: ``(j,)`` bool, the model joints this message carries.
            positions: ``(j,)``, read where ``present``.
            velocities: ``(j,)``, read where ``present`` (zeros from a driver without them).

        Returns:
            The row stamped ``stamp_ns``, or None when a joint is unknown or stale, or when
            the stamp is not newer than the last row's (another topic's message arriving
            late still updates the values the next row carries).
        """
        self.messages += 1
        if self._last_emitted is not None and stamp_ns < self._last_emitted - self._jump_ns:
            self.reset()
        present = np.asarray(present, bool)
        self._positions[present] = positions[present]
        self._velocities[present] = velocities[present]
        self._stamps[present] = np.maximum(self._stamps[present], int(stamp_ns))
        received = self._stamps >= 0
        known = received & (self._stamps >= int(stamp_ns) - self._max_age_ns)
        if self._zero_missing:
            known |= ~received
        if not known.all():
            return None
        if self._last_emitted is not None and stamp_ns <= self._last_emitted:
            return None
        self._last_emitted = int(stamp_ns)
        return MergedJoints(int(stamp_ns), self._positions.copy(), self._velocities.copy())
