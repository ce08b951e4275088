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
``use_sim_time:=true``. ``--streams`` limits which sensors this process publishes (e.g. two
processes, one of them only ``touch``, so a test can kill one sensor mid-run); ``--start-ns``
lets such processes share one timeline.

The messages are built by :mod:`multimodal_fusion.ros.sim_messages`, as in the bags
``bag_recorder`` writes from the simulator.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import threading
import time
from typing import Optional, Sequence

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rosgraph_msgs.msg import Clock

from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import StopSignal
# Re-exported: the recorder, the demo and the tests import these names from here.
from multimodal_fusion.ros.sim_messages import CAMERA_FRAME  # noqa: F401
from multimodal_fusion.ros.sim_messages import CAMERA_TOPIC
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS
from multimodal_fusion.ros.sim_messages import CLOCK_TOPIC
from multimodal_fusion.ros.sim_messages import ground_truth_record  # noqa: F401
from multimodal_fusion.ros.sim_messages import GROUND_TRUTH_TOPIC  # noqa: F401
from multimodal_fusion.ros.sim_messages import SIM_TIME_ORIGIN_NS
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_messages import STREAMS
from multimodal_fusion.ros.sim_messages import timeline
from multimodal_fusion.ros.sim_messages import TOPICS
from multimodal_fusion.ros.sim_messages import TRUTH_QOS  # noqa: F401
from multimodal_fusion.ros.sim_messages import WRENCH_TOPICS
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.spec import WRISTS


class SimPublisher(Node):
    """Publishes simulator episodes in real time (see the module docstring).

    The messages come from :class:`~multimodal_fusion.ros.sim_messages.SimMessages`, the
    same builder the bag recorder writes with.
    """

    def __init__(self, *, seed: int, episodes: int, first_episode: int = 0,
                 streams: Sequence[str] = STREAMS, start_ns: Optional[int] = None,
                 clock: bool = False, config: SimConfig = SimConfig()) -> None:
        super().__init__('sim_publisher')
        self.simulator = ScenarioSimulator(seed, config)
        self.episodes = range(first_episode, first_episode + episodes)
        self.streams = frozenset(streams)
        self.start_ns = start_ns
        self.messages = SimMessages(config)
        self.pub = {topic: self.create_publisher(msg_type, topic, qos)
                    for topic, (msg_type, qos) in TOPICS.items()}
        self.pub_clock = (self.create_publisher(Clock, CLOCK_TOPIC, CLOCK_QOS) if clock
                          else None)
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
        streams = [s for s in STREAMS if s in self.streams]
        # The first episode is generated before the clock starts: otherwise its seconds of
        # generation made the first frames late, then sent them in a burst.
        events = timeline(self.simulator, self.episodes, streams)
        first = next(events, None)
        wall_base = self.start_ns if self.start_ns is not None else wall.now().nanoseconds
        stamp_base = SIM_TIME_ORIGIN_NS if self.pub_clock is not None else wall_base
        for topic, msg in self.messages.start(stamp_base, streams):
            self.pub[topic].publish(msg)
        last_clock_ns = -1
        for event in itertools.chain([first] if first is not None else [], events):
            delay = (wall_base + event.at_ns - wall.now().nanoseconds) / 1e9
            if delay > 0 and self.stop.wait(delay):
                return
            if self.stop.is_set():
                return
            stamp_ns = stamp_base + event.at_ns
            if self.pub_clock is not None and stamp_ns > last_clock_ns:
                self.pub_clock.publish(clock_message(stamp_ns))
                last_clock_ns = stamp_ns
            for topic, msg in self.messages.build(event, stamp_ns):
                self.pub[topic].publish(msg)
            if event.kind == 'camera':
                self.frames_published += 1


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
        publisher = node.pub[CAMERA_TOPIC if 'camera' in streams else WRENCH_TOPICS[WRISTS[0]]]
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
