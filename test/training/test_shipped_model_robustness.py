# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The shipped model meets its robustness targets on conditions training never saw.

A small version of ``docs/evaluation/robustness.md``: the same conditions (each held-out
factor alone, all of them together, and in-distribution) on the CI seed
(``SPLIT_SEEDS['robustness_ci']``), scored through the node's decoding.
"""

import pytest

from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.inference.engine import FusionEngine
from multimodal_fusion.training.robustness import CONDITIONS
from multimodal_fusion.training.robustness import evaluate_conditions
from multimodal_fusion.training.robustness import Targets

CI_SAMPLES = 330  # 30 per situation and condition

pytestmark = pytest.mark.slow


@pytest.fixture(scope='module')
def scores():
    engine = FusionEngine(default_model_path())
    return {s.condition: s for s in evaluate_conditions(
        engine.module, split_name='robustness_ci', size=CI_SAMPLES)}


@pytest.mark.parametrize('condition', list(CONDITIONS))
def test_condition_meets_its_targets(scores, condition):
    score = scores[condition]
    assert score.commands > 0 and score.referring > 0
    assert not score.misses(Targets()), score.to_json()
