# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The figures benchmark, soak and demo reports share: median and p99, optional values."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np


def median_p99(values: Sequence[float]) -> tuple[Optional[float], Optional[float]]:
    """``(median, 99th percentile)`` of ``values``; ``(None, None)`` when there are none."""
    if not len(values):
        return None, None
    arr = np.asarray(values, dtype=np.float64)
    return float(np.median(arr)), float(np.percentile(arr, 99))


def fmt_or_na(value: Optional[float], spec: str) -> str:
    """``value`` formatted with ``spec``, or ``'n/a'`` when it is None."""
    return 'n/a' if value is None else format(value, spec)
