# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Learned modality-type and token-position embeddings added to every encoder's tokens.

Shape legend: ``b`` batch, ``n`` tokens, ``d`` width.
"""

import torch
from torch import nn
from torch import Tensor


class ModalityEmbedding(nn.Module):
    """LayerNorm, then add a learned type vector (one per modality) and per-token positions.

    The type vector lets a fusion that concatenates tokens tell modalities apart; the
    position vectors order a modality's own tokens (time, or image cells).

    Args:
        num_tokens: ``n``.
        dim: ``d``.

    Inputs:
        tokens: ``(b, n, d)``.

    Returns ``(b, n, d)``.
    """

    def __init__(self, *, num_tokens: int, dim: int) -> None:
        super().__init__()
        if num_tokens < 1 or dim < 1:
            raise ValueError(f'num_tokens and dim must be >= 1, got {num_tokens}, {dim}')
        self.norm = nn.LayerNorm(dim)
        self.type_embedding = nn.Parameter(torch.empty(1, 1, dim))
        self.position_embedding = nn.Parameter(torch.empty(1, num_tokens, dim))
        nn.init.trunc_normal_(self.type_embedding, std=0.02)
        nn.init.trunc_normal_(self.position_embedding, std=0.02)

    def forward(self, tokens: Tensor) -> Tensor:
        return self.norm(tokens) + self.type_embedding + self.position_embedding
