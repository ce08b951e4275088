# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Record the simulator into a rosbag2 (MCAP) bag, offline: no DDS, deterministic, fast.

    python -m multimodal_fusion.ros.bag_recorder out/sim_bag --seed 7 --episodes 2

The bag holds what ``sim_publisher --clock`` publishes, built by the same code
(:mod:`multimodal_fusion.ros.sim_messages`): the node's input topics (``/camera/image_raw``,
``/audio/audio_stamped``, latched ``/audio/audio_info``, ``/speech/text``,
``/wrist/{left,right}/wrench``, ``/joint_states``, ``/imu/data``), every camera frame's
ground truth on ``/sim/ground_truth`` and simulated time on ``/clock`` (with every new stamp
and at least at ``--clock-hz``), each topic with the QoS the live publisher offers. Stamps
are simulated time from ``--origin-s``; a message's receive time in the bag is the same
simulated time, so a player sends everything in stamp order. The same arguments give the
same bytes (with the same espeak-ng voices, which speak the commands).

Faults a robot meets, recorded on purpose:

* ``--stop touch=2.5`` ends a stream 2.5 s into the bag (a sensor that dies).
* ``--jump-at 3 --jump-back 8`` moves every stamp (and ``/clock``) 8 s back from 3 s on,
  while receive times go on: what a looping player or a restarted clock produces.

``--labels`` also writes the ground truth as labels on ``/labels`` (one JSON
``std_msgs/String`` per interval; :mod:`multimodal_fusion.ros.bag_labels`, ``docs/labels.md``).

``--camera-rate`` keeps every n-th frame of the 30 Hz camera (same frames, same stamps) to
keep small bags small: a 320x240 rgb8 frame is 230 KB and its sensor grain leaves zstd
little to compress (about 190 KB per frame).
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
import json
from pathlib import Path
import shutil
import sys
from typing import Optional
from typing import Sequence

from rosgraph_msgs.msg import Clock

from multimodal_fusion.labels.label_set import TimeRange
from multimodal_fusion.labels.mapping import LabelMapping
from multimodal_fusion.labels.sim_truth import GroundTruthLabeller
from multimodal_fusion.ros.bag_io import bag_custom_data
from multimodal_fusion.ros.bag_io import BagWriter
from multimodal_fusion.ros.bag_labels import write_labels_topic
from multimodal_fusion.ros.sim_messages import check_streams
from multimodal_fusion.ros.sim_messages import clock_message
from multimodal_fusion.ros.sim_messages import CLOCK_QOS
from multimodal_fusion.ros.sim_messages import CLOCK_TOPIC
from multimodal_fusion.ros.sim_messages import GROUND_TRUTH_TOPIC
from multimodal_fusion.ros.sim_messages import SIM_TIME_ORIGIN_NS
from multimodal_fusion.ros.sim_messages import SimMessages
from multimodal_fusion.ros.sim_messages import STREAM_TOPICS
from multimodal_fusion.ros.sim_messages import STREAMS
from multimodal_fusion.ros.sim_messages import timeline
from multimodal_fusion.ros.sim_messages import TOPICS
from multimodal_fusion.sim import ScenarioSimulator
from multimodal_fusion.sim import SimConfig

# metadata.yaml custom_data key holding the BagPlan as JSON (how the bag was made).
PLAN_KEY = 'multimodal_fusion.sim_bag'


