# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Every input message's path into the synchroniser: convert, check, count, hand on.

The node's subscriptions call these handlers. Each one converts its message, refuses a
malformed one (``MessageFormatError``: one log line per stream and field, a count), and
catches anything else a message may cause, so no message can stop the executor. What it
knows about why a modality is absent (no AudioInfo yet, joints no topic provides) it keeps
for the diagnostics.
"""

from __future__ import annotations

import collections
import time
import traceback
from typing import Callable, NamedTuple, Optional, Sequence

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
from geometry_msgs.msg import WrenchStamped
import numpy as np
from rclpy.serialization import serialize_message
from sensor_msgs.msg import CompressedImage
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import Header
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import audio_to_mono
from multimodal_fusion.ros.conversions import check_audio_info
from multimodal_fusion.ros.conversions import header_stamp_ns
from multimodal_fusion.ros.conversions import image_to_rgb
from multimodal_fusion.ros.conversions import imu_to_array
from multimodal_fusion.ros.conversions import joint_state_to_arrays
from multimodal_fusion.ros.conversions import MessageFormatError
from multimodal_fusion.ros.conversions import SAMPLE_FORMATS
from multimodal_fusion.ros.conversions import string_to_text
from multimodal_fusion.ros.conversions import wrench_to_array
from multimodal_fusion.ros.node.config import TopicSettings
from multimodal_fusion.ros.node.stats import NodeStats
from multimodal_fusion.ros.node.stats import StampGapCounter
from multimodal_fusion.sync import FusionSynchronizer
from multimodal_fusion.sync.audio_rate import AudioRateCheck
from multimodal_fusion.sync.joint_merge import JointMerger

# Joint states seen before joints no topic provides are reported (every topic has spoken).
JOINT_REPORT_AFTER = 50
# Audio chunks held while no AudioInfo has come: the latched description and the first
# chunks race at start-up, so a few early chunks are kept and used once it arrives.
HELD_CHUNKS = 50
# The longest a speech text is taken to have waited between the middleware receiving it and
# its callback; longer (or negative: another clock) is not believed.
MAX_TEXT_QUEUE_NS = 1_000_000_000


def describe_audio(info: AudioInfo) -> str:
    return f'{info.channels} channel(s) of {info.sample_format} at {info.sample_rate} Hz'


class CameraAnchor(NamedTuple):
    """What a set carries of its camera frame (``SyncedSet.anchor``).

    Attributes:
        header: the frame's header; the set's outputs are stamped with it.
        received_s: when its callback began (``time.monotonic()``), before decoding: the
            start of the node's share of the latency (``budget.latency_ms``).
    """

    header: Header
    received_s: float


class TwinCopies:
    """Tells the second copy of a sample that reached two subscriptions, by its bytes.

    A sample received on one subscription pairs with an identical one received on the other
    within ``window_s`` that is not paired yet: that one was its first copy.
    """

    def __init__(self, window_s: float = 1.0, keep: int = 16) -> None:
        self.window_s = window_s
        self._unpaired = (collections.deque(maxlen=keep), collections.deque(maxlen=keep))

    def is_copy(self, subscription: int, data: bytes, now_s: float) -> bool:
        """Whether ``data`` received on ``subscription`` (0 or 1) at ``now_s`` is a copy."""
        other = self._unpaired[1 - subscription]
        while other and now_s - other[0][1] > self.window_s:
            other.popleft()
        for index, (seen, _) in enumerate(other):
            if seen == data:
                del other[index]
                return True
        self._unpaired[subscription].append((data, now_s))
        return False


def compressed_to_rgb(msg: CompressedImage) -> np.ndarray:
    """The compressed-image decoder, imported when a compressed camera is configured."""
    from multimodal_fusion.ros.conversions import compressed_to_rgb as decode
    return decode(msg)


class InputHandlers:
    """The node's input callbacks (see the module docstring).

    Args:
        sync: the synchroniser the converted data goes to.
        stats: the node's counters.
        logger: an rclpy logger.
        deliver: takes the sets a message completed.
        now_ns: the node's clock (speech text is stamped on arrival with it).
        wall_ns: the system clock, which the middleware's reception timestamps read.
        model_joints: the model's joint names, in its order.
        joint_sources: the robot's joint name for each model joint, in model order.
        joint_topics: the JointState topics (for messages about missing joints).
        audio_info_topic: the AudioInfo topic, resolved (for messages).
        proprio_max_age_s: how recent every joint must be for a merged row.
        zero_missing_joints: joints no topic provides are zeros instead of making
            proprioception absent.
        time_jump_threshold_s: a joint stamp this much older than the last row restarts the
            merge.
    """

    def __init__(self, *, sync: FusionSynchronizer, stats: NodeStats, logger,
                 deliver: Callable[[list], None], now_ns: Callable[[], int],
                 model_joints: Sequence[str], joint_sources: Sequence[str],
                 joint_topics: Sequence[str],
                 audio_info_topic: str, proprio_max_age_s: float,
                 zero_missing_joints: bool, time_jump_threshold_s: float,
                 wall_ns: Callable[[], int] = time.time_ns) -> None:
        self.sync = sync
        self.stats = stats
        self.log = logger
        self._deliver = deliver
        self._now_ns = now_ns
        self._wall_ns = wall_ns
        self.model_joints = tuple(model_joints)
        self.joint_sources = tuple(joint_sources)
        self._joint_topics = tuple(joint_topics)
        self._audio_info_topic = audio_info_topic
        self._zero_missing = zero_missing_joints
        self.joints = JointMerger(len(joint_sources), max_age_ns=int(proprio_max_age_s * 1e9),
                                  zero_missing=zero_missing_joints,
                                  jump_ns=int(time_jump_threshold_s * 1e9))
        self.audio_info: Optional[AudioInfo] = None
        self._audio_rate = AudioRateCheck()
        self._audio_mismatch = False
        self._audio_info_samples: collections.deque = collections.deque(maxlen=16)
        self._audio_info_copies = TwinCopies()
        self._held_audio: collections.deque = collections.deque()
        self._camera_gaps = StampGapCounter()
        self._warned_no_info = False
        self._reported_joints = False

    # -- the guard every callback runs in --------------------------------------------------------

    def _guard(self, stream: str, convert: Callable[[], None]) -> None:
        """Run one message's conversion; reject a malformed one with a log line and a count.

        Nothing a message causes may escape into the executor (it would stop spinning): an
        unexpected error is logged with its traceback, counted as ``internal_error``, and
        the node goes on.
        """
        self.stats.received(stream, time.monotonic())
        self._guard_uncounted(stream, convert)

    def _guard_uncounted(self, stream: str, convert: Callable[[], None]) -> None:
        try:
            convert()
        except MessageFormatError as error:
            n = self.stats.rejected_message(stream, error.field)
            # The first of each kind is logged in full, then every 1000th, so a broken
            # driver cannot flood the log.
            if n == 1 or n % 1000 == 0:
                self.log.error(f'rejected a {stream} message ({n} so far): {error}')
        except Exception as error:  # noqa: BLE001 - one message must not stop the node
            n = self.stats.rejected_message(stream, f'internal_error/{type(error).__name__}')
            if n == 1 or n % 1000 == 0:
                self.log.error(f'a {stream} message raised {error!r} ({n} so far); the message '
                               f'was dropped and the node goes on\n{traceback.format_exc()}')

    # -- camera --------------------------------------------------------------------------------

    def _camera(self, stamp: int, image: np.ndarray, header, received_s: float) -> None:
        self.stats.camera_accepted(time.monotonic())
        lost = self._camera_gaps.add(stamp)
        if lost:
            self.stats.not_used('lost_in_transport', 'camera', lost)
        self._deliver(self.sync.add_camera(stamp, image,
                                           anchor=CameraAnchor(header, received_s)))

    def camera(self, msg: Image) -> None:
        received_s = time.monotonic()
        self._guard('camera', lambda: self._camera(header_stamp_ns(msg.header, 'Image'),
                                                   image_to_rgb(msg), msg.header, received_s))

    def compressed_camera(self, msg: CompressedImage) -> None:
        received_s = time.monotonic()
        self._guard('camera', lambda: self._camera(
            header_stamp_ns(msg.header, 'CompressedImage'), compressed_to_rgb(msg),
            msg.header, received_s))

    # -- audio ---------------------------------------------------------------------------------

    def audio_info_msg(self, msg: AudioInfo, info: Optional[dict],
                       subscription: int = 0) -> None:
        """An AudioInfo from one of its two subscriptions (0 latched, 1 volatile).

        A transient-local publisher reaches both: the second copy of one sample is not a new
        message. With the message info it is the same writer timestamp and sequence number;
        without (the events executor) the same bytes received on the other subscription
        moments before.
        """
        if info is not None:
            sample = (info['source_timestamp'], info['publication_sequence_number'])
            if sample in self._audio_info_samples:
                return
            self._audio_info_samples.append(sample)
        elif self._audio_info_copies.is_copy(subscription, serialize_message(msg),
                                             time.monotonic()):
            return

        def convert():
            check_audio_info(msg)
            old = self.audio_info
            if old is not None and old != msg:
                self.log.warning(f'audio format changed from {describe_audio(old)} to '
                                 f'{describe_audio(msg)}')
            self.audio_info = msg
        self._guard('audio_info', convert)
        held, self._held_audio = self._held_audio, collections.deque()
        for chunk in held if self.audio_info is not None else ():
            self.audio(chunk, counted=False)

    def audio(self, msg: AudioDataStamped, counted: bool = True) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'AudioDataStamped')
            info = self.audio_info
            if info is None:
                # Not the chunk's fault: the description has not come (yet). The newest
                # chunks are held for it; older ones are dropped with a count of their own
                # and one warning, and the audio is absent meanwhile.
                self._held_audio.append(msg)
                if len(self._held_audio) <= HELD_CHUNKS:
                    return
                self._held_audio.popleft()
                self.stats.not_used('waiting_for_audio_info', 'audio')
                if not self._warned_no_info:
                    self._warned_no_info = True
                    self.log.warning(f'audio arrives but no AudioInfo has on '
                                     f'{self._audio_info_topic}: audio is absent until one '
                                     'does')
                return
            samples = audio_to_mono(msg, info)  # refuses a malformed chunk first
            self._audio_rate.add(stamp, len(msg.audio.data))
            frame_bytes = SAMPLE_FORMATS[info.sample_format].dtype.itemsize * info.channels
            described = frame_bytes * info.sample_rate
            measured = self._audio_rate.mismatch(described)
            self._audio_mismatch = measured is not None
            if measured is not None:
                raise MessageFormatError(
                    'AudioInfo.sample_rate',
                    f'a description matching the chunk stamps ({measured:.0f} bytes/s, '
                    f'i.e. about {measured / frame_bytes:.0f} Hz for '
                    f'{describe_audio(info)})',
                    f'{describe_audio(info)} = {described} bytes/s')
            self._deliver(self.sync.add_audio(stamp, samples,
                                              sample_rate=int(info.sample_rate)))
        if counted:
            self._guard('audio', convert)
        else:  # a held chunk: received (and counted) when it arrived
            self._guard_uncounted('audio', convert)

    # -- text, touch, proprioception -----------------------------------------------------------

    def text(self, msg: String, info: Optional[dict] = None) -> None:
        """Take one speech text; ``info`` is the subscription's ``MessageInfo``, if any.

        Speech text has no header, so it is stamped on arrival with the node's clock
        (simulated time under use_sim_time): at the instant the middleware received it
        (``info['received_timestamp']``), not when this callback runs, which on a busy
        executor comes after camera frames sent later than the text; those frames would
        then miss the command they were sent with.
        """
        now = self._now_ns()
        received = (info or {}).get('received_timestamp')
        if received:
            queued = self._wall_ns() - int(received)
            if 0 < queued <= MAX_TEXT_QUEUE_NS:
                now -= queued
        self._guard('text', lambda: self._deliver(self.sync.add_text(now,
                                                                     string_to_text(msg))))

    def wrench(self, wrist: str, msg: WrenchStamped) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'WrenchStamped')
            self._deliver(self.sync.add_wrench(wrist, stamp,
                                               wrench_to_array(msg, dtype=np.float32)))
        self._guard(f'touch/{wrist}', convert)

    def joint_state(self, msg: JointState) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'JointState')
            arrays = joint_state_to_arrays(msg, self.joint_sources, dtype=np.float32,
                                           partial=True)
            row = self.joints.add(stamp, arrays.present, arrays.positions, arrays.velocities)
            self._report_missing_joints()
            if row is not None:
                self._deliver(self.sync.add_joint_state(row.stamp_ns, row.positions,
                                                        row.velocities))
        self._guard('proprio/joints', convert)

    def imu(self, msg: Imu) -> None:
        def convert():
            stamp = header_stamp_ns(msg.header, 'Imu')
            self._deliver(self.sync.add_imu(stamp, imu_to_array(msg, dtype=np.float32)))
        self._guard('proprio/imu', convert)

    def missing_joints(self) -> list[tuple[str, str]]:
        """``(model joint, robot joint)`` pairs no JointState has provided (so far)."""
        return [(model, robot) for model, robot, never in zip(
            self.model_joints, self.joint_sources, self.joints.never_received) if never]

    def _report_missing_joints(self) -> None:
        if self._reported_joints or self.joints.messages < JOINT_REPORT_AFTER:
            return
        self._reported_joints = True
        missing = self.missing_joints()
        if not missing:
            return
        pairs = ', '.join(m if m == r else f'{m} (as {r})' for m, r in missing)
        effect = ('they are filled with zeros (joints.zero_missing)' if self._zero_missing
                  else 'proprioception is absent')
        self.log.warning(
            f'no JointState on {", ".join(self._joint_topics)} carries the model joint(s) '
            f"{pairs}: {effect}. Name the robot's joints with joints.map "
            "('model_joint=robot_joint'), add their topic to topics.joint_states, or set "
            'joints.zero_missing: true')

    # -- what the diagnostics say about absent modalities --------------------------------------

    def notes(self) -> dict[str, str]:
        """Known reasons for absent modalities, by modality."""
        notes = {}
        if self.audio_info is None and self.stats.count_unused('waiting_for_audio_info'):
            notes['audio'] = f'no AudioInfo on {self._audio_info_topic}'
        elif self._audio_mismatch:
            notes['audio'] = 'AudioInfo does not fit the chunks (see the log)'
        if self._reported_joints and not self._zero_missing:
            missing = [m for m, _ in self.missing_joints()]
            if missing:
                notes['proprio'] = f'unmapped joints: {", ".join(missing)} (joints.map)'
        return notes


def stamped_routes(topics: TopicSettings, wrists: Sequence[str],
                   handlers: InputHandlers) -> list[tuple[str, str, type, str, Callable]]:
    """The node's stamped input streams, camera first.

    Each is ``(modality, stream, type, topic, handler)``. Speech text (no header) and
    ``AudioInfo`` (latched, no stream of its own) are not among them: the node subscribes to
    those with their own QoS.

    Args:
        topics: ``topics.*`` as configured (relative names, not yet resolved).
        wrists: the wrists the model reads, in the order of ``topics.wrenches``.
        handlers: the node's input handlers.
    """
    if topics.camera_transport == 'compressed':
        camera = ('camera', 'camera', CompressedImage, topics.camera_subscription,
                  handlers.compressed_camera)
    else:
        camera = ('camera', 'camera', Image, topics.camera, handlers.camera)
    routes = [camera, ('audio', 'audio', AudioDataStamped, topics.audio, handlers.audio)]
    routes += [('touch', f'touch/{wrist}', WrenchStamped, topic,
                lambda msg, w=wrist: handlers.wrench(w, msg))
               for wrist, topic in zip(wrists, topics.wrenches)]
    routes += [('proprio', 'proprio/joints', JointState, topic, handlers.joint_state)
               for topic in topics.joint_states]
    if topics.imu:
        routes.append(('proprio', 'proprio/imu', Imu, topics.imu, handlers.imu))
    return routes
