# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import dataclasses
import hashlib

import numpy as np
import pytest
import torch

from multimodal_fusion.export import checksum_path
from multimodal_fusion.export import export_model
from multimodal_fusion.export import ModelFileError
from multimodal_fusion.export import onnx_export
from multimodal_fusion.export.model_file import INPUTS
from multimodal_fusion.export.quantize import quantize_model_file
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.models import build_model
from multimodal_fusion.models import OUTPUT_KEYS
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.models.testing import TINY_SPEC
from multimodal_fusion.spec import MODALITIES

onnxruntime = pytest.importorskip('onnxruntime')
pytest.importorskip('onnxscript')  # the dynamo exporter's ONNX builder


@pytest.fixture(scope='module')
def source():
    return FusionEngine(default_model_path())


@pytest.fixture(scope='module')
def onnx_path(tmp_path_factory):
    out = tmp_path_factory.mktemp('onnx') / 'fusion.onnx'
    assert onnx_export.main(['--model', str(default_model_path()), '--out', str(out)]) == 0
    return out


@pytest.fixture(scope='module')
def session(onnx_path):
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    return onnxruntime.InferenceSession(str(onnx_path), options,
                                        providers=['CPUExecutionProvider'])


@pytest.fixture(scope='module')
def inputs(source, sim_samples):
    """Simulator samples preprocessed as the node does (the model's own text adapter)."""
    return source.preprocessor([s.frames for s in sim_samples]).tensors()


def _run(session, tensors):
    feed = {name: x.numpy() for name, x in zip(INPUTS, tensors)}
    return dict(zip(OUTPUT_KEYS, session.run(list(OUTPUT_KEYS), feed)))


def _compare(source, session, tensors, atol):
    with torch.inference_mode():
        want = source.module(*tensors)
    got = _run(session, tensors)
    for key in OUTPUT_KEYS:
        expected, actual = want[key], torch.from_numpy(got[key])
        if key == 'det_ref':
            # Log-odds of products of probabilities clamped at 1e-6: for cells that match
            # nothing (logits near -13.8) a 1e-4 relative difference in the probability
            # becomes 1e-4 in the logit and more. Decoding thresholds the probability.
            expected, actual = torch.sigmoid(expected), torch.sigmoid(actual)
        torch.testing.assert_close(actual, expected, atol=atol, rtol=1e-4, msg=key)
    return want, got


def test_inputs_outputs_and_metadata(onnx_path, session, source):
    assert [i.name for i in session.get_inputs()] == source.metadata['inputs']
    assert [o.name for o in session.get_outputs()] == source.metadata['outputs']
    types = {i.name: i.type for i in session.get_inputs()}
    assert types['camera'] == 'tensor(uint8)' and types['mask'] == 'tensor(bool)'
    assert all(isinstance(i.shape[0], str) for i in session.get_inputs())  # dynamic batch
    metadata = onnx_export.read_onnx_metadata(onnx_path)
    assert metadata['labels'] == source.metadata['labels']
    assert metadata['onnx']['opset'] == onnx_export.OPSET


def test_onnx_runtime_matches_torchscript_without_audio(source, session, inputs):
    # Without the log-mel front end the two runtimes differ by float reassociation only.
    tensors = list(inputs)
    tensors[5] = tensors[5].clone()
    tensors[5][:, MODALITIES.index('audio')] = False
    _compare(source, session, tensors, atol=1e-4)


def test_onnx_runtime_matches_torchscript_on_all_modalities(source, session, inputs):
    # log(mel + 1e-10) turns ONNX's DFT-based STFT's rounding in near-silent bins into
    # differences of up to 2e-3 in logits downstream of audio (the 1000-sample test
    # split's largest); the decisions do not move.
    want, got = _compare(source, session, list(inputs), atol=5e-3)
    for key in ('situation_logits', 'action_logits', 'target_logits'):
        np.testing.assert_array_equal(got[key].argmax(-1), want[key].argmax(-1).numpy())


@pytest.mark.parametrize('batch', [1, 3])
def test_the_batch_axis_is_dynamic(source, session, inputs, batch):
    tensors = [x[:batch] for x in inputs]
    got = _run(session, tensors)
    assert got['situation_logits'].shape == (batch, len(source.metadata['labels']['situations']))
    _compare(source, session, tensors, atol=5e-3)


def test_missing_file_fails_naming_it(tmp_path, capsys):
    missing = tmp_path / 'absent.pt'
    with pytest.raises(ModelFileError, match='no such model file') as info:
        onnx_export.export_onnx(missing, tmp_path / 'out.onnx')
    assert info.value.path == missing
    assert onnx_export.main(['--model', str(missing), '--out', str(tmp_path / 'o.onnx')]) == 1
    assert f'error: {missing}: no such model file' in capsys.readouterr().err


def test_not_a_model_file_fails_naming_it(tmp_path):
    junk = tmp_path / 'junk.pt'
    junk.write_bytes(b'not a zip')
    checksum_path(junk).write_text(f'{hashlib.sha256(b"not a zip").hexdigest()}  junk.pt\n')
    with pytest.raises(ModelFileError, match=f'{junk}: not a loadable TorchScript model'):
        onnx_export.export_onnx(junk, tmp_path / 'out.onnx')


def test_an_int8_file_is_refused(tmp_path):
    int8 = quantize_model_file(default_model_path(), tmp_path / 'int8.pt')
    with pytest.raises(ModelFileError, match='already quantised'):
        onnx_export.export_onnx(int8, tmp_path / 'out.onnx')


def test_a_model_reading_token_states_exports_with_them(tmp_path):
    config = tiny_model_config(spec=dataclasses.replace(
        TINY_SPEC, text=dataclasses.replace(TINY_SPEC.text, tokens=True, max_tokens=8)))
    torch.manual_seed(0)
    model = build_model('token_early', config).eval()
    path = export_model(model, tmp_path / 'tokens.pt', strategy='token_early', config=config,
                        labels={'situations': ['a'] * config.num_situations,
                                'actions': ['a'] * config.num_actions,
                                'object_classes': ['a'] * config.num_object_classes},
                        training_summary={'test': True})
    out = onnx_export.export_onnx(path, tmp_path / 'tokens.onnx')
    session = onnxruntime.InferenceSession(str(out), providers=['CPUExecutionProvider'])
    assert [i.shape[1:] for i in session.get_inputs()][2] == [8, 384]
    mask = torch.ones(2, len(MODALITIES), dtype=torch.bool)
    mask[:, MODALITIES.index('audio')] = False
    tensors = random_inputs(config, 2, mask=mask)
    got = _run(session, tensors)
    with torch.no_grad():
        want = model(*tensors)
    for key in ('situation_logits', 'action_logits', 'target_logits'):
        np.testing.assert_allclose(got[key], want[key].numpy(), atol=1e-4, rtol=1e-4)
