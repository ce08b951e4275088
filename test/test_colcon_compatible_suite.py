# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The suite collects the way ``colcon test`` runs it.

colcon runs pytest with launch_testing's plugin, which ignores ``--import-mode=importlib``:
test modules are then imported by basename, so two ``test_audio.py`` in different folders
collide, and relative imports between test files fail. Kilted's plugin also refuses pytest
9.1 and later.
"""

import collections
import pathlib
import re

TEST = pathlib.Path(__file__).resolve().parent
ROOT = TEST.parent


def test_test_module_basenames_are_unique():
    names = collections.Counter(p.name for p in TEST.rglob('test_*.py'))
    assert not [n for n, c in names.items() if c > 1]


def test_no_relative_imports_in_the_suite():
    offenders = [str(p.relative_to(ROOT)) for p in TEST.rglob('*.py')
                 if re.search(r'^\s*from \.', p.read_text(), flags=re.M)]
    assert not offenders


def test_pytest_is_pinned_below_what_launch_testing_refuses():
    dev = (ROOT / 'requirements' / 'dev.txt').read_text()
    assert re.search(r'^pytest>=8(\.\d+)*,<9\.1$', dev, flags=re.M), dev
