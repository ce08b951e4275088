# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Play simulated episodes onto the robot's sensor topics at their real rates.

    python -m multimodal_fusion.ros.sim_publisher --seed 7 --episodes 4

Publishes what a humanoid's drivers would: camera ``sensor_msgs/Image`` (rgb8, 30 Hz), audio
``AudioDataStamped`` in 20 ms S16LE chunks with ``AudioInfo`` once a second, wrist
``WrenchStamped`` (200 Hz each), ``JointState`` and ``Imu`` (100 Hz), and the recognised
command on ``speech/text`` when the speaker finishes. Stamps are the publisher's clock at
playback, so episodes follow each other on one continuous timeline.

It also publishes, for the demo and the tests, the ground truth of every camera frame on
``sim/ground_truth`` (``std_msgs/String``, one JSON object keyed by the frame's stamp).

``--clock`` stamps in simulated time and publishes ``/clock``, for a node started with
``use_sim_time:=true``. ``--streams`` limits which sensors this process publishes (e.g. two processes, one of them
only ``touch``, so a test can kill one sensor mid-run); ``--start-ns`` lets such processes
share one timeline.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Optional, Sequence

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy

from audio_common_msgs.msg import AudioDataStamped
from audio_common_msgs.msg import AudioInfo
from geometry_msgs.msg import WrenchStamped
from sensor_msgs.msg import Image
from sensor_msgs.msg import Imu
from sensor_msgs.msg import JointState
from rosgraph_msgs.msg import Clock
from std_msgs.msg import String

from multimodal_fusion.ros.conversions import array_to_audio
from multimodal_fusion.ros.conversions import array_to_image
from multimodal_fusion.ros.conversions import array_to_imu
from multimodal_fusion.ros.conversions import array_to_wrench
from multimodal_fusion.ros.conversions import arrays_to_joint_state
from multimodal_fusion.ros.conversions import make_audio_info
from multimodal_fusion.ros.conversions import make_header
from multimodal_fusion.ros.conversions import ns_to_stamp
from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import StopSignal
from multimodal_fusion.sim import ACTIONS
from multimodal_fusion.sim import OBJECT_CLASSES
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.sim import SITUATIONS
from multimodal_fusion.spec import WRENCH_FEATURES
from multimodal_fusion.spec import WRISTS

STREAMS = ('camera', 'audio', 'text', 'touch', 'proprio')
GROUND_TRUTH_TOPIC = 'sim/ground_truth'
AUDIO_CHUNK_S = 0.02
CAMERA_FRAME = 'head_camera'
TRUTH_QOS = QoSProfile(depth=5000, reliability=ReliabilityPolicy.RELIABLE,
                       durability=DurabilityPolicy.TRANSIENT_LOCAL)
# Simulated time starts here with --clock (1000 s: far from any wall-clock stamp).
SIM_TIME_ORIGIN_NS = 1_000_000_000_000


def ground_truth_record(stamp_ns: int, truth) -> dict:
    """The JSON-able ground truth of one camera frame."""
    situation = SITUATIONS[truth.situation] if truth.situation >= 0 else None
    target_box = truth.boxes[truth.target].tolist() if truth.target >= 0 else None
    return {
        'stamp_ns': int(stamp_ns),
        'situation': situation,
        'action': ACTIONS[truth.action],
        'target_box': target_box,
        'boxes': truth.boxes.tolist(),
        'classes': [OBJECT_CLASSES[c] for c in truth.classes],
    }


class SimPublisher(Node):
    """Publishes simulator episodes in real time (see the module docstring)."""

    def __init__(self, *, seed: int, episodes: int, first_episode: int = 0,
                 streams: Sequence[str] = STREAMS, start_ns: Optional[int] = None,
                 clock: bool = False, config: SimConfig = SimConfig()) -> None:
        super().__init__('sim_publisher')
        self.simulator = ScenarioSimulator(seed, config)
        self.episodes = range(first_episode, first_episode + episodes)
        self.streams = frozenset(streams)
        self.start_ns = start_ns
        spec = config.spec
        sensor = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
        latched = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                             durability=DurabilityPolicy.TRANSIENT_LOCAL)
        self.audio_info = make_audio_info(sample_rate=spec.audio.sample_rate)
        self.pub_camera = self.create_publisher(Image, 'camera/image_raw', sensor)
        self.pub_audio = self.create_publisher(AudioDataStamped, 'audio/audio_stamped', sensor)
        self.pub_info = self.create_publisher(AudioInfo, 'audio/audio_info', latched)
        self.pub_text = self.create_publisher(String, 'speech/text', sensor)
        self.pub_wrench = {w: self.create_publisher(WrenchStamped, f'wrist/{w}/wrench', sensor)
                           for w in WRISTS}
        self.pub_joints = self.create_publisher(JointState, 'joint_states', sensor)
        self.pub_imu = self.create_publisher(Imu, 'imu/data', sensor)
        # Transient local: a recorder whose discovery finishes late still gets every frame's
        # ground truth (the node's outputs for those frames may already be on their way).
        self.pub_truth = self.create_publisher(String, GROUND_TRUTH_TOPIC, TRUTH_QOS)
        self.pub_clock = self.create_publisher(Clock, '/clock', 10) if clock else None
        self.frames_published = 0
        self.stop = threading.Event()

    def play(self) -> None:
        """Play every episode back to back in real time; blocks until done.

        Messages are sent when the wall clock reaches their time, so processes given the
        same ``start_ns`` share one timeline whenever each of them started. With ``clock``
        the stamps are simulated time from ``SIM_TIME_ORIGIN_NS`` and ``/clock`` carries it
        (for nodes run with ``use_sim_time``); otherwise they are the wall-clock times.
        """
        wall = self.get_clock()
        wall_base = self.start_ns if self.start_ns is not None else wall.now().nanoseconds
        stamp_base = SIM_TIME_ORIGIN_NS if self.pub_clock is not None else wall_base
        offset_s = 0.0
        if 'audio' in self.streams:
            self.pub_info.publish(self.audio_info)
        last_info_ns = stamp_base
        last_clock_ns = -1
        for index in self.episodes:
            episode = self.simulator.episode(index)
            start = episode.start_time()
            for t, kind, payload in self._events(episode):
                at_ns = int(round((offset_s + t - start) * 1e9))
                delay = (wall_base + at_ns - wall.now().nanoseconds) / 1e9
                if delay > 0 and self.stop.wait(delay):
                    return
                if self.stop.is_set():
                    return
                stamp_ns = stamp_base + at_ns
                if self.pub_clock is not None and stamp_ns > last_clock_ns:
                    self.pub_clock.publish(Clock(clock=ns_to_stamp(stamp_ns)))
                    last_clock_ns = stamp_ns
                if kind == 'audio' and stamp_ns - last_info_ns >= 1e9:
                    self.pub_info.publish(self.audio_info)
                    last_info_ns = stamp_ns
                self._publish(kind, payload, stamp_ns, episode, t)
            offset_s += episode.duration - start

    def _events(self, episode) -> list:
        """``(episode time, kind, payload)`` of every message of one episode, in time order."""
        streams = episode.streams()
        events = []
        if 'camera' in self.streams:
            events += [(float(t), 'camera', None) for t in streams.camera_stamps]
        if 'audio' in self.streams:
            chunk = int(round(AUDIO_CHUNK_S * streams.audio_rate))
            for i in range(0, len(streams.audio) - chunk + 1, chunk):
                events.append((streams.audio_start + i / streams.audio_rate, 'audio',
                               streams.audio[i:i + chunk]))
        if 'touch' in self.streams:
            events += [(float(t), 'touch', row)
                       for t, row in zip(streams.touch_stamps, streams.touch)]
        if 'proprio' in self.streams:
            events += [(float(t), 'proprio', row)
                       for t, row in zip(streams.proprio_stamps, streams.proprio)]
        if 'text' in self.streams:
            events += [(float(t), 'text', text) for t, text in streams.text_events]
        events.sort(key=lambda e: e[0])
        return events

    def _publish(self, kind: str, payload, stamp_ns: int, episode, t: float) -> None:
        if kind == 'camera':
            frame = episode.frame(t)
            header = make_header(stamp_ns, CAMERA_FRAME)
            self.pub_camera.publish(array_to_image(frame.image, 'rgb8', header=header))
            truth = episode.truth(t, frame)
            self.pub_truth.publish(String(data=json.dumps(ground_truth_record(stamp_ns,
                                                                              truth))))
            self.frames_published += 1
        elif kind == 'audio':
            self.pub_audio.publish(array_to_audio(payload, self.audio_info,
                                                  header=make_header(stamp_ns, 'microphone')))
        elif kind == 'touch':
            for i, wrist in enumerate(WRISTS):
                values = payload[i * WRENCH_FEATURES:(i + 1) * WRENCH_FEATURES]
                self.pub_wrench[wrist].publish(array_to_wrench(
                    values, header=make_header(stamp_ns, f'{wrist}_wrist')))
        elif kind == 'proprio':
            spec = self.simulator.config.spec
            joints = spec.proprio.joints
            self.pub_joints.publish(arrays_to_joint_state(
                payload[:joints], payload[joints:2 * joints], joint_names=spec.joint_names,
                header=make_header(stamp_ns, 'base_link')))
            self.pub_imu.publish(array_to_imu(payload[2 * joints:],
                                              header=make_header(stamp_ns, 'imu_link')))
        elif kind == 'text':
            self.pub_text.publish(String(data=payload))


