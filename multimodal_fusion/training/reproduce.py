# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Rebuild the shipped model from scratch: ``python -m multimodal_fusion.training.reproduce``.

Two stages. First the sentence encoder is fine-tuned on commands from three seeds, two at a
time, and the three adapters are averaged into one
(:func:`~multimodal_fusion.training.text_adapter.train_adapter_soup`, about 6 minutes;
``<out>/text_adapter.pt``).
Then the training and validation splits are generated (cached) and read through it, the
shipped configuration is trained as two single-threaded data-parallel CPU processes
(``torchrun``, gloo), and the best epoch is exported, with the adapter, over
``multimodal_fusion/assets/fusion_default.pt`` and its ``.sha256``. About 52 minutes in all on a
quiet 2-core Intel Xeon (the splits generated, their speech cached; docs/training.md has the
breakdown). Two one-thread processes, not one two-thread
process: on a shared 2-core machine, intra-op threads keep waiting for each other's time
slices, and the convolutions of one thread are as fast per core anyway.

``--strategy NAME`` trains the same recipe with another fusion strategy (how a candidate
default is checked end to end), and ``--adapter-from MODEL`` takes that file's text adapter
instead of training one, so the two models read the text alike.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from typing import Optional
from typing import Sequence

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.modules.fusion import FUSION_BUILDERS

PROCESSES = 2
ADAPTER_FILE = 'text_adapter.pt'
# The shipped model's training run (global batch 64 = 2 x 32); docs/training.md explains
# the choices.
SHIPPED_ARGS: tuple[str, ...] = (
    '--strategy', 'token_early', '--camera-backbone', 'small_cnn', '--epochs', '15',
    '--batch-size', '32', '--lr', '0.002', '--modality-dropout', '0.1',
    '--train-size', '24000', '--val-size', '600', '--random-instants', '0.5', '--augment',
    '--relations', '--token-states', '--word-dropout', '0.5',
    '--seed', '0', '--device', 'cpu', '--threads', '1',
)


def adapter_path(out: str) -> pathlib.Path:
    """Where the first stage writes the text adapter."""
    return pathlib.Path(out) / ADAPTER_FILE


def recipe(strategy: Optional[str] = None) -> list[str]:
    """The shipped run's training arguments, with another fusion ``strategy`` if given."""
    args = list(SHIPPED_ARGS)
    if strategy is not None:
        args[args.index('--strategy') + 1] = strategy
    return args


def command(out: str, export: str, *, resume: bool = False,
            strategy: Optional[str] = None) -> list[str]:
    """The ``torchrun`` arguments of the shipped run's second stage."""
    args = ['--standalone', '--nproc_per_node', str(PROCESSES), '-m',
            'multimodal_fusion.training.train', *recipe(strategy), '--out', out,
            '--export', export, '--text-adapter', str(adapter_path(out))]
    return args + (['--resume'] if resume else [])


def train_adapter(out: str, source: Optional[str] = None) -> pathlib.Path:
    """The first stage (skipped when ``out`` already holds its adapter: a resumed run).

    ``source``: a model file whose text adapter is taken instead of training one (the
    shipped soup for a comparison run on the same text reading).
    """
    path = adapter_path(out)
    if path.is_file():
        print(f'using the text adapter of {path}', flush=True)
        return path
    if source is not None:
        from multimodal_fusion.export.model_file import load_model_file
        from multimodal_fusion.export.model_file import ModelFileError

        adapter = load_model_file(source).text_adapter
        if adapter is None:
            raise ModelFileError(source, 'holds no text adapter; leave out --adapter-from '
                                 'to train one')
        _write(path, adapter.to_bytes())
        print(f'wrote {path} (key {adapter.key}, taken from {source})', flush=True)
        return path
    import torch

    from multimodal_fusion.training.text_adapter import train_adapter_soup

    torch.set_num_threads(PROCESSES)
    adapter, _ = train_adapter_soup(processes=PROCESSES,
                                    log=lambda line: print(line, flush=True))
    _write(path, adapter.to_bytes())
    print(f'wrote {path} (key {adapter.key})', flush=True)
    return path


def _write(path: pathlib.Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix('.tmp')
    tmp.write_bytes(data)
    tmp.replace(path)


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.reproduce',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='runs/shipped', help='run folder (checkpoints, history)')
    p.add_argument('--export', default=str(default_model_path()),
                   help='where the model is written (default: the package asset)')
    p.add_argument('--resume', action='store_true', help='continue an interrupted run')
    p.add_argument('--strategy', default=None, choices=sorted(FUSION_BUILDERS),
                   help='train the recipe with another fusion strategy (a candidate '
                        'default; docs/training.md, "The strategy study")')
    p.add_argument('--adapter-from', default=None, metavar='MODEL',
                   help="take the text adapter from this model file's instead of training "
                        'one (for example the shipped model: the same text reading)')
    args = p.parse_args(argv)
    from multimodal_fusion.export.model_file import ModelFileError

    try:
        train_adapter(args.out, args.adapter_from)
    except ModelFileError as error:
        print(f'error: --adapter-from: {error}', file=sys.stderr)
        return 2
    from torch.distributed.run import main as torchrun

    torchrun(command(args.out, args.export, resume=args.resume, strategy=args.strategy))
    return 0


if __name__ == '__main__':
    sys.exit(main())
