# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Shared simulator fixtures: one configuration and one batch of samples per session."""

import os

import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim import SITUATIONS

# Enough samples for every situation to appear a few dozen times.
SAMPLES_PER_SITUATION = 30


@pytest.fixture(scope='session')
def sim_config(tmp_path_factory):
    # Reuse a developer's speech cache when one is configured; otherwise stay out of $HOME.
    cache = os.environ.get('MMF_CACHE_DIR') or str(tmp_path_factory.mktemp('speech-cache'))
    return SimConfig(cache_dir=cache)


@pytest.fixture(scope='session')
def simulator(sim_config):
    return ScenarioSimulator(11, sim_config)


@pytest.fixture(scope='session')
def samples(simulator):
    count = SAMPLES_PER_SITUATION * len(SITUATIONS)
    return [simulator.sample(i) for i in range(count)]


@pytest.fixture(scope='session')
def episodes(simulator, samples):
    return [simulator.episode(s.index) for s in samples]
