# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Play a rosbag2 bag onto DDS: every topic with its recorded QoS, in receive-time order.

    python -m multimodal_fusion.ros.bag_player test/data/bags/normal --rate 0.5 --loop

What ``ros2 bag play`` does, for machines without rosbag2: messages go out in the order
they were received when recorded, spaced as they were (divided by ``--rate``), as the
recorded bytes (nothing is deserialised). Each topic is offered with the QoS its recorded
publishers offered (reliability, durability, depth), so a latched topic is latched again.
A recorded ``/clock`` is played like any topic: a node with ``use_sim_time:=true``
follows it. For a bag without one, ``--clock 100`` publishes the bag's receive time on
``/clock`` (at 100 Hz and with every message) instead.

``--start-offset`` skips the bag's first seconds (the newest sample of each latched topic
before that point is still sent first); ``--loop`` plays it again and again (the stamps
then jump back at each start, as they do on a robot playing a looping bag). Remap topics
with ROS arguments: ``--ros-args -r /camera/image_raw:=/head/image_raw``.

SIGINT and SIGTERM stop it with exit code 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path
import sys
import threading
import time
from typing import Optional
from typing import Sequence

from rclpy.node import Node
from rosgraph_msgs.msg import Clock

from multimodal_fusion.ros.bag_io import bag_start_ns
from multimodal_fusion.ros.bag_io import bag_topics
from multimodal_fusion.ros.bag_io import message_type
from multimodal_fusion.ros.bag_io import qos_from_bag
from multimodal_fusion.ros.bag_io import read_messages
from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import StopSignal
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS
from multimodal_fusion.ros.sim_messages import CLOCK_TOPIC


