# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""How well the sentence encoder's vectors carry a command's meaning across phrasings.

``python -m multimodal_fusion.tools.phrasing_probe [--model MODEL] [--words]``

Generates commands from the training phrasing pool and from the held-out pool (through the
recogniser, at the simulator's default error rate), embeds them with the text encoder the
model uses (:class:`~multimodal_fusion.preprocessing.text_embedder.TextEmbedder`; frozen, or
with ``--model`` fine-tuned by that model file's text adapter), trains a
small MLP probe on the training commands to read action, shape, colour, size and position, and
prints its accuracy per slot on new training-pool commands and on held-out phrasings (the
reference slots on referring commands only), and with ``--words`` per held-out word. A minute
or two on CPU: a cheap check of a phrasing pool before a training run.
"""

from __future__ import annotations

import argparse
from collections import Counter
import pathlib
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import nn

from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.sim import speech
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.training.text_adapter import command_examples
from multimodal_fusion.training.text_adapter import slot_accuracy
from multimodal_fusion.training.text_adapter import SLOT_CLASSES
from multimodal_fusion.training.text_adapter import SLOTS


def train_probe(x: torch.Tensor, y: np.ndarray, epochs: int = 60,
                seed: int = 0) -> nn.Module:
    """A small MLP read-out of every slot, about as deep as the model's text path and heads.

    Input dropout keeps it from leaning on single embedding dimensions.
    """
    torch.manual_seed(seed)
    probe = nn.Sequential(nn.Dropout(0.2), nn.Linear(x.shape[1], 256), nn.GELU(),
                          nn.Dropout(0.1), nn.Linear(256, sum(SLOT_CLASSES)))
    optimizer = torch.optim.AdamW(probe.parameters(), 2e-3, weight_decay=0.01)
    targets = torch.from_numpy(y)
    for _ in range(epochs):
        probe.train()
        for batch in torch.randperm(len(x)).split(128):
            outputs = probe(x[batch] * 5.0).split(SLOT_CLASSES, dim=1)
            loss = sum(nn.functional.cross_entropy(o, targets[batch, k])
                       for k, o in enumerate(outputs))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return probe.eval()


def predict(probe: nn.Module, x: torch.Tensor) -> np.ndarray:
    """``(n, len(SLOTS))`` predicted slot labels."""
    with torch.no_grad():
        outputs = probe(x * 5.0).split(SLOT_CLASSES, dim=1)
    return np.stack([o.argmax(1).numpy() for o in outputs], axis=1)


def word_accuracy(texts: Sequence[str], predicted: np.ndarray,
                  y: np.ndarray) -> list[tuple[str, str, float, int]]:
    """``(slot, held-out word, accuracy, count)`` for every held-out word that occurs."""
    padded = [f' {t} ' for t in texts]
    rows = []
    for k, table in ((1, speech.SHAPE_WORDS), (2, speech.COLOR_WORDS), (3, speech.SIZE_WORDS)):
        for synonyms in table['held_out']:
            for word in synonyms:
                mask = np.array([f' {word} ' in t for t in padded]) & (y[:, k] > 0)
                if mask.any():
                    right = predicted[mask, k] == y[mask, k]
                    rows.append((SLOTS[k], word, float(right.mean()), int(mask.sum())))
    for action, phrases in speech.VERB_PHRASES['held_out'].items():
        for phrase in phrases:
            verb = speech.words(phrase[0] if isinstance(phrase, tuple) else phrase)[0]
            forms = {f' {verb} ', f' {speech.gerund(verb)} '}
            mask = (np.array([any(f in t for f in forms) for t in padded])
                    & (y[:, 0] == ACTIONS.index(action)))
            if mask.any():
                wrong = Counter(ACTIONS[p] for p in predicted[mask, 0] if p != ACTIONS.index(
                    action))
                rows.append(('action', f'{verb} ({action}; wrong: {dict(wrong)})',
                             float((predicted[mask, 0] == y[mask, 0]).mean()),
                             int(mask.sum())))
    return rows


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--train', type=int, default=6000, help='training-pool commands')
    parser.add_argument('--test', type=int, default=700,
                        help='commands per test set (training pool, held-out pool)')
    parser.add_argument('--error-rate', type=float, default=SimConfig().asr_error_rate)
    parser.add_argument('--words', action='store_true', help='accuracy per held-out word')
    parser.add_argument('--model', default=None,
                        help="read the vectors of this model file's fine-tuned encoder (its "
                             'text adapter) instead of the frozen one')
    parser.add_argument('--adapter', default=None,
                        help='read the vectors through this text adapter file (a run '
                             "folder's text_adapter.pt, before the model is trained)")
    args = parser.parse_args(argv)
    if args.model is not None and args.adapter is not None:
        parser.error('give --model or --adapter, not both')
    torch.set_num_threads(2)
    start = time.time()
    adapter = None
    if args.model is not None:
        from multimodal_fusion.export.model_file import load_model_file

        adapter = load_model_file(args.model).text_adapter
        if adapter is None:
            print(f'{args.model} reads the frozen encoder (no text adapter)')
    elif args.adapter is not None:
        from multimodal_fusion.preprocessing.text_adapter import TextAdapter

        adapter = TextAdapter.from_bytes(pathlib.Path(args.adapter).read_bytes())
    embedder = TextEmbedder(cache_size=0, adapter=adapter)

    def embed(texts: list[str]) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(
            [embedder.embed_batch(texts[i:i + 256]) for i in range(0, len(texts), 256)]))

    train_texts, train_y = command_examples('train', args.train, 1, args.error_rate)
    probe = train_probe(embed(train_texts), train_y)
    for name, pool, seed in (('training pool', 'train', 3), ('held-out pool', 'held_out', 2)):
        texts, y = command_examples(pool, args.test, seed, args.error_rate)
        predicted = predict(probe, embed(texts))
        scores = slot_accuracy(predicted, y)
        print(f'{name:14s} ' + '  '.join(f'{s} {v:.3f}' for s, v in scores.items()))
        if args.words and pool == 'held_out':
            for slot, word, accuracy, count in word_accuracy(texts, predicted, y):
                print(f'    {slot:8s} {accuracy:.2f} ({count:3d})  {word}')
    print(f'{time.time() - start:.0f} s')
    return 0


if __name__ == '__main__':
    sys.exit(main())
