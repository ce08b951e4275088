# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The strategy study: every fusion strategy under one protocol, seeds, missing modalities.

``python -m multimodal_fusion.training.study --out runs/study --report docs/evaluation/study``

The protocol (frozen shared encoders, see :mod:`multimodal_fusion.training.frozen`):

* **Same data, same encoders.** The five encoders of one model file (``--model``, by default
  the shipped one), frozen; their outputs on the training, validation and test splits are
  computed once and cached. Training 17
  strategies end to end, three seeds and two dropout rates each, is out of reach of two CPU
  cores (the camera CNN is most of the compute); with cached encodings a run trains only
  the fusion and the heads. The caveat: the encoders were trained with that file's fusion
  strategy, which may favour it; the report names the file (sha256) and its strategy.
* **Same heads, same budget.** Every run starts its heads from that model's and
  trains the fusion from scratch for the same number of optimiser steps and batch size.
  The detection head reads only the camera map, never the fusion, so it stays frozen: mAP
  is that file's detector's in every row and says nothing about fusion. Its outputs are
  computed once per sample (``frozen.cache_detections``), not on every training batch.
* **A learning rate per strategy** from a short sweep (seed 0), chosen on the validation
  split.
* **Seeds and modality dropout.** Each strategy at each modality-dropout rate (a variable
  of the study) with several seeds; every run keeps the weights of its best validation
  check (training stops on the validation split, never the test split); the test split
  scores the result, with every modality present and with each one missing.
* The mixture of experts trains with its load-balancing term; its expert use is reported.
* **Single-modality baselines**: ``feature_concat`` reading one modality only (the others,
  the camera included, masked in training and test; the camera's own baseline reads the
  camera alone), same budget and seeds.

Every run is a JSON file under ``--out``: an interrupted study resumes where it stopped.
``--ledger FILE`` also keeps every finished run in one JSON file, so a study stopped on one
machine resumes on another from that file alone. Runs go to ``--workers`` single-threaded
processes. ``--smoke`` runs every strategy for one
step on tiny splits (what CI does).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import multiprocessing
import pathlib
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np
import torch

from multimodal_fusion.export.model_file import load_eager_model
from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.modules.fusion import FUSION_BUILDERS
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training.auxiliary import AuxiliaryWeights
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import split_config
from multimodal_fusion.training.evaluate import cpu_latency_ms
from multimodal_fusion.training.evaluate import cuda_latency_ms
from multimodal_fusion.training.evaluate import parameter_count
from multimodal_fusion.training.evaluation import drop
from multimodal_fusion.training.evaluation import keep_only
from multimodal_fusion.training.evaluation import score_outputs
from multimodal_fusion.training.frozen import assemble
from multimodal_fusion.training.frozen import cache_detections
from multimodal_fusion.training.frozen import encode_split
from multimodal_fusion.training.frozen import EncodedSplit
from multimodal_fusion.training.frozen import expert_usage
from multimodal_fusion.training.frozen import fit_tail
from multimodal_fusion.training.frozen import tail_runner

METRICS: tuple[str, ...] = ('situation_f1', 'action_accuracy', 'grounding', 'map50')
# The strategy of the single-modality baselines.
BASELINE = 'feature_concat'
SPLITS: tuple[str, ...] = ('train', 'val', 'test')


