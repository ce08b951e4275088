# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Labelled bags to training samples: cut at camera frames by the node's path, cached."""

import os

import numpy as np
import pytest
from rclpy.serialization import deserialize_message
from sensor_msgs.msg import Image
import torch

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.models.build import build_model
from multimodal_fusion.models.config import ModelConfig
from multimodal_fusion.models.losses import Annotation
from multimodal_fusion.models.losses import encode_targets
from multimodal_fusion.models.losses import MultiTaskLoss
from multimodal_fusion.models.testing import random_inputs
from multimodal_fusion.modules.fusion.base import FusionConfig
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_labels import bag_labels
from multimodal_fusion.ros.bag_recorder import BagPlan
from multimodal_fusion.ros.bag_recorder import record_bag
from multimodal_fusion.ros.node.config import node_config_from_file
from multimodal_fusion.ros.offline_path import OfflinePath
from multimodal_fusion.spec import DEFAULT_SPEC
from multimodal_fusion.training import bag_dataset
from multimodal_fusion.training.bag_dataset import bag_cache_key
from multimodal_fusion.training.bag_dataset import BagDatasetError
from multimodal_fusion.training.bag_dataset import BagSplit
from multimodal_fusion.training.bag_dataset import cache_bag
from multimodal_fusion.training.bag_dataset import load_bag_split
from multimodal_fusion.training.bag_dataset import split_bags
from multimodal_fusion.training.bag_testing import record_team_bag
from multimodal_fusion.training.bag_testing import TEAM_MAPPING
from multimodal_fusion.training.bag_testing import TEAM_SITUATIONS


@pytest.fixture(scope='module')
def team_bag(tmp_path_factory):
    """A 5 Hz simulator bag labelled in the team's names, and a cache root."""
    folder = tmp_path_factory.mktemp('team')
    bag = folder / 'bag'
    record_team_bag(bag, camera_rate_hz=5.0)
    return bag, folder / 'cache'


def test_samples_are_the_labelled_camera_frames(team_bag):
    bag, root = team_bag
    split = load_bag_split([bag], root=root, progress=False)
    labels = bag_labels(bag)
    stamps = []
    for m in read_messages(bag, ['/camera/image_raw']):
        h = deserialize_message(m.data, Image).header.stamp
        stamps.append(h.sec * 1_000_000_000 + h.nanosec)
    labelled = [s for s in stamps if labels.at(s) is not None]
    stats = split.meta['stats'][0]
    # Every camera frame became a set; the unlabelled ones were skipped and counted.
    assert stats['sets'] == len(stamps)
    assert stats['unlabelled'] == len(stamps) - len(labelled) > 0
    assert split.truth['stamp_ns'].tolist() == labelled
    assert split.names.situations == TEAM_SITUATIONS
    for i in range(0, len(split), 17):
        frame = labels.at(int(split.truth['stamp_ns'][i]))
        assert split.names.situations[split.truth['situation'][i]] == frame.situation
        action = int(split.truth['action'][i])
        assert (split.names.actions[action] if action >= 0 else None) == frame.action
        n = int(split.truth['num_boxes'][i])
        assert [tuple(b) for b in split.truth['boxes'][i, :n].tolist()] == [
            tuple(b.box) for b in frame.boxes]
    counts = split.class_counts()
    assert sum(counts['situations'].values()) == len(split)
    assert set(counts['situations']) == set(TEAM_SITUATIONS)
    assert split.truth['det_known'].all()
    # The samples are the preprocessed tensors, cameras present (required by the sync).
    camera, audio, text, touch, proprio, mask, index = split[0]
    assert camera.dtype == torch.uint8 and camera.shape[0] == 3
    assert bool(split.arrays['mask'][:len(split)][:, 0].all())
    assert int(index) == 0


