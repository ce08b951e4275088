# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The fusion node: five synchronised sensor streams in; situation, action, detections out.

Lifecycle:

* configure: validate parameters, pick the device, load and verify the model (sha256,
  metadata, modality spec), warm it up, create publishers and the synchroniser. Any problem
  is logged as one actionable line and the transition FAILS (the node stays unconfigured).
* activate: create the subscriptions and start the inference worker.
* deactivate: destroy the subscriptions, stop the worker.
* cleanup: release the model (and GPU memory) and the publishers.

Subscription callbacks only convert and synchronise; the newest complete set goes to a
one-slot latest-wins mailbox read by the inference worker thread, so a slow model never
blocks the executor or grows a queue.

No single message may stop the outputs: every callback and the worker catch whatever a
message causes, log it once with its cause, count it in /diagnostics and go on; a set
whose model outputs are not finite is dropped and counted, never published. SIGINT and
SIGTERM end the process with code 0 (``ros/shutdown.py``).
"""

from __future__ import annotations

import collections
from dataclasses import replace
import pathlib
import sys
import threading
import time
import traceback
from typing import Callable, Optional

import numpy as np
import rclpy
from rclpy.event_handler import SubscriptionEventCallbacks
from rclpy.exceptions import InvalidParameterTypeException
from rclpy.exceptions import InvalidParameterValueException
from rclpy.executors import ExternalShutdownException
from rclpy.executors import SingleThreadedExecutor
from rclpy.lifecycle import LifecycleNode
from rclpy.lifecycle import LifecycleState
from rclpy.lifecycle import TransitionCallbackReturn
from rclpy.subscription import MessageInfo
from rcl_interfaces.msg import SetParametersResult

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
from diagnostic_msgs.msg import DiagnosticArray
from geometry_msgs.msg import WrenchStamped
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import String
from vision_msgs.msg import Classification
from vision_msgs.msg import Detection2DArray
from vision_msgs.msg import LabelInfo
import torch

from multimodal_fusion.export.model_file import ModelFileError
from multimodal_fusion.inference import default_model_path
from multimodal_fusion.inference import EngineSettings
from multimodal_fusion.inference import FusionEngine
from multimodal_fusion.inference import NonFiniteOutputError
from multimodal_fusion.inference import select_device
from multimodal_fusion.inference.overlay import draw_prediction

from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import audio_to_mono
from multimodal_fusion.ros.conversions import check_audio_info
from multimodal_fusion.ros.conversions import header_stamp_ns
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import imu_to_array
from multimodal_fusion.ros.conversions import joint_state_to_arrays
from multimodal_fusion.ros.conversions import label_info_to_msg
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import SAMPLE_FORMATS
from multimodal_fusion.ros.conversions import string_to_text
from multimodal_fusion.ros.conversions import wrench_to_array
from multimodal_fusion.ros.node import qos
from multimodal_fusion.ros.node.health import HealthInputs
from multimodal_fusion.ros.node.health import HealthMonitor
from multimodal_fusion.ros.node.outputs import detection_message
from multimodal_fusion.ros.node.outputs import diagnostics_message
from multimodal_fusion.ros.node.outputs import label_messages
from multimodal_fusion.ros.node.parameters import declare_parameters
from multimodal_fusion.ros.node.parameters import plain_value
from multimodal_fusion.ros.node.parameters import BY_NAME
from multimodal_fusion.ros.node.parameters import validate_all
from multimodal_fusion.ros.node.stats import NodeStats
from multimodal_fusion.ros.node.stats import StampGapCounter
from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import spin_until_stopped
from multimodal_fusion.ros.shutdown import StopSignal
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.sync import FusionSynchronizer
from multimodal_fusion.sync import LatestSlot
from multimodal_fusion.sync import SyncConfig
from multimodal_fusion.sync.audio_rate import AudioRateCheck

# Parameters that may change while the node runs; all others are read-only.
_LIVE = ('detection.score_threshold', 'detection.iou_threshold', 'detection.max_detections')


def _describe(info: AudioInfo) -> str:
    return f'{info.channels} channel(s) of {info.sample_format} at {info.sample_rate} Hz'


class ConfigureError(Exception):
    """A configure-time problem with a message for the user."""


class FusionNode(LifecycleNode):
    """See the module docstring. Parameters: ``config/fusion.yaml``."""

    def __init__(self, node_name: str = 'fusion_node', **kwargs) -> None:
        super().__init__(node_name, **kwargs)
        self.values = declare_parameters(self)
        self.add_on_set_parameters_callback(self._on_set_parameters)
        self.stats = NodeStats()
        self.engine = None
        self.sync = None
        self.slot = None
        self._inputs = []
        self._outputs = {}
        self._worker: Optional[threading.Thread] = None
        self._diag_timer = None
        self._audio_info: Optional[AudioInfo] = None
        self._audio_rate = AudioRateCheck()
        self._camera_gaps = StampGapCounter()
        self._warned_no_info = False
        self._audio_info_samples: collections.deque = collections.deque(maxlen=16)
        self.health: Optional[HealthMonitor] = None
        self._object_names: list[str] = []
        self._wrists: tuple[str, ...] = ()

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
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self.slot = LatestSlot(on_drop=self.sync.count_superseded)
        self._audio_rate.reset()
        self._camera_gaps = StampGapCounter()
        self._warned_no_info = False
        self._create_subscriptions()
        self._worker = threading.Thread(target=self._inference_loop, name='fusion_inference',
                                        daemon=True)
        self._worker.start()
        self.get_logger().info(
            f'active: subscribed to {len(self._inputs)} topics, model '
            f'{self.engine.metadata["strategy"]} on {self.engine.device}')
        return super().on_activate(state)

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_inputs()
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._release()
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        self._stop_inputs()
        self._release()
        return super().on_shutdown(state)

    # -- configure ---------------------------------------------------------------------------
    def _configure(self) -> None:
        v = self.values = {name: plain_value(self.get_parameter(name).value)
                           for name in self.values}
        problems = validate_all(v)
        if problems:
            raise ConfigureError('; '.join(problems))
        if v['sync.implementation'] == 'message_filters':
            try:
                import message_filters  # noqa: F401
            except ImportError:
                raise ConfigureError(
                    'sync.implementation is message_filters but the message_filters package '
                    'is not importable; install ros-$ROS_DISTRO-message-filters or set '
                    'sync.implementation: builtin (the same ApproximateTime algorithm)'
                ) from None

        torch.set_num_threads(v['model.torch_threads'])
        try:
            device, warning = select_device(v['model.device'])
        except ValueError as error:
            raise ConfigureError(str(error)) from None
        if warning:
            self.get_logger().warning(warning)
        path = pathlib.Path(v['model.path']) if v['model.path'] else default_model_path()
        try:
            engine = FusionEngine(path, device=device,
                                  text_encoder_dir=v['text_encoder.path'] or None)
        except ModelFileError as error:
            raise ConfigureError(f'{error} (parameter model.path)') from None
        except FileNotFoundError as error:
            raise ConfigureError(f'{error} (parameter text_encoder.path)') from None
        spec = engine.spec
        if len(v['topics.wrenches']) != spec.touch.wrists:
            raise ConfigureError(
                f'topics.wrenches lists {len(v["topics.wrenches"])} topics but the model '
                f'reads {spec.touch.wrists} wrists (left, right)')
        engine.settings = EngineSettings(
            score_threshold=v['detection.score_threshold'],
            iou_threshold=v['detection.iou_threshold'],
            max_detections=v['detection.max_detections'])
        t0 = time.perf_counter()
        engine.warmup(v['model.warmup_iterations'])
        self.get_logger().info(
            f'model {path.name} ({engine.metadata["strategy"]}, modalities '
            f'{", ".join(engine.modalities)}) verified and warmed up on {device} in '
            f'{time.perf_counter() - t0:.2f} s')
        self.engine = engine
        self._object_names = list(engine.labels['object_classes'])

        self._wrists = WRISTS[:spec.touch.wrists]
        external = v['sync.implementation'] == 'message_filters'
        sync_config = SyncConfig(
            # With message_filters matching the required streams, the builtin synchroniser
            # only windows them: every set it gets is already matched.
            spec=spec, required=frozenset({'camera'} if external else v['sync.required']), wrists=self._wrists,
            imu=bool(v['topics.imu']), slop_s=v['sync.slop'], queue_size=v['sync.queue_size'],
            audio_max_age_s=v['sync.max_age.audio'], touch_max_age_s=v['sync.max_age.touch'],
            proprio_max_age_s=v['sync.max_age.proprio'],
            text_max_age_s=v['sync.max_age.text'],
            time_jump_threshold_s=v['sync.time_jump_threshold'])
        self.sync = FusionSynchronizer(sync_config, on_time_jump=self._on_time_jump)
        self.health = HealthMonitor(stall_timeout_s=v['diagnostics.stall_timeout'],
                                    clock_tolerance_s=v['sync.time_jump_threshold'])

        out = qos.output_qos()
        self._outputs = {
            'situation': self.create_lifecycle_publisher(String, '~/situation', out),
            'action': self.create_lifecycle_publisher(String, '~/action', out),
            'situation_scores': self.create_lifecycle_publisher(
                Classification, '~/situation_scores', out),
            'action_scores': self.create_lifecycle_publisher(
                Classification, '~/action_scores', out),
            'detections': self.create_lifecycle_publisher(
                Detection2DArray, '~/detections', out),
            'label_info': self.create_publisher(LabelInfo, '~/label_info',
                                                qos.latched_qos()),
            'diagnostics': self.create_publisher(DiagnosticArray, '/diagnostics', 10),
        }
        if v['publish.debug_image']:
            self._outputs['debug_image'] = self.create_lifecycle_publisher(
                Image, '~/debug_image', out)
        info = label_info_to_msg(self._object_names, v['detection.score_threshold'])
        info.header.stamp = self.get_clock().now().to_msg()
        self._outputs['label_info'].publish(info)
        self._diag_timer = self.create_timer(v['diagnostics.period'], self._publish_diagnostics)

    # -- inputs ------------------------------------------------------------------------------
    def _create_subscriptions(self) -> None:
        v = self.values
        sensor = qos.sensor_qos(v['qos.sensors'], v['qos.depth'])
        required = set(v['sync.required'])
        # (modality, type, topic, handler); stamped streams only.
        stamped = [('camera', Image, v['topics.camera'], self._on_camera),
                   ('audio', AudioDataStamped, v['topics.audio'], self._on_audio)]
        stamped += [('touch', WrenchStamped, topic, lambda msg, w=wrist: self._on_wrench(w, msg))
                    for wrist, topic in zip(self._wrists, v['topics.wrenches'])]
        stamped.append(('proprio', JointState, v['topics.joint_states'], self._on_joint_state))
        if v['topics.imu']:
            stamped.append(('proprio', Imu, v['topics.imu'], self._on_imu))
        if v['sync.implementation'] == 'message_filters':
            matched = [s for s in stamped if s[0] in required]
            stamped = [s for s in stamped if s[0] not in required]
            self._match_with_message_filters(matched, sensor)
        for modality, msg_type, topic, handler in stamped:
            self._add_subscription(msg_type, topic, sensor, handler,
                                   stream=self._stream_of(modality, topic))
        # audio_capture latches its AudioInfo (reliable, transient local, depth 1) and may
        # send it once, before this node starts: only a transient-local subscription gets
        # that sample. It cannot match a volatile publisher, so a second, best-effort
        # volatile subscription takes those; the same description twice is harmless.
        # Only the second one's incompatibilities are real: a volatile or best-effort
        # publisher cannot match the first by design.
        self._add_subscription(AudioInfo, v['topics.audio_info'], qos.latched_qos(),
                               self._on_audio_info, warn_incompatible=False)
        self._add_subscription(AudioInfo, v['topics.audio_info'], sensor, self._on_audio_info)
        self._add_subscription(String, v['topics.speech_text'], qos.command_qos(),
                               self._on_text)

    def _stream_of(self, modality: str, topic: str) -> str:
        """The stream name (as in the synchroniser and diagnostics) of an input topic."""
        v = self.values
        if modality == 'touch':
            return f'touch/{self._wrists[list(v["topics.wrenches"]).index(topic)]}'
        if modality == 'proprio':
            return 'proprio/imu' if topic == v['topics.imu'] else 'proprio/joints'
        return modality

    def _match_with_message_filters(self, matched, profile) -> None:
        """message_filters' ApproximateTimeSynchronizer over the camera and the required
        streams; each matched set is fed to the builtin synchroniser camera last, so the
        camera frame completes a set whose required windows are already filled."""
        import message_filters

        filters = [message_filters.Subscriber(self, msg_type, topic, qos_profile=profile)
                   for _, msg_type, topic, _ in matched]
        handlers = [handler for *_, handler in matched]

        def on_matched(*msgs):
            for handler, msg in list(zip(handlers, msgs))[1:]:
                handler(msg)
            handlers[0](msgs[0])

        self._mf_sync = message_filters.ApproximateTimeSynchronizer(
            filters, self.values['sync.queue_size'], self.values['sync.slop'])
        self._mf_sync.registerCallback(on_matched)
        self._inputs.extend(f.sub for f in filters)

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
        self._inputs.append(self.create_subscription(
            msg_type, topic, callback, profile, event_callbacks=events))

    def _guard(self, stream: str, convert: Callable[[], None]) -> None:
        """Run one message's conversion; reject a malformed one with a log line and a count.

        Nothing a message causes may escape into the executor (it would stop spinning): an
        unexpected error is logged with its traceback, counted as ``internal_error``, and
        the node goes on.
        """
        self.stats.received(stream, time.monotonic())
        try:
            convert()
        except MessageFormatError as error:
            n = self.stats.rejected_message(stream, error.field)
            # The first of each kind is logged in full, then every 1000th, so a broken
            # driver cannot flood the log.
            if n == 1 or n % 1000 == 0:
                self.get_logger().error(f'rejected a {stream} message ({n} so far): {error}')
        except Exception as error:  # noqa: BLE001 - one message must not stop the node
            n = self.stats.rejected_message(stream, f'internal_error/{type(error).__name__}')
            if n == 1 or n % 1000 == 0:
                self.get_logger().error(
                    f'a {stream} message raised {error!r} ({n} so far); the message was '
                    f'dropped and the node goes on\n{traceback.format_exc()}')

    def _deliver(self, sets) -> None:
        for synced in sets:
            self.slot.put(synced)

    def _on_camera(self, msg: Image) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'Image')
            image = image_to_rgb(msg)
            now = time.monotonic()
            self.stats.camera_accepted(now)
            lost = self._camera_gaps.add(stamp)
            if lost:
                self.stats.not_used('lost_in_transport', 'camera', lost)
            self._deliver(self.sync.add_camera(stamp, image, anchor=msg.header))
        self._guard('camera', convert)

    def _on_audio_info(self, msg: AudioInfo, info: MessageInfo) -> None:
        # A transient-local publisher reaches both AudioInfo subscriptions: the second copy
        # of one sample (same writer timestamp and sequence number) is not a new message.
        sample = (info['source_timestamp'], info['publication_sequence_number'])
        if sample in self._audio_info_samples:
            return
        self._audio_info_samples.append(sample)

        def convert():
            check_audio_info(msg)
            old = self._audio_info
            if old is not None and old != msg:
                self.get_logger().warning(
                    f'audio format changed from {_describe(old)} to {_describe(msg)}')
            self._audio_info = msg
        self._guard('audio_info', convert)

    def _on_audio(self, msg: AudioDataStamped) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'AudioDataStamped')
            info = self._audio_info
            if info is None:
                self._audio_rate.add(stamp, len(msg.audio.data))
                # Not the chunk's fault: the description has not come (yet). One warning,
                # a count of its own, and the audio is absent meanwhile.
                self.stats.not_used('waiting_for_audio_info', 'audio')
                if not self._warned_no_info:
                    self._warned_no_info = True
                    self.get_logger().warning(
                        f'audio arrives but no AudioInfo has on '
                        f'{self.resolve_topic_name(self.values["topics.audio_info"])}: '
                        'audio is absent until one does')
                return
            samples = audio_to_mono(msg, info)  # refuses a malformed chunk first
            self._audio_rate.add(stamp, len(msg.audio.data))
            frame_bytes = SAMPLE_FORMATS[info.sample_format].dtype.itemsize * info.channels
            described = frame_bytes * info.sample_rate
            measured = self._audio_rate.mismatch(described)
            if measured is not None:
                raise MessageFormatError(
                    'AudioInfo.sample_rate',
                    f'a description matching the chunk stamps ({measured:.0f} bytes/s, '
                    f'i.e. about {measured / frame_bytes:.0f} Hz for {_describe(info)})',
                    f'{_describe(info)} = {described} bytes/s')
            self._deliver(self.sync.add_audio(stamp, samples,
                                              sample_rate=int(info.sample_rate)))
        self._guard('audio', convert)

    def _on_text(self, msg: String) -> None:
        # Speech text has no header: stamp it on arrival with the node's clock, which is
        # simulated time under use_sim_time.
        now = self.get_clock().now().nanoseconds
        self._guard('text', lambda: self._deliver(self.sync.add_text(now,
                                                                     string_to_text(msg))))

    def _on_wrench(self, wrist: str, msg: WrenchStamped) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'WrenchStamped')
            self._deliver(self.sync.add_wrench(wrist, stamp,
                                               wrench_to_array(msg, dtype=np.float32)))
        self._guard(f'touch/{wrist}', convert)

    def _on_joint_state(self, msg: JointState) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'JointState')
            arrays = joint_state_to_arrays(msg, self.engine.spec.joint_names,
                                           dtype=np.float32)
            self._deliver(self.sync.add_joint_state(stamp, arrays.positions,
                                                    arrays.velocities))
        self._guard('proprio/joints', convert)

    def _on_imu(self, msg: Imu) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'Imu')
            self._deliver(self.sync.add_imu(stamp, imu_to_array(msg, dtype=np.float32)))
        self._guard('proprio/imu', convert)

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
            if synced is None:
                continue
            try:
                self._publish(synced, self.engine.infer(synced.frames))
            except NonFiniteOutputError as error:
                self._set_failed('non_finite_output', f'{error}; ages of the set\'s inputs '
                                 f'(ns): {synced.ages_ns}; nothing was published for it')
            except Exception as error:  # noqa: BLE001 - one bad set must not stop the node
                if slot.closed:
                    return  # shutting down: publishers may already be gone
                self._set_failed(f'inference_error/{type(error).__name__}',
                                 f'{error!r}\n{traceback.format_exc()}')

    def _set_failed(self, kind: str, detail: str) -> None:
        n = self.stats.failed(kind)
        if n == 1 or n % 1000 == 0:
            self.get_logger().error(f'a synchronised set failed ({kind}, {n} so far): '
                                    f'{detail}')

    def _publish(self, synced, result) -> None:
        header = synced.anchor
        pub = self._outputs
        situation, action, situation_scores, action_scores = label_messages(
            result.prediction, header)
        pub['situation'].publish(situation)
        pub['action'].publish(action)
        pub['situation_scores'].publish(situation_scores)
        pub['action_scores'].publish(action_scores)
        pub['detections'].publish(detection_message(result.prediction, header))
        if 'debug_image' in pub:
            overlay = draw_prediction(synced.frames.camera, result.prediction,
                                      self._object_names)
            pub['debug_image'].publish(array_to_image(overlay, 'rgb8', header=header))
        now_ns = self.get_clock().now().nanoseconds
        self.stats.published(
            end_to_end_ms=(now_ns - synced.stamp_ns) / 1e6,
            inference_ms=result.preprocess_ms + result.model_ms + result.decode_ms,
            presence=result.presence, now_s=time.monotonic())

    def _publish_diagnostics(self) -> None:
        sync, health = self.sync, self.health
        if sync is None or health is None:
            return
        try:
            inputs = ['camera', 'audio', 'text', *[f'touch/{w}' for w in self._wrists],
                      'proprio/joints'] + (['proprio/imu'] if self.values['topics.imu']
                                           else [])
            now = self.get_clock().now()
            statuses = health.report(HealthInputs(
                stats=self.stats.snapshot(time.monotonic()), sync_drops=sync.drops.snapshot(),
                set_drops=sync.set_drops.snapshot(), time_jumps=sync.time_jumps,
                stream_jumps=dict(sync.stream_jumps), newest_stamps_ns=sync.newest_stamps_ns(),
                now_ns=now.nanoseconds, expected=inputs))
            self._outputs['diagnostics'].publish(
                diagnostics_message(now.to_msg(), self.get_name(), statuses))
        except Exception as error:  # noqa: BLE001 - a timer callback must not stop the node
            self.get_logger().error(f'diagnostics failed: {error!r}\n{traceback.format_exc()}',
                                    throttle_duration_sec=10.0)

    # -- parameters and teardown -------------------------------------------------------------
    def _on_set_parameters(self, params) -> SetParametersResult:
        """Validate a change against the whole parameter set; apply the live ones.

        Detection thresholds apply at once; other writable parameters take effect at the
        next configure (read-only ones are refused by rclpy itself).
        """
        changes = {p.name: plain_value(p.value) for p in params if p.name in BY_NAME}
        merged = {name: plain_value(self.get_parameter(name).value) for name in BY_NAME}
        merged.update(changes)
        problems = validate_all(merged)
        if problems:
            return SetParametersResult(successful=False, reason='; '.join(problems))
        live = {name.split('.', 1)[1]: value for name, value in changes.items()
                if name in _LIVE}
        if live and self.engine is not None:
            self.engine.settings = replace(self.engine.settings, **live)
        return SetParametersResult(successful=True)

    def _stop_inputs(self) -> None:
        for sub in self._inputs:
            self.destroy_subscription(sub)
        self._inputs = []
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
        if self.engine is not None:
            self.engine.close()
            self.engine = None
        self.sync = None
        self.slot = None


def main(args=None) -> int:
    """``ros2 run multimodal_fusion fusion_node``; exits 1 when autostart's configure
    fails, so launch shows the failure."""
    init_ros(args)
    stop = StopSignal()
    try:
        node = FusionNode()
    except (InvalidParameterValueException, InvalidParameterTypeException) as error:
        # A value outside its declared range or of the wrong type, from a params file or
        # the command line: one line, no traceback.
        rclpy.logging.get_logger('fusion_node').error(f'invalid parameter: {error}')
        shutdown_ros()
        return 1
    code = 0
    executor = SingleThreadedExecutor()
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
