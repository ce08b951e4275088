# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import dataclasses
import json

import pytest
import torch

from multimodal_fusion.export.model_file import load_model
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.testing import VAL_SIZE
from multimodal_fusion.training.train import HISTORY_FILE
from multimodal_fusion.training.train import modality_dropout
from multimodal_fusion.training.train import model_config
from multimodal_fusion.training.train import parse_args
from multimodal_fusion.training.train import settings_from_args
from multimodal_fusion.training.train import Trainer
from multimodal_fusion.training.train import TrainSettings


def _settings(**overrides):
    fields = {'strategy': 'feature_concat', 'epochs': 2, 'batch_size': 8, 'lr': 2e-3,
              'train_size': TRAIN_SIZE, 'val_size': VAL_SIZE, 'warmup_steps': 1, 'seed': 3}
    fields.update(overrides)
    return TrainSettings(**fields)


def _trainer(settings, out, root):
    return Trainer(settings, out, device='cpu', workers=0, progress=False, dataset_root=root)


def test_modality_dropout_never_masks_everything():
    g = torch.Generator().manual_seed(0)
    mask = torch.ones(2000, 5, dtype=torch.bool)
    mask[::3, 2] = False
    out = modality_dropout(mask, 0.9, g)
    assert bool(out.any(dim=1).all())
    assert not bool((out & ~mask).any())
    rate = 1.0 - out.sum().item() / mask.sum().item()
    assert 0.6 < rate < 0.9
    assert torch.equal(modality_dropout(mask, 0.0, g), mask)


def test_modality_dropout_is_seeded():
    mask = torch.ones(64, 5, dtype=torch.bool)
    a = modality_dropout(mask, 0.3, torch.Generator().manual_seed(5))
    b = modality_dropout(mask, 0.3, torch.Generator().manual_seed(5))
    assert torch.equal(a, b)


def test_drop_modality_builds_without_it():
    config = model_config(_settings(drop_modality='audio'))
    assert config.fusion.modalities == ('camera', 'text', 'touch', 'proprio')
    assert config.num_situations == 11 and config.num_actions == 8
    with pytest.raises(ValueError, match='camera'):
        _settings(drop_modality='camera')


def test_cli_arguments():
    args = parse_args(['--strategy', 'gated', '--out', 'x', '--modality-dropout', '0.2',
                       '--drop-modality', 'touch', '--camera-backbone', 'efficientnet_lite0',
                       '--augment'])
    settings = settings_from_args(args)
    assert settings.augment and not settings_from_args(
        parse_args(['--strategy', 'gated', '--out', 'x'])).augment
    assert settings.modality_dropout == 0.2 and settings.drop_modality == 'touch'
    assert settings.camera_backbone == 'efficientnet_lite0'


def test_resume_continues_exactly(tmp_path, dataset_root):
    # With augmentation: its draws are part of what must continue exactly.
    straight = _trainer(_settings(augment=True), tmp_path / 'straight', dataset_root)
    straight.fit()
    first = _trainer(_settings(augment=True), tmp_path / 'resumed', dataset_root)
    first.fit(until_epoch=1)
    second = _trainer(_settings(augment=True), tmp_path / 'resumed', dataset_root)
    assert second.resume() and second.epoch == 1
    second.fit()
    for key, value in straight.model.state_dict().items():
        assert torch.allclose(value, second.model.state_dict()[key], atol=1e-6), key
    history = json.loads((tmp_path / 'resumed' / HISTORY_FILE).read_text())
    assert [h['epoch'] for h in history] == [1, 2]
    path = second.export()
    module, metadata = load_model(path)
    assert metadata['strategy'] == 'feature_concat'
    assert metadata['training_summary']['epochs_trained'] == 2
    assert 'situation_f1' in metadata['training_summary']['val_metrics']


def test_resume_refuses_other_settings(tmp_path, dataset_root):
    trainer = _trainer(_settings(epochs=1), tmp_path, dataset_root)
    trainer.fit()
    other = _trainer(_settings(epochs=1, lr=1e-4), tmp_path, dataset_root)
    with pytest.raises(ValueError, match='lr'):
        other.resume()


def test_loss_decreases_when_overfitting(tmp_path, dataset_root):
    trainer = _trainer(_settings(epochs=6, batch_size=8, train_size=TRAIN_SIZE,
                                 modality_dropout=0.0, lr=3e-3), tmp_path, dataset_root)
    trainer.fit()
    losses = [h['loss_total'] for h in trainer.history]
    assert losses[-1] < 0.7 * losses[0], losses


def test_auxiliary_terms_train_and_are_logged_per_epoch(tmp_path, dataset_root):
    trainer = _trainer(_settings(strategy='mixture_of_experts', epochs=1, contrastive=0.1,
                                 balance=0.05), tmp_path, dataset_root)
    trainer.fit()
    (record,) = trainer.history
    assert record['loss_contrastive'] > 0 and record['loss_balance'] >= 0
    assert record['loss_total'] > record['loss_situation']
    args = parse_args(['--strategy', 'gated', '--out', 'x', '--contrastive', '0.2',
                       '--balance', '0.01'])
    settings = settings_from_args(args)
    assert (settings.contrastive, settings.balance) == (0.2, 0.01)


