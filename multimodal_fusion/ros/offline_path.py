# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node's processing path in this process, without DDS: one home for replays.

What :class:`~multimodal_fusion.ros.node.fusion_node.FusionNode` does with a message, done
by the same parts, configured from the same :class:`NodeConfig`:

    topic -> InputHandlers (conversions) -> FusionSynchronizer (sets, windows)
          -> FusionEngine (preprocessing, model, decoding) -> the node's output messages

Only the transport and the clocks differ. Each message is handed over with its arrival
time, which a :class:`ReplayClock` then reads: the node's clock (speech text is stamped
with it), the synchroniser's wait clock and the counters' clock all read it, so a replay
is deterministic. The node's two timers (releasing sets whose wait ran out, every
``window_wait_s / 2``; ``/diagnostics`` every ``diagnostics.period``) fire at their times
on that clock, between messages. Every set is inferred: nothing is superseded, where the
live node keeps only the newest set while the model is busy.

:class:`OfflinePath` is the input half (topics to synchronised sets);
:class:`OfflineNode` adds the model and the outputs. ``live_vs_offline.replay`` (the
simulator's messages) and ``replay`` (a rosbag2 bag) use them.
"""

from __future__ import annotations

from dataclasses import dataclass
import itertools
import logging
import time
from typing import Callable, Optional

from audio_common_msgs.msg import AudioInfo
from std_msgs.msg import String
import torch

from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import EngineSettings
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.inference import NonFiniteOutputError
from multimodal_fusion.inference import select_device
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.conversions import ns_to_stamp
from multimodal_fusion.ros.node.config import NodeConfig
from multimodal_fusion.ros.node.fusion_node import sync_config
from multimodal_fusion.ros.node.health import expected_streams
from multimodal_fusion.ros.node.health import HealthInputs
from multimodal_fusion.ros.node.health import HealthMonitor
from multimodal_fusion.ros.node.inputs import InputHandlers
from multimodal_fusion.ros.node.inputs import stamped_routes
from multimodal_fusion.ros.node.outputs import diagnostics_message
from multimodal_fusion.ros.node.outputs import OUTPUTS
from multimodal_fusion.ros.node.outputs import prediction_messages
from multimodal_fusion.ros.node.stats import LatencyStats
from multimodal_fusion.ros.node.stats import NodeStats
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.sync import FusionSynchronizer
from multimodal_fusion.sync import SyncedSet

NODE_NAME = 'fusion_node'


def resolve_topic(name: str, *, namespace: str = '/', node_name: str = NODE_NAME) -> str:
    """The absolute topic name rclpy gives ``name`` in a node ``node_name`` in ``namespace``.

    ``/x`` stays, ``~/x`` is under the node (``/ns/node/x``), a relative ``x`` is under the
    namespace (``/ns/x``).
    """
    ns = '/' + namespace.strip('/') if namespace.strip('/') else ''
    if name.startswith('/'):
        return name
    if name.startswith('~'):
        return f'{ns}/{node_name}/{name[1:].lstrip("/")}'.rstrip('/')
    return f'{ns}/{name}'


def output_topic(name: str, *, namespace: str = '/', node_name: str = NODE_NAME) -> str:
    """The absolute topic of the node's output ``name`` (a key of ``OUTPUTS``)."""
    return resolve_topic(OUTPUTS[name][0], namespace=namespace, node_name=node_name)


def make_engine(config: NodeConfig, *, device: str = 'cpu') -> FusionEngine:
    """An engine set up as the node sets up its own (model, text encoder, decoding, threads).

    Args:
        config: the node's configuration (``model.*``, ``text_encoder.path``,
            ``detection.*``).
        device: ``'cpu'`` (deterministic, the default) or a ``model.device`` value.

    Raises:
        ValueError: a device that does not exist here, or fp16 off CUDA.
        ModelFileError: the model file, its hash or its metadata is not acceptable.
        FileNotFoundError: the text encoder the model needs has not been built.
    """
    m, d = config.model, config.detection
    torch.set_num_threads(m.torch_threads)
    chosen, warning = select_device(device)
    if warning:
        logging.getLogger('offline_path').warning(warning)
    if m.fp16 and chosen.type != 'cuda':
        raise ValueError(f'model.fp16 needs a CUDA device but the model runs on {chosen}')
    engine = FusionEngine(m.path or default_model_path(), device=chosen,
                          text_encoder_dir=m.text_encoder, half=m.fp16)
    engine.settings = EngineSettings(score_threshold=d.score_threshold,
                                     iou_threshold=d.iou_threshold,
                                     max_detections=d.max_detections)
    return engine


class ReplayClock:
    """The arrival time of the message being handled (ns): the only clock of a replay."""

    def __init__(self, now_ns: int = 0) -> None:
        self.now_ns = now_ns

    def seconds(self) -> float:
        return self.now_ns / 1e9


class _Unmeasured(LatencyStats):
    """Latencies not kept (the model's time on this machine, in a replay)."""

    def add(self, value_ms: float) -> None:
        pass


class ReplayStats(NodeStats):
    """The node's counters on the replay clock.

    The input handlers time arrivals with the wall clock; here they read the replay clock,
    so the rates in ``/diagnostics`` are the recorded ones. The model's time on this
    machine is left out (``inference_ms`` and ``model_ms`` read n/a, ``model_cpu_s`` 0): it
    is no property of the input, and two replays must give the same messages.
    """

    def __init__(self, clock: ReplayClock) -> None:
        super().__init__()
        self._replay_clock = clock
        self.inference = _Unmeasured()
        self.model = _Unmeasured()

    def received(self, stream: str, now_s: float) -> None:
        super().received(stream, self._replay_clock.seconds())

    def camera_accepted(self, now_s: float) -> None:
        super().camera_accepted(self._replay_clock.seconds())


@dataclass(frozen=True)
class InputRoute:
    """One input topic of the node: its absolute name, type, stream and handler."""

    topic: str
    msg_type: type
    stream: str
    handler: Callable[[object], None]


def input_routes(config: NodeConfig, spec: ModalitySpec, handlers: InputHandlers, *,
                 namespace: str = '/', node_name: str = NODE_NAME) -> dict[str, InputRoute]:
    """The node's subscriptions (``FusionNode._create_subscriptions``) as ``{topic: route}``.

    Topic names are the configuration's, resolved as the node resolves them.
    """
    t = config.topics

    def resolved(name: str) -> str:
        return resolve_topic(name, namespace=namespace, node_name=node_name)

    sample = itertools.count(1)

    def audio_info(msg: AudioInfo) -> None:
        # Each replayed message is one sample (the node sees a latched one twice).
        n = next(sample)
        handlers.audio_info_msg(msg, {'source_timestamp': n, 'publication_sequence_number': n})

    routes = [(t.speech_text, String, 'text', handlers.text)]
    routes += [(topic, msg_type, stream, handler) for _, stream, msg_type, topic, handler
               in stamped_routes(t, WRISTS[:spec.touch.wrists], handlers)]
    routes.append((t.audio_info, AudioInfo, 'audio_info', audio_info))
    return {resolved(topic): InputRoute(resolved(topic), msg_type, stream, handler)
            for topic, msg_type, stream, handler in routes}


class OfflinePath:
    """The node's input path: messages with their arrival times in, synchronised sets out.

    Args:
        config: the node's configuration.
        spec: the model's modality spec.
        namespace: the node's namespace (relative topic names resolve in it).
        node_name: the node's name.
        logger: where the handlers log rejected messages (a ``logging`` logger).
        on_tick: called at each diagnostics period with its time (ns), after the sets due
            by then were handed out.

    Raises:
        ValueError: a configuration the replay cannot follow (``sync.implementation``
            message_filters, wrenches the model does not read, bad ``joints.map``).
    """

    def __init__(self, config: NodeConfig, spec: ModalitySpec, *, namespace: str = '/',
                 node_name: str = NODE_NAME, logger: Optional[logging.Logger] = None,
                 on_tick: Optional[Callable[[int], None]] = None) -> None:
        if config.sync.implementation != 'builtin':
            raise ValueError(f'sync.implementation is {config.sync.implementation}: a replay '
                             'runs the builtin synchroniser only; set sync.implementation: '
                             'builtin')
        if len(config.topics.wrenches) != spec.touch.wrists:
            raise ValueError(f'topics.wrenches lists {len(config.topics.wrenches)} topics but '
                             f'the model reads {spec.touch.wrists} wrists (left, right)')
        self.config = config
        self.clock = ReplayClock()
        self.stats = ReplayStats(self.clock)
        self.sync = FusionSynchronizer(sync_config(config, spec), clock=self.clock.seconds)
        self._out: list[SyncedSet] = []
        s = config.sync
        self.handlers = InputHandlers(
            sync=self.sync, stats=self.stats, logger=logger or logging.getLogger('replay'),
            deliver=self._out.extend, now_ns=lambda: self.clock.now_ns,
            model_joints=spec.joint_names, joint_sources=config.joint_sources(spec.joint_names),
            joint_topics=[resolve_topic(x, namespace=namespace, node_name=node_name)
                          for x in config.topics.joint_states],
            audio_info_topic=resolve_topic(config.topics.audio_info, namespace=namespace,
                                           node_name=node_name),
            proprio_max_age_s=s.max_age_proprio_s, zero_missing_joints=config.joints.zero_missing,
            time_jump_threshold_s=s.time_jump_threshold_s)
        self.routes = input_routes(config, spec, self.handlers, namespace=namespace,
                                   node_name=node_name)
        self._on_tick = on_tick
        self._release_ns = max(1, int(self.sync.config.window_wait_s / 2 * 1e9))
        self._tick_ns = int(config.diagnostics.period_s * 1e9)
        self._next_release: Optional[int] = None
        self._next_tick: Optional[int] = None

    def handle(self, topic: str, msg, arrival_ns: int) -> list[SyncedSet]:
        """Hand ``msg`` to the node's handler of ``topic`` at ``arrival_ns``.

        Returns:
            The sets released by the timers up to ``arrival_ns`` and by the message, in
            order.

        Raises:
            KeyError: ``topic`` is no input of the node (see :attr:`routes`).
        """
        route = self.routes[topic]
        sets = self.advance(arrival_ns)
        self.clock.now_ns = max(self.clock.now_ns, int(arrival_ns))
        route.handler(msg)
        sets += self._take()
        return sets

    def advance(self, now_ns: int) -> list[SyncedSet]:
        """Run the node's timers due up to ``now_ns``; the sets they release."""
        now_ns = int(now_ns)
        if self._next_release is None:
            self.clock.now_ns = now_ns
            self._next_release = now_ns + self._release_ns
            self._next_tick = now_ns + self._tick_ns
            return []
        sets = []
        while min(self._next_release, self._next_tick) <= now_ns:
            if self._next_release <= self._next_tick:
                self.clock.now_ns = self._next_release
                self._next_release += self._release_ns
                self._out.extend(self.sync.release_due())
                sets += self._take()
            else:
                self.clock.now_ns = self._next_tick
                self._next_tick += self._tick_ns
                sets += self._take()
                if self._on_tick is not None:
                    self._on_tick(self.clock.now_ns)
        return sets

    def finish(self) -> list[SyncedSet]:
        """Let every waiting set's wait run out (the input ended); the sets released."""
        end = self.clock.now_ns + int(self.sync.config.window_wait_s * 1e9) + 1
        sets = self.advance(end)
        self.clock.now_ns = max(self.clock.now_ns, end)
        self._out.extend(self.sync.release_due())
        return sets + self._take()

    def _take(self) -> list[SyncedSet]:
        out = list(self._out)
        self._out.clear()
        return out


@dataclass(frozen=True)
class Emitted:
    """One output message: its output name (``OUTPUTS``), absolute topic, message, time."""

    name: str
    topic: str
    msg: object
    time_ns: int


class OfflineNode:
    """The node without DDS: :class:`OfflinePath` plus the model and the output messages.

    Args:
        config: the node's configuration (``publish.debug_image`` decides the overlay).
        engine: the model (see :func:`make_engine`).
        emit: takes every output message, in publication order.
        namespace: the node's namespace.
        node_name: the node's name (its outputs are ``/<namespace>/<node_name>/...``).
        logger: where rejected messages and failed sets are logged.

    Raises:
        ValueError: see :class:`OfflinePath`.
    """

    def __init__(self, config: NodeConfig, engine: FusionEngine, *,
                 emit: Callable[[Emitted], None], namespace: str = '/',
                 node_name: str = NODE_NAME,
                 logger: Optional[logging.Logger] = None) -> None:
        self.config = config
        self.engine = engine
        self.node_name = node_name
        self.log = logger or logging.getLogger('replay')
        self._emit = emit
        self.topics = {name: output_topic(name, namespace=namespace, node_name=node_name)
                       for name in OUTPUTS}
        self.path = OfflinePath(config, engine.spec, namespace=namespace, node_name=node_name,
                                logger=self.log, on_tick=self._diagnostics)
        self.health = HealthMonitor(stall_timeout_s=config.diagnostics.stall_timeout_s,
                                    clock_tolerance_s=config.sync.time_jump_threshold_s)
        self._object_names = list(engine.labels['object_classes'])
        self._wrists = WRISTS[:engine.spec.touch.wrists]
        self._started = False
        self.sets = 0
        self.inference_s = 0.0

    @property
    def stats(self) -> ReplayStats:
        return self.path.stats

    @property
    def sync(self) -> FusionSynchronizer:
        return self.path.sync

    def handle(self, topic: str, msg, arrival_ns: int) -> None:
        """One input message at ``arrival_ns``; the outputs it causes go to ``emit``."""
        if not self._started:
            self._started = True
            info = label_info_to_msg(self._object_names, self.config.detection.score_threshold)
            info.header.stamp = ns_to_stamp(int(arrival_ns))
            self._send('label_info', info, int(arrival_ns))
        for synced in self.path.handle(topic, msg, arrival_ns):
            self._infer(synced)

    def finish(self) -> None:
        """The input ended: the waiting sets go out, then a last ``/diagnostics``."""
        for synced in self.path.finish():
            self._infer(synced)
        if self._started:
            self._diagnostics(self.path.clock.now_ns)

    def _send(self, name: str, msg, time_ns: int) -> None:
        self._emit(Emitted(name, self.topics[name], msg, time_ns))

    def _infer(self, synced: SyncedSet) -> None:
        """What ``FusionNode._inference_loop`` and ``_publish`` do with one set."""
        self.sets += 1
        now_ns = self.path.clock.now_ns
        t0 = time.perf_counter()
        try:
            result = self.engine.infer(synced.frames)
        except NonFiniteOutputError as error:
            self._failed('non_finite_output', f'{error}; nothing was published for it')
            return
        except Exception as error:  # noqa: BLE001 - one bad set must not stop the replay
            self._failed(f'inference_error/{type(error).__name__}', repr(error))
            return
        finally:
            self.inference_s += time.perf_counter() - t0
        for name, msg in prediction_messages(
                result.prediction, synced.anchor.header, object_names=self._object_names,
                debug_camera=synced.frames.camera if self.config.debug_image else None):
            self._send(name, msg, now_ns)
        self.stats.published(end_to_end_ms=(now_ns - synced.stamp_ns) / 1e6,
                             inference_ms=(time.perf_counter() - t0) * 1e3,
                             presence=result.presence, now_s=now_ns / 1e9)

    def _failed(self, kind: str, detail: str) -> None:
        n = self.stats.failed(kind)
        if n == 1 or n % 1000 == 0:
            self.log.error(f'a synchronised set failed ({kind}, {n} so far): {detail}')

    def _diagnostics(self, now_ns: int) -> None:
        """What ``FusionNode._publish_diagnostics`` publishes, at ``now_ns``."""
        config, sync = self.config, self.sync
        streams = expected_streams(self._wrists, bool(config.topics.imu))
        d = config.diagnostics
        statuses = self.health.report(HealthInputs(
            stats=self.stats.snapshot(now_ns / 1e9), sync_drops=sync.drops.snapshot(),
            set_drops=sync.set_drops.snapshot(), time_jumps=sync.time_jumps,
            stream_jumps=dict(sync.stream_jumps), newest_stamps_ns=sync.newest_stamps_ns(),
            now_ns=now_ns, expected=streams, expected_rates=d.expected_rates,
            rate_tolerance=d.rate_tolerance, max_stamp_age_s=d.max_stamp_age_s,
            notes=self.path.handlers.notes()))
        self._send('diagnostics',
                   diagnostics_message(ns_to_stamp(now_ns), self.node_name, statuses), now_ns)
