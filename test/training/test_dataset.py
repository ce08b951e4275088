# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0

import dataclasses

import numpy as np
import pytest
import torch

from multimodal_fusion.preprocessing import text_embedder
from multimodal_fusion.preprocessing.batch import Preprocessor
from multimodal_fusion.preprocessing.text_adapter import TextAdapter
from multimodal_fusion.preprocessing.text_embedder import TextEmbedder
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim.referring import ObjectAttributes
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.training import dataset
from multimodal_fusion.training.dataset import dataset_key
from multimodal_fusion.training.dataset import generate_split
from multimodal_fusion.training.dataset import load_split
from multimodal_fusion.training.dataset import SimulatedSplit
from multimodal_fusion.training.dataset import SPLIT_SEEDS

from multimodal_fusion.training.testing import fake_embed
from multimodal_fusion.training.testing import TRAIN_SIZE
from multimodal_fusion.training.testing import VAL_SIZE


def test_split_seeds_are_distinct():
    assert len(set(SPLIT_SEEDS.values())) == len(SPLIT_SEEDS)


def test_shapes_and_dtypes(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    assert len(split) == TRAIN_SIZE
    camera, audio, text, touch, proprio, mask, index = split[3]
    assert camera.dtype == torch.uint8 and camera.shape == (3, 128, 128)
    assert audio.shape == (16000,) and text.shape == (384,)
    assert touch.shape == DEFAULT_SPEC.touch.tensor_shape
    assert proprio.shape == DEFAULT_SPEC.proprio.tensor_shape
    assert mask.dtype == torch.bool and mask.shape == (5,) and int(index) == 3
    assert split.truth['boxes'].shape[1:] == (split.truth['classes'].shape[1], 4)
    targets = split.targets([0, 1, 2], grid_hw=(16, 16), num_object_classes=6)
    assert targets['det_pos'].shape == (3, 16, 16)


def test_matches_the_node_preprocessing(dataset_root):
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    sim = ScenarioSimulator(SPLIT_SEEDS['train'], SimConfig())
    indices = [0, 1, 5]
    samples = [sim.sample(i) for i in indices]
    expected = Preprocessor(spec=DEFAULT_SPEC, text_embedder=lambda u: fake_embed([u])[0])(
        [s.frames for s in samples])
    for row, i in enumerate(indices):
        got = split[i]
        for j, tensor in enumerate(expected.tensors()):
            assert torch.equal(got[j], tensor[row])
        assert split.truth['situation'][i] == samples[row].truth.situation
        assert split.utterance(i) == samples[row].frames.text
        truth = samples[row].truth
        n = len(truth.boxes)
        assert np.array_equal(split.truth['boxes'][i, :n], truth.boxes)
        assert np.array_equal(split.truth['colors'][i, :n], truth.colors)
        assert np.array_equal(split.truth['sizes'][i, :n], truth.sizes)


def test_reference_words_are_stored_and_pick_the_target(dataset_root):
    from multimodal_fusion.modules.heads import POSITION_ORDER
    from multimodal_fusion.sim.vocab import POSITIONS

    assert POSITION_ORDER == POSITIONS
    split = load_split('train', TRAIN_SIZE, root=dataset_root)
    sim = ScenarioSimulator(SPLIT_SEEDS['train'], SimConfig())
    named = relations = 0
    for i in range(len(split)):
        truth = sim.sample(i).truth
        ann = split.annotation(i)
        if truth.reference is None:
            assert ann.reference is None
            continue
        named += 1
        ref = truth.reference
        position = -1 if ref.position is None else POSITIONS.index(ref.position)
        assert ann.reference[:4] == tuple(-1 if v is None else v for v in (
            ref.shape, ref.color, ref.size)) + (position,)
        assert ann.reference == ref.word_indices()
        relations += ref.relation is not None
        if truth.target >= 0:
            # The stored words and attributes pick the target by the grammar's own rule.
            assert ref.matches(ObjectAttributes(int(ann.classes[truth.target]),
                                                int(ann.colors[truth.target]),
                                                int(ann.sizes[truth.target])))
    assert named > 0


def test_cache_is_reused(dataset_root, monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError('a cached split was generated again')
    monkeypatch.setattr(dataset, '_write_split', fail)
    folder = generate_split(SPLIT_SEEDS['train'], TRAIN_SIZE, root=dataset_root,
                            text_embedder=fake_embed, progress=False)
    assert folder.name == dataset_key(SimConfig(), SPLIT_SEEDS['train'], TRAIN_SIZE)


def test_key_depends_on_seed_count_and_config():
    base = dataset_key(SimConfig(), 1, 10)
    assert base == dataset_key(SimConfig(cache_dir='/elsewhere'), 1, 10)
    assert len({base, dataset_key(SimConfig(), 2, 10), dataset_key(SimConfig(), 1, 11),
                dataset_key(SimConfig(asr_error_rate=0.0), 1, 10)}) == 4


def test_generation_is_deterministic_across_workers(tmp_path, dataset_root):
    # Two spawned workers must produce exactly what one in-process generator produced.
    folder = generate_split(SPLIT_SEEDS['val'], 8, root=tmp_path, workers=2,
                            text_embedder=fake_embed, progress=False)
    again = SimulatedSplit(folder)
    reference = load_split('val', 8, root=dataset_root)
    for name in dataset.INPUT_FIELDS:
        assert np.array_equal(again.arrays[name], reference.arrays[name]), name
    for name in dataset.TRUTH_FIELDS:
        assert np.array_equal(again.truth[name], reference.truth[name]), name


def test_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match='count'):
        generate_split(1, 0, root=tmp_path)
    with pytest.raises(ValueError, match='unknown split'):
        load_split('holdout', 4, root=tmp_path)
    with pytest.raises(FileNotFoundError):
        SimulatedSplit(tmp_path)


def _adapter():
    g = torch.Generator().manual_seed(0)
    return TextAdapter(lora={'encoder.layer.5.output.dense.weight': (
        torch.randn(2, 1536, generator=g), 0.1 * torch.randn(384, 2, generator=g))},
        values={}, base_model='sentence-transformers/all-MiniLM-L6-v2')


def test_text_is_read_through_the_adapted_encoder_once(dataset_root, monkeypatch):
    adapter = _adapter()
    plain = load_split('train', TRAIN_SIZE, root=dataset_root)
    split = load_split('train', TRAIN_SIZE, root=dataset_root, text_adapter=adapter)
    spoken = [i for i in range(len(split)) if split.utterance(i) is not None]
    silent = [i for i in range(len(split)) if split.utterance(i) is None]
    assert spoken and silent
    want = TextEmbedder(cache_size=0, adapter=adapter).embed_batch(
        [split.utterance(i) for i in spoken])
    np.testing.assert_allclose(np.asarray(split.arrays['text'])[spoken], want, atol=1e-5)
    np.testing.assert_array_equal(np.asarray(split.arrays['text'])[silent],
                                  np.asarray(plain.arrays['text'])[silent])
    assert torch.equal(split[spoken[0]][2], torch.from_numpy(want[0]))
    assert (split.folder / f'text-{adapter.key}.npy').is_file()

    def fail(*args, **kwargs):
        raise AssertionError('the adapted text was embedded again')
    monkeypatch.setattr(text_embedder, 'TextEmbedder', fail)
    again = load_split('train', TRAIN_SIZE, root=dataset_root, text_adapter=adapter)
    np.testing.assert_array_equal(np.asarray(again.arrays['text']),
                                  np.asarray(split.arrays['text']))


def test_a_token_state_split_holds_each_utterances_states_also_when_adapted(tmp_path):
    spec = dataclasses.replace(DEFAULT_SPEC, text=dataclasses.replace(
        DEFAULT_SPEC.text, tokens=True))
    config = SimConfig(spec=spec)
    assert dataset_key(config, 1, 10) != dataset_key(SimConfig(), 1, 10)
    adapter = _adapter()
    for split_adapter in (None, adapter):
        split = load_split('val', VAL_SIZE, config=config, root=tmp_path, workers=0,
                           progress=False, text_adapter=split_adapter)
        text = np.asarray(split.arrays['text'])
        assert text.shape == (VAL_SIZE, 32, 384)
        spoken = [i for i in range(len(split)) if split.utterance(i) is not None]
        assert spoken and not text[[i for i in range(len(split)) if i not in spoken]].any()
        want = TextEmbedder(cache_size=0, tokens=True, adapter=split_adapter).embed_batch(
            [split.utterance(i) for i in spoken])
        np.testing.assert_allclose(text[spoken], want, atol=1e-4)
        assert split[spoken[0]][2].shape == (32, 384)


def test_split_config_follows_the_models_spec_and_relations():
    from multimodal_fusion.models import ModelConfig

    spec = dataclasses.replace(DEFAULT_SPEC, text=dataclasses.replace(
        DEFAULT_SPEC.text, tokens=True))
    config = dataset.split_config(ModelConfig(spec=spec, relations=True),
                                  random_instant_fraction=0.5)
    assert config == SimConfig(spec=spec, relations=True, random_instant_fraction=0.5)
    assert dataset.split_config(ModelConfig()) == SimConfig()
