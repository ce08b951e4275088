# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The thin ROS 2 layer: message conversions, and the node that wires them to the core.

Everything here may import ``rclpy`` and message packages; nothing in the torch core may
import from here. Importing this package itself pulls in no ROS module, so the subpackages
are loaded only by the code that needs them.
"""
