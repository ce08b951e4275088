# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""How well the frozen sentence encoder's vectors carry a command's meaning across phrasings.

``python -m multimodal_fusion.tools.phrasing_probe``

Generates commands from the training phrasing pool and from the held-out pool (through the
recogniser, at the simulator's default error rate), embeds them with the text encoder the
model uses (:class:`~multimodal_fusion.preprocessing.text_embedder.TextEmbedder`), trains a
small MLP probe on the training commands to read action, shape, colour, size and position, and
prints its accuracy per slot on new training-pool commands and on held-out phrasings (the
reference slots on referring commands only), and with ``--words`` per held-out word. A minute
or two on CPU: a cheap check of a phrasing pool before a training run.
"""

from __future__ import annotations

import argparse
from collections import Counter
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
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import POSITIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

SLOTS: tuple[str, ...] = ('action', 'shape', 'color', 'size', 'position')
# Classes per slot: the action, then each reference word with 'not said' as class 0.
_CLASSES = (len(ACTIONS), len(SHAPES) + 1, len(COLORS) + 1, len(SIZES) + 1,
            len(POSITIONS) + 1)


def commands(pool: str, count: int, seed: int,
             error_rate: float) -> tuple[list[str], np.ndarray]:
    """``count`` recognised commands of ``pool`` and their ``(n, 5)`` slot labels."""
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for command in speech.random_commands(rng, pool, count):
        reference = command.reference
        texts.append(speech.recognise(rng, command.spoken, error_rate))
        words = (0, 0, 0, 0)
        if reference is not None:
            words = tuple(0 if v is None else 1 + v for v in (
                reference.shape, reference.color, reference.size,
                None if reference.position is None else POSITIONS.index(reference.position)))
        labels.append((command.action,) + words)
    return texts, np.array(labels, dtype=np.int64)


def train_probe(x: torch.Tensor, y: np.ndarray, epochs: int = 60,
                seed: int = 0) -> nn.Module:
    """A small MLP read-out of every slot, about as deep as the model's text path and heads.

    Input dropout keeps it from leaning on single embedding dimensions.
    """
    torch.manual_seed(seed)
    probe = nn.Sequential(nn.Dropout(0.2), nn.Linear(x.shape[1], 256), nn.GELU(),
                          nn.Dropout(0.1), nn.Linear(256, sum(_CLASSES)))
    optimizer = torch.optim.AdamW(probe.parameters(), 2e-3, weight_decay=0.01)
    targets = torch.from_numpy(y)
    for _ in range(epochs):
        probe.train()
        for batch in torch.randperm(len(x)).split(128):
            outputs = probe(x[batch] * 5.0).split(_CLASSES, dim=1)
            loss = sum(nn.functional.cross_entropy(o, targets[batch, k])
                       for k, o in enumerate(outputs))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return probe.eval()


def predict(probe: nn.Module, x: torch.Tensor) -> np.ndarray:
    """``(n, 5)`` predicted slot labels."""
    with torch.no_grad():
        outputs = probe(x * 5.0).split(_CLASSES, dim=1)
    return np.stack([o.argmax(1).numpy() for o in outputs], axis=1)


def slot_accuracy(predicted: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy per slot; reference slots on referring commands only."""
    referring = np.isin(y[:, 0], [ACTIONS.index(a) for a in REFERRING_ACTIONS])
    return {slot: float((predicted[mask, k] == y[mask, k]).mean())
            for k, slot in enumerate(SLOTS)
            for mask in [np.ones(len(y), bool) if k == 0 else referring]}


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
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    start = time.time()
    embedder = TextEmbedder(cache_size=0)

    def embed(texts: list[str]) -> torch.Tensor:
        return torch.from_numpy(np.concatenate(
            [embedder.embed_batch(texts[i:i + 256]) for i in range(0, len(texts), 256)]))

    train_texts, train_y = commands('train', args.train, 1, args.error_rate)
    probe = train_probe(embed(train_texts), train_y)
    for name, pool, seed in (('training pool', 'train', 3), ('held-out pool', 'held_out', 2)):
        texts, y = commands(pool, args.test, seed, args.error_rate)
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
