# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The robustness report's scoring and rendering, on a tiny split with known predictions."""

import numpy as np
import pytest

from multimodal_fusion.sim.config import HELD_OUT_FACTORS
from multimodal_fusion.sim.vocab import ACTIONS
from multimodal_fusion.sim.vocab import SITUATIONS
from multimodal_fusion.training.evaluation import EvalResult
from multimodal_fusion.training.robustness import ALL_SHIFTS
from multimodal_fusion.training.robustness import CONDITIONS
from multimodal_fusion.training.robustness import evaluate_conditions
from multimodal_fusion.training.robustness import IN_DISTRIBUTION
from multimodal_fusion.training.robustness import reference_kinds
from multimodal_fusion.training.robustness import render_report
from multimodal_fusion.training.robustness import score_condition
from multimodal_fusion.training.robustness import Targets


class _Split:
    """The fields of a SimulatedSplit that scoring reads."""

    def __init__(self, actions, targets, utterances):
        self.truth = {'action': np.asarray(actions), 'target': np.asarray(targets)}
        self._utterances = utterances

    def __len__(self):
        return len(self._utterances)

    def utterance(self, index):
        return self._utterances[index]


def _result(situation_true, situation_pred, action_pred, grounding=1.0):
    return EvalResult(situation_f1=0.95, situation_accuracy=0.5, action_accuracy=0.5,
                      grounding=grounding, map50=0.9,
                      situation_pred=np.asarray(situation_pred),
                      situation_true=np.asarray(situation_true),
                      action_pred=np.asarray(action_pred),
                      modality_weights=np.zeros((len(situation_pred), 5)))


def test_conditions_cover_each_factor_alone_and_all_together():
    assert CONDITIONS[IN_DISTRIBUTION] == ()
    assert CONDITIONS[ALL_SHIFTS] == HELD_OUT_FACTORS
    for factor in HELD_OUT_FACTORS:
        assert CONDITIONS[factor] == (factor,)


def test_action_accuracy_counts_commands_only_and_confusions_are_named():
    none, give, pick = (ACTIONS.index(a) for a in ('none', 'give', 'pick_up'))
    split = _Split(actions=[none, none, give, give, pick],
                   targets=[-1, -1, 0, 1, -1],
                   utterances=[None, None, 'hand over the cube', 'give me the ball', 'grab it'])
    idle, alarm = SITUATIONS.index('idle'), SITUATIONS.index('alarm')
    # Two 'none' samples read as commands do not count; one of three commands is wrong.
    result = _result([idle, idle, alarm, alarm, idle], [idle, alarm, alarm, idle, idle],
                     [give, pick, pick, give, pick])
    score = score_condition('phrasing', result, split)
    assert score.commands == 3 and score.referring == 2
    assert score.command_action_accuracy == pytest.approx(2 / 3)
    assert score.action_confusions == (('give', 'pick_up', 1),)
    assert score.misread_commands == (('hand over the cube', 'give', 'pick_up'),)
    assert set(score.situation_confusions) == {('idle', 'alarm', 1), ('alarm', 'idle', 1)}
    assert score.held_out == ('phrasing',)


def test_targets_depend_on_the_kind_of_condition_and_misses_name_the_metric():
    targets = Targets()
    assert targets.of(IN_DISTRIBUTION) == (0.95, 0.97, 0.90)
    assert targets.of('voice') == (0.90, 0.90, 0.90)
    assert targets.of(ALL_SHIFTS) == (0.85, 0.85, 0.85)
    none, give = ACTIONS.index('none'), ACTIONS.index('give')
    split = _Split([give, none], [0, -1], ['give me that', None])
    score = score_condition(ALL_SHIFTS, _result([0, 0], [0, 0], [give, none], 0.8), split)
    assert score.misses(targets) == [f'{ALL_SHIFTS}: grounding 0.800 < 0.85']
    report = render_report([score], command='cmd', model_path='m.pt', seed=5)
    assert f'| {ALL_SHIFTS} | phrasing, voice, background, sensor |' in report
    assert '| no |' in report


def test_unknown_condition_is_refused():
    with pytest.raises(ValueError, match='unknown conditions'):
        evaluate_conditions(None, conditions=('rain',))


def test_grounding_is_broken_down_by_kind_of_reference():
    give = ACTIONS.index('give')
    split = _Split([give] * 4, [0, 1, 0, -1], ['a', 'b', 'c', None])
    # Reference.word_indices rows: attributes only, a position, a relation, nothing.
    split.truth['reference'] = np.array([[0, 1, -1, -1, -1, -1, -1], [0, -1, -1, 2, -1, -1, -1],
                                         [0, -1, -1, -1, 1, 3, -1], [-1] * 7])
    assert reference_kinds(split.truth['reference']).tolist() == [0, 1, 2, 0]
    assert reference_kinds(np.array([[0, 1, -1, 2]])).tolist() == [1]  # four-word arrays
    result = _result([0] * 4, [0] * 4, [give] * 4, grounding=2 / 3)
    result.grounding_hits = np.array([1, 1, 0, -1], np.int8)
    score = score_condition('phrasing', result, split)
    assert score.grounding_by_kind == (('attributes', 1, 1.0), ('position', 1, 1.0),
                                       ('relation', 1, 0.0))
    report = render_report([score], command='cmd', model_path='m.pt', seed=5)
    assert '| phrasing | 100.0 (1) | 100.0 (1) | 0.0 (1) |' in report
