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
    IN_DISTRIBUTION: (0.94, 0.95, 0.91),
    'phrasing': (0.94, 0.83, 0.89),
    'voice': (0.94, 0.95, 0.91),
    'background': (0.94, 0.95, 0.91),
    'sensor': (0.94, 0.95, 0.91),
    ALL_SHIFTS: (0.92, 0.83, 0.88),
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


# Measured on this split with the shipped model (17 epochs, 2026-12-01): unseen phrasings
# action 0.876 on 105 commands ('motion toward' read as look_at: 10 of the 13 misses),
# grounding 0.953 on 64 referring samples (the full report, 391 commands and 274 referring
# samples: 0.951 and 0.960, both above target); all shifts together meet 0.85.
SHORT_OF_TARGET = ('phrasing',)


@pytest.mark.parametrize('condition', [
    pytest.param(c, marks=pytest.mark.xfail(
        strict=True, reason='on this small split unseen phrasings score action 0.876 '
        "('motion toward' read as look_at); the full report meets 0.90 (0.951)"))
    if c in SHORT_OF_TARGET else c for c in CONDITIONS])
def test_condition_meets_its_targets(scores, condition):
    assert not scores[condition].misses(Targets()), scores[condition].to_json()
