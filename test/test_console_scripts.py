# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Every console script ``ros2 run multimodal_fusion <name>`` starts names a real main()."""

import importlib
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _entry_points():
    setup = (ROOT / 'setup.py').read_text()
    return re.findall(r"'(\w+) = ([\w.]+):(\w+)'", setup)


def test_each_console_script_points_at_a_callable():
    entries = _entry_points()
    assert {'fusion_node', 'sim_publisher', 'demo', 'fuzz_node', 'soak_node'} <= {
        name for name, _, _ in entries}
    for name, module, func in entries:
        assert callable(getattr(importlib.import_module(module), func)), name


def test_fusion_node_help_prints_the_parameter_table_and_exits():
    result = subprocess.run([sys.executable, '-m', 'multimodal_fusion.ros.node.fusion_node',
                             '--help'], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'model.path' in result.stdout and 'applies' in result.stdout
    assert 'joints.map' in result.stdout and 'configure' in result.stdout
