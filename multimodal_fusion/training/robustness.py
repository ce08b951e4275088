# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The robustness report: the shipped model on conditions training never saw.

``python -m multimodal_fusion.training.robustness --out docs/evaluation``

Each condition is a simulator whose ``SimConfig.held_out`` names the factors drawn from
their held-out pools (phrasings and words, voices, camera backgrounds, sensor profiles; see
``multimodal_fusion.sim.config.HELD_OUT_FACTORS``). The pools are disjoint from the training
pools by construction, so a held-out condition is unseen whatever the seed. Every condition
is scored on the same seed and sample indices through the node's decoding
(:func:`~multimodal_fusion.training.evaluation.evaluate_split`), next to the in-distribution
figure, with its most frequent confusions.

Writes ``robustness.md`` and ``robustness.json``; exits 1 when a condition misses its target.
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass
import json
import pathlib
import shlex
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.inference.engine import FusionEngine
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.sim.config import HELD_OUT_FACTORS
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.dataset import split_config
from multimodal_fusion.training.dataset import SPLIT_SEEDS
from multimodal_fusion.training.evaluation import EvalResult
from multimodal_fusion.training.evaluation import evaluate_split

IN_DISTRIBUTION = 'in_distribution'
ALL_SHIFTS = 'all_held_out'
# Condition name -> factors drawn from their held-out pools.
CONDITIONS: dict[str, tuple[str, ...]] = {
    IN_DISTRIBUTION: (),
    **{factor: (factor,) for factor in HELD_OUT_FACTORS},
    ALL_SHIFTS: HELD_OUT_FACTORS,
}
METRICS: tuple[str, ...] = ('situation_f1', 'command_action_accuracy', 'grounding')
METRIC_HEADERS: dict[str, str] = {
    'situation_f1': 'situation macro-F1', 'command_action_accuracy': 'action acc. (commands)',
    'grounding': 'grounding acc.'}


@dataclass(frozen=True)
class Targets:
    """Minimum scores per kind of condition, in the order of ``METRICS``."""

    in_distribution: tuple[float, float, float] = (0.95, 0.97, 0.90)
    single: tuple[float, float, float] = (0.90, 0.90, 0.90)
    combined: tuple[float, float, float] = (0.85, 0.85, 0.85)

    def of(self, condition: str) -> tuple[float, float, float]:
        """The targets of one condition."""
        if condition == IN_DISTRIBUTION:
            return self.in_distribution
        return self.combined if condition == ALL_SHIFTS else self.single


@dataclass(frozen=True)
class ConditionScore:
    """Scores of one condition.

    Attributes:
        condition: name in ``CONDITIONS``.
        held_out: the factors drawn from their held-out pools.
        samples: samples scored.
        commands: samples with a command (the action accuracy's denominator).
        referring: samples whose command names a visible object (grounding's denominator).
        situation_f1: situation macro-F1.
        situation_accuracy: situation accuracy.
        action_accuracy: action accuracy over all samples ('none' included).
        command_action_accuracy: action accuracy over samples with a command.
        grounding: referred-object grounding accuracy (IoU >= 0.5).
        map50: detection mAP@0.5.
        situation_confusions: most frequent (true, predicted, count) situation errors.
        action_confusions: most frequent (true, predicted, count) action errors on commands.
        misread_commands: a few (utterance, true action, predicted action) examples.
        grounding_by_kind: (kind, samples, grounding) per kind of reference in
            ``REFERENCE_KINDS``, when the result holds per-sample hits.
    """

    condition: str
    held_out: tuple[str, ...]
    samples: int
    commands: int
    referring: int
    situation_f1: float
    situation_accuracy: float
    action_accuracy: float
    command_action_accuracy: float
    grounding: float
    map50: float
    situation_confusions: tuple[tuple[str, str, int], ...]
    action_confusions: tuple[tuple[str, str, int], ...]
    misread_commands: tuple[tuple[str, str, str], ...]
    grounding_by_kind: tuple[tuple[str, int, float], ...] = ()

    def metric(self, name: str) -> float:
        return float(getattr(self, name))

    def misses(self, targets: Targets) -> list[str]:
        """Human-readable shortfalls against ``targets`` (empty when every one is met)."""
        return [f'{self.condition}: {name} {self.metric(name):.3f} < {low:.2f}'
                for name, low in zip(METRICS, targets.of(self.condition))
                if self.metric(name) < low]

    def to_json(self) -> dict:
        out = {name: getattr(self, name) for name in self.__dataclass_fields__}
        for name in ('situation_f1', 'situation_accuracy', 'action_accuracy',
                     'command_action_accuracy', 'grounding', 'map50'):
            out[name] = round(float(out[name]), 4)
        return out


