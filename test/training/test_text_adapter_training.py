# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Fine-tuning the real MiniLM on commands, and the adapter merged into the traced encoder."""

import dataclasses

import numpy as np
import pytest
import torch

from multimodal_fusion.preprocessing.text_adapter import average_adapters
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import REFERRING_ACTIONS
from multimodal_fusion.training import text_adapter as stage
from multimodal_fusion.training.text_adapter import AdapterSettings
from multimodal_fusion.training.text_adapter import command_examples
from multimodal_fusion.training.text_adapter import slot_accuracy
from multimodal_fusion.training.text_adapter import SLOT_CLASSES
from multimodal_fusion.training.text_adapter import slot_loss
from multimodal_fusion.training.text_adapter import SLOTS
from multimodal_fusion.training.text_adapter import train_adapter_soup
from multimodal_fusion.training.text_adapter import train_text_adapter

SENTENCES = ['stop', 'hey robot, could you hand me the small ball on the left please',
             'the meeting starts at ten', 'peek at the bluish sphere at the centre']


def test_command_examples_label_every_slot_and_add_chatter():
    texts, labels = command_examples('train', 70, seed=3, error_rate=0.0, chatter_fraction=0.2)
    assert len(texts) == len(labels) == 84 and labels.shape == (84, len(SLOTS))
    for k, classes in enumerate(SLOT_CLASSES):
        assert labels[:, k].min() >= 0 and labels[:, k].max() < classes
    assert set(labels[:70, 0]) == set(range(1, len(ACTIONS)))  # every action in turn
    assert (labels[70:] == 0).all()  # chatter: action 'none', nothing referred to
    referring = np.isin(labels[:70, 0], [ACTIONS.index(a) for a in REFERRING_ACTIONS])
    assert (labels[:70][referring, 1:].max(axis=1) > 0).all()
    assert (labels[:70][~referring, 1:] == 0).all()
    again, _ = command_examples('train', 70, seed=3, error_rate=0.0, chatter_fraction=0.2)
    assert again == texts
    assert (labels[:, SLOTS.index('relation'):] == 0).all()  # relations are opt-in


def test_relations_are_labelled_and_scored_on_the_commands_that_say_them():
    texts, labels = command_examples('train', 400, seed=2, error_rate=0.0, relations=True)
    related = labels[:, SLOTS.index('relation')] > 0
    assert 20 < related.sum() < 200
    assert (labels[related, SLOTS.index('anchor_shape')] > 0).all()
    assert (labels[~related, SLOTS.index('anchor_shape'):] == 0).all()
    assert all(' of ' in text for text in np.array(texts)[related])
    wrong = labels.copy()
    wrong[related, SLOTS.index('relation')] = 0  # every relation missed
    scores = slot_accuracy(wrong, labels)
    assert scores['relation_said'] == 0.0 and scores['anchor_shape'] == 1.0
    assert 0.6 < scores['relation'] < 1.0


def test_merged_adapter_embeds_exactly_as_the_adapted_encoder_it_came_from():
    """What training optimised (LoRA layers in eager BERT) is what the node computes."""
    bert, tokenizer = stage._load_bert()
    model = stage._AdaptedEncoder(bert, rank=4, generator=torch.Generator().manual_seed(0))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():  # training would move these away from their initial values
        for layer in model.lora.values():
            layer.b.copy_(0.05 * torch.randn(layer.b.shape, generator=g))
        for p in model.tuned.values():
            p.add_(0.01 * torch.randn(p.shape, generator=g))
    model.eval()
    adapter = TextAdapter.from_bytes(model.adapter({'test': True}).to_bytes())
    assert len(adapter.lora) == 6 * 6  # six linear layers in each of six transformer layers
    tokens = tokenizer(SENTENCES, padding=True, truncation=True, max_length=32,
                       return_tensors='pt')
    with torch.no_grad():
        want = model.embed(tokens['input_ids'], tokens['attention_mask']).numpy()
    got = TextEmbedder(cache_size=0, adapter=adapter).embed_batch(SENTENCES)
    np.testing.assert_allclose(got, want, atol=2e-5)
    frozen = TextEmbedder(cache_size=0).embed_batch(SENTENCES)
    assert np.abs(got - frozen).max() > 1e-2