def total_duration_s(seed: int, episodes: int, first_episode: int = 0,
                     config: SimConfig = SimConfig()) -> float:
    """How long playing these episodes takes."""
    simulator = ScenarioSimulator(seed, config)
    total = 0.0
    for index in range(first_episode, first_episode + episodes):
        episode = simulator.episode(index)
        total += episode.duration - episode.start_time()
    return total


def _spin_until(executor: SingleThreadedExecutor, stop: threading.Event) -> None:
    while not stop.is_set() and rclpy.ok():
        executor.spin_once(timeout_sec=0.1)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=7, help='simulator seed')
    parser.add_argument('--episodes', type=int, default=4, help='episodes to play')
    parser.add_argument('--first-episode', type=int, default=0, help='index of the first')
    parser.add_argument('--streams', default=','.join(STREAMS),
                        help=f'comma-separated subset of {",".join(STREAMS)}')
    parser.add_argument('--start-ns', type=int, default=None,
                        help='timeline origin (ns on the publisher clock) shared by processes')
    parser.add_argument('--clock', action='store_true',
                        help='stamp in simulated time and publish it on /clock '
                             '(for nodes with use_sim_time)')
    parser.add_argument('--wait-for-subscribers', type=float, default=0.0,
                        help='seconds to wait for a camera subscriber before playing')
    args, ros_args = parser.parse_known_args(argv)
    streams = [s for s in args.streams.split(',') if s]
    unknown = sorted(set(streams) - set(STREAMS))
    if unknown or args.episodes < 1:
        parser.error(f'unknown streams {unknown}' if unknown else '--episodes must be >= 1')
    init_ros(ros_args)
    node = SimPublisher(seed=args.seed, episodes=args.episodes,
                        first_episode=args.first_episode, streams=streams,
                        start_ns=args.start_ns, clock=args.clock)
    # A signal sets node.stop, which play() waits on; the spin thread ends before the node
    # is destroyed and rclpy shut down (it used to abort with 'terminate called without an
    # active exception').
    stop = StopSignal(node.stop)
    executor = SingleThreadedExecutor()
    executor.add_node(node)
    spinner = threading.Thread(target=_spin_until, args=(executor, node.stop), daemon=True)
    spinner.start()
    try:
        deadline = time.monotonic() + args.wait_for_subscribers
        publisher = node.pub_camera if 'camera' in streams else node.pub_wrench[WRISTS[0]]
        while (time.monotonic() < deadline and publisher.get_subscription_count() == 0
               and not node.stop.is_set()):
            time.sleep(0.05)
        node.play()
        # Let reliable queues drain before the process goes.
        node.stop.wait(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        node.stop.set()
        spinner.join(timeout=5.0)
        executor.shutdown(timeout_sec=1.0)
        node.destroy_node()
        shutdown_ros()
        stop.restore()
    return 0


if __name__ == '__main__':
    sys.exit(main())
