# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Generation speed: measured and printed, never asserted (machines differ)."""

import time

from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SITUATIONS


def test_measure_samples_per_second(sim_config):
    simulator = ScenarioSimulator(23, sim_config)
    count = 4 * len(SITUATIONS)
    begin = time.perf_counter()
    for i in range(count):
        simulator.sample(i)
    cold = time.perf_counter() - begin
    begin = time.perf_counter()
    for i in range(count):
        simulator.sample(i)
    warm = time.perf_counter() - begin
    print(f'\nsimulator: {count / cold:.0f} samples/s with a cold speech cache '
          f'({simulator.synthesizer.synthesized} utterances synthesized), '
          f'{count / warm:.0f} samples/s warm ({1e3 * warm / count:.1f} ms/sample)')
