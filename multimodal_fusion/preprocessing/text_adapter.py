# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""A fine-tuning of the sentence encoder small enough to ship inside the model file.

Shape legend: ``r`` adapter rank, ``i``/``o`` a linear layer's input/output width.

The frozen all-MiniLM-L6-v2 vector places some words people use for the robot's objects and
actions nearer the wrong class ('square' nearer ring than cube, 'draw near' nearer
pointing). Fine-tuning the encoder on commands fixes most of that, but a fine-tuned copy is
91 MB. A :class:`TextAdapter` holds only what fine-tuning changed, as low-rank factors of
every linear layer of the transformer (LoRA: ``W + B @ A``) and new values of its biases and
layer norms: about 0.7 M numbers. :meth:`TextAdapter.apply_to` merges them into the traced
encoder's weights once, at load, so an adapted encoder runs exactly as fast as the frozen
one. Training lives in :mod:`multimodal_fusion.training.text_adapter`; this module only
needs torch.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import pathlib
from typing import Mapping
from typing import Sequence

import torch
from torch import Tensor

ADAPTER_FORMAT = 1
# Parameter names are those of the Hugging Face BertModel; the traced wrapper of
# export.text_encoder prefixes them with 'bert.'.
TRACED_PREFIX = 'bert.'


class TextAdapterError(ValueError):
    """Adapter bytes that cannot be read, or that do not fit the encoder they are applied to."""


