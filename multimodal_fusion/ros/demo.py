# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The live demo: simulator → five sensor topics → fusion node → what it published.

    python -m multimodal_fusion.ros.demo --episodes 6 --out out/demo
    python -m multimodal_fusion.ros.demo --episodes 11 --compare-offline

Three processes on real DDS: the fusion node (shipped model), the simulator publisher, and
this one, which records the node's outputs with the simulator's ground truth and writes
``summary.md``, ``records.jsonl`` and annotated frames (``frames/*.png``) to ``--out``.
The publisher separates the episodes (``sim_publisher --separate-episodes``), so every
frame's windows hold its own episode only, as training samples do.

``--compare-offline`` then puts the live figures next to the model's on the simulator's own
windows (``Episode.window``) at the same frames, and a replay of the node's input path
without DDS (``live_vs_offline.py``), with the frames where they disagree and why.

The recorder (``recorder.py``) and the process helpers (``processes.py``) are shared with
the node's process-level tests.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time
from typing import Optional, Sequence

import numpy as np
import rclpy

from multimodal_fusion.export.model_file import load_model_file
from multimodal_fusion.inference.engine import default_model_path
from multimodal_fusion.ros.live_vs_offline import compare
from multimodal_fusion.ros.live_vs_offline import Comparison
from multimodal_fusion.ros.live_vs_offline import default_node_config
from multimodal_fusion.ros.live_vs_offline import report_lines
from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import node_args
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process
from multimodal_fusion.ros.processes import wait_for
from multimodal_fusion.ros.recorder import RecorderThread
from multimodal_fusion.ros.recorder import Recording
from multimodal_fusion.ros.recorder import score
from multimodal_fusion.ros.sim_publisher import read_stamp_base
from multimodal_fusion.ros.sim_publisher import STAMP_BASE_PREFIX
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.tools.machine import cpu_model


def _write_report(out: pathlib.Path, rec: Recording, summary: dict, args,
                  comparison: Optional[Comparison], conditions: list[str]) -> None:
    import cv2

    frames_dir = out / 'frames'
    frames_dir.mkdir(parents=True, exist_ok=True)
    for stamp, image in sorted(rec.debug_images.items()):
        cv2.imwrite(str(frames_dir / f'{stamp}.png'), image[:, :, ::-1])
    with open(out / 'records.jsonl', 'w') as f:
        for stamp in sorted(rec.outputs):
            o = rec.outputs[stamp]
            t = rec.truth.get(stamp, {})
            det = o.detections
            f.write(json.dumps({
                'stamp_ns': stamp, 'situation': o.situation, 'action': o.action,
                'truth_situation': t.get('situation'), 'truth_action': t.get('action'),
                'detections': None if det is None else {
                    'boxes': np.round(det.boxes, 1).tolist(), 'classes': list(det.class_ids),
                    'scores': np.round(det.scores, 3).tolist(),
                    'referred': det.referred_index},
                'latency_ms': (o.received_ns - stamp) / 1e6 if o.received_ns else None,
            }) + '\n')
    diag = rec.diagnostics[-1][1] if rec.diagnostics else {}
    command = (f'python -m multimodal_fusion.ros.demo --episodes {args.episodes} '
               f'--seed {args.seed}' + (' --compare-offline' if args.compare_offline else ''))
    lines = [
        '# Fusion node demo', '',
        f'`{command}` on {cpu_model()}, {os.cpu_count()} logical CPUs.', '',
        *conditions, '',
    ]
    if comparison is not None:
        lines += ['## Live and offline on the same frames', '']
        lines += report_lines(comparison)
        lines += ['', '## Live', '']
    lines += ['| figure | value |', '|---|---|']
    for key, value in summary.items():
        if key == 'situation_confusions':
            continue
        lines.append(f'| {key} | {value:.3f} |' if isinstance(value, float)
                     else f'| {key} | {value} |')
    lines += ['', 'Most frequent situation confusions (truth -> published):', '']
    lines += [f'- {k}: {n}' for k, n in list(summary['situation_confusions'].items())[:8]]
    lines += ['', 'Last /diagnostics values:', '', '```']
    lines += [f'{k} = {v}' for k, v in sorted(diag.items())]
    lines += ['```', '']
    (out / 'summary.md').write_text('\n'.join(lines))


def model_reads_relations(path: os.PathLike | str) -> bool:
    """Whether the model file reads relations to another object (``ModelConfig.relations``)."""
    return load_model_file(path).config.relations


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--episodes', type=int, default=6)
    parser.add_argument('--seed', type=int, default=20261122,
                        help='simulator seed (not one used in training)')
    parser.add_argument('--out', default='out/demo')
    parser.add_argument('--model', default='', help="model file ('' = shipped default)")
    parser.add_argument('--keep-every', type=int, default=15,
                        help='save every n-th annotated frame')
    parser.add_argument('--compare-offline', action='store_true',
                        help="also score the model on the simulator's own windows of the same "
                             "frames, and a replay of the node's input path (live_vs_offline)")
    args = parser.parse_args(argv)
    # A model that reads relations to another object hears commands that say them.
    relations = model_reads_relations(args.model or default_model_path())
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    env = isolated_ros_env()
    os.environ.update({k: env[k] for k in ('ROS_DOMAIN_ID', 'ROS_AUTOMATIC_DISCOVERY_RANGE',
                                           'RMW_IMPLEMENTATION')})
    rclpy.init()
    recorder = RecorderThread(keep_images_every=args.keep_every)
    params = ['publish.debug_image:=true'] + ([f'model.path:={args.model}'] if args.model
                                              else [])
    node = start_process(node_args(*params), env, out / 'fusion_node.log')
    publisher = None
    try:
        print(f'[demo] starting the fusion node (log: {out / "fusion_node.log"})')
        if not wait_for(lambda: recorder.node.snapshot().label_info is not None
                        or node.poll() is not None, timeout=120):
            raise RuntimeError('the fusion node did not configure within 120 s')
        if node.poll() is not None:
            raise RuntimeError(f'the fusion node exited ({node.returncode}); see '
                               f'{out / "fusion_node.log"}')
        print(f'[demo] node active; playing {args.episodes} simulated episodes')
        publisher = start_process(['-m', 'multimodal_fusion.ros.sim_publisher', '--seed',
                                   str(args.seed), '--episodes', str(args.episodes),
                                   '--wait-for-subscribers', '10', '--separate-episodes']
                                  + (['--relations'] if relations else []),
                                  env, out / 'sim_publisher.log')
        load_before = os.getloadavg()
        publisher.wait()
        load_after = os.getloadavg()
        time.sleep(1.0)
    finally:
        if publisher is not None:
            stop_process(publisher)
        stop_process(node)
        rec = recorder.node.snapshot()
        recorder.close()
        rclpy.try_shutdown()
    summary = score(rec)
    publisher_log = (out / 'sim_publisher.log').read_text()
    conditions = [
        f'Load average (1 min) {load_before[0]:.2f} when the episodes started, '
        f'{load_after[0]:.2f} when they ended.',
        *[f'Publisher: {line.split("] ", 1)[1]}.' for line in publisher_log.splitlines()
          if line.startswith('[sim_publisher]') and not line.startswith(STAMP_BASE_PREFIX)],
    ]
    comparison = None
    if args.compare_offline and read_stamp_base(publisher_log) is None:
        print('[demo] the publisher logged no stamp base: nothing to compare offline')
    elif args.compare_offline:
        comparison = compare(
            rec, seed=args.seed, episodes=range(args.episodes), separate=True,
            stamp_base_ns=read_stamp_base(publisher_log),
            sim_config=SimConfig(relations=relations),
            config=default_node_config({'model.path': args.model} if args.model else None))
    _write_report(out, rec, summary, args, comparison, conditions)
    print((out / 'summary.md').read_text())
    print(f'[demo] wrote {out}/summary.md, records.jsonl and {len(rec.debug_images)} '
          f'annotated frames in {out}/frames/')
    return 0 if summary['frames_with_output'] else 1


if __name__ == '__main__':
    sys.exit(main())