def test_a_short_run_learns_commands_and_returns_a_usable_adapter(tmp_path):
    lines = []
    adapter, scores = train_text_adapter(
        AdapterSettings(commands=320, chatter_fraction=0.1, epochs=2, batch_size=16,
                        lr=1e-3), log=lines.append)
    assert any('epoch 2/2' in line for line in lines)
    assert set(scores) == {'train', 'held_out'}
    # Eight actions: chance is 0.125; 40 steps already read most of them.
    assert scores['train']['action'] > 0.5, scores
    assert adapter.summary['settings']['commands'] == 320
    path = tmp_path / 'adapter.pt'
    path.write_bytes(adapter.to_bytes())
    embedded = TextEmbedder(cache_size=0, adapter=TextAdapter.from_file(path))('stop')
    assert embedded.shape == (384,) and abs(float(np.linalg.norm(embedded)) - 1.0) < 1e-4


def test_a_token_state_read_out_trains_and_scores_every_slot():
    adapter, scores = train_text_adapter(
        AdapterSettings(commands=320, chatter_fraction=0.0, epochs=2, batch_size=16,
                        lr=1e-3, relations=True, readout='tokens'), log=lambda line: None)
    assert adapter.summary['settings']['readout'] == 'tokens'
    train = scores['train']
    # 40 steps: well above chance (1/8) on the action already; the relations need more.
    assert train['action'] > 0.3, train
    assert {'anchor_shape', 'anchor_color', 'relation_said'} <= set(train)


@pytest.mark.parametrize('kwargs', [{'commands': 0}, {'rank': 0}, {'lr': 0.0},
                                    {'chatter_fraction': 1.5}, {'readout': 'cls'}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        AdapterSettings(**kwargs)


def test_cli_refuses_bad_settings_with_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        stage.main(['--out', 'unused.pt', '--rank', '0'])
    assert exit_info.value.code == 2
    assert 'rank' in capsys.readouterr().err


def test_a_soup_of_two_seeds_trains_each_and_averages_them():
    lines = []
    settings = AdapterSettings(commands=96, chatter_fraction=0.1, epochs=1, batch_size=16,
                               rank=4, lr=1e-3)
    soup, scores = train_adapter_soup(settings, (3, 4), processes=1, log=lines.append)
    assert set(scores) == {3, 4} and all(set(s) == {'train', 'held_out'}
                                         for s in scores.values())
    assert soup.summary['soup_seeds'] == [3, 4] and any('soup' in line for line in lines)
    one = {seed: train_text_adapter(dataclasses.replace(settings, seed=seed),
                                    log=lambda line: None)[0] for seed in (3, 4)}
    # Training is deterministic per seed, so the soup is the average of these two.
    want = average_adapters(list(one.values()), rank=4)
    for name, (a, b) in soup.lora.items():
        torch.testing.assert_close(b @ a, want.lora[name][1] @ want.lora[name][0])
    a, b = soup.lora[next(iter(soup.lora))]
    assert a.shape[0] == 4


def test_the_anchor_words_are_learned_only_where_a_relation_is_said():
    _, labels = command_examples('train', 200, seed=4, error_rate=0.0, relations=True)
    labels = torch.from_numpy(labels)
    related = labels[:, SLOTS.index('relation')] > 0
    assert related.any() and not related.all()
    outputs = [torch.randn(len(labels), n) for n in SLOT_CLASSES]
    loss = slot_loss(outputs, labels)
    # Other anchor logits on commands without a relation leave the loss as it was ...
    for k in (SLOTS.index('anchor_shape'), SLOTS.index('anchor_color')):
        outputs[k][~related] = torch.randn(int((~related).sum()), SLOT_CLASSES[k])
    assert torch.equal(slot_loss(outputs, labels), loss)
    # ... while on those that say one they count.
    outputs[SLOTS.index('anchor_shape')][related] += 5.0 * torch.randn(
        int(related.sum()), SLOT_CLASSES[SLOTS.index('anchor_shape')])
    assert not torch.equal(slot_loss(outputs, labels), loss)
