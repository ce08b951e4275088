# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The launch file cannot run here (no ``launch`` package on PyPI), so check what it declares.

It is read as source: its declared arguments and the topics it remaps must stay in step with
the node's parameter table.
"""

import ast
import pathlib

from multimodal_fusion.ros.node import parameters as P

LAUNCH = pathlib.Path(__file__).resolve().parents[2] / 'launch' / 'fusion.launch.py'


def _tree():
    return ast.parse(LAUNCH.read_text())


def test_declares_the_standard_arguments():
    declared = {node.args[0].value for node in ast.walk(_tree())
                if isinstance(node, ast.Call) and getattr(node.func, 'id', '')
                == 'DeclareLaunchArgument' and node.args and isinstance(node.args[0],
                                                                        ast.Constant)}
    assert {'namespace', 'params_file', 'use_sim_time', 'log_level'} <= declared


def test_remappable_topics_are_the_node_defaults():
    tree = _tree()
    remappable = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                      and getattr(node.targets[0], 'id', '') == '_REMAPPABLE')
    topics = {ast.literal_eval(item)[1] for item in remappable.elts}
    defaults = set()
    for p in P.PARAMS:
        if not p.name.startswith('topics.') or p.name == 'topics.camera_transport':
            continue
        defaults |= set(p.default) if isinstance(p.default, list) else {p.default}
    assert topics == defaults


def test_override_arguments_name_real_parameters_and_default_to_empty():
    tree = _tree()
    pairs = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], 'id', '') == '_OVERRIDES')
    params = [ast.literal_eval(item)[1] for item in pairs.elts]
    assert set(params) == {'model.path', 'model.device', 'autostart', 'publish.debug_image',
                           'detection.score_threshold', 'topics.camera_transport'}
    assert all(name in P.BY_NAME for name in params)
    # Empty unless given: the params file decides (the node ignores empty overrides).
    assert "DeclareLaunchArgument(name, default_value=''," in LAUNCH.read_text()


def test_no_opaque_functions_or_subprocesses():
    source = LAUNCH.read_text()
    for banned in ('OpaqueFunction', 'ExecuteProcess', 'eval(', 'subprocess'):
        assert banned not in source


def _calls(tree, name):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and getattr(node.func, 'id', '') == name]


def test_dds_profile_defaults_to_the_shipped_large_frame_profile():
    tree = _tree()
    declared = {call.args[0].value: call for call in _calls(tree, 'DeclareLaunchArgument')
                if call.args and isinstance(call.args[0], ast.Constant)}
    default = next(k.value for k in declared['dds_profile'].keywords
                   if k.arg == 'default_value')
    # PathJoinSubstitution([FindPackageShare('multimodal_fusion'), 'config', FILE])
    assert getattr(default.func, 'id', '') == 'PathJoinSubstitution'
    share, *parts = default.args[0].elts
    assert getattr(share.func, 'id', '') == 'FindPackageShare'
    assert share.args[0].value == 'multimodal_fusion'
    assert [p.value for p in parts] == ['config', 'fastdds_large_frames.xml']
    # The file is shipped: in config/ and installed by setup.py with the other config files.
    root = LAUNCH.parents[1]
    assert (root / 'config' / 'fastdds_large_frames.xml').is_file()
    assert "glob.glob('config/*.xml')" in (root / 'setup.py').read_text()


def test_dds_profile_sets_the_fastdds_variable_unless_empty_before_the_node_starts():
    tree = _tree()
    (setenv,) = _calls(tree, 'SetEnvironmentVariable')
    name, value = setenv.args
    assert name.value == 'FASTDDS_DEFAULT_PROFILES_FILE'
    assert getattr(value.func, 'id', '') == 'LaunchConfiguration'
    assert value.args[0].value == 'dds_profile'
    # Only when not empty: dds_profile:='' keeps the caller's environment.
    condition = next(k.value for k in setenv.keywords if k.arg == 'condition')
    assert getattr(condition.func, 'id', '') == 'IfCondition'
    (test,) = condition.args
    assert getattr(test.func, 'id', '') == 'NotEqualsSubstitution'
    assert test.args[0].args[0].value == 'dds_profile'
    assert ast.literal_eval(test.args[1]) == ''
    # Actions run in order: the variable must be set before the node's process starts.
    (ret,) = [node for node in ast.walk(tree) if isinstance(node, ast.Return)]
    actions = ret.value.args[0].right.elts
    assert [a.id for a in actions] == ['dds_profile', 'node']
    assignments = {node.targets[0].id: node.value for node in ast.walk(tree)
                   if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name)}
    assert assignments['dds_profile'] is setenv


def test_ros_arguments_not_arguments_with_ros_args():
    # A real launch_ros run showed ROS arguments belong in ros_arguments, not in
    # arguments=['--ros-args', ...] (ROS_ENV.md).
    (node,) = _calls(_tree(), 'LifecycleNode')
    keywords = {k.arg: k.value for k in node.keywords}
    assert 'arguments' not in keywords
    ros_arguments = keywords['ros_arguments'].elts
    assert ros_arguments[0].value == '--log-level'
