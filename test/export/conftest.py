# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Simulator samples the export parity tests share."""

import pytest

from multimodal_fusion.sim.scenario import ScenarioSimulator
from multimodal_fusion.training.dataset import SPLIT_SEEDS

# Two of each of the 11 situations: the simulator cycles through them by index.
SAMPLES = 22


@pytest.fixture(scope='session')
def sim_samples():
    """Test-split simulator samples, two per situation."""
    sim = ScenarioSimulator(SPLIT_SEEDS['test'])
    return [sim.sample(i) for i in range(SAMPLES)]
