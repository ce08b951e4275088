# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Test helpers for training: tiny split sizes and a stand-in sentence embedder.

A module of the package rather than of ``test/``, so tests import it by absolute name
(``colcon test`` runs pytest without ``--import-mode=importlib``, where relative imports
between test files fail).
"""

import hashlib

import numpy as np

TRAIN_SIZE = 24
VAL_SIZE = 8


def fake_embed(utterances):
    """``(b, 384)`` unit vectors seeded by each utterance's hash."""
    rows = []
    for u in utterances:
        seed = int.from_bytes(hashlib.sha256(u.encode()).digest()[:8], 'little')
        v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        rows.append(v / np.linalg.norm(v))
    return np.stack(rows)
