# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The evaluation report: the shipped model, every strategy, missing modalities.

``python -m multimodal_fusion.training.evaluate --out docs/evaluation``

Writes ``report.md``, ``results.json`` and PNG plots (matplotlib, Agg). Every number is
measured on the test split (seed ``SPLIT_SEEDS['test']``), never seen in training:

* the shipped model (through its exported TorchScript file): all modalities, each modality
  alone, each modality masked; situation confusion matrix; mean modality weights per
  situation;
* the strategy comparison and the models trained without one modality, under the
  frozen-encoder protocol of :mod:`multimodal_fusion.training.frozen` (encoders of the
  shipped model, fusion and heads trained per run);
* parameters and CPU latency (batch 1, one thread, median) of each scripted model, and of
  the shipped strategy with the EfficientNet-Lite0 camera.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import shlex
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np
import torch

from multimodal_fusion.export.model_file import load_eager_model
from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.modules.fusion import FUSION_BUILDERS
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import split_config
from multimodal_fusion.training.dataset import SPLIT_SEEDS
from multimodal_fusion.training.evaluation import drop
from multimodal_fusion.training.evaluation import EvalResult
from multimodal_fusion.training.evaluation import evaluate_split
from multimodal_fusion.training.evaluation import keep_only
from multimodal_fusion.training.evaluation import score_outputs
from multimodal_fusion.training.frozen import assemble
from multimodal_fusion.training.frozen import encode_split
from multimodal_fusion.training.frozen import tail_runner
from multimodal_fusion.training.frozen import train_tail
from multimodal_fusion.training.metrics import confusion_matrix

METRIC_COLUMNS = ('situation_f1', 'action_accuracy', 'grounding', 'map50')
METRIC_HEADERS = ('situation macro-F1', 'action acc.', 'grounding acc.', 'mAP@0.5')


