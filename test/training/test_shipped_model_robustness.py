# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shipped model on conditions training never saw.

A small version of ``docs/evaluation/robustness.md``: the same conditions (each held-out
factor alone, all of them together, and in-distribution) on the CI seed
(``SPLIT_SEEDS['robustness_ci']``), scored through the node's decoding. What holds is asserted
(floors, and that unseen voices, backgrounds and sensors cost little); the targets the model
does not reach yet are strict xfails, which fail as soon as a model reaches them.
"""

import pytest

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.inference.engine import FusionEngine
from multimodal_fusion.sim.config import HELD_OUT_FACTORS
from multimodal_fusion.training.robustness import ALL_SHIFTS
from multimodal_fusion.training.robustness import CONDITIONS
from multimodal_fusion.training.robustness import evaluate_conditions
from multimodal_fusion.training.robustness import IN_DISTRIBUTION
from multimodal_fusion.training.robustness import METRICS
from multimodal_fusion.training.robustness import Targets

CI_SAMPLES = 330  # 30 per situation and condition

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def scores():
    engine = FusionEngine(default_model_path())
    return {s.condition: s for s in evaluate_conditions(
        engine.module, split_name='robustness_ci', size=CI_SAMPLES,
        text_adapter=engine.text_adapter,
        model_config=engine.config)}


# Regression guards: the shipped model's figures on this split (situation F1, action
# accuracy on commands, grounding) minus about 0.05, per condition. Raise them with each better
# model; the targets themselves are below.
FLOORS: dict[str, tuple[float, float, float]] = {
    IN_DISTRIBUTION: (0.94, 0.95, 0.87),
    'phrasing': (0.94, 0.87, 0.81),
    'voice': (0.94, 0.95, 0.87),
    'background': (0.94, 0.95, 0.87),
    'sensor': (0.94, 0.95, 0.87),
    ALL_SHIFTS: (0.93, 0.87, 0.82),
}
# What the voice, background and sensor shifts may cost against in-distribution: the model
# generalises across them (no point lost on this split with the shipped model).
MAX_SHIFT_COST = 0.05


@pytest.mark.parametrize('condition', list(CONDITIONS))
def test_condition_stays_above_its_floor(scores, condition):
    score = scores[condition]
    assert score.commands > 0 and score.referring > 0
    for name, floor in zip(METRICS, FLOORS[condition]):
        assert score.metric(name) >= floor, (name, score.to_json())


@pytest.mark.parametrize('condition', [c for c in HELD_OUT_FACTORS if c != 'phrasing'])
def test_unseen_voices_backgrounds_and_sensors_cost_little(scores, condition):
    reference, shifted = scores[IN_DISTRIBUTION], scores[condition]
    for name in METRICS:
        assert shifted.metric(name) >= reference.metric(name) - MAX_SHIFT_COST, (
            name, shifted.to_json(), reference.to_json())


# Measured on this split with the shipped model (15 epochs, relations read from token
# states, 2026-12-01): in-distribution 0.994 / 1.000 / 0.922; unseen phrasings action 0.924
# on 105 commands ('motion toward' read as look_at: 6 of the 8 misses) and grounding 0.859 on
# 64 referring samples, of which the 10 relational ones ground 4 (the full report, 391
# commands and 274 referring samples: 0.951 and 0.923, both above target); all shifts
# together 0.988 / 0.924 / 0.875, above 0.85.
SHORT_OF_TARGET = ('phrasing',)


@pytest.mark.parametrize('condition', [
    pytest.param(c, marks=pytest.mark.xfail(
        strict=True, reason='on this small split unseen phrasings ground 0.859 (relational '
        'references: 4 of 10); the full report meets 0.90 (0.923)'))
    if c in SHORT_OF_TARGET else c for c in CONDITIONS])
def test_condition_meets_its_targets(scores, condition):
    assert not scores[condition].misses(Targets()), scores[condition].to_json()
