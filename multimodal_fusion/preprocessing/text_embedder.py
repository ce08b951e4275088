# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Utterance to sentence embedding (or token states) at run time, with torch and ``tokenizers``.

Shape legend: ``b`` utterances, ``l`` tokens, ``e`` embedding width (384).

The traced all-MiniLM-L6-v2 file and its ``tokenizer.json`` are written once by
``python -m multimodal_fusion.export.text_encoder`` (which needs ``transformers``); the node
only loads them. A model file may carry a
:class:`~multimodal_fusion.preprocessing.text_adapter.TextAdapter` (the encoder fine-tuned
on commands); it is merged into the loaded weights. Commands repeat, so embeddings are
cached per utterance (LRU).
"""

from __future__ import annotations

import collections
import os
import pathlib
import threading
from typing import Optional
from typing import Sequence

import numpy as np
import torch

from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.spec import TextSpec

TEXT_ENCODER_FILE = 'text_encoder.pt'
TOKENIZER_FILE = 'tokenizer.json'
CACHE_ENV = 'MMF_CACHE_DIR'


def text_encoder_dir() -> pathlib.Path:
    """Where the traced text encoder lives.

    ``$MMF_CACHE_DIR/text_encoder`` if the variable is set, else
    ``~/.cache/multimodal_fusion/text_encoder``.
    """
    root = os.environ.get(CACHE_ENV)
    base = pathlib.Path(root) if root else pathlib.Path.home() / '.cache' / 'multimodal_fusion'
    return base / 'text_encoder'


class TextEmbedder:
    """All-MiniLM-L6-v2 embeddings from the traced file: pooled vectors or token states.

    ``tokens=False`` gives the mean-pooled, L2-normalised ``(e,)`` sentence vector;
    ``tokens=True`` the last layer's token states, ``(max_tokens, e)`` with zero rows after
    the utterance's ``[SEP]`` (the traced file's ``bert`` submodule, whose states the pooled
    vector is the mean of).

    Args:
        model_dir: folder holding ``text_encoder.pt`` and ``tokenizer.json``; defaults to
            :func:`text_encoder_dir`.
        max_tokens: tokens kept per utterance (``[CLS]``/``[SEP]`` included).
        cache_size: utterances whose embedding is kept (least recently used dropped first);
            0 disables the cache.
        device: torch device the encoder runs on.
        adapter: fine-tuned weight updates merged into the encoder (``None``: the frozen
            pretrained encoder).
        tokens: token states instead of the pooled vector (see :class:`TextSpec`).

    Raises:
        FileNotFoundError: if the exported files are missing (the message says how to make
            them).
        ValueError: if ``max_tokens < 2`` or ``cache_size < 0``.
        TextAdapterError: an adapter that does not fit the encoder.
    """

    def __init__(self, *, model_dir: Optional[os.PathLike | str] = None,
                 max_tokens: int = TextSpec().max_tokens, cache_size: int = 256,
                 device: str = 'cpu', adapter: Optional[TextAdapter] = None,
                 tokens: bool = False) -> None:
        if max_tokens < 2:
            raise ValueError(f'max_tokens must be >= 2 ([CLS] and [SEP]), got {max_tokens}')
        if cache_size < 0:
            raise ValueError(f'cache_size must be >= 0, got {cache_size}')
        from tokenizers import Tokenizer

        folder = pathlib.Path(model_dir) if model_dir is not None else text_encoder_dir()
        for name in (TEXT_ENCODER_FILE, TOKENIZER_FILE):
            if not (folder / name).is_file():
                raise FileNotFoundError(
                    f'{folder / name} not found; export the text encoder first with '
                    f'`python -m multimodal_fusion.export.text_encoder --out {folder}`')
        tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=max_tokens)
        pad_id = tokenizer.token_to_id('[PAD]')
        tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token='[PAD]')
        self._tokenizer = tokenizer
        self._device = torch.device(device)
        self._module = torch.jit.load(str(folder / TEXT_ENCODER_FILE), map_location=self._device)
        self._module.eval()
        if adapter is not None:
            adapter.apply_to(self._module)
        self.adapter = adapter
        self.tokens = bool(tokens)
        self._max_tokens = max_tokens
        if self.tokens and not hasattr(self._module, 'bert'):
            raise ValueError(f'{folder / TEXT_ENCODER_FILE} has no token states (no bert '
                             f'submodule); re-export it with `python -m '
                             f'multimodal_fusion.export.text_encoder --overwrite`')
        self._cache: collections.OrderedDict[str, np.ndarray] = collections.OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.model_dir = folder

    @classmethod
    def for_spec(cls, spec: TextSpec, **kwargs) -> TextEmbedder:
        """An embedder giving what ``spec`` describes (its token count and kind of output)."""
        return cls(max_tokens=spec.max_tokens, tokens=spec.tokens, **kwargs)

    def __call__(self, utterance: str) -> np.ndarray:
        """Embedding of one utterance: ``(e,)`` float32, unit norm (``(max_tokens, e)``)."""
        return self.embed_batch([utterance])[0]

    def embed_batch(self, utterances: Sequence[str]) -> np.ndarray:
        """Embeddings of several utterances, uncached ones computed in one padded batch.

        Returns ``(b, e)`` (``(b, max_tokens, e)``) float32 (a copy; callers may modify it).
        """
        # One lock around lookup, encoding and insertion: the encoder runs one batch at a
        # time anyway, and nothing can be evicted between the lookup and its use.
        with self._lock:
            missing = [u for u in dict.fromkeys(utterances) if u not in self._cache]
            computed = dict(zip(missing, self._encode(missing))) if missing else {}
            rows = []
            for u in utterances:
                row = computed.get(u)
                if row is None:
                    row = self._cache[u]
                    self._cache.move_to_end(u)
                rows.append(row)
            for u, row in computed.items():
                self._remember(u, row)
        return np.stack(rows).astype(np.float32, copy=True)

    def _encode(self, utterances: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(utterances)
        ids = torch.tensor([e.ids for e in encodings], dtype=torch.long, device=self._device)
        attention = torch.tensor([e.attention_mask for e in encodings], dtype=torch.long,
                                 device=self._device)
        with torch.inference_mode():
            if not self.tokens:
                return self._module(ids, attention).float().cpu().numpy()
            states = self._module.bert(ids, attention).float()
            states = states * attention.unsqueeze(-1).to(states.dtype)
            out = states.new_zeros((len(utterances), self._max_tokens, states.shape[-1]))
            out[:, :states.shape[1]] = states
        return out.cpu().numpy()

    def _remember(self, utterance: str, row: np.ndarray) -> None:
        if self._cache_size == 0:
            return
        self._cache[utterance] = row
        self._cache.move_to_end(utterance)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