class BagPlayer(Node):
    """Publishes the messages of one bag (see the module docstring).

    Args:
        bag: the bag's folder.
        rate: playback speed factor (2.0: twice as fast).
        start_offset_s: seconds of the bag to skip.
        loop: start again at the end, until stopped.
        topics: play only these topics (all when ``None``).
        clock_hz: publish the bag's receive time on ``/clock`` at this rate, instead of a
            recorded ``/clock`` (0: play the bag's ``/clock``, if it has one).
        stop: set it to stop playing (a signal handler does).

    Raises:
        ValueError: a bad rate, offset or topic name.
        ImportError: a topic's message package is not installed.
    """

    def __init__(self, bag: Path, *, rate: float = 1.0, start_offset_s: float = 0.0,
                 loop: bool = False, topics: Optional[Sequence[str]] = None,
                 clock_hz: float = 0.0, stop: Optional[threading.Event] = None) -> None:
        super().__init__('bag_player')
        if rate <= 0 or start_offset_s < 0 or clock_hz < 0:
            raise ValueError(f'rate={rate}, start_offset_s={start_offset_s}, '
                             f'clock_hz={clock_hz}; expected rate > 0 and the others >= 0')
        self.bag = Path(bag)
        self.rate = rate
        self.loop = loop
        self.clock_hz = clock_hz
        self.stop = stop if stop is not None else threading.Event()
        recorded = bag_topics(self.bag)
        unknown = sorted(set(topics or ()) - {t.name for t in recorded})
        if unknown:
            raise ValueError(f'topics {unknown} are not in {self.bag}; it has '
                             f'{[t.name for t in recorded]}')
        self.topics = [t for t in recorded if (topics is None or t.name in topics)
                       and not (clock_hz and t.name == CLOCK_TOPIC)]
        self.publishers_by_topic = {
            t.name: self.create_publisher(message_type(t.type_name), t.name,
                                          qos_from_bag(t.offers))
            for t in self.topics}
        self.latched = {t.name for t in self.topics if t.latched}
        self.pub_clock = (self.create_publisher(Clock, CLOCK_TOPIC, CLOCK_QOS) if clock_hz
                          else None)
        self.bag_start_ns = bag_start_ns(self.bag)
        self.start_ns = self.bag_start_ns + int(round(start_offset_s * 1e9))
        self.published = 0

    def wait_for_subscribers(self, timeout_s: float,
                             topics: Optional[Sequence[str]] = None) -> bool:
        """Wait, at most ``timeout_s``, until every topic has a subscriber.

        Args:
            timeout_s: how long to wait.
            topics: only these topics need one (all when ``None``).

        Returns:
            True when they all have one.
        """
        deadline = time.monotonic() + timeout_s
        pubs = [p for name, p in self.publishers_by_topic.items()
                if topics is None or name in topics]
        if self.pub_clock is not None and (topics is None or CLOCK_TOPIC in topics):
            pubs.append(self.pub_clock)
        while not self.stop.is_set():
            if all(p.get_subscription_count() > 0 for p in pubs):
                return True
            if time.monotonic() >= deadline:
                return False
            self.stop.wait(0.05)
        return False

    def play(self) -> bool:
        """Play the bag (again and again with ``loop``); False when stopped before the end."""
        while self._play_once():
            if not self.loop:
                return True
        return False

    def _publish_clock(self, bag_ns: int) -> None:
        self.pub_clock.publish(clock_message(bag_ns))

    def _wait_until(self, wall_target: float, wall0: float) -> bool:
        """Sleep until ``wall_target`` (monotonic), ticking ``/clock``; False if stopped."""
        period = 1.0 / self.clock_hz if self.pub_clock is not None else None
        while True:
            now = time.monotonic()
            if now >= wall_target:
                return not self.stop.is_set()
            if self.pub_clock is not None:
                self._publish_clock(self.start_ns + int((now - wall0) * self.rate * 1e9))
            step = wall_target - now if period is None else min(period, wall_target - now)
            if self.stop.wait(step):
                return False

    def _play_once(self) -> bool:
        names = list(self.publishers_by_topic)
        if self.start_ns > self.bag_start_ns and self.latched:
            # The newest sample of each latched topic before the offset goes out first.
            newest = {}
            for m in read_messages(self.bag, sorted(self.latched)):
                if m.log_time_ns >= self.start_ns:
                    break
                newest[m.topic] = m
            for m in newest.values():
                self.publishers_by_topic[m.topic].publish(m.data)
        wall0 = time.monotonic()
        for m in read_messages(self.bag, names, start_ns=self.start_ns):
            target = wall0 + (m.log_time_ns - self.start_ns) / 1e9 / self.rate
            if not self._wait_until(target, wall0):
                return False
            if self.pub_clock is not None:
                self._publish_clock(m.log_time_ns)
            self.publishers_by_topic[m.topic].publish(m.data)
            self.published += 1
        return not self.stop.is_set()


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('bag', type=Path, help='the bag folder (with metadata.yaml)')
    parser.add_argument('--rate', type=float, default=1.0, help='playback speed factor')
    parser.add_argument('--start-offset', type=float, default=0.0,
                        help='seconds of the bag to skip')
    parser.add_argument('--loop', action='store_true', help='play it again and again')
    parser.add_argument('--topics', default='',
                        help='comma-separated topics to play (default: all)')
    parser.add_argument('--clock', type=float, nargs='?', const=100.0, default=0.0,
                        metavar='HZ', help='publish the bag time on /clock at HZ (100) '
                                           'instead of a recorded /clock')
    parser.add_argument('--wait-for-subscribers', type=float, default=0.0, metavar='S',
                        help='wait up to S seconds for a subscriber on every topic')
    args, ros_args = parser.parse_known_args(argv)
    if not (args.bag / 'metadata.yaml').is_file():
        parser.error(f'{args.bag} is not a rosbag2 bag (no metadata.yaml)')
    topics = [t for t in args.topics.split(',') if t] or None
    init_ros(ros_args)
    stop = StopSignal()
    node = None
    code = 0
    try:
        node = BagPlayer(args.bag, rate=args.rate, start_offset_s=args.start_offset,
                         loop=args.loop, topics=topics, clock_hz=args.clock, stop=stop.event)
        if args.wait_for_subscribers > 0:
            node.wait_for_subscribers(args.wait_for_subscribers)
        started = time.monotonic()
        finished = node.play()
        if finished:
            # Let reliable queues drain before the process goes.
            stop.wait(0.5)
        print(f'{"played" if finished else "stopped after"} {node.published} messages of '
              f'{args.bag} in {time.monotonic() - started:.1f} s', flush=True)
    except (ValueError, ImportError) as exc:
        print(f'bag_player: {exc}', file=sys.stderr, flush=True)
        code = 1
    except KeyboardInterrupt:
        pass
    finally:
        if node is not None:
            node.destroy_node()
        shutdown_ros()
        stop.restore()
    return code


if __name__ == '__main__':
    sys.exit(main())