# How a reference picks its object: by its words alone, by a position among look-alikes
# ('the cube on the left'), or by a relation to another object ('the cube left of the ball').
REFERENCE_KINDS: tuple[str, ...] = ('attributes', 'position', 'relation')


def reference_kinds(words: np.ndarray) -> np.ndarray:
    """The index in ``REFERENCE_KINDS`` of each row of the ``reference`` truth array.

    Rows are ``Reference.word_indices``: column 3 the position, column 4 the relation
    (absent in arrays from before relations).
    """
    words = np.asarray(words).reshape(len(words), -1)
    kinds = np.where(words[:, 3] >= 0, 1, 0)
    if words.shape[1] > 4:
        kinds = np.where(words[:, 4] >= 0, 2, kinds)
    return kinds


def _grounding_by_kind(result: EvalResult, truth: dict) -> tuple[tuple[str, int, float], ...]:
    if result.grounding_hits is None or 'reference' not in truth:
        return ()
    hits = np.asarray(result.grounding_hits)
    kinds = reference_kinds(truth['reference'])
    rows = []
    for k, kind in enumerate(REFERENCE_KINDS):
        counted = (hits >= 0) & (kinds == k)
        if counted.any():
            rows.append((kind, int(counted.sum()), round(float(hits[counted].mean()), 4)))
    return tuple(rows)


def _top(pairs: Sequence[tuple[str, str]], count: int) -> tuple[tuple[str, str, int], ...]:
    return tuple((a, b, n) for (a, b), n in Counter(pairs).most_common(count))


def score_condition(condition: str, result: EvalResult, split: SimulatedSplit, *,
                    top: int = 5) -> ConditionScore:
    """Summarise ``result`` (the model on ``split``) as one condition's scores."""
    truth = split.truth
    action_true = truth['action'].astype(np.int64)
    commands = action_true != ACTIONS.index('none')
    command_accuracy = (float((result.action_pred[commands] == action_true[commands]).mean())
                        if commands.any() else 0.0)
    situation_errors = [(SITUATIONS[t], SITUATIONS[p])
                        for t, p in zip(result.situation_true, result.situation_pred) if t != p]
    action_errors = [(ACTIONS[t], ACTIONS[p])
                     for t, p in zip(action_true[commands], result.action_pred[commands])
                     if t != p]
    misread = [(str(split.utterance(i)), ACTIONS[int(action_true[i])],
                ACTIONS[int(result.action_pred[i])])
               for i in np.flatnonzero(commands & (result.action_pred != action_true))[:top]]
    return ConditionScore(
        condition=condition, held_out=CONDITIONS.get(condition, ()), samples=len(split),
        commands=int(commands.sum()), referring=int((truth['target'] >= 0).sum()),
        situation_f1=result.situation_f1, situation_accuracy=result.situation_accuracy,
        action_accuracy=result.action_accuracy, command_action_accuracy=command_accuracy,
        grounding=result.grounding, map50=result.map50,
        situation_confusions=_top(situation_errors, top),
        action_confusions=_top(action_errors, top), misread_commands=tuple(misread),
        grounding_by_kind=_grounding_by_kind(result, truth))


def evaluate_conditions(model, *, split_name: str = 'robustness', size: int = 1000,
                        conditions: Sequence[str] = tuple(CONDITIONS),
                        root: Optional[str] = None, workers: int = 2,
                        progress: bool = False,
                        text_adapter: Optional[TextAdapter] = None,
                        model_config: Optional[ModelConfig] = None) -> list[ConditionScore]:
    """Score ``model`` (called like the node's TorchScript module) on each condition.

    ``text_adapter``: the sentence encoder's fine-tuning the model reads text through (the
    engine's ``text_adapter``). ``model_config``: the model's configuration, whose spec and
    relations the splits follow (:func:`split_config`; ``None``: the default spec, no
    relations).

    Every condition uses the same split seed and sample indices; only the held-out factors
    differ, so the difference from the in-distribution row is the shift alone.

    Raises:
        ValueError: for an unknown condition.
    """
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise ValueError(f'unknown conditions {unknown}; expected names from {tuple(CONDITIONS)}')
    scores = []
    for condition in conditions:
        config = (SimConfig(held_out=CONDITIONS[condition]) if model_config is None
                  else split_config(model_config, held_out=CONDITIONS[condition]))
        split = load_split(split_name, size, config=config, root=root, workers=workers,
                           progress=progress, text_adapter=text_adapter)
        scores.append(score_condition(condition, evaluate_split(model, split, batch_size=100),
                                      split))
    return scores


def _percent(value: float) -> str:
    return f'{100 * value:.1f}'


