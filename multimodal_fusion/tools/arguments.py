# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Command-line argument types the tools and the simulator publisher share (no ROS)."""

from __future__ import annotations

import argparse


def image_size_arg(text: str) -> tuple[int, int]:
    """``'640x480'`` as ``(640, 480)`` (an ``argparse`` type)."""
    try:
        width, height = (int(v) for v in text.lower().split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected WIDTHxHEIGHT, e.g. 640x480, got {text!r}')
    if width < 1 or height < 1:
        raise argparse.ArgumentTypeError(f'width and height must be >= 1, got {text!r}')
    return width, height