@dataclass(frozen=True)
class BagPlan:
    """What to record.

    Args:
        seed: simulator seed.
        episodes: how many episodes, played back to back.
        first_episode: index of the first (situations cycle with the index).
        start_s: leave out the timeline's first seconds; the bag starts there.
        duration_s: cut the bag this many seconds after its start (``None``: whole
            episodes).
        streams: the streams to record (names from ``STREAMS``).
        camera_rate_hz: keep the camera frames of this rate only; it must divide the
            simulator's camera rate (``None``: every frame).
        stops: ``{stream: seconds}``: the stream sends nothing from that time on.
        jump_at_s: from this time on, stamps are ``jump_back_s`` earlier (``None``: no jump).
            Times (``duration_s``, ``stops``, ``jump_at_s``) count from the bag's start.
        jump_back_s: how far stamps jump back at ``jump_at_s``.
        origin_ns: stamp and receive time of the bag's start (simulated time).
        clock_hz: ``/clock`` is sent with every new stamp and at least this often, so
            simulated time advances smoothly whichever streams are recorded (a simulator's
            clock runs on its own too).
        labels: also write every camera frame's ground truth as labels on ``/labels``
            (needs the camera and stamps that only move forward: no jump).
    """

    seed: int = 7
    episodes: int = 1
    first_episode: int = 0
    start_s: float = 0.0
    duration_s: Optional[float] = None
    streams: tuple[str, ...] = STREAMS
    camera_rate_hz: Optional[float] = None
    stops: dict[str, float] = field(default_factory=dict)
    jump_at_s: Optional[float] = None
    jump_back_s: float = 0.0
    origin_ns: int = SIM_TIME_ORIGIN_NS
    clock_hz: float = 100.0
    labels: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, 'streams', check_streams(self.streams))
        check_streams(self.stops)
        if self.episodes < 1 or self.first_episode < 0:
            raise ValueError(f'episodes={self.episodes}, first_episode={self.first_episode}; '
                             'expected episodes >= 1 and first_episode >= 0')
        if self.start_s < 0:
            raise ValueError(f'start_s={self.start_s}; expected >= 0')
        if self.duration_s is not None and self.duration_s <= 0:
            raise ValueError(f'duration_s={self.duration_s}; expected a positive number')
        if any(t < 0 for t in self.stops.values()):
            raise ValueError(f'stops={self.stops}; expected times >= 0')
        if self.clock_hz <= 0:
            raise ValueError(f'clock_hz={self.clock_hz}; expected > 0')
        if self.camera_rate_hz is not None and self.camera_rate_hz <= 0:
            raise ValueError(f'camera_rate_hz={self.camera_rate_hz}; expected > 0')
        if self.jump_at_s is not None and (self.jump_at_s <= 0 or self.jump_back_s <= 0):
            raise ValueError(f'jump_at_s={self.jump_at_s}, jump_back_s={self.jump_back_s}; '
                             'expected both > 0')
        if self.origin_ns - int(self.jump_back_s * 1e9) < 0:
            raise ValueError(f'jump_back_s={self.jump_back_s} goes before time 0 from '
                             f'origin_ns={self.origin_ns}')
        if self.labels and ('camera' not in self.streams or self.jump_at_s is not None):
            raise ValueError('labels come with the camera frames and are keyed by stamp: '
                             'they need the camera stream and no jump')

    def camera_step(self, camera_rate_hz: float) -> int:
        """Keep every n-th frame of a camera running at ``camera_rate_hz``.

        Raises:
            ValueError: ``camera_rate_hz`` is not a multiple of ``self.camera_rate_hz``.
        """
        if self.camera_rate_hz is None:
            return 1
        step = camera_rate_hz / self.camera_rate_hz
        if step < 1 or abs(step - round(step)) > 1e-9:
            raise ValueError(f'camera_rate_hz={self.camera_rate_hz} does not divide the '
                             f'simulator camera rate {camera_rate_hz} Hz')
        return int(round(step))

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def read_plan(path: Path) -> BagPlan:
    """The plan a bag was recorded with (kept in its ``metadata.yaml``).

    Raises:
        KeyError: the bag was not written by this recorder.
    """
    data = json.loads(bag_custom_data(path)[PLAN_KEY])
    data['streams'] = tuple(data['streams'])
    return BagPlan(**data)


