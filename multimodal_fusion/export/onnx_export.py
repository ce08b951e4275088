# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A model file as ONNX, for ONNX Runtime and other runtimes that do not read TorchScript.

The graph takes the six model inputs by name (``camera`` uint8 ``(b, 3, H, W)``, ``audio``,
``text`` (sentence embeddings), ``touch``, ``proprio``, ``mask`` bool ``(b, 5)``) and
returns one output per key of the model's dict (``situation_logits``, ...), in the
metadata's ``outputs`` order, with a dynamic batch axis ``batch``. The model file's
metadata (labels, spec, config) travels in the ONNX ``metadata_props`` as
``metadata.json``; the text adapter does not (the sentence encoder runs before the graph).

Written with the dynamo exporter (``torch.onnx.export(..., dynamo=True)``, which needs
``onnxscript``): the legacy TorchScript exporter cannot convert the log-mel front end
(``torch.stft`` with complex output: "STFT does not currently support complex types").

Usage::

    python -m multimodal_fusion.export.onnx_export --model IN.pt --out OUT.onnx
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
from typing import Optional
from typing import Sequence

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.export.model_file import METADATA_FILE
from multimodal_fusion.export.quantize import load_eager_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.testing import random_inputs

# ONNX Runtime has read opset 18 since 1.14; STFT needs 17 at least.
OPSET = 18
BATCH_AXIS = 'batch'
# Example batch for the export: not 1, which the exporter would fix as a constant.
EXAMPLE_BATCH = 2


class TupleOutputs(nn.Module):
    """The model with its output dict as a tuple in ``keys`` order (ONNX outputs are a list).

    Args:
        model: called as ``model(camera, audio, text, touch, proprio, mask)``, returns a dict.
        keys: the output names, in order.
    """

    def __init__(self, model: nn.Module, keys: Sequence[str]) -> None:
        super().__init__()
        self.model = model
        self.keys = tuple(keys)

    def forward(self, camera: Tensor, audio: Tensor, text: Tensor, touch: Tensor,
                proprio: Tensor, mask: Tensor) -> tuple[Tensor, ...]:
        outputs = self.model(camera, audio, text, touch, proprio, mask)
        return tuple(outputs[key] for key in self.keys)


def export_onnx(source: os.PathLike | str, out: os.PathLike | str) -> pathlib.Path:
    """Write the model file ``source`` as the ONNX model ``out``.

    Returns ``out``.

    Raises:
        ModelFileError: ``source`` is missing, not a model file, or quantised (export the
            float model; ONNX Runtime has its own quantisation).
    """
    out = pathlib.Path(out)
    model, loaded = load_eager_model(source)
    metadata = loaded.metadata
    config = ModelConfig.from_dict(metadata['config'])
    inputs, outputs = list(metadata['inputs']), list(metadata['outputs'])
    example = random_inputs(config, EXAMPLE_BATCH)
    batch = torch.export.Dim(BATCH_AXIS)
    with torch.no_grad():
        program = torch.onnx.export(
            TupleOutputs(model, outputs).eval(), example, input_names=inputs, output_names=outputs,
            dynamic_shapes=[{0: batch}] * len(inputs), opset_version=OPSET, dynamo=True,
            verbose=False)
    described = dict(metadata, onnx={'opset': OPSET, 'torch': torch.__version__,
                                     'source': pathlib.Path(source).name})
    program.model.metadata_props[METADATA_FILE] = json.dumps(described, sort_keys=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    program.save(str(out))
    return out


def read_onnx_metadata(path: os.PathLike | str) -> dict:
    """The model file metadata stored in an ONNX file written by :func:`export_onnx`.

    Raises:
        ValueError: the file holds no such metadata.
    """
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    for prop in model.metadata_props:
        if prop.key == METADATA_FILE:
            return json.loads(prop.value)
    raise ValueError(f'{path}: no {METADATA_FILE} in the ONNX metadata_props')


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m multimodal_fusion.export.onnx_export',
        description='Export a model file to ONNX (dynamic batch axis).')
    parser.add_argument('--model', type=pathlib.Path, required=True,
                        help='the float model file to export')
    parser.add_argument('--out', type=pathlib.Path, required=True,
                        help='the ONNX file to write')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        path = export_onnx(args.model, args.out)
    except ValueError as error:  # ModelFileError included: it names the file
        print(f'error: {error}', file=sys.stderr)
        return 1
    print(f'wrote {path} ({path.stat().st_size / 1e6:.1f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
