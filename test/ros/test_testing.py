# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The DDS test helpers themselves: NodeControl reaches a lifecycle node it did not see."""

from __future__ import annotations

import contextlib
import threading
import time

from lifecycle_msgs.srv import ChangeState
from lifecycle_msgs.srv import GetState
import pytest
import rclpy
from rclpy.callback_groups import ReentrantCallbackGroup
from rclpy.executors import MultiThreadedExecutor
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


class LateAnswers:
    """``change_state`` and ``get_state`` of a node whose first answers come too late.

    A transition takes effect at once, but the answers to the first ``late`` change_state
    requests come only after ``delay_s``: what a client sees when the server dropped them.
    """

    def __init__(self, name: str, late: int, delay_s: float, lose_request: bool = False,
                 late_get: int = 0):
        self.node = Node(name)
        self.state = 'active'
        self.requests = self.get_requests = 0
        self._late_get = late_get
        self._late, self._delay_s, self._lose_request = late, delay_s, lose_request
        group = ReentrantCallbackGroup()
        self.node.create_service(ChangeState, f'{name}/change_state', self._change,
                                 callback_group=group)
        self.node.create_service(GetState, f'{name}/get_state', self._get,
                                 callback_group=group)
        self.executor = MultiThreadedExecutor(num_threads=4)
        self.executor.add_node(self.node)
        self._thread = threading.Thread(target=self.executor.spin, daemon=True)
        self._thread.start()

    def _change(self, request, response):
        self.requests += 1
        late = self.requests <= self._late
        if not (late and self._lose_request):
            self.state = 'inactive'  # every request here is a deactivate
        if late:
            time.sleep(self._delay_s)
        response.success = True
        return response

    def _get(self, request, response):
        self.get_requests += 1
        response.current_state.label = self.state
        if self.get_requests <= self._late_get:
            time.sleep(self._delay_s)
        return response

    def close(self):
        self.executor.shutdown()
        self._thread.join(timeout=10.0)
        self.node.destroy_node()


@pytest.fixture
def late_answers():
    made = []
    yield lambda *args, **kwargs: made.append(LateAnswers(*args, **kwargs)) or made[-1]
    for server in made:
        server.close()


def test_a_lost_answer_to_a_transition_that_was_made_is_not_sent_again(helper, late_answers):
    server = late_answers('slow_to_answer', late=1, delay_s=5.0)
    control = NodeControl(helper, target='/slow_to_answer', answer_s=1.0)
    assert control.transition('deactivate', timeout=30.0)
    # The node's state showed the transition made: the request went once.
    assert control.unanswered == 1
    assert server.requests == 1


def test_a_lost_transition_request_is_sent_again_from_a_new_client(helper, late_answers):
    # The first request never took effect (the node is still active): it goes again.
    server = late_answers('lost_request', late=1, delay_s=5.0, lose_request=True)
    control = NodeControl(helper, target='/lost_request', answer_s=1.0)
    assert control.transition('deactivate', timeout=30.0)
    assert server.requests == 2
    assert control.recreated == 1
    assert server.state == 'inactive'


def test_a_query_whose_answer_is_late_is_sent_again(helper, late_answers):
    server = late_answers('slow_state', late=0, delay_s=5.0, late_get=1)
    control = NodeControl(helper, target='/slow_state', answer_s=1.0)
    assert control.state(timeout=30.0) == 'active'
    assert control.unanswered == 1
    assert server.get_requests == 2


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
