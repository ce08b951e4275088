# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Small inputs shared by the fusion tests: dim 32, 2 heads, a few tokens per modality."""

import itertools
from typing import Callable
from typing import Dict
from typing import Sequence

import pytest
import torch
from torch import Tensor

from multimodal_fusion.modules.fusion.base import FusionConfig

# Tokens per modality: camera patches, audio frames, one text embedding, wrench and joint
# windows.
TOKEN_COUNTS = {'camera': 16, 'audio': 6, 'text': 1, 'touch': 4, 'proprio': 4}
DIM = 32


@pytest.fixture
def config() -> FusionConfig:
    return FusionConfig(dim=DIM, num_heads=2, num_layers=2, dropout=0.1,
                        num_bottleneck_tokens=2, num_queries=3, memory_slots=8,
                        num_experts=3, num_decisions=8)


@pytest.fixture
def make_tokens() -> Callable[..., Dict[str, Tensor]]:
    """A function of ``(batch, modalities, seed=0)`` giving random ``(b, n_i, 32)`` tokens."""

    def make(batch: int, modalities: Sequence[str], seed: int = 0) -> Dict[str, Tensor]:
        generator = torch.Generator().manual_seed(seed)
        return {name: torch.randn(batch, TOKEN_COUNTS[name], DIM, generator=generator)
                for name in modalities}

    return make


@pytest.fixture
def all_patterns() -> Callable[[int], Tensor]:
    """A function of ``m`` giving a ``(2**m, m)`` mask holding every presence pattern once."""

    def patterns(num_modalities: int) -> Tensor:
        return torch.tensor(list(itertools.product([False, True], repeat=num_modalities)))

    return patterns


@pytest.fixture
def fill_absent() -> Callable[[Dict[str, Tensor], Tensor, Sequence[str], float], Dict]:
    """A function of ``(tokens, mask, modalities, value)``: absent samples' tokens := value.

    ``value`` may be NaN or inf; ``None`` fills with fresh random numbers.
    """

    def fill(tokens, mask, modalities, value):
        out = {}
        for i, name in enumerate(modalities):
            x = tokens[name]
            other = torch.randn_like(x) * 100.0 if value is None else torch.full_like(x, value)
            out[name] = torch.where(mask[:, i, None, None], x, other)
        return out

    return fill
