# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Dataset generation, training, metrics and evaluation reports (ROS-free)."""
