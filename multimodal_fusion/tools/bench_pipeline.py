# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Where one camera frame's time goes in the node, stage by stage, without DDS.

    python -m multimodal_fusion.tools.bench_pipeline [--frames 200]
        [--out docs/benchmarks/pipeline.md]

Runs the node's own code path on simulator streams with the shipped model: message →
numpy conversion, synchronisation (windows included), preprocessing, TorchScript inference
and decoding, then prints median and p99 per stage and each stage's share of the total, in
one table. torch runs on one thread, as in the node. A second table gives the cost of
turning each camera input the node accepts (raw encodings, YUV, JPEG, PNG) into its RGB
frame at VGA and 720p. Not a test: figures vary with the machine's load.
"""

from __future__ import annotations

import argparse
import pathlib
import time
from typing import Callable
from typing import NamedTuple
from typing import Optional
from typing import Sequence

import cv2
import numpy as np
import torch

from multimodal_fusion.decoding.predictions import decode_outputs
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.spec import WRENCH_FEATURES
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.sync import FusionSynchronizer
from multimodal_fusion.sync import SyncConfig
from multimodal_fusion.tools.figures import median_p99
from multimodal_fusion.tools.machine import cpu_model


def _timed(fn: Callable[[], object], store: list) -> object:
    t0 = time.perf_counter()
    out = fn()
    store.append((time.perf_counter() - t0) * 1e3)
    return out


def run(frames: int, seed: int, model: Optional[str]) -> list[tuple[str, float, float]]:
    """Per-stage ``(name, median ms, p99 ms)`` over ``frames`` camera frames."""
    # ROS message types are only needed for the conversion stage; importing them here keeps
    # the module importable on a machine without ROS (the core-import test walks tools/).
    from multimodal_fusion.ros.conversions import array_to_image
    from multimodal_fusion.ros.conversions import array_to_wrench
    from multimodal_fusion.ros.conversions import image_to_rgb
    from multimodal_fusion.ros.conversions import make_header
    from multimodal_fusion.ros.conversions import wrench_to_array

    torch.set_num_threads(1)
    engine = FusionEngine(model or default_model_path())
    engine.warmup(3)
    sync = FusionSynchronizer(SyncConfig(spec=engine.spec))
    simulator = ScenarioSimulator(seed)
    times: dict[str, list[float]] = {k: [] for k in (
        'convert image (320x240 rgb8)', 'convert image (640x480 bgr8)',
        'synchronise + windows', 'preprocess', 'model (TorchScript)', 'decode')}
    big = np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    big_msg = array_to_image(big, 'bgr8', header=make_header(0, 'camera'))
    done = 0
    episode_index = 0
    joints = engine.spec.proprio.joints
    while done < frames:
        episode = simulator.episode(episode_index)
        streams = episode.streams()
        # Episodes follow each other on one rising timeline, 100 s apart.
        origin_ns = (episode_index + 1) * 100_000_000_000
        episode_index += 1

        def ns(t: float) -> int:
            return origin_ns + int(round((t - streams.audio_start) * 1e9))
        touch_i = proprio_i = audio_i = 0
        # Every third camera frame (10 Hz): the node drops the frames inference cannot take.
        for t in streams.camera_stamps[::3]:
            while touch_i < len(streams.touch_stamps) and streams.touch_stamps[touch_i] <= t:
                row = streams.touch[touch_i]
                for w, wrist in enumerate(WRISTS):
                    msg = array_to_wrench(row[w * WRENCH_FEATURES:(w + 1) * WRENCH_FEATURES])
                    sync.add_wrench(wrist, ns(streams.touch_stamps[touch_i]),
                                    wrench_to_array(msg, dtype=np.float32))
                touch_i += 1
            while proprio_i < len(streams.proprio_stamps) and \
                    streams.proprio_stamps[proprio_i] <= t:
                row = streams.proprio[proprio_i]
                stamp = ns(streams.proprio_stamps[proprio_i])
                sync.add_joint_state(stamp, row[:joints], row[joints:2 * joints])
                sync.add_imu(stamp, row[2 * joints:])
                proprio_i += 1
            end = int((t - streams.audio_start) * streams.audio_rate) + 1
            if end > audio_i:
                sync.add_audio(ns(streams.audio_start + audio_i / streams.audio_rate),
                               streams.audio[audio_i:end])
                audio_i = end
            image = episode.frame(float(t)).image
            msg = array_to_image(image, 'rgb8', header=make_header(ns(t), 'camera'))
            rgb = _timed(lambda: image_to_rgb(msg), times['convert image (320x240 rgb8)'])
            _timed(lambda: image_to_rgb(big_msg), times['convert image (640x480 bgr8)'])
            sets = _timed(lambda: sync.add_camera(ns(t), rgb), times['synchronise + windows'])
            for synced in sets:
                inputs = _timed(lambda: engine.preprocessor([synced.frames]),
                                times['preprocess'])
                with torch.inference_mode():
                    outputs = _timed(lambda: engine.module(*inputs.tensors()),
                                     times['model (TorchScript)'])
                _timed(lambda: decode_outputs(outputs, image_sizes=inputs.image_sizes,
                                              labels=engine.labels), times['decode'])
                done += 1
            if done >= frames:
                break
    return [(name, *median_p99(values)) for name, values in times.items() if values]


# Camera inputs in the decode table: raw encodings, the YUV layouts drivers publish, and
# image_transport's compressed formats.
DECODE_INPUTS: tuple[str, ...] = ('rgb8', 'bgr8', 'yuv422', 'yuv422_yuy2', 'nv12', 'jpeg',
                                  'png')
DECODE_SIZES: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720))
# Sensor noise (grey levels, standard deviation) added to the upscaled simulator frame: a
# noiseless render compresses and decompresses far faster than a camera image does.
_NOISE_SIGMA = 3.0


class DecodeCost(NamedTuple):
    """Cost of one camera input at one size: message → ``(h, w, 3)`` uint8 RGB."""

    name: str
    width: int
    height: int
    median_ms: float
    p99_ms: float
    message_bytes: int


def camera_like_frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A simulator frame at ``(height, width, 3)`` uint8 RGB with sensor-like noise."""
    simulator = ScenarioSimulator(seed)
    episode = simulator.episode(0)
    streams = episode.streams()
    image = episode.frame(float(streams.camera_stamps[len(streams.camera_stamps) // 2])).image
    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
    noise = np.random.default_rng(seed).normal(0.0, _NOISE_SIGMA, image.shape)
    return np.clip(image + noise, 0, 255).astype(np.uint8)


def decode_costs(
    frames: int,
    *,
    inputs: Sequence[str] = DECODE_INPUTS,
    sizes: Sequence[tuple[int, int]] = DECODE_SIZES,
    seed: int = 0,
) -> list[DecodeCost]:
    """Median and p99 of the node's camera conversion per input and ``(width, height)``.

    The cases take turns frame by frame, so a burst of load on a shared machine lands on
    all of them rather than on one row.
    """
    from multimodal_fusion.ros.conversions import array_to_image
    from multimodal_fusion.ros.conversions import compressed_to_rgb
    from multimodal_fusion.ros.conversions import image_to_rgb
    from multimodal_fusion.ros.conversions import rgb_to_compressed
    from multimodal_fusion.ros.conversions import rgb_to_yuv_image
    from multimodal_fusion.ros.conversions import YUV_ENCODINGS

    cases = []
    for width, height in sizes:
        rgb = camera_like_frame(width, height, seed)
        for name in inputs:
            if name in ('jpeg', 'png'):
                msg, decode = rgb_to_compressed(rgb, name), compressed_to_rgb
            elif name in YUV_ENCODINGS:
                msg, decode = rgb_to_yuv_image(rgb, name), image_to_rgb
            elif name == 'bgr8':
                msg = array_to_image(np.ascontiguousarray(rgb[:, :, ::-1]), 'bgr8')
                decode = image_to_rgb
            else:
                msg, decode = array_to_image(rgb, name), image_to_rgb
            if decode(msg).shape != (height, width, 3):
                raise RuntimeError(f'{name} at {width}x{height} decoded to the wrong shape')
            cases.append((name, width, height, msg, decode, []))
    for _ in range(3):
        for _, _, _, msg, decode, _ in cases:
            decode(msg)
    for _ in range(frames):
        for _, _, _, msg, decode, store in cases:
            _timed(lambda: decode(msg), store)
    return [DecodeCost(name, width, height, *median_p99(store), len(msg.data))
            for name, width, height, msg, _, store in cases]


def decode_to_markdown(costs: Sequence[DecodeCost], frames: int) -> str:
    """The decode table: one row per input, the sizes side by side."""
    sizes = list(dict.fromkeys((c.width, c.height) for c in costs))
    by_key = {(c.name, c.width, c.height): c for c in costs}
    header = '| camera input → RGB |'
    rule = '|---|'
    for width, height in sizes:
        header += f' {width}x{height} median (ms) | p99 (ms) | message (KiB) |'
        rule += '--:|--:|--:|'
    lines = [header, rule]
    for name in dict.fromkeys(c.name for c in costs):
        line = f'| {name} |'
        for width, height in sizes:
            cost = by_key[(name, width, height)]
            line += (f' {cost.median_ms:.2f} | {cost.p99_ms:.2f} |'
                     f' {cost.message_bytes / 1024:.0f} |')
        lines.append(line)
    return '\n'.join(lines) + (
        f'\n\n{frames} decodes per cell, the cases taking turns. `image_to_rgb` for raw and '
        'YUV encodings (an unpadded rgb8 image is a view of the message, not a copy), '
        '`compressed_to_rgb` for JPEG (quality 90) and PNG (level 3); the '
        f'frame is a simulator render upscaled with noise of σ {_NOISE_SIGMA:g} grey levels. '
        f'OpenCV on {cv2.getNumThreads()} threads.\n')


def to_markdown(rows, frames: int) -> str:
    node_stages = [r for r in rows if not r[0].startswith('convert image (640')]
    total = sum(r[1] for r in node_stages)
    lines = ['| stage | median (ms) | p99 (ms) | share of the node path |', '|---|--:|--:|--:|']
    for name, median, p99 in rows:
        share = f'{100 * median / total:.0f} %' if not name.startswith('convert image (640') \
            else '(reference)'
        lines.append(f'| {name} | {median:.2f} | {p99:.2f} | {share} |')
    lines.append(f'| **node path total** | **{total:.2f}** | | 100 % |')
    return '\n'.join(lines) + f'\n\n{frames} frames, batch 1, torch on 1 thread.\n'


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=200)
    parser.add_argument('--seed', type=int, default=20261122)
    parser.add_argument('--model', default=None)
    parser.add_argument('--out', default=None, help='also write the table to this file')
    args = parser.parse_args(argv)
    rows = run(args.frames, args.seed, args.model)
    table = to_markdown(rows, args.frames)
    print(table)
    decode_table = decode_to_markdown(decode_costs(args.frames), args.frames)
    print(decode_table)
    if args.out:
        path = pathlib.Path(args.out)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('# Node pipeline, stage by stage\n\n'
                        f'`python -m multimodal_fusion.tools.bench_pipeline --frames '
                        f'{args.frames} --out {args.out}` on {cpu_model()}.\n\n'
                        + table + '\n## Camera input decoding\n\n' + decode_table)


if __name__ == '__main__':
    main()
