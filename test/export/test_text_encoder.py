# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The traced MiniLM against Hugging Face eager (slow: a 90 MB export)."""

import numpy as np
import pytest
import torch

from multimodal_fusion.export.text_encoder import export_text_encoder
from multimodal_fusion.export.text_encoder import load_eager_encoder
from multimodal_fusion.export.text_encoder import source_model_path
from multimodal_fusion.preprocessing.text_embedder import TEXT_ENCODER_FILE
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.preprocessing.text_embedder import TOKENIZER_FILE

SENTENCES = [
    'stop',
    'pick up the red cup',
    'could you please bring me the blue box that is on the kitchen table next to the sink',
    'Where is my phone?',
    'go left',
    'hand the screwdriver to the person wearing a yellow jacket, carefully and slowly now',
]

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def exported(tmp_path_factory):
    return export_text_encoder(tmp_path_factory.mktemp('text_encoder'))


@pytest.fixture(scope='module')
def hf():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(source_model_path())), load_eager_encoder()


def _hf_embed(hf, sentences, max_tokens):
    tokenizer, encoder = hf
    batch = tokenizer(sentences, padding=True, truncation=True, max_length=max_tokens,
                      return_tensors='pt')
    with torch.no_grad():
        return encoder(batch['input_ids'], batch['attention_mask']).numpy(), batch


def test_export_writes_files(exported):
    assert (exported / TEXT_ENCODER_FILE).stat().st_size > 50e6
    assert (exported / TOKENIZER_FILE).is_file()
    assert export_text_encoder(exported) == exported  # existing files are kept


@pytest.mark.parametrize('batch', [[0], [1, 2], [3, 0, 5], list(range(6))])
def test_traced_equals_hf_eager_for_varied_lengths_and_batches(exported, hf, batch):
    sentences = [SENTENCES[i] for i in batch]
    want, tokens = _hf_embed(hf, sentences, max_tokens=128)
    traced = torch.jit.load(str(exported / TEXT_ENCODER_FILE))
    with torch.no_grad():
        got = traced(tokens['input_ids'], tokens['attention_mask']).numpy()
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_text_embedder_equals_hf_pipeline(exported, hf):
    embedder = TextEmbedder(model_dir=exported, max_tokens=16)
    want, _ = _hf_embed(hf, SENTENCES, max_tokens=16)
    np.testing.assert_allclose(embedder.embed_batch(SENTENCES), want, atol=1e-5)
    # One at a time (no padding) gives the same vectors as the padded batch.
    for sentence, row in zip(SENTENCES, want):
        np.testing.assert_allclose(TextEmbedder(model_dir=exported, max_tokens=16,
                                                cache_size=0)(sentence), row, atol=1e-5)


def test_token_states_are_hf_eager_states_padded_with_zero_rows(exported, hf):
    embedder = TextEmbedder(model_dir=exported, max_tokens=16, tokens=True, cache_size=0)
    got = embedder.embed_batch(SENTENCES)
    assert got.shape == (len(SENTENCES), 16, 384) and got.dtype == np.float32
    tokenizer, encoder = hf
    batch = tokenizer(SENTENCES, padding=True, truncation=True, max_length=16,
                      return_tensors='pt')
    with torch.no_grad():
        states = encoder.bert(input_ids=batch['input_ids'],
                              attention_mask=batch['attention_mask'])[0].numpy()
    lengths = batch['attention_mask'].sum(1).numpy()
    for row, states_row, length in zip(got, states, lengths):
        np.testing.assert_allclose(row[:length], states_row[:length], atol=1e-4)
        assert not row[length:].any() and (np.abs(row[:length]).sum(1) > 0).all()
    # Their mean is the pooled sentence vector; one utterance alone gives the same rows.
    pooled = TextEmbedder(model_dir=exported, max_tokens=16).embed_batch(SENTENCES)
    means = got.sum(1) / lengths[:, None]
    np.testing.assert_allclose(means / np.linalg.norm(means, axis=1, keepdims=True), pooled,
                               atol=1e-5)
    np.testing.assert_allclose(embedder(SENTENCES[1]), got[1], atol=1e-4)


def test_embedding_is_semantic(exported):
    embedder = TextEmbedder(model_dir=exported)
    a, b, c = embedder.embed_batch(['pick up the cup', 'grab the mug', 'the weather is nice'])
    assert a @ b > a @ c
