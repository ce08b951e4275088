# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
import pathlib

import pytest
import yaml

from multimodal_fusion.ros.node import parameters as P

CONFIG = pathlib.Path(__file__).resolve().parents[3] / 'config' / 'fusion.yaml'


def test_yaml_defaults_equal_the_declared_table():
    values = P.flatten_tree(yaml.safe_load(CONFIG.read_text())['/**']['ros__parameters'])
    assert values == {p.name: p.default for p in P.PARAMS}
    # ROS rejects an integer YAML value for a double parameter: types must match exactly.
    for p in P.PARAMS:
        assert type(values[p.name]) is type(p.default), p.name


def test_defaults_are_valid():
    assert P.validate_all({p.name: p.default for p in P.PARAMS}) == []


@pytest.mark.parametrize('name,value,fragment', [
    ('sync.slop', -0.1, '>= 0.0'),
    ('sync.window_wait', -0.05, '>= 0.0'),
    ('sync.queue_size', 0, '>= 1'),
    ('sync.queue_size', 2.5, 'must be a int'),
    ('qos.sensors', 'fast', 'one of'),
    ('sync.required', ['camera', 'smell'], "['smell']"),
    ('model.device', 'gpu', 'cuda:N'),
    ('topics.wrenches', [], 'at least one'),
    ('topics.joint_states', [], 'at least one'),
    ('joints.map', ['l_elbow'], 'model_joint=robot_joint'),
    ('joints.map', ['=x'], 'model_joint=robot_joint'),
    ('diagnostics.expected_rates', ['camera=fast'], 'stream=Hz'),
    ('topics.camera_transport', 'theora', 'one of'),
    ('autostart', 1, 'must be a bool'),
    ('no.such', 1, 'unknown parameter'),
])
def test_bad_values_are_named(name, value, fragment):
    problem = P.validate(name, value)
    assert problem is not None and fragment in problem and name in problem


def test_camera_must_be_required():
    values = {p.name: p.default for p in P.PARAMS}
    values['sync.required'] = ['audio']
    assert any('camera' in p for p in P.validate_all(values))


def test_declared_on_a_real_node_with_descriptors():
    rclpy = pytest.importorskip('rclpy')
    rclpy.init()
    try:
        node = rclpy.create_node('param_probe')
        values = P.declare_parameters(node)
        assert values == {p.name: p.default for p in P.PARAMS}
        desc = node.describe_parameter('sync.slop')
        assert desc.floating_point_range[0].to_value == 5.0
        assert node.describe_parameter('topics.camera').read_only
        # Read at configure, so settable (while unconfigured) for a model swap.
        assert not node.describe_parameter('model.path').read_only
        assert 'applies at configure' in node.describe_parameter('model.path').description
        node.destroy_node()
    finally:
        rclpy.shutdown()


def test_overrides_win_over_the_params_file_and_empty_ones_are_ignored():
    rclpy = pytest.importorskip('rclpy')
    from rclpy.parameter import Parameter
    rclpy.init()
    try:
        # As the launch file passes its arguments: model_path and device left empty.
        node = rclpy.create_node('override_probe', parameter_overrides=[
            Parameter('detection.score_threshold', value=0.5),
            Parameter('model.path', value='/from/the/yaml.pt'),
            Parameter('overrides', value=['detection.score_threshold=0.7', 'model.path=',
                                          'model.device=', 'publish.debug_image=true',
                                          'autostart=false'])])
        values = P.declare_parameters(node)
        assert values['detection.score_threshold'] == 0.7
        assert values['model.path'] == '/from/the/yaml.pt'
        assert values['model.device'] == 'auto'
        assert values['publish.debug_image'] is True and values['autostart'] is False
        node.destroy_node()
        bad = rclpy.create_node('override_probe_2', parameter_overrides=[
            Parameter('overrides', value=['detection.score_threshold=high'])])
        with pytest.raises(Exception, match='score_threshold'):
            P.declare_parameters(bad)
        bad.destroy_node()
    finally:
        rclpy.shutdown()


def test_message_filters_with_zero_slop_is_refused():
    # Upstream requires span < slop strictly: with 0 the node would never publish.
    values = {p.name: p.default for p in P.PARAMS}
    values.update({'sync.implementation': 'message_filters', 'sync.slop': 0.0})
    assert any('strictly below' in p for p in P.validate_all(values))
    values['sync.implementation'] = 'builtin'
    assert P.validate_all(values) == []  # the builtin policy accepts span == slop


def test_window_wait_reaches_the_synchroniser():
    from multimodal_fusion.ros.node.config import NodeConfig
    from multimodal_fusion.ros.node.fusion_node import sync_config
    from multimodal_fusion.spec import ModalitySpec

    values = {p.name: p.default for p in P.PARAMS}
    assert sync_config(NodeConfig.from_values(values), ModalitySpec()).window_wait_s == 0.1
    values['sync.window_wait'] = 0.4
    assert sync_config(NodeConfig.from_values(values), ModalitySpec()).window_wait_s == 0.4
