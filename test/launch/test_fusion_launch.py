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
        if p.name.startswith('topics.') and p.name != 'topics.wrenches':
            defaults.add(p.default)
    defaults |= set(P.BY_NAME['topics.wrenches'].default)
    assert topics == defaults


def test_no_opaque_functions_or_subprocesses():
    source = LAUNCH.read_text()
    for banned in ('OpaqueFunction', 'ExecuteProcess', 'eval(', 'subprocess'):
        assert banned not in source
