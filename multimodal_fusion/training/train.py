# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Train one fusion strategy on simulated data and export the best epoch.

``python -m multimodal_fusion.training.train --strategy gated --out runs/gated``

Shape legend: ``b`` batch, ``m`` modalities (5).

Single process on the CPU or one GPU (``--device auto``); data-parallel when launched by
``torchrun --nproc_per_node N`` (NCCL on GPUs, gloo on CPUs): every rank sees a disjoint
shard of each epoch, rank 0 alone validates, logs, checkpoints and exports. Runs are
reproducible for a given seed and world size: the model initialisation, the epoch
shuffles and the modality-dropout draws are all derived from ``--seed``.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
import json
import math
import os
import pathlib
import random
import sys
import time
from typing import Optional, Sequence

import numpy as np
import torch
from torch import distributed as dist
from torch.utils.data import DataLoader
from torch.utils.data import DistributedSampler
from torch.utils.data import Sampler

from multimodal_fusion.export.model_file import export_model
from multimodal_fusion.inference.engine import select_device
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import CAMERA_BACKBONES
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel
from multimodal_fusion.models.losses import LossWeights
from multimodal_fusion.models.losses import MultiTaskLoss
from multimodal_fusion.modules.fusion import FUSION_BUILDERS
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import OBJECT_CLASSES
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.sim.vocab import SIZES
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.training.augment import augment_camera
from multimodal_fusion.training.augment import augment_text
from multimodal_fusion.training.augment import Augmentation
from multimodal_fusion.training.auxiliary import auxiliary_losses
from multimodal_fusion.training.auxiliary import AuxiliaryWeights
from multimodal_fusion.training.auxiliary import FusionTap
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.dataset import SPLIT_SEEDS
from multimodal_fusion.training.evaluation import evaluate_split
from multimodal_fusion.training.evaluation import LABELS

CHECKPOINT_FILE = 'checkpoint.pt'
BEST_FILE = 'best.pt'
MODEL_FILE = 'model.pt'
HISTORY_FILE = 'history.json'
# Samples the normalisers are fitted on: plenty for per-feature mean/std, and it bounds the
# log-mel pass over raw audio.
NORMALISER_SAMPLES = 2000
# Detection losses start an order of magnitude below the classification ones; the target
# point is the grounding fallback when the referring head flags nothing.
DEFAULT_LOSS_WEIGHTS = LossWeights(det_obj=2.0, det_box=2.0, det_ref=2.0, target_xy=4.0)
# What ``--augment`` draws (see training/augment.py).
AUGMENTATION = Augmentation()


