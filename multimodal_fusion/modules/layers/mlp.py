# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Two-layer perceptron.

Shape legend: ``b`` batch, ``d`` width.
"""

from typing import Type

from torch import nn
from torch import Tensor


class Mlp(nn.Module):
    """``Linear -> activation -> dropout -> Linear``.

    Args:
        in_dim: input width.
        hidden_dim: hidden width.
        out_dim: output width.
        dropout: dropout probability after the activation.
        act_layer: activation class.

    Inputs:
        x: ``(..., in_dim)``.

    Returns ``(..., out_dim)``.
    """

    def __init__(self, in_dim: int, hidden_dim: int, out_dim: int, *, dropout: float = 0.0,
                 act_layer: Type[nn.Module] = nn.GELU) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_dim, hidden_dim)
        self.act = act_layer()
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden_dim, out_dim)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc2(self.drop(self.act(self.fc1(x))))
