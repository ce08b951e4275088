# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Accept torch tensors or numpy arrays alike."""

from __future__ import annotations

import numpy as np


def as_numpy(x) -> np.ndarray:
    """A numpy view/copy of a torch tensor (any device/dtype, detached) or array-like."""
    if hasattr(x, 'detach'):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)
