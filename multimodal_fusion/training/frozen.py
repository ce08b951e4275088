# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Cheap strategy comparison: shared frozen encoders, a fusion and heads trained per run.

Shape legend: ``b`` batch, ``n`` tokens, ``d`` width, ``m`` modalities, ``g`` grid side.

Training 17 strategies and 4 drop-one-modality models end to end is out of a 2-core CPU's
reach (the camera CNN is ~95% of the compute). Here every encoder comes from one trained
model and stays frozen, so its outputs are computed once per sample and cached; each run
then trains only the fusion strategy and the heads (heads initialised from the same model,
the fusion from scratch). ``FusionModel.forward`` is ``encode`` then ``tail``, and runs here
call the two apart, so a model assembled by :func:`train_tail` behaves (and is timed and
exported) like any other ``FusionModel``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from typing import Dict
from typing import Mapping
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel
from multimodal_fusion.models.losses import LossWeights
from multimodal_fusion.models.losses import MultiTaskLoss
from multimodal_fusion.modules.heads import DetectionOutput
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training.auxiliary import auxiliary_losses
from multimodal_fusion.training.auxiliary import AuxiliaryWeights
from multimodal_fusion.training.auxiliary import expert_gate
from multimodal_fusion.training.auxiliary import expert_utilisation
from multimodal_fusion.training.auxiliary import FusionTap
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.train import modality_dropout

ENCODERS: tuple[str, ...] = tuple(f'{m}_encoder' for m in MODALITIES)
HEADS: tuple[str, ...] = ('situation_head', 'action_head', 'target_head', 'target_xy_head',
                          'detection_head', 'object_summary', 'situation_evidence',
                          'referring_head')


@dataclass
class EncodedSplit:
    """Encoder outputs of some samples of a split (float16 to halve the memory).

    Attributes:
        indices: ``(N,)`` sample indices into the split.
        tokens: per modality name, ``(N, n, d)``.
        spatial: ``(N, d, gh, gw)`` camera map (empty once the detections are cached).
        mask: ``(N, m)`` bool presence as stored.
        detection: the outputs of a frozen detection head on ``spatial``, or None (see
            :func:`cache_detections`).
        absent: that head's outputs on a map of zeros (batch 1): what it sees without camera.
    """

    indices: np.ndarray
    tokens: Dict[str, Tensor]
    spatial: Tensor
    mask: Tensor
    detection: Optional[DetectionOutput] = None
    absent: Optional[DetectionOutput] = None

    def tail(self, model: FusionModel, rows: Tensor,
             mask: Optional[Tensor] = None) -> Dict[str, Tensor]:
        """``model``'s outputs on the given rows; ``mask`` replaces their stored presence."""
        tokens = {k: v[rows].float() for k, v in self.tokens.items()}
        mask = self.mask[rows] if mask is None else mask
        if self.detection is None or self.absent is None:
            return model.tail(tokens, self.spatial[rows].float(), mask)
        present = mask[:, 0].to(torch.bool)
        detection = []
        for cached, nothing in zip(self.detection, self.absent):
            value = cached[rows].float()
            where = present.view((-1,) + (1,) * (value.dim() - 1))
            detection.append(torch.where(where, value, nothing.expand_as(value)))
        return model.tail_detected(tokens, DetectionOutput(*detection), mask)


@torch.no_grad()
def cache_detections(model: FusionModel, encoded: EncodedSplit, *,
                     batch_size: int = 256) -> EncodedSplit:
    """``encoded`` with ``model``'s detection-head outputs in place of the camera map.

    For runs whose detection head stays frozen (the study's): the head is then run once per
    sample instead of on every training batch (it was about a quarter of a step), and the
    cache holds 19 numbers per cell (the shipped labels) where the map holds ``d``.
    :func:`fit_tail` refuses it for a model whose detection head trains.
    """
    model.eval()
    parts = [model.detection_head(encoded.spatial[start:start + batch_size].float())
             for start in range(0, len(encoded.indices), batch_size)]
    detection = DetectionOutput(*(torch.cat([p[k] for p in parts]).half() for k in range(5)))
    absent = model.detection_head(torch.zeros_like(encoded.spatial[:1].float()))
    return EncodedSplit(indices=encoded.indices, tokens=encoded.tokens,
                        spatial=encoded.spatial[:0], mask=encoded.mask, detection=detection,
                        absent=DetectionOutput(*(t.float() for t in absent)))


