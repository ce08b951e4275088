# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node: five synchronised sensor streams in; situation, action, detections out.

Lifecycle:

* configure: read the parameters into a frozen :class:`NodeConfig`, pick the device, load
  and verify the model (sha256, metadata, modality spec, joint names), warm it up, create
  publishers and the synchroniser. Any problem is logged as one actionable line and the
  transition FAILS (the node stays unconfigured). ``model.path``, ``model.device`` and
  ``model.fp16`` are read here, so cleanup → set → configure swaps models in a running
  process.
* activate: create the subscriptions and start the inference worker.
* deactivate: destroy the subscriptions, stop the worker.
* cleanup: release the model (and GPU memory) and the publishers.

Subscription callbacks (``inputs.py``) only convert and synchronise; the newest complete
set goes to a one-slot latest-wins mailbox read by the inference worker thread, so a slow
model never blocks the executor or grows a queue.

No single message may stop the outputs: every callback and the worker catch whatever a
message causes, log it once with its cause, count it in /diagnostics and go on; a set
whose model outputs are not finite is dropped and counted, never published. SIGINT and
SIGTERM end the process with code 0 (``ros/shutdown.py``).

Parameters take effect when ``parameters.py`` says: live ones at once (thresholds, sync
window and ages, debug image, diagnostics), configure-time ones only while unconfigured (a
change while configured is refused with the transition that applies it), start-time ones
never after start.
"""

from __future__ import annotations

from dataclasses import replace
import sys
import threading
import time
import traceback
from typing import Callable, Optional

from audio_common_msgs.msg import AudioInfo
import cv2
from rcl_interfaces.msg import SetParametersResult
import rclpy
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.exceptions import InvalidParameterTypeException
from rclpy.exceptions import InvalidParameterValueException
from rclpy.executors import ExternalShutdownException
from rclpy.executors import SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode
from rclpy.lifecycle import LifecycleState
from rclpy.lifecycle import TransitionCallbackReturn
from std_msgs.msg import String
import torch

from multimodal_fusion.export.model_file import ModelFileError
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import EngineSettings
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.inference import NonFiniteOutputError
from multimodal_fusion.inference import select_device
from multimodal_fusion.inference.budget import FALLBACK
from multimodal_fusion.inference.budget import LatencyBudget
from multimodal_fusion.inference.budget import PRIMARY
from multimodal_fusion.preprocessing.text_adapter import TextAdapterError
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.node import qos
from multimodal_fusion.ros.node.config import NodeConfig
from multimodal_fusion.ros.node.health import expected_streams
from multimodal_fusion.ros.node.health import HealthInputs
from multimodal_fusion.ros.node.health import HealthMonitor
from multimodal_fusion.ros.node.inputs import InputHandlers
from multimodal_fusion.ros.node.inputs import stamped_routes
from multimodal_fusion.ros.node.outputs import diagnostics_message
from multimodal_fusion.ros.node.outputs import OUTPUTS
from multimodal_fusion.ros.node.outputs import prediction_messages
from multimodal_fusion.ros.node.outputs import UNMANAGED_OUTPUTS
from multimodal_fusion.ros.node.parameters import BY_NAME
from multimodal_fusion.ros.node.parameters import CONFIGURE
from multimodal_fusion.ros.node.parameters import declare_parameters
from multimodal_fusion.ros.node.parameters import LIVE
from multimodal_fusion.ros.node.parameters import parameter_table
from multimodal_fusion.ros.node.parameters import plain_value
from multimodal_fusion.ros.node.parameters import START
from multimodal_fusion.ros.node.stats import NodeStats
from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import spin_until_stopped
from multimodal_fusion.ros.shutdown import StopSignal
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.sync import FusionSynchronizer
from multimodal_fusion.sync import LatestSlot
from multimodal_fusion.sync import SyncConfig

_UNCONFIGURED = 'unconfigured'


class ConfigureError(Exception):
    """A configure-time problem with a message for the user."""


def sync_config(config: NodeConfig, spec: ModalitySpec) -> SyncConfig:
    """The synchroniser's configuration the node builds from its parameters and model."""
    s = config.sync
    external = s.implementation == 'message_filters'
    return SyncConfig(
        # With message_filters matching the required streams, the builtin synchroniser
        # only windows them: every set it gets is already matched.
        spec=spec, required=frozenset({'camera'}) if external else s.required,
        wrists=WRISTS[:spec.touch.wrists], imu=config.topics.imu is not None,
        slop_s=s.slop_s, queue_size=s.queue_size, audio_max_age_s=s.max_age_audio_s,
        touch_max_age_s=s.max_age_touch_s, proprio_max_age_s=s.max_age_proprio_s,
        text_max_age_s=s.max_age_text_s, window_wait_s=s.window_wait_s,
        time_jump_threshold_s=s.time_jump_threshold_s)