@dataclasses.dataclass(frozen=True)
class StudySettings:
    """What the study runs (the defaults: about 2 h 10 min with two workers on two CPU cores)."""

    strategies: tuple[str, ...] = tuple(sorted(FUSION_BUILDERS))
    train_size: int = 4000
    val_size: int = 600
    test_size: int = 1000
    steps: int = 400
    batch_size: int = 64
    lrs: tuple[float, ...] = (3e-4, 1e-3, 3e-3)
    sweep_steps: int = 300
    seeds: tuple[int, ...] = (0, 1, 2)
    dropouts: tuple[float, ...] = (0.0, 0.3)
    validate_every: int = 250
    balance: float = 0.01
    latency_runs: int = 30

    def __post_init__(self) -> None:
        unknown = [s for s in self.strategies if s not in FUSION_BUILDERS]
        if unknown:
            raise ValueError(f'unknown strategies {unknown}; expected names from '
                             f'{sorted(FUSION_BUILDERS)}')
        if min(self.train_size, self.val_size, self.test_size, self.steps,
               self.sweep_steps, self.batch_size) < 1 or not self.seeds or not self.lrs:
            raise ValueError(f'sizes, steps and batch size must be >= 1, with at least one '
                             f'seed and one learning rate: {self}')
        if not all(0.0 <= r < 1.0 for r in self.dropouts) or not self.dropouts:
            raise ValueError(f'modality dropout rates must be in [0, 1): {self.dropouts}')

    @classmethod
    def smoke(cls, strategies: Sequence[str] = tuple(sorted(FUSION_BUILDERS))
              ) -> StudySettings:
        """Every strategy through one step of the same protocol, on tiny splits."""
        return cls(strategies=tuple(strategies), train_size=16, val_size=8, test_size=8,
                   steps=1, batch_size=8, lrs=(1e-3,), sweep_steps=1, seeds=(0,),
                   dropouts=(0.0,), validate_every=1, latency_runs=1)


@dataclasses.dataclass(frozen=True)
class Run:
    """One training run of the study."""

    stage: str  # 'sweep' or 'main'
    strategy: str
    lr: float
    rate: float
    seed: int
    modality: str = ''  # a single-modality baseline: the one modality it reads

    @property
    def key(self) -> str:
        alone = f'-{self.modality}' if self.modality else ''
        return (f'{self.stage}{alone}-{self.strategy}-lr{self.lr:g}-drop{self.rate:g}'
                f'-seed{self.seed}')


def _selection(summary: dict) -> float:
    """The score runs are selected and compared by: situation F1, action, grounding."""
    return (summary['situation_f1'] + summary['action_accuracy'] + summary['grounding']) / 3.0


# The data of a study process: set once in the parent, inherited by forked workers.
_DATA: dict = {}


def _encoded_path(out: pathlib.Path, split: str, size: int) -> pathlib.Path:
    return out / 'encoded' / f'{split}-{size}.pt'


