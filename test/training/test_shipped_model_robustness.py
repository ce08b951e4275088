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
        text_adapter=engine.text_adapter)}


# Regression guards: the shipped model's figures on this split (situation F1, action
# accuracy on commands, grounding) minus about 0.05, per condition. Raise them with each better
# model; the targets themselves are below.
FLOORS: dict[str, tuple[float, float, float]] = {
    IN_DISTRIBUTION: (0.94, 0.87, 0.82),
    'phrasing': (0.94, 0.69, 0.73),
    'voice': (0.94, 0.87, 0.82),
    'background': (0.93, 0.87, 0.81),
    'sensor': (0.93, 0.87, 0.82),
    ALL_SHIFTS: (0.93, 0.68, 0.74),
}
# What the voice, background and sensor shifts may cost against in-distribution: the model
# generalises across them (at most 1.6 points on this split, one referring sample).
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


@pytest.mark.xfail(strict=True, reason='issue 12 open: action on commands 0.92 in '
                   'distribution (target 0.97), unseen phrasings read as the frozen sentence '
                   'vector allows (action 0.74, grounding 0.78 here), and grounding on the '
                   '64 referring samples here 0.86-0.88 (target 0.90)')
@pytest.mark.parametrize('condition', list(CONDITIONS))
def test_condition_meets_its_targets(scores, condition):
    assert not scores[condition].misses(Targets()), scores[condition].to_json()
