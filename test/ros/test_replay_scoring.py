# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Replays scored against the labels their bag carries (a label file beside it)."""

import json
from pathlib import Path
import shutil

import pytest

from multimodal_fusion.labels import Interval
from multimodal_fusion.labels import LabelNames
from multimodal_fusion.labels import LabelSet
from multimodal_fusion.labels import write_labels
from multimodal_fusion.ros.bag_labels import bag_time_range
from multimodal_fusion.ros.replay import main
from multimodal_fusion.ros.replay import replay_bag
from multimodal_fusion.ros.replay_scoring import label_scorer
from multimodal_fusion.ros.replay_scoring import Published
from multimodal_fusion.ros.replay_scoring import published_labels
from multimodal_fusion.ros.replay_scoring import score_published

ROOT = Path(__file__).resolve().parents[2]
BAG = ROOT / 'test' / 'data' / 'bags' / 'normal_command'
PARAMS = ROOT / 'config' / 'fusion.yaml'


@pytest.fixture(scope='module')
def published(tmp_path_factory):
    out = tmp_path_factory.mktemp('replay') / 'out.mcap'
    replay_bag(BAG, out, params=PARAMS)
    frames = published_labels(out)
    assert len(frames) == 10 and all(p.situation and p.action for p in frames.values())
    return frames


def _half_right(frames: dict) -> LabelSet:
    """Frames 0-4 labelled with what was published (action too), 5-9 with another name."""
    stamps = sorted(frames)
    situations = sorted({p.situation for p in frames.values()}) + ['elsewhere']
    actions = sorted({p.action for p in frames.values()})
    intervals = []
    for i, stamp in enumerate(stamps):
        end = stamps[i + 1] if i + 1 < len(stamps) else stamp + 1
        right = i < 5
        intervals.append(Interval(stamp, end, frames[stamp].situation if right else 'elsewhere',
                                  frames[stamp].action if right else None))
    return LabelSet(LabelNames(tuple(situations), tuple(actions)), intervals)


def test_published_frames_carry_their_camera_stamps(published):
    assert list(published) == sorted(published)
    assert all(1_000_000_000_000 <= stamp < 1_006_000_000_000 for stamp in published)


def test_score_counts_labelled_frames_and_actions(published):
    scores = score_published(_half_right(published), published)
    assert scores['frames'] == 10 and scores['labelled_frames'] == 10
    assert scores['situation_accuracy'] == 0.5
    assert scores['action_frames'] == 5 and scores['action_accuracy'] == 1.0
    assert scores['undeclared'] == []


def test_unlabelled_frames_are_left_out_and_unknown_names_listed():
    labels = LabelSet(LabelNames(('holding', 'idle'), ('none',)),
                      [Interval(100, 200, 'holding', 'none')])
    published = {150: Published('handover', 'none'), 300: Published('idle', 'give')}
    scores = score_published(labels, published)
    assert scores['labelled_frames'] == 1 and scores['situation_accuracy'] == 0.0
    assert scores['situation_macro_f1'] == 0.0
    assert scores['action_accuracy'] == 1.0
    assert scores['undeclared'] == ['give', 'handover']


@pytest.mark.parametrize('times', ['relative_s', 'absolute_ns'])
def test_replay_prints_the_scores_of_a_label_file_beside_the_bag(published, tmp_path, capsys,
                                                                 times):
    bag = tmp_path / 'bag'
    shutil.copytree(BAG, bag)
    write_labels(_half_right(published), bag / 'labels.yaml', times=times,
                 origin_ns=bag_time_range(bag).start_ns)
    assert main([str(bag), '--params', str(PARAMS), '--out', str(tmp_path / 'out')]) == 0
    line = next(line for line in capsys.readouterr().out.splitlines()
                if line.startswith('scores: '))
    scores = json.loads(line[len('scores: '):])
    assert scores['situation_accuracy'] == 0.5 and scores['action_accuracy'] == 1.0


def test_a_bag_without_labels_is_not_scored(tmp_path):
    summary = replay_bag(BAG, tmp_path / 'out.mcap', params=PARAMS, scorer=label_scorer())
    assert summary.scores is None


def test_bad_labels_exit_2_naming_the_file_and_line(tmp_path, capsys):
    bag = tmp_path / 'bag'
    shutil.copytree(BAG, bag)
    (bag / 'labels.yaml').write_text(
        'times: relative_s\nsituations: [holding]\nintervals:\n'
        '  - {start: 0.0, end: 1.0, situation: dancing}\n')
    assert main([str(bag), '--params', str(PARAMS), '--out', str(tmp_path / 'out')]) == 2
    err = capsys.readouterr().err
    assert 'labels.yaml:4' in err and 'dancing' in err and 'Traceback' not in err, err
