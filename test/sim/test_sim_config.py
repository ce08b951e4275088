# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
from pathlib import Path

import pytest

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim.config import default_cache_dir


@pytest.mark.parametrize('kwargs, message', [
    ({'image_width': 50}, 'image size'),
    ({'image_width': 800, 'image_height': 240}, 'aspect ratio'),
    ({'asr_error_rate': 0.5}, 'asr_error_rate'),
    ({'situations': ()}, 'situations is empty'),
    ({'situations': ('idle', 'dancing')}, 'unknown situations'),
    ({'min_objects': 5, 'max_objects': 3}, 'objects range'),
    ({'episode_s': (2.0, 3.0)}, 'episode_s'),
    ({'held_out': ('weather',)}, 'unknown held_out factors'),
])
def test_invalid_config_is_rejected_with_the_bad_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SimConfig(**kwargs)


def test_cache_dir_defaults_outside_the_repo_and_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv('MMF_CACHE_DIR', raising=False)
    assert default_cache_dir() == Path.home() / '.cache' / 'multimodal_fusion'
    monkeypatch.setenv('MMF_CACHE_DIR', str(tmp_path))
    assert default_cache_dir() == tmp_path
    assert SimConfig().resolved_cache_dir == tmp_path
    assert SimConfig(cache_dir=str(tmp_path / 'x')).resolved_cache_dir == tmp_path / 'x'


def test_simulator_rejects_bad_seed_and_index(sim_config):
    with pytest.raises(ValueError, match='seed'):
        ScenarioSimulator(-1, sim_config)
    with pytest.raises(ValueError, match='index'):
        ScenarioSimulator(0, sim_config).sample(-3)


def test_pool_names_the_held_out_factors_only():
    config = SimConfig(held_out=('voice', 'sensor'))
    assert [config.pool(f) for f in ('phrasing', 'voice', 'background', 'sensor')] == [
        'train', 'held_out', 'train', 'held_out']
    assert SimConfig().pool('voice') == 'train'
    with pytest.raises(ValueError, match='unknown factor'):
        config.pool('weather')
