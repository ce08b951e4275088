# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shipped model three ways on the CPU: fp32 TorchScript, int8 TorchScript, ONNX Runtime.

Usage::

    python -m multimodal_fusion.tools.bench_efficient [--out docs/evaluation/efficient.md]
        [--model FILE] [--size N] [--iterations 200] [--warmup 20]

One run builds the int8 dynamically quantised model file
(:mod:`multimodal_fusion.export.quantize`) and the ONNX model
(:mod:`multimodal_fusion.export.onnx_export`) from the model file into a temporary folder,
then measures each path side by side: file size, batch-1 latency on one CPU thread (ONNX
Runtime with one intra-op thread), and the scores on the simulator's ``test`` split
(``evaluate_split``'s metrics, through the node's decoding), with the largest absolute
difference of any output from the fp32 TorchScript model's and how often the situation and
action argmax agree with it.

The timed calls go round-robin over the three paths, so a load change on a shared machine
hits all of them alike.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import platform
import sys
import tempfile
import time
from typing import Callable
from typing import Optional
from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.export.onnx_export import export_onnx
from multimodal_fusion.export.quantize import quantize_model_file
from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.tools.figures import median_p99
from multimodal_fusion.tools.machine import cpu_model
from multimodal_fusion.training.dataset import dataset_key
from multimodal_fusion.training.dataset import default_dataset_root
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import META_FILE
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.dataset import split_config
from multimodal_fusion.training.dataset import SPLIT_SEEDS
from multimodal_fusion.training.evaluation import EvalResult
from multimodal_fusion.training.evaluation import score_outputs

SPLIT = 'test'
DEFAULT_SIZE = 1000
PATHS: tuple[str, ...] = ('fp32 TorchScript', 'int8 TorchScript (dynamic)',
                          'ONNX Runtime (fp32)')

ModelFn = Callable[..., dict]


@dataclasses.dataclass(frozen=True)
class PathResult:
    """One row of the table.

    Attributes:
        name: the path.
        file_bytes: the model file's size.
        adapter_bytes: of which the text adapter (0 for ONNX, which does not carry it).
        median_ms: batch-1 latency, median.
        p99_ms: batch-1 latency, 99th percentile.
        scores: ``EvalResult.summary()`` on the split.
        max_abs_diff: largest absolute difference of any output from fp32 TorchScript's.
        max_diff_output: the output it is in ('' when there is none).
        situation_agreement: fraction of samples whose situation argmax is fp32's.
        action_agreement: fraction of samples whose action argmax is fp32's.
    """

    name: str
    file_bytes: int
    adapter_bytes: int
    median_ms: float
    p99_ms: float
    scores: dict[str, float]
    max_abs_diff: float
    max_diff_output: str
    situation_agreement: float
    action_agreement: float


def model_split_config(model: os.PathLike | str) -> SimConfig:
    """The simulator configuration of the splits the model file reads."""
    return split_config(load_model_file(model).config)


def cached_test_size(root: Optional[os.PathLike | str] = None,
                     preferred: int = DEFAULT_SIZE, config: SimConfig = SimConfig()) -> int:
    """``preferred`` if that test split is cached (or none is), else the largest cached one.

    Only splits of ``config`` count (the model's :func:`split_config`, what the benchmark
    opens).
    """
    root = pathlib.Path(root) if root is not None else default_dataset_root()
    seed = SPLIT_SEEDS[SPLIT]
    sizes = []
    for meta_path in root.glob(f'*/{META_FILE}'):
        try:
            meta = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        count = meta.get('count')
        if meta.get('seed') == seed and isinstance(count, int) and \
                meta_path.parent.name == dataset_key(config, seed, count):
            sizes.append(count)
    if not sizes or preferred in sizes:
        return preferred
    smaller = [s for s in sizes if s <= preferred]
    return max(smaller) if smaller else min(sizes)


def onnx_runner(path: os.PathLike | str, input_names: Sequence[str]) -> ModelFn:
    """An ONNX Runtime CPU session on one intra-op thread, called like the TorchScript model.

    Returns ``fn(camera, audio, text, touch, proprio, mask) -> {output name: tensor}``.
    """
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    session = onnxruntime.InferenceSession(str(path), options,
                                           providers=['CPUExecutionProvider'])
    names = [o.name for o in session.get_outputs()]

    def run(*inputs: Tensor) -> dict[str, Tensor]:
        feed = {name: x.cpu().numpy() for name, x in zip(input_names, inputs)}
        return {name: torch.from_numpy(v) for name, v in zip(names, session.run(names, feed))}

    return run


def _chunk_inputs(split: SimulatedSplit, chunk: Sequence[int]) -> list[Tensor]:
    items = [split[i] for i in chunk]
    return [torch.stack([item[j] for item in items]) for j in range(6)]


