# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the shipped model from scratch: ``python -m multimodal_fusion.training.reproduce``.

Generates the training and validation splits (cached), trains the shipped configuration as
two single-threaded data-parallel CPU processes (``torchrun``, gloo) and exports the best
epoch over ``multimodal_fusion/assets/fusion_default.pt`` and its ``.sha256``. 40-55
minutes on a 2-core CPU (data cached). Two one-thread processes, not one two-thread
process: on a shared 2-core machine, intra-op threads keep waiting for each other's time
slices, and the convolutions of one thread are as fast per core anyway.
"""

from __future__ import annotations

import argparse
import sys
from typing import Optional
from typing import Sequence

from multimodal_fusion.inference.engine import default_model_path

PROCESSES = 2
# The shipped model's training run (global batch 64 = 2 x 32); docs/training.md explains
# the choices.
SHIPPED_ARGS: tuple[str, ...] = (
    '--strategy', 'token_early', '--camera-backbone', 'small_cnn', '--epochs', '20',
    '--batch-size', '32', '--lr', '0.002', '--modality-dropout', '0.1',
    '--train-size', '24000', '--val-size', '600', '--random-instants', '0.5', '--augment',
    '--seed', '0', '--device', 'cpu', '--threads', '1',
)


def command(out: str, export: str, *, resume: bool = False) -> list[str]:
    """The ``torchrun`` arguments of the shipped run."""
    args = ['--standalone', '--nproc_per_node', str(PROCESSES), '-m',
            'multimodal_fusion.training.train', *SHIPPED_ARGS, '--out', out, '--export', export]
    return args + (['--resume'] if resume else [])


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.reproduce',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='runs/shipped', help='run folder (checkpoints, history)')
    p.add_argument('--export', default=str(default_model_path()),
                   help='where the model is written (default: the package asset)')
    p.add_argument('--resume', action='store_true', help='continue an interrupted run')
    args = p.parse_args(argv)
    from torch.distributed.run import main as torchrun

    torchrun(command(args.out, args.export, resume=args.resume))
    return 0


if __name__ == '__main__':
    sys.exit(main())