@dataclass(frozen=True)
class TrainSettings:
    """Everything a training run depends on (stored in the checkpoint and the export).

    Attributes:
        strategy: fusion strategy name.
        epochs: passes over the training split.
        batch_size: samples per step per process.
        lr: peak learning rate (AdamW, warm-up then cosine decay per step).
        weight_decay: AdamW weight decay.
        modality_dropout: probability to mask each present modality of a training sample
            (never all of them).
        drop_modality: a modality the model is built without, or ``None``.
        seed: seed of initialisation, shuffling and modality dropout.
        train_size: training samples (split seed ``SPLIT_SEEDS['train']``).
        val_size: validation samples (split seed ``SPLIT_SEEDS['val']``).
        camera_backbone: one of ``CAMERA_BACKBONES``.
        warmup_steps: linear learning-rate warm-up steps.
        random_instants: share of training samples taken at a random labelled instant of
            their episode instead of its anchor (``SimConfig.random_instant_fraction``);
            validation stays on anchors, like the test and CI splits.
        augment: re-expose images and displace sentence embeddings every epoch
            (:mod:`multimodal_fusion.training.augment`, default :class:`Augmentation`).
        contrastive: weight of the InfoNCE alignment between modality embeddings
            (:mod:`multimodal_fusion.training.auxiliary`); 0 leaves it out.
        balance: weight of the mixture-of-experts load-balancing term (other strategies
            ignore it); 0 leaves it out.
        relations: train and validate on commands that also name objects by a relation to
            another one (``SimConfig.relations``), with a referring head that reads them
            (``ModelConfig.relations``).
        token_states: the text input is the sentence encoder's token states rather than
            their mean (``TextSpec(tokens=True)``), read by learned queries
            (:class:`~multimodal_fusion.modules.encoders.text.TextTokenEncoder`).
        word_dropout: with ``token_states``, the share of training samples whose word
            tokens are zeroed (``ModelConfig.word_dropout``).
    """

    strategy: str = 'token_early'
    epochs: int = 12
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 0.01
    modality_dropout: float = 0.1
    drop_modality: Optional[str] = None
    seed: int = 0
    train_size: int = 8000
    val_size: int = 600
    camera_backbone: str = 'small_cnn'
    warmup_steps: int = 100
    random_instants: float = 0.0
    augment: bool = False
    contrastive: float = 0.0
    balance: float = 0.0
    relations: bool = False
    token_states: bool = False
    word_dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.strategy not in FUSION_BUILDERS:
            raise ValueError(f'unknown strategy {self.strategy!r}; expected one of '
                             f'{sorted(FUSION_BUILDERS)}')
        if self.drop_modality is not None and self.drop_modality not in MODALITIES[1:]:
            raise ValueError(f'drop_modality must be one of {MODALITIES[1:]} (the detection '
                             f'head needs the camera), got {self.drop_modality!r}')
        if not 0.0 <= self.modality_dropout < 1.0:
            raise ValueError(f'modality_dropout must be in [0, 1), got {self.modality_dropout}')
        if min(self.epochs, self.batch_size, self.train_size, self.val_size) < 1:
            raise ValueError('epochs, batch_size, train_size and val_size must be >= 1')
        if self.lr <= 0 or self.weight_decay < 0 or self.warmup_steps < 0:
            raise ValueError('need lr > 0, weight_decay >= 0 and warmup_steps >= 0')
        if self.camera_backbone not in CAMERA_BACKBONES:
            raise ValueError(f'camera_backbone must be one of {CAMERA_BACKBONES}, '
                             f'got {self.camera_backbone!r}')
        if not 0.0 <= self.random_instants <= 1.0:
            raise ValueError(f'random_instants must be in [0, 1], got {self.random_instants}')
        if self.contrastive < 0 or self.balance < 0:
            raise ValueError('contrastive and balance weights must be >= 0')
        if not 0.0 <= self.word_dropout < 1.0:
            raise ValueError(f'word_dropout must be in [0, 1), got {self.word_dropout}')
        if self.word_dropout and not self.token_states:
            raise ValueError('word_dropout needs token_states (the pooled text has no words)')

    @property
    def spec(self) -> ModalitySpec:
        """The modality spec of the run's data and model."""
        return dataclasses.replace(DEFAULT_SPEC, text=dataclasses.replace(
            DEFAULT_SPEC.text, tokens=self.token_states))

    @property
    def auxiliary(self) -> AuxiliaryWeights:
        """The auxiliary loss weights of the run."""
        return AuxiliaryWeights(contrastive=self.contrastive, balance=self.balance)


def model_config(settings: TrainSettings) -> ModelConfig:
    """The model configuration a run trains: label counts from the simulator's vocab."""
    modalities = tuple(m for m in MODALITIES if m != settings.drop_modality)
    return ModelConfig(spec=settings.spec, fusion=FusionConfig(modalities=modalities),
                       camera_backbone=settings.camera_backbone,
                       num_situations=len(SITUATIONS), num_actions=len(ACTIONS),
                       num_object_classes=len(OBJECT_CLASSES), num_colors=len(COLORS),
                       num_sizes=len(SIZES), relations=settings.relations,
                       word_dropout=settings.word_dropout)


def modality_dropout(mask: torch.Tensor, rate: float, generator: torch.Generator
                     ) -> torch.Tensor:
    """Mask each present modality with probability ``rate``, keeping one per sample.

    A sample whose draw would mask every present modality keeps one of them, chosen
    uniformly: a model never sees an all-absent sample in training it could learn nothing
    from.

    Inputs:
        mask: ``(b, m)`` bool presence.

    Returns the new ``(b, m)`` mask (a new tensor).
    """
    if rate <= 0.0:
        return mask.clone()
    drop = torch.rand(mask.shape, generator=generator) < rate
    out = mask & ~drop
    emptied = (~out.any(dim=1)) & mask.any(dim=1)
    if bool(emptied.any()):
        scores = torch.rand(mask.shape, generator=generator).masked_fill(~mask, -1.0)
        keep = scores.argmax(dim=1)
        rows = torch.nonzero(emptied).flatten()
        out[rows, keep[rows]] = True
    return out