def score_paths(models: dict[str, ModelFn], split: SimulatedSplit, *, batch_size: int = 64
                ) -> dict[str, tuple[EvalResult, float, str]]:
    """Score each model on ``split``; the first is the reference the others are compared to.

    Returns ``{name: (scores, largest absolute output difference from the reference, the
    output it is in)}``.
    """
    reference: dict[tuple[int, ...], dict[str, Tensor]] = {}
    results = {}
    for index, (name, fn) in enumerate(models.items()):
        worst = {'diff': 0.0, 'output': ''}

        def run(chunk: list[int], fn: ModelFn = fn, first: bool = index == 0,
                worst: dict = worst) -> dict:
            outputs = {k: v.float() for k, v in fn(*_chunk_inputs(split, chunk)).items()}
            if first:
                reference[tuple(chunk)] = outputs
                return outputs
            for key, want in reference[tuple(chunk)].items():
                diff = float((outputs[key] - want).abs().max())
                if diff > worst['diff']:
                    worst.update(diff=diff, output=key)
            return outputs

        with torch.inference_mode():
            result = score_outputs(run, split, batch_size=batch_size)
        results[name] = (result, worst['diff'], worst['output'])
    return results


def time_paths(models: dict[str, ModelFn], inputs: Sequence[Tensor], *, iterations: int,
               warmup: int) -> dict[str, list[float]]:
    """Batch-1 latencies (ms) of each model, timed round-robin after ``warmup`` calls each.

    Raises:
        ValueError: if ``iterations < 1`` or ``warmup < 2`` (TorchScript optimises during
            its first two calls, which must not be timed).
    """
    if iterations < 1 or warmup < 2:
        raise ValueError(f'need iterations >= 1 and warmup >= 2, got {iterations}, {warmup}')
    times: dict[str, list[float]] = {name: [] for name in models}
    with torch.inference_mode():
        for fn in models.values():
            for _ in range(warmup):
                fn(*inputs)
        for _ in range(iterations):
            for name, fn in models.items():
                start = time.perf_counter()
                fn(*inputs)
                times[name].append((time.perf_counter() - start) * 1e3)
    return times


def benchmark(model: os.PathLike | str, workdir: os.PathLike | str, *, size: int,
              iterations: int = 200, warmup: int = 20, batch_size: int = 64,
              dataset_root: Optional[os.PathLike | str] = None, workers: int = 2,
              log: Callable[[str], None] = print) -> list[PathResult]:
    """Build the int8 and ONNX models of ``model`` in ``workdir`` and measure all three.

    Returns one :class:`PathResult` per entry of :data:`PATHS`, in that order.
    """
    workdir = pathlib.Path(workdir)
    log(f'quantising {model}')
    int8_path = quantize_model_file(model, workdir / 'fusion_int8.pt')
    log('exporting ONNX')
    onnx_path = export_onnx(model, workdir / 'fusion.onnx')
    fp32 = load_model_file(model)
    int8 = load_model_file(int8_path)
    adapter_bytes = 0 if fp32.text_adapter is None else len(fp32.text_adapter.to_bytes())
    models: dict[str, ModelFn] = {
        PATHS[0]: fp32.module, PATHS[1]: int8.module,
        PATHS[2]: onnx_runner(onnx_path, fp32.metadata['inputs'])}
    files = {PATHS[0]: (pathlib.Path(model), adapter_bytes),
             PATHS[1]: (int8_path, adapter_bytes), PATHS[2]: (onnx_path, 0)}

    log(f'{SPLIT} split, {size} samples')
    split = load_split(SPLIT, size, root=dataset_root, workers=workers, progress=False,
                       text_adapter=fp32.text_adapter, config=model_split_config(model))
    scored = score_paths(models, split, batch_size=batch_size)
    log(f'timing: {warmup} warm-up calls each, then {iterations} round-robin')
    times = time_paths(models, _chunk_inputs(split, [0]), iterations=iterations,
                       warmup=warmup)
    reference = scored[PATHS[0]][0]
    rows = []
    for name in PATHS:
        result, worst, worst_output = scored[name]
        median, p99 = median_p99(times[name])
        path, adapter = files[name]
        rows.append(PathResult(
            name=name, file_bytes=path.stat().st_size, adapter_bytes=adapter,
            median_ms=median, p99_ms=p99, scores=result.summary(), max_abs_diff=worst,
            max_diff_output=worst_output,
            situation_agreement=float(np.mean(result.situation_pred ==
                                              reference.situation_pred)),
            action_agreement=float(np.mean(result.action_pred == reference.action_pred))))
    return rows


