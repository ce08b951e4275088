# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The DDS test helpers themselves: NodeControl reaches a lifecycle node it did not see."""

from __future__ import annotations

import contextlib
import threading

import pytest
import rclpy
from rclpy.lifecycle import LifecycleNode
from rclpy.node import Node

from multimodal_fusion.ros.testing import NodeControl
from multimodal_fusion.ros.testing import spin_in_background

pytestmark = [pytest.mark.dds]


@pytest.fixture
def helper():
    rclpy.init()
    node = Node('control_helper')
    executor = spin_in_background(node)
    yield node
    executor.shutdown()
    node.destroy_node()
    rclpy.try_shutdown()


@contextlib.contextmanager
def lifecycle_node_after(delay_s: float, name: str):
    """A lifecycle node ``name`` that starts ``delay_s`` after the block is entered."""
    late = {}

    def start():
        late['node'] = LifecycleNode(name)
        late['executor'] = spin_in_background(late['node'])

    timer = threading.Timer(delay_s, start)
    timer.start()
    try:
        yield
    finally:
        timer.join()
        if 'executor' in late:
            late['executor'].shutdown()
            late['node'].destroy_node()


def test_a_client_whose_service_stays_unseen_is_replaced_and_the_call_then_succeeds(helper):
    node = helper
    control = NodeControl(node, target='/late_lifecycle_node', rediscover_s=0.5)
    # The service appears only after the first client has waited past rediscover_s.
    with lifecycle_node_after(1.5, 'late_lifecycle_node'):
        assert control.transition('configure', timeout=60.0)
        assert control.state() == 'inactive'
        assert control.recreated >= 1
        # A client that found its service is kept.
        before = control.recreated
        assert control.transition('activate', timeout=60.0)
        assert control.recreated == before


def test_clients_move_to_a_fresh_participant_when_replacing_them_does_not_help(helper):
    control = NodeControl(helper, target='/later_lifecycle_node', rediscover_s=0.3,
                          fresh_participant_s=1.0)
    try:
        with lifecycle_node_after(2.0, 'later_lifecycle_node'):
            # The clients moved to a node of their own context, which found the service.
            assert control.transition('configure', timeout=60.0)
            assert control.fresh_participants == 1
            assert control.state() == 'inactive'
            assert control.set_parameters(use_sim_time=False) == [(True, '')]
    finally:
        control.close()


def test_a_service_that_never_appears_times_out_naming_it(helper):
    node = helper
    control = NodeControl(node, target='/nobody_here', rediscover_s=0.3)
    with pytest.raises(TimeoutError, match='/nobody_here/get_state not available'):
        control.state(timeout=1.0)
    assert control.recreated >= 2
    assert control.fresh_participants == 0  # not within one second
