# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Model to TorchScript: trace what cannot be scripted, script the rest, optionally fp16.

The model code knows nothing of TorchScript beyond being scriptable. Two duck-typed hooks
connect it to this module:

* a submodule with a ``tracing_example_input()`` method (the EfficientNet backbone, whose
  library code does not script) is replaced by its trace before the parent is scripted;
* a submodule with ``keep_float32 = True`` (log-mel, input normalisers) keeps float32
  parameters and buffers in an fp16 export.
"""

import copy

import torch
from torch import nn

TRACE_HOOK = 'tracing_example_input'
KEEP_FLOAT32 = 'keep_float32'


def trace_untraceable(model: nn.Module) -> nn.Module:
    """Replace, in place, every submodule offering the tracing hook by its trace.

    The model should be in eval mode: a trace freezes the mode it was taken in.

    Returns ``model``.

    Raises:
        ValueError: if the root module itself offers the hook (trace it directly instead).
    """
    if hasattr(model, TRACE_HOOK):
        raise ValueError('the root module offers the tracing hook; trace it directly')
    traced_prefixes: list[str] = []
    for name, module in list(model.named_modules()):
        if not name or any(name.startswith(p + '.') for p in traced_prefixes):
            continue
        if hasattr(module, TRACE_HOOK):
            with torch.no_grad():
                traced = torch.jit.trace(module, getattr(module, TRACE_HOOK)())
            parent_name, _, child = name.rpartition('.')
            setattr(model.get_submodule(parent_name), child, traced)
            traced_prefixes.append(name)
    return model


def script_model(model: nn.Module, *, fp16: bool = False) -> torch.jit.ScriptModule:
    """A scripted copy of ``model`` in eval mode, on the CPU; ``model`` is left untouched.

    Args:
        model: a scriptable model (apart from submodules with the tracing hook).
        fp16: convert parameters and floating buffers to half, except in modules marked
            ``keep_float32``. Meant for CUDA; the model casts its inputs to its weights'
            dtype and returns float32 outputs.
    """
    work = copy.deepcopy(model).cpu().eval()
    trace_untraceable(work)
    keep = [name for name, m in work.named_modules() if getattr(m, KEEP_FLOAT32, False)]
    scripted = torch.jit.script(work)
    if fp16:
        scripted.half()
        for name in keep:
            module = scripted
            for part in name.split('.'):
                module = getattr(module, part)
            module.float()
    return scripted
