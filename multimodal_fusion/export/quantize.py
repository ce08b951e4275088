# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Int8 dynamic quantisation of a model file's linear layers, for the CPU.

``quantize_model_file(source, out)`` rebuilds the eager model from the file's stored
configuration and weights, swaps its ``nn.Linear`` layers for int8 dynamically quantised
ones (``torch.ao.quantization.quantize_dynamic``, ``qint8`` weights, activations quantised
per call) and writes it with :func:`~multimodal_fusion.export.model_file.export_model`: the
same labels, metadata and text adapter as the source, ``training_summary['quantization']``
saying what was done. ``FusionEngine`` and the node load the result like any model file.

Convolutions (the camera trunk, the detection head) stay float32: dynamic quantisation only
covers linear and recurrent layers. So do a linear layer whose ``weight`` another module
reads (to cast its input to the weight dtype; a quantised layer has no such tensor) and
the layers inside :data:`KEEP_FLOAT_IN` modules (see there why). The quantised kernels run
on the CPU only; torch 2.13 marks ``torch.ao.quantization`` deprecated in favour of torchao
(warnings at quantisation and load), but still builds and runs these modules.

Usage::

    python -m multimodal_fusion.export.quantize --model IN.pt --out OUT.pt
"""

from __future__ import annotations

import argparse
import hashlib
import os
import pathlib
import sys
from typing import Optional
from typing import Sequence

import torch
from torch import nn

from multimodal_fusion.export.model_file import export_model
from multimodal_fusion.export.model_file import load_eager_model as eager_model
from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.export.model_file import LoadedModel
from multimodal_fusion.export.model_file import ModelFileError
from multimodal_fusion.export.scripting import script_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.fusion_model import FusionModel
from multimodal_fusion.modules.encoders.time_series import TimeSeriesEncoder

SCHEME = 'int8-dynamic'
QUANTIZATION_KEY = 'quantization'
# Linear layers inside these modules stay float32. The time-series encoders' trend MLP reads
# statistics of the normalised wrist-force and joint windows, which are heavy-tailed
# (impacts, slips): one int8 scale per call over such a range leaves the ordinary values a
# few levels. On the 1000-sample test split, quantising them too moved the shipped model's
# situation logits by up to 8.0 (one situation argmax in 1000 changed); kept float, by up
# to 1.0 (none changed), for 0.1 MB more.
KEEP_FLOAT_IN: tuple[type[nn.Module], ...] = (TimeSeriesEncoder,)


def load_eager_model(path: os.PathLike | str) -> tuple[FusionModel, LoadedModel]:
    """:func:`~multimodal_fusion.export.model_file.load_eager_model` of a float model file.

    Raises:
        ModelFileError: as that function, and for a file that is already quantised.
    """
    # Checked first: a quantised file's packed weights would only fail to fit the model.
    scheme = load_model_file(path).metadata['training_summary'].get(QUANTIZATION_KEY)
    if scheme:
        raise ModelFileError(path, f'already quantised ({scheme.get("scheme")}); start from '
                                   'the float model')
    return eager_model(path)


def weight_readers(model: nn.Module) -> set[str]:
    """Names of the submodules whose ``weight`` or ``bias`` other modules' code reads.

    Read from the TorchScript graphs of every method of every scripted submodule, so it
    sees exactly what the exported model runs: a chain of attribute reads from ``self``
    that ends in ``.weight``/``.bias`` names its owner.
    """
    readers: set[str] = set()
    for prefix, module in script_model(model).named_modules():
        for method in module._c._method_names():
            graph = module._c._get_method(method).graph
            self_value = next(graph.inputs())
            for node in graph.findAllNodes('prim::GetAttr'):
                if node.s('name') not in ('weight', 'bias'):
                    continue
                path = _attribute_path(node.input(), self_value)
                if path:  # empty: the module's own weight, replaced with the module
                    readers.add('.'.join(([prefix] if prefix else []) + path))
    return readers


def _attribute_path(value: torch._C.Value, self_value: torch._C.Value
                    ) -> Optional[list[str]]:
    """``['a', 'b']`` for ``self.a.b``; ``None`` when ``value`` does not come from ``self``."""
    parts: list[str] = []
    while value.unique() != self_value.unique():
        node = value.node()
        if node.kind() != 'prim::GetAttr':
            return None
        parts.append(node.s('name'))
        value = node.input()
    return parts[::-1]


def quantizable_linears(model: nn.Module, *,
                        keep_float_in: Sequence[type[nn.Module]] = KEEP_FLOAT_IN
                        ) -> tuple[list[str], list[str]]:
    """``(layers to quantise, linear layers kept float32)``, by module name.

    Only plain ``nn.Linear`` layers are candidates (not subclasses such as attention's
    ``NonDynamicallyQuantizableLinear``); kept are those whose weight other code reads and
    those inside a module of a ``keep_float_in`` type.
    """
    linears = [name for name, m in model.named_modules() if type(m) is nn.Linear]
    keep = weight_readers(model)
    for prefix, module in model.named_modules():
        if prefix and isinstance(module, tuple(keep_float_in)):
            keep.update(n for n in linears if n.startswith(prefix + '.'))
    return [n for n in linears if n not in keep], [n for n in linears if n in keep]


def quantize_dynamic_int8(model: nn.Module, *,
                          keep_float_in: Sequence[type[nn.Module]] = KEEP_FLOAT_IN
                          ) -> tuple[nn.Module, list[str], list[str]]:
    """An int8 dynamically quantised copy of ``model`` (left unchanged), for the CPU.

    Args:
        model: the float model.
        keep_float_in: module types whose linear layers stay float32.

    Returns ``(quantised copy in eval mode, quantised layer names, linear layers kept
    float32)``.

    Raises:
        ValueError: when the model has no linear layer that can be quantised.
    """
    from torch.ao.quantization import quantize_dynamic

    quantized, kept = quantizable_linears(model, keep_float_in=keep_float_in)
    if not quantized:
        raise ValueError('the model has no nn.Linear layer that can be quantised')
    copy = quantize_dynamic(model.cpu().eval(), set(quantized), dtype=torch.qint8,
                            inplace=False)
    return copy.eval(), quantized, kept


def quantize_model_file(source: os.PathLike | str, out: os.PathLike | str, *,
                        keep_float_in: Sequence[type[nn.Module]] = KEEP_FLOAT_IN
                        ) -> pathlib.Path:
    """Write the int8 dynamically quantised version of the model file ``source`` to ``out``.

    ``out`` gets the source's labels, configuration, strategy and text adapter, and its
    training summary plus ``quantization``: the scheme (``int8-dynamic``), the quantised
    and the kept-float layers, the source file's name and sha256.

    Args:
        source: the float model file.
        out: the file to write.
        keep_float_in: module types whose linear layers stay float32.

    Returns the written file (its ``.sha256`` is beside it).

    Raises:
        ModelFileError: ``source`` is missing, not a model file, or already quantised.
        ValueError: ``out`` is ``source``, or the model has nothing to quantise.
    """
    source, out = pathlib.Path(source), pathlib.Path(out)
    if out.resolve() == source.resolve():
        raise ValueError(f'{out}: the output would overwrite the source model')
    model, loaded = load_eager_model(source)
    quantized, layers, kept = quantize_dynamic_int8(model, keep_float_in=keep_float_in)
    metadata = loaded.metadata
    summary = dict(metadata['training_summary'])
    summary[QUANTIZATION_KEY] = {
        'scheme': SCHEME, 'weights': 'qint8', 'activations': 'float32, quantised per call',
        'engine': torch.backends.quantized.engine, 'torch': torch.__version__,
        'quantized_layers': layers, 'float_linear_layers': kept,
        'source': source.name,
        'source_sha256': hashlib.sha256(source.read_bytes()).hexdigest()}
    with torch.no_grad():
        return export_model(quantized, out, labels=metadata['labels'],
                            strategy=metadata['strategy'],
                            config=ModelConfig.from_dict(metadata['config']),
                            training_summary=summary, text_adapter=loaded.text_adapter)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='python -m multimodal_fusion.export.quantize',
        description='Int8 dynamic quantisation of a model file (CPU).')
    parser.add_argument('--model', type=pathlib.Path, required=True,
                        help='the float model file to quantise')
    parser.add_argument('--out', type=pathlib.Path, required=True,
                        help='the int8 model file to write (and its .sha256)')
    parser.add_argument('--all-linear', action='store_true',
                        help='quantise the time-series encoders too (less accurate; see '
                             'KEEP_FLOAT_IN)')
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    try:
        path = quantize_model_file(args.model, args.out,
                                   keep_float_in=() if args.all_linear else KEEP_FLOAT_IN)
    except ValueError as error:  # ModelFileError included: it names the file
        print(f'error: {error}', file=sys.stderr)
        return 1
    size = path.stat().st_size
    print(f'wrote {path} ({size / 1e6:.1f} MB; {args.model} is '
          f'{args.model.stat().st_size / 1e6:.1f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
