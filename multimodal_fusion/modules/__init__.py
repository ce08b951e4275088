# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Generic torch building blocks: encoders, fusion strategies, heads, layers."""
