# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import dataclasses
import hashlib
import io
import json
import shutil
import subprocess

import pytest
import torch

import multimodal_fusion
from multimodal_fusion.export import checksum_path
from multimodal_fusion.export import export_model
from multimodal_fusion.export import FORMAT_VERSION
from multimodal_fusion.export import load_model
from multimodal_fusion.export import ModelFileError
from multimodal_fusion.export.model_file import load_eager_model
from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.export.model_file import METADATA_FILE
from multimodal_fusion.export.model_file import TEXT_ADAPTER_FILE
from multimodal_fusion.models import build_model
from multimodal_fusion.models.fusion_model import output_keys
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.models.testing import tiny_model_config
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.spec import CameraSpec

CONFIG = tiny_model_config()
LABELS = {'situations': ['idle', 'handover', 'alarm'], 'actions': ['stop', 'go', 'give', 'take'],
          'object_classes': ['cup', 'box', 'ball']}
SUMMARY = {'epochs': 3, 'val_accuracy': 0.5, 'dataset': 'sim-v1'}
MASKS = [[True] * 5, [False] * 5, [True, False, True, False, True]]


def _model(config=CONFIG, strategy='gated'):
    torch.manual_seed(0)
    return build_model(strategy, config).eval()


def _export(model, path, config=CONFIG, **kwargs):
    return export_model(model, path, labels=LABELS, strategy='gated', config=config,
                        training_summary=SUMMARY, **kwargs)


def _assert_parity(eager, loaded, config, atol=1e-5):
    with torch.no_grad():
        for batch in (1, 3):
            for row in MASKS:
                mask = torch.tensor([row] * batch, dtype=torch.bool)
                inputs = random_inputs(config, batch, mask=mask, seed=batch)
                want, got = eager(*inputs), loaded(*inputs)
                for key in output_keys(config):
                    torch.testing.assert_close(got[key], want[key], atol=atol, rtol=atol,
                                               msg=f'{key} batch={batch} mask={row}')


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    model = _model()
    path = _export(model, tmp_path_factory.mktemp('export') / 'sub' / 'model.pt')
    return model, path


def test_round_trip_outputs_and_metadata(exported):
    model, path = exported
    module, metadata = load_model(path, expected_spec=CONFIG.spec,
                                  expected_modalities=reversed(CONFIG.fusion.modalities))
    assert not module.training
    _assert_parity(model, module, CONFIG)
    assert metadata == {
        'format_version': FORMAT_VERSION,
        'package_version': multimodal_fusion.__version__,
        'strategy': 'gated',
        'spec': CONFIG.spec.to_dict() | {'joint_names': list(CONFIG.spec.joint_names)},
        'modalities': list(CONFIG.fusion.modalities),
        'labels': LABELS,
        'config': json.loads(json.dumps(CONFIG.to_dict())),
        'training_summary': SUMMARY,
        'dtype': 'float32',
        'inputs': ['camera', 'audio', 'text', 'touch', 'proprio', 'mask'],
        'outputs': list(output_keys(CONFIG)),
        'text_adapter': None,
    }


def test_the_eager_model_is_rebuilt_from_the_file_with_its_weights(exported, tmp_path):
    model, path = exported
    eager, loaded = load_eager_model(path)
    assert type(eager) is type(model) and not eager.training
    assert loaded.metadata['strategy'] == 'gated'
    _assert_parity(model, eager, CONFIG)
    # Metadata naming a strategy the stored weights are not of is refused, naming the file.
    wrong = export_model(model, tmp_path / 'wrong.pt', labels=LABELS,
                         strategy='feature_concat', config=CONFIG, training_summary=SUMMARY)
    with pytest.raises(ModelFileError, match=r'wrong\.pt.*do not fit the feature_concat'):
        load_eager_model(wrong)


def test_checksum_file_is_sha256sum_compatible(exported):
    _, path = exported
    line = checksum_path(path).read_text()
    assert line == f'{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n'
    if shutil.which('sha256sum'):
        subprocess.run(['sha256sum', '-c', checksum_path(path).name], cwd=path.parent,
                       check=True, capture_output=True)


