# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Top-k labels of classification logits.

Shape legend: ``b`` batch, ``c`` classes.
"""

from __future__ import annotations

from typing import NamedTuple
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.decoding.arrays import as_numpy


class Label(NamedTuple):
    """One ranked class: its index, its name and its softmax probability.

    Without class names, the name is the index as text.
    """

    index: int
    name: str
    score: float


def softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """Numerically stable softmax."""
    shifted = logits - logits.max(axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def topk_labels(logits, k: int = 3,
                names: Optional[Sequence[str]] = None) -> list[list[Label]]:
    """The ``k`` most probable classes of each sample.

    Args:
        logits: ``(b, c)`` (or ``(c,)`` for one sample), torch or numpy.
        k: labels per sample (at most ``c``).
        names: ``c`` class names.

    Returns ``b`` lists of ``min(k, c)`` :class:`Label`, most probable first.

    Raises:
        ValueError: if ``k < 1`` or ``names`` does not have ``c`` entries.
    """
    x = as_numpy(logits).astype(np.float64)
    x = x.reshape(1, -1) if x.ndim == 1 else x
    if k < 1:
        raise ValueError(f'k must be >= 1, got {k}')
    if names is not None and len(names) != x.shape[1]:
        raise ValueError(f'{len(names)} names for {x.shape[1]} classes')
    probs = softmax(x)
    order = np.argsort(-probs, axis=1, kind='stable')[:, :k]
    return [[Label(int(j), names[j] if names is not None else str(int(j)), float(p[j]))
             for j in row] for row, p in zip(order, probs)]
