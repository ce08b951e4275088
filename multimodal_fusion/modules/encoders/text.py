# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Text encoders: a sentence embedding, or its token states, made into a few tokens.

Shape legend: ``b`` batch, ``l`` sentence tokens, ``e`` embedding width (384), ``d`` width,
``q`` tokens.
"""

from typing import Final

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.encoders.embedding import ModalityEmbedding
from multimodal_fusion.modules.layers.pooling import QueryPool


def _check_sizes(num_tokens: int, embedding_dim: int) -> None:
    if num_tokens < 1 or embedding_dim < 1:
        raise ValueError(
            f'num_tokens and embedding_dim must be >= 1, got {num_tokens}, {embedding_dim}')


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
        _check_sizes(num_tokens, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.project = nn.Linear(embedding_dim, num_tokens * dim)
        self.num_tokens = num_tokens
        self.dim = dim
        self.embedding = ModalityEmbedding(num_tokens=num_tokens, dim=dim)

    def forward(self, text: Tensor) -> Tensor:
        x = self.project(self.dropout(text.to(self.project.weight.dtype)))
        return self.embedding(x.reshape(x.shape[0], self.num_tokens, self.dim))


class TextTokenEncoder(nn.Module):
    """The command as ``2 q`` tokens: ``q`` from its sentence vector, ``q`` from its words.

    The sentence tokens are :class:`TextEncoder`'s reading of the pooled vector (the token
    states' masked mean, L2-normalised: exactly the vector a pooled model reads), which
    carries the intent best. The word tokens are learned queries over the token states
    (:class:`QueryPool`): one can read the object's words and another those of the object it
    is placed relative to, which the mean mixes. The tokens after the utterance are zero
    rows (``TextSpec(tokens=True)``) and are masked out.

    Word dropout zeroes the word tokens of a share of the training samples (their modality
    embedding stays), so the intent cannot rest on the words alone: read from single words,
    it follows the training grammar's keywords, while the pooled vector of an encoder tuned
    for intents generalises to phrasings it never saw.

    Args:
        embedding_dim: ``e``.
        dim: ``d``.
        num_tokens: ``q``.
        num_heads: heads of the pooling attention; must divide ``dim``.
        dropout: dropout on the input sentence vector and token states.
        word_dropout: share of training samples whose word tokens are zeroed.

    Inputs:
        text: ``(b, l, e)`` float token states, zero rows after the last token.

    Returns ``(b, 2 q, d)``: the sentence tokens, then the word tokens.
    """

    num_tokens: Final[int]
    dim: Final[int]
    word_dropout: Final[float]

    def __init__(self, *, embedding_dim: int, dim: int, num_tokens: int = 2,
                 num_heads: int = 4, dropout: float = 0.0, word_dropout: float = 0.0) -> None:
        super().__init__()
        _check_sizes(num_tokens, embedding_dim)
        if not 0.0 <= word_dropout < 1.0:
            raise ValueError(f'word_dropout must be in [0, 1), got {word_dropout}')
        self.word_dropout = word_dropout
        self.dropout = nn.Dropout(dropout)
        self.sentence = nn.Linear(embedding_dim, num_tokens * dim)
        self.norm = nn.LayerNorm(embedding_dim)
        self.project = nn.Linear(embedding_dim, dim)
        self.pool = QueryPool(dim, num_tokens, num_heads)
        self.num_tokens = num_tokens
        self.dim = dim
        self.embedding = ModalityEmbedding(num_tokens=2 * num_tokens, dim=dim)

    def forward(self, text: Tensor) -> Tensor:
        text = text.to(self.project.weight.dtype)
        present = text.abs().sum(dim=-1) > 0
        weights = present.unsqueeze(-1).to(text.dtype)
        mean = (text * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1.0)
        vector = nn.functional.normalize(mean, p=2.0, dim=-1)
        sentence = self.sentence(self.dropout(vector)).reshape(
            text.shape[0], self.num_tokens, self.dim)
        words = self.pool(self.project(self.norm(self.dropout(text))), present)
        if self.training and self.word_dropout > 0.0:
            keep = torch.rand(words.shape[0], 1, 1, device=words.device) >= self.word_dropout
            words = words * keep.to(words.dtype)
        return self.embedding(torch.cat([sentence, words], dim=1))
