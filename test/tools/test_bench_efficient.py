# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import json
import math

import pytest
import torch

from multimodal_fusion.export.model_file import load_model
from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.models import ModelConfig
from multimodal_fusion.models.fusion_model import output_keys
from multimodal_fusion.sim.config import SimConfig
from multimodal_fusion.tools import bench_efficient
from multimodal_fusion.training.dataset import dataset_key
from multimodal_fusion.training.dataset import SPLIT_SEEDS

pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_a_tiny_run_writes_the_three_rows(tmp_path, capsys):
    out = tmp_path / 'docs' / 'efficient.md'
    rows = bench_efficient.main([
        '--size', '12', '--iterations', '3', '--warmup', '2', '--dataset-root',
        str(tmp_path / 'datasets'), '--workers', '0', '--out', str(out)])
    assert [r.name for r in rows] == list(bench_efficient.PATHS)
    fp32, int8, onnx = rows
    for row in rows:
        assert row.file_bytes > row.adapter_bytes >= 0
        assert 0 < row.median_ms <= row.p99_ms
        assert set(row.scores) >= {'situation_f1', 'action_accuracy', 'grounding', 'map50'}
        assert all(0.0 <= v <= 1.0 for v in row.scores.values())
        assert 0.0 <= row.situation_agreement <= 1.0 and 0.0 <= row.action_agreement <= 1.0
        assert math.isfinite(row.max_abs_diff)
    assert fp32.max_abs_diff == 0.0 and fp32.situation_agreement == 1.0
    assert fp32.max_diff_output == ''
    assert int8.max_abs_diff > 0.0  # it is another model
    # Any output of the shipped model (its relation read-outs included) may differ most.
    keys = output_keys(ModelConfig.from_dict(load_model(default_model_path())[1]['config']))
    assert int8.max_diff_output in keys and onnx.max_diff_output in keys
    assert onnx.adapter_bytes == 0 and int8.adapter_bytes == fp32.adapter_bytes > 0
    assert int8.file_bytes < fp32.file_bytes

    text = out.read_text()
    assert 'python -m multimodal_fusion.tools.bench_efficient --size 12' in text
    assert bench_efficient.cpu_model() in text and '12 samples' in text
    table = [line for line in text.splitlines() if line.startswith('| ')]
    assert len(table) == 4  # the header and the three paths
    for line, name in zip(table[1:], bench_efficient.PATHS):
        cells = [c.strip() for c in line.strip('|').split('|')]
        assert cells[0] == name
        assert all(float(c) >= 0 for c in cells[1:9])  # sizes, latencies, scores
        assert float(cells[9].split()[0]) >= 0  # the largest difference, and where
        assert cells[10].endswith('%')  # agreement with fp32
    assert '| fp32 TorchScript |' in capsys.readouterr().out


def _cache(root, seed, count):
    folder = root / dataset_key(SimConfig(), seed, count)
    folder.mkdir(parents=True)
    (folder / 'meta.json').write_text(json.dumps({'seed': seed, 'count': count}))


def test_the_default_size_is_a_cached_one(tmp_path):
    assert bench_efficient.cached_test_size(tmp_path) == bench_efficient.DEFAULT_SIZE
    test = SPLIT_SEEDS['test']
    _cache(tmp_path, test, 440)
    _cache(tmp_path, test, 5000)
    _cache(tmp_path, SPLIT_SEEDS['ci'], 900)  # another split
    (tmp_path / 'not-the-key').mkdir()
    (tmp_path / 'not-the-key' / 'meta.json').write_text(
        json.dumps({'seed': test, 'count': 800}))
    assert bench_efficient.cached_test_size(tmp_path) == 440
    _cache(tmp_path, test, bench_efficient.DEFAULT_SIZE)
    assert bench_efficient.cached_test_size(tmp_path) == bench_efficient.DEFAULT_SIZE


def test_timing_refuses_too_few_calls():
    with pytest.raises(ValueError, match='warmup'):
        bench_efficient.time_paths({}, [], iterations=5, warmup=1)
