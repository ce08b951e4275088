# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Which model runs the next set, so that the node's latency stays within a budget.

A budget-aware scheduler with two models: the primary (``model.path``) and a lighter
fallback (``budget.fallback_model``). Each published set reports its latency, from its camera
frame's arrival in the node to its outputs' publication (the node's own share of the
end-to-end latency, on the monotonic clock, so a camera whose clock is off or a bag played
under simulated time cannot trip it). Two thresholds make the hysteresis:

* on the primary, when the median of the last ``window`` sets is over the budget, the
  fallback takes over;
* on the fallback, one set every ``probe_period_s`` runs the primary instead (a probe: the
  only way to learn whether it fits again, since what made it slow, another process or a
  larger input, is outside the node); after ``probes`` probes in a row each within
  ``recover_ratio`` of the budget, the primary takes over again. A probe over the budget
  starts the count again.

A probe sees the primary without the wait for the mailbox that running it on every frame
adds, which is why the recovery threshold sits well below the budget.

Pure Python: the node calls :meth:`LatencyBudget.choose` before each set and
:meth:`LatencyBudget.record` after it, from its one inference thread; its diagnostics timer
reads :meth:`LatencyBudget.snapshot` from another (a lock keeps them apart).
"""

from __future__ import annotations

import collections
import dataclasses
import statistics
import threading
import time
from typing import Callable, Optional

PRIMARY = 'primary'
FALLBACK = 'fallback'
MODELS = (PRIMARY, FALLBACK)


@dataclasses.dataclass(frozen=True)
class BudgetSettings:
    """The ``budget.*`` parameters (see ``config/fusion.yaml``).

    Attributes:
        latency_ms: the budget for a set's latency in the node, ms (> 0).
        recover_ratio: a probe of the primary counts as fitting when its latency is at most
            ``recover_ratio * latency_ms``.
        window: sets whose median latency is compared with the budget.
        probe_period_s: while on the fallback, one set this often runs the primary.
        probes: probes in a row that must fit before the primary takes over again.
    """

    latency_ms: float
    recover_ratio: float = 0.6
    window: int = 10
    probe_period_s: float = 2.0
    probes: int = 3

    def __post_init__(self) -> None:
        if not self.latency_ms > 0:
            raise ValueError(f'latency_ms must be > 0, got {self.latency_ms}')
        if not 0 < self.recover_ratio < 1:
            raise ValueError(f'recover_ratio must be in (0, 1), got {self.recover_ratio}')
        if self.window < 1 or self.probes < 1:
            raise ValueError(f'window and probes must be >= 1, got {self.window}, '
                             f'{self.probes}')
        if not self.probe_period_s > 0:
            raise ValueError(f'probe_period_s must be > 0, got {self.probe_period_s}')


class LatencyBudget:
    """Chooses the model for each set; see the module docstring.

    Args:
        settings: thresholds and periods.
        clock: seconds, monotonic (a test passes its own).
    """

    def __init__(self, settings: BudgetSettings,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self._clock = clock
        self._lock = threading.Lock()
        self.running = PRIMARY
        self.switches = 0  # changes of the running model, either way
        self.probes_run = 0
        self.sets = dict.fromkeys(MODELS, 0)  # sets each model ran
        self._recent = {m: collections.deque(maxlen=settings.window) for m in MODELS}
        self._fitting_probes = 0
        self._probe_due_at: Optional[float] = None

    def choose(self) -> str:
        """The model the next set runs on: the running one, or the primary for a probe."""
        with self._lock:
            return self._choose()

    def _choose(self) -> str:
        if self.running == FALLBACK and self._clock() >= self._probe_due_at:
            self._probe_due_at = self._clock() + self.settings.probe_period_s
            return PRIMARY
        return self.running

    def record(self, model: str, latency_ms: float) -> None:
        """What one set cost on ``model`` (as returned by :meth:`choose`)."""
        if model not in MODELS:
            raise ValueError(f'model must be one of {MODELS}, got {model!r}')
        with self._lock:
            self._record(model, latency_ms)

    def _record(self, model: str, latency_ms: float) -> None:
        s = self.settings
        self.sets[model] += 1
        if model == PRIMARY and self.running == FALLBACK:
            self.probes_run += 1
            self._recent[PRIMARY].append(latency_ms)
            if latency_ms <= s.recover_ratio * s.latency_ms:
                self._fitting_probes += 1
                if self._fitting_probes >= s.probes:
                    self._switch(PRIMARY)
            else:
                self._fitting_probes = 0
            return
        recent = self._recent[model]
        recent.append(latency_ms)
        if (model == PRIMARY and len(recent) == s.window
                and statistics.median(recent) > s.latency_ms):
            self._switch(FALLBACK)

    def _switch(self, model: str) -> None:
        self.running = model
        self.switches += 1
        self._fitting_probes = 0
        for recent in self._recent.values():
            recent.clear()
        if model == FALLBACK:
            self._probe_due_at = self._clock() + self.settings.probe_period_s

    def median_ms(self, model: str) -> Optional[float]:
        """Median latency of the recent sets (or probes) of ``model``; None before any."""
        with self._lock:
            return self._median_ms(model)

    def _median_ms(self, model: str) -> Optional[float]:
        recent = self._recent[model]
        return statistics.median(recent) if recent else None

    def snapshot(self) -> dict:
        """Plain values for diagnostics."""
        with self._lock:
            return {'running': self.running, 'switches': self.switches,
                    'probes': self.probes_run, 'budget_ms': self.settings.latency_ms,
                    'sets': dict(self.sets),
                    'median_ms': {m: self._median_ms(m) for m in MODELS}}
