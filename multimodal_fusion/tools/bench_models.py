# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Benchmark every fusion strategy side by side: size, FLOPs, latency, throughput.

Usage::

    python -m multimodal_fusion.tools.bench_models [--out docs/benchmarks/models.md]
        [--strategies NAME ...] [--iterations 50] [--warmup 10]
        [--efficientnet-strategy gated | --efficientnet-strategy '']
        [--device cpu|cuda] [--dtype fp32|fp16] [--batch-sizes 1 8 32]

By default: batch 1, CPU, ``torch.set_num_threads(1)``, all modalities present. For each
strategy: parameters, MFLOPs (``torch.utils.flop_counter.FlopCounterMode``: matmuls,
convolutions and attention; elementwise ops and the STFT are not counted), and the median
and 99th percentile latency of the eager model and of its TorchScript export, after a
warm-up.

With ``--device cuda`` (or other batch sizes than 1) the table has one row per strategy and
batch size for the TorchScript export only, as deployed: median and 99th percentile
latency and throughput. On CUDA each timed call ends with ``torch.cuda.synchronize()``;
``--dtype fp16`` halves the weights as ``export_model(..., fp16=True)`` does.
"""

import argparse
import dataclasses
import datetime
import os
import pathlib
import platform
import sys
import time
from typing import Callable
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
from multimodal_fusion.tools.machine import cpu_model

DEVICES: tuple[str, ...] = ('cpu', 'cuda')
DTYPES: tuple[str, ...] = ('fp32', 'fp16')


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


@dataclasses.dataclass(frozen=True)
class ThroughputResult:
    """One row of the per-batch table (TorchScript model on one device and dtype)."""

    strategy: str
    camera: str
    batch: int
    parameters: int
    mflops: float  # per sample (counted at batch 1)
    median_ms: float
    p99_ms: float

    @property
    def samples_per_s(self) -> float:
        """Throughput at the median latency."""
        return self.batch * 1e3 / self.median_ms


def _latencies_ms(fn, *, iterations: int, warmup: int,
                  synchronize: Callable[[], None] = lambda: None) -> np.ndarray:
    for _ in range(warmup):
        fn()
    synchronize()
    times = np.empty(iterations)
    for i in range(iterations):
        start = time.perf_counter()
        fn()
        synchronize()
        times[i] = time.perf_counter() - start
    return times * 1e3


def _check_counts(iterations: int, warmup: int) -> None:
    if iterations < 1 or warmup < 2:
        raise ValueError(f'need iterations >= 1 and warmup >= 2, got {iterations}, {warmup}')


def _build(strategy: str, config: ModelConfig) -> tuple[torch.nn.Module, float]:
    """The model in eval mode (seeded) and its MFLOPs at batch 1."""
    torch.manual_seed(0)
    model = build_model(strategy, config).eval()
    # FlopCounterMode's module tracker needs autograd, so count outside no_grad.
    counter = FlopCounterMode(display=False)
    with counter:
        model(*random_inputs(config, 1))
    return model, counter.get_total_flops() / 1e6


def benchmark_strategy(strategy: str, config: ModelConfig, *, iterations: int = 50,
                       warmup: int = 10) -> BenchResult:
    """Measure one strategy at batch 1 with the current torch thread setting.

    Raises:
        ValueError: if ``iterations < 1`` or ``warmup < 2`` (TorchScript optimises during
            its first two calls, which must not be timed).
    """
    _check_counts(iterations, warmup)
    model, mflops = _build(strategy, config)
    inputs = random_inputs(config, 1)
    with torch.no_grad():
        eager = _latencies_ms(lambda: model(*inputs), iterations=iterations, warmup=warmup)
    scripted = script_model(model)
    with torch.no_grad():
        script = _latencies_ms(lambda: scripted(*inputs), iterations=iterations, warmup=warmup)
    return BenchResult(
        strategy=strategy, camera=config.camera_backbone,
        parameters=sum(p.numel() for p in model.parameters()),
        mflops=mflops,
        eager_median_ms=float(np.median(eager)), eager_p99_ms=float(np.percentile(eager, 99)),
        script_median_ms=float(np.median(script)),
        script_p99_ms=float(np.percentile(script, 99)))


def benchmark_throughput(strategy: str, config: ModelConfig, *, device: str = 'cpu',
                         dtype: str = 'fp32', batch_sizes: Sequence[int] = (1,),
                         iterations: int = 50, warmup: int = 10) -> list[ThroughputResult]:
    """Measure the TorchScript export of one strategy at each batch size on ``device``.

    ``dtype='fp16'`` exports half weights as ``export_model(..., fp16=True)`` does (inputs
    stay as the node sends them; the model casts them). Each batch size gets its own
    warm-up. On CUDA every call is followed by ``torch.cuda.synchronize()``.

    Raises:
        ValueError: on bad counts (as :func:`benchmark_strategy`), a batch size < 1, an
            unknown dtype, or fp16 on the CPU.
    """
    _check_counts(iterations, warmup)
    if dtype not in DTYPES:
        raise ValueError(f'dtype must be one of {DTYPES}, got {dtype!r}')
    if dtype == 'fp16' and torch.device(device).type != 'cuda':
        raise ValueError('fp16 needs a CUDA device (CPU half kernels are incomplete and slow)')
    if not batch_sizes or min(batch_sizes) < 1:
        raise ValueError(f'batch sizes must be >= 1, got {list(batch_sizes)}')
    model, mflops = _build(strategy, config)
    scripted = script_model(model, fp16=dtype == 'fp16').to(device)
    synchronize = (torch.cuda.synchronize if torch.device(device).type == 'cuda'
                   else lambda: None)
    results = []
    for batch in batch_sizes:
        inputs = [x.to(device) for x in random_inputs(config, batch)]
        with torch.no_grad():
            times = _latencies_ms(lambda: scripted(*inputs), iterations=iterations,
                                  warmup=warmup, synchronize=synchronize)
        results.append(ThroughputResult(
            strategy=strategy, camera=config.camera_backbone, batch=batch,
            parameters=sum(p.numel() for p in model.parameters()), mflops=mflops,
            median_ms=float(np.median(times)), p99_ms=float(np.percentile(times, 99))))
    return results


def _table(columns: Sequence[str], right_aligned_from: int, rows: Sequence[str]) -> str:
    """A Markdown table: the header, the alignment row, then ``rows`` (already formatted)."""
    align = ['---'] * right_aligned_from + ['--:'] * (len(columns) - right_aligned_from)
    lines = ['| ' + ' | '.join(columns) + ' |', '|' + '|'.join(align) + '|', *rows]
    return '\n'.join(lines) + '\n'


def markdown_table(results: Sequence[BenchResult]) -> str:
    """The results as a Markdown table, one row per strategy."""
    return _table(
        ('strategy', 'camera', 'params (M)', 'MFLOPs', 'eager median (ms)', 'eager p99 (ms)',
         'TorchScript median (ms)', 'TorchScript p99 (ms)'), 2,
        [f'| {r.strategy} | {r.camera} | {r.parameters / 1e6:.2f} | {r.mflops:.1f} | '
         f'{r.eager_median_ms:.2f} | {r.eager_p99_ms:.2f} | {r.script_median_ms:.2f} | '
         f'{r.script_p99_ms:.2f} |' for r in results])


def throughput_table(results: Sequence[ThroughputResult]) -> str:
    """The per-batch results as a Markdown table, one row per strategy and batch size."""
    return _table(
        ('strategy', 'camera', 'batch', 'params (M)', 'MFLOPs / sample',
         'TorchScript median (ms)', 'TorchScript p99 (ms)', 'samples/s'), 2,
        [f'| {r.strategy} | {r.camera} | {r.batch} | {r.parameters / 1e6:.2f} | '
         f'{r.mflops:.1f} | {r.median_ms:.2f} | {r.p99_ms:.2f} | {r.samples_per_s:.0f} |'
         for r in results])


def report(results: Sequence[BenchResult | ThroughputResult], *, command: str,
           iterations: int, warmup: int, device: str = 'cpu', dtype: str = 'fp32') -> str:
    """The Markdown document: how it was made, on what, and the table."""
    setup = [f'- machine: {cpu_model()} ({os.cpu_count()} logical CPUs), '
             f'{torch.get_num_threads()} torch thread(s), '
             f'torch {torch.__version__}, Python {platform.python_version()}',
             f'- date: {datetime.date.today().isoformat()}']
    if all(isinstance(r, BenchResult) for r in results):
        setup.append(f'- batch 1, CPU, all five modalities present; {warmup} warm-up then '
                     f'{iterations} timed calls per model')
        table = markdown_table(results)
    else:
        cuda = torch.device(device).type == 'cuda'
        if cuda:
            setup.append(f'- GPU: {torch.cuda.get_device_name(device)}, CUDA '
                         f'{torch.version.cuda}, float32 matmul precision '
                         f'{torch.get_float32_matmul_precision()!r}, cuDNN TF32 '
                         f'{torch.backends.cudnn.allow_tf32}')
        halved = (' (weights halved as `export_model(..., fp16=True)` does; log-mel and input '
                  'normalisers stay float32)') if dtype == 'fp16' else ''
        synced = ', each followed by `torch.cuda.synchronize()`' if cuda else ''
        batches = ' '.join(str(b) for b in sorted({r.batch for r in results}))
        setup += [f'- device {device}, dtype {dtype}{halved}, TorchScript model; batch sizes '
                  f'{batches}; all five modalities present; per batch size {warmup} warm-up '
                  f'then {iterations} timed calls{synced}',
                  '- samples/s = batch / median latency']
        table = throughput_table(results)
    return '\n'.join([
        '# Fusion model benchmarks',
        '',
        f'Reproduce with: `{command}`',
        '',
        *setup,
        '- MFLOPs from `torch.utils.flop_counter.FlopCounterMode` (matmul, convolution, '
        'attention; elementwise ops and the STFT are not counted)',
        '- default `ModelConfig` sizes (128x128 camera, width 128); the `efficientnet_lite0` '
        'row swaps the small CNN for the pretrained EfficientNet-Lite0 trunk (traced inside '
        'the scripted model)',
        '- latencies on a shared machine vary; compare rows of one run, not across runs',
        '',
        table,
    ])


def main(argv: Optional[Sequence[str]] = None
         ) -> list[BenchResult] | list[ThroughputResult]:
    from multimodal_fusion.modules.fusion import FUSION_BUILDERS

    parser = argparse.ArgumentParser(
        prog='python -m multimodal_fusion.tools.bench_models',
        description='Benchmark the fusion strategies (default: batch 1, CPU, one thread).')
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
    parser.add_argument('--device', choices=DEVICES, default='cpu',
                        help='where to run (cuda: TorchScript model only, per batch size)')
    parser.add_argument('--dtype', choices=DTYPES, default='fp32',
                        help='weights as exported; fp16 needs --device cuda')
    parser.add_argument('--batch-sizes', type=int, nargs='+', default=[1], metavar='N',
                        help='batch sizes (default: 1); other than 1 gives the per-batch '
                             'TorchScript table on CPU too')
    args = parser.parse_args(argv)
    if args.efficientnet_strategy and args.efficientnet_strategy not in FUSION_BUILDERS:
        parser.error(f'unknown --efficientnet-strategy {args.efficientnet_strategy!r}')
    if args.dtype == 'fp16' and args.device != 'cuda':
        parser.error('--dtype fp16 needs --device cuda (CPU half kernels are incomplete and '
                     'slow; exported fp16 models run in float32 on the CPU)')
    if args.device == 'cuda' and not torch.cuda.is_available():
        parser.error(f'--device cuda: no CUDA device is available (torch {torch.__version__}'
                     f', built for CUDA {torch.version.cuda or "none"})')
    if min(args.batch_sizes) < 1:
        parser.error(f'--batch-sizes must be >= 1, got {args.batch_sizes}')
    per_batch = args.device != 'cpu' or args.batch_sizes != [1]

    torch.set_num_threads(1)
    config = tiny_model_config() if args.tiny else ModelConfig()
    runs = [(name, config) for name in args.strategies]
    if args.efficientnet_strategy:
        runs.append((args.efficientnet_strategy,
                     dataclasses.replace(config, camera_backbone='efficientnet_lite0')))
    results = []
    for name, run_config in runs:
        if per_batch:
            rows = benchmark_throughput(name, run_config, device=args.device, dtype=args.dtype,
                                        batch_sizes=args.batch_sizes,
                                        iterations=args.iterations, warmup=args.warmup)
            for row in rows:
                print(f'{name:>24} {run_config.camera_backbone:>18} batch {row.batch:4d} '
                      f'{row.median_ms:7.2f}/{row.p99_ms:7.2f} ms '
                      f'{row.samples_per_s:9.0f} samples/s', flush=True)
            results.extend(rows)
            continue
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
                  warmup=args.warmup, device=args.device, dtype=args.dtype)
    print()
    print(throughput_table(results) if per_batch else markdown_table(results))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return results


def cli() -> int:
    """Console script ``bench_models``: the benchmark, exit code 0."""
    main()
    return 0


if __name__ == '__main__':
    main()
