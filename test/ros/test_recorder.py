# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The recorder's per-frame record."""

from multimodal_fusion.ros.recorder import Output


def test_a_frame_is_complete_only_once_its_three_outputs_have_arrived():
    # The situation, action and detections of one frame come on three topics; a frame
    # seen on one of them is not yet complete (the race behind a red CI run of
    # test_a_live_parameter_change_takes_effect, which read detections of None).
    out = Output(stamp_ns=1, situation='handover')
    assert not out.complete
    out.action = 'give'
    assert not out.complete
    out.detections = object()
    assert out.complete
