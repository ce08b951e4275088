# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Presence-aware token plumbing shared by the fusion strategies.

Shape legend: ``b`` batch, ``n`` tokens, ``m`` modalities, ``d`` width.

Every strategy starts with :func:`clean_tokens`: an absent modality's tokens are replaced by
zeros with ``torch.where`` before any arithmetic (``NaN * 0`` is NaN), so nothing computed
afterwards can depend on what an absent sensor left in the tensor.
"""

from typing import Dict
from typing import List
from typing import Tuple

import torch
from torch import nn
from torch import Tensor


def clean_tokens(tokens: Dict[str, Tensor], mask: Tensor, modalities: List[str]) -> List[Tensor]:
    """Tokens in ``modalities`` order with absent samples zeroed.

    Inputs:
        tokens: one ``(b, n_i, d)`` entry per name in ``modalities``.
        mask: ``(b, m)`` bool presence, columns in ``modalities`` order.

    Returns a list of ``m`` tensors ``(b, n_i, d)``.
    """
    out: List[Tensor] = []
    for i, name in enumerate(modalities):
        x = tokens[name]
        out.append(torch.where(mask[:, i, None, None], x, torch.zeros_like(x)))
    return out


def concat_tokens(xs: List[Tensor], mask: Tensor) -> Tuple[Tensor, Tensor, List[int]]:
    """Concatenate every modality's tokens along the token axis.

    Inputs:
        xs: ``m`` cleaned tensors ``(b, n_i, d)``.
        mask: ``(b, m)`` bool presence.

    Returns ``(b, sum n_i, d)`` tokens, ``(b, sum n_i)`` bool key mask, and the ``n_i``.
    """
    sizes: List[int] = []
    masks: List[Tensor] = []
    for i, x in enumerate(xs):
        sizes.append(x.shape[1])
        masks.append(mask[:, i, None].expand(-1, x.shape[1]))
    return torch.cat(xs, dim=1), torch.cat(masks, dim=1), sizes


def mass_per_modality(probs: Tensor, sizes: List[int]) -> Tensor:
    """Sum attention mass over each modality's span of keys.

    Inputs:
        probs: ``(b, sum n_i)`` attention probabilities over concatenated tokens.
        sizes: the ``n_i`` from :func:`concat_tokens`.

    Returns ``(b, m)``.
    """
    out: List[Tensor] = []
    start = 0
    for n in sizes:
        out.append(probs[:, start:start + n].sum(dim=1))
        start += n
    return torch.stack(out, dim=1)


class PooledModalities(nn.Module):
    """One LayerNorm'd mean-pooled vector per modality; zeros for absent modalities.

    Args:
        modalities: modality names, in presence-mask column order.
        dim: width ``d``.

    Inputs:
        xs: ``m`` cleaned tensors ``(b, n_i, d)`` (from :func:`clean_tokens`).
        mask: ``(b, m)`` bool presence.

    Returns ``(b, m, d)``.
    """

    def __init__(self, modalities: List[str], dim: int) -> None:
        super().__init__()
        self.norms = nn.ModuleDict({name: nn.LayerNorm(dim) for name in modalities})

    def forward(self, xs: List[Tensor], mask: Tensor) -> Tensor:
        out: List[Tensor] = []
        i = 0
        for _, norm in self.norms.items():
            out.append(norm(xs[i].mean(dim=1)))
            i += 1
        pooled = torch.stack(out, dim=1)
        return torch.where(mask[:, :, None], pooled, torch.zeros_like(pooled))
