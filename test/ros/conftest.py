# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by the ROS-layer tests."""

from typing import Callable
from typing import TypeVar

import pytest
from rclpy.serialization import deserialize_message
from rclpy.serialization import serialize_message

MsgT = TypeVar('MsgT')


def through_wire(msg: MsgT) -> MsgT:
    """The message as a subscriber would get it: CDR-serialised by rclpy and back."""
    return deserialize_message(serialize_message(msg), type(msg))


@pytest.fixture
def wire() -> Callable:
    """``through_wire``: round-trip a message through rclpy's CDR serialisation."""
    return through_wire
