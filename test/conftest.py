# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Test-wide settings: keep DDS traffic on this machine and in a domain of its own."""

import os
import random

# Discovery stays on loopback, and each test session picks its own domain so two suites
# running at once (or a robot on the same network) never see each other's topics.
os.environ.setdefault('ROS_AUTOMATIC_DISCOVERY_RANGE', 'LOCALHOST')
os.environ.setdefault('ROS_DOMAIN_ID', str(random.SystemRandom().randint(1, 100)))
os.environ.setdefault('RMW_IMPLEMENTATION', 'rmw_fastrtps_cpp')

import torch  # noqa: E402

# Test models are tiny: torch threads gain nothing, and on a shared 2-core machine spinning
# worker threads wait for each other's time slices (one suite went from 309 s to 25 s).
torch.set_num_threads(1)
