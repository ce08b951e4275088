# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The simulator's episodes as the ROS messages a humanoid's drivers would send.

One place builds them for both consumers: the live publisher (``sim_publisher``, which
sends them on DDS when the wall clock reaches them) and the bag recorder (``bag_recorder``,
which writes them straight into a rosbag2 file). So a bag holds exactly what the live
simulator publishes: the same topics, QoS, stamps, frame ids and ground truth.

:func:`timeline` turns episodes into :class:`SimEvent` objects in time order;
:class:`SimMessages` turns each event into ``(topic, message)`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from typing import Iterable
from typing import Iterator
from typing import Optional
from typing import Sequence

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
import cv2
from geometry_msgs.msg import WrenchStamped
import numpy as np
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rosgraph_msgs.msg import Clock
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_audio
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import ns_to_stamp
from multimodal_fusion.sim import ACTIONS
from multimodal_fusion.sim import Episode
from multimodal_fusion.sim import OBJECT_CLASSES
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.spec import WRENCH_FEATURES
from multimodal_fusion.spec import WRISTS

STREAMS = ('camera', 'audio', 'text', 'touch', 'proprio')
AUDIO_CHUNK_S = 0.02
CAMERA_FRAME = 'head_camera'
# Simulated time starts here with --clock (1000 s: far from any wall-clock stamp).
SIM_TIME_ORIGIN_NS = 1_000_000_000_000

CAMERA_TOPIC = 'camera/image_raw'
AUDIO_TOPIC = 'audio/audio_stamped'
AUDIO_INFO_TOPIC = 'audio/audio_info'
TEXT_TOPIC = 'speech/text'
WRENCH_TOPICS = {w: f'wrist/{w}/wrench' for w in WRISTS}
JOINT_STATES_TOPIC = 'joint_states'
IMU_TOPIC = 'imu/data'
GROUND_TRUTH_TOPIC = 'sim/ground_truth'
CLOCK_TOPIC = '/clock'

SENSOR_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
# AudioInfo is latched, as audio_capture sends it once.
LATCHED_QOS = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                         durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Transient local: a recorder whose discovery finishes late still gets every frame's
# ground truth (the node's outputs for those frames may already be on their way).
TRUTH_QOS = QoSProfile(depth=5000, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
CLOCK_QOS = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)

# Every topic the simulator sends (relative names: they follow the namespace), with its
# type and the QoS it is offered with.
TOPICS: dict[str, tuple[type, QoSProfile]] = {
    CAMERA_TOPIC: (Image, SENSOR_QOS),
    AUDIO_TOPIC: (AudioDataStamped, SENSOR_QOS),
    AUDIO_INFO_TOPIC: (AudioInfo, LATCHED_QOS),
    TEXT_TOPIC: (String, SENSOR_QOS),
    **{topic: (WrenchStamped, SENSOR_QOS) for topic in WRENCH_TOPICS.values()},
    JOINT_STATES_TOPIC: (JointState, SENSOR_QOS),
    IMU_TOPIC: (Imu, SENSOR_QOS),
    GROUND_TRUTH_TOPIC: (String, TRUTH_QOS),
}
# The topics each stream sends (the camera's frames come with their ground truth).
STREAM_TOPICS: dict[str, tuple[str, ...]] = {
    'camera': (CAMERA_TOPIC, GROUND_TRUTH_TOPIC),
    'audio': (AUDIO_TOPIC, AUDIO_INFO_TOPIC),
    'text': (TEXT_TOPIC,),
    'touch': tuple(WRENCH_TOPICS.values()),
    'proprio': (JOINT_STATES_TOPIC, IMU_TOPIC),
}


def ground_truth_record(stamp_ns: int, truth,
                        scale: tuple[float, float] = (1.0, 1.0)) -> dict:
    """The JSON-able ground truth of one camera frame.

    Args:
        stamp_ns: the frame's stamp.
        truth: the episode's ``GroundTruth`` of the frame.
        scale: ``(x, y)`` factors from the rendered image to the published one.
    """
    situation = SITUATIONS[truth.situation] if truth.situation >= 0 else None
    boxes = np.asarray(truth.boxes, dtype=np.float64).reshape(-1, 4) * (scale + scale)
    target_box = boxes[truth.target].tolist() if truth.target >= 0 else None
    return {
        'stamp_ns': int(stamp_ns),
        'situation': situation,
        'action': ACTIONS[truth.action],
        'target_box': target_box,
        'boxes': boxes.tolist(),
        'classes': [OBJECT_CLASSES[c] for c in truth.classes],
    }


def check_streams(streams: Iterable[str]) -> tuple[str, ...]:
    """``streams`` as a tuple, after checking every name.

    Raises:
        ValueError: an unknown stream name.
    """
    streams = tuple(streams)
    unknown = sorted(set(streams) - set(STREAMS))
    if unknown:
        raise ValueError(f'unknown streams {unknown}; expected names from {STREAMS}')
    return streams


@dataclass(frozen=True)
class SimEvent:
    """One sensor event of a simulated timeline.

    Attributes:
        at_ns: when it happens, in ns since the timeline's start.
        kind: its stream (one of ``STREAMS``).
        payload: what the stream's message carries (audio samples, a wrench row, ...;
            ``None`` for a camera frame, which is rendered when built).
        episode: the episode it belongs to.
        t: its time on the episode's clock, in seconds.
    """

    at_ns: int
    kind: str
    payload: object
    episode: Episode
    t: float


def episode_events(episode: Episode, streams: Sequence[str] = STREAMS) -> list:
    """``(episode time, kind, payload)`` of every message of one episode, in time order."""
    rendered = episode.streams()
    events = []
    if 'camera' in streams:
        events += [(float(t), 'camera', None) for t in rendered.camera_stamps]
    if 'audio' in streams:
        chunk = int(round(AUDIO_CHUNK_S * rendered.audio_rate))
        for i in range(0, len(rendered.audio) - chunk + 1, chunk):
            events.append((rendered.audio_start + i / rendered.audio_rate, 'audio',
                           rendered.audio[i:i + chunk]))
    if 'touch' in streams:
        events += [(float(t), 'touch', row)
                   for t, row in zip(rendered.touch_stamps, rendered.touch)]
    if 'proprio' in streams:
        events += [(float(t), 'proprio', row)
                   for t, row in zip(rendered.proprio_stamps, rendered.proprio)]
    if 'text' in streams:
        events += [(float(t), 'text', text) for t, text in rendered.text_events]
    events.sort(key=lambda e: e[0])
    return events


def timeline(simulator: ScenarioSimulator, episodes: Iterable[int],
             streams: Sequence[str] = STREAMS) -> Iterator[SimEvent]:
    """The events of ``episodes`` played back to back on one timeline, in time order.

    Each episode starts where the previous one ended; its first event (speech may begin
    before the episode's time 0) is at the episode's start.
    """
    offset_s = 0.0
    for index in episodes:
        episode = simulator.episode(index)
        start = episode.start_time()
        for t, kind, payload in episode_events(episode, streams):
            yield SimEvent(int(round((offset_s + t - start) * 1e9)), kind, payload, episode, t)
        offset_s += episode.duration - start


def clock_message(stamp_ns: int) -> Clock:
    """The ``/clock`` message for simulated time ``stamp_ns``."""
    return Clock(clock=ns_to_stamp(stamp_ns))


class SimMessages:
    """Builds the messages of simulator events, the same way for DDS and for bags.

    ``AudioInfo`` is sent once before everything else (latched) and then again with the
    audio once a second, as a driver that repeats it would.

    Args:
        config: the simulator's configuration (joint names, audio rate).
        image_size: ``(width, height)`` the rendered frames are resized to (a larger
            camera, for benchmarks; ground-truth boxes follow); None sends them as rendered.
    """

    def __init__(self, config: SimConfig = SimConfig(),
                 image_size: Optional[tuple[int, int]] = None) -> None:
        if image_size is not None and min(image_size) < 1:
            raise ValueError(f'image_size must be positive (width, height), got {image_size}')
        self.image_size = image_size
        self.spec = config.spec
        self.audio_info = make_audio_info(sample_rate=self.spec.audio.sample_rate)
        self._last_info_ns: Optional[int] = None

    def start(self, stamp_ns: int, streams: Sequence[str] = STREAMS) -> list:
        """``(topic, message)`` pairs to send before the first event, at ``stamp_ns``."""
        self._last_info_ns = stamp_ns
        return [(AUDIO_INFO_TOPIC, self.audio_info)] if 'audio' in streams else []

    def build(self, event: SimEvent, stamp_ns: int) -> list:
        """``(topic, message)`` pairs of one event, stamped ``stamp_ns``, in sending order.

        A camera event renders the frame and gives its ground truth record (a JSON
        ``std_msgs/String`` on ``GROUND_TRUTH_TOPIC``) after the image.
        """
        kind, payload = event.kind, event.payload
        if kind == 'camera':
            frame = event.episode.frame(event.t)
            header = make_header(stamp_ns, CAMERA_FRAME)
            truth = event.episode.truth(event.t, frame)
            image, scale = self._resized(frame.image)
            record = json.dumps(ground_truth_record(stamp_ns, truth, scale))
            return [(CAMERA_TOPIC, array_to_image(image, 'rgb8', header=header)),
                    (GROUND_TRUTH_TOPIC, String(data=record))]
        if kind == 'audio':
            out = []
            if self._last_info_ns is None or stamp_ns - self._last_info_ns >= 1e9:
                out.append((AUDIO_INFO_TOPIC, self.audio_info))
                self._last_info_ns = stamp_ns
            out.append((AUDIO_TOPIC, array_to_audio(
                payload, self.audio_info, header=make_header(stamp_ns, 'microphone'))))
            return out
        if kind == 'touch':
            return [(WRENCH_TOPICS[wrist], array_to_wrench(
                        payload[i * WRENCH_FEATURES:(i + 1) * WRENCH_FEATURES],
                        header=make_header(stamp_ns, f'{wrist}_wrist')))
                    for i, wrist in enumerate(WRISTS)]
        if kind == 'proprio':
            joints = self.spec.proprio.joints
            return [
                (JOINT_STATES_TOPIC, arrays_to_joint_state(
                    payload[:joints], payload[joints:2 * joints],
                    joint_names=self.spec.joint_names,
                    header=make_header(stamp_ns, 'base_link'))),
                (IMU_TOPIC, array_to_imu(payload[2 * joints:],
                                         header=make_header(stamp_ns, 'imu_link'))),
            ]
        if kind == 'text':
            return [(TEXT_TOPIC, String(data=payload))]
        raise ValueError(f'unknown event kind {kind!r}; expected one of {STREAMS}')

    def _resized(self, image: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
        """The frame at ``image_size`` and the ``(x, y)`` scale from the rendered one."""
        height, width = image.shape[:2]
        if self.image_size is None or self.image_size == (width, height):
            return image, (1.0, 1.0)
        w, h = self.image_size
        return (cv2.resize(image, (w, h), interpolation=cv2.INTER_LINEAR),
                (w / width, h / height))
