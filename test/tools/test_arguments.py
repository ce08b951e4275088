# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The argument types the tools and the simulator publisher share."""

import argparse

import pytest

from multimodal_fusion.tools.arguments import image_size_arg


def test_image_sizes_are_read_as_width_by_height():
    assert image_size_arg('1280x720') == (1280, 720)
    assert image_size_arg('640X480') == (640, 480)
    for bad in ('1280', '0x720', 'axb', '1x2x3'):
        with pytest.raises(argparse.ArgumentTypeError):
            image_size_arg(bad)
