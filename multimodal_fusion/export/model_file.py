# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The exported model file: TorchScript + metadata + a sha256 beside it.

``export_model`` writes ``<file>`` (a scripted model with ``metadata.json`` in its extra
files) and ``<file>.sha256`` (``sha256sum`` format, so ``sha256sum -c`` checks it too).
``load_model`` refuses a file whose hash, metadata format or modality spec does not match,
with a :class:`ModelFileError` that says which file and what differs. A model trained on
the fine-tuned sentence encoder carries its
:class:`~multimodal_fusion.preprocessing.text_adapter.TextAdapter` as a second extra file,
``text_adapter.pt``; :func:`load_model_file` returns it with the model.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pathlib
import tempfile
from typing import Any
from typing import Iterable
from typing import Mapping
from typing import NamedTuple
from typing import Optional

import torch
from torch import nn

import multimodal_fusion
from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import output_keys
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.preprocessing.text_adapter import TextAdapterError
from multimodal_fusion.spec import MODALITIES
from multimodal_fusion.spec import ModalitySpec

FORMAT_VERSION = 1
METADATA_FILE = 'metadata.json'
TEXT_ADAPTER_FILE = 'text_adapter.pt'
LABEL_KEYS: tuple[str, ...] = ('situations', 'actions', 'object_classes')
REQUIRED_KEYS: tuple[str, ...] = (
    'format_version', 'package_version', 'strategy', 'spec', 'modalities', 'labels', 'config',
    'training_summary', 'dtype', 'inputs', 'outputs')
INPUTS: tuple[str, ...] = MODALITIES + ('mask',)


class ModelFileError(ValueError):
    """A model file that must not be used: missing, tampered with, or not what is expected.

    Attributes:
        path: the model file.
    """

    def __init__(self, path: os.PathLike | str, problem: str) -> None:
        self.path = pathlib.Path(path)
        self.problem = problem
        super().__init__(f'{self.path}: {problem}')

    def __reduce__(self):
        return (type(self), (self.path, self.problem))


def checksum_path(path: os.PathLike | str) -> pathlib.Path:
    """``<file>.sha256`` beside the model file."""
    return pathlib.Path(str(path) + '.sha256')


