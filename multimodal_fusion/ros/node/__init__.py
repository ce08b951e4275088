# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node: parameters, QoS, subscriptions, inference worker, publishers."""