class _EpochSampler(Sampler[int]):
    """A seeded shuffle per epoch, like ``DistributedSampler`` with one replica."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        g = torch.Generator().manual_seed(self.seed + self.epoch)
        return iter(torch.randperm(self.size, generator=g).tolist())

    def __len__(self) -> int:
        return self.size


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    torch.manual_seed(seed)


def _rng_state() -> dict:
    return {'python': random.getstate(), 'numpy': np.random.get_state(),
            'torch': torch.get_rng_state()}


def _set_rng_state(state: dict) -> None:
    random.setstate(state['python'])
    np.random.set_state(state['numpy'])
    torch.set_rng_state(state['torch'])


def _lr_lambda(total_steps: int, warmup: int):
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.02 + 0.98 * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))
    return factor


def fit_normalisers(model: FusionModel, split: SimulatedSplit, limit: int = NORMALISER_SAMPLES
                    ) -> None:
    """Fit the audio, touch and proprio normalisers on present training samples."""
    mask = np.asarray(split.arrays['mask'][:limit])
    fields = {}
    for name in ('audio', 'touch', 'proprio'):
        rows = np.flatnonzero(mask[:, MODALITIES.index(name)])
        if rows.size:
            fields[name] = torch.from_numpy(np.asarray(split.arrays[name][:limit][rows]))
    model.fit_normalisers(**fields)


def _distributed() -> tuple[int, int, int]:
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local = int(os.environ.get('LOCAL_RANK', '0'))
    return world, rank, local


class Trainer:
    """One training run: data, model, optimiser, loop, checkpoints, export.

    Args:
        settings: what to train.
        out: run folder (checkpoints, history, exported model).
        device: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``.
        workers: dataset generation processes (first run only: splits are cached).
        progress: show tqdm bars (rank 0).
        dataset_root: split cache root (default: ``default_dataset_root()``).
        text_adapter: the sentence encoder's fine-tuning the text is read through (see
            :mod:`~multimodal_fusion.training.text_adapter`); exported with the model.
    """

    def __init__(self, settings: TrainSettings, out: os.PathLike | str, *,
                 device: str = 'auto', workers: int = 2, progress: bool = True,
                 dataset_root: Optional[os.PathLike | str] = None,
                 text_adapter: Optional[TextAdapter] = None) -> None:
        self.settings = settings
        self.text_adapter = text_adapter
        self.out = pathlib.Path(out)
        self.world, self.rank, local = _distributed()
        self.is_main = self.rank == 0
        self.progress = progress and self.is_main
        if self.world > 1 and not dist.is_initialized():
            backend = 'nccl' if torch.cuda.is_available() and device != 'cpu' else 'gloo'
            dist.init_process_group(backend=backend)
        if self.world > 1 and torch.cuda.is_available() and device != 'cpu':
            self.device = torch.device('cuda', local)
            torch.cuda.set_device(self.device)
        else:
            self.device, warning = select_device(device)
            if warning and self.is_main:
                print(warning, file=sys.stderr)
        self.train, self.val = self.load_splits(workers, dataset_root)
        _seed_everything(settings.seed)
        self.config = self.make_config()
        self.model = self.make_model()
        # channels_last: ~1.5x faster convolutions on CPU (oneDNN) and on tensor cores.
        self.model.to(self.device, memory_format=torch.channels_last)
        self.net = self.model
        if self.world > 1:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == 'cuda' else None
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        self.loss = MultiTaskLoss(weights=DEFAULT_LOSS_WEIGHTS)
        # Records the fusion's inputs for the auxiliary terms (none when they are off).
        self.tap = FusionTap(self.model.fusion) if settings.auxiliary.active else None
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=settings.lr,
                                           weight_decay=settings.weight_decay)
        if self.world > 1:
            self.sampler = DistributedSampler(self.train, num_replicas=self.world,
                                              rank=self.rank, shuffle=True, seed=settings.seed,
                                              drop_last=True)
        else:
            self.sampler = _EpochSampler(len(self.train), settings.seed)
        self.loader = DataLoader(self.train, batch_size=settings.batch_size,
                                 sampler=self.sampler, drop_last=True, num_workers=0)
        steps = max(1, len(self.loader)) * settings.epochs
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, _lr_lambda(steps, min(settings.warmup_steps, steps // 5)))
        # Modality dropout draws from its own generator (reseeded every epoch).
        self.dropout_rng = torch.Generator()
        self.epoch = 0
        self.best_score = -1.0
        self.history: list[dict] = []
        self.train_seconds = 0.0

    def load_splits(self, workers: int, dataset_root: Optional[os.PathLike | str]
                    ) -> tuple[SimulatedSplit, SimulatedSplit]:
        """The training and validation splits (simulated; ``bag_training`` reads bags)."""
        settings = self.settings
        # Rank 0 generates the splits; the others wait and then open the cached copies.
        train_config = SimConfig(random_instant_fraction=settings.random_instants,
                                 relations=settings.relations, spec=settings.spec)
        val_config = SimConfig(relations=settings.relations, spec=settings.spec)
        adapter = self.text_adapter
        if self.is_main:
            train = load_split('train', settings.train_size, workers=workers,
                               root=dataset_root, progress=self.progress, config=train_config,
                               text_adapter=adapter)
            val = load_split('val', settings.val_size, workers=workers, root=dataset_root,
                             progress=self.progress, config=val_config, text_adapter=adapter)
        self._barrier()
        if not self.is_main:
            train = load_split('train', settings.train_size, root=dataset_root,
                               progress=False, config=train_config, text_adapter=adapter)
            val = load_split('val', settings.val_size, root=dataset_root, progress=False,
                             config=val_config, text_adapter=adapter)
        return train, val

    def make_config(self) -> ModelConfig:
        """The configuration of the model trained (label counts of the simulator)."""
        return model_config(self.settings)

    def make_model(self) -> FusionModel:
        """A freshly initialised model, its normalisers fitted on the training split."""
        model = build_model(self.settings.strategy, self.config)
        fit_normalisers(model, self.train)
        return model

    def label_names(self) -> dict[str, list[str]]:
        """The class names the exported model's metadata carries."""
        return {k: list(v) for k, v in LABELS.items()}

    def data_summary(self) -> dict:
        """What the exported model was trained on, for its training summary."""
        return {'split_seeds': {'train': SPLIT_SEEDS['train'], 'val': SPLIT_SEEDS['val']}}

    def _barrier(self) -> None:
        if self.world > 1:
            dist.barrier()

    def state(self) -> dict:
        """Everything :meth:`resume` needs to continue exactly."""
        return {
            'settings': dataclasses.asdict(self.settings),
            'model': self.model.state_dict(), 'optimizer': self.optimizer.state_dict(),
            'scheduler': self.scheduler.state_dict(), 'epoch': self.epoch,
            'best_score': self.best_score, 'history': self.history,
            'train_seconds': self.train_seconds, 'rng': _rng_state(),
            'dropout_rng': self.dropout_rng.get_state(),
        }

    def resume(self) -> bool:
        """Load ``checkpoint.pt`` from the run folder if there is one.

        Raises:
            ValueError: if the checkpoint was written with other settings (except epochs,
                which may be raised to train longer).
        """
        path = self.out / CHECKPOINT_FILE
        if not path.is_file():
            return False
        state = torch.load(path, map_location=self.device, weights_only=False)
        # A checkpoint from before a setting existed ran with that setting's default.
        saved = {**dataclasses.asdict(TrainSettings()), **dict(state['settings'])}
        current = dataclasses.asdict(self.settings)
        saved.pop('epochs', None)
        current.pop('epochs', None)
        if saved != current:
            diffs = {k: (saved.get(k), v) for k, v in current.items() if saved.get(k) != v}
            raise ValueError(f'{path} was written with other settings (saved, now): {diffs}')
        self.model.load_state_dict(state['model'])
        self.optimizer.load_state_dict(state['optimizer'])
        self.scheduler.load_state_dict(state['scheduler'])
        self.epoch = int(state['epoch'])
        self.best_score = float(state['best_score'])
        self.history = list(state['history'])
        self.train_seconds = float(state['train_seconds'])
        _set_rng_state(state['rng'])
        self.dropout_rng.set_state(state['dropout_rng'])
        return True

    def train_epoch(self) -> dict[str, float]:
        """One pass over the training split; returns mean losses and running accuracy."""
        from tqdm import tqdm

        s = self.settings
        self.net.train()
        self.sampler.set_epoch(self.epoch)
        # Every random draw of an epoch (dropout layers, modality dropout) is seeded from
        # (seed, epoch, rank), so a resumed run continues exactly on every rank.
        epoch_seed = (s.seed * 1_000_003 + self.epoch) * 1009 + self.rank
        torch.manual_seed(epoch_seed)
        self.dropout_rng.manual_seed(epoch_seed + 1)
        totals: dict[str, float] = {}
        correct = seen = steps = 0
        bar = tqdm(self.loader, desc=f'epoch {self.epoch + 1}/{s.epochs}', unit='batch',
                   disable=not self.progress, dynamic_ncols=True)
        for camera, audio, text, touch, proprio, mask, index in bar:
            mask = modality_dropout(mask, s.modality_dropout, self.dropout_rng)
            if s.augment:
                camera = augment_camera(camera, AUGMENTATION, self.dropout_rng)
                text = augment_text(text, mask[:, MODALITIES.index('text')], AUGMENTATION,
                                    self.dropout_rng)
            targets = self.train.targets(index.tolist(), grid_hw=self.config.grid_hw,
                                         num_object_classes=self.config.num_object_classes,
                                         num_colors=self.config.num_colors,
                                         num_sizes=self.config.num_sizes)
            camera = camera.contiguous(memory_format=torch.channels_last)
            inputs = [t.to(self.device, non_blocking=True)
                      for t in (camera, audio, text, touch, proprio, mask)]
            targets = {k: v.to(self.device, non_blocking=True) for k, v in targets.items()}
            outputs = self.net(*inputs)
            losses = self.loss(outputs, targets, inputs[5])
            if self.tap is not None:
                extra = auxiliary_losses(self.tap, s.auxiliary)
                losses['total'] = losses['total'] + extra.pop('total')
                losses.update(extra)
            self.optimizer.zero_grad(set_to_none=True)
            losses['total'].backward()
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.optimizer.step()
            self.scheduler.step()
            steps += 1
            for name, value in losses.items():
                totals[name] = totals.get(name, 0.0) + float(value.detach())
            pred = outputs['situation_logits'].argmax(-1)
            correct += int((pred == targets['situation']).sum())
            seen += int(pred.numel())
            bar.set_postfix(loss=f'{totals["total"] / steps:.3f}',
                            sit_acc=f'{correct / max(seen, 1):.3f}',
                            lr=f'{self.scheduler.get_last_lr()[0]:.1e}')
        bar.close()
        out = {f'loss_{k}': round(v / max(steps, 1), 5) for k, v in totals.items()}
        out['train_situation_accuracy'] = round(correct / max(seen, 1), 4)
        return out

    def validate(self) -> dict[str, float]:
        self.model.eval()
        return evaluate_split(self.model, self.val, device=self.device,
                              batch_size=128).summary()

    def fit(self, until_epoch: Optional[int] = None) -> dict:
        """Train the remaining epochs, or up to ``until_epoch`` to stop early.

        Training resumes later on the same schedule.

        Returns:
            The last history entry.
        """
        s = self.settings
        self.out.mkdir(parents=True, exist_ok=True)
        last = s.epochs if until_epoch is None else min(until_epoch, s.epochs)
        while self.epoch < last:
            start = time.perf_counter()
            record = self.train_epoch()
            self.train_seconds += time.perf_counter() - start
            self.epoch += 1
            if self.is_main:
                record.update(self.validate())
                record['epoch'] = self.epoch
                record['train_seconds'] = round(self.train_seconds, 1)
                score = selection_score_dict(record)
                if score > self.best_score:
                    self.best_score = score
                    torch.save({'model': self.model.state_dict(), 'epoch': self.epoch,
                                'metrics': record}, self.out / BEST_FILE)
                self.history.append(record)
                torch.save(self.state(), self.out / CHECKPOINT_FILE)
                (self.out / HISTORY_FILE).write_text(json.dumps(self.history, indent=1))
                print(json.dumps(record), flush=True)
            self._barrier()
        return self.history[-1] if self.history else {}

    def export(self, path: Optional[os.PathLike | str] = None) -> pathlib.Path:
        """Export the best epoch's weights (rank 0) to ``path`` (default ``out/model.pt``)."""
        best = torch.load(self.out / BEST_FILE, map_location='cpu', weights_only=False)
        model = build_model(self.settings.strategy, self.config, pretrained_camera=False)
        model.load_state_dict(best['model'])
        model.eval()
        summary = {
            'settings': dataclasses.asdict(self.settings),
            **self.data_summary(),
            'best_epoch': int(best['epoch']),
            'epochs_trained': self.epoch,
            'val_metrics': {k: v for k, v in best['metrics'].items()
                            if not k.startswith('loss_')},
            'train_seconds': round(self.train_seconds, 1),
            'world_size': self.world,
            'device': str(self.device),
            'torch': torch.__version__,
        }
        return export_model(model, path or self.out / MODEL_FILE,
                            labels=self.label_names(),
                            strategy=self.settings.strategy, config=self.config,
                            training_summary=summary, text_adapter=self.text_adapter)

    def close(self) -> None:
        if self.world > 1 and dist.is_initialized():
            dist.destroy_process_group()