@torch.inference_mode()
def encode_split(model: FusionModel, split: SimulatedSplit, indices: Sequence[int], *,
                 batch_size: int = 64) -> EncodedSplit:
    """Run every encoder of ``model`` (which must use all five modalities) once."""
    model.eval()
    tokens: Dict[str, list] = {m: [] for m in MODALITIES}
    spatial, masks = [], []
    for start in range(0, len(indices), batch_size):
        items = [split[int(i)] for i in indices[start:start + batch_size]]
        camera, audio, text, touch, proprio, mask = (
            torch.stack([item[j] for item in items]) for j in range(6))
        encoded, camera_map = model.encode(camera, audio, text, touch, proprio)
        for name, value in encoded.items():
            tokens[name].append(value.half())
        spatial.append(camera_map.half())
        masks.append(mask)
    return EncodedSplit(indices=np.asarray(indices, dtype=np.int64),
                        tokens={k: torch.cat(v) for k, v in tokens.items()},
                        spatial=torch.cat(spatial), mask=torch.cat(masks))


def assemble(strategy: str, config: ModelConfig, source: Mapping[str, Tensor]) -> FusionModel:
    """A new model whose encoders and heads are copied from the ``source`` state dict.

    Encoders of modalities ``config`` leaves out are not copied (the model has none).
    """
    model = build_model(strategy, config, pretrained_camera=False)
    own = model.state_dict()
    copied = {k: v for k, v in source.items()
              if k.split('.')[0] in ENCODERS + HEADS and k in own and own[k].shape == v.shape}
    model.load_state_dict(copied, strict=False)
    return model


def train_tail(model: FusionModel, encoded: EncodedSplit, split: SimulatedSplit, *,
               epochs: int, batch_size: int = 64, lr: float = 1e-3,
               rate: float = 0.1, seed: int = 0,
               loss_weights: Optional[LossWeights] = None,
               auxiliary: AuxiliaryWeights = AuxiliaryWeights()) -> list[float]:
    """Train ``model``'s fusion and heads on cached encoder outputs (encoders untouched).

    ``epochs`` passes over the rows; see :func:`fit_tail` for the rest. Returns the mean
    training loss of each epoch.
    """
    per_epoch = max(1, len(encoded.indices) // batch_size)
    fit = fit_tail(model, encoded, split, steps=epochs * per_epoch, batch_size=batch_size,
                   lr=lr, rate=rate, seed=seed, loss_weights=loss_weights,
                   auxiliary=auxiliary)
    return fit.epoch_losses


@dataclass
class TailFit:
    """What :func:`fit_tail` did.

    Attributes:
        epoch_losses: mean training loss of each pass over the rows (the last may be
            partial).
        checks: ``(step, validation score)`` of every check (empty without ``validate``).
        best_step: the step whose weights the model holds at the end (the last one without
            ``validate``).
    """

    epoch_losses: list[float]
    checks: list[tuple[int, float]]
    best_step: int


def fit_tail(model: FusionModel, encoded: EncodedSplit, split: SimulatedSplit, *,
             steps: int, batch_size: int = 64, lr: float = 1e-3, rate: float = 0.1,
             seed: int = 0, loss_weights: Optional[LossWeights] = None,
             auxiliary: AuxiliaryWeights = AuxiliaryWeights(),
             validate: Optional[Callable[[], float]] = None,
             validate_every: int = 0,
             mask_fn: Optional[Callable[[Tensor], Tensor]] = None) -> TailFit:
    """Train the fusion and heads for ``steps`` optimiser steps on cached encoder outputs.

    AdamW (weight decay 0.01) under a one-cycle schedule peaking at ``lr``, gradient
    clipping at 5, modality dropout at ``rate``, batches drawn pass by pass in a seeded
    order. ``auxiliary``: extra training terms
    (:mod:`~multimodal_fusion.training.auxiliary`: the expert balance of a mixture of
    experts; contrastive alignment has nothing to train on frozen encoders and is refused).

    With ``validate`` (a score, higher is better, of the model as it stands; called in eval
    mode), the model is checked every ``validate_every`` steps and at the end, and ends
    holding the weights of its best check: training stops on the validation split.
    ``mask_fn`` edits every training batch's presence mask before modality dropout (e.g. a
    single-modality baseline: ``lambda m: keep_only(m, ['audio'])``).

    Raises:
        ValueError: ``steps < 1``, or a contrastive weight (the encoders are frozen here).
    """
    from multimodal_fusion.training.train import DEFAULT_LOSS_WEIGHTS

    if steps < 1:
        raise ValueError(f'steps must be >= 1, got {steps}')
    if auxiliary.contrastive > 0:
        raise ValueError('contrastive alignment acts on the encoders, which the frozen-encoder '
                         'protocol does not train; use training.train --contrastive')
    if encoded.detection is not None and any(
            p.requires_grad for p in model.detection_head.parameters()):
        raise ValueError('cached detections (cache_detections) need a frozen detection head: '
                         'model.detection_head.requires_grad_(False)')
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed + 1)
    params = [p for name, p in model.named_parameters() if name.split('.')[0] not in ENCODERS]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps,
                                                    pct_start=0.1)
    loss_fn = MultiTaskLoss(weights=loss_weights or DEFAULT_LOSS_WEIGHTS)
    config = model.config
    # Every row's targets once: the same for every step that draws the row.
    targets_of = split.targets(encoded.indices.tolist(), grid_hw=config.grid_hw,
                               num_object_classes=config.num_object_classes,
                               num_colors=config.num_colors, num_sizes=config.num_sizes)
    batch_size = min(batch_size, len(encoded.indices))
    tap = FusionTap(model.fusion) if auxiliary.active else None
    epoch_losses: list[float] = []
    checks: list[tuple[int, float]] = []
    best: Optional[tuple[float, int, dict]] = None
    step = 0

    def check() -> None:
        nonlocal best
        model.eval()
        score = float(validate())
        checks.append((step, score))
        if best is None or score > best[0]:
            best = (score, step, {k: v.detach().clone() for k, v in model.state_dict().items()
                                  if k.split('.')[0] not in ENCODERS})
        model.train()

    model.train()
    try:
        while step < steps:
            order = torch.randperm(len(encoded.indices), generator=generator)
            total, count = 0.0, 0
            for start in range(0, len(order) - batch_size + 1, batch_size):
                rows = order[start:start + batch_size]
                mask = encoded.mask[rows]
                if mask_fn is not None:
                    mask = mask_fn(mask)
                mask = modality_dropout(mask, rate, generator)
                targets = {k: v[rows] for k, v in targets_of.items()}
                loss = loss_fn(encoded.tail(model, rows, mask), targets, mask)['total']
                if tap is not None:
                    loss = loss + auxiliary_losses(tap, auxiliary)['total']
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 5.0)
                optimizer.step()
                scheduler.step()
                total += float(loss.detach())
                count += 1
                step += 1
                if validate is not None and (step == steps or (
                        validate_every > 0 and step % validate_every == 0)):
                    check()
                if step == steps:
                    break
            epoch_losses.append(total / max(count, 1))
    finally:
        if tap is not None:
            tap.close()
    if best is not None:
        model.load_state_dict(best[2], strict=False)
    model.eval()
    return TailFit(epoch_losses=epoch_losses, checks=checks,
                   best_step=step if best is None else best[1])


