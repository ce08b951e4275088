# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The live demo: simulator → five sensor topics → fusion node → what it published.

    python -m multimodal_fusion.ros.demo --episodes 6 --out out/demo

Three processes on real DDS: the fusion node (shipped model), the simulator publisher, and
this one, which records the node's outputs with the simulator's ground truth and writes
``summary.md``, ``records.jsonl`` and annotated frames (``frames/*.png``) to ``--out``.

The recorder and the process helpers are also what the node's process-level tests use.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from typing import Optional, Sequence

import numpy as np
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy

from diagnostic_msgs.msg import DiagnosticArray
from sensor_msgs.msg import Image
from std_msgs.msg import String
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2DArray
from vision_msgs.msg import LabelInfo

from multimodal_fusion.ros.conversions import classification_from_msg
from multimodal_fusion.ros.conversions import detections_from_msg
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.sim_publisher import GROUND_TRUTH_TOPIC
from multimodal_fusion.ros.sim_publisher import TRUTH_QOS
from multimodal_fusion.training.metrics import box_iou

NODE_NAME = 'fusion_node'


def isolated_ros_env(domain_id: Optional[int] = None) -> dict:
    """An environment for child processes: a DDS domain of their own, loopback discovery."""
    env = dict(os.environ)
    env['ROS_DOMAIN_ID'] = str(domain_id if domain_id is not None
                               else random.SystemRandom().randint(1, 100))
    env['ROS_AUTOMATIC_DISCOVERY_RANGE'] = 'LOCALHOST'
    env['RMW_IMPLEMENTATION'] = 'rmw_fastrtps_cpp'
    env.setdefault('PYTHONUNBUFFERED', '1')
    return env


def start_process(args: Sequence[str], env: dict, log_path: pathlib.Path) -> subprocess.Popen:
    """A Python module in a child process group, stdout+stderr to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, 'wb')
    return subprocess.Popen([sys.executable, *args], env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> Optional[int]:
    """SIGINT (what Ctrl-C sends, so the node shuts down cleanly), then SIGKILL."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGINT)
            proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=timeout)
    return proc.returncode


def node_args(*params: str) -> list[str]:
    """``python -m`` arguments of the fusion node with ``name:=value`` parameters."""
    args = ['-m', 'multimodal_fusion.ros.node.fusion_node', '--ros-args']
    for p in params:
        args += ['-p', p]
    return args


@dataclass
class Output:
    """What the node published for one camera frame."""

    stamp_ns: int
    frame_id: str = ''
    situation: Optional[str] = None
    action: Optional[str] = None
    detections: Optional[object] = None
    received_ns: int = 0


@dataclass
class Recording:
    """Everything the recorder saw, keyed by camera stamp."""

    outputs: dict = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    debug_images: dict = field(default_factory=dict)
    label_info: Optional[LabelInfo] = None


class Recorder(Node):
    """Subscribes to the fusion node's outputs and the simulator's ground truth."""

    def __init__(self, *, node_ns: str = '/' + NODE_NAME, keep_images_every: int = 0) -> None:
        super().__init__('demo_recorder')
        self.rec = Recording()
        self._lock = threading.Lock()
        self._keep_every = keep_images_every
        self._images_seen = 0
        reliable = QoSProfile(depth=1000, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.create_subscription(Classification, f'{node_ns}/situation_scores',
                                 lambda m: self._label(m, 'situation'), reliable)
        self.create_subscription(Classification, f'{node_ns}/action_scores',
                                 lambda m: self._label(m, 'action'), reliable)
        self.create_subscription(Detection2DArray, f'{node_ns}/detections', self._detections,
                                 reliable)
        self.create_subscription(LabelInfo, f'{node_ns}/label_info', self._label_info, latched)
        self.create_subscription(Image, f'{node_ns}/debug_image', self._debug_image, reliable)
        self.create_subscription(DiagnosticArray, '/diagnostics', self._diagnostics, reliable)
        self.create_subscription(String, GROUND_TRUTH_TOPIC, self._truth, TRUTH_QOS)

    def _output(self, header) -> Output:
        stamp = stamp_to_ns(header)
        out = self.rec.outputs.get(stamp)
        if out is None:
            out = self.rec.outputs[stamp] = Output(stamp_ns=stamp, frame_id=header.frame_id)
        out.received_ns = self.get_clock().now().nanoseconds
        return out

    def _label(self, msg: Classification, kind: str) -> None:
        labels, _ = classification_from_msg(msg)
        with self._lock:
            setattr(self._output(msg.header), kind, labels[0] if labels else None)

    def _detections(self, msg: Detection2DArray) -> None:
        det = detections_from_msg(msg)
        with self._lock:
            self._output(msg.header).detections = det

    def _label_info(self, msg: LabelInfo) -> None:
        with self._lock:
            self.rec.label_info = msg

    def _debug_image(self, msg: Image) -> None:
        self._images_seen += 1
        if self._keep_every and self._images_seen % self._keep_every == 0:
            with self._lock:
                self.rec.debug_images[stamp_to_ns(msg.header)] = image_to_rgb(msg).copy()

    def _diagnostics(self, msg: DiagnosticArray) -> None:
        values = {}
        for status in msg.status:
            for kv in status.values:
                values[f'{status.name}/{kv.key}'] = kv.value
        with self._lock:
            self.rec.diagnostics.append((self.get_clock().now().nanoseconds, values))

    def _truth(self, msg: String) -> None:
        record = json.loads(msg.data)
        with self._lock:
            self.rec.truth[record['stamp_ns']] = record

    def snapshot(self) -> Recording:
        with self._lock:
            return Recording(outputs=dict(self.rec.outputs), truth=dict(self.rec.truth),
                             diagnostics=list(self.rec.diagnostics),
                             debug_images=dict(self.rec.debug_images),
                             label_info=self.rec.label_info)

    def latest_diagnostics(self) -> dict:
        with self._lock:
            return dict(self.rec.diagnostics[-1][1]) if self.rec.diagnostics else {}


class RecorderThread:
    """A recorder spinning in a background thread of this process."""

    def __init__(self, **kwargs) -> None:
        self.node = Recorder(**kwargs)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def wait_for(predicate, timeout: float, poll: float = 0.1) -> bool:
    """Poll ``predicate`` until it holds or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(poll)
    return bool(predicate())


def score(rec: Recording) -> dict:
    """Compare what the node published with the ground truth of the same frames.

    Frames between two situations (ground truth ``None``) count for the action and grounding
    but not for the situation. Detection recall: the share of visible objects with a
    published detection of their class at IoU >= 0.5.
    """
    matched = [(rec.outputs[s], rec.truth[s]) for s in sorted(rec.outputs) if s in rec.truth]
    situation = [(o.situation, t['situation']) for o, t in matched
                 if t['situation'] is not None and o.situation is not None]
    action = [(o.action, t['action']) for o, t in matched if o.action is not None]
    objects, found = 0, 0
    for out, truth in matched:
        if out.detections is None or not truth['boxes']:
            continue
        det = out.detections
        names = np.asarray(det.class_ids)
        ious = box_iou(np.asarray(truth['boxes']), det.boxes)
        for row, cls in enumerate(truth['classes']):
            objects += 1
            found += int(((ious[row] >= 0.5) & (names == cls)).any())
    grounded, hits = 0, 0
    for out, truth in matched:
        if truth['target_box'] is None or out.detections is None:
            continue
        grounded += 1
        det = out.detections
        if det.referred_index is not None:
            iou = box_iou(np.asarray(truth['target_box']), det.boxes[det.referred_index])[0, 0]
            hits += int(iou >= 0.5)
    latencies = np.array([(o.received_ns - o.stamp_ns) / 1e6 for o, _ in matched
                          if o.received_ns], dtype=np.float64)
    confusion = collections.Counter((t, o) for o, t in situation)
    return {
        'frames_published': len(rec.truth),
        'frames_with_output': len(matched),
        'situation_accuracy': (float(np.mean([o == t for o, t in situation]))
                               if situation else None),
        'action_accuracy': float(np.mean([o == t for o, t in action])) if action else None,
        'detection_recall': found / objects if objects else None,
        'grounding_accuracy': hits / grounded if grounded else None,
        'grounding_frames': grounded,
        'latency_ms_median': float(np.median(latencies)) if latencies.size else None,
        'latency_ms_p99': float(np.percentile(latencies, 99)) if latencies.size else None,
        'situation_confusions': {f'{t} -> {o}': n for (t, o), n in confusion.most_common()
                                 if t != o},
    }


def _write_report(out: pathlib.Path, rec: Recording, summary: dict, args) -> None:
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
    lines = [
        '# Fusion node demo', '',
        f'`python -m multimodal_fusion.ros.demo --episodes {args.episodes} --seed {args.seed}`'
        f' on {_cpu_name()}, {os.cpu_count()} logical CPUs.', '',
        '| figure | value |', '|---|---|',
    ]
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


def _cpu_name() -> str:
    try:
        for line in open('/proc/cpuinfo'):
            if line.startswith('model name'):
                return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return 'unknown CPU'


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--episodes', type=int, default=6)
    parser.add_argument('--seed', type=int, default=20261122,
                        help='simulator seed (not one used in training)')
    parser.add_argument('--out', default='out/demo')
    parser.add_argument('--model', default='', help="model file ('' = shipped default)")
    parser.add_argument('--keep-every', type=int, default=15,
                        help='save every n-th annotated frame')
    args = parser.parse_args(argv)
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
                                   '--wait-for-subscribers', '10'],
                                  env, out / 'sim_publisher.log')
        publisher.wait()
        time.sleep(1.0)
    finally:
        if publisher is not None:
            stop_process(publisher)
        stop_process(node)
        rec = recorder.node.snapshot()
        recorder.close()
        rclpy.try_shutdown()
    summary = score(rec)
    _write_report(out, rec, summary, args)
    print((out / 'summary.md').read_text())
    print(f'[demo] wrote {out}/summary.md, records.jsonl and {len(rec.debug_images)} '
          f'annotated frames in {out}/frames/')
    return 0 if summary['frames_with_output'] else 1


if __name__ == '__main__':
    sys.exit(main())