def selection_score_dict(record: dict) -> float:
    """:func:`selection_score` of a history record."""
    return (record['situation_f1'] + record['action_accuracy'] + record['grounding']) / 3.0


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    defaults = TrainSettings()
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.train',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--strategy', default=None, choices=sorted(FUSION_BUILDERS),
                   help='fusion strategy (required, except with --finetune: its strategy)')
    p.add_argument('--epochs', type=int, default=defaults.epochs)
    p.add_argument('--batch-size', type=int, default=defaults.batch_size)
    p.add_argument('--lr', type=float, default=defaults.lr)
    p.add_argument('--weight-decay', type=float, default=defaults.weight_decay)
    p.add_argument('--modality-dropout', type=float, default=defaults.modality_dropout,
                   metavar='RATE')
    p.add_argument('--drop-modality', choices=MODALITIES[1:], default=None,
                   help='build and train the model without this modality')
    p.add_argument('--seed', type=int, default=defaults.seed)
    p.add_argument('--train-size', type=int, default=defaults.train_size)
    p.add_argument('--val-size', type=int, default=defaults.val_size)
    p.add_argument('--camera-backbone', choices=CAMERA_BACKBONES,
                   default=defaults.camera_backbone)
    p.add_argument('--warmup-steps', type=int, default=defaults.warmup_steps)
    p.add_argument('--out', required=True, help='run folder')
    p.add_argument('--export', default=None,
                   help='also write the exported model here (e.g. the package asset)')
    p.add_argument('--resume', action='store_true', help='continue from out/checkpoint.pt')
    p.add_argument('--device', default='auto', help='auto, cpu, cuda or cuda:N')
    p.add_argument('--threads', type=int, default=0,
                   help='torch CPU threads per process (0: torch default)')
    p.add_argument('--random-instants', type=float, default=defaults.random_instants,
                   help='share of training samples at random labelled episode instants '
                        'instead of anchors')
    p.add_argument('--augment', action='store_true',
                   help='re-expose images and displace sentence embeddings every epoch')
    p.add_argument('--contrastive', type=float, default=defaults.contrastive, metavar='W',
                   help='weight of an InfoNCE alignment between modality embeddings (0: off)')
    p.add_argument('--balance', type=float, default=defaults.balance, metavar='W',
                   help='weight of the mixture-of-experts load-balancing term (0: off)')
    p.add_argument('--relations', action='store_true',
                   help="also name objects by a relation to another one ('the cube left of "
                        "the ball'; the shipped recipe does, see docs/training.md)")
    p.add_argument('--token-states', action='store_true',
                   help="read the command's token states instead of their mean (keeps "
                        'word order; see docs/training.md)')
    p.add_argument('--word-dropout', type=float, default=defaults.word_dropout, metavar='P',
                   help='with --token-states, zero the word tokens of this share of training '
                        'samples so the sentence tokens carry the intent alone')
    p.add_argument('--workers', type=int, default=2, help='dataset generation processes')
    p.add_argument('--text-adapter', type=pathlib.Path, default=None, metavar='FILE',
                   help='read text through the sentence encoder fine-tuned by this adapter '
                        '(python -m multimodal_fusion.training.text_adapter); with '
                        "--finetune, the model file's own adapter is the default")
    p.add_argument('--no-progress', action='store_true')
    bags = p.add_argument_group('training on labelled bags (docs/bag_training.md)')
    bags.add_argument('--bags', nargs='+', type=pathlib.Path, default=None, metavar='BAG',
                      help='rosbag2 bags with labels (a label file beside metadata.yaml or a '
                           '/labels topic); the heads take the label names they declare')
    bags.add_argument('--val-bags', nargs='+', type=pathlib.Path, default=None, metavar='BAG',
                      help='validation bags (default: a fifth of --bags, chosen by name)')
    bags.add_argument('--finetune', type=pathlib.Path, default=None, metavar='MODEL',
                      help='start from this model file (e.g. the shipped one): every weight '
                           'whose shape fits; heads of other label counts start fresh')
    bags.add_argument('--params', type=pathlib.Path, default=None,
                      help="the node's params file the bags are cut with (topics, sync)")
    bags.add_argument('--namespace', default='/', help="the node's namespace")
    args = p.parse_args(argv)
    if args.finetune is not None and args.bags is None:
        p.error('--finetune needs --bags')
    if args.strategy is None:
        if args.finetune is None:
            p.error('--strategy is required (except with --finetune)')
        from multimodal_fusion.export.model_file import load_model

        try:
            args.strategy = load_model(args.finetune)[1]['strategy']
        except ValueError as error:
            p.error(f'--finetune: {error}')
    return args


