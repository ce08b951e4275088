# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Latency helpers of the evaluation commands."""

import pytest
import torch

from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.training.evaluate import cpu_latency_ms
from multimodal_fusion.training.evaluate import cuda_latency_ms


@pytest.fixture(scope='module')
def scripted():
    config = ModelConfig()
    torch.manual_seed(0)
    return config, script_model(build_model('feature_concat', config).eval())


def test_cpu_latency_is_a_positive_median_and_restores_the_thread_count(scripted):
    config, model = scripted
    threads = torch.get_num_threads()
    assert cpu_latency_ms(model, config, runs=3, warmup=2) > 0
    assert torch.get_num_threads() == threads


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the refusal without a GPU')
def test_cuda_latency_without_a_gpu_says_so(scripted):
    config, model = scripted
    with pytest.raises(RuntimeError, match='needs a CUDA device'):
        cuda_latency_ms(model, config, runs=1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_latency_is_measured_on_the_gpu(scripted):
    config, model = scripted
    assert cuda_latency_ms(model, config, runs=3, warmup=2) > 0