def markdown_table(rows: Sequence[PathResult]) -> str:
    """The rows as a Markdown table."""
    columns = ('path', 'file (MB)', 'without text adapter (MB)', 'median (ms)', 'p99 (ms)',
               'situation F1', 'action acc.', 'grounding', 'mAP@0.5', 'max abs diff vs fp32',
               'situation / action = fp32')
    lines = ['| ' + ' | '.join(columns) + ' |', '|---|' + '--:|' * (len(columns) - 1)]
    for r in rows:
        s = r.scores
        lines.append(
            f'| {r.name} | {r.file_bytes / 1e6:.2f} | '
            f'{(r.file_bytes - r.adapter_bytes) / 1e6:.2f} | {r.median_ms:.2f} | '
            f'{r.p99_ms:.2f} | {s["situation_f1"]:.3f} | {s["action_accuracy"]:.3f} | '
            f'{s["grounding"]:.3f} | {s["map50"]:.3f} | {r.max_abs_diff:.2g}'
            f'{f" ({r.max_diff_output})" if r.max_diff_output else ""} | '
            f'{r.situation_agreement:.1%} / {r.action_agreement:.1%} |')
    return '\n'.join(lines) + '\n'


def report(rows: Sequence[PathResult], *, command: str, model: os.PathLike | str, size: int,
           iterations: int, warmup: int) -> str:
    """The Markdown document: how it was made, on what, and the table."""
    import onnxruntime

    return '\n'.join([
        '# Efficient inference paths: int8 TorchScript and ONNX Runtime',
        '',
        f'Reproduce with: `{command}`',
        '',
        f'- model: `{pathlib.Path(model).name}`; int8 = `python -m '
        'multimodal_fusion.export.quantize` (dynamic quantisation of the linear layers, '
        'qint8 weights; convolutions stay float32), ONNX = `python -m '
        'multimodal_fusion.export.onnx_export` (dynamo exporter)',
        f'- machine: {cpu_model()} ({os.cpu_count()} logical CPUs), torch '
        f'{torch.__version__} on {torch.get_num_threads()} thread(s), onnxruntime '
        f'{onnxruntime.__version__} (CPU, 1 intra-op thread), Python '
        f'{platform.python_version()}',
        f'- date: {datetime.date.today().isoformat()}',
        f'- latency: the model call alone at batch 1 (test sample 0, all modalities present), '
        f'{warmup} warm-up calls each, then {iterations} timed calls round-robin over the '
        'three paths; on a shared machine latencies vary, compare rows of one run',
        f'- scores: simulator `{SPLIT}` split (seed {SPLIT_SEEDS[SPLIT]}), {size} samples, '
        "through the node's decoding (`training.evaluation.score_outputs`); max abs diff: "
        'the largest difference of any output (logits, boxes, weights) from fp32 '
        'TorchScript over the split, and the output it is in (`det_ref` holds log-odds of '
        'products of probabilities clamped at 1e-6, where float rounding is magnified); the '
        "last column: samples whose situation and action argmax equal fp32 TorchScript's",
        "- the .pt files carry the sentence encoder's text adapter; the ONNX graph starts "
        'from the text embedding and does not',
        '',
        markdown_table(rows),
    ])


def main(argv: Optional[Sequence[str]] = None) -> list[PathResult]:
    parser = argparse.ArgumentParser(
        prog='python -m multimodal_fusion.tools.bench_efficient',
        description='fp32 TorchScript vs int8 TorchScript vs ONNX Runtime on the CPU.')
    parser.add_argument('--out', type=pathlib.Path, default=None,
                        help='write the Markdown report here (e.g. '
                             'docs/evaluation/efficient.md)')
    parser.add_argument('--model', type=pathlib.Path, default=default_model_path(),
                        help='the float model file (default: the shipped one)')
    parser.add_argument('--size', type=int, default=None,
                        help=f'{SPLIT} split samples (default: {DEFAULT_SIZE}, or the largest '
                             'cached size when that one is not cached)')
    parser.add_argument('--iterations', type=int, default=200, help='timed calls per path')
    parser.add_argument('--warmup', type=int, default=20, help='untimed calls per path first')
    parser.add_argument('--batch-size', type=int, default=64, help='batch for the scores')
    parser.add_argument('--dataset-root', type=pathlib.Path, default=None,
                        help='dataset cache root (default: the package cache)')
    parser.add_argument('--workers', type=int, default=2,
                        help='processes generating the split if it is not cached')
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.warmup < 2:
        parser.error('need --iterations >= 1 and --warmup >= 2')
    size = args.size if args.size is not None else cached_test_size(
        args.dataset_root, config=model_split_config(args.model))
    if size < 1:
        parser.error(f'--size must be >= 1, got {size}')
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix='bench_efficient.') as tmp:
        rows = benchmark(args.model, tmp, size=size, iterations=args.iterations,
                         warmup=args.warmup, batch_size=args.batch_size,
                         dataset_root=args.dataset_root, workers=args.workers,
                         log=lambda line: print(line, flush=True))
    given = list(sys.argv[1:] if argv is None else argv)
    if args.size is None:
        given = ['--size', str(size)] + given
    command = 'python -m multimodal_fusion.tools.bench_efficient ' + ' '.join(given)
    print()
    print(markdown_table(rows))
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report(rows, command=command, model=args.model, size=size,
                                   iterations=args.iterations, warmup=args.warmup))
    return rows


if __name__ == '__main__':
    main()
