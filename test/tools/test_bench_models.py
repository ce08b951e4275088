# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import pytest
import torch

from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.tools import bench_models


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_benchmark_strategy_measures_a_tiny_model():
    result = bench_models.benchmark_strategy('gated', tiny_model_config(), iterations=3,
                                             warmup=2)
    assert result.parameters > 0 and result.mflops > 0
    assert 0 < result.eager_median_ms <= result.eager_p99_ms
    assert 0 < result.script_median_ms <= result.script_p99_ms
    with pytest.raises(ValueError, match='warmup'):
        bench_models.benchmark_strategy('gated', tiny_model_config(), warmup=1)


def test_command_writes_a_markdown_report(tmp_path, capsys):
    out = tmp_path / 'docs' / 'models.md'
    results = bench_models.main(['--tiny', '--strategies', 'feature_concat', 'gated',
                                 '--iterations', '2', '--warmup', '2', '--out', str(out)])
    assert [r.strategy for r in results] == ['feature_concat', 'gated', 'gated']
    assert results[-1].camera == 'efficientnet_lite0'
    text = out.read_text()
    assert 'python -m multimodal_fusion.tools.bench_models --tiny' in text
    assert bench_models.cpu_model() in text
    assert text.count('| gated |') == 2 and '| feature_concat | small_cnn |' in text
    assert '| strategy |' in capsys.readouterr().out


def test_throughput_rows_per_batch_size_on_cpu():
    rows = bench_models.benchmark_throughput('gated', tiny_model_config(), batch_sizes=(1, 3),
                                             iterations=3, warmup=2)
    assert [r.batch for r in rows] == [1, 3]
    for r in rows:
        assert r.parameters > 0 and r.mflops > 0
        assert 0 < r.median_ms <= r.p99_ms
        assert r.samples_per_s == pytest.approx(r.batch * 1e3 / r.median_ms)
    with pytest.raises(ValueError, match='fp16 needs a CUDA device'):
        bench_models.benchmark_throughput('gated', tiny_model_config(), dtype='fp16')
    with pytest.raises(ValueError, match='batch sizes'):
        bench_models.benchmark_throughput('gated', tiny_model_config(), batch_sizes=(0,))


def test_cpu_batch_sizes_write_the_per_batch_table(tmp_path):
    out = tmp_path / 'cpu.md'
    results = bench_models.main(['--tiny', '--strategies', 'feature_concat',
                                 '--efficientnet-strategy', '', '--batch-sizes', '1', '2',
                                 '--iterations', '2', '--warmup', '2', '--out', str(out)])
    assert [(r.strategy, r.batch) for r in results] == [('feature_concat', 1),
                                                        ('feature_concat', 2)]
    text = out.read_text()
    assert '| samples/s |' in text and '| feature_concat | small_cnn | 2 |' in text
    assert 'device cpu, dtype fp32' in text


@pytest.mark.parametrize('argv, message', [
    (['--dtype', 'fp16'], '--dtype fp16 needs --device cuda'),
    (['--batch-sizes', '0'], '--batch-sizes must be >= 1'),
    (['--device', 'tpu'], "invalid choice: 'tpu'"),
])
def test_bad_arguments_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench_models.main(['--tiny'] + argv)
    assert message in capsys.readouterr().err


def test_cuda_without_a_gpu_is_refused(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit):
        bench_models.main(['--tiny', '--device', 'cuda'])
    assert '--device cuda: no CUDA device is available' in capsys.readouterr().err


@pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device on this machine')
@pytest.mark.parametrize('dtype', ['fp32', 'fp16'])
def test_cuda_report(dtype, tmp_path):
    out = tmp_path / 'cuda.md'
    results = bench_models.main(['--tiny', '--strategies', 'gated', '--device', 'cuda',
                                 '--dtype', dtype, '--batch-sizes', '1', '4',
                                 '--iterations', '3', '--warmup', '2', '--out', str(out)])
    assert [(r.strategy, r.camera, r.batch) for r in results] == [
        ('gated', 'small_cnn', 1), ('gated', 'small_cnn', 4),
        ('gated', 'efficientnet_lite0', 1), ('gated', 'efficientnet_lite0', 4)]
    text = out.read_text()
    assert torch.cuda.get_device_name(0) in text and f'dtype {dtype}' in text
    assert 'torch.cuda.synchronize()' in text