def test_a_checkpoint_from_before_a_setting_existed_resumes_with_its_default(
        tmp_path, dataset_root):
    trainer = _trainer(_settings(epochs=1), tmp_path, dataset_root)
    trainer.fit()
    path = tmp_path / 'checkpoint.pt'
    state = torch.load(path, weights_only=False)
    del state['settings']['contrastive'], state['settings']['balance']
    torch.save(state, path)
    assert _trainer(_settings(epochs=1), tmp_path, dataset_root).resume()
    with pytest.raises(ValueError, match='balance'):
        _trainer(_settings(epochs=1, balance=0.1), tmp_path, dataset_root).resume()


def test_reproduce_command_is_a_valid_training_run():
    from multimodal_fusion.training.reproduce import command

    args = command('runs/x', 'model.pt')
    assert args[:4] == ['--standalone', '--nproc_per_node', '2', '-m']
    parsed = parse_args(args[5:])
    settings = settings_from_args(parsed)
    assert settings.strategy == 'token_early' and settings.train_size == 24000
    assert str(parsed.text_adapter) == 'runs/x/text_adapter.pt'
    assert settings.random_instants == 0.5 and settings.augment
    assert settings.relations and settings.token_states and settings.word_dropout == 0.5


def test_reproduce_trains_the_same_recipe_with_another_strategy():
    from multimodal_fusion.training.reproduce import command

    shipped = settings_from_args(parse_args(command('runs/x', 'model.pt')[5:]))
    gated = settings_from_args(parse_args(command('runs/x', 'model.pt', strategy='gated')[5:]))
    assert gated.strategy == 'gated'
    assert dataclasses.replace(gated, strategy=shipped.strategy) == shipped


def test_reproduce_takes_the_text_adapter_of_a_model_file(tmp_path, capsys):
    from multimodal_fusion.inference.engine import default_model_path
    from multimodal_fusion.inference.engine import FusionEngine
    from multimodal_fusion.preprocessing.text_adapter import TextAdapter
    from multimodal_fusion.training import reproduce

    written = reproduce.train_adapter(str(tmp_path / 'run'), str(default_model_path()))
    assert written == tmp_path / 'run' / reproduce.ADAPTER_FILE
    shipped = FusionEngine(default_model_path()).text_adapter
    assert TextAdapter.from_bytes(written.read_bytes()).key == shipped.key
    # A file that is not a model is refused with the flag named, before any training.
    bad = tmp_path / 'bad.pt'
    bad.write_bytes(b'not a model')
    assert reproduce.main(['--out', str(tmp_path / 'other'), '--adapter-from', str(bad)]) == 2
    assert '--adapter-from' in capsys.readouterr().err
    assert not (tmp_path / 'other' / reproduce.ADAPTER_FILE).exists()


def test_the_shipped_model_was_trained_by_the_reproduce_recipe():
    from multimodal_fusion.inference.engine import default_model_path
    from multimodal_fusion.training.reproduce import command

    recipe = dataclasses.asdict(settings_from_args(parse_args(command('runs/x', 'm.pt')[5:])))
    shipped = load_model(default_model_path())[1]['training_summary']['settings']
    assert shipped == recipe
    # Its configuration is the one the recipe builds: relations read from token states.
    config = model_config(settings_from_args(parse_args(command('runs/x', 'm.pt')[5:])))
    written = json.loads(json.dumps(config.to_dict()))
    assert load_model(default_model_path())[1]['config'] == written


def test_relations_and_token_states_reach_the_data_and_the_model():
    settings = settings_from_args(parse_args(['--strategy', 'gated', '--relations',
                                              '--token-states', '--out', 'x']))
    assert settings.relations and settings.token_states
    assert settings.spec.text.tensor_shape == (settings.spec.text.max_tokens, 384)
    config = model_config(settings)
    assert config.relations and config.spec == settings.spec and config.word_dropout == 0.0
    settings = settings_from_args(parse_args(['--strategy', 'gated', '--token-states',
                                              '--word-dropout', '0.5', '--out', 'x']))
    assert model_config(settings).word_dropout == 0.5


def test_word_dropout_needs_token_states():
    with pytest.raises(ValueError, match='needs token_states'):
        TrainSettings(word_dropout=0.5)


def test_cli_refuses_a_missing_text_adapter_before_training(tmp_path, capsys):
    from multimodal_fusion.training.train import main

    code = main(['--strategy', 'gated', '--out', str(tmp_path / 'run'),
                 '--text-adapter', str(tmp_path / 'absent.pt')])
    assert code == 2
    err = capsys.readouterr().err
    assert 'absent.pt: no such text adapter file' in err
    assert not (tmp_path / 'run').exists()
