# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The latency budget's switching: down on a slow median, back after fitting probes."""

from __future__ import annotations

import pytest

from multimodal_fusion.inference.budget import BudgetSettings
from multimodal_fusion.inference.budget import FALLBACK
from multimodal_fusion.inference.budget import LatencyBudget
from multimodal_fusion.inference.budget import PRIMARY


class Clock:

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def _run(budget: LatencyBudget, clock: Clock, latency: dict, sets: int,
         period_s: float = 1 / 30) -> list[str]:
    """Run ``sets`` sets at the camera rate; each model costs ``latency[model]`` ms."""
    chosen = []
    for _ in range(sets):
        model = budget.choose()
        budget.record(model, latency[model])
        chosen.append(model)
        clock.t += period_s
    return chosen


def _budget(**overrides) -> tuple[LatencyBudget, Clock]:
    clock = Clock()
    settings = {'latency_ms': 50.0, 'recover_ratio': 0.6, 'window': 5, 'probe_period_s': 1.0,
                'probes': 3}
    settings.update(overrides)
    return LatencyBudget(BudgetSettings(**settings), clock=clock), clock


def test_a_primary_within_budget_keeps_running():
    budget, clock = _budget()
    assert set(_run(budget, clock, {PRIMARY: 45.0, FALLBACK: 10.0}, 300)) == {PRIMARY}
    assert budget.switches == 0 and budget.sets == {PRIMARY: 300, FALLBACK: 0}


def test_over_budget_switches_to_the_fallback_and_probes_the_primary_once_per_period():
    budget, clock = _budget()
    chosen = _run(budget, clock, {PRIMARY: 80.0, FALLBACK: 10.0}, 30 * 10)
    # The median of the first full window is over the budget: the fallback from set 6 on.
    assert chosen[:5] == [PRIMARY] * 5 and chosen[5] == FALLBACK
    assert budget.running == FALLBACK and budget.switches == 1
    # One probe per second of fallback (~9.8 s of it), every one over budget: no way back.
    assert 9 <= budget.probes_run <= 10
    assert chosen[5:].count(PRIMARY) == budget.probes_run
    snapshot = budget.snapshot()
    assert snapshot['running'] == FALLBACK and snapshot['median_ms'][FALLBACK] == 10.0


def test_one_slow_set_does_not_switch():
    budget, clock = _budget()
    for latency in (20, 20, 500, 20, 20, 20, 20):
        assert budget.choose() == PRIMARY
        budget.record(PRIMARY, latency)
    assert budget.running == PRIMARY and budget.switches == 0


def test_the_primary_comes_back_after_enough_fitting_probes_and_not_before():
    budget, clock = _budget()
    _run(budget, clock, {PRIMARY: 80.0, FALLBACK: 10.0}, 30 * 3)
    assert budget.running == FALLBACK
    # The overload ends: the primary now takes 25 ms, within 0.6 x 50 = 30 ms.
    chosen = _run(budget, clock, {PRIMARY: 25.0, FALLBACK: 10.0}, 30 * 4)
    assert budget.running == PRIMARY and budget.switches == 2
    # Three probes one second apart, then the primary on every set.
    first_primary_run = max(i for i, m in enumerate(chosen) if m == FALLBACK) + 1
    assert 60 <= first_primary_run <= 100
    assert set(chosen[first_primary_run:]) == {PRIMARY}


def test_a_probe_between_the_thresholds_keeps_the_fallback():
    # 40 ms is within the budget but not within the recovery threshold (30 ms): hysteresis.
    budget, clock = _budget()
    _run(budget, clock, {PRIMARY: 80.0, FALLBACK: 10.0}, 30 * 2)
    _run(budget, clock, {PRIMARY: 40.0, FALLBACK: 10.0}, 30 * 10)
    assert budget.running == FALLBACK and budget.switches == 1


def test_an_unfitting_probe_restarts_the_count():
    budget, clock = _budget()
    _run(budget, clock, {PRIMARY: 80.0, FALLBACK: 10.0}, 30 * 2)
    before = budget.probes_run
    probes = iter([20.0, 20.0, 45.0, 20.0, 20.0, 20.0])
    while budget.running == FALLBACK:
        model = budget.choose()
        budget.record(model, next(probes) if model == PRIMARY else 10.0)
        clock.t += 1 / 30
    assert budget.probes_run - before == 6  # the 45 ms probe cost three more


@pytest.mark.parametrize('field, value', [('latency_ms', 0.0), ('recover_ratio', 1.0),
                                          ('recover_ratio', 0.0), ('window', 0),
                                          ('probe_period_s', 0.0), ('probes', 0)])
def test_settings_are_validated(field, value):
    settings = {'latency_ms': 50.0}
    settings[field] = value
    with pytest.raises(ValueError, match=field):
        BudgetSettings(**settings)


def test_an_unknown_model_is_refused():
    budget, _ = _budget()
    with pytest.raises(ValueError, match='primary'):
        budget.record('heavy', 10.0)
