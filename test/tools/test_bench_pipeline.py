# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The decode table of ``bench_pipeline`` covers every camera input; no timing is asserted."""

import numpy as np

from multimodal_fusion.tools import bench_pipeline


def test_camera_like_frame_has_the_requested_size():
    frame = bench_pipeline.camera_like_frame(64, 48)
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8


def test_decode_costs_cover_every_input_and_size():
    sizes = ((32, 24), (64, 48))
    costs = bench_pipeline.decode_costs(2, sizes=sizes)
    assert [(c.name, (c.width, c.height)) for c in costs] == [
        (name, size) for size in sizes for name in bench_pipeline.DECODE_INPUTS]
    raw_bytes = {'rgb8': 3, 'bgr8': 3, 'yuv422': 2, 'yuv422_yuy2': 2, 'nv12': 1.5}
    for cost in costs:
        assert 0 < cost.median_ms <= cost.p99_ms
        if cost.name in raw_bytes:
            assert cost.message_bytes == cost.width * cost.height * raw_bytes[cost.name]
        else:
            assert 0 < cost.message_bytes
    table = bench_pipeline.decode_to_markdown(costs, 2)
    assert '| 32x24 median (ms) | p99 (ms) | message (KiB) | 64x48 median (ms) |' in table
    for name in bench_pipeline.DECODE_INPUTS:
        assert table.count(f'| {name} |') == 1