def cpu_latency_ms(module: torch.nn.Module, config: ModelConfig, *, runs: int = 30,
                   warmup: int = 5) -> float:
    """Median milliseconds of one batch-1 call with one CPU thread, all modalities present."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        inputs = random_inputs(config, 1)
        times = []
        with torch.inference_mode():
            for i in range(warmup + runs):
                start = time.perf_counter()
                module(*inputs)
                if i >= warmup:
                    times.append((time.perf_counter() - start) * 1e3)
        return float(np.median(times))
    finally:
        torch.set_num_threads(previous)


def cuda_latency_ms(module: torch.nn.Module, config: ModelConfig, *, runs: int = 30,
                    warmup: int = 5, device: str = 'cuda') -> float:
    """Median milliseconds of one batch-1 call on a CUDA device, all modalities present.

    ``module`` is moved to ``device``; every timed call ends with a synchronisation, so the
    figure is the whole call, not its launch.

    Raises:
        RuntimeError: no CUDA device.
    """
    if not torch.cuda.is_available():
        raise RuntimeError('cuda_latency_ms needs a CUDA device; torch sees none')
    module = module.to(device)
    inputs = [x.to(device) for x in random_inputs(config, 1)]
    times = []
    with torch.inference_mode():
        for i in range(warmup + runs):
            torch.cuda.synchronize(device)
            start = time.perf_counter()
            module(*inputs)
            torch.cuda.synchronize(device)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1e3)
    return float(np.median(times))


def parameter_count(module: torch.nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


def _row(name: str, result: dict, extra: Sequence[str] = ()) -> str:
    cells = [name] + [f'{100 * result[k]:.1f}' for k in METRIC_COLUMNS] + list(extra)
    return '| ' + ' | '.join(cells) + ' |'


def _header(first: str, extra: Sequence[str] = ()) -> list[str]:
    names = [first] + [f'{h} (%)' for h in METRIC_HEADERS] + list(extra)
    return ['| ' + ' | '.join(names) + ' |', '|' + '|'.join(['---'] + ['--:'] * (
        len(names) - 1)) + '|']


def plot_confusion(matrix: np.ndarray, labels: Sequence[str], path: pathlib.Path,
                   title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    im = ax.imshow(rates, cmap='Blues', vmin=0.0, vmax=1.0)
    ax.set_xticks(range(len(labels)), labels, rotation=60, ha='right', fontsize=8)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    for r in range(matrix.shape[0]):
        for c in range(matrix.shape[1]):
            if matrix[r, c]:
                ax.text(c, r, str(int(matrix[r, c])), ha='center', va='center', fontsize=7,
                        color='white' if rates[r, c] > 0.5 else 'black')
    ax.set_xlabel('predicted')
    ax.set_ylabel('true')
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046, label='row fraction')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_heatmap(values: np.ndarray, rows: Sequence[str], cols: Sequence[str],
                 path: pathlib.Path, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.0, 6.0))
    im = ax.imshow(values, cmap='viridis', vmin=0.0, vmax=max(float(values.max()), 1e-6))
    ax.set_xticks(range(len(cols)), cols, rotation=30, ha='right')
    ax.set_yticks(range(len(rows)), rows, fontsize=8)
    for r in range(values.shape[0]):
        for c in range(values.shape[1]):
            ax.text(c, r, f'{values[r, c]:.2f}', ha='center', va='center', fontsize=7,
                    color='white' if values[r, c] < 0.6 * values.max() else 'black')
    ax.set_title(title)
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_strategies(rows: list[dict], path: pathlib.Path) -> None:
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(7.0, 5.0))
    for row in rows:
        score = (row['situation_f1'] + row['action_accuracy'] + row['grounding']) / 3
        ax.scatter(row['latency_ms'], 100 * score, s=20)
        ax.annotate(row['strategy'], (row['latency_ms'], 100 * score), fontsize=7,
                    xytext=(3, 2), textcoords='offset points')
    ax.set_xlabel('CPU latency, batch 1, 1 thread (ms)')
    ax.set_ylabel('mean of situation F1, action acc., grounding (%)')
    ax.set_title('Strategies (frozen-encoder protocol)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def situation_weights(result: EvalResult) -> np.ndarray:
    """``(situations, m)`` mean modality weight over the samples of each true situation."""
    out = np.zeros((len(SITUATIONS), len(MODALITIES)))
    for s in range(len(SITUATIONS)):
        rows = result.situation_true == s
        if rows.any():
            out[s] = result.modality_weights[rows].mean(axis=0)
    return out


def run(args: argparse.Namespace) -> dict:
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    module, metadata, adapter = load_model_file(args.model)
    config = ModelConfig.from_dict(metadata['config'])
    strategy = metadata['strategy']
    summary = metadata['training_summary']
    test = load_split('test', args.test_size, workers=args.workers, text_adapter=adapter,
                      config=split_config(config))
    log = (lambda *a: print(*a, flush=True)) if not args.quiet else (lambda *a: None)
    results: dict = {'model': str(args.model), 'strategy': strategy,
                     'test_seed': SPLIT_SEEDS['test'], 'test_size': len(test),
                     'training_summary': summary}

    # --- the shipped model, through its exported file
    log('shipped model: all modalities')
    full = evaluate_split(module, test, batch_size=args.batch_size)
    results['shipped'] = full.summary()
    results['shipped']['params'] = parameter_count(module)
    results['shipped']['latency_ms'] = cpu_latency_ms(module, config, runs=args.latency_runs)
    results['shipped']['file_mb'] = round(os.path.getsize(args.model) / 2 ** 20, 2)
    matrix = confusion_matrix(full.situation_true, full.situation_pred, len(SITUATIONS))
    results['confusion'] = matrix.tolist()
    plot_confusion(matrix, SITUATIONS, out / 'confusion_situations.png',
                   f'Situations, shipped {strategy} model, test split')
    weights = situation_weights(full)
    results['modality_weights'] = weights.round(4).tolist()
    plot_heatmap(weights, SITUATIONS, MODALITIES, out / 'modality_weights.png',
                 'Mean modality weight per true situation')

    # --- EfficientNet-Lite0 camera: latency and size only (not trained here)
    log('efficientnet_lite0 latency')
    eff_config = dataclasses.replace(config, camera_backbone='efficientnet_lite0')
    eff = script_model(build_model(strategy, eff_config, pretrained_camera=True))
    results['efficientnet_lite0'] = {
        'params': parameter_count(eff),
        'latency_ms': cpu_latency_ms(eff, eff_config, runs=args.latency_runs)}
    del eff

    # The same weights in eager form: its encoder outputs are computed once and every
    # masked variant runs only the fusion and heads (``FusionModel.tail``).
    eager = load_eager_model(args.model)[0]
    source = eager.state_dict()
    log(f'encoding {len(test)} test samples')
    encoded_test = encode_split(eager, test, range(len(test)))
    results['single'] = {}
    results['masked'] = {}
    for name in MODALITIES:
        log(f'shipped model: only {name} / without {name}')
        results['single'][name] = score_outputs(
            tail_runner(eager, encoded_test, lambda m, n=name: keep_only(m, [n])), test,
            batch_size=args.batch_size).summary()
        results['masked'][name] = score_outputs(
            tail_runner(eager, encoded_test, lambda m, n=name: drop(m, n)), test,
            batch_size=args.batch_size).summary()

    # --- frozen-encoder protocol: strategies and drop-one-modality models
    # The first samples of the shipped model's own training split (same size, same config).
    settings = summary.get('settings', {})
    train_size = int(settings.get('train_size', args.tail_train_size))
    train_config = split_config(
        config, random_instant_fraction=float(settings.get('random_instants', 0.0)))
    train = load_split('train', max(train_size, args.tail_train_size), workers=args.workers,
                       config=train_config, text_adapter=adapter)
    log(f'encoding {args.tail_train_size} training samples')
    encoded_train = encode_split(eager, train, range(args.tail_train_size))
    protocol = {'train_samples': args.tail_train_size, 'epochs': args.tail_epochs,
                'lr': args.tail_lr, 'modality_dropout': args.tail_modality_dropout,
                'seed': args.seed}
    results['protocol'] = protocol

    def train_and_score(name: str, model_config: ModelConfig, tail_strategy: str) -> dict:
        start = time.perf_counter()
        model = assemble(tail_strategy, model_config, source)
        train_tail(model, encoded_train, train, epochs=args.tail_epochs, lr=args.tail_lr,
                   rate=args.tail_modality_dropout, seed=args.seed)
        seconds = time.perf_counter() - start
        row = score_outputs(tail_runner(model, encoded_test), test,
                            batch_size=args.batch_size).summary()
        scripted = script_model(model)
        row.update(strategy=name, params=parameter_count(model),
                   latency_ms=cpu_latency_ms(scripted, model_config, runs=args.latency_runs),
                   train_seconds=round(seconds, 1))
        log(json.dumps(row))
        return row

    results['strategies'] = []
    for name in args.strategies:
        log(f'strategy {name}')
        results['strategies'].append(train_and_score(name, config, name))
    results['trained_without'] = {}
    for name in MODALITIES[1:]:
        log(f'{strategy} without {name}')
        fusion = dataclasses.replace(
            config.fusion, modalities=tuple(m for m in config.fusion.modalities if m != name))
        results['trained_without'][name] = train_and_score(
            f'{strategy}-{name}', dataclasses.replace(config, fusion=fusion), strategy)
    if results['strategies']:
        plot_strategies(results['strategies'], out / 'strategies.png')
    (out / 'results.json').write_text(json.dumps(results, indent=1))
    write_report(results, out, args)
    return results


def write_report(results: dict, out: pathlib.Path, args: argparse.Namespace) -> None:
    s = results['shipped']
    summary = results['training_summary']
    settings = summary.get('settings', {})
    lines = [
        '# Evaluation report',
        '',
        'Generated by `python -m multimodal_fusion.training.evaluate` (see '
        '[docs/training.md](../training.md) for the protocol). Command:',
        '',
        f'    {args.command}',
        '',
        f'Test split: seed {results["test_seed"]}, {results["test_size"]} samples, never '
        f'used in training. CPU: {os.cpu_count()} cores, torch {torch.__version__}. '
        'Latencies were measured on a shared machine while other jobs ran: the same '
        'architecture measured twice can differ by 30 %; compare them coarsely.',
        '',
        'Grounding counts samples whose command refers to a visible object: the predicted box '
        "is the detection decoding flags as referred (threshold 0.5, the node's default "
        'decoding), else the detection nearest the predicted target point (unless the target '
        "head says 'none'); a hit needs IoU >= 0.5. mAP@0.5 ranks detections down to "
        'score 0.05.',
        '',
        f'## Shipped model: `{results["strategy"]}`, '
        f'{settings.get("camera_backbone", "small_cnn")} camera',
        '',
        f'Trained {summary.get("epochs_trained")} epochs on {settings.get("train_size")} '
        f'samples (best epoch {summary.get("best_epoch")}, '
        f'{summary.get("train_seconds", 0) / 60:.1f} min of training on '
        f'{summary.get("device")}); {s["params"] / 1e6:.2f} M parameters, '
        f'{s["file_mb"]} MB file, {s["latency_ms"]:.2f} ms CPU latency.',
        '',
    ]
    lines += _header('inputs')
    lines.append(_row('all modalities', s))
    lines += ['', '### One modality at a time (the rest masked)', '']
    lines += _header('only')
    for name, row in results['single'].items():
        lines.append(_row(name, row))
    lines += ['', '### Each modality missing in turn', '',
              'Left: the shipped model with the modality masked at inference. Right: a model '
              'of the same strategy trained without it (frozen-encoder protocol; the '
              f'`{results["strategy"]}` row of the strategy table is its all-modality '
              'reference under the same protocol). The detection head reads the camera, so a '
              'model without a camera cannot be built.', '']
    lines.append('| missing | masked: situation F1 | masked: action | masked: grounding | '
                 'masked: mAP | trained without: situation F1 | trained without: action | '
                 'trained without: grounding | trained without: mAP |')
    lines.append('|---|' + '--:|' * 8)
    for name in MODALITIES:
        masked = results['masked'][name]
        cells = [f'{100 * masked[k]:.1f}' for k in METRIC_COLUMNS]
        trained = results['trained_without'].get(name)
        cells += ([f'{100 * trained[k]:.1f}' for k in METRIC_COLUMNS] if trained
                  else ['n/a'] * 4)
        lines.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    lines += ['', '### Situations', '', '![confusion matrix](confusion_situations.png)', '',
              'Mean modality weight (`modality_weights` output) per true situation:', '',
              '| situation | ' + ' | '.join(MODALITIES) + ' |',
              '|---|' + '--:|' * len(MODALITIES)]
    for name, row in zip(SITUATIONS, results['modality_weights']):
        lines.append(f'| {name} | ' + ' | '.join(f'{v:.2f}' for v in row) + ' |')
    lines += ['', '![modality weights](modality_weights.png)', '']
    p = results['protocol']
    lines += [
        '## Strategies (frozen-encoder protocol)', '',
        f'Encoders (all five) copied from the shipped model and frozen; the fusion trained '
        f'from scratch and the heads fine-tuned from the shipped ones, {p["epochs"]} epochs '
        f'over the first {p["train_samples"]} training samples (AdamW, one-cycle lr '
        f'{p["lr"]}, modality dropout {p["modality_dropout"]}, seed {p["seed"]}). This ranks '
        'fusion strategies on equal encoders cheaply; it favours the shipped strategy, whose '
        'encoders were trained with it. Parameters and latency are of the whole scripted '
        'model. It is a quick check, not a comparison: two epochs leave most strategies '
        'undertrained. The comparison is the strategy study, [study/study.md](study/study.md) '
        '(every strategy trained to the same step budget, a learning rate each, three seeds, '
        'two modality-dropout rates).', '']
    lines += _header('strategy', ('params (M)', 'CPU latency (ms)', 'train (s)'))
    for row in sorted(results['strategies'], key=lambda r: r['strategy']):
        lines.append(_row(row['strategy'], row, (f'{row["params"] / 1e6:.2f}',
                                                 f'{row["latency_ms"]:.2f}',
                                                 f'{row["train_seconds"]:.0f}')))
    if results['strategies']:
        lines += ['', '![strategies](strategies.png)']
    eff = results['efficientnet_lite0']
    lines += ['', '## Camera backbone', '',
              f'`{results["strategy"]}` with the EfficientNet-Lite0 camera (ImageNet weights, '
              f'untrained heads; latency only): {eff["params"] / 1e6:.2f} M parameters, '
              f'{eff["latency_ms"]:.2f} ms CPU latency, against {s["latency_ms"]:.2f} ms with '
              'the small CNN.', '']
    (out / 'report.md').write_text('\n'.join(lines))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog='python -m multimodal_fusion.training.evaluate',
                                description=__doc__.split('\n\n')[0])
    p.add_argument('--model', default=str(default_model_path()), help='exported model file')
    p.add_argument('--out', default='docs/evaluation', help='report folder')
    p.add_argument('--test-size', type=int, default=1000)
    p.add_argument('--tail-train-size', type=int, default=2000)
    p.add_argument('--tail-epochs', type=int, default=3)
    p.add_argument('--tail-lr', type=float, default=1e-3)
    p.add_argument('--tail-modality-dropout', type=float, default=0.1)
    p.add_argument('--strategies', nargs='*', default=sorted(FUSION_BUILDERS),
                   choices=sorted(FUSION_BUILDERS))
    p.add_argument('--batch-size', type=int, default=100)
    p.add_argument('--latency-runs', type=int, default=30)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--workers', type=int, default=2, help='dataset generation processes')
    p.add_argument('--quiet', action='store_true')
    p.add_argument('--bags', nargs='+', type=pathlib.Path, default=None, metavar='BAG',
                   help='score the model on these labelled bags instead (report in their '
                        'label names; docs/bag_training.md)')
    p.add_argument('--params', type=pathlib.Path, default=None,
                   help="with --bags: the node's params file the bags are cut with")
    args = p.parse_args(argv)
    args.command = 'python -m multimodal_fusion.training.evaluate ' + ' '.join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.bags is not None:
        from multimodal_fusion.training.bag_training import write_bag_report

        try:
            results = write_bag_report(args.model, args.bags, args.out, command=args.command,
                                       params=args.params, batch_size=args.batch_size,
                                       progress=not args.quiet)
        except (ValueError, FileNotFoundError) as error:
            print(f'error: {error}', file=sys.stderr)
            return 2
        print(json.dumps(results['scores']), flush=True)
        return 0
    run(args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
