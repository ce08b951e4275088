# Copyright 2026 multimodal_fusion developers
# SPDX-License-Identifier: Apache-2.0
"""Camera frames from one process to another over DDS: how many arrive, and how late.

    python -m multimodal_fusion.tools.bench_transport [--frames 90] \
        [--out docs/benchmarks/transport.md]

For every image size (rgb8, 30 Hz), publisher reliability, subscription QoS and Fast DDS
transport setup, a publisher process sends ``--frames`` frames to a subscriber process once
both ends have matched. The table gives frames received / sent and the latency from the
header stamp to the subscriber's callback (p50, p99). The transport setups are Fast DDS's
defaults, the shipped profile (``config/fastdds_large_frames.xml``) in both processes, and
the profile in one process only, which shows the side that needs it.

Both processes are children of this one (``--role publisher`` / ``--role subscriber``), in a
DDS domain of their own per setup; Ctrl-C or SIGTERM stops them and exits 0. Not a test:
figures vary with the machine's load.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import pathlib
import re
import signal
import sys
import threading
import time
from typing import Callable
from typing import Optional
from typing import Sequence

import numpy as np

from multimodal_fusion.ros.processes import isolated_ros_env
from multimodal_fusion.ros.processes import start_process
from multimodal_fusion.ros.processes import stop_process

from multimodal_fusion.tools.arguments import image_size_arg

# The source tree (the tool runs from a checkout; --profile points elsewhere).
REPO_ROOT = pathlib.Path(__file__).resolve().parents[2]
SHIPPED_PROFILE = REPO_ROOT / 'config' / 'fastdds_large_frames.xml'
PROFILE_VARIABLE = 'FASTDDS_DEFAULT_PROFILES_FILE'
# Variables that would change what "Fast DDS defaults" means for a child process.
_TRANSPORT_VARIABLES = (PROFILE_VARIABLE, 'FASTRTPS_DEFAULT_PROFILES_FILE',
                        'FASTDDS_BUILTIN_TRANSPORTS', 'RMW_FASTRTPS_USE_QOS_FROM_XML')

SIZES = ((320, 240), (640, 480), (1280, 720))
# (publisher reliability, subscription QoS): the node's default subscription (sensor_data,
# best effort) with both publishers, and a reliable subscription where it can match.
QOS_PAIRS = (('reliable', 'sensor_data'), ('reliable', 'reliable'),
             ('best_effort', 'sensor_data'))
PUBLISHER_DEPTH = 10
MATCH_TIMEOUT_S = 20.0
# Reliable repairs may still be in flight after the last frame; the writer stays this long.
TAIL_S = 0.5
FASTDDS_ERROR = re.compile(r'\[\w+ Error\]')
# Fast DDS colours its log lines on a terminal and in files alike.
ANSI_ESCAPE = re.compile(r'\x1b\[[0-9;]*m')
HAND_WRITTEN_MARKER = '<!-- written by hand below: kept when the tool rewrites this file -->'


@dataclasses.dataclass(frozen=True)
class Case:
    """One stream: image size and the QoS at both ends.

    Args:
        width: image width in pixels.
        height: image height in pixels.
        publisher: publisher reliability, ``reliable`` or ``best_effort``.
        subscription: subscription QoS as the node's ``qos.sensors`` names it,
            ``sensor_data`` (best effort) or ``reliable``.
    """

    width: int
    height: int
    publisher: str
    subscription: str

    def __post_init__(self):
        if self.publisher not in ('reliable', 'best_effort'):
            raise ValueError(f'publisher reliability {self.publisher!r}: expected reliable or '
                             'best_effort')
        if self.subscription not in ('sensor_data', 'reliable'):
            raise ValueError(f'subscription QoS {self.subscription!r}: expected sensor_data '
                             'or reliable')
        if self.publisher == 'best_effort' and self.subscription == 'reliable':
            raise ValueError('a reliable subscription never matches a best-effort publisher')

    @property
    def key(self) -> str:
        """Result key and topic suffix, e.g. ``640x480_reliable_sensor_data``."""
        return f'{self.width}x{self.height}_{self.publisher}_{self.subscription}'

    @classmethod
    def from_key(cls, key: str) -> 'Case':
        size, rest = key.split('_', 1)
        width, height = (int(v) for v in size.split('x'))
        for publisher in ('best_effort', 'reliable'):
            if rest.startswith(publisher + '_'):
                return cls(width, height, publisher, rest[len(publisher) + 1:])
        raise ValueError(f'not a case key: {key!r}')


@dataclasses.dataclass(frozen=True)
class Setup:
    """Which of the two processes loads the profile."""

    name: str
    publisher_profile: bool
    subscriber_profile: bool


SETUPS = (
    Setup('Fast DDS defaults', False, False),
    Setup('profile in both', True, True),
    Setup('profile in publisher only', True, False),
    Setup('profile in subscriber only', False, True),
)
SETUPS_BY_KEY = {'defaults': SETUPS[0], 'both': SETUPS[1], 'publisher': SETUPS[2],
                 'subscriber': SETUPS[3]}


@dataclasses.dataclass(frozen=True)
class Result:
    """What one case gave under one setup."""

    setup: str
    case: Case
    sent: int
    latencies_ms: tuple[float, ...]

    @property
    def received(self) -> int:
        return len(self.latencies_ms)

    def percentile(self, q: float) -> Optional[float]:
        if not self.latencies_ms:
            return None
        return float(np.percentile(np.asarray(self.latencies_ms), q))


@dataclasses.dataclass
class SetupRun:
    """The results of one setup and the Fast DDS error lines its two processes logged."""

    setup: Setup
    results: list[Result]
    fastdds_errors: list[str]


def default_cases(sizes: Sequence[tuple[int, int]] = SIZES,
                  qos_pairs: Sequence[tuple[str, str]] = QOS_PAIRS) -> list[Case]:
    return [Case(w, h, pub, sub) for w, h in sizes for pub, sub in qos_pairs]


class Interrupted(Exception):
    """SIGINT or SIGTERM reached the benchmark."""


def _raise_interrupted(signum, frame):
    # Children are being stopped from here on: a second signal must not cut that short.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Interrupted(signal.Signals(signum).name)


# --- the two child processes --------------------------------------------------------------

def _ready_qos(depth: int):
    """Reliable and transient local: the publisher learns every ready case, even late."""
    from rclpy.qos import DurabilityPolicy
    from rclpy.qos import HistoryPolicy
    from rclpy.qos import QoSProfile
    from rclpy.qos import ReliabilityPolicy
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=max(depth, 1),
                      reliability=ReliabilityPolicy.RELIABLE,
                      durability=DurabilityPolicy.TRANSIENT_LOCAL)


def _publisher_qos(reliability: str):
    from rclpy.qos import DurabilityPolicy
    from rclpy.qos import HistoryPolicy
    from rclpy.qos import QoSProfile
    from rclpy.qos import ReliabilityPolicy
    return QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=PUBLISHER_DEPTH,
                      reliability=ReliabilityPolicy[reliability.upper()],
                      durability=DurabilityPolicy.VOLATILE)


class _Child:
    """rclpy in a child process: a node, an executor, and a stop flag set by signals."""

    def __init__(self, name: str, parent_pid: int):
        import rclpy
        from rclpy.context import Context
        from rclpy.executors import SingleThreadedExecutor
        from rclpy.signals import SignalHandlerOptions

        self.stop = threading.Event()
        self._parent_pid = parent_pid
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: self.stop.set())
        self.context = Context()
        rclpy.init(context=self.context, signal_handler_options=SignalHandlerOptions.NO)
        self.node = rclpy.create_node(f'{name}_{os.getpid()}', context=self.context)
        self.executor = SingleThreadedExecutor(context=self.context)
        self.executor.add_node(self.node)

    def running(self) -> bool:
        """False once signalled, or once the benchmark that started us is gone."""
        if os.getppid() != self._parent_pid:
            self.stop.set()
        return not self.stop.is_set()

    def close(self):
        import rclpy
        self.executor.shutdown()
        self.node.destroy_node()
        if self.context.ok():
            rclpy.shutdown(context=self.context)


def _write_json(path: str, data) -> None:
    tmp = pathlib.Path(path + '.tmp')
    tmp.write_text(json.dumps(data))
    tmp.replace(path)


def run_subscriber(cases: Sequence[Case], prefix: str, result_path: str,
                   parent_pid: int) -> int:
    """Subscribe to every case's topic; on SIGINT/SIGTERM write the latencies and exit 0.

    Each subscription announces on ``<prefix>/ready`` once it has matched a publisher, so
    the publisher sends no frame before both ends know each other.
    """
    from multimodal_fusion.ros.conversions import stamp_to_ns
    from multimodal_fusion.ros.node.parameters import BY_NAME
    from multimodal_fusion.ros.node.qos import sensor_qos
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    child = _Child('bench_transport_subscriber', parent_pid)
    received: dict[str, dict[str, int]] = {case.key: {} for case in cases}
    subscriptions = {}
    depth = BY_NAME['qos.depth'].default  # as the node subscribes
    try:
        ready = child.node.create_publisher(String, f'{prefix}/ready', _ready_qos(len(cases)))
        for case in cases:
            def on_image(msg, frames=received[case.key]):
                now_ns = time.time_ns()
                frames[msg.header.frame_id] = now_ns - stamp_to_ns(msg.header)
            subscriptions[case.key] = child.node.create_subscription(
                Image, f'{prefix}/image_{case.key}', on_image,
                sensor_qos(case.subscription, depth))
        announced = set()

        def announce():
            for key, subscription in subscriptions.items():
                if key not in announced and subscription.get_publisher_count() > 0:
                    ready.publish(String(data=key))
                    announced.add(key)
        child.node.create_timer(0.05, announce)
        print('subscriber ready', flush=True)
        while child.running():
            child.executor.spin_once(timeout_sec=0.1)
    finally:
        _write_json(result_path, received)
        child.close()
    return 0


def run_publisher(cases: Sequence[Case], prefix: str, result_path: str, parent_pid: int,
                  frames: int, rate_hz: float) -> int:
    """Publish ``frames`` frames per case at ``rate_hz``, one case after the other."""
    from multimodal_fusion.ros.conversions import array_to_image
    from multimodal_fusion.ros.conversions import make_header
    from multimodal_fusion.ros.conversions import ns_to_stamp
    from sensor_msgs.msg import Image
    from std_msgs.msg import String

    child = _Child('bench_transport_publisher', parent_pid)
    ready: set[str] = set()
    report: dict[str, dict] = {}
    rng = np.random.default_rng(0)
    try:
        child.node.create_subscription(String, f'{prefix}/ready',
                                       lambda msg: ready.add(msg.data), _ready_qos(len(cases)))
        for case in cases:
            if not child.running():
                break
            publisher = child.node.create_publisher(Image, f'{prefix}/image_{case.key}',
                                                    _publisher_qos(case.publisher))
            pixels = rng.integers(0, 256, (case.height, case.width, 3), dtype=np.uint8)
            msg = array_to_image(pixels, 'rgb8', header=make_header(0, 'camera'))
            deadline = time.monotonic() + MATCH_TIMEOUT_S
            matched = False
            while child.running() and time.monotonic() < deadline:
                child.executor.spin_once(timeout_sec=0.02)
                matched = case.key in ready and publisher.get_subscription_count() > 0
                if matched:
                    break
            sent = 0
            if matched:
                start = time.monotonic()
                for i in range(frames):
                    delay = start + i / rate_hz - time.monotonic()
                    if not child.running() or (delay > 0 and child.stop.wait(delay)):
                        break
                    msg.header.frame_id = str(i)
                    msg.header.stamp = ns_to_stamp(time.time_ns())
                    publisher.publish(msg)
                    sent += 1
                child.stop.wait(TAIL_S)
            report[case.key] = {'sent': sent, 'matched': matched}
            child.node.destroy_publisher(publisher)
            print(f'{case.key}: sent {sent}', flush=True)
    finally:
        _write_json(result_path, report)
        child.close()
    return 0


# --- the benchmark: start the pair per setup, collect, tabulate ----------------------------

def _child_env(domain_id: int, profile: Optional[pathlib.Path]) -> dict:
    env = isolated_ros_env(domain_id)
    for name in _TRANSPORT_VARIABLES:
        env.pop(name, None)
    if profile is not None:
        env[PROFILE_VARIABLE] = str(profile)
    env['PYTHONPATH'] = os.pathsep.join(filter(None, [str(REPO_ROOT),
                                                      env.get('PYTHONPATH')]))
    return env


def fastdds_errors(log_path: pathlib.Path) -> list[str]:
    """Lines a Fast DDS error logged (``[XMLPARSER Error] ...`` and the like)."""
    if not log_path.exists():
        return []
    text = ANSI_ESCAPE.sub('', log_path.read_text(errors='replace'))
    return [line.strip() for line in text.splitlines() if FASTDDS_ERROR.search(line)]


def _tail(log_path: pathlib.Path, lines: int = 20) -> str:
    if not log_path.exists():
        return '(no log)'
    return '\n'.join(log_path.read_text(errors='replace').splitlines()[-lines:])


def run_setup(setup: Setup, cases: Sequence[Case], *, frames: int, rate_hz: float,
              profile: pathlib.Path, workdir: pathlib.Path,
              domain_id: Optional[int] = None) -> SetupRun:
    """Start the subscriber and the publisher for one setup, run every case, collect.

    Raises:
        RuntimeError: a child failed; the message holds the end of its log.
    """
    slug = re.sub(r'\W+', '_', setup.name)
    workdir.mkdir(parents=True, exist_ok=True)
    domain = domain_id if domain_id is not None else int(isolated_ros_env()['ROS_DOMAIN_ID'])
    keys = ','.join(case.key for case in cases)
    prefix = f'/bench_transport_{os.getpid()}'
    common = ['-m', 'multimodal_fusion.tools.bench_transport', '--cases', keys,
              '--prefix', prefix, '--parent-pid', str(os.getpid())]
    logs = {role: workdir / f'{slug}_{role}.log' for role in ('subscriber', 'publisher')}
    outputs = {role: workdir / f'{slug}_{role}.json' for role in ('subscriber', 'publisher')}
    for path in outputs.values():
        path.unlink(missing_ok=True)
    subscriber = publisher = None
    try:
        subscriber = start_process(
            common + ['--role', 'subscriber', '--result', str(outputs['subscriber'])],
            _child_env(domain, profile if setup.subscriber_profile else None),
            logs['subscriber'])
        publisher = start_process(
            common + ['--role', 'publisher', '--result', str(outputs['publisher']),
                      '--frames', str(frames), '--rate', str(rate_hz)],
            _child_env(domain, profile if setup.publisher_profile else None),
            logs['publisher'])
        # A bound for a loaded machine, not an expectation.
        deadline = time.monotonic() + 60 + len(cases) * (
            MATCH_TIMEOUT_S + frames / rate_hz + TAIL_S)
        while publisher.poll() is None and time.monotonic() < deadline:
            if subscriber.poll() is not None:
                raise RuntimeError(f'{setup.name}: the subscriber exited with '
                                   f'{subscriber.returncode}:\n{_tail(logs["subscriber"])}')
            time.sleep(0.1)
        if publisher.poll() is None:
            raise RuntimeError(f'{setup.name}: the publisher did not finish:\n'
                               f'{_tail(logs["publisher"])}')
        if publisher.returncode != 0:
            raise RuntimeError(f'{setup.name}: the publisher exited with '
                               f'{publisher.returncode}:\n{_tail(logs["publisher"])}')
        time.sleep(TAIL_S)
        code = stop_process(subscriber)
        if code != 0 or not outputs['subscriber'].exists():
            raise RuntimeError(f'{setup.name}: the subscriber exited with {code}:\n'
                               f'{_tail(logs["subscriber"])}')
    finally:
        for proc in (publisher, subscriber):
            if proc is not None:
                stop_process(proc)
    sent = json.loads(outputs['publisher'].read_text())
    received = json.loads(outputs['subscriber'].read_text())
    results = []
    for case in cases:
        latencies = received.get(case.key, {})
        results.append(Result(
            setup=setup.name, case=case, sent=sent.get(case.key, {}).get('sent', 0),
            latencies_ms=tuple(latencies[k] / 1e6 for k in sorted(latencies, key=int))))
    errors = fastdds_errors(logs['subscriber']) + fastdds_errors(logs['publisher'])
    return SetupRun(setup, results, errors)


def measure(cases: Sequence[Case], setups: Sequence[Setup], *, frames: int, rate_hz: float,
            profile: pathlib.Path, workdir: pathlib.Path,
            on_setup: Optional[Callable[[SetupRun], None]] = None) -> list[SetupRun]:
    """``run_setup`` for each setup in turn (never two at once: they would share the CPUs)."""
    runs = []
    for setup in setups:
        run = run_setup(setup, cases, frames=frames, rate_hz=rate_hz, profile=profile,
                        workdir=workdir)
        runs.append(run)
        if on_setup is not None:
            on_setup(run)
    return runs


def _ms(value: Optional[float]) -> str:
    return '–' if value is None else f'{value:.1f}'


def to_markdown(runs: Sequence[SetupRun]) -> str:
    """One row per case and setup, grouped by image size and QoS so setups sit together."""
    setups = [setup.name for setup in SETUPS]

    def rank(r: Result) -> tuple:
        qos = (r.case.publisher, r.case.subscription)
        return (r.case.width * r.case.height,
                QOS_PAIRS.index(qos) if qos in QOS_PAIRS else len(QOS_PAIRS),
                setups.index(r.setup) if r.setup in setups else len(setups))
    rows = sorted((r for run in runs for r in run.results), key=rank)
    lines = ['| image (rgb8) | publisher | subscription | transport | received / sent | '
             'p50 (ms) | p99 (ms) |', '|---|---|---|---|--:|--:|--:|']
    for r in rows:
        subscription = 'sensor_data (best effort)' if r.case.subscription == 'sensor_data' \
            else r.case.subscription
        counts = f'{r.received} / {r.sent}' if r.sent else 'not matched'
        lines.append(f'| {r.case.width}×{r.case.height} | {r.case.publisher} | '
                     f'{subscription} | {r.setup} | {counts} | '
                     f'{_ms(r.percentile(50))} | {_ms(r.percentile(99))} |')
    errors = [(run.setup.name, line) for run in runs for line in run.fastdds_errors]
    lines.append('')
    if errors:
        lines.append('Fast DDS logged errors:')
        lines += [f'- {name}: `{line}`' for name, line in errors]
    else:
        lines.append('Fast DDS logged no error in any of the processes.')
    return '\n'.join(lines) + '\n'


def _fastdds_version() -> str:
    from importlib import metadata
    try:
        return f'Fast DDS {metadata.version("ros-fastdds")}'
    except metadata.PackageNotFoundError:
        return 'Fast DDS'


def write_report(path: pathlib.Path, table: str, command: str, frames: int,
                 rate_hz: float) -> None:
    """The table with its command and machine; text after the hand-written marker stays."""
    from multimodal_fusion.ros.node.parameters import BY_NAME
    from multimodal_fusion.tools.machine import cpu_model

    kept = ''
    if path.exists():
        old = path.read_text()
        if HAND_WRITTEN_MARKER in old:
            kept = old[old.index(HAND_WRITTEN_MARKER):]
    depth = BY_NAME['qos.depth'].default
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '# Camera frames between processes: QoS and transport\n\n'
        f'`{command}` on {cpu_model()} ({os.cpu_count()} cores), loopback only, '
        f'rmw_fastrtps_cpp, {_fastdds_version()}. Python publisher process → Python '
        f'subscriber process, {frames} frames per row at {rate_hz:g} Hz, sent once both '
        'ends have matched; latency is header stamp → start of the subscriber callback '
        f'(message deserialised). Publisher depth {PUBLISHER_DEPTH}, subscription depth '
        f'{depth} (the node\'s `qos.depth`). "profile" is '
        f'`config/fastdds_large_frames.xml` through `{PROFILE_VARIABLE}`.\n\n'
        + table + ('\n' + kept if kept else ''))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--frames', type=int, default=90, help='frames per case')
    parser.add_argument('--rate', type=float, default=30.0, help='frames per second')
    parser.add_argument('--sizes', type=image_size_arg, nargs='+', default=list(SIZES),
                        metavar='WxH')
    parser.add_argument('--setups', nargs='+', choices=list(SETUPS_BY_KEY),
                        default=list(SETUPS_BY_KEY))
    parser.add_argument('--profile', type=pathlib.Path, default=SHIPPED_PROFILE,
                        help='Fast DDS XML profile (default: the shipped one)')
    parser.add_argument('--workdir', type=pathlib.Path, default=None,
                        help='child logs and results (default: a temporary folder)')
    parser.add_argument('--out', default=None, help='also write the report to this file')
    # The child processes.
    parser.add_argument('--role', choices=('publisher', 'subscriber'), help=argparse.SUPPRESS)
    parser.add_argument('--cases', help=argparse.SUPPRESS)
    parser.add_argument('--prefix', help=argparse.SUPPRESS)
    parser.add_argument('--result', help=argparse.SUPPRESS)
    parser.add_argument('--parent-pid', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.frames < 1 or args.rate <= 0:
        parser.error('--frames must be at least 1 and --rate positive')

    if args.role is not None:
        cases = [Case.from_key(key) for key in args.cases.split(',')]
        if args.role == 'subscriber':
            return run_subscriber(cases, args.prefix, args.result, args.parent_pid)
        return run_publisher(cases, args.prefix, args.result, args.parent_pid, args.frames,
                             args.rate)

    import tempfile

    cases = default_cases(args.sizes)
    setups = [SETUPS_BY_KEY[key] for key in args.setups]
    runs: list[SetupRun] = []
    previous = {s: signal.signal(s, _raise_interrupted) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        with tempfile.TemporaryDirectory(prefix='bench_transport_') as tmp:
            workdir = args.workdir or pathlib.Path(tmp)
            measure(cases, setups, frames=args.frames, rate_hz=args.rate,
                    profile=args.profile.resolve(), workdir=workdir,
                    on_setup=lambda run: (runs.append(run),
                                          print(f'{run.setup.name}: done', flush=True)))
    except Interrupted as stop:
        print(f'stopped by {stop}; children stopped', flush=True)
        if runs:
            print(to_markdown(runs))
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    table = to_markdown(runs)
    print(table)
    if args.out:
        command = 'python -m multimodal_fusion.tools.bench_transport ' + ' '.join(
            argv if argv is not None else sys.argv[1:])
        write_report(pathlib.Path(args.out), table, command.strip(), args.frames, args.rate)
    return 0


if __name__ == '__main__':
    sys.exit(main())
