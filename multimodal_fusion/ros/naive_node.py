# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node served the naive way, as a benchmark baseline (not for robots).

The example node of the multimodal-fusion literature runs the model inside the
synchroniser's callback. :class:`InlineFusionNode` does exactly that with the shipped node's
code: the executor thread that delivers a complete set also preprocesses it, runs the
model, decodes and publishes, so while the model runs no other message is taken from DDS.
When the model is slower than the frame period, frames and sensor messages queue (up to
the subscriptions' depth) and the latency grows with the backlog; the shipped node hands
the set to an inference thread instead and keeps only the newest one.
"""

from __future__ import annotations

from multimodal_fusion.ros.node.fusion_node import FusionNode


class InlineFusionNode(FusionNode):
    """:class:`FusionNode` with inference in the callback that completes a set."""

    def _deliver(self, sets) -> None:
        for synced in sets:
            self._run_set(synced, self.slot)
