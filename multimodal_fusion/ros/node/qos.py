# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""QoS profiles from parameters, and the warning users need when a publisher won't match."""

from __future__ import annotations

from rclpy.qos import DurabilityPolicy
from rclpy.qos import HistoryPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy


def sensor_qos(kind: str, depth: int) -> QoSProfile:
    """Subscription QoS for sensor streams.

    ``sensor_data`` (the default, like rclpy's ``qos_profile_sensor_data``) is best effort and
    volatile: it matches both best-effort and reliable publishers, so it is the choice that
    never leaves the node without input; ``reliable`` refuses best-effort publishers.
    """
    reliability = {
        'sensor_data': ReliabilityPolicy.BEST_EFFORT,
        'best_effort': ReliabilityPolicy.BEST_EFFORT,
        'reliable': ReliabilityPolicy.RELIABLE,
    }[kind]
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=depth, reliability=reliability,
                      durability=DurabilityPolicy.VOLATILE)


def command_qos() -> QoSProfile:
    """Speech text: best effort with a deeper history.

    Commands are rare and must not be lost, but a best-effort recogniser should still match.
    """
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                      reliability=ReliabilityPolicy.BEST_EFFORT,
                      durability=DurabilityPolicy.VOLATILE)


def output_qos() -> QoSProfile:
    """Results: reliable, so any subscriber QoS matches."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=10,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.VOLATILE)


def latched_qos() -> QoSProfile:
    """``~/label_info``: late subscribers get the class map (transient local)."""
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=1,
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


def incompatible_qos_message(topic: str, policy_name: str, ours: QoSProfile) -> str:
    """The warning logged when a publisher on ``topic`` is incompatible with us."""
    return (f'a publisher on {topic} has a QoS incompatible with this subscription '
            f'(policy {policy_name}; ours: {ours.reliability.name.lower()}, '
            f'{ours.durability.name.lower()}): no messages will arrive from it. '
            'Set qos.sensors to match the publisher (sensor_data matches any reliability).')
