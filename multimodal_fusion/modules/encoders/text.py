# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Text encoder: a sentence embedding projected to a few tokens.

Shape legend: ``b`` batch, ``e`` embedding width (384), ``d`` width, ``q`` tokens.
"""

from typing import Final

from torch import nn
from torch import Tensor

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding


class TextEncoder(nn.Module):
    """``Linear(e -> q * d)``, reshaped to ``q`` tokens.

    The sentence encoder itself (MiniLM) runs outside the model, in preprocessing, and is
    cached per utterance; commands change far more slowly than camera frames.

    Args:
        embedding_dim: ``e``.
        dim: ``d``.
        num_tokens: ``q``.
        dropout: dropout on the input embedding.

    Inputs:
        text: ``(b, e)`` float sentence embeddings.

    Returns ``(b, q, d)``.
    """

    num_tokens: Final[int]
    dim: Final[int]

    def __init__(self, *, embedding_dim: int, dim: int, num_tokens: int = 2,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if num_tokens < 1 or embedding_dim < 1:
            raise ValueError(
                f'num_tokens and embedding_dim must be >= 1, got {num_tokens}, {embedding_dim}')
        self.dropout = nn.Dropout(dropout)
        self.project = nn.Linear(embedding_dim, num_tokens * dim)
        self.num_tokens = num_tokens
        self.dim = dim
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def forward(self, text: Tensor) -> Tensor:
        x = self.project(self.dropout(text.to(self.project.weight.dtype)))
        return self.embedding(x.reshape(x.shape[0], self.num_tokens, self.dim))