def model_sha256(path: pathlib.Path) -> str:
    """The model file's sha256: what a study's encodings and records are tied to."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def prepare(settings: StudySettings, out: pathlib.Path, model_path: pathlib.Path, *,
            workers: int = 2, log=print, dataset_root=None) -> None:
    """Load the splits and the model file; encode (or reload the cached encodings)."""
    eager, (_, metadata, adapter) = load_eager_model(model_path)
    config = eager.config
    instants = float(metadata['training_summary'].get('settings', {})
                     .get('random_instants', 0.0))
    sizes = {'train': settings.train_size, 'val': settings.val_size, 'test': settings.test_size}
    splits, encoded = {}, {}
    for name in SPLITS:
        sim = split_config(config, **({'random_instant_fraction': instants}
                                      if name == 'train' else {}))
        splits[name] = load_split(name, sizes[name], config=sim, workers=workers,
                                  text_adapter=adapter, root=dataset_root,
                                  progress=log is print)
        path = _encoded_path(out, name, sizes[name])
        if path.is_file():
            encoded[name] = EncodedSplit(**torch.load(path, weights_only=False))
        else:
            log(f'encoding the {name} split ({sizes[name]} samples)')
            encoded[name] = encode_split(eager, splits[name], range(sizes[name]))
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix('.tmp')
            torch.save(dataclasses.asdict(encoded[name]), tmp)
            tmp.replace(path)
        # The detection head stays frozen in every run (_build): its outputs once per sample.
        encoded[name] = cache_detections(eager, encoded[name])
    _DATA.update(config=config, source=eager.state_dict(), splits=splits, encoded=encoded,
                 settings=settings, encoders={
                     'model_sha256': model_sha256(model_path),
                     'strategy': metadata['strategy']})


def _alone(modality: str):
    """The mask edit of a single-modality baseline."""
    return lambda mask: keep_only(mask, [modality])


def _score(model, split_name: str, mask_fn=None) -> dict:
    return score_outputs(tail_runner(model, _DATA['encoded'][split_name], mask_fn),
                         _DATA['splits'][split_name], batch_size=128).summary()


def _build(strategy: str, modality: str = ''):
    config = _DATA['config']
    if modality:
        # The camera stays in the fusion's inputs (detection reads it) but is masked.
        fusion = dataclasses.replace(config.fusion, modalities=tuple(
            m for m in MODALITIES if m in ('camera', modality)))
        config = dataclasses.replace(config, fusion=fusion)
    model = assemble(strategy, config, _DATA['source'])
    # The detection head reads only the camera map (see the module docstring).
    model.detection_head.requires_grad_(False)
    return model


def execute(run: Run) -> dict:
    """Train and score one run (in a worker process); returns its record."""
    torch.set_num_threads(1)
    settings: StudySettings = _DATA['settings']
    started = time.perf_counter()
    model = _build(run.strategy, run.modality)
    steps = settings.sweep_steps if run.stage == 'sweep' else settings.steps
    auxiliary = AuxiliaryWeights(balance=settings.balance)
    alone = _alone(run.modality) if run.modality else None

    def validate() -> float:
        return _selection(_score(model, 'val', alone))

    fit = fit_tail(model, _DATA['encoded']['train'], _DATA['splits']['train'], steps=steps,
                   batch_size=settings.batch_size, lr=run.lr, rate=run.rate, seed=run.seed,
                   auxiliary=auxiliary, validate=validate,
                   validate_every=settings.validate_every, mask_fn=alone)
    record = {**dataclasses.asdict(run), 'key': run.key, 'steps': steps,
              'best_step': fit.best_step, 'checks': fit.checks,
              'val_score': max(score for _, score in fit.checks)}
    if run.stage == 'single':
        record['test'] = _score(model, 'test', alone)
    if run.stage == 'main':
        record['test'] = _score(model, 'test')
        record['missing'] = {name: _score(model, 'test', lambda m, n=name: drop(m, n))
                             for name in MODALITIES}
        record['experts'] = expert_usage(model, _DATA['encoded']['test'])
    record['seconds'] = round(time.perf_counter() - started, 1)
    return record


def cost(strategy: str, runs: int) -> dict:
    """Parameters and batch-1 latency of the scripted full model.

    CPU latency with one thread always; CUDA latency (``cuda_latency_ms``) too when torch
    sees a GPU. The costs are measured again at every invocation (they are not run
    records), so a finished study rerun on a GPU machine with its ``--ledger`` adds them.
    """
    model = _build(strategy).eval()
    scripted = script_model(model)
    record = {'params': parameter_count(model),
              'fusion_params': parameter_count(model.fusion),
              'latency_ms': round(cpu_latency_ms(scripted, _DATA['config'], runs=runs), 2)}
    if torch.cuda.is_available():
        record['cuda_latency_ms'] = round(cuda_latency_ms(scripted, _DATA['config'],
                                                          runs=runs), 2)
    return record


def _load(path: pathlib.Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _save(path: pathlib.Path, record: dict) -> None:
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(record, indent=1))
    tmp.replace(path)


def write_ledger(path: pathlib.Path, out: pathlib.Path, settings: dict) -> int:
    """Write every finished run under ``out/runs`` to one JSON file with its settings.

    The ledger is what a study carries to another machine: :func:`read_ledger` there puts
    its runs back into a fresh run folder. Returns the number of runs written.
    """
    records = [r for r in (_load(f) for f in sorted((out / 'runs').glob('*.json')))
               if r is not None]
    path.parent.mkdir(parents=True, exist_ok=True)
    _save(path, {'settings': settings, 'records': records})
    return len(records)


def read_ledger(path: pathlib.Path, out: pathlib.Path, settings: dict) -> int:
    """Put the runs of the ledger at ``path`` into ``out/runs`` (those not there yet).

    Returns how many were added; 0 when there is no ledger yet.

    Raises:
        ValueError: the ledger is unreadable, or holds a study with other settings (another
            model, split size or budget): its runs would not be this study's.
    """
    if not path.is_file():
        return 0
    ledger = _load(path)
    if not isinstance(ledger, dict) or not isinstance(ledger.get('records'), list):
        raise ValueError(f'{path} is not a study ledger (a JSON object with "settings" and '
                         '"records"); give another --ledger or remove it')
    stored = ledger.get('settings') or {}
    changed = sorted(k for k in set(settings) | set(stored) if stored.get(k) != settings.get(k))
    if changed:
        raise ValueError(f'{path} holds a study with other settings ({", ".join(changed)}); '
                         'give another --ledger or remove it')
    folder = out / 'runs'
    folder.mkdir(parents=True, exist_ok=True)
    added = 0
    for record in ledger['records']:
        target = folder / f'{record["key"]}.json'
        if not target.is_file():
            _save(target, record)
            added += 1
    return added


def run_stage(runs: Sequence[Run], out: pathlib.Path, workers: int, *, progress: bool,
              desc: str, on_record=None) -> dict[str, dict]:
    """Every run of a stage, reusing the records already under ``out/runs``.

    ``on_record()`` is called after each new record is saved (the ledger's update).
    """
    from tqdm import tqdm

    folder = out / 'runs'
    folder.mkdir(parents=True, exist_ok=True)
    records = {r.key: _load(folder / f'{r.key}.json') for r in runs}
    todo = [r for r in runs if records[r.key] is None]
    bar = tqdm(total=len(runs), initial=len(runs) - len(todo), desc=desc, unit='run',
               disable=not progress, dynamic_ncols=True)
    if workers <= 1:
        for run in todo:
            records[run.key] = execute(run)
            _save(folder / f'{run.key}.json', records[run.key])
            if on_record is not None:
                on_record()
            bar.update()
    else:
        context = multiprocessing.get_context('fork')
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = {pool.submit(execute, run): run for run in todo}
            for future in concurrent.futures.as_completed(futures):
                run = futures[future]
                records[run.key] = future.result()
                _save(folder / f'{run.key}.json', records[run.key])
                if on_record is not None:
                    on_record()
                bar.update()
    bar.close()
    return records


def study(settings: StudySettings, out: pathlib.Path, *, workers: int = 2,
          progress: bool = True, on_record=None) -> dict:
    """The sweep, then the main runs with each strategy's best learning rate, then costs.

    ``on_record()`` is called after each finished run (see :func:`run_stage`).
    """
    s = settings
    sweep = [Run('sweep', name, lr, s.dropouts[0], s.seeds[0])
             for name in s.strategies for lr in s.lrs]
    swept = run_stage(sweep, out, workers, progress=progress, desc='learning-rate sweep',
                      on_record=on_record)
    best_lr = {}
    for name in s.strategies:
        scores = {r.lr: swept[r.key]['val_score'] for r in sweep if r.strategy == name}
        best_lr[name] = max(scores, key=lambda lr: (scores[lr], -lr))
    main = [Run('main', name, best_lr[name], rate, seed)
            for name in s.strategies for rate in s.dropouts for seed in s.seeds]
    records = run_stage(main, out, workers, progress=progress, desc='study runs',
                        on_record=on_record)
    lr = best_lr.get(BASELINE, s.lrs[len(s.lrs) // 2])
    single = [Run('single', BASELINE, lr, 0.0, seed, modality=name)
              for name in MODALITIES for seed in s.seeds]
    baselines = run_stage(single, out, workers, progress=progress,
                          desc='single-modality baselines', on_record=on_record)
    costs = {name: cost(name, s.latency_runs) for name in s.strategies}
    return {'settings': dataclasses.asdict(s), 'encoders': _DATA['encoders'],
            'best_lr': best_lr,
            'sweep': [swept[r.key] for r in sweep], 'runs': [records[r.key] for r in main],
            'single': [baselines[r.key] for r in single], 'costs': costs}


def summarise(results: dict) -> list[dict]:
    """Per strategy and dropout rate: mean and std over seeds of every test figure."""
    rows = []
    groups: dict[tuple[str, float], list[dict]] = {}
    for record in results['runs']:
        groups.setdefault((record['strategy'], record['rate']), []).append(record)
    for (strategy, rate), records in sorted(groups.items()):
        row = {'strategy': strategy, 'rate': rate, 'seeds': len(records),
               'lr': records[0]['lr'], **results['costs'][strategy]}
        for metric in METRICS:
            row[metric] = _mean_std([r['test'][metric] for r in records])
        row['score'] = _mean_std([_selection(r['test']) for r in records])
        row['drop'] = {name: _mean_std([_selection(r['test']) - _selection(r['missing'][name])
                                        for r in records]) for name in MODALITIES}
        experts = [r['experts'] for r in records if r.get('experts')]
        row['experts'] = (np.mean(experts, axis=0).round(3).tolist() if experts else None)
        rows.append(row)
    return rows


def _mean_std(values: Sequence[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=np.float64)
    return float(array.mean()), float(array.std())


def _pm(pair: tuple[float, float], scale: float = 100.0) -> str:
    return f'{scale * pair[0]:.1f} ± {scale * pair[1]:.1f}'


def claims(rows: Sequence[dict], rate: float) -> list[str]:
    """A paragraph per literature claim, each decided by the study's own figures."""
    at = {r['strategy']: r for r in rows if r['rate'] == rate}
    if not at:
        return []
    best = max(at.values(), key=lambda r: r['score'][0])

    def mean_drop(row: dict) -> float:
        return float(np.mean([row['drop'][m][0] for m in MODALITIES[1:]]))

    out = []
    cma = at.get('cross_modal_attention')
    if cma is not None:
        gap = best['score'][0] - cma['score'][0]
        verdict = ('supported' if gap <= max(best['score'][1], cma['score'][1])
                   else 'not supported')
        out.append(f'**Cross-modal attention fuses best**: {verdict}. It scores '
                   f'{_pm(cma["score"])} against the best, `{best["strategy"]}`, at '
                   f'{_pm(best["score"])} (mean of situation F1, action and grounding).')
    decision = [r for name, r in at.items() if name.startswith('decision_')]
    others = [r for name, r in at.items() if not name.startswith('decision_')]
    if decision and others:
        d, o = (float(np.mean([mean_drop(r) for r in group])) for group in (decision, others))
        verdict = 'supported' if d < o else 'not supported'
        out.append(f'**Decision-level fusion degrades most gracefully**: {verdict}. With one '
                   f'non-camera modality missing, decision-level strategies lose '
                   f'{100 * d:.1f} points on average, the others {100 * o:.1f}.')
    bottleneck = at.get('attention_bottleneck')
    if bottleneck is not None and cma is not None:
        cheaper = bottleneck['latency_ms'] < cma['latency_ms']
        # At least as accurate, within the seeds' spread: a better bottleneck supports it.
        equal = bottleneck['score'][0] >= cma['score'][0] - max(
            bottleneck['score'][1], cma['score'][1], 0.005)
        verdict = 'supported' if cheaper and equal else 'not supported'
        out.append(f'**Bottlenecks cut cost at equal accuracy**: {verdict}. Attention '
                   f'bottleneck {bottleneck["latency_ms"]:.1f} ms, {_pm(bottleneck["score"])}; '
                   f'full cross-modal attention {cma["latency_ms"]:.1f} ms, '
                   f'{_pm(cma["score"])}.')
    gated, concat = at.get('gated'), at.get('feature_concat')
    if gated is not None and concat is not None:
        g, c = mean_drop(gated), mean_drop(concat)
        verdict = 'supported' if g < c else 'not supported'
        out.append(f'**Gating learns which sensor to trust**: {verdict}, judged by what a '
                   f'missing sensor costs: gated fusion loses {100 * g:.1f} points, plain '
                   f'concatenation {100 * c:.1f}.')
    return out


def plot_pareto(rows: Sequence[dict], rate: float, path: pathlib.Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    chosen = [r for r in rows if r['rate'] == rate]
    fig, ax = plt.subplots(figsize=(7.5, 5.0))
    for r in chosen:
        ax.errorbar(r['latency_ms'], 100 * r['score'][0], yerr=100 * r['score'][1], fmt='o',
                    ms=4, capsize=2)
        ax.annotate(r['strategy'], (r['latency_ms'], 100 * r['score'][0]), fontsize=7,
                    xytext=(3, 2), textcoords='offset points')
    front, best = [], -1.0
    for r in sorted(chosen, key=lambda r: r['latency_ms']):
        if r['score'][0] > best:
            front.append(r)
            best = r['score'][0]
    ax.plot([r['latency_ms'] for r in front], [100 * r['score'][0] for r in front], 'k--',
            lw=0.8, label='Pareto front')
    ax.set_xlabel('CPU latency of the whole model, batch 1, 1 thread (ms)')
    ax.set_ylabel('mean of situation F1, action acc., grounding (%)')
    ax.set_title(f'Strategies, modality dropout {rate:g} (mean ± std over seeds)')
    ax.grid(alpha=0.3)
    ax.legend(loc='lower right', fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render(results: dict, command: str) -> str:
    """The markdown report."""
    s = results['settings']
    rows = summarise(results)
    source = results.get('encoders')
    encoders = ('the encoders of the model file with sha256 '
                f'`{source["model_sha256"][:16]}…` (trained with its `{source["strategy"]}` '
                'fusion, which may favour that strategy)' if source else 'the model’s encoders')
    lines = [
        '# Strategy study', '', f'Generated by `{command}`.', '',
        f'Protocol (see `multimodal_fusion/training/study.py`): {encoders}, '
        f'frozen, on {s["train_size"]} training samples; every strategy trains its fusion '
        f'and heads (detection head frozen) for {s["steps"]} steps of batch '
        f'{s["batch_size"]}, learning rate chosen per strategy from {list(s["lrs"])} on the '
        f'validation split ({s["val_size"]} samples; {s["sweep_steps"]}-step runs), the '
        f'weights of the best validation check kept; seeds {list(s["seeds"])}; scored on '
        f'{s["test_size"]} test samples. mAP is the frozen detector’s.', '',
        '| strategy | dropout | lr | situation F1 | action acc. | grounding | mAP@0.5 '
        '| score | params | fusion params | CPU ms | CUDA ms |',
        '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|']
    for r in rows:
        cuda = f'{r["cuda_latency_ms"]:.2f}' if 'cuda_latency_ms' in r else '-'
        lines.append(f'| {r["strategy"]} | {r["rate"]:g} | {r["lr"]:g} | '
                     + ' | '.join(_pm(r[m]) for m in METRICS)
                     + f' | {_pm(r["score"])} | {r["params"]:,} | {r["fusion_params"]:,} | '
                     f'{r["latency_ms"]:.1f} | {cuda} |')
    if not any('cuda_latency_ms' in r for r in rows):
        lines += ['', 'CUDA ms: no GPU was seen by this run. Rerunning the finished study on a '
                  'GPU machine with its `--ledger` measures it without training again.']
    lines += ['', '## Single-modality baselines', '',
              f'`{BASELINE}` reading one modality (mean ± std over seeds).', '',
              '| modality | situation F1 | action acc. | grounding | mAP@0.5 | score |',
              '|---|--:|--:|--:|--:|--:|']
    for name in MODALITIES:
        records = [r for r in results.get('single', []) if r['modality'] == name]
        if records:
            cells = [_mean_std([r['test'][m] for r in records]) for m in METRICS]
            cells.append(_mean_std([_selection(r['test']) for r in records]))
            lines.append(f'| {name} alone | ' + ' | '.join(_pm(c) for c in cells) + ' |')
    lines += ['', '## Missing at test time', '',
              'Points of score lost when one modality is missing (mean ± std over seeds).', '',
              '| strategy | dropout | ' + ' | '.join(MODALITIES) + ' |',
              '|---|--:|' + '--:|' * len(MODALITIES)]
    for r in rows:
        lines.append(f'| {r["strategy"]} | {r["rate"]:g} | '
                     + ' | '.join(_pm(r['drop'][m]) for m in MODALITIES) + ' |')
    experts = [r for r in rows if r['experts']]
    if experts:
        lines += ['', '## Expert use', '', 'Mean gate per expert on the test split '
                  f'(load-balancing weight {s["balance"]:g}; equal use is '
                  f'{1 / len(experts[0]["experts"]):.2f} each).', '']
        lines += [f'- {r["strategy"]}, dropout {r["rate"]:g}: {r["experts"]}' for r in experts]
    rate = max(s['dropouts'])
    lines += ['', '## Accuracy against latency', '', f'![Pareto plot](pareto.png) (dropout '
              f'{rate:g})', '', "## The literature's claims on this task", '']
    for paragraph in claims(rows, rate):
        lines += [paragraph, '']
    return '\n'.join(lines) + '\n'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    defaults = StudySettings()
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.study',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--out', default='runs/study', help='run folder (resumable)')
    p.add_argument('--report', default=None, help='folder for study.md, study.json, pareto.png')
    p.add_argument('--model', default=str(default_model_path()),
                   help='the model whose encoders and heads every run starts from')
    p.add_argument('--strategies', nargs='+', default=list(defaults.strategies),
                   choices=sorted(FUSION_BUILDERS))
    p.add_argument('--train-size', type=int, default=defaults.train_size)
    p.add_argument('--steps', type=int, default=defaults.steps)
    p.add_argument('--sweep-steps', type=int, default=defaults.sweep_steps)
    p.add_argument('--lrs', type=float, nargs='+', default=list(defaults.lrs))
    p.add_argument('--seeds', type=int, nargs='+', default=list(defaults.seeds))
    p.add_argument('--dropouts', type=float, nargs='+', default=list(defaults.dropouts))
    p.add_argument('--ledger', default=None,
                   help='one JSON file of every finished run and the settings: its runs are '
                        'reused at start (same settings only) and it is rewritten after each '
                        'run, so a study interrupted on one machine resumes on another')
    p.add_argument('--workers', type=int, default=2, help='training processes')
    p.add_argument('--smoke', action='store_true',
                   help='one step of every strategy on tiny splits (CI)')
    p.add_argument('--no-progress', action='store_true')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None, *, dataset_root=None) -> int:
    args = parse_args(argv)
    try:
        if args.smoke:
            settings = StudySettings.smoke(args.strategies)
        else:
            settings = StudySettings(strategies=tuple(args.strategies),
                                     train_size=args.train_size, steps=args.steps,
                                     sweep_steps=args.sweep_steps, lrs=tuple(args.lrs),
                                     seeds=tuple(args.seeds), dropouts=tuple(args.dropouts))
    except ValueError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    # Records and encodings are reused by run name alone: a folder serves one set of
    # settings and one model (its encoders made every encoding).
    wanted = json.loads(json.dumps(dataclasses.asdict(settings)))
    if pathlib.Path(args.model).is_file():
        wanted['model_sha256'] = model_sha256(pathlib.Path(args.model))
    stored = _load(out / 'settings.json')
    if stored is not None and stored != wanted:
        changed = sorted(k for k in wanted if stored.get(k) != wanted[k])
        print(f'error: {out} holds a study with other settings ({", ".join(changed)}); '
              'give another --out or remove it', file=sys.stderr)
        return 2
    _save(out / 'settings.json', wanted)
    progress = not args.no_progress
    on_record = None
    if args.ledger:
        ledger = pathlib.Path(args.ledger)
        try:
            added = read_ledger(ledger, out, wanted)
        except ValueError as error:
            print(f'error: {error}', file=sys.stderr)
            return 2
        if added:
            print(f'{added} finished runs taken from {ledger}')
        on_record = functools.partial(write_ledger, ledger, out, wanted)
    prepare(settings, out, pathlib.Path(args.model), workers=args.workers,
            log=print if progress else (lambda *a: None), dataset_root=dataset_root)
    results = study(settings, out, workers=args.workers, progress=progress,
                    on_record=on_record)
    report = pathlib.Path(args.report or out)
    report.mkdir(parents=True, exist_ok=True)
    shown = ' '.join(['python -m multimodal_fusion.training.study']
                     + list(sys.argv[1:] if argv is None else argv))
    (report / 'study.json').write_text(json.dumps(results, indent=1) + '\n')
    plot_pareto(summarise(results), max(settings.dropouts), report / 'pareto.png')
    (report / 'study.md').write_text(render(results, shown))
    print(f'wrote {report / "study.md"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
