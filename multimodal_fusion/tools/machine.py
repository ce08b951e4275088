# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""What machine a benchmark, demo or soak ran on, for its report."""

import pathlib
import platform


def cpu_model() -> str:
    """Return the CPU model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        for line in pathlib.Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'
