# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import hashlib

import numpy as np
import pytest
import torch

from multimodal_fusion.export import checksum_path
from multimodal_fusion.export import ModelFileError
from multimodal_fusion.export import quantize
from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.models import build_model
from multimodal_fusion.models import OUTPUT_KEYS
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.modules.fusion import FUSION_BUILDERS

# Outputs computed by convolutions alone (camera trunk, detection head): not quantised.
CONV_ONLY = ('det_obj', 'det_cls', 'det_box', 'det_color', 'det_size')


@pytest.fixture(scope='module')
def int8_path(tmp_path_factory):
    out = tmp_path_factory.mktemp('int8') / 'fusion_int8.pt'
    assert quantize.main(['--model', str(default_model_path()), '--out', str(out)]) == 0
    return out


@pytest.fixture(scope='module')
def engine(int8_path):
    return FusionEngine(int8_path)


@pytest.fixture(scope='module')
def outputs(engine, sim_samples):
    """``(fp32 outputs, int8 outputs)`` on the samples, preprocessed as the node does."""
    inputs = engine.preprocessor([s.frames for s in sim_samples]).tensors()
    fp32 = load_model_file(default_model_path()).module
    with torch.inference_mode():
        return fp32(*inputs), engine.module(*inputs)


def test_the_file_is_the_source_with_int8_linear_layers(int8_path):
    source = load_model_file(default_model_path())
    loaded = load_model_file(int8_path)
    summary = loaded.metadata['training_summary']
    info = summary.pop('quantization')
    assert info['scheme'] == 'int8-dynamic' and info['weights'] == 'qint8'
    assert info['source_sha256'] == hashlib.sha256(
        default_model_path().read_bytes()).hexdigest()
    # Weights read to cast inputs to the weight dtype, and the time-series encoders'.
    assert set(info['float_linear_layers']) == {
        'text_encoder.project', 'situation_evidence', 'touch_encoder.trend.0',
        'touch_encoder.trend.2', 'proprio_encoder.trend.0', 'proprio_encoder.trend.2'}
    assert 'fusion.blocks.0.mlp.fc1' in info['quantized_layers']
    assert summary == source.metadata['training_summary']
    for key in ('labels', 'strategy', 'spec', 'inputs', 'outputs', 'text_adapter', 'dtype'):
        assert loaded.metadata[key] == source.metadata[key], key
    # The same configuration (a file from before a config field was added gains its default).
    assert (ModelConfig.from_dict(loaded.metadata['config'])
            == ModelConfig.from_dict(source.metadata['config']))
    assert loaded.text_adapter.key == source.text_adapter.key
    types = {name: m._c._type().qualified_name() for name, m in loaded.module.named_modules()}
    assert '.quantized.dynamic.' in types['fusion.blocks.0.mlp.fc1']
    assert '.quantized.' not in types['situation_evidence']
    assert int8_path.stat().st_size < default_model_path().stat().st_size
    assert checksum_path(int8_path).is_file()


def test_int8_outputs_stay_close_to_fp32(outputs):
    fp32, int8 = outputs
    for key in OUTPUT_KEYS:
        if key in CONV_ONLY:
            torch.testing.assert_close(int8[key], fp32[key], msg=key)
            continue
        # Activations are quantised per call to 8 bits over their whole range, through up
        # to six quantised layers in a row. On the 1000-sample test split the largest
        # errors are 1.03 on logits reaching 20-50 (5 % at most; 0.49 at p99 of samples)
        # and 0.105 on modality weights (10.6 % of their range, p99 0.03): 15 % of the
        # output's largest magnitude (at least 1) bounds every output with some margin.
        scale = max(1.0, float(fp32[key].abs().max()))
        error = float((int8[key] - fp32[key]).abs().max())
        assert error <= 0.15 * scale, (key, error, scale)


def test_int8_decisions_equal_fp32(outputs, sim_samples):
    fp32, int8 = outputs
    for key in ('situation_logits', 'action_logits', 'target_logits'):
        assert torch.equal(int8[key].argmax(-1), fp32[key].argmax(-1)), key
    truth = np.array([s.truth.situation for s in sim_samples])
    assert (int8['situation_logits'].argmax(-1).numpy() == truth).mean() >= 0.9


def test_fusion_engine_runs_the_int8_file(engine, sim_samples, outputs):
    fp32, _ = outputs
    result = engine.infer(sim_samples[5].frames)
    assert engine.metadata['training_summary']['quantization']['scheme'] == 'int8-dynamic'
    assert engine.text_adapter is not None
    assert result.prediction.situations[0].index == int(fp32['situation_logits'][5].argmax())
    assert all(np.isfinite(label.score) for label in result.prediction.situations)


@pytest.mark.parametrize('strategy', sorted(FUSION_BUILDERS))
def test_every_strategy_quantises_and_scripts(strategy):
    config = tiny_model_config()
    torch.manual_seed(0)
    model = build_model(strategy, config).eval()
    quantized, layers, kept = quantize.quantize_dynamic_int8(model)
    assert layers and {'text_encoder.project', 'situation_evidence'} <= set(kept)
    assert not any(name.startswith('fusion.') for name in kept)
    assert type(model.situation_head.layers[1]) is torch.nn.Linear  # the source is untouched
    scripted = script_model(quantized)
    inputs = random_inputs(config, 3)
    with torch.no_grad():
        want, got = model(*inputs), scripted(*inputs)
    for key in OUTPUT_KEYS:
        # Tiny random models: outputs of order 1, int8 noise of order 1 %.
        torch.testing.assert_close(got[key], want[key], atol=0.1, rtol=0.1, msg=key)


def test_time_series_encoders_are_quantised_only_when_asked():
    model = build_model('gated', tiny_model_config()).eval()
    _, kept = quantize.quantizable_linears(model)
    assert 'touch_encoder.trend.0' in kept and 'proprio_encoder.trend.2' in kept
    layers, kept = quantize.quantizable_linears(model, keep_float_in=())
    assert 'touch_encoder.trend.0' in layers
    assert kept == ['text_encoder.project', 'situation_evidence']


def test_missing_file_fails_naming_it(tmp_path, capsys):
    missing = tmp_path / 'absent.pt'
    with pytest.raises(ModelFileError, match='no such model file') as info:
        quantize.quantize_model_file(missing, tmp_path / 'out.pt')
    assert info.value.path == missing
    assert quantize.main(['--model', str(missing), '--out', str(tmp_path / 'out.pt')]) == 1
    assert f'error: {missing}: no such model file' in capsys.readouterr().err
    assert not (tmp_path / 'out.pt').exists()


def test_not_a_model_file_fails_naming_it(tmp_path):
    junk = tmp_path / 'junk.pt'
    junk.write_bytes(b'not a zip')
    with pytest.raises(ModelFileError, match=f'{junk}: checksum file'):
        quantize.quantize_model_file(junk, tmp_path / 'out.pt')
    checksum_path(junk).write_text(f'{hashlib.sha256(b"not a zip").hexdigest()}  junk.pt\n')
    with pytest.raises(ModelFileError, match=f'{junk}: not a loadable TorchScript model'):
        quantize.quantize_model_file(junk, tmp_path / 'out.pt')


def test_a_quantised_file_is_not_quantised_again(int8_path, tmp_path):
    with pytest.raises(ModelFileError, match='already quantised'):
        quantize.quantize_model_file(int8_path, tmp_path / 'twice.pt')
    with pytest.raises(ValueError, match='overwrite the source'):
        quantize.quantize_model_file(int8_path, int8_path)
