# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Text encoders: a sentence embedding, or its token states, made into a few tokens.

Shape legend: ``b`` batch, ``l`` sentence tokens, ``e`` embedding width (384), ``d`` width,
``q`` tokens.
"""

from typing import Final
from typing import Tuple

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.layers.pooling import QueryPool


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


def with_mean_item(states: Tensor, present: Tensor) -> Tuple[Tensor, Tensor]:
    """Token states with their masked mean put first, as one more item to attend to.

    The mean is what reads intents best on phrasings training never saw (the pooled
    sentence vector is the same mean, normalised), the tokens what says which word belongs
    to which object; a query can take either.

    Inputs:
        states: ``(b, l, e)``.
        present: ``(b, l)`` bool, the utterance's tokens.

    Returns ``(b, 1 + l, e)`` items and their ``(b, 1 + l)`` mask.
    """
    weights = present.unsqueeze(-1).to(states.dtype)
    mean = (states * weights).sum(dim=1, keepdim=True) / weights.sum(
        dim=1, keepdim=True).clamp_min(1.0)
    return (torch.cat([mean, states], dim=1),
            torch.cat([present.any(dim=1, keepdim=True), present], dim=1))


class TextTokenEncoder(nn.Module):
    """The sentence encoder's token states pooled into ``q`` tokens by learned queries.

    Each query is an attention pool over the utterance's tokens and their mean
    (:class:`QueryPool`, :func:`with_mean_item`), so one can read the object's words and
    another the words of the object it is placed relative to, which the mean alone mixes.
    The tokens after the utterance are zero rows (``TextSpec(tokens=True)``) and are masked
    out.

    Args:
        embedding_dim: ``e``.
        dim: ``d``.
        num_tokens: ``q``.
        num_heads: heads of the pooling attention; must divide ``dim``.
        dropout: dropout on the input token states.

    Inputs:
        text: ``(b, l, e)`` float token states, zero rows after the last token.

    Returns ``(b, q, d)``.
    """

    num_tokens: Final[int]
    dim: Final[int]

    def __init__(self, *, embedding_dim: int, dim: int, num_tokens: int = 2,
                 num_heads: int = 4, dropout: float = 0.0) -> None:
        super().__init__()
        if num_tokens < 1 or embedding_dim < 1:
            raise ValueError(
                f'num_tokens and embedding_dim must be >= 1, got {num_tokens}, {embedding_dim}')
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(embedding_dim)
        self.project = nn.Linear(embedding_dim, dim)
        self.pool = QueryPool(dim, num_tokens, num_heads)
        self.num_tokens = num_tokens
        self.dim = dim
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def forward(self, text: Tensor) -> Tensor:
        text = text.to(self.project.weight.dtype)
        present = text.abs().sum(dim=-1) > 0
        items, mask = with_mean_item(text, present)
        tokens = self.project(self.norm(self.dropout(items)))
        return self.embedding(self.pool(tokens, mask))