def test_export_leaves_the_model_untouched(tmp_path):
    model = _model().train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert _export(model, tmp_path / 'm.pt', fp16=True).is_file()
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not isinstance(model, torch.jit.ScriptModule)


def test_tampered_file_raises_with_both_hashes(exported, tmp_path):
    _, path = exported
    copy = tmp_path / 'model.pt'
    shutil.copyfile(path, copy)
    shutil.copyfile(checksum_path(path), checksum_path(copy))
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0xFF
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as info:
        load_model(copy)
    message = str(info.value)
    assert str(copy) in message and 'sha256 mismatch' in message
    assert hashlib.sha256(bytes(data)).hexdigest() in message
    assert checksum_path(path).read_text().split()[0] in message
    assert info.value.path == copy
    assert isinstance(info.value, ValueError)


def test_missing_model_or_checksum_raises(exported, tmp_path):
    _, path = exported
    with pytest.raises(ModelFileError, match='no such model file'):
        load_model(tmp_path / 'absent.pt')
    copy = tmp_path / 'model.pt'
    shutil.copyfile(path, copy)
    with pytest.raises(ModelFileError, match='checksum file .* is missing'):
        load_model(copy)


def test_spec_and_modality_mismatch_raise(exported):
    _, path = exported
    other = dataclasses.replace(CONFIG.spec, camera=CameraSpec(height=64, width=32))
    with pytest.raises(ModelFileError, match=r'camera\.height: model 32, expected 64'):
        load_model(path, expected_spec=other)
    with pytest.raises(ModelFileError, match='modalities'):
        load_model(path, expected_modalities=['camera', 'audio'])


def _write_with_metadata(tmp_path, metadata, adapter_bytes=None):
    scripted = torch.jit.script(torch.nn.Linear(2, 2))
    buffer = io.BytesIO()
    extra = {} if metadata is None else {METADATA_FILE: metadata}
    if adapter_bytes is not None:
        extra[TEXT_ADAPTER_FILE] = adapter_bytes
    torch.jit.save(scripted, buffer, _extra_files=extra)
    path = tmp_path / 'crafted.pt'
    path.write_bytes(buffer.getvalue())
    checksum_path(path).write_text(
        f'{hashlib.sha256(buffer.getvalue()).hexdigest()}  {path.name}\n')
    return path


@pytest.mark.parametrize('metadata, match', [
    (None, 'no metadata.json'),
    ('{not json', 'not valid JSON'),
    ('[1, 2]', 'JSON object'),
    (json.dumps({'format_version': FORMAT_VERSION + 1}), 'format version 2 is not supported'),
    (json.dumps({'format_version': FORMAT_VERSION, 'strategy': 'x'}), 'lacks keys'),
])
def test_bad_metadata_raises(tmp_path, metadata, match):
    with pytest.raises(ModelFileError, match=match):
        load_model(_write_with_metadata(tmp_path, metadata))


def _text_adapter(seed=0):
    g = torch.Generator().manual_seed(seed)
    return TextAdapter(lora={'encoder.layer.0.output.dense.weight': (
        torch.randn(2, 1536, generator=g), torch.randn(384, 2, generator=g))},
        values={'encoder.layer.0.output.dense.bias': torch.zeros(384)},
        base_model='sentence-transformers/all-MiniLM-L6-v2', summary={'epochs': 2})


def test_text_adapter_travels_in_the_model_file(exported, tmp_path):
    model, plain = exported
    assert load_model_file(plain).text_adapter is None
    assert load_model(plain)[1]['text_adapter'] is None
    adapter = _text_adapter()
    path = _export(model, tmp_path / 'adapted.pt', text_adapter=adapter)
    module, metadata, loaded = load_model_file(path)
    assert loaded.key == adapter.key
    assert metadata['text_adapter'] == {
        'key': adapter.key, 'base_model': adapter.base_model,
        'parameters': adapter.parameter_count, 'summary': {'epochs': 2}}
    torch.testing.assert_close(loaded.lora['encoder.layer.0.output.dense.weight'][1],
                               adapter.lora['encoder.layer.0.output.dense.weight'][1])
    _assert_parity(model, module, CONFIG)


