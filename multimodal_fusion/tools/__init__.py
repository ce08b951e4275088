# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Command-line tools (``python -m multimodal_fusion.tools.<name>``)."""
