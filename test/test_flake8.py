# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""ament_flake8 over the package, the launch file, the tests and setup.py.

The configuration is ament's default with the package's two deviations, kept in the
``[flake8]`` section of setup.cfg (each deviation explained there).
"""

import pathlib

import pytest

main_with_errors = pytest.importorskip('ament_flake8.main').main_with_errors

ROOT = pathlib.Path(__file__).resolve().parents[1]
PATHS = ['multimodal_fusion', 'launch', 'test', 'setup.py']


@pytest.mark.flake8
@pytest.mark.linter
def test_flake8(monkeypatch):
    # ament_flake8 walks the working directory for AMENT_IGNORE markers: make that the repo.
    monkeypatch.chdir(ROOT)
    rc, errors = main_with_errors(argv=['--config', str(ROOT / 'setup.cfg'), *PATHS])
    assert rc == 0, \
        'Found %d code style errors / warnings:\n' % len(errors) + \
        '\n'.join(errors)
