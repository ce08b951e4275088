# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark every fusion strategy side by side: size, FLOPs, CPU latency.

Usage::

    python -m multimodal_fusion.tools.bench_models [--out docs/benchmarks/models.md]
        [--strategies NAME ...] [--iterations 50] [--warmup 10]
        [--efficientnet-strategy gated | --efficientnet-strategy '']

Batch 1, CPU, ``torch.set_num_threads(1)``, all modalities present. For each strategy:
parameters, MFLOPs (``torch.utils.flop_counter.FlopCounterMode``: matmuls, convolutions and
attention; elementwise ops and the STFT are not counted), and the median and 99th
percentile latency of the eager model and of its TorchScript export, after a warm-up.
"""

import argparse
import dataclasses
import datetime
import os
import pathlib
import platform
import sys
import time
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config


@dataclasses.dataclass(frozen=True)
class BenchResult:
    """One row of the table."""

    strategy: str
    camera: str
    parameters: int
    mflops: float
    eager_median_ms: float
    eager_p99_ms: float
    script_median_ms: float
    script_p99_ms: float


def _latencies_ms(fn, *, iterations: int, warmup: int) -> np.ndarray:
    for _ in range(warmup):
        fn()
    times = np.empty(iterations)
    for i in range(iterations):
        start = time.perf_counter()
        fn()
        times[i] = time.perf_counter() - start
    return times * 1e3


def benchmark_strategy(strategy: str, config: ModelConfig, *, iterations: int = 50,
                       warmup: int = 10) -> BenchResult:
    """Measure one strategy at batch 1 with the current torch thread setting.

    Raises:
        ValueError: if ``iterations < 1`` or ``warmup < 2`` (TorchScript optimises during
            its first two calls, which must not be timed).
    """
    if iterations < 1 or warmup < 2:
        raise ValueError(f'need iterations >= 1 and warmup >= 2, got {iterations}, {warmup}')
    torch.manual_seed(0)
    model = build_model(strategy, config).eval()
    inputs = random_inputs(config, 1)
    # FlopCounterMode's module tracker needs autograd, so count outside no_grad.
    counter = FlopCounterMode(display=False)
    with counter:
        model(*inputs)
    with torch.no_grad():
        eager = _latencies_ms(lambda: model(*inputs), iterations=iterations, warmup=warmup)
    scripted = script_model(model)
    with torch.no_grad():
        script = _latencies_ms(lambda: scripted(*inputs), iterations=iterations, warmup=warmup)
    return BenchResult(
        strategy=strategy, camera=config.camera_backbone,
        parameters=sum(p.numel() for p in model.parameters()),
        mflops=counter.get_total_flops() / 1e6,
        eager_median_ms=float(np.median(eager)), eager_p99_ms=float(np.percentile(eager, 99)),
        script_median_ms=float(np.median(script)),
        script_p99_ms=float(np.percentile(script, 99)))


def cpu_model() -> str:
    """The CPU model name from ``/proc/cpuinfo`` (or ``platform.processor()``)."""
    try:
        for line in pathlib.Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or 'unknown'


def markdown_table(results: Sequence[BenchResult]) -> str:
    """The results as a Markdown table, one row per strategy."""
    lines = [
        '| strategy | camera | params (M) | MFLOPs | eager median (ms) | eager p99 (ms) | '
        'TorchScript median (ms) | TorchScript p99 (ms) |',
        '|---|---|--:|--:|--:|--:|--:|--:|',
    ]
    for r in results:
        lines.append(
            f'| {r.strategy} | {r.camera} | {r.parameters / 1e6:.2f} | {r.mflops:.1f} | '
            f'{r.eager_median_ms:.2f} | {r.eager_p99_ms:.2f} | {r.script_median_ms:.2f} | '
            f'{r.script_p99_ms:.2f} |')
    return '\n'.join(lines) + '\n'


def report(results: Sequence[BenchResult], *, command: str, iterations: int,
           warmup: int) -> str:
    """The Markdown document: how it was made, on what, and the table."""
    return '\n'.join([
        '# Fusion model benchmarks',
        '',
        f'Reproduce with: `{command}`',
        '',
        f'- machine: {cpu_model()} ({os.cpu_count()} logical CPUs), '
        f'{torch.get_num_threads()} torch thread(s), '
        f'torch {torch.__version__}, Python {platform.python_version()}',
        f'- date: {datetime.date.today().isoformat()}',
        f'- batch 1, CPU, all five modalities present; {warmup} warm-up then {iterations} '
        'timed calls per model',
        '- MFLOPs from `torch.utils.flop_counter.FlopCounterMode` (matmul, convolution, '
        'attention; elementwise ops and the STFT are not counted)',
        '- default `ModelConfig` sizes (128x128 camera, width 128); the `efficientnet_lite0` '
        'row swaps the small CNN for the pretrained EfficientNet-Lite0 trunk (traced inside '
        'the scripted model)',
        '- latencies on a shared machine vary; compare rows of one run, not across runs',
        '',
        markdown_table(results),
    ])


def main(argv: Optional[Sequence[str]] = None) -> list[BenchResult]:
    from multimodal_fusion.modules.fusion import FUSION_BUILDERS

    parser = argparse.ArgumentParser(
        prog='python -m multimodal_fusion.tools.bench_models',
        description='Benchmark the fusion strategies (batch 1, CPU, one thread).')
    parser.add_argument('--out', type=pathlib.Path, default=None,
                        help='write the Markdown report here (e.g. docs/benchmarks/models.md)')
    parser.add_argument('--strategies', nargs='+', default=sorted(FUSION_BUILDERS),
                        choices=sorted(FUSION_BUILDERS), metavar='NAME',
                        help='strategies to measure (default: all)')
    parser.add_argument('--iterations', type=int, default=50, help='timed calls per model')
    parser.add_argument('--warmup', type=int, default=10, help='untimed calls first')
    parser.add_argument('--efficientnet-strategy', default='gated',
                        help="strategy for the extra EfficientNet-Lite0 row ('' for none)")
    parser.add_argument('--tiny', action='store_true',
                        help='use the tiny test configuration (smoke test of this tool)')
    args = parser.parse_args(argv)
    if args.efficientnet_strategy and args.efficientnet_strategy not in FUSION_BUILDERS:
        parser.error(f'unknown --efficientnet-strategy {args.efficientnet_strategy!r}')

    torch.set_num_threads(1)
    config = tiny_model_config() if args.tiny else ModelConfig()
    runs = [(name, config) for name in args.strategies]
    if args.efficientnet_strategy:
        runs.append((args.efficientnet_strategy,
                     dataclasses.replace(config, camera_backbone='efficientnet_lite0')))
    results = []
    for name, run_config in runs:
        result = benchmark_strategy(name, run_config, iterations=args.iterations,
                                    warmup=args.warmup)
        print(f'{name:>24} {run_config.camera_backbone:>18} '
              f'{result.parameters / 1e6:6.2f} M {result.mflops:8.1f} MFLOPs  eager '
              f'{result.eager_median_ms:6.2f}/{result.eager_p99_ms:6.2f} ms  script '
              f'{result.script_median_ms:6.2f}/{result.script_p99_ms:6.2f} ms', flush=True)
        results.append(result)
    command = 'python -m multimodal_fusion.tools.bench_models ' + ' '.join(
        sys.argv[1:] if argv is None else argv)
    text = report(results, command=command.strip(), iterations=args.iterations,
                  warmup=args.warmup)
    print()
    print(markdown_table(results))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return results


if __name__ == '__main__':
    main()
