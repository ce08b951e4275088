# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""How much recorded data a model needs: accuracy against minutes of labelled bags.

``python -m multimodal_fusion.training.bag_learning_curve --work /tmp/curve --sizes 1 2 4 6``

Records simulator bags labelled in a team's own names
(:data:`~multimodal_fusion.training.bag_testing.TEAM_MAPPING`: situations merged, renamed
and dropped, a subset of actions), one simulator seed per bag, and held-out validation
bags of other seeds; for each size trains on the first ``n`` bags (``--finetune``: from the
shipped model's weights, else from scratch) and scores the exported model on the held-out
bags. Prints a Markdown table: recorded minutes, labelled frames, situation accuracy and
macro-F1, action accuracy, the majority-class rate of the held-out bags, training seconds.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
import time
from typing import Optional
from typing import Sequence

from multimodal_fusion.export.model_file import load_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.training.bag_testing import record_team_bag
from multimodal_fusion.training.bag_training import BagData
from multimodal_fusion.training.bag_training import BagTrainer
from multimodal_fusion.training.bag_training import evaluate_bag_split
from multimodal_fusion.training.bag_training import majority_rate
from multimodal_fusion.training.train import MODEL_FILE
from multimodal_fusion.training.train import TrainSettings

TRAIN_SEED = 100
VAL_SEED = 999
SMALL = ModelConfig(fusion=FusionConfig(dim=64), camera_width=16, head_hidden=64)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.bag_learning_curve',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--work', type=pathlib.Path, required=True,
                   help='folder for the bags, the runs and the cache')
    p.add_argument('--sizes', type=int, nargs='+', default=[1, 2, 4, 6],
                   help='training bags per point (each about 77 s of simulator time)')
    p.add_argument('--val-bags', type=int, default=2, help='held-out bags (other seeds)')
    p.add_argument('--camera-rate', type=float, default=5.0)
    p.add_argument('--epochs', type=int, default=2)
    p.add_argument('--finetune', type=pathlib.Path, default=None, metavar='MODEL')
    p.add_argument('--strategy', default='token_early')
    p.add_argument('--small', action='store_true',
                   help='from scratch: a small model (token width 64, camera width 16)')
    p.add_argument('--threads', type=int, default=2)
    args = p.parse_args(argv)
    if min(args.sizes) < 1 or args.val_bags < 1:
        p.error(f'--sizes and --val-bags need at least one bag each: {args.sizes}, '
                f'{args.val_bags}')
    import torch

    torch.set_num_threads(args.threads)
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    seeds = [VAL_SEED + j for j in range(args.val_bags)]
    seeds += [TRAIN_SEED + i for i in range(1, max(args.sizes) + 1)]
    bags = []
    for seed in seeds:
        bag = work / f'bag_seed{seed}'
        if not bag.exists():
            record_team_bag(bag, seed=seed, camera_rate_hz=args.camera_rate)
        bags.append(bag)
    val_bags, train_bags = tuple(bags[:args.val_bags]), bags[args.val_bags:]
    root = work / 'cache'
    strategy = args.strategy
    if args.finetune is not None:
        strategy = load_model(args.finetune)[1]['strategy']
    rows = []
    for n in args.sizes:
        used = train_bags[:n]
        minutes = sum(_duration_s(b) for b in used) / 60.0
        settings = TrainSettings(strategy=strategy, epochs=args.epochs, batch_size=32,
                                 lr=1e-3, warmup_steps=10)
        mode = 'finetune' if args.finetune else 'small' if args.small else 'scratch'
        out = work / f'{mode}_run_{n}'
        start = time.perf_counter()
        trainer = BagTrainer(settings, out, finetune=args.finetune, progress=False,
                             base_config=SMALL if args.small else None,
                             device='cpu', dataset_root=root, log=lambda *a: None,
                             data=BagData(bags=tuple(used) + val_bags, val_bags=val_bags))
        cut_s = time.perf_counter() - start
        start = time.perf_counter()
        trainer.fit()
        train_s = time.perf_counter() - start
        model = trainer.export(out / MODEL_FILE)
        module, _ = load_model(model)
        # The trainer's own validation split: cut with the model's spec (pooled text or
        # token states) and read through its sentence encoder, as the node would read it.
        val = trainer.val
        scores = evaluate_bag_split(module, val).summary()
        row = {'bags': n, 'minutes': round(minutes, 2), 'frames': len(trainer.train),
               **scores, 'majority': round(majority_rate(val), 4),
               'train_s': round(train_s, 1), 'cut_s': round(cut_s, 1)}
        print(json.dumps(row), flush=True)
        rows.append(row)
    print(f'\nheld out: {len(val)} frames of {len(val_bags)} bags '
          f'({sum(_duration_s(b) for b in val_bags) / 60:.1f} min)')
    print('| recorded min | labelled frames | situation acc. (%) | situation F1 (%) | '
          'action acc. (%) | majority class (%) | training (s) |')
    print('|--:|--:|--:|--:|--:|--:|--:|')
    for r in rows:
        print(f'| {r["minutes"]:.1f} | {r["frames"]} | {100 * r["situation_accuracy"]:.1f} | '
              f'{100 * r["situation_f1"]:.1f} | {100 * r["action_accuracy"]:.1f} | '
              f'{100 * r["majority"]:.1f} | {r["train_s"]:.0f} |')
    return 0


def _duration_s(bag: pathlib.Path) -> float:
    from multimodal_fusion.ros.bag_labels import bag_time_range

    r = bag_time_range(bag)
    return (r.end_ns - r.start_ns) / 1e9


if __name__ == '__main__':
    sys.exit(main())
