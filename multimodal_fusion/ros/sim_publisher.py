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

``--separate-episodes`` lets each episode's sensors run alone before its first camera frame,
as long as it takes for the previous episode to leave the node's windows (the longest
window) and for its command to age out (``TextSpec.max_age_s`` after it was said): the
windows of every frame then hold its own episode only, as the simulator's training windows
do (:func:`playback_timeline`). The demo plays this way, so what the node publishes can be
compared frame by frame with the model on ``Episode.window``.

``--clock`` stamps in simulated time and publishes ``/clock``, for a node started with
``use_sim_time:=true``. ``--streams`` limits which sensors this process publishes (e.g. two
processes, one of them only ``touch``, so a test can kill one sensor mid-run); ``--start-ns``
lets such processes share one timeline.

The messages are built by :mod:`multimodal_fusion.ros.sim_messages`, as in the bags
``bag_recorder`` writes from the simulator.
"""

from __future__ import annotations

import argparse
from fractions import Fraction
import itertools
import math
import sys
import threading
import time
from typing import Iterable, Iterator, Optional, Sequence

import rclpy
from rclpy.executors import SingleThreadedExecutor
from rclpy.node import Node
from rosgraph_msgs.msg import Clock

from multimodal_fusion.ros.shutdown import init_ros
from multimodal_fusion.ros.shutdown import shutdown_ros
from multimodal_fusion.ros.shutdown import StopSignal
from multimodal_fusion.ros.sim_messages import AUDIO_CHUNK_S
# Re-exported: the recorder, the demo and the tests import these names from here.
from multimodal_fusion.ros.sim_messages import CAMERA_FRAME  # noqa: F401
from multimodal_fusion.ros.sim_messages import CAMERA_TOPIC
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS
from multimodal_fusion.ros.sim_messages import CLOCK_TOPIC
from multimodal_fusion.ros.sim_messages import episode_events
from multimodal_fusion.ros.sim_messages import ground_truth_record  # noqa: F401
from multimodal_fusion.ros.sim_messages import GROUND_TRUTH_TOPIC  # noqa: F401
from multimodal_fusion.ros.sim_messages import SIM_TIME_ORIGIN_NS
from multimodal_fusion.ros.sim_messages import SimEvent
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_messages import STREAMS
from multimodal_fusion.ros.sim_messages import timeline
from multimodal_fusion.ros.sim_messages import TOPICS
from multimodal_fusion.ros.sim_messages import TRUTH_QOS  # noqa: F401
from multimodal_fusion.ros.sim_messages import WRENCH_TOPICS
from multimodal_fusion.sim import Episode
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig
from multimodal_fusion.spec import ModalitySpec
from multimodal_fusion.spec import WRISTS
from multimodal_fusion.tools.arguments import image_size_arg

# Added to the longest window and to how long a command takes to age out (its way to the
# node): the camera's pause between episodes is then also more than a second, which the
# node's diagnostics read as a pause rather than frames lost in transport.
LEAD_IN_MARGIN_S = 0.25
# An event sent this much after its time is counted late.
LATE_S = 0.02
# The line the publisher prints with the stamp of its timeline's time 0.
STAMP_BASE_PREFIX = '[sim_publisher] stamp base (ns): '


def read_stamp_base(log_text: str) -> Optional[int]:
    """The stamp base a publisher printed (its log's text), None if it printed none."""
    for line in log_text.splitlines():
        if line.startswith(STAMP_BASE_PREFIX):
            return int(line[len(STAMP_BASE_PREFIX):])
    return None


def lead_in_s(spec: ModalitySpec, commands_before_end_s: Sequence[float] = ()) -> float:
    """How long an episode's sensors run before its first camera frame (separated playback).

    Long enough for the longest window to hold nothing of the previous episode, and for
    the previous episode's commands to have aged out of the node.

    Args:
        spec: the windows and how long a command stays current.
        commands_before_end_s: for each command text of the previous episode, how long
            before that episode's end it was sent.
    """
    lead = max(spec.audio.window_s, spec.touch.window_s, spec.proprio.window_s)
    for before_end in commands_before_end_s:
        lead = max(lead, spec.text.max_age_s - before_end)
    return lead + LEAD_IN_MARGIN_S


def _lead_in_events(episode: Episode, events: list, lead_s: float,
                    streams: Sequence[str]) -> list:
    """``(episode time, kind, payload)`` of the sensors' last ``lead_s`` before ``events``.

    Rendered by the episode at the sample indices just before its streams start, continuing
    their clocks (audio in whole chunks), exactly as its windows near the start are.
    """
    spec = episode.config.spec
    first = {}
    for t, kind, _ in events:
        first.setdefault(kind, t)
    out = []
    if 'audio' in streams and 'audio' in first:
        rate = spec.audio.sample_rate
        chunk = int(round(AUDIO_CHUNK_S * rate))
        chunks = math.ceil(lead_s * rate / chunk)
        start = int(round(first['audio'] * rate)) - chunks * chunk
        audio = episode.audio(start, chunks * chunk)
        out += [((start + i) / rate, 'audio', audio[i:i + chunk])
                for i in range(0, chunks * chunk, chunk)]
    for kind, rate, render in (('touch', spec.touch.rate_hz, episode.touch),
                               ('proprio', spec.proprio.rate_hz, episode.proprio)):
        if kind in streams and kind in first:
            count = math.ceil(lead_s * rate)
            start = int(round(first[kind] * rate)) - count
            out += [((start + i) / rate, kind, row)
                    for i, row in enumerate(render(start, count))]
    out.sort(key=lambda e: e[0])
    return out


def _tail_events(episode: Episode, events: list, streams: Sequence[str]) -> list:
    """The audio chunk after the episode's last whole one (its last frame's window needs it).

    The streams end with the last whole chunk, a few samples short of the episode's end.
    """
    last = [t for t, kind, _ in events if kind == 'audio'][-1:]
    if 'audio' not in streams or not last:
        return []
    rate = episode.config.spec.audio.sample_rate
    chunk = int(round(AUDIO_CHUNK_S * rate))
    start = int(round(last[0] * rate)) + chunk
    return [(start / rate, 'audio', episode.audio(start, chunk))]


def common_period_ns(spec: ModalitySpec) -> int:
    """The shortest time after which every stream's clock ticks together again.

    Camera frames, touch and proprio rows and whole audio chunks: 0.1 s at the default
    rates (30, 200, 100 Hz and 20 ms).
    """
    periods = [1 / Fraction(rate).limit_denominator(10**6)
               for rate in (spec.camera.rate_hz, spec.touch.rate_hz, spec.proprio.rate_hz)]
    periods.append(Fraction(int(round(AUDIO_CHUNK_S * spec.audio.sample_rate)),
                            spec.audio.sample_rate))
    numerator = math.lcm(*(p.numerator for p in periods))
    denominator = math.gcd(*(p.denominator for p in periods))
    return int(round(Fraction(numerator, denominator) * 10**9))


def playback_timeline(simulator: ScenarioSimulator, episodes: Iterable[int],
                      streams: Sequence[str] = STREAMS, *,
                      separate: bool = False) -> Iterator[SimEvent]:
    """The events the publisher sends, in time order.

    Without ``separate``, :func:`~multimodal_fusion.ros.sim_messages.timeline` (what the
    bags hold). With it, each episode is preceded by :func:`lead_in_s` seconds of its own
    sensor streams without camera frames, so no frame's windows reach into the episode
    before (see the module docstring).
    """
    if not separate:
        yield from timeline(simulator, episodes, streams)
        return
    period_ns = common_period_ns(simulator.config.spec)
    end_ns, commands = 0, []
    for index in episodes:
        episode = simulator.episode(index)
        events = episode_events(episode, streams)
        lead = lead_in_s(episode.config.spec, commands)
        lead_in = _lead_in_events(episode, events, lead, streams)
        tail = _tail_events(episode, events, streams)
        first_s = min([episode.start_time() - lead] + [t for t, _, _ in lead_in[:1]])
        # The lead-in starts where the previous episode ended, or a little later: the
        # episode's time 0 falls on the sensors' common period, so every stream keeps its
        # clock from one episode to the next, as a robot's sensors do.
        origin_ns = -(-(end_ns - int(round(first_s * 1e9))) // period_ns) * period_ns
        for t, kind, payload in sorted(lead_in + events + tail, key=lambda e: e[0]):
            yield SimEvent(origin_ns + int(round(t * 1e9)), kind, payload, episode, t)
        end_ns = origin_ns + int(round(episode.duration * 1e9))
        commands = [episode.duration - t for t, kind, _ in events if kind == 'text']


class SimPublisher(Node):
    """Publishes simulator episodes in real time (see the module docstring).

    The messages come from :class:`~multimodal_fusion.ros.sim_messages.SimMessages`, the
    same builder the bag recorder writes with.
    """

    def __init__(self, *, seed: int, episodes: int, first_episode: int = 0,
                 streams: Sequence[str] = STREAMS, start_ns: Optional[int] = None,
                 clock: bool = False, separate: bool = False,
                 config: SimConfig = SimConfig(),
                 image_size: Optional[tuple[int, int]] = None) -> None:
        super().__init__('sim_publisher')
        self.simulator = ScenarioSimulator(seed, config)
        self.episodes = range(first_episode, first_episode + episodes)
        self.streams = frozenset(streams)
        self.separate = separate
        self.start_ns = start_ns
        self.messages = SimMessages(config, image_size=image_size)
        self.pub = {topic: self.create_publisher(msg_type, topic, qos)
                    for topic, (msg_type, qos) in TOPICS.items()}
        self.pub_clock = (self.create_publisher(Clock, CLOCK_TOPIC, CLOCK_QOS) if clock
                          else None)
        self.frames_published = 0
        # Events sent later than their time by more than LATE_S (a loaded machine), and the
        # latest of them: what the node was fed differs from the timeline by that much.
        self.late_events = 0
        self.max_late_s = 0.0
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
        events = playback_timeline(self.simulator, self.episodes, streams,
                                   separate=self.separate)
        first = next(events, None)
        wall_base = self.start_ns if self.start_ns is not None else wall.now().nanoseconds
        stamp_base = SIM_TIME_ORIGIN_NS if self.pub_clock is not None else wall_base
        # Tools that score a run against the simulator find its frames by this.
        print(f'{STAMP_BASE_PREFIX}{stamp_base}', flush=True)
        for topic, msg in self.messages.start(stamp_base, streams):
            self.pub[topic].publish(msg)
        last_clock_ns = -1
        for event in itertools.chain([first] if first is not None else [], events):
            delay = (wall_base + event.at_ns - wall.now().nanoseconds) / 1e9
            if delay > 0 and self.stop.wait(delay):
                return
            if -delay > LATE_S:
                self.late_events += 1
                self.max_late_s = max(self.max_late_s, -delay)
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
                     config: SimConfig = SimConfig(), *, separate: bool = False) -> float:
    """How long playing these episodes takes (``separate``: as ``--separate-episodes``)."""
    simulator = ScenarioSimulator(seed, config)
    total, commands = 0.0, []
    for index in range(first_episode, first_episode + episodes):
        episode = simulator.episode(index)
        total += episode.duration - episode.start_time()
        if separate:
            total += lead_in_s(config.spec, commands)
            commands = [episode.duration - t for t, _ in episode.streams().text_events]
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
    parser.add_argument('--separate-episodes', action='store_true',
                        help="run each episode's sensors alone before its first frame until "
                             'nothing of the previous episode is in the windows (the demo)')
    parser.add_argument('--clock', action='store_true',
                        help='stamp in simulated time and publish it on /clock '
                             '(for nodes with use_sim_time)')
    parser.add_argument('--wait-for-subscribers', type=float, default=0.0,
                        help='seconds to wait for a camera subscriber before playing')
    parser.add_argument('--relations', action='store_true',
                        help="commands also name objects by a relation to another one ('the "
                             "cube left of the ball'), for a model trained with them")
    parser.add_argument('--image-size', type=image_size_arg, default=None, metavar='WxH',
                        help='resize the rendered frames to this size, e.g. 1280x720 '
                             '(benchmarks of larger cameras; ground-truth boxes follow)')
    args, ros_args = parser.parse_known_args(argv)
    streams = [s for s in args.streams.split(',') if s]
    unknown = sorted(set(streams) - set(STREAMS))
    if unknown or args.episodes < 1:
        parser.error(f'unknown streams {unknown}' if unknown else '--episodes must be >= 1')
    init_ros(ros_args)
    node = SimPublisher(seed=args.seed, episodes=args.episodes,
                        first_episode=args.first_episode, streams=streams,
                        start_ns=args.start_ns, clock=args.clock,
                        separate=args.separate_episodes, image_size=args.image_size,
                        config=SimConfig(relations=args.relations))
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
        print(f'[sim_publisher] {node.frames_published} frames; {node.late_events} events sent '
              f'more than {LATE_S * 1e3:.0f} ms late (latest by {node.max_late_s * 1e3:.0f} ms)',
              flush=True)
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
