# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Multimodal fusion for humanoid robots.

The package is split in two rooms:

* a ROS-free core (``spec``, ``sync``, ``preprocessing``, ``modules``, ``models``,
  ``decoding``, ``export``, ``sim``, ``training``) that needs only numpy and torch, and
* a thin ROS 2 layer (``multimodal_fusion.ros``) with message conversions and the node.

Nothing in the core may import ``rclpy`` or a message package; a test enforces it.
"""

__version__ = '0.1.0'
