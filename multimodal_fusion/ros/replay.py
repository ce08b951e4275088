# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Replay a rosbag2 bag through the fusion node's own path, offline, into an output bag.

    ros2 run multimodal_fusion replay BAG [--params fusion.yaml] [--model FILE]
        [--out OUT.mcap | --out OUT_DIR] [--debug-image]
    python -m multimodal_fusion.ros.replay BAG ...

``BAG`` is a rosbag2 folder (with ``metadata.yaml``) or one storage file, MCAP (``.mcap``)
or sqlite3 (``.db3``). Every message on one of the node's input topics (the params file's
``topics.*``, resolved in ``--namespace``) goes through the node's conversions,
synchroniser, windows, model and decoding (``offline_path``), in the bag's order, which is
receive-time order. No DDS, no executor, no wall clock: the same bag and parameters give
the same outputs.

**The clock.** The bag's receive time of each message (its log time) is the node's clock
while that message is handled: the synchroniser's waits, the stamping of speech text (it
has no header) and the counters read it. It is what the node's clock read when the bag was
recorded on a robot, and under ``ros2 bag play`` with ``use_sim_time`` it is what
``/clock`` says when each message goes out; header stamps cannot serve (text has none, and
a driver's clock may jump). Live, the node's clock lags it by up to one ``/clock`` period.

The outputs, on the topics and with the types the live node publishes (``~/situation``,
``~/action``, ``~/situation_scores``, ``~/action_scores``, ``~/detections``, ``~/label_info``,
``/diagnostics`` and, with ``--debug-image`` or ``publish.debug_image``, ``~/debug_image``),
go to an MCAP rosbag2 (a folder, or a single ``.mcap`` file when ``--out`` ends so) that
``ros2 bag play`` and Foxglove open; each is logged at the replay time it was published.
A summary follows on stdout. Bad input (no bag, no camera topic, an input topic of another
type) is one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import collections
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
import json
import logging
import pathlib
import shutil
import sys
import tempfile
import time
from typing import Callable, Optional, Sequence

from rclpy.serialization import deserialize_message
from rosbags.rosbag2 import ReaderError

from multimodal_fusion.export.model_file import ModelFileError
from multimodal_fusion.labels import LabelError
from multimodal_fusion.ros.bag_io import bag_topics
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.bag_io import ros_type_name
from multimodal_fusion.ros.node.config import node_config_from_file
from multimodal_fusion.ros.node.outputs import OUTPUTS
from multimodal_fusion.ros.offline_path import Emitted
from multimodal_fusion.ros.offline_path import make_engine
from multimodal_fusion.ros.offline_path import NODE_NAME
from multimodal_fusion.ros.offline_path import OfflineNode
from multimodal_fusion.ros.offline_path import output_topic
from multimodal_fusion.ros.replay_scoring import label_scorer

LOG = logging.getLogger('replay')
# A scorer gets the input bag and the output bag once both are complete, and returns
# figures for the summary (or None when the bag carries nothing to score).
Scorer = Callable[[pathlib.Path, pathlib.Path], Optional[dict]]


class ReplayError(Exception):
    """Input the replay cannot run on; the message says which file and what was expected."""


@dataclass
class ReplaySummary:
    """What a replay did.

    Attributes:
        bag: the input.
        out: the output bag (folder or ``.mcap`` file).
        messages: input messages handled.
        frames: camera frames handled.
        sets: synchronised sets emitted (each inferred).
        outputs: sets published (sets whose inference failed are not).
        situations: published situations and how often.
        actions: published actions and how often.
        seconds: wall time of the replay loop (reading, converting, inferring, writing).
        inference_seconds: of which in the model.
        written: messages written, by output topic.
        ignored_topics: bag topics that are no input of the node, with their counts.
        undecodable: input messages whose bytes did not deserialise, by topic.
        rejected: the node's counter of malformed messages, ``{'stream/field': n}``.
        unused: messages not used for another reason, ``{'reason/stream': n}``.
        sync_drops: the synchroniser's message drops, ``{reason: {stream: n}}``.
        set_drops: sets dropped, ``{reason: {source: n}}``.
        failed_sets: sets whose inference failed, by kind.
        time_jumps: backwards jumps of the camera's stamps (every buffer restarted).
        stream_jumps: backwards jumps of single streams, by stream.
        scores: what the scorer returned, if one ran.
    """

    bag: pathlib.Path
    out: pathlib.Path
    messages: int = 0
    frames: int = 0
    sets: int = 0
    outputs: int = 0
    situations: dict = field(default_factory=dict)
    actions: dict = field(default_factory=dict)
    seconds: float = 0.0
    inference_seconds: float = 0.0
    written: dict = field(default_factory=dict)
    ignored_topics: dict = field(default_factory=dict)
    undecodable: dict = field(default_factory=dict)
    rejected: dict = field(default_factory=dict)
    unused: dict = field(default_factory=dict)
    sync_drops: dict = field(default_factory=dict)
    set_drops: dict = field(default_factory=dict)
    failed_sets: dict = field(default_factory=dict)
    time_jumps: int = 0
    stream_jumps: dict = field(default_factory=dict)
    scores: Optional[dict] = None

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def check_bag(bag: pathlib.Path, routes: dict) -> dict:
    """The bag's topics that are inputs of the node, checked: ``{topic: route}``.

    Raises:
        ReplayError: the bag cannot be read, has no camera topic, or carries an input topic
            with another type than the node subscribes with.
    """
    if not bag.exists():
        raise ReplayError(f'{bag}: no such bag (expected a rosbag2 folder with metadata.yaml, '
                          'or a .mcap or .db3 file)')
    try:
        topics = bag_topics(bag)
    except (FileNotFoundError, ReaderError) as error:
        raise ReplayError(f'{bag}: not a readable rosbag2 bag ({error}); expected a folder '
                          'with metadata.yaml, or a .mcap or .db3 file') from None
    by_name = {t.name: t for t in topics}
    camera = next(r for r in routes.values() if r.stream == 'camera')
    if camera.topic not in by_name:
        raise ReplayError(
            f'{bag}: no camera topic {camera.topic} ({ros_type_name(camera.msg_type)}), which '
            f'the node reads every set from; the bag has {sorted(by_name)}. Name the camera '
            'topic with topics.camera (and topics.camera_transport) in --params, or the '
            'namespace with --namespace')
    wrong = [f'{t.name} is {t.type_name}, the node reads {ros_type_name(routes[t.name].msg_type)}'
             for t in topics
             if t.name in routes and t.type_name != ros_type_name(routes[t.name].msg_type)]
    if wrong:
        raise ReplayError(f'{bag}: input topics of an unexpected message type: '
                          f'{"; ".join(wrong)}')
    return {name: routes[name] for name in by_name if name in routes}


def replay_bag(bag: pathlib.Path, out: pathlib.Path, *, params: Optional[pathlib.Path] = None,
               model: Optional[pathlib.Path] = None, debug_image: bool = False,
               device: Optional[str] = None, namespace: str = '/',
               node_name: str = NODE_NAME, scorer: Optional[Scorer] = None) -> ReplaySummary:
    """Replay ``bag`` through the node's path into the output bag ``out``.

    Args:
        bag: a rosbag2 folder, or a ``.mcap`` or ``.db3`` file.
        out: the output: a folder (a rosbag2 bag with ``metadata.yaml``), or a single
            ``.mcap`` file; it must not exist yet.
        params: the node's params file; None for the defaults.
        model: a model file over ``model.path``.
        debug_image: write ``~/debug_image`` (as ``publish.debug_image: true``).
        device: over ``model.device``.
        namespace: the node's namespace (its relative input topics resolve in it).
        node_name: the node's name (its outputs are ``<namespace>/<node_name>/...``).
        scorer: scores the outputs against labels the bag carries (``replay_scoring.
            label_scorer``, what the command line uses; none by default).

    Raises:
        ReplayError: bad input (see :func:`check_bag`), an existing ``out``, a params file
            or model the node would refuse.
    """
    bag, out = pathlib.Path(bag), pathlib.Path(out)
    try:
        config = node_config_from_file(params, node_name=node_name)
    except ValueError as error:
        raise ReplayError(str(error)) from None
    if model is not None:
        config = replace(config, model=replace(config.model, path=pathlib.Path(model)))
    if debug_image:
        config = replace(config, debug_image=True)
    if out.exists():
        raise ReplayError(f'{out} exists already; the replay writes a new bag')
    if not bag.exists():
        raise ReplayError(f'{bag}: no such bag (expected a rosbag2 folder with metadata.yaml, '
                          'or a .mcap or .db3 file)')
    try:
        engine = make_engine(config, device=device or config.model.device)
    except (ModelFileError, FileNotFoundError, ValueError) as error:
        raise ReplayError(f'the model cannot be loaded: {error}') from None
    engine.warmup(config.model.warmup_iterations)
    summary = ReplaySummary(bag=bag, out=out)
    situations: collections.Counter = collections.Counter()
    actions: collections.Counter = collections.Counter()
    writer: Optional[BagWriter] = None

    def emit(e: Emitted) -> None:
        # The writer is open by the time the first message is handled.
        writer.write(e.topic, e.msg, e.time_ns)
        if e.name == 'situation':
            situations[e.msg.data] += 1
        elif e.name == 'action':
            actions[e.msg.data] += 1

    try:
        node = OfflineNode(config, engine, emit=emit, namespace=namespace,
                           node_name=node_name, logger=LOG)
    except ValueError as error:
        raise ReplayError(f'{params or "the default parameters"}: {error}') from None
    inputs = check_bag(bag, node.path.routes)
    summary.ignored_topics = {t.name: t.count for t in bag_topics(bag) if t.name not in inputs}
    single_file = out.suffix == '.mcap'
    with tempfile.TemporaryDirectory(dir=out.parent if single_file else None) as tmp:
        folder = pathlib.Path(tmp) / out.stem if single_file else out
        custom = {'bag': bag.name, 'model': (config.model.path or engine.model_path).name,
                  'params': params.name if params else None}
        with BagWriter(folder, custom_data={
                'multimodal_fusion.replay': json.dumps(custom, sort_keys=True)}) as writer:
            for name, (_, msg_type, qos) in OUTPUTS.items():
                if name != 'debug_image' or config.debug_image:
                    writer.add_topic(output_topic(name, namespace=namespace,
                                                  node_name=node_name), msg_type, qos())
            undecodable: collections.Counter = collections.Counter()
            t0 = time.perf_counter()
            for m in read_messages(bag, sorted(inputs)):
                route = inputs[m.topic]
                try:
                    msg = deserialize_message(m.data, route.msg_type)
                except Exception as error:  # noqa: BLE001 - rclpy raises plain exceptions
                    undecodable[m.topic] += 1
                    if undecodable[m.topic] == 1:
                        LOG.error(f'{bag}: a message on {m.topic} does not deserialise as '
                                  f'{ros_type_name(route.msg_type)} ({error}); skipped')
                    continue
                summary.messages += 1
                summary.frames += route.stream == 'camera'
                node.handle(m.topic, msg, m.log_time_ns)
            node.finish()
            summary.seconds = time.perf_counter() - t0
        if single_file:
            shutil.move(str(folder / f'{folder.name}.mcap'), str(out))
    stats = node.stats.snapshot(node.path.clock.seconds())
    summary.sets = node.sets
    summary.outputs = stats['outputs']
    summary.inference_seconds = node.inference_s
    summary.situations = dict(sorted(situations.items()))
    summary.actions = dict(sorted(actions.items()))
    summary.written = dict(writer.counts)
    summary.undecodable = dict(undecodable)
    summary.rejected = {f'{s}/{f}': n for (s, f), n in sorted(stats['rejected'].items())}
    summary.unused = {f'{r}/{s}': n for (r, s), n in sorted(stats['unused'].items())}
    summary.sync_drops = node.sync.drops.snapshot()
    summary.set_drops = node.sync.set_drops.snapshot()
    summary.failed_sets = dict(sorted(stats['errors'].items()))
    summary.time_jumps = node.sync.time_jumps
    summary.stream_jumps = dict(sorted(node.sync.stream_jumps.items()))
    if scorer is not None:
        summary.scores = scorer(bag, out)
    return summary


def summary_lines(s: ReplaySummary) -> list[str]:
    """The summary as printed: counts, throughput, what was dropped and why."""
    def counts(d: dict) -> str:
        return ', '.join(f'{k} {v}' for k, v in d.items()) or 'none'

    lines = [
        f'replayed {s.bag}: {s.messages} input messages, {s.frames} camera frames',
        f'sets: {s.sets} emitted, {s.outputs} published'
        + (f', failed {counts(s.failed_sets)}' if s.failed_sets else ''),
        f'situations: {counts(s.situations)}',
        f'actions: {counts(s.actions)}',
        f'throughput: {s.frames_per_second:.1f} frames/s, '
        f'{s.messages / s.seconds if s.seconds > 0 else 0.0:.0f} messages/s '
        f'({s.seconds:.2f} s, of which {s.inference_seconds:.2f} s in the model)',
        f'rejected messages: {counts(s.rejected)}',
        f'unused messages: {counts(s.unused)}',
        'synchroniser drops: ' + (', '.join(f'{reason} {counts(by)}'
                                            for reason, by in s.sync_drops.items()) or 'none'),
        'set drops: ' + (', '.join(f'{reason} {counts(by)}'
                                   for reason, by in s.set_drops.items()) or 'none'),
        f'time jumps: camera {s.time_jumps}, single streams {counts(s.stream_jumps)}',
    ]
    if s.undecodable:
        lines.append(f'undecodable messages: {counts(s.undecodable)}')
    if s.ignored_topics:
        lines.append(f'not inputs of the node (ignored): {counts(s.ignored_topics)}')
    if s.scores is not None:
        lines.append(f'scores: {json.dumps(s.scores, sort_keys=True)}')
    lines.append(f'wrote {s.out}: {counts(s.written)}')
    return lines


def default_out(bag: pathlib.Path) -> pathlib.Path:
    """``<bag name>_replay`` in the current folder (``x`` of ``x.mcap`` for a file)."""
    return pathlib.Path(f'{bag.stem if bag.is_file() else bag.name}_replay')


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog='replay', description=__doc__.split('\n\n')[0].strip())
    parser.add_argument('bag', type=pathlib.Path,
                        help='rosbag2 folder, or a .mcap or .db3 file')
    parser.add_argument('--params', type=pathlib.Path, default=None,
                        help="the node's params file (default: every parameter's default)")
    parser.add_argument('--model', type=pathlib.Path, default=None,
                        help='model file over model.path')
    parser.add_argument('--out', type=pathlib.Path, default=None,
                        help='output bag folder, or a single .mcap file (default: '
                             '<bag name>_replay)')
    parser.add_argument('--debug-image', action='store_true',
                        help='write ~/debug_image (boxes and labels drawn on the frame)')
    parser.add_argument('--device', default=None,
                        help='over model.device (auto, cpu, cuda, cuda:N)')
    parser.add_argument('--namespace', default='/',
                        help="the node's namespace (relative topics resolve in it)")
    parser.add_argument('--no-score', action='store_true',
                        help="do not score the outputs against the bag's labels (a label "
                             'file beside the bag or its /labels topic; docs/labels.md)')
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format='replay: %(levelname)s: %(message)s',
                        stream=sys.stderr)
    try:
        summary = replay_bag(args.bag, args.out or default_out(args.bag), params=args.params,
                             model=args.model, debug_image=args.debug_image,
                             device=args.device, namespace=args.namespace,
                             scorer=None if args.no_score else label_scorer(
                                 namespace=args.namespace))
    except ReplayError as error:
        print(f'replay: {error}', file=sys.stderr, flush=True)
        return 2
    except LabelError as error:
        print(f'replay: the outputs were written, but the labels cannot be scored: {error}',
              file=sys.stderr, flush=True)
        return 2
    print('\n'.join(summary_lines(summary)), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
