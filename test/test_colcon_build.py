# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""``colcon build`` of the package into an install space, as on a robot, and what it holds.

The interface shims in ``dev_interfaces/`` must never be built by colcon (``COLCON_IGNORE``):
on a robot ``vision_msgs`` and ``audio_common_msgs`` come from the distro.
"""

import os
import pathlib
import subprocess
import sys

import pytest

from multimodal_fusion.ros.testing import colcon_install
from multimodal_fusion.ros.testing import installed_env

ROOT = pathlib.Path(__file__).resolve().parents[1]
COLCON = pathlib.Path(sys.executable).with_name('colcon')
SCRIPTS = ('fusion_node', 'sim_publisher', 'demo', 'fuzz_node', 'soak_node')

pytestmark = pytest.mark.skipif(not COLCON.exists(), reason='colcon is not installed')


@pytest.fixture(scope='module')
def install(tmp_path_factory):
    return colcon_install(ROOT, tmp_path_factory.mktemp('colcon'))


def test_the_install_space_holds_what_ros2_run_and_ros2_launch_need(install):
    pkg = install / 'multimodal_fusion'
    for script in SCRIPTS:
        path = pkg / 'lib' / 'multimodal_fusion' / script
        assert path.is_file() and os.access(path, os.X_OK), script
    share = pkg / 'share' / 'multimodal_fusion'
    assert (share / 'launch' / 'fusion.launch.py').is_file()
    assert (share / 'config' / 'fusion.yaml').is_file()
    assert (share / 'config' / 'fastdds_large_frames.xml').is_file()
    assert (share / 'package.xml').is_file()
    marker = pkg / 'share' / 'ament_index' / 'resource_index' / 'packages' / 'multimodal_fusion'
    assert marker.is_file()
    assets = list(pkg.glob('lib/python3*/site-packages/multimodal_fusion/assets/*.pt*'))
    assert {a.name for a in assets} >= {'fusion_default.pt', 'fusion_default.pt.sha256'}
    # The shims stay out of the build.
    assert sorted(p.name for p in install.iterdir() if p.is_dir()) == ['multimodal_fusion']


def test_the_installed_node_runs_from_the_install_space(install, tmp_path):
    pkg = install / 'multimodal_fusion'
    site = next(pkg.glob('lib/python3*/site-packages'))
    env = installed_env(install, dict(os.environ))
    result = subprocess.run([str(pkg / 'lib' / 'multimodal_fusion' / 'fusion_node'), '--help'],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'model.path' in result.stdout
    # The module it ran is the installed one, not the source tree.
    probe = subprocess.run([sys.executable, '-c', 'import multimodal_fusion; '
                            'print(multimodal_fusion.__file__)'], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=120)
    assert probe.stdout.strip().startswith(str(site)), probe.stdout
