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
