# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fine-tune the sentence encoder on commands, the first stage of the shipped model's training.

``python -m multimodal_fusion.training.text_adapter --out FILE``

Shape legend: ``b`` utterances, ``l`` tokens, ``e`` embedding width (384), ``r`` rank.

all-MiniLM-L6-v2 gets low-rank adapters on
every linear layer (LoRA) and trainable biases and layer norms; a small read-out of what
the fusion model sees (the mean-pooled, L2-normalised vector, or with ``--readout tokens``
the token states, one learned attention pool per word slot) learns each command's
action and the shape, colour, size and position words of its reference (and its relation
to another object, with that object's shape and colour), from
training-pool commands through the simulated recogniser, and bystander chatter (action
'none'). The read-out is thrown away; the adapter
(:class:`~multimodal_fusion.preprocessing.text_adapter.TextAdapter`) goes into the model
file. Two epochs over 8000 utterances take about 2-3 minutes on 2 CPU cores.

Why: the frozen vector cannot be read well for phrasings training never saw (an MLP probe
reaches action 0.81 and shape 0.78 on the held-out pool); fine-tuning lets the encoder put
the words people use for an intent together, which carries over to words it was not shown
(see docs/training.md for the figures). Needs ``transformers`` (installed by setup), like
the text encoder's exporter.
"""

from __future__ import annotations

import argparse
import dataclasses
import pathlib
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.modules.layers.pooling import QueryPool
from multimodal_fusion.preprocessing.text_adapter import average_adapters
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.sim import speech
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import COLORS
from multimodal_fusion.sim.vocab import POSITIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.sim.vocab import RELATIONS
from multimodal_fusion.sim.vocab import SHAPES
from multimodal_fusion.sim.vocab import SIZES

SLOTS: tuple[str, ...] = ('action', 'shape', 'color', 'size', 'position', 'relation',
                          'anchor_shape', 'anchor_color')
# Classes per slot: the action, then each reference word (Reference.word_indices order)
# with 'not said' as class 0.
SLOT_CLASSES: tuple[int, ...] = (len(ACTIONS), len(SHAPES) + 1, len(COLORS) + 1,
                                 len(SIZES) + 1, len(POSITIONS) + 1, len(RELATIONS) + 1,
                                 len(SHAPES) + 1, len(COLORS) + 1)
# Scale of the unit-norm sentence vector at the read-out's input (cosine logits).
_INPUT_SCALE = 5.0
# The shipped adapter is the soup of these seeds' fine-tunings (train_adapter_soup).
SOUP_SEEDS: tuple[int, ...] = (0, 1, 2)
READOUTS: tuple[str, ...] = ('mean', 'tokens')


def command_examples(pool: str, count: int, seed: int, error_rate: float,
                     chatter_fraction: float = 0.0,
                     relations: bool = False) -> tuple[list[str], np.ndarray]:
    """Recognised utterances of a phrasing pool and their ``(n, len(SLOTS))`` slot labels.

    Args:
        pool: ``'train'`` or ``'held_out'``.
        count: commands (every action in turn; referring ones about a random scene).
        seed: seed of every draw.
        error_rate: the recogniser's word error rate.
        chatter_fraction: bystander sentences added, as a fraction of ``count``
            (action 'none', nothing referred to).
        relations: some references say a relation to another object.
    """
    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for command in speech.random_commands(rng, pool, count, relations=relations):
        reference = command.reference
        texts.append(speech.recognise(rng, command.spoken, error_rate))
        words = (0,) * (len(SLOTS) - 1)
        if reference is not None:
            words = tuple(1 + v for v in reference.word_indices())
        labels.append((command.action,) + words)
    sentences = speech.chatter(pool)
    for _ in range(int(round(count * chatter_fraction))):
        texts.append(speech.recognise(rng, sentences[int(rng.integers(len(sentences)))],
                                      error_rate))
        labels.append((ACTIONS.index('none'),) + (0,) * (len(SLOTS) - 1))
    return texts, np.array(labels, dtype=np.int64)


def slot_loss(outputs: Sequence[Tensor], labels: Tensor) -> Tensor:
    """The read-out's loss: cross-entropy per slot, the anchor's words where a relation is said.

    Elsewhere the anchor is 'not said' by definition, and learning that over and over only
    pulls the shared read-out away from the words that are said.
    """
    related = labels[:, SLOTS.index('relation')] > 0
    loss = labels.new_zeros((), dtype=torch.float32)
    for k, (slot, logits) in enumerate(zip(SLOTS, outputs)):
        if slot.startswith('anchor_'):
            if not bool(related.any()):
                continue
            logits, target = logits[related], labels[related, k]
        else:
            target = labels[:, k]
        loss = loss + nn.functional.cross_entropy(logits, target)
    return loss


def slot_accuracy(predicted: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Accuracy per slot.

    The reference slots count on referring commands; the anchor's words, and the relation
    again as ``relation_said``, on those that say a relation (left out without any).
    """
    referring = np.isin(labels[:, 0], [ACTIONS.index(a) for a in REFERRING_ACTIONS])
    related = labels[:, SLOTS.index('relation')] > 0
    masks = {slot: referring for slot in SLOTS}
    masks['action'] = np.ones(len(labels), bool)
    if related.any():
        masks.update(anchor_shape=related, anchor_color=related, relation_said=related)
    else:
        del masks['anchor_shape'], masks['anchor_color']
    column = {slot: k for k, slot in enumerate(SLOTS)}
    column['relation_said'] = column['relation']
    return {slot: float((predicted[mask, column[slot]] == labels[mask, column[slot]]).mean())
            for slot, mask in masks.items()}


def with_mean_item(states: Tensor, present: Tensor) -> tuple[Tensor, Tensor]:
    """Token states with their masked mean put first, as one more item to attend to.

    The mean reads intents best on phrasings training never saw, the tokens say which word
    belongs to which object; a slot's attention pool can take either.

    Inputs:
        states: ``(b, l, e)``.
        present: ``(b, l)`` bool, the utterance's tokens.

    Returns ``(b, 1 + l, e)`` items and their ``(b, 1 + l)`` mask.
    """
    weights = present.unsqueeze(-1).to(states.dtype)
    mean = (states * weights).sum(dim=1, keepdim=True) / weights.sum(
        dim=1, keepdim=True).clamp_min(1.0)
    return (torch.cat([mean, states], dim=1),
            torch.cat([present.any(dim=1, keepdim=True), present], dim=1))


class LoRALinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update ``x @ a.T @ b.T``.

    ``b`` starts at zero, so training starts from the pretrained layer exactly.

    Args:
        linear: the pretrained layer (its weight stays frozen; its bias may train).
        rank: ``r``.
        seed_generator: draws ``a``.
    """

    def __init__(self, linear: nn.Linear, rank: int, seed_generator: torch.Generator) -> None:
        super().__init__()
        self.linear = linear
        self.a = nn.Parameter(torch.randn(rank, linear.in_features, generator=seed_generator)
                              / linear.in_features ** 0.5)
        self.b = nn.Parameter(torch.zeros(linear.out_features, rank))

    def forward(self, x: Tensor) -> Tensor:
        return self.linear(x) + (x @ self.a.t()) @ self.b.t()


@dataclasses.dataclass(frozen=True)
class AdapterSettings:
    """How the adapter is trained (the defaults are the shipped model's)."""

    commands: int = 8000
    chatter_fraction: float = 0.15
    epochs: int = 2
    rank: int = 64
    lr: float = 5e-4
    batch_size: int = 32
    seed: int = 0
    error_rate: float = SimConfig().asr_error_rate
    max_tokens: int = 32
    relations: bool = False  # commands naming relations to another object (SimConfig)
    # What the read-out sees: 'mean' the mean-pooled sentence vector, 'tokens' the token
    # states (one learned attention pool per slot), as the fusion model's text input does.
    readout: str = 'mean'

    def __post_init__(self) -> None:
        if self.commands < 1 or self.epochs < 1 or self.rank < 1 or self.batch_size < 1:
            raise ValueError(f'commands, epochs, rank and batch_size must be >= 1: {self}')
        if not self.lr > 0 or not 0.0 <= self.chatter_fraction <= 1.0:
            raise ValueError(f'need lr > 0 and 0 <= chatter_fraction <= 1: {self}')
        if self.readout not in READOUTS:
            raise ValueError(f'readout must be one of {READOUTS}, got {self.readout!r}')


_ADAPTED = (('attention', 'self', 'query'), ('attention', 'self', 'key'),
            ('attention', 'self', 'value'), ('attention', 'output', 'dense'),
            ('intermediate', 'dense'), ('output', 'dense'))


class _AdaptedEncoder(nn.Module):
    """The Hugging Face BERT with LoRA layers and a slot read-out.

    The read-out sees the mean-pooled vector (``readout='mean'``) or the token states
    (``'tokens'``: one learned attention pool per slot over the token states and their mean,
    then the same MLP for every slot, each slot keeping its own classes' logits).
    """

    def __init__(self, bert: nn.Module, rank: int, generator: torch.Generator,
                 readout: str = 'mean') -> None:
        super().__init__()
        self.bert = bert
        for p in bert.parameters():
            p.requires_grad = False
        self.lora: dict[str, LoRALinear] = {}
        for index, layer in enumerate(bert.encoder.layer):
            for path in _ADAPTED:
                parent = layer
                for part in path[:-1]:
                    parent = getattr(parent, part)
                wrapped = LoRALinear(getattr(parent, path[-1]), rank, generator)
                setattr(parent, path[-1], wrapped)
                self.lora['.'.join(('encoder', 'layer', str(index)) + path) + '.weight'] = wrapped
        self.tuned = {name: p for name, p in bert.named_parameters()
                      if name.startswith('encoder.')
                      and name.endswith(('.bias', 'LayerNorm.weight'))}
        for p in self.tuned.values():
            p.requires_grad = True
        width = bert.config.hidden_size
        self.pool = QueryPool(width, len(SLOTS), num_heads=6) if readout == 'tokens' else None
        self.readout = nn.Sequential(nn.Dropout(0.1), nn.Linear(width, 256), nn.GELU(),
                                     nn.Linear(256, sum(SLOT_CLASSES)))

    def embed(self, ids: Tensor, attention: Tensor) -> Tensor:
        """``(b, e)`` unit-norm mean-pooled vectors, as the exported encoder computes them."""
        hidden = self.bert(input_ids=ids, attention_mask=attention, return_dict=False)[0]
        weights = attention.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp_min(1e-9)
        return nn.functional.normalize(pooled, dim=1)

    def token_states(self, ids: Tensor, attention: Tensor) -> Tensor:
        """``(b, l, e)`` token states, as the exported encoder's token output computes them."""
        return self.bert(input_ids=ids, attention_mask=attention, return_dict=False)[0]

    def forward(self, ids: Tensor, attention: Tensor) -> list[Tensor]:
        if self.pool is None:
            return list(self.readout(self.embed(ids, attention) * _INPUT_SCALE).split(
                SLOT_CLASSES, dim=1))
        items, mask = with_mean_item(self.token_states(ids, attention), attention > 0)
        per_slot = self.readout(self.pool(items, mask))
        return [logits[:, k] for k, logits in enumerate(per_slot.split(SLOT_CLASSES, dim=2))]

    def adapter(self, summary: dict) -> TextAdapter:
        """Return what training changed, as a :class:`TextAdapter`."""
        from multimodal_fusion.export.text_encoder import SOURCE_MODEL

        lora = {name: (m.a.detach().clone(), m.b.detach().clone())
                for name, m in self.lora.items()}
        # 'encoder.layer.0.attention.self.query.linear.bias' is the BertModel's
        # 'encoder.layer.0.attention.self.query.bias'.
        values = {name.replace('.linear.', '.'): p.detach().clone()
                  for name, p in self.tuned.items()}
        return TextAdapter(lora=lora, values=values, base_model=SOURCE_MODEL, summary=summary)


def _load_bert() -> tuple[nn.Module, object]:
    from transformers import AutoModel
    from transformers import AutoTokenizer

    from multimodal_fusion.export.text_encoder import source_model_path

    path = str(source_model_path())
    return (AutoModel.from_pretrained(path, attn_implementation='eager'),
            AutoTokenizer.from_pretrained(path))


def train_text_adapter(settings: AdapterSettings = AdapterSettings(), *,
                       log=print) -> tuple[TextAdapter, dict[str, dict[str, float]]]:
    """Train an adapter; returns it and its read-out's slot accuracy per phrasing pool.

    The held-out pool's figures are measured only (it is never trained on).
    """
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    bert, tokenizer = _load_bert()
    model = _AdaptedEncoder(bert, settings.rank, generator, settings.readout)
    texts, labels = command_examples('train', settings.commands, settings.seed,
                                     settings.error_rate, settings.chatter_fraction,
                                     relations=settings.relations)

    def tokens(batch: Sequence[str]) -> tuple[Tensor, Tensor]:
        encoded = tokenizer(list(batch), padding=True, truncation=True,
                            max_length=settings.max_tokens, return_tensors='pt')
        return encoded['input_ids'], encoded['attention_mask']

    lora = [p for m in model.lora.values() for p in (m.a, m.b)]
    optimizer = torch.optim.AdamW([
        {'params': lora, 'lr': settings.lr},
        {'params': list(model.tuned.values()), 'lr': settings.lr / 10},
        {'params': [p for name, p in model.named_parameters()
                    if name.startswith(('readout.', 'pool.'))], 'lr': 2e-3}],
        weight_decay=0.01)
    targets = torch.from_numpy(labels)
    start = time.time()
    for epoch in range(settings.epochs):
        model.train()
        total, batches = 0.0, 0
        order = torch.randperm(len(texts), generator=generator)
        for batch in order.split(settings.batch_size):
            outputs = model(*tokens([texts[i] for i in batch]))
            loss = slot_loss(outputs, targets[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        log(f'text adapter epoch {epoch + 1}/{settings.epochs}: loss {total / batches:.4f} '
            f'({time.time() - start:.0f} s)')
    model.eval()
    scores = {}
    for pool, seed in (('train', settings.seed + 1001), ('held_out', settings.seed + 1002)):
        test_texts, test_labels = command_examples(pool, 700, seed, settings.error_rate,
                                                   relations=settings.relations)
        predicted = []
        with torch.no_grad():
            for i in range(0, len(test_texts), 128):
                outputs = model(*tokens(test_texts[i:i + 128]))
                predicted.append(np.stack([o.argmax(1).numpy() for o in outputs], axis=1))
        scores[pool] = slot_accuracy(np.concatenate(predicted), test_labels)
        log(f'read-out on {pool} commands: ' + '  '.join(
            f'{slot} {value:.3f}' for slot, value in scores[pool].items()))
    summary = {'settings': dataclasses.asdict(settings),
               'readout_accuracy': {k: {s: round(v, 4) for s, v in d.items()}
                                    for k, d in scores.items()},
               'train_seconds': round(time.time() - start, 1), 'torch': str(torch.__version__)}
    return model.adapter(summary), scores


def _train_one(settings: AdapterSettings) -> tuple[bytes, dict[str, dict[str, float]]]:
    """A worker process's :func:`train_text_adapter`: one thread, its log lines tagged by seed."""
    torch.set_num_threads(1)
    adapter, scores = train_text_adapter(settings, log=lambda line: print(
        f'[seed {settings.seed}] {line}', flush=True))
    return adapter.to_bytes(), scores


def train_adapter_soup(settings: AdapterSettings = AdapterSettings(),
                       seeds: Sequence[int] = SOUP_SEEDS, *, processes: int = 2,
                       log=print) -> tuple[TextAdapter, dict[int, dict[str, dict[str, float]]]]:
    """Train one adapter per seed and return their soup, with each seed's read-out scores.

    The seeds' adapters are averaged by
    :func:`~multimodal_fusion.preprocessing.text_adapter.average_adapters` at
    ``settings.rank``. A single fine-tuning reads the words training never showed it by
    the luck of its seed: which unseen verb lands nearer which action changes from seed to
    seed (docs/training.md has the figures), and their average is steadier. Seeds are
    trained in ``processes`` worker processes of one thread each.
    """
    runs = [dataclasses.replace(settings, seed=int(seed)) for seed in seeds]
    if not runs:
        raise ValueError('train_adapter_soup needs at least one seed')
    start = time.time()
    if processes > 1 and len(runs) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(min(processes, len(runs)),
                                 mp_context=multiprocessing.get_context('spawn')) as pool:
            results = list(pool.map(_train_one, runs))
        adapters = [TextAdapter.from_bytes(data) for data, _ in results]
        scores = {run.seed: score for run, (_, score) in zip(runs, results)}
    else:
        adapters, scores = [], {}
        for run in runs:
            adapter, scores[run.seed] = train_text_adapter(run, log=log)
            adapters.append(adapter)
    summary = {'settings': dataclasses.asdict(settings), 'soup_seeds': [r.seed for r in runs],
               'readout_accuracy': {str(seed): {pool: {k: round(v, 4) for k, v in d.items()}
                                                for pool, d in score.items()}
                                    for seed, score in scores.items()},
               'train_seconds': round(time.time() - start, 1), 'torch': str(torch.__version__)}
    soup = adapters[0] if len(adapters) == 1 else average_adapters(
        adapters, settings.rank, summary=summary)
    log(f'text adapter soup of seeds {[r.seed for r in runs]} '
        f'({time.time() - start:.0f} s)')
    return soup, scores


def main(argv: Optional[Sequence[str]] = None) -> int:
    defaults = AdapterSettings()
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.text_adapter',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--out', required=True, type=pathlib.Path, help='adapter file to write')
    p.add_argument('--commands', type=int, default=defaults.commands)
    p.add_argument('--epochs', type=int, default=defaults.epochs)
    p.add_argument('--rank', type=int, default=defaults.rank)
    p.add_argument('--lr', type=float, default=defaults.lr)
    p.add_argument('--seeds', type=int, nargs='+', default=list(SOUP_SEEDS),
                   help='one adapter per seed, averaged into one (a single seed: no soup)')
    p.add_argument('--processes', type=int, default=2,
                   help='seeds trained at once, one thread each')
    p.add_argument('--threads', type=int, default=0,
                   help='torch threads of a single-seed run (0: torch default)')
    p.add_argument('--relations', action='store_true',
                   help='commands also name objects by a relation to another one '
                        '(experimental, see docs/training.md)')
    p.add_argument('--readout', choices=READOUTS, default=defaults.readout,
                   help='what the read-out learns from: the mean-pooled vector or the '
                        'token states (for a model whose text input is token states)')
    args = p.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    try:
        settings = AdapterSettings(commands=args.commands, epochs=args.epochs, rank=args.rank,
                                   lr=args.lr, seed=args.seeds[0], relations=args.relations,
                                   readout=args.readout)
    except ValueError as error:
        p.error(str(error))
    if args.processes < 1:
        p.error(f'--processes must be >= 1, got {args.processes}')
    adapter, _ = train_adapter_soup(settings, args.seeds, processes=args.processes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(adapter.to_bytes())
    print(f'wrote {args.out} ({adapter.parameter_count} numbers, key {adapter.key})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
