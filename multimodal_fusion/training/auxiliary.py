# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Training-only losses on the fusion's inputs: contrastive alignment and expert balance.

Shape legend: ``b`` batch, ``n`` tokens, ``d`` width, ``m`` modalities, ``e`` experts.

Neither changes the model or its exported file: a :class:`FusionTap` records what the
fusion strategy receives during the training forward (a forward pre-hook, so DDP and the
scripted export are untouched) and :func:`auxiliary_losses` turns that into extra terms.

* **Contrastive alignment** (CLIP's InfoNCE between modalities): each present modality's
  tokens, mean-pooled and L2-normalised, should pick out the same sample's other modalities
  among the batch. It acts on the encoders, so it matters when they train (``train.py``),
  not on frozen ones.
* **Load balancing** for :class:`~multimodal_fusion.modules.fusion.mixture_of_experts.
  MixtureOfExpertsFusion`: the Switch-Transformer balance term, minus its floor of 1 (zero
  when every expert gets the same mean gate), so a soft gate does not collapse onto one
  expert.
"""

from __future__ import annotations

from dataclasses import dataclass
import itertools
from typing import Dict
from typing import Optional
from typing import Sequence

import torch
from torch import nn
from torch import Tensor
import torch.nn.functional as F

from multimodal_fusion.modules.fusion.mixture_of_experts import load_balancing_loss


@dataclass(frozen=True)
class AuxiliaryWeights:
    """Weights of the auxiliary terms (0 leaves a term out).

    Attributes:
        contrastive: weight of the InfoNCE alignment between modality embeddings.
        balance: weight of the mixture-of-experts balance term (ignored by other fusions).
        temperature: InfoNCE softmax temperature.
    """

    contrastive: float = 0.0
    balance: float = 0.0
    temperature: float = 0.1

    def __post_init__(self) -> None:
        if self.contrastive < 0 or self.balance < 0 or not self.temperature > 0:
            raise ValueError(f'auxiliary weights must be >= 0 and the temperature > 0: {self}')

    @property
    def active(self) -> bool:
        return self.contrastive > 0 or self.balance > 0


class FusionTap:
    """Records the ``(tokens, mask)`` a fusion module is called with, until :meth:`close`.

    Args:
        fusion: the model's fusion strategy (``model.fusion``).
    """

    def __init__(self, fusion: nn.Module) -> None:
        self.fusion = fusion
        self.tokens: Optional[Dict[str, Tensor]] = None
        self.mask: Optional[Tensor] = None
        self._handle = fusion.register_forward_pre_hook(self._record)

    def _record(self, module: nn.Module, args: tuple) -> None:
        self.tokens, self.mask = args[0], args[1]

    def close(self) -> None:
        self._handle.remove()
        self.tokens = self.mask = None


def info_nce(tokens: Dict[str, Tensor], mask: Tensor, modalities: Sequence[str], *,
             temperature: float = 0.1) -> Tensor:
    """Symmetric InfoNCE between every pair of modalities, over samples holding both.

    Inputs:
        tokens: per name in ``modalities``, ``(b, n_i, d)``.
        mask: ``(b, m)`` bool presence, columns in ``modalities`` order.

    Returns a scalar: the mean over pairs with at least two such samples (zero, still part
    of the graph, when there is none).
    """
    pooled = [F.normalize(tokens[name].float().mean(dim=1), dim=-1) for name in modalities]
    total = pooled[0].sum() * 0.0
    pairs = 0
    for i, j in itertools.combinations(range(len(modalities)), 2):
        both = mask[:, i] & mask[:, j]
        if int(both.sum()) < 2:
            continue
        logits = pooled[i][both] @ pooled[j][both].t() / temperature
        labels = torch.arange(logits.shape[0], device=logits.device)
        total = total + 0.5 * (F.cross_entropy(logits, labels)
                               + F.cross_entropy(logits.t(), labels))
        pairs += 1
    return total / max(pairs, 1)


def expert_gate(fusion: nn.Module, tokens: Dict[str, Tensor], mask: Tensor
                ) -> Optional[Tensor]:
    """The ``(b, e)`` gate of a mixture-of-experts fusion on these inputs; None for others."""
    forward_with_gate = getattr(fusion, 'forward_with_gate', None)
    if forward_with_gate is None:
        return None
    return forward_with_gate(tokens, mask)[1]


def auxiliary_losses(tap: FusionTap, weights: AuxiliaryWeights) -> Dict[str, Tensor]:
    """The auxiliary terms of the last forward ``tap`` saw.

    Unweighted values under ``contrastive`` and ``balance``; their weighted sum in ``total``.

    Raises:
        RuntimeError: nothing was recorded (no forward since the tap was made).
    """
    if tap.tokens is None or tap.mask is None:
        raise RuntimeError('the fusion tap recorded no forward call')
    fusion = tap.fusion
    out: Dict[str, Tensor] = {}
    total = tap.mask.new_zeros((), dtype=torch.float32)
    if weights.contrastive > 0:
        names = list(getattr(fusion, 'modalities', tap.tokens.keys()))
        out['contrastive'] = info_nce(tap.tokens, tap.mask, names,
                                      temperature=weights.temperature)
        total = total + weights.contrastive * out['contrastive']
    if weights.balance > 0:
        gate = expert_gate(fusion, tap.tokens, tap.mask)
        if gate is not None:
            out['balance'] = load_balancing_loss(gate) - 1.0
            total = total + weights.balance * out['balance']
    out['total'] = total
    return out


def expert_utilisation(gates: Sequence[Tensor]) -> Optional[list[float]]:
    """Mean gate per expert over every sample of ``gates`` (``(b, e)`` chunks).

    None if empty. A balanced mixture gives ``1 / e`` each.
    """
    if not gates:
        return None
    return [round(float(v), 4) for v in torch.cat(list(gates)).float().mean(dim=0)]