@dataclasses.dataclass(frozen=True)
class TextAdapter:
    """Low-rank weight updates and replaced parameters of the sentence encoder.

    Attributes:
        lora: parameter name -> ``(a, b)``, ``a`` ``(r, i)`` and ``b`` ``(o, r)``: the
            weight becomes ``w + b @ a`` (any scale is folded into ``b``).
        values: parameter name -> its new value (biases, layer norms).
        base_model: the encoder the names refer to.
        summary: facts about how the adapter was trained (stored as JSON; other values
            as their ``str``).
    """

    lora: Mapping[str, tuple[Tensor, Tensor]]
    values: Mapping[str, Tensor]
    base_model: str
    summary: Mapping[str, object] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, (a, b) in self.lora.items():
            if a.dim() != 2 or b.dim() != 2 or a.shape[0] != b.shape[1]:
                raise TextAdapterError(
                    f'adapter factors of {name}: expected a (r, i) and b (o, r), got '
                    f'{tuple(a.shape)} and {tuple(b.shape)}')

    @property
    def parameter_count(self) -> int:
        """Numbers the adapter stores."""
        return (sum(a.numel() + b.numel() for a, b in self.lora.values())
                + sum(v.numel() for v in self.values.values()))

    def to_bytes(self) -> bytes:
        """The adapter as bytes (``torch.save`` of tensors, strings and numbers only)."""
        buffer = io.BytesIO()
        # A JSON round trip leaves plain types only, which weights_only loading accepts.
        summary = json.loads(json.dumps(dict(self.summary), default=str))
        torch.save({'format': ADAPTER_FORMAT, 'base_model': self.base_model,
                    'summary': summary,
                    'lora': {k: (a.float().contiguous(), b.float().contiguous())
                             for k, (a, b) in sorted(self.lora.items())},
                    'values': {k: v.float().contiguous()
                               for k, v in sorted(self.values.items())}}, buffer)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextAdapter:
        """Read :meth:`to_bytes` output.

        Raises:
            TextAdapterError: unreadable bytes or an unsupported format.
        """
        try:
            payload = torch.load(io.BytesIO(data), map_location='cpu', weights_only=True)
            if payload.get('format') != ADAPTER_FORMAT:
                raise TextAdapterError(f'text adapter format {payload.get("format")!r} is not '
                                       f'supported (expected {ADAPTER_FORMAT})')
            return cls(lora={k: (a, b) for k, (a, b) in payload['lora'].items()},
                       values=dict(payload['values']), base_model=str(payload['base_model']),
                       summary=dict(payload.get('summary', {})))
        except TextAdapterError:
            raise
        except Exception as error:  # noqa: B902 - torch.load raises many kinds
            raise TextAdapterError(f'unreadable text adapter: {error}') from error

    @classmethod
    def from_file(cls, path: os.PathLike | str) -> TextAdapter:
        """Read an adapter file (as written by ``training.text_adapter --out``).

        Raises:
            TextAdapterError: a missing or unreadable file (the message names it).
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise TextAdapterError(f'{path}: no such text adapter file; make one with '
                                   f'`python -m multimodal_fusion.training.text_adapter '
                                   f'--out {path}`')
        try:
            return cls.from_bytes(path.read_bytes())
        except TextAdapterError as error:
            raise TextAdapterError(f'{path}: {error}') from None

    @property
    def key(self) -> str:
        """A short content hash: what caches of adapted embeddings are keyed by."""
        return hashlib.sha256(self.to_bytes()).hexdigest()[:16]

    def apply_to(self, encoder: torch.nn.Module, prefix: str = TRACED_PREFIX) -> None:
        """Merge the adapter into ``encoder``'s parameters in place (eager or TorchScript).

        Args:
            encoder: a module whose parameters are named ``prefix + <BertModel name>``.
            prefix: see above.

        Raises:
            TextAdapterError: a parameter the adapter names is missing or has another shape;
                nothing is changed then.
        """
        params = dict(encoder.named_parameters())
        updates = []
        for name, (a, b) in self.lora.items():
            target = self._target(params, prefix + name, (b.shape[0], a.shape[1]))
            updates.append((target, 'add', b.to(target) @ a.to(target)))
        for name, value in self.values.items():
            target = self._target(params, prefix + name, tuple(value.shape))
            updates.append((target, 'copy', value.to(target)))
        with torch.no_grad():
            for target, how, value in updates:
                if how == 'add':
                    target.add_(value)
                else:
                    target.copy_(value)

    @staticmethod
    def _target(params: Mapping[str, Tensor], name: str, shape: tuple[int, ...]) -> Tensor:
        if name not in params:
            raise TextAdapterError(f'the text encoder has no parameter {name}; the adapter was '
                                   'made for another encoder')
        if tuple(params[name].shape) != shape:
            raise TextAdapterError(f'{name} is {tuple(params[name].shape)} in the text encoder '
                                   f'but the adapter changes a {shape} tensor')
        return params[name]


def average_adapters(adapters: Sequence[TextAdapter], rank: int, *,
                     summary: Mapping[str, object] | None = None) -> TextAdapter:
    """A uniform soup of adapters of one encoder: their mean weight update, at rank ``rank``.

    Every adapter moves the same pretrained weights; averaging the moves (``mean(B @ A)``) and
    the replaced values (biases, layer norms) gives one encoder between them. Fine-tunings
    of one pretrained model from different seeds average well, and their average reads
    inputs none of them was trained on better than a single one (Wortsman et al., "Model
    soups", ICML 2022). The mean update has up to ``len(adapters) x r`` ranks; it is stored
    as its best rank-``rank`` approximation (truncated SVD), so the soup ships at one
    adapter's size.

    Raises:
        TextAdapterError: no adapters, or adapters of different encoders or parameters.
    """
    if not adapters:
        raise TextAdapterError('average_adapters needs at least one adapter')
    first = adapters[0]
    for other in adapters[1:]:
        if (other.base_model != first.base_model or set(other.lora) != set(first.lora)
                or set(other.values) != set(first.values)):
            raise TextAdapterError('adapters of different encoders or parameter sets cannot be '
                                   f'averaged ({first.base_model} and {other.base_model})')
    lora = {}
    for name in first.lora:
        delta = torch.stack([b.double() @ a.double() for a, b in
                             (adapter.lora[name] for adapter in adapters)]).mean(0)
        u, s, vh = torch.linalg.svd(delta, full_matrices=False)
        kept = min(rank, s.numel())
        lora[name] = (vh[:kept].float().contiguous(),
                      (u[:, :kept] * s[:kept]).float().contiguous())
    values = {name: torch.stack([adapter.values[name].double() for adapter in adapters])
              .mean(0).float() for name in first.values}
    return TextAdapter(lora=lora, values=values, base_model=first.base_model,
                       summary=dict(summary or {}))
