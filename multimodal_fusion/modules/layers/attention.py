# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Multi-head attention that stays finite when every key is masked.

Shape legend: ``b`` batch, ``q`` queries, ``n`` keys, ``h`` heads, ``d`` width.

``nn.MultiheadAttention`` returns NaN for a query whose keys are all masked, which is exactly
what happens when a robot loses every sensor a fusion attends to. Here each head has a learned
null key/value pair that is always present: such a query attends to the null entry alone and
yields a learned, finite vector. The returned attention probabilities cover the real keys
only, so their mass per key (and per modality) is what fusions report as contributions.
"""

from typing import Final
from typing import Tuple

import torch
from torch import nn
from torch import Tensor


def masked_softmax(scores: Tensor, mask: Tensor, dim: int) -> Tensor:
    """Softmax over the entries where ``mask`` is True; zeros where it is False.

    A slice with nothing kept is all zeros (never NaN).

    Inputs:
        scores: any shape; entries where ``mask`` is False may hold anything, NaN included.
        mask: bool, broadcastable to ``scores``.

    Returns a tensor shaped like ``scores``.
    """
    mask = mask.expand_as(scores)
    # A manual softmax: the row maximum is taken over kept entries only, and a row with none
    # kept sums to zero (not NaN, in the forward or the backward pass).
    kept = torch.where(mask, scores, torch.full_like(scores, float('-inf')))
    peak = kept.amax(dim=dim, keepdim=True).detach()
    peak = torch.where(torch.isinf(peak), torch.zeros_like(peak), peak)
    shifted = torch.where(mask, scores, torch.zeros_like(scores)) - peak
    exps = torch.where(mask, shifted.exp(), torch.zeros_like(scores))
    # The largest kept entry contributes exp(0) = 1, so the sum is >= 1 unless none is kept.
    return exps / exps.sum(dim=dim, keepdim=True).clamp_min(1.0)


class MaskedAttention(nn.Module):
    """Multi-head scaled dot-product attention with a key mask and a learned null key.

    Args:
        dim: query, key and output width ``d``.
        num_heads: heads ``h``; must divide ``dim``.
        dropout: dropout on the attention probabilities.

    Inputs:
        query: ``(b, q, d)``.
        context: ``(b, n, d)`` keys and values; masked rows must already be finite.
        key_mask: ``(b, n)`` bool, True where a key may be attended.

    Returns:
        ``(b, q, d)`` attended values, and ``(b, q, n)`` attention probabilities on the real
        keys, averaged over heads (each row sums to one minus the null entry's share).
    """

    num_heads: Final[int]
    head_dim: Final[int]
    scale: Final[float]

    def __init__(self, dim: int, num_heads: int, *, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f'dim {dim} is not a multiple of num_heads {num_heads}')
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.q_proj = nn.Linear(dim, dim)
        self.k_proj = nn.Linear(dim, dim)
        self.v_proj = nn.Linear(dim, dim)
        self.out_proj = nn.Linear(dim, dim)
        self.null_key = nn.Parameter(torch.randn(num_heads, self.head_dim) * 0.02)
        self.null_value = nn.Parameter(torch.randn(num_heads, self.head_dim) * 0.02)
        self.attn_drop = nn.Dropout(dropout)

    def _heads(self, x: Tensor) -> Tensor:
        b, n, _ = x.shape
        return x.reshape(b, n, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, query: Tensor, context: Tensor, key_mask: Tensor) -> Tuple[Tensor, Tensor]:
        b, nq, d = query.shape
        q = self._heads(self.q_proj(query))
        k = self._heads(self.k_proj(context))
        v = self._heads(self.v_proj(context))
        null_k = self.null_key[None, :, None, :].expand(b, -1, -1, -1)
        null_v = self.null_value[None, :, None, :].expand(b, -1, -1, -1)
        k = torch.cat([null_k, k], dim=2)
        v = torch.cat([null_v, v], dim=2)
        keep = torch.cat([torch.ones_like(key_mask[:, :1]), key_mask], dim=1)
        scores = torch.matmul(q, k.transpose(-2, -1)) * self.scale
        scores = scores.masked_fill(~keep[:, None, None, :], float('-inf'))
        probs = torch.softmax(scores, dim=-1)
        out = torch.matmul(self.attn_drop(probs), v)
        out = out.transpose(1, 2).reshape(b, nq, d)
        return self.out_proj(out), probs[..., 1:].mean(dim=1)