def settings_from_args(args: argparse.Namespace) -> TrainSettings:
    return TrainSettings(strategy=args.strategy, epochs=args.epochs, batch_size=args.batch_size,
                         lr=args.lr, weight_decay=args.weight_decay,
                         modality_dropout=args.modality_dropout,
                         drop_modality=args.drop_modality, seed=args.seed,
                         train_size=args.train_size, val_size=args.val_size,
                         camera_backbone=args.camera_backbone,
                         warmup_steps=args.warmup_steps,
                         random_instants=args.random_instants, augment=args.augment,
                         contrastive=args.contrastive, balance=args.balance,
                         relations=args.relations, token_states=args.token_states,
                         word_dropout=args.word_dropout)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        settings = settings_from_args(args)
        adapter = (TextAdapter.from_file(args.text_adapter) if args.text_adapter is not None
                   else None)
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    if args.bags is not None:
        from multimodal_fusion.training.bag_training import BagData
        from multimodal_fusion.training.bag_training import train_from_bags

        data = BagData(bags=tuple(args.bags),
                       val_bags=tuple(args.val_bags) if args.val_bags else None,
                       params=args.params, namespace=args.namespace, text_adapter=adapter)
        try:
            return train_from_bags(settings, args.out, data=data, finetune=args.finetune,
                                   export=args.export, device=args.device,
                                   progress=not args.no_progress, resume=args.resume)
        except (ValueError, FileNotFoundError) as error:
            print(f'error: {error}', file=sys.stderr)
            return 2
    trainer = Trainer(settings, args.out, device=args.device, workers=args.workers,
                      progress=not args.no_progress, text_adapter=adapter)
    try:
        if args.resume and trainer.resume() and trainer.is_main:
            print(f'resumed {args.out} at epoch {trainer.epoch}', flush=True)
        trainer.fit()
        if trainer.is_main:
            path = trainer.export()
            print(f'exported {path}', flush=True)
            if args.export:
                print(f'exported {trainer.export(args.export)}', flush=True)
        return 0
    finally:
        trainer.close()


if __name__ == '__main__':
    sys.exit(main())