def test_a_bag_is_cut_once_and_again_when_it_changes(team_bag):
    bag, root = team_bag
    first = cache_bag(bag, root=root, progress=False)
    written = (first / 'meta.json').stat().st_mtime_ns
    assert cache_bag(bag, root=root, progress=False) == first
    assert (first / 'meta.json').stat().st_mtime_ns == written
    metadata = bag / 'metadata.yaml'
    stat = metadata.stat()
    os.utime(metadata, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    try:
        key = bag_cache_key(bag, config=node_config_from_file(None), spec=DEFAULT_SPEC,
                            text_encoder=None)
        assert key != first.name
    finally:
        os.utime(metadata, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_splits_are_whole_bags_and_deterministic(tmp_path):
    bags = [tmp_path / f'bag_{i}' for i in range(10)]
    train, val = split_bags(bags)
    assert val and train and not set(train) & set(val)
    assert sorted(train + val) == sorted(bags)
    # The choice is by name: the same whatever the order, and a bag keeps its side.
    assert split_bags(list(reversed(bags))) == (list(reversed(train)), val)
    _, val2 = split_bags(bags[:9] + [tmp_path / 'other'])
    assert set(val2) - {tmp_path / 'other'} == set(val) - {bags[9]}
    assert split_bags(bags, val_bags=[bags[3]]) == (bags[:3] + bags[4:], [bags[3]])
    assert split_bags(bags[:1]) == (bags[:1], [])
    with pytest.raises(BagDatasetError, match='twice'):
        split_bags([bags[0], bags[0]])
    with pytest.raises(BagDatasetError, match='no bag is left'):
        split_bags(bags[:1], val_bags=bags[:1])


def test_bags_with_other_names_do_not_mix(team_bag, tmp_path):
    bag, root = team_bag
    other = tmp_path / 'sim_names'
    record_bag(other, BagPlan(seed=7, episodes=1, camera_rate_hz=5, labels=True,
                              streams=('camera', 'touch')))
    with pytest.raises(BagDatasetError, match='same names'):
        BagSplit([cache_bag(bag, root=root, progress=False),
                  cache_bag(other, root=tmp_path / 'cache', progress=False)])


def test_a_bag_without_labels_is_refused(tmp_path):
    bag = tmp_path / 'unlabelled'
    record_bag(bag, BagPlan(seed=7, episodes=1, duration_s=2.0, camera_rate_hz=5,
                            streams=('camera',)))
    with pytest.raises(BagDatasetError, match='no labels') as error:
        cache_bag(bag, root=tmp_path / 'cache', progress=False)
    assert str(bag) in str(error.value)
    with pytest.raises(BagDatasetError, match='no such bag'):
        cache_bag(tmp_path / 'missing', root=tmp_path / 'cache', progress=False)


def test_frames_without_boxes_skip_the_detection_losses():
    config = ModelConfig(fusion=FusionConfig(dim=32), camera_width=8, head_hidden=16,
                         num_situations=5, num_actions=4, num_object_classes=6)
    torch.manual_seed(0)
    model = build_model('token_early', config, pretrained_camera=False).eval()
    inputs = random_inputs(config, 2)
    with torch.no_grad():
        outputs = model(*inputs)
    boxed = Annotation(image_hw=(240, 320), boxes=np.array([[10, 20, 60, 90]], np.float32),
                       classes=np.array([2]), referred=0, situation=1, action=2)
    unboxed = Annotation(image_hw=(240, 320), situation=3, action=-1, boxes_known=False,
                         reference_known=False, target_class=-1)
    empty = Annotation(image_hw=(240, 320), situation=3, action=-1)
    loss = MultiTaskLoss()

    def losses(annotations, rows):
        targets = encode_targets(annotations, grid_hw=config.grid_hw, num_object_classes=6)
        picked = {k: v[rows] for k, v in outputs.items()}
        return loss(picked, targets, inputs[5][rows]), targets

    alone, _ = losses([boxed], [0])
    with_unknown, targets = losses([boxed, unboxed], [0, 1])
    with_empty, _ = losses([boxed, empty], [0, 1])
    assert targets['det_valid'].tolist() == [True, False]
    assert targets['ref_valid'].tolist() == [True, False]
    assert targets['target_class'][1] == -1
    # The unlabelled frame adds nothing to the detection terms; an empty but labelled frame
    # ('nothing in view') does: its cells learn objectness 0.
    for name in ('det_obj', 'det_cls', 'det_box', 'det_ref', 'target_xy'):
        assert torch.allclose(with_unknown[name], alone[name]), name
    assert with_empty['det_obj'] > alone['det_obj']
    assert not torch.allclose(with_unknown['situation'], alone['situation'])
    with pytest.raises(ValueError, match='boxes_known'):
        encode_targets([Annotation(image_hw=(240, 320), boxes=boxed.boxes,
                                   classes=boxed.classes, boxes_known=False)],
                       grid_hw=config.grid_hw, num_object_classes=6)
    assert TEAM_MAPPING.order['actions'] == ('none', 'fetch', 'approach', 'stop')


def test_the_command_prints_the_class_counts(team_bag, tmp_path, monkeypatch, capsys):
    bag, root = team_bag
    monkeypatch.setattr(bag_dataset, 'default_dataset_root', lambda: root)
    assert bag_dataset.main([str(bag), '--no-progress']) == 0
    out = capsys.readouterr().out
    split = load_bag_split([bag], root=root, progress=False)
    counts = ', '.join(f'{k} {v}' for k, v in split.class_counts()['situations'].items())
    assert f'train: {len(split)} samples from 1 bag(s)' in out
    assert f'situations: {counts}' in out
    assert bag_dataset.main([str(tmp_path / 'missing'), '--no-progress']) == 2
    assert 'no such bag' in capsys.readouterr().err


def test_samples_are_the_tensors_the_node_infers(team_bag):
    # Train/serve equality: the node's path over the same bag, then the engine's own
    # preprocessing of each labelled set, gives exactly the cached sample.
    bag, root = team_bag
    engine = FusionEngine(default_model_path())
    # Read through the model's own fine-tuned sentence encoder and in its own text form
    # (token states for the shipped model), as training on bags does.
    split = load_bag_split([bag], root=root, progress=False, text_adapter=engine.text_adapter,
                           spec=engine.spec)
    labels = bag_labels(bag)
    path = OfflinePath(node_config_from_file(None), engine.spec)
    stamps = split.truth['stamp_ns'].tolist()
    wanted = set(stamps[::25])
    sets = []
    for m in read_messages(bag, sorted(path.routes)):
        msg = deserialize_message(m.data, path.routes[m.topic].msg_type)
        sets += [s for s in path.handle(m.topic, msg, m.log_time_ns) if s.stamp_ns in wanted]
    sets += [s for s in path.finish() if s.stamp_ns in wanted]
    assert sorted(s.stamp_ns for s in sets) == sorted(wanted)
    for synced in sets:
        assert labels.at(synced.stamp_ns) is not None
        inputs = engine.preprocessor([synced.frames])
        for served, stored in zip(inputs.tensors(), split[stamps.index(synced.stamp_ns)][:6]):
            assert torch.equal(served[0], stored)