def render_report(scores: Sequence[ConditionScore], *, command: str, model_path: str,
                  seed: int, targets: Targets = Targets()) -> str:
    """The markdown report."""
    lines = [
        '# Robustness report', '',
        f'Generated by `{command}`.', '',
        f'Model: `{model_path}`. Every condition: split seed {seed} (never used in training), '
        f'the same {scores[0].samples} sample indices, anchors of their episodes, scored '
        "through the node's decoding. A condition draws the named factors from their "
        'held-out pools, which are disjoint from the training pools by construction '
        '(see [docs/simulator.md](../simulator.md)): other phrasings and words, other '
        'voices, other backgrounds, other sensor profiles. Action accuracy counts the '
        'samples with a command; grounding the samples whose command names a visible '
        'object (IoU >= 0.5).', '',
        '| condition | held-out factors | ' + ' | '.join(METRIC_HEADERS[m] for m in METRICS)
        + ' | situation acc. | mAP@0.5 | target | met |',
        '|---|---|' + '--:|' * (len(METRICS) + 2) + '---|---|']
    for score in scores:
        low = targets.of(score.condition)
        met = 'yes' if not score.misses(targets) else 'no'
        lines.append(
            f'| {score.condition} | {", ".join(score.held_out) or "none"} | '
            + ' | '.join(_percent(score.metric(m)) for m in METRICS)
            + f' | {_percent(score.situation_accuracy)} | {_percent(score.map50)} | '
            + ' / '.join(f'{100 * v:.0f}' for v in low) + f' | {met} |')
    reference = scores[0]
    lines += ['', f'Samples per condition: {reference.samples}; with a command: '
              f'{reference.commands}; naming a visible object: {reference.referring}.', '']
    if any(score.grounding_by_kind for score in scores):
        lines += ['## Grounding by kind of reference', '',
                  "By its words alone, by a position among look-alikes ('the cube on the "
                  "left'), or by a relation to another object ('the cube left of the ball'); "
                  'samples in brackets.', '',
                  '| condition | ' + ' | '.join(REFERENCE_KINDS) + ' |',
                  '|---|' + '--:|' * len(REFERENCE_KINDS)]
        for score in scores:
            found = {kind: (n, value) for kind, n, value in score.grounding_by_kind}
            lines.append(f'| {score.condition} | ' + ' | '.join(
                f'{_percent(found[k][1])} ({found[k][0]})' if k in found else '-'
                for k in REFERENCE_KINDS) + ' |')
        lines.append('')
    lines += ['## Top confusions per condition', '']
    for score in scores:
        lines.append(f'### {score.condition}')
        lines.append('')
        situation = ', '.join(f'{t} -> {p} ({n})' for t, p, n in score.situation_confusions)
        action = ', '.join(f'{t} -> {p} ({n})' for t, p, n in score.action_confusions)
        lines.append(f'- situations: {situation or "none"}')
        lines.append(f'- actions on commands: {action or "none"}')
        for utterance, true, pred in score.misread_commands:
            lines.append(f'  - "{utterance}": {true} read as {pred}')
        lines.append('')
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.robustness',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='docs/evaluation', help='folder for the report')
    p.add_argument('--model', default=str(default_model_path()), help='TorchScript model file')
    p.add_argument('--size', type=int, default=1100,
                   help='samples per condition (multiples of 11 balance the situations)')
    p.add_argument('--conditions', nargs='+', default=list(CONDITIONS),
                   choices=list(CONDITIONS), help='conditions to score')
    p.add_argument('--split', default='robustness', choices=('robustness', 'robustness_ci'),
                   help='which split seed')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    engine = FusionEngine(args.model)
    scores = evaluate_conditions(engine.module, split_name=args.split, size=args.size,
                                 conditions=args.conditions, progress=True,
                                 text_adapter=engine.text_adapter,
                                 model_config=engine.config)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    shown = ['python -m multimodal_fusion.training.robustness'] + [
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)]
    model = pathlib.Path(args.model).resolve()
    shown_model = (str(model.relative_to(pathlib.Path.cwd())) if model.is_relative_to(
        pathlib.Path.cwd()) else str(model))
    report = render_report(scores, command=' '.join(shown), model_path=shown_model,
                           seed=SPLIT_SEEDS[args.split])
    (out / 'robustness.md').write_text(report + '\n')
    (out / 'robustness.json').write_text(json.dumps(
        {'split_seed': SPLIT_SEEDS[args.split], 'model': shown_model,
         'conditions': [s.to_json() for s in scores]}, indent=1) + '\n')
    misses = [m for s in scores for m in s.misses(Targets())]
    for score in scores:
        print(f'{score.condition:>16}: ' + '  '.join(
            f'{name}={score.metric(name):.3f}' for name in METRICS))
    print(f'wrote {out / "robustness.md"} in {time.perf_counter() - started:.0f} s')
    for miss in misses:
        print(f'below target: {miss}')
    return 1 if misses else 0


if __name__ == '__main__':
    sys.exit(main())
