# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Pre-norm transformer block for self- or cross-attention under a key mask.

Shape legend: ``b`` batch, ``q`` queries, ``n`` keys, ``d`` width.
"""

from typing import Final
from typing import Tuple

from torch import nn
from torch import Tensor

from multimodal_fusion.modules.layers.attention import MaskedAttention
from multimodal_fusion.modules.layers.mlp import Mlp


class AttentionBlock(nn.Module):
    """``x + attn(norm(x), norm(context))`` then ``x + mlp(norm(x))``.

    Args:
        dim: width ``d``.
        num_heads: attention heads.
        dropout: dropout on attention probabilities and residual branches.
        mlp_ratio: hidden width of the MLP as a multiple of ``dim``.
        self_attention: if True the keys are the normalised queries and ``context`` is
            ignored (pass ``x`` again); otherwise ``context`` gets its own LayerNorm.

    Inputs:
        x: ``(b, q, d)`` queries.
        context: ``(b, n, d)`` keys/values (for self-attention, ``x`` itself).
        key_mask: ``(b, n)`` bool, True where a key may be attended.

    Returns ``(b, q, d)`` updated queries and ``(b, q, n)`` attention probabilities.
    """

    self_attention: Final[bool]

    def __init__(self, dim: int, num_heads: int, *, dropout: float = 0.0, mlp_ratio: int = 2,
                 self_attention: bool = False) -> None:
        super().__init__()
        self.self_attention = self_attention
        self.norm_q = nn.LayerNorm(dim)
        self.norm_kv = nn.Identity() if self_attention else nn.LayerNorm(dim)
        self.attn = MaskedAttention(dim, num_heads, dropout=dropout)
        self.drop = nn.Dropout(dropout)
        self.norm_mlp = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, mlp_ratio * dim, dim, dropout=dropout)

    def forward(self, x: Tensor, context: Tensor, key_mask: Tensor) -> Tuple[Tensor, Tensor]:
        q = self.norm_q(x)
        kv = q if self.self_attention else self.norm_kv(context)
        h, probs = self.attn(q, kv, key_mask)
        x = x + self.drop(h)
        x = x + self.drop(self.mlp(self.norm_mlp(x)))
        return x, probs