def test_missing_or_substituted_text_adapter_raises(exported, tmp_path):
    _, path = exported
    extra = {METADATA_FILE: ''}
    torch.jit.load(str(path), _extra_files=extra)
    metadata = json.loads(extra[METADATA_FILE])
    metadata['text_adapter'] = {'key': _text_adapter().key}
    with pytest.raises(ModelFileError, match='holds no text_adapter.pt'):
        load_model(_write_with_metadata(tmp_path, json.dumps(metadata)))
    with pytest.raises(ModelFileError, match=f'has key {_text_adapter(1).key}'):
        load_model(_write_with_metadata(tmp_path, json.dumps(metadata),
                                        _text_adapter(1).to_bytes()))
    with pytest.raises(ModelFileError, match='unreadable text adapter'):
        load_model(_write_with_metadata(tmp_path, json.dumps(metadata), b'garbage'))
    metadata['text_adapter'] = 'yes'
    with pytest.raises(ModelFileError, match="'text_adapter' must be an object or null"):
        load_model(_write_with_metadata(tmp_path, json.dumps(metadata)))


def test_not_a_torchscript_file_raises(tmp_path):
    path = tmp_path / 'junk.pt'
    path.write_bytes(b'not a zip')
    checksum_path(path).write_text(f'{hashlib.sha256(b"not a zip").hexdigest()}  junk.pt\n')
    with pytest.raises(ModelFileError, match='not a loadable TorchScript model'):
        load_model(path)


@pytest.mark.parametrize('labels, match', [
    ({'situations': ['a'] * 3, 'actions': ['a'] * 4}, "missing 'object_classes'"),
    ({**LABELS, 'actions': ['a']}, r"labels\['actions'\] has 1 names"),
])
def test_export_checks_labels(tmp_path, labels, match):
    with pytest.raises(ValueError, match=match):
        export_model(_model(), tmp_path / 'm.pt', labels=labels, strategy='gated',
                     config=CONFIG, training_summary={})


def test_export_checks_training_summary_is_json(tmp_path):
    with pytest.raises(ValueError, match='JSON'):
        export_model(_model(), tmp_path / 'm.pt', labels=LABELS, strategy='gated',
                     config=CONFIG, training_summary={'when': object()})


def test_fp16_export_loads_upcast_on_cpu(tmp_path):
    model = _model()
    path = _export(model, tmp_path / 'half.pt', fp16=True)
    raw = torch.jit.load(str(path))
    assert raw.camera_encoder.project.weight.dtype == torch.float16
    assert raw.audio_encoder.log_mel.filterbank.dtype == torch.float32  # kept float32
    assert raw.touch_encoder.normaliser.std.dtype == torch.float32
    module, metadata = load_model(path)
    assert metadata['dtype'] == 'float16'
    assert all(p.dtype == torch.float32 for p in module.parameters())
    _assert_parity(model, module, CONFIG, atol=2e-2)


def test_fp16_export_runs_in_half_where_cpu_kernels_allow(tmp_path):
    model = _model()
    raw = torch.jit.load(str(_export(model, tmp_path / 'half.pt', fp16=True)))
    inputs = random_inputs(CONFIG, 2)
    try:
        with torch.no_grad():
            out = raw(*inputs)
    except RuntimeError as error:  # pragma: no cover - depends on the CPU build
        pytest.skip(f'CPU half kernels unavailable: {error}')
    with torch.no_grad():
        want = model(*inputs)
    for key in output_keys(CONFIG):
        assert out[key].dtype == torch.float32
        torch.testing.assert_close(out[key], want[key], atol=5e-2, rtol=5e-2, msg=key)


def test_efficientnet_backbone_is_traced_inside_the_scripted_model(tmp_path):
    config = tiny_model_config(camera_backbone='efficientnet_lite0')
    model = _model(config, strategy='cross_modal_attention')
    path = _export(model, tmp_path / 'effnet.pt', config=config)
    module, metadata = load_model(path, expected_spec=config.spec)
    assert metadata['config']['camera_backbone'] == 'efficientnet_lite0'
    assert 'forward' in module.camera_encoder.backbone.code  # a TorchScript (traced) module
    _assert_parity(model, module, config)
