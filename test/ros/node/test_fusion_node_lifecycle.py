# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Lifecycle transitions of the node in this process: what each state owns."""

import os
import shutil

import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.ros.node.fusion_node import FusionNode
from multimodal_fusion.ros.processes import wait_for

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


@pytest.fixture
def ros():
    rclpy.init()
    yield
    rclpy.try_shutdown()


# A name of its own: a /fusion_node of another test's process in the same domain (or one
# whose participant is still being forgotten) would answer the graph queries instead.
NAME = f'fusion_node_lifecycle_{os.getpid()}'


def _node(*overrides):
    return FusionNode(NAME, parameter_overrides=[Parameter(n, value=v) for n, v in overrides])


def _topics(node, kind):
    names = node.get_subscriber_names_and_types_by_node if kind == 'sub' else \
        node.get_publisher_names_and_types_by_node
    return {name for name, _ in names(node.get_name(), node.get_namespace())}


def test_each_state_owns_what_it_should(ros):
    node = _node(('model.warmup_iterations', 1))
    try:
        assert node.engine is None and not node.input_subscriptions
        assert node.trigger_configure() == SUCCESS
        assert node.engine is not None and node.sync is not None
        # The graph cache is updated asynchronously: a loaded machine shows it late.
        assert wait_for(lambda: f'/{NAME}/detections' in _topics(node, 'pub'), 10)
        assert not node.input_subscriptions
        assert node.trigger_activate() == SUCCESS
        # camera, audio, audio_info (latched and volatile), text, two wrists, joint states,
        # imu
        assert len(node.input_subscriptions) == 9
        assert wait_for(lambda: {'/camera/image_raw', '/joint_states', '/wrist/left/wrench'}
                        <= _topics(node, 'sub'), 10)
        assert node._worker is not None and node._worker.is_alive()
        worker = node._worker
        assert node.trigger_deactivate() == SUCCESS
        assert not node.input_subscriptions and not worker.is_alive()
        assert node.engine is not None  # inactive keeps the model warm
        assert node.trigger_cleanup() == SUCCESS
        assert node.engine is None and node.sync is None
        assert wait_for(lambda: f'/{NAME}/detections' not in _topics(node, 'pub'), 10)
        # And round again.
        assert node.trigger_configure() == SUCCESS
        assert node.trigger_activate() == SUCCESS
        assert len(node.input_subscriptions) == 9
        assert node.trigger_deactivate() == SUCCESS
    finally:
        node._stop_inputs()
        node._release()
        node.destroy_node()


def test_imu_topic_empty_means_no_imu_subscription(ros):
    node = _node(('topics.imu', ''), ('model.warmup_iterations', 0))
    try:
        assert node.trigger_configure() == SUCCESS
        assert node.trigger_activate() == SUCCESS
        assert len(node.input_subscriptions) == 8
    finally:
        node._stop_inputs()
        node._release()
        node.destroy_node()


@pytest.mark.parametrize('overrides,fragment', [
    ((('model.path', '/nonexistent/model.pt'),), 'no such model file'),
    ((('topics.wrenches', ['only/one/wrench']),), 'topics.wrenches lists 1 topics'),
    ((('sync.implementation', 'message_filters'),), 'message_filters'),
])
def test_configure_fails_with_an_actionable_reason(ros, overrides, fragment, caplog):
    messages = _failed_configure_errors(_node(*overrides))
    assert any(fragment in m for m in messages), messages


def _failed_configure_errors(node):
    """Configure ``node``, check that it failed and released everything; its error lines."""
    messages = []
    original = node.get_logger().error
    node.get_logger().error = lambda msg, **kw: (messages.append(msg), original(msg, **kw))
    try:
        assert node.trigger_configure() == FAILURE
        assert node.engine is None
        # Still unconfigured: a corrected configure can follow.
        assert node._state_machine.current_state[1] == 'unconfigured'
    finally:
        node.destroy_node()
    return messages


def test_a_model_without_its_checksum_is_refused(ros, tmp_path):
    model = tmp_path / 'model.pt'
    shutil.copy(default_model_path(), model)
    node = _node(('model.path', str(model)))
    try:
        assert node.trigger_configure() == FAILURE
    finally:
        node.destroy_node()


def test_a_text_adapter_for_another_encoder_fails_configure_with_what_to_check(ros, tmp_path):
    import torch

    from multimodal_fusion.export import export_model
    from multimodal_fusion.models import build_model
    from multimodal_fusion.models.testing import tiny_model_config
    from multimodal_fusion.preprocessing.text_adapter import TextAdapter

    config = tiny_model_config()
    adapter = TextAdapter(lora={}, values={'encoder.layer.9.output.dense.bias': torch.zeros(384)},
                          base_model='a twelve-layer encoder')
    path = export_model(build_model('gated', config).eval(), tmp_path / 'model.pt',
                        labels={'situations': ['a'] * config.num_situations,
                                'actions': ['a'] * config.num_actions,
                                'object_classes': ['a'] * config.num_object_classes},
                        strategy='gated', config=config, training_summary={},
                        text_adapter=adapter)
    messages = _failed_configure_errors(_node(('model.path', str(path))))
    assert any('no parameter bert.encoder.layer.9.output.dense.bias' in m
               and 'text_encoder.path' in m for m in messages), messages


def test_live_parameters_reach_the_decoder_and_bad_values_are_refused(ros):
    node = _node(('model.warmup_iterations', 0))
    try:
        assert node.trigger_configure() == SUCCESS
        result = node.set_parameters([Parameter('detection.score_threshold', value=0.6)])
        assert result[0].successful
        assert node.engine.settings.score_threshold == 0.6
        refused = node.set_parameters([Parameter('sync.required', value=['audio'])])
        assert not refused[0].successful
        assert not node.set_parameters([Parameter('model.path', value='x.pt')])[0].successful
    finally:
        node._release()
        node.destroy_node()


def test_an_incompatible_publisher_is_reported(ros):
    import time

    from rclpy.executors import SingleThreadedExecutor
    from rclpy.qos import qos_profile_sensor_data
    from sensor_msgs.msg import Image

    node = _node(('qos.sensors', 'reliable'), ('model.warmup_iterations', 0))
    warnings = []
    original = node.get_logger().warning
    node.get_logger().warning = lambda msg, **kw: (warnings.append(msg), original(msg, **kw))
    peer = rclpy.create_node('best_effort_camera')
    executor = SingleThreadedExecutor()
    try:
        assert node.trigger_configure() == SUCCESS
        assert node.trigger_activate() == SUCCESS
        # A best-effort publisher cannot serve a reliable subscription.
        peer.create_publisher(Image, 'camera/image_raw', qos_profile_sensor_data)
        executor.add_node(node)
        executor.add_node(peer)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any('incompatible' in w for w in warnings):
            executor.spin_once(timeout_sec=0.1)
        hits = [w for w in warnings if 'incompatible' in w]
        assert hits, warnings
        assert '/camera/image_raw' in hits[0] and 'qos.sensors' in hits[0]
    finally:
        executor.shutdown()
        node._stop_inputs()
        node._release()
        node.destroy_node()
        peer.destroy_node()