def export_model(model: nn.Module, path: os.PathLike | str, *,
                 labels: Mapping[str, Iterable[str]], strategy: str, config: ModelConfig,
                 training_summary: Mapping[str, Any], fp16: bool = False,
                 text_adapter: Optional[TextAdapter] = None) -> pathlib.Path:
    """Script ``model`` and write it with its metadata and checksum.

    Args:
        model: the trained model (left unchanged).
        path: the model file to write (its folder is created).
        labels: class names: ``situations``, ``actions``, ``object_classes`` (without
            'none'), with as many names as ``config`` has classes.
        strategy: the fusion strategy name.
        config: the model's configuration.
        training_summary: JSON-able facts about training (data, epochs, metrics).
        fp16: half-precision weights, for CUDA (see
            :func:`~multimodal_fusion.export.scripting.script_model`); on CPU
            :func:`load_model` upcasts to float32.
        text_adapter: the sentence encoder's fine-tuning the model was trained with; it
            travels in the file (``metadata['text_adapter']`` names it by its key).

    Returns the model file path.

    Raises:
        ValueError: on missing labels or label counts not matching ``config``, an empty
            strategy, or a training summary that is not JSON-able.
    """
    path = pathlib.Path(path)
    metadata = {
        'format_version': FORMAT_VERSION,
        'package_version': multimodal_fusion.__version__,
        'strategy': strategy,
        'spec': config.spec.to_dict(),
        'modalities': list(config.fusion.modalities),
        'labels': _check_labels(labels, config),
        'config': config.to_dict(),
        'training_summary': dict(training_summary),
        'dtype': 'float16' if fp16 else 'float32',
        'inputs': list(INPUTS),
        'outputs': list(output_keys(config)),
        'text_adapter': None if text_adapter is None else {
            'key': text_adapter.key, 'base_model': text_adapter.base_model,
            'parameters': text_adapter.parameter_count,
            'summary': dict(text_adapter.summary)},
    }
    if not strategy:
        raise ValueError('strategy must be a non-empty name')
    try:
        text = json.dumps(metadata, indent=2, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise ValueError(f'metadata is not JSON-able (training_summary?): {error}') from error
    scripted = script_model(model, fp16=fp16)
    buffer = io.BytesIO()
    extra_files = {METADATA_FILE: text}
    if text_adapter is not None:
        extra_files[TEXT_ADAPTER_FILE] = text_adapter.to_bytes()
    torch.jit.save(scripted, buffer, _extra_files=extra_files)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomic(path, data)
    digest = hashlib.sha256(data).hexdigest()
    _write_atomic(checksum_path(path), f'{digest}  {path.name}\n'.encode())
    return path


class LoadedModel(NamedTuple):
    """A verified model file's contents."""

    module: torch.jit.ScriptModule
    metadata: dict[str, Any]
    text_adapter: Optional[TextAdapter]

    @property
    def config(self) -> ModelConfig:
        """The configuration the model was built with (its spec, its relations)."""
        return ModelConfig.from_dict(self.metadata['config'])


def load_model(path: os.PathLike | str, *, device: str | torch.device = 'cpu',
               expected_spec: Optional[ModalitySpec] = None,
               expected_modalities: Optional[Iterable[str]] = None
               ) -> tuple[torch.jit.ScriptModule, dict[str, Any]]:
    """Verify and load an exported model: :func:`load_model_file` without the text adapter.

    Returns ``(module in eval mode, metadata dict)``.
    """
    loaded = load_model_file(path, device=device, expected_spec=expected_spec,
                             expected_modalities=expected_modalities)
    return loaded.module, loaded.metadata


def load_model_file(path: os.PathLike | str, *, device: str | torch.device = 'cpu',
                    expected_spec: Optional[ModalitySpec] = None,
                    expected_modalities: Optional[Iterable[str]] = None) -> LoadedModel:
    """Verify and load an exported model.

    Args:
        path: the model file.
        device: where to load it. An fp16 model loaded on the CPU is upcast to float32.
        expected_spec: refuse a model made for another modality spec.
        expected_modalities: refuse a model that does not use exactly these modalities.

    Returns the module (in eval mode), its metadata and its text adapter (``None`` for a
    model trained on the frozen sentence encoder).

    Raises:
        ModelFileError: missing file or checksum, hash mismatch, unreadable model, missing
            or malformed metadata, unsupported format version, spec or modality mismatch,
            a text adapter that is missing, unreadable or not the one the metadata names.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise ModelFileError(path, 'no such model file')
    sha_path = checksum_path(path)
    if not sha_path.is_file():
        raise ModelFileError(path, f'checksum file {sha_path} is missing; re-export the model '
                                   'or write it with `sha256sum`')
    data = path.read_bytes()
    fields = sha_path.read_text().split()
    expected = fields[0].lower() if fields else ''
    actual = hashlib.sha256(data).hexdigest()
    if expected != actual:
        raise ModelFileError(path, f'sha256 mismatch: the file hashes to {actual} but '
                                   f'{sha_path.name} says {expected or "(empty)"}')
    extra = {METADATA_FILE: '', TEXT_ADAPTER_FILE: ''}
    try:
        module = torch.jit.load(io.BytesIO(data), map_location=device, _extra_files=extra)
    except RuntimeError as error:
        raise ModelFileError(path, f'not a loadable TorchScript model: {error}') from error
    metadata = _parse_metadata(path, extra[METADATA_FILE])
    _check_spec(path, metadata, expected_spec)
    if expected_modalities is not None:
        want = sorted(expected_modalities)
        if sorted(metadata['modalities']) != want:
            raise ModelFileError(path, f'model uses modalities {metadata["modalities"]}, '
                                       f'expected {want}')
    if metadata['dtype'] == 'float16' and torch.device(device).type == 'cpu':
        # CPU half kernels are incomplete and slow: run the fp16 weights in float32.
        module.float()
    module.eval()
    return LoadedModel(module, metadata,
                       _read_text_adapter(path, metadata, extra[TEXT_ADAPTER_FILE]))


def load_eager_model(path: os.PathLike | str) -> tuple[nn.Module, LoadedModel]:
    """The eager model a model file was exported from, with its weights, in eval mode.

    Rebuilt from the file's strategy and configuration (no pretrained camera download),
    every tensor copied from the scripted module. What evaluation, quantisation and export
    to other formats start from.

    Returns ``(model, the verified file's contents)``.

    Raises:
        ModelFileError: the file is not an acceptable model file (see
            :func:`load_model_file`), or its weights do not fit the model its configuration
            describes.
    """
    from multimodal_fusion.models.build import build_model

    loaded = load_model_file(path)
    metadata = loaded.metadata
    try:
        config = ModelConfig.from_dict(metadata['config'])
        model = build_model(metadata['strategy'], config, pretrained_camera=False)
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(path, f'cannot rebuild the model from its metadata: '
                                   f'{error}') from error
    own = model.state_dict()
    source = loaded.module.state_dict()
    missing = sorted(k for k in own if k not in source or source[k].shape != own[k].shape)
    if missing:
        raise ModelFileError(path, f'the stored weights do not fit the {metadata["strategy"]} '
                                   f'model of its config: {len(missing)} tensors missing or '
                                   f'of another shape, e.g. {missing[:3]}')
    model.load_state_dict({k: source[k] for k in own})
    return model.eval(), loaded


def _read_text_adapter(path: pathlib.Path, metadata: dict[str, Any],
                       data: bytes) -> Optional[TextAdapter]:
    named = metadata.get('text_adapter')
    if not named:
        return None
    if not isinstance(named, dict):
        raise ModelFileError(path, f"metadata 'text_adapter' must be an object or null, got "
                                   f'{named!r}')
    if not data:
        raise ModelFileError(path, f'the metadata names text adapter {named.get("key")} but '
                                   f'the file holds no {TEXT_ADAPTER_FILE}')
    try:
        adapter = TextAdapter.from_bytes(data)
    except TextAdapterError as error:
        raise ModelFileError(path, str(error)) from error
    if adapter.key != named.get('key'):
        raise ModelFileError(path, f'{TEXT_ADAPTER_FILE} has key {adapter.key}, the metadata '
                                   f'names {named.get("key")}')
    return adapter


def _check_labels(labels: Mapping[str, Iterable[str]], config: ModelConfig
                  ) -> dict[str, list[str]]:
    counts = {'situations': config.num_situations, 'actions': config.num_actions,
              'object_classes': config.num_object_classes}
    out = {}
    for key in LABEL_KEYS:
        if key not in labels:
            raise ValueError(f'labels must have {LABEL_KEYS}, missing {key!r}')
        names = [str(name) for name in labels[key]]
        if len(names) != counts[key]:
            raise ValueError(f'labels[{key!r}] has {len(names)} names, config has '
                             f'{counts[key]} classes')
        out[key] = names
    return out


def _parse_metadata(path: pathlib.Path, text: str) -> dict[str, Any]:
    if not text:
        raise ModelFileError(path, f'no {METADATA_FILE} in the model file (not exported by '
                                   'multimodal_fusion.export?)')
    try:
        metadata = json.loads(text)
    except json.JSONDecodeError as error:
        raise ModelFileError(path, f'{METADATA_FILE} is not valid JSON: {error}') from error
    if not isinstance(metadata, dict):
        raise ModelFileError(path, f'{METADATA_FILE} must hold a JSON object')
    version = metadata.get('format_version')
    if version != FORMAT_VERSION:
        raise ModelFileError(path, f'metadata format version {version!r} is not supported '
                                   f'(this package reads version {FORMAT_VERSION})')
    missing = [key for key in REQUIRED_KEYS if key not in metadata]
    if missing:
        raise ModelFileError(path, f'{METADATA_FILE} lacks keys {missing}')
    return metadata


def _check_spec(path: pathlib.Path, metadata: dict[str, Any],
                expected: Optional[ModalitySpec]) -> ModalitySpec:
    try:
        spec = ModalitySpec.from_dict(metadata['spec'])
    except (KeyError, TypeError) as error:
        raise ModelFileError(path, f'malformed modality spec in metadata: {error}') from error
    if expected is not None and spec != expected:
        diffs = _differences(spec.to_dict(), expected.to_dict())
        raise ModelFileError(path, 'modality spec differs from the expected one: ' +
                             '; '.join(f'{key}: model {a!r}, expected {b!r}'
                                       for key, a, b in diffs))
    return spec


def _differences(a: Mapping[str, Any], b: Mapping[str, Any], prefix: str = ''
                 ) -> list[tuple[str, Any, Any]]:
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        if isinstance(x, Mapping) and isinstance(y, Mapping):
            out.extend(_differences(x, y, f'{prefix}{key}.'))
        elif x != y:
            out.append((f'{prefix}{key}', x, y))
    return out


def _write_atomic(path: pathlib.Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f'.{path.name}.')
    try:
        with os.fdopen(fd, 'wb') as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