def record_bag(path: Path, plan: BagPlan, *, config: SimConfig = SimConfig(),
               compress: bool = True, label_mapping: Optional[LabelMapping] = None) -> dict:
    """Write the bag ``plan`` describes to the new folder ``path``.

    ``label_mapping`` renames the simulator's labels on ``/labels`` (with ``plan.labels``).

    Returns:
        ``{'messages': {topic: count}, 'camera_frames', 'duration_s'}``.

    Raises:
        ValueError: an inconsistent plan (see :class:`BagPlan`).
        rosbags.rosbag2.WriterError: ``path`` exists.
    """
    camera_rate = config.spec.camera.rate_hz
    step = plan.camera_step(camera_rate)
    start_ns = int(round(plan.start_s * 1e9))
    end_ns = None if plan.duration_s is None else int(round(plan.duration_s * 1e9))
    stop_ns = {s: int(round(t * 1e9)) for s, t in plan.stops.items()}
    jump_ns = None if plan.jump_at_s is None else int(round(plan.jump_at_s * 1e9))
    back_ns = int(round(plan.jump_back_s * 1e9))
    tick_ns = int(round(1e9 / plan.clock_hz))

    def stamp_of(at_ns: int) -> int:
        jumped = jump_ns is not None and at_ns >= jump_ns
        return plan.origin_ns + at_ns - (back_ns if jumped else 0)
    simulator = ScenarioSimulator(plan.seed, config)
    messages = SimMessages(config)
    episodes = range(plan.first_episode, plan.first_episode + plan.episodes)
    last_ns = 0
    labeller = (GroundTruthLabeller(int(round(step * 1e9 / camera_rate)), label_mapping)
                if plan.labels else None)
    with BagWriter(path, compress=compress, custom_data={PLAN_KEY: plan.to_json()}) as bag:
        for stream in plan.streams:
            for topic in STREAM_TOPICS[stream]:
                msg_type, qos = TOPICS[topic]
                bag.add_topic('/' + topic, msg_type, qos)
        bag.add_topic(CLOCK_TOPIC, Clock, CLOCK_QOS)
        last_clock_ns = None
        next_tick_ns = 0

        def clock_until(at_ns: int, inclusive: bool) -> None:
            # /clock ticks up to (and, with inclusive, at) ``at_ns`` on the receive timeline.
            nonlocal last_clock_ns, next_tick_ns
            while next_tick_ns < at_ns or (inclusive and next_tick_ns == at_ns):
                if stamp_of(next_tick_ns) != last_clock_ns:
                    last_clock_ns = stamp_of(next_tick_ns)
                    bag.write(CLOCK_TOPIC, clock_message(last_clock_ns),
                              plan.origin_ns + next_tick_ns)
                next_tick_ns += tick_ns

        clock_until(0, inclusive=True)
        for topic, msg in messages.start(plan.origin_ns, plan.streams):
            bag.write('/' + topic, msg, plan.origin_ns)
        for event in timeline(simulator, episodes, plan.streams):
            at_ns = event.at_ns - start_ns
            if at_ns < 0:
                continue
            if end_ns is not None and at_ns >= end_ns:
                break
            if event.kind in stop_ns and at_ns >= stop_ns[event.kind]:
                continue
            if event.kind == 'camera' and round(event.t * camera_rate) % step:
                continue
            clock_until(at_ns, inclusive=False)
            stamp_ns = stamp_of(at_ns)
            if stamp_ns != last_clock_ns:
                bag.write(CLOCK_TOPIC, clock_message(stamp_ns), plan.origin_ns + at_ns)
                last_clock_ns = stamp_ns
            for topic, msg in messages.build(event, stamp_ns):
                bag.write('/' + topic, msg, plan.origin_ns + at_ns)
                if labeller is not None and topic == GROUND_TRUTH_TOPIC:
                    labeller.add(json.loads(msg.data), event.episode)
            last_ns = at_ns
        if end_ns is not None:
            clock_until(end_ns, inclusive=False)
            last_ns = max(last_ns, next_tick_ns - tick_ns)
        if labeller is not None:
            bag_range = TimeRange(plan.origin_ns, plan.origin_ns + last_ns + 1)
            write_labels_topic(bag, labeller.label_set(bag_range, source=str(path)))
        counts = dict(bag.counts)
    return {'messages': counts, 'camera_frames': counts.get('/camera/image_raw', 0),
            'duration_s': last_ns / 1e9}


