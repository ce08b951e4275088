# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The latency budget in the node: the fallback model takes over, the outputs go on.

In this process, through the node's callbacks (the switching rules themselves are tested in
``test/inference/test_budget.py``; the benchmark shows them under a real overload).
"""

import shutil
import time

import pytest
import rclpy
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.parameter import Parameter

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference.budget import FALLBACK
from multimodal_fusion.inference.budget import PRIMARY
from multimodal_fusion.ros.node.fusion_node import FusionNode
from multimodal_fusion.ros.node.health import HealthInputs
from multimodal_fusion.ros.node.health import HealthMonitor
from multimodal_fusion.ros.testing import Feeder
from multimodal_fusion.ros.testing import msg_info

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE


@pytest.fixture
def ros():
    rclpy.init()
    yield
    rclpy.try_shutdown()


def _copy_model(folder, name):
    path = folder / name
    shutil.copy(default_model_path(), path)
    shutil.copy(str(default_model_path()) + '.sha256', str(path) + '.sha256')
    return path


def _node(**values):
    values.setdefault('model.warmup_iterations', 0)
    return FusionNode(parameter_overrides=[Parameter(k, value=v) for k, v in values.items()])


def _outputs(node):
    return node.stats.snapshot(time.monotonic())['outputs']


def _configure_errors(**values) -> list[str]:
    """Configure a node with ``values``; check that it failed holding no model; its errors."""
    node = _node(**values)
    messages = []
    original = node.get_logger().error
    node.get_logger().error = lambda msg, **kw: (messages.append(msg), original(msg, **kw))
    try:
        assert node.trigger_configure() == FAILURE
        assert node.engine is None and node.fallback_engine is None
    finally:
        node.destroy_node()
    return messages


def test_over_budget_the_fallback_runs_is_probed_and_reported(ros, tmp_path):
    fallback = _copy_model(tmp_path, 'light.pt')
    # A budget no model meets: the fallback takes over after one window and stays.
    node = _node(**{'budget.latency_ms': 0.001, 'budget.fallback_model': str(fallback),
                    'budget.window': 3, 'budget.probe_period': 0.2})
    try:
        assert node.trigger_configure() == SUCCESS
        assert node.fallback_engine is not None and node.budget.running == PRIMARY
        assert node.trigger_activate() == SUCCESS
        feed = Feeder(node)
        node.inputs.audio_info_msg(feed.info, msg_info())
        assert feed.run_until(lambda: node.budget.running == FALLBACK)
        switched_at = _outputs(node)
        assert feed.run_until(lambda: node.budget.probes_run >= 2
                              and node.budget.sets[FALLBACK] >= 5)
        # The outputs went on through the switch, on both models.
        assert _outputs(node) > switched_at
        assert node.budget.switches == 1 and node.budget.running == FALLBACK
        report = HealthMonitor(stall_timeout_s=5.0, clock_tolerance_s=1.0)._inference(
            HealthInputs(stats=node.stats.snapshot(time.monotonic()), sync_drops={},
                         set_drops={}, time_jumps=0, stream_jumps={}, newest_stamps_ns={},
                         now_ns=0, expected=[], budget=node._budget_snapshot()))
        values = dict(report.values)
        assert values['budget/running'] == 'fallback'
        assert values['budget/running_model'] == 'light.pt'
        assert int(values['budget/sets/fallback']) >= 5
        assert 'fallback model light.pt' in report.message
    finally:
        node._stop_inputs()
        node._release()
        node.destroy_node()
    assert node.fallback_engine is None and node.budget is None


def test_a_fallback_without_a_budget_is_not_loaded(ros, tmp_path):
    node = _node(**{'budget.fallback_model': str(_copy_model(tmp_path, 'light.pt'))})
    try:
        assert node.trigger_configure() == SUCCESS
        assert node.fallback_engine is None and node.budget is None
    finally:
        node._release()
        node.destroy_node()


def test_a_budget_without_a_fallback_fails_configure_saying_what_to_set(ros):
    errors = _configure_errors(**{'budget.latency_ms': 50.0})
    assert any('budget.fallback_model is empty' in m for m in errors), errors


def test_a_missing_fallback_file_fails_configure_naming_its_parameter(ros, tmp_path):
    errors = _configure_errors(**{'budget.latency_ms': 50.0,
                                  'budget.fallback_model': str(tmp_path / 'missing.pt')})
    assert any('budget.fallback_model' in m and 'missing.pt' in m for m in errors), errors


def test_a_fallback_with_other_classes_fails_configure(ros, tmp_path):
    from multimodal_fusion.export import export_model
    from multimodal_fusion.models import build_model
    from multimodal_fusion.models.testing import tiny_model_config

    config = tiny_model_config()
    other = export_model(build_model('gated', config).eval(), tmp_path / 'other.pt',
                         labels={'situations': ['a'] * config.num_situations,
                                 'actions': ['a'] * config.num_actions,
                                 'object_classes': ['a'] * config.num_object_classes},
                         strategy='gated', config=config, training_summary={})
    errors = _configure_errors(**{'budget.latency_ms': 50.0,
                                  'budget.fallback_model': str(other)})
    assert any('budget.fallback_model other.pt names other classes' in m
               for m in errors), errors
