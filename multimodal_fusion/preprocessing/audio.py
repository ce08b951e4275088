# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Audio samples to the model's fixed window.

Shape legend: ``n`` samples.
"""

from __future__ import annotations

import numpy as np

from multimodal_fusion.spec import AudioSpec


def prepare_audio(samples: np.ndarray, spec: AudioSpec) -> np.ndarray:
    """The newest ``spec.window_samples`` samples, left-padded with silence if shorter.

    Args:
        samples: ``(n,)`` mono samples at ``spec.sample_rate``, newest last.
        spec: the audio spec.

    Returns ``(window_samples,)`` float32.

    Raises:
        ValueError: if ``samples`` is not one-dimensional.
    """
    if samples.ndim != 1:
        raise ValueError(f'audio must be (n,) mono samples, got shape {samples.shape}')
    window = spec.window_samples
    out = np.zeros((window,), dtype=np.float32)
    tail = samples[-window:] if samples.shape[0] > 0 else samples
    if tail.shape[0] > 0:
        out[window - tail.shape[0]:] = tail
    return out