def _stop(text: str) -> tuple[str, float]:
    stream, sep, seconds = text.partition('=')
    try:
        if not sep:
            raise ValueError
        return stream, float(seconds)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r}: expected STREAM=SECONDS') from None


def parse_args(argv: Optional[Sequence[str]] = None) -> tuple[argparse.Namespace, BagPlan]:
    """The command line's arguments and the plan they describe (exits 2 on bad ones)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', type=Path, help='the bag folder to create')
    parser.add_argument('--seed', type=int, default=7, help='simulator seed')
    parser.add_argument('--episodes', type=int, default=1, help='episodes to record')
    parser.add_argument('--first-episode', type=int, default=0,
                        help='index of the first (situations cycle with the index)')
    parser.add_argument('--start', type=float, default=0.0,
                        help='leave out the first seconds of the timeline')
    parser.add_argument('--duration', type=float, default=None,
                        help='cut the bag this many seconds after its start')
    parser.add_argument('--streams', default=','.join(STREAMS),
                        help=f'comma-separated subset of {",".join(STREAMS)}')
    parser.add_argument('--camera-rate', type=float, default=None,
                        help='keep the camera frames of this rate only (must divide 30 Hz)')
    parser.add_argument('--stop', type=_stop, action='append', default=[],
                        metavar='STREAM=SECONDS',
                        help='the stream dies at that time (repeatable)')
    parser.add_argument('--jump-at', type=float, default=None,
                        help='seconds into the bag where stamps jump back')
    parser.add_argument('--jump-back', type=float, default=0.0,
                        help='how many seconds stamps jump back at --jump-at')
    parser.add_argument('--origin-s', type=float, default=SIM_TIME_ORIGIN_NS / 1e9,
                        help='simulated time of the bag start, in seconds')
    parser.add_argument('--clock-hz', type=float, default=100.0,
                        help='lowest /clock rate (it also ticks with every new stamp)')
    parser.add_argument('--labels', action='store_true',
                        help='also write the ground truth as labels on /labels')
    parser.add_argument('--no-compress', action='store_true',
                        help='leave the MCAP chunks uncompressed')
    parser.add_argument('--force', action='store_true', help='replace an existing bag')
    args = parser.parse_args(argv)
    try:
        plan = BagPlan(seed=args.seed, episodes=args.episodes,
                       first_episode=args.first_episode, start_s=args.start,
                       duration_s=args.duration,
                       streams=tuple(s for s in args.streams.split(',') if s),
                       camera_rate_hz=args.camera_rate, stops=dict(args.stop),
                       jump_at_s=args.jump_at, jump_back_s=args.jump_back,
                       origin_ns=int(round(args.origin_s * 1e9)), clock_hz=args.clock_hz,
                       labels=args.labels)
        plan.camera_step(SimConfig().spec.camera.rate_hz)
    except ValueError as exc:
        parser.error(str(exc))
    if args.out.exists() and not args.force:
        parser.error(f'{args.out} exists; use --force to replace it')
    if (args.out.exists() and not (args.out / 'metadata.yaml').is_file()
            and any(args.out.iterdir())):
        parser.error(f'{args.out} is not a bag (no metadata.yaml); not replacing it')
    return args, plan


def main(argv: Optional[Sequence[str]] = None) -> int:
    args, plan = parse_args(argv)
    if args.out.exists():
        shutil.rmtree(args.out)
    summary = record_bag(args.out, plan, compress=not args.no_compress)
    size = sum(p.stat().st_size for p in args.out.iterdir())
    print(f'{args.out}: {summary["duration_s"]:.2f} s, {summary["camera_frames"]} camera '
          f'frames, {sum(summary["messages"].values())} messages, {size / 1e6:.2f} MB')
    return 0


if __name__ == '__main__':
    sys.exit(main())