def tail_runner(model: FusionModel, encoded: EncodedSplit, mask_fn=None):
    """A ``run(chunk_indices) -> outputs`` over cached rows.

    It is what :func:`~multimodal_fusion.training.evaluation.score_outputs` takes.

    Args:
        model: the assembled model (its encoders are not called).
        encoded: the cached encoder outputs of the samples that will be asked for.
        mask_fn: edits the presence mask first, as in ``evaluate_split``.
    """
    row_of = {int(i): r for r, i in enumerate(encoded.indices)}

    @torch.inference_mode()
    def run(chunk: Sequence[int]) -> Dict[str, Tensor]:
        rows = torch.tensor([row_of[int(i)] for i in chunk], dtype=torch.long)
        mask = encoded.mask[rows]
        return encoded.tail(model, rows, mask if mask_fn is None else mask_fn(mask))

    return run


@torch.inference_mode()
def expert_usage(model: FusionModel, encoded: EncodedSplit, *,
                 batch_size: int = 256) -> Optional[list[float]]:
    """Mean gate per expert of a mixture-of-experts fusion over every cached row.

    None for a fusion without experts. A balanced mixture gives ``1 / e`` each; a
    collapsed one puts nearly all of it on one expert.
    """
    tap = FusionTap(model.fusion)
    gates = []
    try:
        model.eval()
        for start in range(0, len(encoded.indices), batch_size):
            rows = torch.arange(start, min(start + batch_size, len(encoded.indices)))
            encoded.tail(model, rows)
            gate = expert_gate(model.fusion, tap.tokens, tap.mask)
            if gate is None:
                return None
            gates.append(gate)
    finally:
        tap.close()
    return expert_utilisation(gates)