class FusionNode(LifecycleNode):
    """See the module docstring. Parameters: ``config/fusion.yaml``."""

    def __init__(self, node_name: str = 'fusion_node', **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.values = declare_parameters(self)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.config: Optional[NodeConfig] = None
        self.stats = NodeStats()
        self.engine: Optional[FusionEngine] = None
        # The lighter model of the latency budget, and the budget (None without one).
        self.fallback_engine: Optional[FusionEngine] = None
        self.budget: Optional[LatencyBudget] = None
        self.sync: Optional[FusionSynchronizer] = None
        self.slot: Optional[LatestSlot] = None
        self.inputs: Optional[InputHandlers] = None
        self.health: Optional[HealthMonitor] = None
        # The input subscriptions (empty unless active); ``inputs`` handles their messages.
        self.input_subscriptions: list = []
        self._outputs: dict = {}
        self._worker: Optional[threading.Thread] = None
        self._diag_timer = None
        # Releases the sets whose wait for their windows ran out while no message came.
        self._release_timer = None
        self._object_names: list[str] = []
        self._wrists: tuple[str, ...] = ()
        self._state = _UNCONFIGURED

    # -- lifecycle ---------------------------------------------------------------------------
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        try:
            self._configure()
        except ConfigureError as error:
            self.get_logger().error(f'configure failed: {error}')
            self._release()
            return TransitionCallbackReturn.FAILURE
        except Exception as error:  # noqa: BLE001 - rclpy would swallow it without a word
            self.get_logger().error(f'configure failed unexpectedly: {error!r}\n'
                                    f'{traceback.format_exc()}')
            self._release()
            return TransitionCallbackReturn.FAILURE
        self._state = 'inactive'
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.slot = LatestSlot(on_drop=self.sync.count_superseded)
        wait_s = self.sync.config.window_wait_s
        if wait_s > 0:
            self._release_timer = self.create_timer(wait_s / 2, self._release_due)
        self._create_subscriptions()
        self._worker = threading.Thread(target=self._inference_loop, name='fusion_inference',
                                        daemon=True)
        self._worker.start()
        self._state = 'active'
        self.get_logger().info(
            f'active: subscribed to {len(self.input_subscriptions)} topics, model '
            f'{self.engine.metadata["strategy"]} on {self.engine.device}')
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_inputs()
        self._state = 'inactive'
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_inputs()
        self._release()
        return super().on_shutdown(state)

    # -- configure ---------------------------------------------------------------------------
    def _read_values(self) -> dict:
        return {name: plain_value(self.get_parameter(name).value) for name in self.values}

    def _configure(self) -> None:
        self.values = self._read_values()
        try:
            config = NodeConfig.from_values(self.values)
        except ValueError as error:
            raise ConfigureError(str(error)) from None
        if config.sync.implementation == 'message_filters':
            try:
                import message_filters  # noqa: F401 - only whether it imports
            except ImportError:
                raise ConfigureError(
                    'sync.implementation is message_filters but the message_filters package '
                    'is not importable; install ros-$ROS_DISTRO-message-filters or set '
                    'sync.implementation: builtin') from None
        if config.topics.camera_transport == 'compressed':
            try:
                from multimodal_fusion.ros.conversions import compressed_to_rgb  # noqa: F401
            except ImportError:
                raise ConfigureError('topics.camera_transport is compressed but this build '
                                     'cannot decode CompressedImage') from None

        engine = self._load_engine(config)
        self.engine = engine  # released by _release if the rest of configure fails
        spec = engine.spec
        if config.budget.settings is not None:
            self.fallback_engine = self._fallback_engine(config, engine)
            self.budget = LatencyBudget(config.budget.settings)
        elif config.budget.fallback_model is not None:
            self.get_logger().warning(
                'budget.fallback_model is set but budget.latency_ms is 0: no budget, the '
                'fallback model is not loaded')
        if len(config.topics.wrenches) != spec.touch.wrists:
            raise ConfigureError(
                f'topics.wrenches lists {len(config.topics.wrenches)} topics but the model '
                f'reads {spec.touch.wrists} wrists (left, right)')
        try:
            joint_sources = config.joint_sources(spec.joint_names)
        except ValueError as error:
            raise ConfigureError(str(error)) from None
        self.config = config
        self._object_names = list(engine.labels['object_classes'])
        self._wrists = WRISTS[:spec.touch.wrists]
        renamed = {m: r for m, r in zip(spec.joint_names, joint_sources) if m != r}
        self.get_logger().info(
            f'the model reads joints {", ".join(spec.joint_names)}'
            + (f'; mapped: {renamed}' if renamed else ''))

        s = config.sync
        self.sync = FusionSynchronizer(sync_config(config, spec),
                                       on_time_jump=self._on_time_jump)
        self.health = HealthMonitor(stall_timeout_s=config.diagnostics.stall_timeout_s,
                                    clock_tolerance_s=s.time_jump_threshold_s)
        self.inputs = InputHandlers(
            sync=self.sync, stats=self.stats, logger=self.get_logger(), deliver=self._deliver,
            now_ns=lambda: self.get_clock().now().nanoseconds,
            model_joints=spec.joint_names, joint_sources=joint_sources,
            joint_topics=[self.resolve_topic_name(t) for t in config.topics.joint_states],
            audio_info_topic=self.resolve_topic_name(config.topics.audio_info),
            proprio_max_age_s=s.max_age_proprio_s,
            zero_missing_joints=config.joints.zero_missing,
            time_jump_threshold_s=s.time_jump_threshold_s)
        self._create_publishers()

    def _load_engine(self, config: NodeConfig) -> FusionEngine:
        m = config.model
        torch.set_num_threads(m.torch_threads)
        # OpenCV (image decoding, resizing) would otherwise spread over every core, against
        # the executor and the model, as torch's default threads did.
        cv2.setNumThreads(m.torch_threads)
        try:
            device, warning = select_device(m.device)
        except ValueError as error:
            raise ConfigureError(f'{error} (parameter model.device)') from None
        if warning:
            self.get_logger().warning(warning)
        if m.fp16 and device.type != 'cuda':
            raise ConfigureError(f'model.fp16 needs a CUDA device but the model runs on '
                                 f'{device}; set model.fp16: false (or model.device: cuda)')
        return self._open_engine(config, m.path or default_model_path(), device, 'model.path')

    def _fallback_engine(self, config: NodeConfig, primary: FusionEngine) -> FusionEngine:
        """The budget's lighter model, checked against the primary: same labels and windows."""
        fallback = self._open_engine(config, config.budget.fallback_model, primary.device,
                                     'budget.fallback_model')
        try:
            if fallback.labels != primary.labels:
                raise ConfigureError(
                    f'budget.fallback_model {config.budget.fallback_model.name} names other '
                    f'classes than model.path (situations, actions or objects differ): the '
                    f'outputs must mean the same whichever model runs')
            # Camera frames are resized per model; the other windows come from the one
            # synchroniser, built for the primary.
            if replace(fallback.spec, camera=primary.spec.camera) != primary.spec:
                raise ConfigureError(
                    f'budget.fallback_model {config.budget.fallback_model.name} reads other '
                    f'audio, text, touch or proprio windows than model.path (only the camera '
                    f'size may differ): the node synchronises one set of windows')
        except ConfigureError:
            fallback.close()
            raise
        return fallback

    def _open_engine(self, config: NodeConfig, path, device,
                     parameter: str) -> FusionEngine:
        m = config.model
        try:
            engine = FusionEngine(path, device=device, text_encoder_dir=m.text_encoder,
                                  half=m.fp16)
        except ModelFileError as error:
            raise ConfigureError(f'{error} (parameter {parameter})') from None
        except FileNotFoundError as error:
            raise ConfigureError(f'{error} (parameter text_encoder.path)') from None
        except TextAdapterError as error:
            raise ConfigureError(
                f'{error}: the model file fine-tunes a sentence encoder other than the one '
                f'in {m.text_encoder or "the default folder"} (parameters model.path, '
                f'text_encoder.path)') from None
        d = config.detection
        engine.settings = EngineSettings(score_threshold=d.score_threshold,
                                         iou_threshold=d.iou_threshold,
                                         max_detections=d.max_detections)
        t0 = time.perf_counter()
        engine.warmup(m.warmup_iterations)
        self.get_logger().info(
            f'model {path.name} ({engine.metadata["strategy"]}, modalities '
            f'{", ".join(engine.modalities)}) verified and warmed up on {device}'
            f'{" in fp16" if m.fp16 else ""} in {time.perf_counter() - t0:.2f} s')
        return engine

    def _create_publishers(self) -> None:
        # ~/debug_image is always there, published only while publish.debug_image is true.
        self._outputs = {
            name: (self.create_publisher if name in UNMANAGED_OUTPUTS
                   else self.create_lifecycle_publisher)(msg_type, topic, profile())
            for name, (topic, msg_type, profile) in OUTPUTS.items()}
        info = label_info_to_msg(self._object_names, self.config.detection.score_threshold)
        info.header.stamp = self.get_clock().now().to_msg()
        self._outputs['label_info'].publish(info)
        self._diag_timer = self.create_timer(self.config.diagnostics.period_s,
                                             self._publish_diagnostics)

    # -- inputs ------------------------------------------------------------------------------
    def _create_subscriptions(self) -> None:
        config, handlers = self.config, self.inputs
        topics = config.topics
        sensor = qos.sensor_qos(config.qos_sensors, config.qos_depth)
        # Speech text first: the executor takes ready messages in subscription order, so a
        # command is in before the camera frames that came with it. With the message info,
        # it is stamped when it was received (inputs.text).
        if self.values['executor'] == 'events':
            # rclpy's EventsExecutor (Kilted) fails on callbacks that take MessageInfo.
            self._add_subscription(String, topics.speech_text, qos.command_qos(),
                                   lambda msg: handlers.text(msg))
        else:
            self._add_subscription(String, topics.speech_text, qos.command_qos(),
                                   lambda msg, info: handlers.text(msg, info))
        stamped = stamped_routes(topics, self._wrists, handlers)
        if config.sync.implementation == 'message_filters':
            # message_filters decides which camera frames make sets; every message of every
            # stream still feeds its window directly (its callback only gets the messages
            # it matched, so high-rate streams would arrive at the camera's rate).
            required = config.sync.required
            self._match_with_message_filters([s for s in stamped if s[0] in required], sensor)
            stamped = stamped[1:]  # the camera comes through the matcher only
        for _, stream, msg_type, topic, handler in stamped:
            self._add_subscription(msg_type, topic, sensor, handler, stream=stream)
        # audio_capture latches its AudioInfo (reliable, transient local, depth 1) and may
        # send it once, before this node starts: only a transient-local subscription gets
        # that sample. It cannot match a volatile publisher, so a second, best-effort
        # volatile subscription takes those; a sample that reaches both counts once. Only
        # the second one's incompatibilities are real.
        if self.values['executor'] == 'events':
            def latched(msg):
                handlers.audio_info_msg(msg, None, 0)

            def volatile(msg):
                handlers.audio_info_msg(msg, None, 1)
        else:
            latched = volatile = handlers.audio_info_msg
        self._add_subscription(AudioInfo, topics.audio_info, qos.latched_qos(), latched,
                               warn_incompatible=False)
        self._add_subscription(AudioInfo, topics.audio_info, sensor, volatile)

    def _match_with_message_filters(self, matched, profile) -> None:
        """Match sets with message_filters' ApproximateTimeSynchronizer.

        It runs over the camera and the required streams (``matched[0]`` is the camera): a
        matched set hands its camera frame to the builtin synchroniser, whose windows the
        direct subscriptions keep filled.
        """
        import message_filters

        filters = [message_filters.Subscriber(self, msg_type, topic, qos_profile=profile)
                   for _, _, msg_type, topic, _ in matched]
        camera = matched[0][4]

        def on_matched(*msgs):
            camera(msgs[0])

        self._mf_sync = message_filters.ApproximateTimeSynchronizer(
            filters, self.config.sync.queue_size, self.config.sync.slop_s)
        self._mf_sync.registerCallback(on_matched)
        self.input_subscriptions.extend(f.sub for f in filters)

    def _add_subscription(self, msg_type, topic: str, profile, callback: Callable, *,
                          stream: Optional[str] = None, warn_incompatible: bool = True) -> None:
        def incompatible(event, topic=topic):
            self.get_logger().warning(qos.incompatible_qos_message(
                self.resolve_topic_name(topic), str(event.last_policy_kind), profile))

        def lost(event, stream=stream):
            # Samples DDS knows it never delivered (best effort, a full queue).
            if event.total_count_change > 0:
                self.stats.not_used('lost_in_transport', stream, event.total_count_change)

        events = SubscriptionEventCallbacks(
            incompatible_qos=incompatible if warn_incompatible else None,
            message_lost=lost if stream is not None else None,
            use_default_callbacks=False)
        self.input_subscriptions.append(self.create_subscription(
            msg_type, topic, callback, profile, event_callbacks=events))

    def _deliver(self, sets) -> None:
        for synced in sets:
            self.stats.synchronised((time.monotonic() - synced.anchor.received_s) * 1e3)
            self.slot.put(synced)

    def _release_due(self) -> None:
        sync = self.sync
        if sync is not None and self.slot is not None:
            self._deliver(sync.release_due())

    def _on_time_jump(self, jump) -> None:
        if jump.whole_timeline:
            self.get_logger().warning(
                f'time jumped back {jump.jump_s:.2f} s on the camera (looping bag or '
                'restarted simulator?): cleared all buffers')
            return
        n = self.sync.stream_jumps[jump.stream]
        if n == 1 or n % 100 == 0:
            self.get_logger().warning(
                f'clock fault on {jump.stream}: its stamps jumped back {jump.jump_s:.2f} s '
                f'({n} time(s) so far); only that stream restarted, the others go on')

    # -- inference ---------------------------------------------------------------------------
    def _inference_loop(self) -> None:
        slot = self.slot
        while not slot.closed:
            synced = slot.get(timeout=0.2)
            if synced is not None:
                self._run_set(synced, slot)

    def _run_set(self, synced, slot: LatestSlot) -> None:
        """Infer one set and publish its outputs; a failure is counted and logged, not raised."""
        try:
            budget = self.budget
            if budget is None:
                self._publish(synced, self.engine.infer(synced.frames))
                return
            model = budget.choose()
            engine = self.engine if model == PRIMARY else self.fallback_engine
            self._publish(synced, engine.infer(synced.frames))
            was = budget.running
            budget.record(model, (time.monotonic() - synced.anchor.received_s) * 1e3)
            if budget.running != was:
                self._budget_switched(budget)
        except NonFiniteOutputError as error:
            self._set_failed('non_finite_output', f"{error}; ages of the set's inputs "
                             f'(ns): {synced.ages_ns}; nothing was published for it')
        except Exception as error:  # noqa: BLE001 - one bad set must not stop the node
            if slot.closed:
                return  # shutting down: publishers may already be gone
            self._set_failed(f'inference_error/{type(error).__name__}',
                             f'{error!r}\n{traceback.format_exc()}')

    def _budget_switched(self, budget: LatencyBudget) -> None:
        b = self.config.budget
        if budget.running == FALLBACK:
            self.get_logger().warning(
                f'over the latency budget ({b.settings.latency_ms:g} ms): the median of the '
                f'last {b.settings.window} sets on model.path was higher; running '
                f'budget.fallback_model {b.fallback_model.name} (switch {budget.switches})')
        else:
            self.get_logger().info(
                f'model.path fits the latency budget again ({b.settings.probes} probes within '
                f'{b.settings.recover_ratio:g} x {b.settings.latency_ms:g} ms): running it '
                f'(switch {budget.switches})')

    def _set_failed(self, kind: str, detail: str) -> None:
        n = self.stats.failed(kind)
        if n == 1 or n % 1000 == 0:
            self.get_logger().error(f'a synchronised set failed ({kind}, {n} so far): '
                                    f'{detail}')

    def _publish(self, synced, result) -> None:
        for name, msg in prediction_messages(
                result.prediction, synced.anchor.header, object_names=self._object_names,
                debug_camera=synced.frames.camera if self.config.debug_image else None):
            self._outputs[name].publish(msg)
        now_ns = self.get_clock().now().nanoseconds
        self.stats.published(
            end_to_end_ms=(now_ns - synced.stamp_ns) / 1e6,
            inference_ms=result.preprocess_ms + result.model_ms + result.decode_ms,
            presence=result.presence, now_s=time.monotonic(), model_ms=result.model_ms,
            model_cpu_ms=result.model_cpu_ms)

    def _publish_diagnostics(self) -> None:
        sync, health, config, inputs = self.sync, self.health, self.config, self.inputs
        if sync is None or health is None or config is None:
            return
        try:
            streams = expected_streams(self._wrists, bool(config.topics.imu))
            now = self.get_clock().now()
            d = config.diagnostics
            statuses = health.report(HealthInputs(
                stats=self.stats.snapshot(time.monotonic()), sync_drops=sync.drops.snapshot(),
                set_drops=sync.set_drops.snapshot(), time_jumps=sync.time_jumps,
                stream_jumps=dict(sync.stream_jumps), newest_stamps_ns=sync.newest_stamps_ns(),
                now_ns=now.nanoseconds, expected=streams, expected_rates=d.expected_rates,
                rate_tolerance=d.rate_tolerance, max_stamp_age_s=d.max_stamp_age_s,
                notes=inputs.notes() if inputs is not None else {},
                budget=self._budget_snapshot()))
            self._outputs['diagnostics'].publish(
                diagnostics_message(now.to_msg(), self.get_name(), statuses))
        except Exception as error:  # noqa: BLE001 - a timer callback must not stop the node
            self.get_logger().error(f'diagnostics failed: {error!r}\n{traceback.format_exc()}',
                                    throttle_duration_sec=10.0)

    def _budget_snapshot(self) -> Optional[dict]:
        budget, config = self.budget, self.config
        if budget is None or config is None:
            return None
        primary = config.model.path or default_model_path()
        return {**budget.snapshot(), 'models': {
            PRIMARY: primary.name, FALLBACK: config.budget.fallback_model.name}}

    # -- parameters --------------------------------------------------------------------------
    def _on_set_parameters(self, params) -> SetParametersResult:
        """Validate a change against the whole parameter set, then apply or refuse it.

        Live parameters apply at once. Configure-time ones are accepted only while
        unconfigured (they are read at configure); otherwise the reason names the
        transitions that apply them. Start-time ones are read-only (rclpy refuses them).
        """
        changes = {p.name: plain_value(p.value) for p in params if p.name in BY_NAME}
        fixed = [n for n in changes if BY_NAME[n].applies == START]
        if fixed:
            return SetParametersResult(successful=False, reason=(
                f'{", ".join(fixed)} is read at start: restart the node to change it'))
        late = [n for n in changes if BY_NAME[n].applies == CONFIGURE]
        if late and self._state != _UNCONFIGURED:
            return SetParametersResult(successful=False, reason=(
                f'{", ".join(late)} applies at configure and the node is {self._state}: '
                f'{"deactivate, " if self._state == "active" else ""}cleanup, set it, then '
                'configure'))
        merged = {name: plain_value(self.get_parameter(name).value) for name in BY_NAME}
        merged.update(changes)
        try:
            config = NodeConfig.from_values(merged)
        except ValueError as error:
            return SetParametersResult(successful=False, reason=str(error))
        live = [n for n in changes if BY_NAME[n].applies == LIVE]
        if live and self.config is not None:
            if (self.config.sync.implementation == 'message_filters' and self._state == 'active'
                    and {'sync.slop', 'sync.queue_size'} & set(live)):
                return SetParametersResult(successful=False, reason=(
                    'with sync.implementation message_filters, sync.slop and sync.queue_size '
                    'apply at activate: deactivate, set them, then activate'))
            self._apply_live(config)
        return SetParametersResult(successful=True)

    def _apply_live(self, config: NodeConfig) -> None:
        old = self.config
        self.config = replace(old, sync=config.sync, detection=config.detection,
                              debug_image=config.debug_image, diagnostics=config.diagnostics)
        d, s = config.detection, config.sync
        if self.engine is not None:
            self.engine.settings = replace(self.engine.settings,
                                           score_threshold=d.score_threshold,
                                           iou_threshold=d.iou_threshold,
                                           max_detections=d.max_detections)
        if self.sync is not None:
            self.sync.update(slop_s=s.slop_s, queue_size=s.queue_size,
                             audio_max_age_s=s.max_age_audio_s,
                             touch_max_age_s=s.max_age_touch_s,
                             proprio_max_age_s=s.max_age_proprio_s,
                             text_max_age_s=s.max_age_text_s)
        if self.health is not None:
            self.health.stall_timeout_s = config.diagnostics.stall_timeout_s
        if (self._diag_timer is not None
                and config.diagnostics.period_s != old.diagnostics.period_s):
            self.destroy_timer(self._diag_timer)
            self._diag_timer = self.create_timer(config.diagnostics.period_s,
                                                 self._publish_diagnostics)

    # -- teardown ----------------------------------------------------------------------------
    def _stop_inputs(self) -> None:
        for sub in self.input_subscriptions:
            self.destroy_subscription(sub)
        self.input_subscriptions = []
        if self._release_timer is not None:
            self.destroy_timer(self._release_timer)
            self._release_timer = None
        if self.slot is not None:
            self.slot.close()
        if self._worker is not None:
            self._worker.join(timeout=10.0)
            self._worker = None

    def _release(self) -> None:
        if self._diag_timer is not None:
            self.destroy_timer(self._diag_timer)
            self._diag_timer = None
        for name, pub in self._outputs.items():
            if name in ('label_info', 'diagnostics'):
                self.destroy_publisher(pub)
            else:
                self.destroy_lifecycle_publisher(pub)
        self._outputs = {}
        for engine in (self.engine, self.fallback_engine):
            if engine is not None:
                engine.close()
        self.engine = self.fallback_engine = self.budget = None
        self.sync = None
        self.slot = None
        self.inputs = None
        self._state = _UNCONFIGURED


def make_executor(kind: str, logger=None):
    """The executor the ``executor`` parameter names.

    ``events`` on an rclpy without the EventsExecutor (before Kilted) gives the
    single-threaded executor, with a warning to ``logger``.
    """
    if kind == 'events':
        try:
            from rclpy.experimental import EventsExecutor
        except ImportError:
            if logger is not None:
                logger.warning('executor: events needs rclpy.experimental.EventsExecutor '
                               '(ROS 2 Kilted or newer), which this rclpy lacks: running on '
                               'the single-threaded executor')
        else:
            return EventsExecutor()
    return SingleThreadedExecutor()


def main(args=None, node_class: type[FusionNode] = FusionNode) -> int:
    """``ros2 run multimodal_fusion fusion_node``; ``--help`` prints the parameter table.

    Exits 1 when autostart's configure fails, so launch shows the failure. ``node_class``
    lets a tool run a variant of the node (the benchmark's naive baseline) the same way.
    """
    argv = sys.argv if args is None else list(args)
    if '-h' in argv[1:] or '--help' in argv[1:]:
        print(__doc__.split('\n\n')[0].strip())
        print('\nros2 run multimodal_fusion fusion_node [--ros-args -p name:=value ... '
              '--params-file fusion.yaml]\n')
        print(parameter_table())
        return 0
    init_ros(args)
    stop = StopSignal()
    try:
        node = node_class()
    except (InvalidParameterValueException, InvalidParameterTypeException) as error:
        # A value outside its declared range or of the wrong type, from a params file or
        # the command line: one line, no traceback.
        rclpy.logging.get_logger('fusion_node').error(f'invalid parameter: {error}')
        shutdown_ros()
        return 1
    code = 0
    executor = make_executor(node.values['executor'], node.get_logger())
    try:
        if node.values['autostart']:
            if node.trigger_configure() != TransitionCallbackReturn.SUCCESS:
                code = 1
            elif node.trigger_activate() != TransitionCallbackReturn.SUCCESS:
                code = 1
        if code == 0:
            executor.add_node(node)
            spin_until_stopped(executor, stop)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    finally:
        # The worker stops before anything it publishes with is destroyed, and rclpy shuts
        # down last.
        node._stop_inputs()
        node._release()
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        shutdown_ros()
        stop.restore()
    return code


if __name__ == '__main__':
    sys.exit(main())
