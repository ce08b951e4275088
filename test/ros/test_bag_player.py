# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""The bag player over DDS: order, recorded bytes and QoS, rate, start offset, loop, clock.

The player and a subscriber run in this process on a small bag written here (strings and
``/clock`` only, so the tests take seconds).
"""

import threading
import time

import pytest
import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rclpy.qos import DurabilityPolicy
from rclpy.qos import QoSProfile
from rclpy.qos import ReliabilityPolicy
from rclpy.serialization import serialize_message
from rosgraph_msgs.msg import Clock
from std_msgs.msg import String

from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_io import serialize
from multimodal_fusion.ros.bag_player import BagPlayer
from multimodal_fusion.ros.bag_player import main as player_main
from multimodal_fusion.ros.conversions import stamp_to_ns
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS

pytestmark = [pytest.mark.dds]

S = 10**9
ORIGIN = 1000 * S
STEP = 20_000_000  # 20 ms between messages
COUNT = 50  # one second of bag
VOLATILE = QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE)
LATCHED = QoSProfile(depth=1, reliability=ReliabilityPolicy.RELIABLE,
                     durability=DurabilityPolicy.TRANSIENT_LOCAL)


@pytest.fixture(scope='module')
def bag(tmp_path_factory):
    """``/data`` every 20 ms for 1 s, ``/info`` (latched) every 0.25 s, ``/clock``."""
    path = tmp_path_factory.mktemp('player') / 'bag'
    with BagWriter(path) as writer:
        writer.add_topic('/data', String, VOLATILE)
        writer.add_topic('/info', String, LATCHED)
        writer.add_topic('/clock', Clock, CLOCK_QOS)
        for i in range(COUNT):
            t = ORIGIN + i * STEP
            writer.write('/clock', clock_message(t), t)
            if i % 12 == 0:
                writer.write('/info', String(data=f'info {i}'), t)
            writer.write('/data', String(data=f'data {i}'), t)
    return path


@pytest.fixture
def ros():
    rclpy.init()
    try:
        yield
    finally:
        rclpy.try_shutdown()


class Listener:
    """Subscribes in a background thread; keeps ``(wall time, payload)`` per topic."""

    def __init__(self, topics: dict, *, raw: bool = False) -> None:
        self.node = Node('bag_player_listener')
        self.got = {name: [] for name in topics}
        self.lock = threading.Lock()
        for name, (msg_type, qos) in topics.items():
            self.node.create_subscription(msg_type, name, self._keep(name), qos, raw=raw)
        self.executor = SingleThreadedExecutor()
        self.executor.add_node(self.node)
        self.thread = threading.Thread(target=self.executor.spin, daemon=True)
        self.thread.start()

    def _keep(self, name: str):
        def keep(msg) -> None:
            with self.lock:
                self.got[name].append((time.monotonic(), msg))
        return keep

    def payloads(self, name: str) -> list:
        with self.lock:
            return [m for _, m in self.got[name]]

    def times(self, name: str) -> list:
        with self.lock:
            return [t for t, _ in self.got[name]]

    def close(self) -> None:
        self.executor.shutdown()
        self.node.destroy_node()


def wait_until(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def test_plays_the_recorded_bytes_in_order_with_the_recorded_qos(ros, bag):
    listener = Listener({'/data': (String, VOLATILE), '/clock': (Clock, CLOCK_QOS)},
                        raw=True)
    player = BagPlayer(bag)
    try:
        assert player.wait_for_subscribers(0.2) is False  # nobody listens to /info yet
        assert player.wait_for_subscribers(10.0, ['/data', '/clock'])
        assert player.play() is True
        assert wait_until(lambda: len(listener.payloads('/data')) == COUNT)
        expected = [serialize(String(data=f'data {i}')) for i in range(COUNT)]
        assert listener.payloads('/data') == expected
        assert len(listener.payloads('/clock')) == COUNT
        # Spaced as recorded: about a second for a second of bag (generous bounds).
        times = listener.times('/data')
        assert 0.5 < times[-1] - times[0] < 5.0
        # The latched topic is offered transient local: a late subscriber gets its newest.
        offered = player.publishers_by_topic['/info'].qos_profile
        assert offered.durability == DurabilityPolicy.TRANSIENT_LOCAL
        assert offered.depth == 1
        late = Listener({'/info': (String, LATCHED)})
        try:
            assert wait_until(lambda: late.payloads('/info'))
            assert late.payloads('/info') == [String(data='info 48')]
        finally:
            late.close()
    finally:
        player.destroy_node()
        listener.close()


def test_rate_and_start_offset(ros, bag):
    listener = Listener({'/data': (String, VOLATILE), '/info': (String, LATCHED)})
    # Half the bag skipped, four times as fast: 25 messages in about 0.12 s.
    player = BagPlayer(bag, rate=4.0, start_offset_s=0.5)
    try:
        assert player.wait_for_subscribers(10.0, ['/data', '/info'])
        started = time.monotonic()
        assert player.play() is True
        assert time.monotonic() - started < 0.45 / 4 + 0.5
        assert wait_until(lambda: len(listener.payloads('/data')) == COUNT // 2)
        assert listener.payloads('/data')[0].data == f'data {COUNT // 2}'
        # The latched sample current at the offset (0.48 s) comes first, then 0.72 s's.
        infos = [m.data for m in listener.payloads('/info')]
        assert infos == ['info 24', 'info 36', 'info 48']
    finally:
        player.destroy_node()
        listener.close()


def test_loop_plays_again_until_stopped(ros, bag):
    listener = Listener({'/clock': (Clock, CLOCK_QOS)})
    stop = threading.Event()
    player = BagPlayer(bag, rate=5.0, loop=True, topics=['/clock'], stop=stop)
    result = []
    thread = threading.Thread(target=lambda: result.append(player.play()))
    try:
        assert player.wait_for_subscribers(10.0)
        thread.start()
        assert wait_until(lambda: len(listener.payloads('/clock')) > 2 * COUNT + 5)
        stop.set()
        thread.join(timeout=5)
        assert result == [False]
        # Each pass starts the clock over: time jumps back, as with a looping bag.
        stamps = [stamp_to_ns(m.clock) for m in listener.payloads('/clock')]
        assert sum(b < a for a, b in zip(stamps, stamps[1:])) >= 2
    finally:
        stop.set()
        player.destroy_node()
        listener.close()


def test_clock_option_publishes_the_bag_time_instead_of_the_recorded_clock(ros, bag):
    listener = Listener({'/clock': (Clock, CLOCK_QOS)})
    player = BagPlayer(bag, topics=['/data', '/clock'], clock_hz=100.0)
    try:
        assert '/clock' not in player.publishers_by_topic
        assert player.wait_for_subscribers(10.0, ['/clock'])
        assert player.play() is True
        assert wait_until(lambda: len(listener.payloads('/clock')) >= COUNT)
        stamps = [stamp_to_ns(m.clock) for m in listener.payloads('/clock')]
        assert stamps == sorted(stamps)
        assert ORIGIN <= stamps[0] and stamps[-1] <= ORIGIN + COUNT * STEP
    finally:
        player.destroy_node()
        listener.close()


def test_refuses_a_topic_the_bag_lacks_and_a_folder_that_is_no_bag(ros, bag, tmp_path):
    with pytest.raises(ValueError, match='not in'):
        BagPlayer(bag, topics=['/camera/image_raw'])
    with pytest.raises(ValueError, match='rate'):
        BagPlayer(bag, rate=0.0)
    with pytest.raises(SystemExit) as exc:
        player_main([str(tmp_path)])
    assert exc.value.code == 2


def test_recorded_bytes_equal_rclpy_serialisation_for_plain_types():
    # (Padding aside, which these types have none of, rosbags writes the bytes rclpy would.)
    msg = String(data='data 3')
    assert serialize(msg) == bytes(serialize_message(msg))
